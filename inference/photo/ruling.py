"""Ruled and grid lines out of a word's ink mask, handwriting kept.

A ruling is a straight run within +-6 degrees of level that continues beyond the writing: from one side of
the crop to the other (the crop has a margin around the word, which writing does not fill), or, when
shorter, thinner than the pen. Strokes crossing it keep their pixels where the ink runs further across the
ruling than the ruling is thick; a pen-thick bar inside the word ('=', '-', a t-bar, an arrow's shaft, an
underline) is not a ruling. Leftover bits of a dashed or bent ruling are flat pieces clearly thinner than
the pen. (Page-wide long lines are removed by
:func:`inference.photo.segment.remove_long_lines`.)
"""

from __future__ import annotations

import cv2
import numpy as np

from .inkmask import stroke_width

_RULE_ANGLES = (-6.0, -4.0, -2.5, -1.2, 0.0, 1.2, 2.5, 4.0, 6.0)


def _line_kernel(length: int, deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    half = length // 2
    rise = round(float(np.tan(a)) * half)
    dy = abs(rise)
    k = np.zeros((2 * dy + 1, 2 * half + 1), np.uint8)
    cv2.line(k, (0, dy - rise), (2 * half, dy + rise), 1, 1, cv2.LINE_8)
    return k


def _vertical_opening(m8: np.ndarray, k: int) -> np.ndarray:
    """Pixels on vertical runs at least ``k`` long. (cv2's opening with an even kernel shifts the result by a
    pixel: erode and dilate use the same anchor, so the dilation gets the mirrored one here.)"""
    kernel = np.ones((k, 1), np.uint8)
    a = k // 2
    return cv2.dilate(cv2.erode(m8, kernel, anchor=(0, a)), kernel, anchor=(0, k - 1 - a)).astype(bool)


def _rule_runs(mask: np.ndarray, span_frac: float) -> np.ndarray:
    """Pixels on long thin straight runs within +-6 degrees of level (ruled or grid lines)."""
    h, w = mask.shape
    f = 1.0 if w <= 400 else 400.0 / w  # big masks: find the runs on a reduced copy (lines stay lines)
    m8 = mask.astype(np.uint8)
    small = m8 if f == 1.0 else (cv2.resize(m8 * 255, (max(1, round(w * f)), max(1, round(h * f))),
                                            interpolation=cv2.INTER_AREA) > 60).astype(np.uint8)
    span = int(span_frac * small.shape[1])
    if span < 15:
        return np.zeros(mask.shape, bool)
    runs = np.zeros_like(small)
    for deg in _RULE_ANGLES:
        runs |= cv2.morphologyEx(small, cv2.MORPH_OPEN, _line_kernel(span, deg))
    if f != 1.0:
        runs = cv2.resize(runs, (w, h), interpolation=cv2.INTER_NEAREST)
        runs = cv2.dilate(runs, np.ones((3, 3), np.uint8))
    return runs.astype(bool)


def remove_rules(mask: np.ndarray, span_frac: float = 0.6) -> np.ndarray:
    """Drop ruled/grid lines: straight runs (within +-6 degrees of level) spanning most of the width that
    reach both sides of the crop, or are thinner than the pen.

    Strokes crossing a ruling keep their pixels where the ink runs at least 3 px further across it than
    the ruling is thick.
    """
    if not mask.any():
        return mask
    runs = _rule_runs(mask, span_frac)
    if not runs.any():
        return mask
    # a run from one side of the crop to the other is a ruling, however thick (w04/w05 in the real photos:
    # a line as thick as the pen): "thicker than the ruling" is then measured against its own thickness
    # (area / length). Shorter runs may be underlines, bars of '=' or arrow shafts: only runs clearly
    # thinner than the pen go (the pen: the ink's own stroke width, rulings included, so a bit low).
    _, lab, st, _ = cv2.connectedComponentsWithStats(runs.astype(np.uint8), connectivity=8)
    x0, w = st[:, cv2.CC_STAT_LEFT], st[:, cv2.CC_STAT_WIDTH]
    side_to_side = (x0 <= 1) & (x0 + w >= mask.shape[1] - 1)
    thickness = st[:, cv2.CC_STAT_AREA] / np.maximum(w, 1)
    pen = stroke_width(mask)
    own = np.ceil(thickness).astype(int) + 3
    thin = int(np.clip(round(0.75 * pen), 2, 4))
    k = np.where(side_to_side, np.maximum(4, own), thin)
    ruling = side_to_side | (thickness < 0.75 * pen)
    drop = np.zeros(mask.shape, bool)
    m8 = mask.astype(np.uint8)
    k[0] = 0  # the background: never dropped
    need = k[lab]  # per pixel: the vertical run a crossing stroke must reach
    for kh in np.unique(k[1:]):
        drop |= (need == kh) & ~_vertical_opening(m8, int(kh))
    out = mask & ~drop
    # what is left entirely inside a ruling's band is a piece of the ruling, not a stroke crossing it (a
    # pen-thick bar's own band holds the whole bar: not a ruling, so no band)
    ruling[0] = False
    band = cv2.dilate((runs & ruling[lab]).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    n2, lab2 = cv2.connectedComponents(out.astype(np.uint8), connectivity=8)
    total = np.bincount(lab2.ravel(), minlength=n2)
    inside = np.bincount(lab2[band], minlength=n2)
    piece = (inside == total) & (np.arange(n2) > 0)
    return out & ~piece[lab2]


def drop_thin_runs(mask: np.ndarray, width: float) -> np.ndarray:
    """Remove leftover bits of rulings: flat pieces clearly thinner than the pen (a dashed or bent
    ruling that :func:`remove_rules` could not follow). Pen strokes are as thick as the pen everywhere."""
    k = int(max(2, round(0.6 * width)))
    if k < 2 or not mask.any():
        return mask
    thick = _vertical_opening(mask.astype(np.uint8), k)
    thin = mask & ~thick
    if not thin.any():
        return mask
    n, lab, st, _ = cv2.connectedComponentsWithStats(thin.astype(np.uint8), connectivity=8)
    flat = np.zeros(n, bool)
    flat[1:] = (st[1:, cv2.CC_STAT_WIDTH] >= 4 * np.maximum(st[1:, cv2.CC_STAT_HEIGHT], 1)) & \
        (st[1:, cv2.CC_STAT_WIDTH] >= 3 * width)
    return mask & ~flat[lab]
