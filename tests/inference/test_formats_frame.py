"""InkML in the source photo's frame (through Page.meta["to_source"]), the page frame on request, and no
folder names in any export."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from lxml import etree

from inference.document.formats import EXPORTERS, export_page, inkml_bytes, read_inkml, read_svg, svg_bytes
from inference.document.ink import Page, Quad, Stroke, Word
from inference.document.transforms import Transform
from inference.errors import FormatError

from .test_formats_inkml import XSD

NS = {"i": "http://www.w3.org/2003/InkML"}
I = "{http://www.w3.org/2003/InkML}"


def _to_source() -> Transform:
    # page px -> photo px as the engine builds it: undo a quarter turn, undo the rectification (a perspective
    # warp), then back to the file's pixels from a 2048-px working copy (x 1.7)
    persp = Transform(np.array([[0.9, 0.05, 40.0], [-0.03, 1.1, 25.0], [1e-5, -2e-5, 1.0]]))
    return Transform.rotate90(3, 600, 800).then(persp).then(Transform.scale(1.7))


def _page(meta: dict | None = None, image_path: str | None = "IMG_0042.jpg") -> Page:
    rng = np.random.default_rng(3)

    def stroke(n, width=2.5):
        pts = np.column_stack([rng.uniform(0, 600, n), rng.uniform(0, 800, n), np.arange(n) * 10.0])
        return Stroke(pts.astype(np.float32), width=width)

    words = (Word((stroke(20), stroke(7)), Quad.from_rect(10, 20, 200, 80), text="hello", confidence=0.9),
             Word((stroke(12, 3.0),), Quad.from_rect(220, 20, 400, 90), text="world", confidence=0.4,
                  needs_review=True))
    meta = {"to_source": _to_source().matrix.tolist(), "source_size": [2400, 1900]} if meta is None else meta
    return Page(600, 800, words, (stroke(9, 4.0),), image_path, meta)


def _traces(data: bytes) -> list[np.ndarray]:
    root = etree.fromstring(data)
    return [np.array([[float(v) for v in p.split()] for p in t.text.split(",")])[:, :2]
            for t in root.iter(I + "trace")]


def _annotation(data: bytes, name: str) -> str | None:
    root = etree.fromstring(data)
    for a in root.findall("i:annotation", NS):
        if a.get("type") == name:
            return a.text
    return None


def test_exports_write_the_source_frame_and_it_lands_on_the_photo(tmp_path):
    page = _page()
    data = export_page(page, tmp_path / "p.inkml").read_bytes()  # what the CLI and the GUI's export call
    tf = _to_source()
    expect = [tf.apply(s.xy) for s in page.all_strokes()]
    got = _traces(data)
    assert len(got) == len(expect)
    for g, e in zip(got, expect):
        assert np.abs(g - e).max() < 1e-2  # float32 text of photo px
    assert _annotation(data, "inklift:frame") == "source"
    root = etree.fromstring(data)
    area = root.find(".//i:activeArea", NS)
    assert (float(area.get("width")), float(area.get("height"))) == (2400.0, 1900.0)
    quad = np.array([float(v) for v in root.find("i:traceGroup/i:annotation[@type='inklift:quad']", NS)
                     .text.split()]).reshape(4, 2)
    assert np.allclose(quad, tf.apply(page.words[0].quad.to_array()), atol=1e-6)
    # brush widths in photo px: the pen is ~1.7x wider on the file than on the page
    widths = sorted(float(b.get("value")) for b in root.iter(I + "brushProperty")
                    if b.get("name") == "width")
    assert 1.5 * 2.5 < widths[0] < 2.0 * 2.5


def test_source_frame_reads_back_onto_the_page():
    page = _page()
    back = read_inkml(inkml_bytes(page, "source"))
    assert back.meta == page.meta
    assert len(back.words) == len(page.words)
    for wa, wb in zip(page.words, back.words):
        assert np.allclose(wa.quad.to_array(), wb.quad.to_array(), atol=1e-6)
        assert (wa.text, wa.confidence, wa.needs_review) == (wb.text, wb.confidence, wb.needs_review)
        for sa, sb in zip(wa.strokes, wb.strokes):
            assert np.abs(sa.points - sb.points).max() < 1e-3
            assert sb.width == pytest.approx(sa.width, rel=1e-6)


def test_page_frame_on_request_is_exact_and_says_so(tmp_path):
    page = _page()
    data = inkml_bytes(page)  # the writer's default: projects keep pages exactly
    assert data == export_page(page, tmp_path / "p.inkml", frame="page").read_bytes()
    assert _annotation(data, "inklift:frame") == "page"
    assert _annotation(data, "inklift:pageToFrame") is None
    for g, s in zip(_traces(data), page.all_strokes()):
        assert np.array_equal(g.astype(np.float32), s.xy)
    assert read_inkml(data) == page


def test_a_page_without_its_photo_transform_is_written_in_its_own_frame():
    page = _page(meta={"layout": "page"})
    data = inkml_bytes(page, "source")  # nothing to map with: the file says "page"
    assert _annotation(data, "inklift:frame") == "page"
    assert read_inkml(data) == page
    with pytest.raises(FormatError):
        inkml_bytes(page, frame="photo")


@pytest.mark.skipif(not XSD.exists(), reason="W3C InkML schema not found (needs the shared/ folder)")
def test_source_frame_file_is_valid_inkml():
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.fromstring(inkml_bytes(_page(), "source"))), schema.error_log


@pytest.mark.parametrize("matrix", ["1 0 0 0 1 0 0 0 0", "1 0 0 0 1", "1 0 nan 0 1 0 0 0 1", "a b c"])
def test_a_broken_transform_is_refused(matrix):
    data = inkml_bytes(_page(), "source")
    root = etree.fromstring(data)
    for a in root.findall("i:annotation", NS):
        if a.get("type") == "inklift:pageToFrame":
            a.text = matrix
    with pytest.raises(FormatError):
        read_inkml(etree.tostring(root))


@pytest.mark.parametrize("path", ["/home/alice/clients/acme corp/IMG_0042.jpg",
                                  "C:\\Users\\alice\\Pictures\\IMG_0042.jpg",
                                  "file:///home/alice/IMG_0042.jpg", "IMG_0042.jpg"])
def test_no_export_names_the_photos_folder(tmp_path, path):
    page = _page(image_path=path)
    image = np.full((800, 600, 3), 250, np.uint8)
    for fmt, ex in EXPORTERS.items():
        out = export_page(page, tmp_path / f"p{ex.suffix}", fmt, image=image)
        data = out.read_bytes()
        if fmt == "xopp":
            data = gzip.decompress(data)
        assert b"alice" not in data and b"Users" not in data and b"home" not in data, fmt
    assert read_inkml(tmp_path / "p.inkml").image_path == "IMG_0042.jpg"
    assert read_svg(b'<?xml version="1.0"?>\n' + svg_bytes(page)).image_path == "IMG_0042.jpg"
