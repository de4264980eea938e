"""Classical ink map of a photo: even out lighting, then how much each pixel looks like ink.

Used by segmentation (tightening word boxes), by the derender model's input normalisation (the same
function runs in training and at run time), by the tracer and by the fidelity check.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np


def _channel_extreme(image: np.ndarray, pick) -> np.ndarray:
    # per-pixel max/min over the colour channels; cv2 does it ~25x faster than numpy's strided reduction
    # (80 -> 3 ms on a 2-MP page), with the same values (other dtypes go through float32, which keeps order)
    if image.ndim == 2:
        return image.astype(np.float32)
    img = image[..., :3]
    if img.dtype not in (np.uint8, np.float32):
        img = img.astype(np.float32)
    return functools.reduce(pick, cv2.split(np.ascontiguousarray(img))).astype(np.float32)


def brightest_channel(image: np.ndarray) -> np.ndarray:
    """Brightest channel: blue ruled lines and coloured paper look bright there; dark ink stays dark."""
    return _channel_extreme(image, cv2.max)


def darkest_channel(image: np.ndarray) -> np.ndarray:
    return _channel_extreme(image, cv2.min)


def background_estimate(gray: np.ndarray, stroke_px: float | None = None, work_side: int = 1200) -> np.ndarray:
    """Paper brightness without the ink: a grey-level closing wide enough to erase strokes, smoothed.

    ``work_side``: the closing runs on a copy reduced to this longest side (whole pages use ~400: the
    paper's brightness is smooth, and a large elliptic closing at full size costs most of a second).
    """
    h, w = gray.shape
    k = int(max(7, min(61, (stroke_px or max(2.0, min(h, w) / 40.0)) * 6))) | 1
    small = 1.0
    if max(h, w) > work_side:  # closing on a reduced copy: same look, far cheaper
        small = float(work_side) / max(h, w)
        g = cv2.resize(gray, (max(1, int(w * small)), max(1, int(h * small))), interpolation=cv2.INTER_AREA)
        k = max(7, int(k * small) | 1)
    else:
        g = gray
    bg = cv2.morphologyEx(g, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    bg = cv2.GaussianBlur(bg, (0, 0), k / 3.0)
    if small != 1.0:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.maximum(bg, 1.0)


def ink_darkness(image: np.ndarray, stroke_px: float | None = None, coloured_ink: bool = True,
                 work_side: int = 1200) -> np.ndarray:
    """Float32 map in [0, 1]: 0 = paper, 1 = darkest ink, after dividing out the background.

    ``coloured_ink=True`` combines the brightest channel (robust to blue/red ruling) with the darkest one
    so that coloured pens (red, green, blue) still count as ink where they are clearly darker than paper.
    """
    gray = brightest_channel(image)
    norm = gray / background_estimate(gray, stroke_px, work_side)
    dark = 1.0 - np.clip(norm, 0.0, 1.0)
    if coloured_ink and image.ndim == 3:
        g2 = darkest_channel(image)
        d2 = 1.0 - np.clip(g2 / background_estimate(g2, stroke_px, work_side), 0.0, 1.0)
        # a coloured pen is dark in its darkest channel but a ruled line too; require it to be thick/strong
        dark = np.maximum(dark, np.where(d2 > 0.35, d2 * 0.8, 0.0))
    return dark.astype(np.float32)


def normalized_ink(image: np.ndarray, stroke_px: float | None = None) -> np.ndarray:
    """Ink darkness stretched so the word's ink reaches ~1: the derender model's input (float32, 0..1)."""
    dark = ink_darkness(image, stroke_px)
    hi = float(np.percentile(dark, 99.5)) if dark.size else 0.0
    if hi < 0.08:  # no real ink: keep it faint rather than amplifying noise
        return dark
    return np.clip(dark / hi, 0.0, 1.0).astype(np.float32)


def ink_mask(image: np.ndarray, stroke_px: float | None = None) -> np.ndarray:
    """Boolean ink mask: Otsu on the normalised darkness, with a floor so clean paper yields nothing."""
    dark = ink_darkness(image, stroke_px)
    u8 = np.clip(dark * 255, 0, 255).astype(np.uint8)
    if u8.max() < 25:
        return np.zeros(u8.shape, bool)
    thr, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return u8 > max(thr, 40)


def stroke_width(mask: np.ndarray) -> float:
    """Width of the strokes in a bool mask: 2 x area / outline length (exact for long bands, holes
    counted), so a filled blob or a thick ring reads as thick however long it is."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return float(2.0 * mask.sum() / perimeter) if perimeter > 0 else 0.0
