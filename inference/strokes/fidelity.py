"""Render-back check: how well strokes reproduce the photo's ink (the per-word confidence).

precision = share of the rendered ink lying within ``tol`` of photo ink (no invented ink),
recall    = share of the photo's ink lying within ``tol`` of rendered ink (nothing missed),
f1        = their harmonic mean. Below a threshold the engine tries the tracer and flags the word.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from ..document.ink import Stroke
from ..document.render import draw_strokes_mask
from ..document.transforms import Transform


@dataclass(frozen=True)
class Fidelity:
    precision: float
    recall: float
    f1: float
    ink_px: int  # photo ink pixels compared
    drawn_px: int  # rendered ink pixels compared

    def __float__(self) -> float:
        return self.f1


def default_tolerance(stroke_width_px: float) -> float:
    """Slack for width estimation and mask-edge noise: 1.5 px, growing with thick pens."""
    return max(1.5, 0.3 * float(stroke_width_px))


def _distance_to(mask: np.ndarray) -> np.ndarray:
    """Distance (px) of every pixel to the nearest True pixel of ``mask`` (large where there is none)."""
    if not mask.any():
        return np.full(mask.shape, np.inf, np.float32)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r <= 0 else 2 * p * r / (p + r)


def compare_masks(drawn: np.ndarray, ink: np.ndarray, tol_px: float) -> Fidelity:
    """Tolerant precision/recall of two boolean masks of the same shape."""
    drawn = np.asarray(drawn, bool)
    ink = np.asarray(ink, bool)
    n_ink, n_drawn = int(ink.sum()), int(drawn.sum())
    if n_ink == 0 and n_drawn == 0:
        return Fidelity(1.0, 1.0, 1.0, 0, 0)
    # a pixel within tol of a pixel centre: compare with a hair of slack for the discrete distances
    tol = float(tol_px) + 1e-3
    p = float((_distance_to(ink)[drawn] <= tol).mean()) if n_drawn else 1.0
    r = float((_distance_to(drawn)[ink] <= tol).mean()) if n_ink else 1.0
    if n_ink == 0:
        p = 0.0
    if n_drawn == 0:
        r = 0.0
    return Fidelity(p, r, _f1(p, r), n_ink, n_drawn)


def _drawn(strokes: list[Stroke], mask: np.ndarray, stroke_width_px: float,
           transform: Transform | None) -> np.ndarray:
    if mask.ndim != 2:
        raise ValueError(f"ink mask must be 2-D, got shape {mask.shape}")
    if not (np.isfinite(stroke_width_px) and stroke_width_px > 0):
        raise ValueError(f"stroke width must be positive, got {stroke_width_px!r}")
    h, w = mask.shape
    if not strokes:
        return np.zeros((h, w), bool)
    # one width for all strokes, given in the mask's pixels
    return draw_strokes_mask(strokes, h, w, transform=transform, width_px=stroke_width_px) > 0.5


def fidelity(
    strokes: Iterable[Stroke],
    ink_mask: np.ndarray,
    stroke_width_px: float,
    tol_px: float | None = None,
    transform: Transform | None = None,
) -> Fidelity:
    """Compare ``strokes`` drawn at ``stroke_width_px`` with the boolean ``ink_mask``.

    ``transform`` maps stroke coordinates to the mask's continuous pixel coordinates (e.g. page -> crop);
    None when the strokes are already in mask coordinates. ``tol_px`` defaults to
    :func:`default_tolerance`.
    """
    mask = np.asarray(ink_mask, bool)
    drawn = _drawn(list(strokes), mask, stroke_width_px, transform)
    tol = default_tolerance(stroke_width_px) if tol_px is None else float(tol_px)
    return compare_masks(drawn, mask, tol)


def fidelity_maps(
    strokes: Iterable[Stroke],
    ink_mask: np.ndarray,
    stroke_width_px: float,
    tol_px: float | None = None,
    transform: Transform | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the strokes disagree with the photo, for overlays and review: ``(missed, extra)`` boolean
    masks of photo ink farther than ``tol`` from the drawn ink, and drawn ink farther than ``tol`` from
    the photo's. Same arguments as :func:`fidelity`."""
    mask = np.asarray(ink_mask, bool)
    drawn = _drawn(list(strokes), mask, stroke_width_px, transform)
    tol = (default_tolerance(stroke_width_px) if tol_px is None else float(tol_px)) + 1e-3
    return mask & (_distance_to(drawn) > tol), drawn & (_distance_to(mask) > tol)
