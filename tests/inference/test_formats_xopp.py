"""Xournal++ export: the file's structure, and that the real Xournal++ opens it (PDF export, headless)."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import zlib

import cv2
import numpy as np
import pytest
from lxml import etree

from inference.document.formats import export_page
from inference.document.formats.xopp import A4_WIDTH_PT, pt_per_px, write_xopp, xopp_bytes
from inference.document.ink import Page, Quad, Stroke, Word
from inference.document.render import draw_strokes_mask
from inference.errors import FormatError

from .external_tools import need_tool


def _page(w=1200, h=900, seed=0, n=4) -> Page:
    rng = np.random.default_rng(seed)
    strokes = [Stroke(rng.uniform([50, 50], [w - 50, h - 50], (int(rng.integers(2, 20)), 2)),
                      color="#1d2b64" if i % 2 else "#c81e1e", width=3.0) for i in range(n)]
    word = Word(tuple(strokes[:2]), Quad.from_rect(0, 0, 100, 100), text="hi")
    return Page(w, h, (word,), tuple(strokes[2:]) + (Stroke([[30, 30]], width=5.0),))


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(gzip.decompress(data))


def test_structure_gzip_fileversion_page_size_and_strokes():
    page = _page()
    root = _xml(xopp_bytes(page))
    assert root.tag == "xournal" and root.get("fileversion") == "4" and root.get("creator") == "InkLift"
    (p,) = root.findall("page")
    scale = A4_WIDTH_PT / page.width  # 1200 px is wider than A4 at 96 px/in: fitted to A4 width
    assert pt_per_px(page) == pytest.approx(scale)
    assert float(p.get("width")) == pytest.approx(A4_WIDTH_PT, abs=1e-3)
    assert float(p.get("height")) == pytest.approx(page.height * scale, abs=1e-3)
    bg = p.find("background")
    assert (bg.get("type"), bg.get("color"), bg.get("style")) == ("solid", "#ffffffff", "plain")
    strokes = p.findall("layer/stroke")
    assert len(strokes) == len(page.all_strokes())
    for el, s in zip(strokes, page.all_strokes()):
        assert el.get("tool") == "pen"
        assert re.fullmatch(r"#[0-9A-F]{8}", el.get("color")) and el.get("color") == s.color.upper() + "FF"
        assert float(el.get("width")) == pytest.approx(s.width * scale, abs=1e-3)
        vals = np.array(el.text.split(), float).reshape(-1, 2)
        assert len(vals) == max(2, len(s))  # one-point strokes get a twin point: Xournal++ drops singles
        assert np.allclose(vals[: len(s)], s.xy * scale, atol=1e-3)


def test_photo_layer_is_embedded_png_under_the_ink():
    page = _page(800, 600)
    photo = np.full((600, 800, 3), 230, np.uint8)
    p = _xml(xopp_bytes(page, photo)).find("page")
    layers = p.findall("layer")
    assert [layer.get("name") for layer in layers] == ["Photo", "Ink"]
    img = layers[0].find("image")
    assert float(img.get("right")) == pytest.approx(A4_WIDTH_PT, abs=1e-3)
    assert img.text.startswith("iVBORw0KGgo")  # base64 of the PNG signature


def test_scale_is_css_pixels_but_never_wider_than_a4():
    assert pt_per_px(Page(400, 100)) == 0.75  # a small crop keeps its natural size
    assert pt_per_px(Page(4000, 3000)) * 4000 == pytest.approx(A4_WIDTH_PT)
    assert pt_per_px(Page(400, 100), page_width_pt=800) == 2.0
    p = _xml(xopp_bytes(Page(400, 100), page_width_pt=800)).find("page")
    assert (p.get("width"), p.get("height")) == ("800", "200")


def test_needs_a_page():
    with pytest.raises(FormatError):
        xopp_bytes([])


def _pdf_pages(data: bytes) -> list[tuple[float, float]]:
    """MediaBox (w, h) of each page object of a PDF (cairo writes page dictionaries uncompressed;
    if a newer cairo packs them into object streams, look inside the deflated streams too)."""
    chunks = [data]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            chunks.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    boxes = []
    for chunk in chunks:
        for m in re.finditer(rb"/Type\s*/Page(?![a-zA-Z])(.*?)>>", chunk, re.DOTALL):
            box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", m.group(1))
            if box:
                x0, y0, x1, y1 = (float(v) for v in box.groups())
                boxes.append((x1 - x0, y1 - y0))
    return boxes


def _xournal(tmp_path, *args) -> None:
    exe = need_tool("xournalpp", "xournalpp")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    # --create-pdf/--create-img need no display at all; a private HOME keeps it off the user's settings
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local"), NO_AT_BRIDGE="1")
    proc = subprocess.run(["timeout", "60", exe, *map(str, args)], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _xournal_pdf(tmp_path, xopp) -> bytes:
    pdf = tmp_path / "out.pdf"
    _xournal(tmp_path, f"--create-pdf={pdf}", xopp)
    assert pdf.exists()
    return pdf.read_bytes()


def test_xournalpp_opens_a_multi_page_document(tmp_path):
    pages = [_page(1200, 900, 1), _page(600, 1600, 2), _page(1000, 1000, 3, n=8)]
    path = write_xopp(pages, tmp_path / "notes.xopp")
    boxes = _pdf_pages(_xournal_pdf(tmp_path, path))
    assert len(boxes) == 3
    for (w, h), page in zip(boxes, pages):
        k = pt_per_px(page)
        assert (w, h) == (pytest.approx(page.width * k, abs=0.01), pytest.approx(page.height * k, abs=0.01))


def test_xournalpp_draws_every_stroke_and_the_photo(tmp_path):
    page = _page(800, 600, 5, n=6)
    photo = np.zeros((600, 800, 3), np.uint8)
    photo[..., 1] = np.linspace(0, 255, 800, dtype=np.uint8)  # a gradient: compresses, yet not blank
    data = _xournal_pdf(tmp_path, write_xopp(page, tmp_path / "one.xopp", images=[photo]))
    content = b""
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            chunk = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        if chunk.isascii():  # page content streams are text; image data is not
            content += chunk
    assert len(re.findall(rb"\bS\b", content)) == len(page.all_strokes())  # one stroke-paint per stroke
    assert b"/Subtype /Image" in data


def test_xournalpp_draws_the_strokes_where_svg_and_our_rasteriser_do(tmp_path):
    """Xournal++'s own rendering of our .xopp, at the page's pixel size, against librsvg's rendering of our
    SVG of the same page (two independent renderers) and against inference.document.render."""
    rng = np.random.default_rng(11)
    strokes = []
    for _ in range(25):
        start = rng.uniform([60, 60], [740, 540])
        strokes.append(Stroke(start + np.cumsum(rng.normal(0, 5, (30, 2)), axis=0), color="#000000", width=8.0))
    page = Page(800, 600, (), tuple(strokes))
    png = tmp_path / "x.png"
    _xournal(tmp_path, f"--create-img={png}", "--export-png-width=800", write_xopp(page, tmp_path / "x.xopp"))
    xournal = 1.0 - cv2.imread(str(png), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0
    assert xournal.shape == (600, 800)
    rsvg = need_tool("rsvg-convert", "librsvg2-bin")
    svg_png = tmp_path / "s.png"
    subprocess.run([rsvg, "-b", "white", str(export_page(page, tmp_path / "s.svg")), "-o", str(svg_png)],
                   check=True, timeout=60)
    librsvg = 1.0 - cv2.imread(str(svg_png), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0
    ours = draw_strokes_mask(page.all_strokes(), 600, 800, supersample=4)

    def iou(a, b):
        return ((a > 0.5) & (b > 0.5)).sum() / ((a > 0.5) | (b > 0.5)).sum()

    assert (xournal > 0.5).sum() > 10000
    assert iou(xournal, librsvg) >= 0.98, iou(xournal, librsvg)
    assert iou(xournal, ours) >= 0.95, iou(xournal, ours)


def test_xournalpp_check_can_fail(tmp_path):
    """The check above is real: Xournal++ refuses a broken document."""
    bad = tmp_path / "bad.xopp"
    bad.write_bytes(gzip.compress(b"<xournal fileversion='4'><page>"))
    with pytest.raises(AssertionError):
        _xournal_pdf(tmp_path, bad)
