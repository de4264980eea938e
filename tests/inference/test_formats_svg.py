"""SVG export: structure, searchable text, photo layer, re-import, and conformance with a real renderer
(librsvg's ``rsvg-convert``) against our own rasteriser."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest
from lxml import etree

from inference.document.formats.svg import read_svg, svg_bytes, write_svg
from inference.document.ink import InkSource, Page, Quad, Stroke, Word
from inference.document.render import draw_strokes_mask
from inference.errors import FormatError

from .external_tools import need_tool

SVG = "{http://www.w3.org/2000/svg}"


def _scribbles(rng, n, width, color="#000000", size=(800, 600)):
    out = []
    for _ in range(n):
        start = rng.uniform([60, 60], [size[0] - 60, size[1] - 60])
        pts = np.clip(start + np.cumsum(rng.normal(0, 5, (30, 2)), axis=0), 5, [size[0] - 5, size[1] - 5])
        out.append(Stroke(pts, color=color, width=width))
    return out


def sample_page() -> Page:
    rng = np.random.default_rng(4)
    s = _scribbles(rng, 6, 3.0, "#1d2b64")
    words = (Word(tuple(s[:3]), Quad.from_rect(40, 40, 400, 200), text="hello & <world>", confidence=0.9,
                  source=InkSource.MODEL, fidelity=0.71, needs_review=True),
             Word((s[3], Stroke([[500, 500, 0]], width=4.0)), Quad.from_rect(450, 450, 600, 560), text="",
                  source=InkSource.USER, reviewed=True))
    return Page(800, 600, words, tuple(s[4:]), image_path="photo.jpg")


def _tree(data: bytes):
    return etree.fromstring(data)


def test_structure_one_path_per_stroke_with_round_style():
    page = sample_page()
    root = _tree(svg_bytes(page))
    assert root.get("viewBox") == "0 0 800 600"
    paths = root.findall(f".//{SVG}path")
    assert len(paths) == len(page.all_strokes())
    for p, s in zip(paths, page.all_strokes()):
        assert p.get("fill") == "none"
        assert p.get("stroke-linecap") == "round" and p.get("stroke-linejoin") == "round"
        assert p.get("stroke") == s.color and float(p.get("stroke-width")) == s.width
    words = root.findall(f".//{SVG}g[@class='word']")
    assert len(words) == 2
    assert words[0].find(f"{SVG}title").text == "hello & <world>"
    assert root.find(f".//{SVG}g[@id='photo']") is None  # no photo given, no photo layer


def test_text_layer_is_searchable_but_invisible():
    root = _tree(svg_bytes(sample_page()))
    layer = root.find(f".//{SVG}g[@id='text']")
    assert layer.get("fill-opacity") == "0"
    assert [t.text for t in layer.iter(f"{SVG}text")] == ["hello & <world>"]


def test_photo_underlay_is_a_separate_layer_below_the_ink(tmp_path):
    page = sample_page()
    photo = np.zeros((300, 400, 3), np.uint8)
    photo[..., 0] = 220  # reddish paper, half the page's resolution
    path = write_svg(page, tmp_path / "p.svg", image=photo)
    root = etree.parse(str(path)).getroot()
    groups = [g.get("id") for g in root if g.tag == f"{SVG}g"]
    assert groups.index("photo") < groups.index("ink")
    href = root.find(f".//{SVG}image").get("{http://www.w3.org/1999/xlink}href")
    assert href.startswith("data:image/jpeg;base64,")
    rsvg = need_tool("rsvg-convert", "librsvg2-bin")
    out = tmp_path / "p.png"
    subprocess.run([rsvg, str(path), "-o", str(out)], check=True, timeout=60)
    img = cv2.imread(str(out))[..., ::-1]
    assert img.shape[:2] == (600, 800)
    r, g, b = img[5, 5].astype(int)  # a corner without ink shows the photo
    assert r > 180 and g < 40 and b < 40


def test_reimport_of_our_svg_is_exact():
    page = sample_page()
    back = read_svg(svg_bytes(page))
    assert back == page
    erased = Page(64, 64, (Word((), Quad.from_rect(1, 2, 30, 40), text="gone"),), (Stroke([[3, 3]]),))
    assert read_svg(svg_bytes(erased)) == erased


def test_svg_reader_refuses_hostile_and_foreign_input():
    with pytest.raises(FormatError, match="entit"):
        read_svg(b'<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                 b'<svg xmlns="http://www.w3.org/2000/svg"><title>&b;</title></svg>')
    with pytest.raises(FormatError, match="curves"):
        read_svg(b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 C 1 1 2 2 3 3"/></svg>')
    with pytest.raises(FormatError):
        read_svg(b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0 L nan 3"/></svg>')
    with pytest.raises(FormatError, match="no strokes"):
        read_svg(b'<svg xmlns="http://www.w3.org/2000/svg"/>')


def _rsvg_darkness(tmp_path, page: Page) -> np.ndarray:
    rsvg = need_tool("rsvg-convert", "librsvg2-bin")
    src, out = tmp_path / "x.svg", tmp_path / "x.png"
    write_svg(page, src)
    subprocess.run([rsvg, "-b", "white", str(src), "-o", str(out)], check=True, timeout=60)
    img = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE)
    assert img.shape == (page.height, page.width)
    return 1.0 - img.astype(np.float32) / 255.0


@pytest.mark.parametrize("width", [6.0, 8.0])
def test_rsvg_rendering_matches_our_rasteriser(tmp_path, width):
    rng = np.random.default_rng(int(width))
    page = Page(800, 600, (), tuple(_scribbles(rng, 30, width)))
    theirs = _rsvg_darkness(tmp_path, page) > 0.5
    ours = draw_strokes_mask(page.all_strokes(), page.height, page.width, supersample=4) > 0.5
    iou = (theirs & ours).sum() / (theirs | ours).sum()
    assert theirs.sum() > 5000  # there is ink to compare
    assert iou >= 0.95, f"IoU {iou:.3f}"


@pytest.mark.parametrize("width", [1.5, 3.0, 8.0])
def test_rsvg_draws_exactly_the_stroke_width(tmp_path, width):
    """Our paths are what they say: a horizontal line's ink across its width sums to the stroke width."""
    page = Page(100, 60, (), (Stroke([[10, 30.3], [90, 30.3]], width=width, color="#000000"),))
    dark = _rsvg_darkness(tmp_path, page)
    assert dark[:, 50].sum() == pytest.approx(width, abs=0.05)
    assert dark[:, 3].sum() == pytest.approx(0, abs=0.01)  # nothing left of the round cap


def test_dot_strokes_render(tmp_path):
    page = Page(40, 40, (), (Stroke([[20, 20]], width=6.0, color="#000000"),))
    dark = _rsvg_darkness(tmp_path, page)
    assert dark[20, 20] > 0.9 and dark.sum() == pytest.approx(np.pi * 9, rel=0.15)
