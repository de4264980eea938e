"""Drawings: ink that no word box covers (diagrams, arrows, sketches, underlines) as regions to trace.

The page's ink mask (already without the paper's ruling, see segment.page_ink_mask) minus the
(slightly grown) word boxes, cleaned of specks and hairlines, grouped into regions by proximity. Regions
that are not pen strokes are left out: slivers along the image's border (a table edge, the sheet's shadow,
the sheet's own edge just inside a loosely cropped photo),
hairlines (bits of grid or ruling), and blobs far thicker than a pen (the rim of a cup, a shadow: the ink map sees only the edge of a large
dark area, a band as wide as its smoothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .inkmask import stroke_width
from .page import PageImage
from .segment import RULING_MAX_DARKNESS, Segmentation, page_ink_mask


@dataclass(frozen=True, eq=False)
class DrawingRegion:
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 in page px
    mask: np.ndarray  # bool, shape (y1 - y0, x1 - x0) (integer bbox): the region's ink
    ink_pixels: int
    pen_px: float = 0.0  # typical stroke width: 2 x area / outline length (a long stroke's width)


MAX_PEN_SIDE = 0.012  # no pen draws lines thicker than this share of the page's short side
MAX_PEN_RATIO = 5.0  # ... or this many times the words' pen (a marker heading over ballpoint notes is ~4x)
MIN_PEN_RATIO = 0.5  # hairlines thinner than half the words' pen are paper (grid, ruling, fibres) ...
MIN_PEN_PX = 1.3  # ... or, with no words to tell the pen, thinner than this
BORDER_SLIVER = 0.05  # a region within this share of the side from the image's border, along it: an edge
SHEET_EDGE_RATIO = 4.0  # ... also when it does not touch the border but runs along it, this many times longer than wide


def find_drawings(
    page: PageImage,
    seg: Segmentation,
    min_ink_px: int | None = None,
    grow_px: float | None = None,
    pen_px: float | None = None,
) -> list[DrawingRegion]:
    """Regions of uncovered ink, largest first. ``pen_px``: the words' pen width, when known."""
    ink = seg.ink if seg.ink is not None else page_ink_mask(page)
    h, w = ink.shape
    if not ink.any():
        return []
    heights = [np.ptp(wb.quad[:, 1]) for wb in seg.words]
    unit = float(np.median(heights)) if heights else max(8.0, min(h, w) / 60.0)
    grow = grow_px if grow_px is not None else max(2.0, 0.15 * unit)
    covered = np.zeros((h, w), np.uint8)
    for wb in seg.words:
        c = wb.quad.mean(axis=0)
        q = c + (wb.quad - c) * 1.0 + np.sign(wb.quad - c) * grow
        cv2.fillPoly(covered, [np.round(q - 0.5).astype(np.int32)], 1)
    rest = ink & (covered == 0)
    if not rest.any():
        return []
    # group nearby strokes of one sketch: dilate by about a word height before labelling
    k = max(3, int(unit)) | 1
    grouped = cv2.dilate(rest.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    min_px = min_ink_px if min_ink_px is not None else max(20, int(0.02 * unit * unit))
    max_pen = MAX_PEN_SIDE * min(h, w)
    min_pen = MIN_PEN_RATIO * pen_px if pen_px else MIN_PEN_PX
    if pen_px:
        max_pen = min(max_pen, max(6.0, MAX_PEN_RATIO * pen_px))
    out = []
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        sub = (lab[y:y + bh, x:x + bw] == i) & rest[y:y + bh, x:x + bw]
        cnt = int(sub.sum())
        if cnt < min_px:
            continue
        ys, xs = np.nonzero(sub)
        x0, x1, y0, y1 = x + xs.min(), x + xs.max() + 1, y + ys.min(), y + ys.max() + 1
        if min(x1 - x0, y1 - y0) <= 2:
            continue  # a hairline: a fragment of faint ruling, not a pen stroke
        if _is_ruling_piece(page, sub, x, y, x0, y0, x1, y1):
            continue
        if _is_frame(x0, y0, x1, y1, w, h) or _is_border_sliver(x0, y0, x1, y1, w, h) \
                or _is_sheet_edge(x0, y0, x1, y1, w, h):
            continue
        mask = rest[y0:y1, x0:x1] & (lab[y0:y1, x0:x1] == i)
        pen = stroke_width(mask)
        if not min_pen <= pen <= max_pen:
            continue
        out.append(DrawingRegion(bbox=(float(x0), float(y0), float(x1), float(y1)), mask=mask, ink_pixels=cnt,
                                 pen_px=pen))
    out.sort(key=lambda d: -d.ink_pixels)
    return out


def _is_frame(x0, y0, x1, y1, w: int, h: int) -> bool:
    """Dark surroundings the page did not crop away (a whiteboard's frame, a table edge): ink along a
    page border for more than 60% of its length."""
    e = 2
    if (y0 <= e or y1 >= h - e) and (x1 - x0) > 0.6 * w:
        return True
    return bool((x0 <= e or x1 >= w - e) and (y1 - y0) > 0.6 * h)


def _in_border_band(x0, y0, x1, y1, w: int, h: int) -> tuple[bool, bool, bool, bool]:
    """Whether the box lies wholly within the band (BORDER_SLIVER of the image) along the left, right, top
    and bottom border."""
    dx, dy = BORDER_SLIVER * w, BORDER_SLIVER * h
    return x1 <= dx, x0 >= w - dx, y1 <= dy, y0 >= h - dy


def _is_border_sliver(x0, y0, x1, y1, w: int, h: int) -> bool:
    """Ink touching the image's border that stays within a thin band along it: the edge of the table or
    of the sheet, its shadow, a cut-off finger; writing that runs off the page reaches further in."""
    e = 2
    left, right, top, bottom = _in_border_band(x0, y0, x1, y1, w, h)
    return bool((left and x0 <= e) or (right and x1 >= w - e) or (top and y0 <= e) or (bottom and y1 >= h - e))


def _is_sheet_edge(x0, y0, x1, y1, w: int, h: int) -> bool:
    """A thin line in the band along a border, running along it (SHEET_EDGE_RATIO), that need not touch it:
    the sheet's edge or its shadow where the page was cropped loosely, with a strip of table beyond it that
    is no ink (a brown desk is bright in its brightest channel). A margin note or tick there is not that long
    and thin."""
    left, right, top, bottom = _in_border_band(x0, y0, x1, y1, w, h)
    bw, bh = x1 - x0, y1 - y0
    return bool(((left or right) and bh >= SHEET_EDGE_RATIO * bw) or ((top or bottom) and bw >= SHEET_EDGE_RATIO * bh))


def _is_ruling_piece(page: PageImage, sub: np.ndarray, x: int, y: int, x0, y0, x1, y1) -> bool:
    """A leftover of coloured ruling: long, thin, straight along x or y, and nearly paper-bright in its
    brightest channel (a pen underline is dark)."""
    w, h = x1 - x0, y1 - y0
    if max(w, h) < 8 * min(w, h) or page.image.ndim != 3:
        return False
    ys, xs = np.nonzero(sub)
    bright = page.image[ys + y, xs + x].max(axis=1)
    return float(np.median(bright)) >= 255.0 * (1.0 - RULING_MAX_DARKNESS)
