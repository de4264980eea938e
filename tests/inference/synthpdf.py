"""Generated handwriting PDFs and photos for the PDF and batch tests and ``benchmarks/bench_batch.py``: each
page is a synthetic photo of a handwritten page (:mod:`tests.inference.synthpage`) placed as a full-page
image, as a scanner or a note app would write it."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from tests.inference.synthpage import SynthPage, make_page

DPI = 150.0  # of the page images inside the generated PDFs


def handwriting_page(seed: int, size: tuple[int, int] = (900, 560), lines: int = 4) -> SynthPage:
    """A clean, upright, plain-paper page (the engine reads it well: these tests are about the plumbing)."""
    return make_page(np.random.default_rng(seed), paper="plain", perspective=False, rotation=0, shadow=False,
                     blur=0.0, noise=1.0, jpeg=0, n_lines=lines, page_size=size, line_spacing=size[0] / 9)


def write_photo(path: Path, sp: SynthPage) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(sp.image, cv2.COLOR_RGB2BGR))
    return path


def handwriting_pdf(path: Path, pages: list[SynthPage]) -> Path:
    """One PDF page per synthetic page, each page the size of its image at ``DPI``."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for sp in pages:
        h, w = sp.image.shape[:2]
        size = (w * 72.0 / DPI, h * 72.0 / DPI)
        c.setPageSize(size)
        ok, png = cv2.imencode(".png", cv2.cvtColor(sp.image, cv2.COLOR_RGB2BGR))
        assert ok
        c.drawImage(ImageReader(io.BytesIO(png.tobytes())), 0, 0, *size)
        c.showPage()
    c.save()
    path.write_bytes(buf.getvalue())
    return path
