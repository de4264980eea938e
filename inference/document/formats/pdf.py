"""PDF export: one PDF page per page, the ink as vector paths (one path per stroke, in its own colour and
width, round caps and joins, as our rasteriser draws it), an optional photo underlay, and an invisible text
layer: each word's recognised text laid over its quad (stretched to its length, sized to its height, level:
see ``_word_text``) in text render mode 3, so a viewer's search and selection find the handwriting.

Why reportlab (not fpdf2): BSD-licensed (fpdf2 is LGPL-3, a burden in the frozen bundle), and its TrueType
subsetter writes a ToUnicode map for every character it is given. The text is never drawn, so a character
the embedded font (Bitstream Vera, shipped inside reportlab) has no glyph for is mapped to the font's
.notdef glyph: the text layer stays searchable in any script (Greek, Cyrillic, ...).

Page size: a page that came from a PDF keeps that page's size (``page.meta["pdf_size_pt"]``); any other
page is scaled to fit A4, portrait or landscape after its own shape.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from ...errors import FormatError
from ..ink import Page, Quad, Stroke
from ._io import atomic_write, file_name_only

A4_PT = (595.2756, 841.8898)
TEXT_FONT = "InkLift-Text"
META_SIZE = "pdf_size_pt"  # Page.meta key: (width, height) in points of the PDF page the page came from
UNDERLAY_JPEG_QUALITY = 85


@cache
def _text_font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(TEXT_FONT, "Vera.ttf")  # found on reportlab's own font path
    pdfmetrics.registerFont(font)
    return font


def _cover(font, text: str) -> None:
    """Characters the font lacks map to .notdef, so they are still written with their Unicode value."""
    face = font.face
    for ch in set(text):
        code = ord(ch)
        if code not in face.charToGlyph:
            face.charToGlyph[code] = 0
            face.charWidths[code] = face.defaultWidth


def page_size_pt(page: Page) -> tuple[float, float, float]:
    """(scale points per page pixel, width pt, height pt)."""
    size = page.meta.get(META_SIZE) if isinstance(page.meta, dict) else None
    if size is not None:
        w_pt, h_pt = float(size[0]), float(size[1])
        if w_pt > 0 and h_pt > 0:  # exactly the source's size (rendering rounded it to whole pixels)
            return min(w_pt / page.width, h_pt / page.height), w_pt, h_pt
    short, long_ = A4_PT
    box = (short, long_) if page.height >= page.width else (long_, short)
    s = min(box[0] / page.width, box[1] / page.height)
    return s, page.width * s, page.height * s


def _rgb(color: str):
    from reportlab.lib.colors import HexColor

    return HexColor(color)


def _draw_stroke(c, s: Stroke, to_pt) -> None:
    xy = to_pt(s.xy)
    width = s.width * to_pt.scale
    c.setStrokeColor(_rgb(s.color))
    c.setFillColor(_rgb(s.color))
    if len(xy) == 1 or np.ptp(xy, axis=0).max() == 0:  # a dot: a disc as wide as the pen
        c.circle(float(xy[0, 0]), float(xy[0, 1]), width / 2.0, stroke=0, fill=1)
        return
    c.setLineWidth(width)
    path = c.beginPath()
    path.moveTo(float(xy[0, 0]), float(xy[0, 1]))
    for x, y in xy[1:].tolist():
        path.lineTo(x, y)
    c.drawPath(path, stroke=1, fill=0)


def _word_text(c, quad: Quad, text: str, to_pt) -> None:
    """``text`` invisible over ``quad``: along the quad's reading direction snapped to a quarter turn, from
    its left end to its right end, baseline and ascent at the bottom and top of the quad's extent.

    Why snapped: poppler's text extraction (pdftotext, Evince, Okular) breaks words rotated by 5 degrees or
    more into single letters out of order (measured: 0-2 degrees read whole, 5-45 degrees do not), so a
    slanted word is written level over the box that holds it; search then finds it in every viewer."""
    from reportlab.pdfbase import pdfmetrics

    corners = to_pt(quad.to_array())  # TL, TR, BR, BL in PDF points (y up)
    tl, tr, br, bl = corners
    u = ((tr - tl) + (br - bl)) / 2.0  # reading direction
    if float(np.hypot(*u)) < 1e-3:
        return
    quarter = round(float(np.arctan2(u[1], u[0])) / (np.pi / 2)) % 4
    ux, uy = ((1, 0), (0, 1), (-1, 0), (0, -1))[quarter]
    nx, ny = -uy, ux  # "up" for the text
    along, across = corners @ np.array([ux, uy]), corners @ np.array([nx, ny])
    length, height = float(np.ptp(along)), float(np.ptp(across))
    if length < 1e-3:
        return
    font = _text_font()
    _cover(font, text)
    ascent, descent = pdfmetrics.getAscentDescent(TEXT_FONT, 1000)
    size = max(height, 1.0) / max((ascent - descent) / 1000.0, 1e-3)
    natural = pdfmetrics.stringWidth(text, TEXT_FONT, size)
    if natural <= 0:
        return
    base = float(across.min()) - descent / 1000.0 * size  # descent is negative: the baseline sits above
    start = float(along.min())
    ox, oy = start * ux + base * nx, start * uy + base * ny
    t = c.beginText()
    t.setTextRenderMode(3)  # neither fill nor stroke: invisible, but searchable and selectable
    t.setFont(TEXT_FONT, size)
    t.setTextTransform(ux, uy, -uy, ux, ox, oy)
    t.setHorizScale(100.0 * length / natural)
    # a space after every word (beyond its box): words whose boxes touch still come out as two words
    t.textOut(text + " ")
    c.drawText(t)


class _ToPoints:
    """Page pixels (y down) -> PDF points (y up)."""

    def __init__(self, scale: float, height_pt: float) -> None:
        self.scale, self.height = scale, height_pt

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        a = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return np.column_stack([a[:, 0] * self.scale, self.height - a[:, 1] * self.scale])


def _underlay(c, image: np.ndarray, page: Page, w_pt: float, h_pt: float) -> None:
    from reportlab.lib.utils import ImageReader

    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = np.ascontiguousarray(img[..., :3])
    if img.shape[:2] != (page.height, page.width):
        img = cv2.resize(img, (page.width, page.height), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, UNDERLAY_JPEG_QUALITY])
    if not ok:
        raise FormatError("cannot encode the photo underlay")
    c.drawImage(ImageReader(io.BytesIO(buf.tobytes())), 0, 0, w_pt, h_pt)


def pdf_document_bytes(pages: Sequence[Page], images: Sequence[np.ndarray | None] | None = None,
                       title: str | None = None) -> bytes:
    """A PDF with one page per ``pages`` entry; ``images`` (same length, entries may be None) are photo
    underlays (RGB uint8 of each page)."""
    from reportlab.pdfgen import canvas

    if not pages:
        raise FormatError("a PDF needs at least one page")
    images = list(images) if images is not None else [None] * len(pages)
    if len(images) != len(pages):
        raise FormatError(f"{len(pages)} pages but {len(images)} underlay images")
    buf = io.BytesIO()
    # invariant: no creation time or random file ID, so the same page gives the same bytes (as every
    # other exporter does; batch resume and tests compare files)
    c = canvas.Canvas(buf, pageCompression=1, invariant=1)
    c.setCreator("InkLift")
    name = file_name_only(pages[0].image_path)  # never the photo's folder (a privacy leak when shared)
    c.setTitle(title or (Path(name).stem if name else "InkLift notes"))
    for page, image in zip(pages, images):
        scale, w_pt, h_pt = page_size_pt(page)
        c.setPageSize((w_pt, h_pt))
        to_pt = _ToPoints(scale, h_pt)
        if image is not None:
            _underlay(c, image, page, w_pt, h_pt)
        c.setLineCap(1)
        c.setLineJoin(1)
        for s in page.all_strokes():
            _draw_stroke(c, s, to_pt)
        for w in page.words:  # reading order: a viewer's text extraction follows it
            text = w.text.strip()
            if text:
                _word_text(c, w.quad, text, to_pt)
        c.showPage()
    c.save()
    return buf.getvalue()


def pdf_bytes(page: Page, image: np.ndarray | None = None) -> bytes:
    """One page (the ``Exporter.to_bytes`` signature)."""
    return pdf_document_bytes([page], [image])


def write_pdf(pages: Page | Sequence[Page], path: str | os.PathLike,
              images: Sequence[np.ndarray | None] | None = None) -> Path:
    pages = [pages] if isinstance(pages, Page) else list(pages)
    return atomic_write(path, pdf_document_bytes(pages, images))


__all__ = ["META_SIZE", "page_size_pt", "pdf_bytes", "pdf_document_bytes", "write_pdf"]
