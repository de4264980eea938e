"""inference.photo.pdf: every page of a PDF becomes an image, bounded like photos, with clear errors for
encrypted, corrupt, empty and non-PDF input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from inference.errors import InputError
from inference.photo.pdf import (
    iter_pdf_pages,
    open_pdf,
    pdf_page_bytes,
    pdf_page_count,
    render_pdf_page,
)


def make_pdf(sizes: list[tuple[float, float]], encrypt: str | None = None) -> bytes:
    """One page per size (points); page i has a black square whose side is 10 * (i + 1) pt at (20, 20)
    from the top-left, so a test can tell the pages apart and check their orientation."""
    buf = io.BytesIO()
    kw = {"encrypt": StandardEncryption(encrypt, canPrint=0)} if encrypt else {}
    c = canvas.Canvas(buf, pagesize=sizes[0], **kw)
    for i, (w, h) in enumerate(sizes):
        c.setPageSize((w, h))
        side = 10.0 * (i + 1)
        c.rect(20, h - 20 - side, side, side, stroke=0, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


def _dark_box(img: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(img.min(axis=2) < 128)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_every_page_in_order_at_the_requested_resolution(tmp_path):
    path = tmp_path / "three.pdf"
    path.write_bytes(make_pdf([(300, 200), (200, 300), (144, 72)]))
    assert pdf_page_count(path) == 3
    pages = list(iter_pdf_pages(path, dpi=144))  # 2 px per point
    assert [p.index for p in pages] == [0, 1, 2]
    assert [p.size_pt for p in pages] == [(300, 200), (200, 300), (144, 72)]
    for p in pages:
        w, h = p.size_pt
        assert p.image.dtype == np.uint8 and p.image.shape == (round(2 * h), round(2 * w), 3)
        x0, y0, x1, y1 = _dark_box(p.image)
        side = 2 * 10 * (p.index + 1)
        assert abs(x0 - 40) <= 1 and abs(y0 - 40) <= 1  # top-left stays top-left (no flip)
        assert abs((x1 - x0) - side) <= 1 and abs((y1 - y0) - side) <= 1
        assert p.image[-1, -1].tolist() == [255, 255, 255]


def test_size_is_bounded_like_photos():
    poster = make_pdf([(72 * 200, 72 * 100)])  # 200 x 100 inches
    img = render_pdf_page(poster, 0, dpi=300, max_side=1000).image
    assert max(img.shape[:2]) <= 1000 and img.shape[1] == 1000 and img.shape[0] == 500


def test_single_page_extract_is_that_page():
    data = make_pdf([(300, 200), (200, 300)])
    one = pdf_page_bytes(data, 1)
    assert pdf_page_count(one) == 1
    a, b = render_pdf_page(one, 0, dpi=72).image, render_pdf_page(data, 1, dpi=72).image
    assert a.shape == b.shape and np.array_equal(a, b)


@pytest.mark.parametrize("data, phrase", [
    (b"", "empty"),
    (b"%PDF-1.7\n%garbage that is not a PDF body\n", "corrupt"),
    (b"\x89PNG\r\n\x1a\n not really", "not a PDF"),
])
def test_bad_files_say_what_is_wrong(tmp_path, data, phrase):
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    with pytest.raises(InputError, match=phrase) as err:
        pdf_page_count(path)
    assert str(path) in str(err.value)


def test_truncated_pdf_is_refused(tmp_path):
    data = make_pdf([(300, 200)] * 3)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="corrupt|no pages"):
        list(iter_pdf_pages(path))


def test_encrypted_pdf_names_the_password(tmp_path):
    path = tmp_path / "secret.pdf"
    path.write_bytes(make_pdf([(300, 200)], encrypt="s3cret"))
    with pytest.raises(InputError, match="encrypted"):
        pdf_page_count(path)
    with open_pdf(path, password="s3cret") as doc:  # the right password opens it
        assert len(doc) == 1


def test_missing_file_and_bad_page_number(tmp_path):
    with pytest.raises(InputError, match="not found"):
        pdf_page_count(tmp_path / "nope.pdf")
    with pytest.raises(InputError, match="no page 3"):
        render_pdf_page(make_pdf([(100, 100)] * 2), 2)
