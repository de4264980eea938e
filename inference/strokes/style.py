"""Pen style of a piece of ink in a photo: colour and stroke width, kept on the strokes so exports look
like the photo. numpy + opencv only."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..document.ink import DEFAULT_COLOR, DEFAULT_WIDTH
from .skeleton import fill_pinholes, thin


@dataclass(frozen=True)
class InkStyle:
    color: str = DEFAULT_COLOR  # "#rrggbb"
    width_px: float = DEFAULT_WIDTH  # stroke width in the image's pixels


def _to_hex(rgb: np.ndarray) -> str:
    r, g, b = (int(np.clip(round(float(v)), 0, 255)) for v in rgb[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def ink_distance(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (px) of each ink pixel to the nearest paper pixel centre (0 on paper).

    The image border counts as paper, so ink touching the crop edge is not measured as endless.
    """
    m = np.pad(np.asarray(mask, bool), 1).astype(np.uint8)
    return cv2.distanceTransform(m, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]


def without_grain(skeleton: np.ndarray, dist: np.ndarray, share: float = 0.1, thin_px: float = 1.5,
                  min_px: int = 20) -> np.ndarray:
    """The centre line without the paper's grain: pieces shorter than ``share`` of the longest piece and no
    deeper than ``thin_px`` in the ink anywhere (kept whole when fewer than ``min_px`` pixels would remain).
    Grainy paper leaves hundreds of specks in an ink mask, each a centre line a pixel or two long at distance 1
    from the paper: they are not the pen, but outnumber it. A marker's dot is short too, but deep."""
    skel = np.asarray(skeleton, bool)
    n, lab, st, _ = cv2.connectedComponentsWithStats(skel.astype(np.uint8), connectivity=8)
    if n <= 2:
        return skel
    deepest = np.zeros(n, np.float32)
    np.maximum.at(deepest, lab[skel], dist[skel])
    keep = (st[:, cv2.CC_STAT_AREA] >= share * st[1:, cv2.CC_STAT_AREA].max()) | (deepest > thin_px)
    keep[0] = False
    out = keep[lab]
    return out if out.sum() >= min_px else skel


def width_from_distance(dist: np.ndarray, skeleton: np.ndarray) -> float | None:
    """Stroke width from the distance map sampled on the centre line: 2 * median - 0.25.

    The distance is measured between pixel centres: an odd-width axis-aligned line has its centre line
    in the middle and w = 2d - 1, an even one has it half a pixel off and w = 2d; over lines at all
    angles and sub-pixel positions (our renderer's exact widths) the mean offset is about 0.25.
    Centre-line pixels near crossings and joins (where strokes overlap and d swells) are left out when
    enough remain, and so are the paper's grain specks (:func:`without_grain`).
    """
    skel = without_grain(skeleton, dist)
    d_all = dist[skel]
    if d_all.size == 0:
        return None
    d_med = float(np.median(d_all))
    s8 = skel.astype(np.uint8)
    nbrs = cv2.filter2D(s8, -1, np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8),
                        borderType=cv2.BORDER_CONSTANT)
    junction = skel & (nbrs >= 3)
    if junction.any():
        to_j = cv2.distanceTransform((~junction).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        plain = skel & (to_j > 2.0 * d_med + 1.0)
        if plain.sum() >= max(5, 0.2 * skel.sum()):
            d_all = dist[plain]
    d = float(np.median(d_all))
    if d_all.size >= 20:
        # blobs (filled loops, pooled ink) pull the median up; plain stroke runs agree on one value,
        # so the histogram's peak (half-pixel bins) is the better reading when it is lower
        hist = np.bincount(np.round(d_all * 2).astype(np.int64)).astype(np.float64)
        peak = float(np.argmax(np.convolve(hist, [1.0, 2.0, 1.0], mode="same"))) / 2.0
        near = d_all[np.abs(d_all - peak) <= 0.5]
        if near.size:
            peak = float(near.mean())  # sub-bin: the bins are half a pixel, widths 1 px apart
        d = min(d, max(1.0, peak))
    return float(max(1.0, 2.0 * d - 0.25))


def estimate_width(mask: np.ndarray, skeleton: np.ndarray | None = None) -> float:
    """Stroke width (px) of the ink in a boolean mask; ``DEFAULT_WIDTH`` when there is no ink.

    Pin holes are filled first (``skeleton.fill_pinholes``) unless a ``skeleton`` of the mask is given.
    """
    mask = np.asarray(mask, bool)
    if not mask.any():
        return DEFAULT_WIDTH
    if skeleton is None:
        mask = fill_pinholes(mask)
        skeleton = thin(mask)
    w = width_from_distance(ink_distance(mask), skeleton)
    return DEFAULT_WIDTH if w is None else w


def estimate_color(image_rgb: np.ndarray, ink_mask: np.ndarray, dist: np.ndarray | None = None) -> str:
    """Robust pen colour: per-channel median of the ink's core pixels.

    Core = the pixels deepest inside the strokes (anti-aliased edges are mixed with paper), falling back to
    the darkest half of the ink for hairline strokes where every pixel is an edge pixel.
    """
    mask = np.asarray(ink_mask, bool)
    img = np.asarray(image_rgb)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = img[..., :3]
    if not mask.any():
        return DEFAULT_COLOR
    if dist is None:
        dist = ink_distance(mask)
    d = dist[mask]
    px = img[mask].astype(np.float32)
    core = d >= max(1.0, float(np.percentile(d, 75)))
    if core.sum() >= 3 and float(np.percentile(d, 75)) >= 2.0:
        px = px[core]
    # among those, the darker half: blur and JPEG blend the core with paper too
    lum = px @ np.array([0.299, 0.587, 0.114], np.float32)
    keep = lum <= np.percentile(lum, 50)
    if keep.sum() >= 1:
        px = px[keep]
    return _to_hex(np.median(px, axis=0))


def estimate_style(image_rgb: np.ndarray, ink_mask: np.ndarray, skeleton: np.ndarray | None = None) -> InkStyle:
    """Colour and width of the ink selected by ``ink_mask`` in ``image_rgb`` (RGB, uint8)."""
    mask = np.asarray(ink_mask, bool)
    if not mask.any():
        return InkStyle()
    if skeleton is None:
        mask = fill_pinholes(mask)  # a felt pen's patchy fill would read as a hairline
        skeleton = thin(mask)
    dist = ink_distance(mask)
    w = width_from_distance(dist, skeleton)
    color = estimate_color(image_rgb, np.asarray(ink_mask, bool), dist)  # the photo's own ink pixels only
    return InkStyle(color=color, width_px=DEFAULT_WIDTH if w is None else w)
