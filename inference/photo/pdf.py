"""PDF pages as photos: every page of a PDF is rendered (pypdfium2, PDFium's own renderer) into an RGB image
that the rest of the engine treats like a photo.

Bounds (why): a PDF page can claim any size (a 200-inch poster, a 1-pt sliver) and a file any number of
pages. Each page is rendered at ``dpi`` but never with a side longer than ``max_side`` (the photo loader's
working size, so nothing is rendered that the engine would shrink again), and files with more than
``MAX_PAGES`` pages are refused before any page is rendered. Encrypted, corrupt and empty files raise
:class:`InputError` with a message meant for people.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .load import MAX_FILE_BYTES, WORK_MAX_SIDE

PDF_SUFFIXES = frozenset({".pdf"})
RENDER_DPI = 200.0  # enough for handwriting; the working copy is capped at max_side anyway
MAX_PAGES = 2000
POINTS_PER_INCH = 72.0

# PDFium's FPDF_GetLastError codes (fpdfview.h)
_ERR_FILE, _ERR_FORMAT, _ERR_PASSWORD, _ERR_SECURITY = 2, 3, 4, 5


@dataclass(frozen=True, eq=False)
class PdfPageImage:
    image: np.ndarray  # RGB uint8, the page as displayed (its /Rotate applied), white under transparency
    index: int  # 0-based page number
    size_pt: tuple[float, float]  # (width, height) of the displayed page in PDF points


Source = str | os.PathLike | bytes


def is_pdf(path: str | os.PathLike) -> bool:
    """True for a ``.pdf`` suffix or a file that starts like a PDF (``%PDF-`` in its first KiB)."""
    path = Path(path)
    if path.suffix.lower() in PDF_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            return b"%PDF-" in fh.read(1024)
    except OSError:
        return False


def _name(source: Source) -> str:
    return "PDF data" if isinstance(source, (bytes, bytearray)) else str(source)


def _read(source: Source) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{path}: file not found" if not path.exists() else f"{path}: not a file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: file is {size / 1e6:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MiB limit")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


@contextmanager
def open_pdf(source: Source, password: str | None = None) -> Iterator[object]:
    """A ``pypdfium2.PdfDocument`` (closed on exit); InputError for anything that is not a readable PDF."""
    import pypdfium2 as pdfium  # lazy: only PDF inputs need PDFium

    name = _name(source)
    data = _read(source)
    if not data:
        raise InputError(f"{name}: the file is empty (0 bytes)")
    try:
        doc = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (_ERR_PASSWORD, _ERR_SECURITY):
            raise InputError(f"{name}: the PDF is encrypted (password protected); remove the password "
                             "and convert it again") from None
        if code == _ERR_FORMAT:
            raise InputError(f"{name}: not a PDF, or a corrupt or truncated one") from None
        raise InputError(f"{name}: the PDF cannot be opened ({exc})") from None
    try:
        n = len(doc)
        if n == 0:
            raise InputError(f"{name}: the PDF has no pages")
        if n > MAX_PAGES:
            raise InputError(f"{name}: the PDF has {n} pages, more than the {MAX_PAGES}-page limit")
        yield doc
    finally:
        doc.close()


def pdf_page_count(source: Source) -> int:
    with open_pdf(source) as doc:
        return len(doc)


def _render(doc, index: int, name: str, dpi: float, max_side: int) -> PdfPageImage:
    import pypdfium2 as pdfium

    page = doc[index]
    try:
        w_pt, h_pt = page.get_size()  # already as displayed (PDFium applies /Rotate)
        if not (w_pt > 0 and h_pt > 0 and np.isfinite(w_pt) and np.isfinite(h_pt)):
            raise InputError(f"{name}: page {index + 1} has no area ({w_pt} x {h_pt} pt)")
        scale = min(dpi / POINTS_PER_INCH, max_side / max(w_pt, h_pt))
        try:
            bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255), rev_byteorder=True)
        except pdfium.PdfiumError as exc:
            raise InputError(f"{name}: page {index + 1} cannot be rendered ({exc})") from None
        arr = np.asarray(bitmap.to_numpy())
        rgb = np.ascontiguousarray(arr[..., :3]) if arr.ndim == 3 else np.repeat(arr[..., None], 3, axis=2)
        if rgb.shape[0] == 0 or rgb.shape[1] == 0:
            raise InputError(f"{name}: page {index + 1} renders to an empty image")
        return PdfPageImage(rgb, index, (float(w_pt), float(h_pt)))
    finally:
        page.close()


def render_pdf_page(source: Source, index: int, dpi: float = RENDER_DPI,
                    max_side: int = WORK_MAX_SIDE) -> PdfPageImage:
    """Page ``index`` (0-based) of a PDF as an RGB image, longest side at most ``max_side`` px."""
    with open_pdf(source) as doc:
        if not 0 <= index < len(doc):
            raise InputError(f"{_name(source)}: has {len(doc)} pages, there is no page {index + 1}")
        return _render(doc, index, _name(source), dpi, max_side)


def iter_pdf_pages(source: Source, dpi: float = RENDER_DPI,
                   max_side: int = WORK_MAX_SIDE) -> Iterator[PdfPageImage]:
    """Every page in order, rendered one at a time (memory holds one page's pixels)."""
    with open_pdf(source) as doc:
        for i in range(len(doc)):
            yield _render(doc, i, _name(source), dpi, max_side)


def pdf_page_bytes(source: Source, index: int) -> bytes:
    """Page ``index`` alone as a small PDF (what a cluster worker is sent instead of the whole file)."""
    import pypdfium2 as pdfium

    with open_pdf(source) as doc:
        if not 0 <= index < len(doc):
            raise InputError(f"{_name(source)}: has {len(doc)} pages, there is no page {index + 1}")
        single = pdfium.PdfDocument.new()
        try:
            single.import_pages(doc, [index])
            buf = io.BytesIO()
            single.save(buf)
            return buf.getvalue()
        finally:
            single.close()
