"""Place a word crop on the derender model's canvas (the same code runs in training and at run time).

The crop is normalised with :func:`inference.photo.inkmask.normalized_ink` (ink = 1, paper = 0) at its own
resolution, scaled to fit inside the canvas keeping its aspect ratio (with a small margin) and centred.
The returned :class:`Transform` maps crop coordinates (continuous, the crop spans [0, w] x [0, h]) to
canvas coordinates; its inverse maps decoded strokes back to the crop exactly.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..document.transforms import Transform
from ..photo.inkmask import normalized_ink
from .tokens import TokenSpec

MARGIN_PX = 2  # canvas pixels left free on every side so strokes at the crop edge stay on the canvas


def fit_size(w: int, h: int, spec: TokenSpec, margin: int = MARGIN_PX) -> tuple[int, int]:
    """Size (nw, nh) of a w x h crop scaled to fit inside the canvas minus the margin."""
    s = min((spec.width - 2 * margin) / max(w, 1), (spec.height - 2 * margin) / max(h, 1))
    nw = int(np.clip(round(w * s), 1, spec.width - 2 * margin))
    nh = int(np.clip(round(h * s), 1, spec.height - 2 * margin))
    return nw, nh


def fit_ink(ink: np.ndarray, spec: TokenSpec, margin: int = MARGIN_PX) -> tuple[np.ndarray, Transform]:
    """An ink map (float32, ink = 1) of any size -> (canvas float32 [H, W], Transform ink -> canvas)."""
    h, w = ink.shape[:2]
    nw, nh = fit_size(w, h, spec, margin)
    interp = cv2.INTER_AREA if nw < w else cv2.INTER_LINEAR
    small = cv2.resize(ink.astype(np.float32), (nw, nh), interpolation=interp) if (nw, nh) != (w, h) \
        else ink.astype(np.float32)
    ox, oy = (spec.width - nw) // 2, (spec.height - nh) // 2
    canvas = np.zeros((spec.height, spec.width), np.float32)
    canvas[oy:oy + nh, ox:ox + nw] = np.clip(small, 0.0, 1.0)
    # cv2.resize maps continuous coordinates by exactly nw/w and nh/h (pixel centres at +0.5)
    t = Transform.scale(nw / w, nh / h).then(Transform.translate(ox, oy))
    return canvas, t


def fit_crop(crop_rgb: np.ndarray, spec: TokenSpec | None = None,
             stroke_px: float | None = None) -> tuple[np.ndarray, Transform]:
    """Word crop (RGB or grey uint8) -> (model input canvas float32 [H, W], Transform crop -> canvas)."""
    spec = spec or TokenSpec()
    if crop_rgb.ndim not in (2, 3) or crop_rgb.shape[0] < 1 or crop_rgb.shape[1] < 1:
        raise ValueError(f"fit_crop needs a non-empty image, got shape {crop_rgb.shape}")
    return fit_ink(normalized_ink(crop_rgb, stroke_px), spec)


def canvas_ink(mask: np.ndarray, spec: TokenSpec, pen_px: float) -> np.ndarray:
    """A crop's ink mask (bool, crop px) placed on the model canvas exactly as :func:`fit_crop` places the
    crop, grown by half the pen (``pen_px``, crop px, at least 1) plus a canvas pixel for rounding: the points
    constrained decoding may put down."""
    canvas, to_canvas = fit_ink(np.asarray(mask, np.float32), spec)
    m = (canvas > 0.1).astype(np.uint8)
    r = int(np.ceil(0.5 * max(pen_px, 1.0) * to_canvas.scale_factor() + 1.0))
    m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return m.astype(bool)
