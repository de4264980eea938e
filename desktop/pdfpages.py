"""PDF files as notebook pages: each PDF page, rendered by the engine (inference.photo.pdf), becomes one page
that converts like a photo.

A page keeps its rendering as its "photo" bytes (not the whole PDF: a 50-page file would otherwise be stored
50 times in a project) and the PDF page's size in points, so a PDF export has the source's page size.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import cv2
import numpy as np

from inference.errors import FormatError
from inference.jobs import CancelToken, Progress

from .document import PageDoc, prepare_display

PDF_SUFFIX = ".pdf"
JPEG_QUALITY = 95  # a rendered scan: no visible loss, and the converter reads it as well as the original


def encode_rendering(rgb: np.ndarray) -> tuple[bytes, str]:
    """(bytes, suffix): PNG, lossless and small for vector pages and clean scans; JPEG when that is smaller
    (a photographed page embedded in the PDF, where PNG is several times larger)."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok_png, png = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    ok_jpg, jpg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not (ok_png and ok_jpg):
        raise FormatError("cannot encode a rendered PDF page")
    return (png.tobytes(), ".png") if png.size <= jpg.size else (jpg.tobytes(), ".jpg")


def load_pdf_pages(path: Path, token: CancelToken | None = None) -> Generator[Progress, None, list[PageDoc]]:
    """Job: one PageDoc per page of ``path``, in order, named ``<stem> p<N>``; a Progress per page so a long
    PDF shows how far it got and can be cancelled between pages. InputError for an unusable PDF."""
    from inference.photo.pdf import iter_pdf_pages, pdf_page_count

    n = pdf_page_count(path)  # opens the file once more, but gives the progress bar its length first
    pages: list[PageDoc] = []
    for rendered in iter_pdf_pages(path):
        if token is not None:
            token.raise_if_cancelled()
        k = rendered.index + 1
        yield Progress("import", rendered.index, n, f"Reading {path.name}: page {k} of {n}")
        rgb = rendered.image
        data, ext = encode_rendering(rgb)
        prepare_display(rgb)  # on the worker thread, as for photos
        pages.append(PageDoc(name=f"{path.stem} p{k}", photo=data, photo_ext=ext, image=rgb, photo_image=rgb,
                             source_path=str(path), pdf_size_pt=rendered.size_pt))
    return pages
