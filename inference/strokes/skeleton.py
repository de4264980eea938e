"""Skeleton primitives shared by the tracer, refinement and pen style: one-pixel centre lines
(Guo-Hall thinning as a lookup table, staircase corners removed), pin-hole filling and speck removal, and
Ramer-Douglas-Peucker simplification. A module of its own so that the tracer, :mod:`.refine` and
:mod:`.style` all build on it without importing one another.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

# ---------------------------------------------------------------------------------------------------
# thinning


_CODE_KERNEL = np.array([[8, 4, 2], [16, 0, 1], [32, 64, 128]], np.float32)


def _neighbour_code(img: np.ndarray) -> np.ndarray:
    """8-bit code of each pixel's neighbours (img is 0/1): bit0 E, bit1 NE, bit2 N, bit3 NW, bit4 W,
    bit5 SW, bit6 S, bit7 SE (counter-clockwise from east). A correlation; outside the image is 0."""
    return cv2.filter2D(img.astype(np.uint8), -1, _CODE_KERNEL, borderType=cv2.BORDER_CONSTANT)


def _thin_luts() -> tuple[np.ndarray, np.ndarray]:
    """Deletion tables of Guo & Hall's parallel thinning (1989, algorithm A1).

    x1..x8 are the neighbours counter-clockwise from east. A pixel is deleted when it is simple
    (Hilditch crossing number 1), not an end or a thin bridge (2 <= min(n1, n2) <= 3), and lies on the
    side that the subiteration peels (G3 / G3').
    """
    lut1 = np.zeros(256, bool)
    lut2 = np.zeros(256, bool)
    for n in range(256):
        x = [(n >> i) & 1 for i in range(8)]
        x = x + x[:1]  # x[8] wraps to x[0]
        xh = sum(1 for i in (0, 2, 4, 6) if not x[i] and (x[i + 1] or x[i + 2]))
        n1 = sum(1 for k in (1, 3, 5, 7) if x[k] or x[k - 1])
        n2 = sum(1 for k in (1, 3, 5, 7) if x[k] or x[k + 1])
        g12 = xh == 1 and 2 <= min(n1, n2) <= 3
        g3 = not ((x[1] or x[2] or not x[7]) and x[0])
        g3p = not ((x[5] or x[6] or not x[3]) and x[4])
        lut1[n] = g12 and g3
        lut2[n] = g12 and g3p
    return lut1, lut2


_LUT1, _LUT2 = _thin_luts()
_NBR_COUNT = np.array([(n).bit_count() for n in range(256)], np.uint8)
# (dy, dx) of the code bits
OFFSETS = np.array([(0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1)], np.int64)


def pixel_index(xy: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the pixels that points (x, y) lie in, clipped to an image of ``shape``: an (n, 2) array
    gives arrays, one point (2,) gives scalars."""
    h, w = shape[:2]
    c = np.clip(np.floor(np.asarray(xy)).astype(int), 0, [w - 1, h - 1])
    return c[..., 1], c[..., 0]


def _simple_8(code: int) -> bool:
    """Yokoi's 8-connectivity number == 1: deleting the pixel keeps its neighbours connected."""
    x = [(code >> i) & 1 for i in range(8)]
    xb = [1 - v for v in x] + [1 - x[0], 1 - x[1]]
    n8 = sum(xb[k] - xb[k] * xb[k + 1] * xb[k + 2] for k in (0, 2, 4, 6))
    return n8 == 1


_SIMPLE8 = np.array([_simple_8(n) for n in range(256)], bool)


def thin(mask: np.ndarray, max_iter: int = 200) -> np.ndarray:
    """One-pixel-wide, 8-connected centre line of a boolean mask (same shape, bool)."""
    mask = np.asarray(mask, bool)
    ys, xs = np.nonzero(mask)
    out = np.zeros(mask.shape, bool)
    if ys.size == 0:
        return out
    # work on the bounding box only
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    skel = mask[y0:y1, x0:x1].astype(np.uint8)
    for _ in range(max_iter):
        changed = False
        for lut in (_LUT1, _LUT2):
            dele = lut[_neighbour_code(skel)] & (skel > 0)
            if dele.any():
                skel[dele] = 0
                changed = True
        if not changed:
            break
    _remove_staircases(skel)
    out[y0:y1, x0:x1] = skel > 0
    return out


def _remove_staircases(skel: np.ndarray) -> None:
    """Delete the redundant corner pixels of 4-connected staircases (in place, sequentially so two
    neighbours are never both removed): they would read as junctions in the graph."""
    code = _neighbour_code(skel)
    # corner: two 4-neighbours at a right angle (E&N, N&W, W&S, S&E)
    corner = ((code & 0b101) == 0b101) | ((code & 0b10100) == 0b10100) | ((code & 0b1010000) == 0b1010000) | (
        (code & 0b1000001) == 0b1000001
    )
    cand = np.argwhere((skel > 0) & corner & (_NBR_COUNT[code] >= 3))
    if len(cand) == 0:
        return
    h, w = skel.shape
    for r, c in cand:
        if not skel[r, c]:
            continue
        n = 0
        for bit, (dy, dx) in enumerate(OFFSETS):
            yy, xx = r + dy, c + dx
            if 0 <= yy < h and 0 <= xx < w and skel[yy, xx]:
                n |= 1 << bit
        if _NBR_COUNT[n] >= 2 and _SIMPLE8[n]:
            # keep it when it is the only link of a diagonal neighbour (an end would come loose)
            skel[r, c] = 0


# ---------------------------------------------------------------------------------------------------
# mask cleaning


def _fill_holes(m: np.ndarray, max_area: float, fill: Callable[[int, float | None], bool]) -> None:
    """Fill, in place, the background components of the uint8 mask ``m`` that do not touch the border
    (8-connected), have at most ``max_area`` pixels and for which ``fill(area, t)`` holds; ``t`` is the
    20th percentile of the ink's thickness on the hole's rim, measured from the outer edge only (as if
    every hole were ink), or None when the hole has no rim."""
    inv = (m == 0).astype(np.uint8)
    _n, lab, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=8)
    hh, ww = m.shape
    x, y, bw, bh, area = (stats[1:, k] for k in range(5))
    inner = (x > 0) & (y > 0) & (x + bw < ww) & (y + bh < hh)
    cand = np.nonzero(inner & (area <= max_area))[0] + 1
    if len(cand) == 0:
        return
    outside = np.concatenate([[False], ~inner])
    filled = (~outside[lab]).astype(np.uint8)
    d_out = cv2.distanceTransform(np.pad(filled, 1), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    k3 = np.ones((3, 3), np.uint8)
    for i in cand:
        x0, y0 = max(0, stats[i, 0] - 1), max(0, stats[i, 1] - 1)
        x1, y1 = min(ww, stats[i, 0] + stats[i, 2] + 1), min(hh, stats[i, 1] + stats[i, 3] + 1)
        hole = (lab[y0:y1, x0:x1] == i).astype(np.uint8)
        rim = (cv2.dilate(hole, k3) > 0) & (m[y0:y1, x0:x1] > 0)
        t = d_out[y0:y1, x0:x1][rim]
        if fill(int(stats[i, 4]), float(np.percentile(t, 20)) if t.size else None):
            m[y0:y1, x0:x1][hole > 0] = 1


def fill_pinholes(mask: np.ndarray) -> np.ndarray:
    """Fill holes that are tiny next to the ink around them (a felt pen's patchy fill, glare specks):
    area < (t / 2)^2 where t is the ink's thickness from the hole to the outer edge. Needs no pen
    width, so it runs before the width is measured (perforated ink reads as a hairline otherwise); a
    letter's loop, even a slit, is larger than that next to its pen-wide ring.
    """
    m = np.asarray(mask, bool).astype(np.uint8)
    if not m.any():
        return m > 0
    # a hole is a pin hole when its area is under (t / 2)^2
    _fill_holes(m, 400, lambda area, t: t is not None and area < (0.5 * t) ** 2)
    return m > 0


def clean_mask(mask: np.ndarray, stroke_width: float) -> np.ndarray:
    """Drop specks and fill pin holes that would become spurs and tiny loops in the centre line."""
    m = np.asarray(mask, bool).astype(np.uint8)
    if not m.any():
        return m > 0
    w = float(stroke_width)
    _, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    min_area = max(2.0, 0.25 * w * w)
    small = stats[1:, cv2.CC_STAT_AREA] < min_area
    # keep a small speck when it is the only ink there is
    if small.any() and not small.all():
        drop = np.concatenate([[False], small])
        m[drop[lab]] = 0
    # holes: background components that do not touch the border (8-connected, so a diagonal slit is
    # one hole rather than a row of one-pixel ones). A pin hole in a stroke has ink about half a pen
    # width thick on its sides; a letter's loop, however small, has a full pen width all round. Only
    # pin holes are filled.
    _fill_holes(m, max(1.0, 0.1 * w * w), lambda area, t: t is None or t < 0.75 * w)
    return m > 0


# ---------------------------------------------------------------------------------------------------
# simplification


def rdp(pts: np.ndarray, eps: float) -> np.ndarray:
    """Indices kept by Ramer-Douglas-Peucker simplification of an (n, 2) polyline (ends always kept)."""
    n = len(pts)
    if n < 3 or eps <= 0:
        return np.arange(n)
    keep = np.zeros(n, bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = pts[i], pts[j]
        seg = pts[i + 1:j] - a
        d = b - a
        L = math.hypot(d[0], d[1])
        if L < 1e-12:
            dist = np.hypot(seg[:, 0], seg[:, 1])
        else:
            dist = np.abs(seg[:, 0] * d[1] - seg[:, 1] * d[0]) / L
        k = int(np.argmax(dist))
        if dist[k] > eps:
            m = i + 1 + k
            keep[m] = True
            stack.append((i, m))
            stack.append((m, j))
    return np.nonzero(keep)[0]
