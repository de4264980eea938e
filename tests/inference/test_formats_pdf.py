"""PDF export: vector ink that renders like our rasteriser (checked with poppler's pdftoppm), an invisible
text layer on each word that poppler's pdftotext and PDFium find in reading order, photo underlay, page
sizes, several pages in one file."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from inference.document.formats import EXPORTERS, export_page, pdf_document_bytes
from inference.document.formats.pdf import A4_PT, META_SIZE, page_size_pt
from inference.document.formats.png import render_page
from inference.document.ink import Page, Quad, Stroke, Word
from tests.inference.external_tools import need_tool


def _zigzag(x0: float, y0: float, w: float, h: float, n: int, color: str, width: float) -> Stroke:
    xs = np.linspace(x0, x0 + w, 2 * n + 1)
    ys = np.where(np.arange(len(xs)) % 2 == 0, y0 + h, y0)
    return Stroke(np.column_stack([xs, ys]), color=color, width=width)


def _word(text: str, x0: float, y0: float, w: float, h: float, color: str = "#1a1a1a",
          width: float = 3.0) -> Word:
    return Word((_zigzag(x0, y0, w, h, 3, color, width),), Quad.from_rect(x0, y0, x0 + w, y0 + h), text)


def _rotated_word(text: str, cx: float, cy: float, w: float, h: float, deg: float) -> Word:
    a = np.deg2rad(deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]) @ rot.T + [cx, cy]
    line = np.array([[-w / 2, 0], [w / 2, 0]]) @ rot.T + [cx, cy]
    return Word((Stroke(line, width=2.5),), Quad.from_array(corners), text)


def notes_page() -> Page:
    """Two lines of words in several colours and widths, a rotated word, non-Latin words and a dot."""
    words = [
        _word("lecture", 40, 40, 150, 40), _word("notes", 210, 40, 100, 40, "#203080", 4.0),
        _word("Monday", 330, 40, 130, 40, "#902030", 2.0),
        _word("matrix", 40, 130, 120, 40), _word("αβγ", 180, 130, 80, 40),
        _word("привет", 280, 130, 140, 40, "#205020", 5.0),
        _rotated_word("vector", 250, 250, 140, 40, -20.0),
    ]
    dot = Stroke([[470, 60]], color="#000000", width=6.0)
    return Page(520, 320, tuple(words), (dot,), image_path="notes.jpg")


def _pdftotext(pdf: bytes, tmp_path) -> str:
    exe = need_tool("pdftotext", "poppler-utils")
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    return subprocess.run([exe, str(path), "-"], capture_output=True, text=True, check=True, timeout=60).stdout


def _pdftoppm(pdf: bytes, tmp_path, width: int, height: int) -> np.ndarray:
    exe = need_tool("pdftoppm", "poppler-utils")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    subprocess.run([exe, "-png", "-singlefile", "-scale-to-x", str(width), "-scale-to-y", str(height),
                    str(path), str(tmp_path / "r")], check=True, timeout=60)
    return cv2.imread(str(tmp_path / "r.png"))[..., ::-1]


def test_text_layer_finds_every_word_in_reading_order(tmp_path):
    page = notes_page()
    text = _pdftotext(pdf_document_bytes([page]), tmp_path)
    assert text.split() == [w.text for w in page.words]


def test_each_word_sits_on_its_quad():
    page = notes_page()
    doc = pdfium.PdfDocument(pdf_document_bytes([page]))
    tp = doc[0].get_textpage()
    scale, _, h_pt = page_size_pt(page)
    for w in page.words:
        x0, y0, x1, y1 = w.quad.bounds()
        pad = 0.1 * (y1 - y0)
        found = tp.get_text_bounded(left=(x0 - pad) * scale, right=(x1 + pad) * scale,
                                    top=h_pt - (y0 - pad) * scale, bottom=h_pt - (y1 + pad) * scale)
        assert found.split() == [w.text], (w.text, found)
        # and the word's characters span its box: first char near its left end, last near its right end
        boxes = [tp.get_charbox(i) for i in range(tp.count_chars())]
        chars = tp.get_text_range()
        i = chars.index(w.text)
        if abs(w.quad.to_array()[1, 1] - w.quad.to_array()[0, 1]) < 1e-6:  # upright word
            assert abs(boxes[i][0] - x0 * scale) < 0.05 * (x1 - x0) * scale
            assert abs(boxes[i + len(w.text) - 1][2] - x1 * scale) < 0.05 * (x1 - x0) * scale
            assert abs(boxes[i][3] - (h_pt - y0 * scale)) < 0.35 * (y1 - y0) * scale  # top of the box


def test_ink_renders_like_our_rasteriser(tmp_path):
    page = notes_page()
    pdf = pdf_document_bytes([page])
    got = _pdftoppm(pdf, tmp_path, page.width, page.height).astype(np.float32)
    ref = render_page(page).astype(np.float32)
    ink_got, ink_ref = got.mean(axis=2) < 160, ref.mean(axis=2) < 160
    iou = (ink_got & ink_ref).sum() / (ink_got | ink_ref).sum()
    assert iou > 0.85, iou  # measured 0.92: the two anti-alias stroke edges differently
    assert abs(ink_got.sum() / ink_ref.sum() - 1) < 0.05  # same widths: as much ink in both
    # colours match where both have ink
    both = ink_got & ink_ref
    assert np.abs(got[both] - ref[both]).mean() < 25
    # the invisible text draws nothing: outside the ink the page is white
    far = cv2.dilate(ink_ref.astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
    assert got[far].min() >= 250


def test_photo_underlay_and_sizes(tmp_path):
    page = notes_page()
    photo = np.zeros((page.height, page.width, 3), np.uint8)
    photo[:] = (30, 160, 90)
    pdf = EXPORTERS["pdf"].to_bytes(page, photo)
    got = _pdftoppm(pdf, tmp_path, page.width, page.height)
    assert np.abs(got[300, 10].astype(int) - (30, 160, 90)).max() <= 8  # JPEG underlay shows
    doc = pdfium.PdfDocument(pdf)
    w, h = doc[0].get_size()
    assert w == pytest.approx(A4_PT[1], abs=0.01) and h == pytest.approx(page.height * w / page.width, abs=0.01)


def test_several_pages_keep_their_source_size_and_order(tmp_path):
    a = notes_page()
    tall = Page(300, 600, (_word("second", 20, 20, 200, 50),), meta={})
    src = Page(600, 400, (_word("third", 20, 20, 200, 50),), meta={META_SIZE: (300.0, 200.0)})
    data = pdf_document_bytes([a, tall, src])
    doc = pdfium.PdfDocument(data)
    assert len(doc) == 3
    sizes = [doc[i].get_size() for i in range(3)]
    assert sizes[1][1] == pytest.approx(A4_PT[1], abs=0.01) and sizes[1][0] == pytest.approx(A4_PT[1] / 2, abs=0.01)
    assert sizes[2] == pytest.approx((300.0, 200.0))
    assert [doc[i].get_textpage().get_text_range().split()[0] for i in range(3)] == ["lecture", "second", "third"]
    out = export_page(a, tmp_path / "one.pdf")  # format from the suffix, atomic write
    assert out.read_bytes().startswith(b"%PDF-") and not list(tmp_path.glob("*.part"))


def test_words_without_text_or_ink():
    empty = Page(100, 50, (Word((), Quad.from_rect(10, 10, 60, 30), ""),))
    doc = pdfium.PdfDocument(pdf_document_bytes([empty]))
    assert len(doc) == 1 and doc[0].get_textpage().get_text_range() == ""
