"""Our own rasterisation of strokes (round caps and joins), used by the fidelity check, the evaluation
harness, PNG export and the SVG conformance test. Anti-aliased via supersampling."""

from __future__ import annotations

from typing import Iterable

import cv2
import numpy as np

from .ink import Stroke
from .transforms import Transform

_SHIFT = 4  # cv2 fixed-point sub-pixel bits


def draw_strokes_mask(
    strokes: Iterable[Stroke],
    height: int,
    width: int,
    transform: Transform | None = None,
    width_px: float | None = None,
    supersample: int = 1,
) -> np.ndarray:
    """Float32 coverage map in [0, 1] of the strokes drawn with round caps/joins.

    ``transform`` maps stroke coordinates to the output's pixel coordinates (pixel centres at +0.5, i.e.
    continuous coordinates where the image spans [0, width] x [0, height]); ``width_px`` overrides each
    stroke's own width (given in output pixels after the transform's scale).
    """
    ss = max(1, int(supersample))
    canvas = np.zeros((height * ss, width * ss), np.uint8)
    scale = 1.0 if transform is None else transform.scale_factor()
    for s in strokes:
        xy = s.xy.astype(np.float64) if transform is None else transform.apply(s.xy)
        w = (width_px if width_px is not None else s.width * scale) * ss
        thickness = max(1, int(round(w)))
        # continuous -> pixel-index coordinates, then fixed point
        pts = np.round((xy * ss - 0.5) * (1 << _SHIFT)).astype(np.int64)
        pts = np.clip(pts, -(1 << 28), 1 << 28).astype(np.int32).reshape(-1, 1, 2)
        if len(pts) == 1:
            cv2.circle(canvas, tuple(pts[0, 0]), max(1, (thickness << _SHIFT) // 2), 255, -1, cv2.LINE_AA,
                       _SHIFT)
        else:
            cv2.polylines(canvas, [pts], False, 255, thickness, cv2.LINE_AA, _SHIFT)
            # round caps: cv2 lines are round-capped for thickness > 1, but make joins/caps explicit
            r = max(1, (thickness << _SHIFT) // 2)
            for p in (pts[0, 0], pts[-1, 0]):
                cv2.circle(canvas, tuple(p), r, 255, -1, cv2.LINE_AA, _SHIFT)
    out = canvas.astype(np.float32) / 255.0
    if ss > 1:
        out = cv2.resize(out, (width, height), interpolation=cv2.INTER_AREA)
    return out


def render_strokes_rgb(
    strokes: Iterable[Stroke],
    height: int,
    width: int,
    background: np.ndarray | None = None,
    transform: Transform | None = None,
    supersample: int = 2,
) -> np.ndarray:
    """RGB uint8 image of the strokes in their own colours over ``background`` (white when None)."""
    if background is None:
        img = np.full((height, width, 3), 255, np.float32)
    else:
        img = background.astype(np.float32).copy()
    for s in strokes:
        a = draw_strokes_mask([s], height, width, transform, supersample=supersample)[..., None]
        rgb = np.array([int(s.color[i:i + 2], 16) for i in (1, 3, 5)], np.float32)
        img = img * (1 - a) + rgb * a
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)
