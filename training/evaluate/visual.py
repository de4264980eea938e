"""Pictures for looking: ink over the faded photo (stroke colour runs blue -> red in writing order, a
dot marks each stroke's start) and a contact sheet of many such overlays."""

from __future__ import annotations

import cv2
import numpy as np

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask

_BINS = 12  # colour steps along the writing order: one rasterisation per step, not per stroke


def _order_colour(k: int, n: int) -> np.ndarray:
    hue = int(120 * (1 - k / max(n - 1, 1)))  # OpenCV hue: 120 = blue ... 0 = red
    return cv2.cvtColor(np.uint8([[[hue, 230, 210]]]), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def overlay(image: np.ndarray, strokes, width: float | None = None, fade: float = 0.65) -> np.ndarray:
    """RGB uint8: ``image`` faded towards white with ``strokes`` ((n, 2) arrays or Strokes) on top,
    coloured blue -> red in their order, a ring at each stroke's start."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    h, w = img.shape[:2]
    out = img[..., :3].astype(np.float32) * (1 - fade) + 255 * fade
    default_w = width or max(1.5, min(h, w) / 60.0)
    ink = []
    for s in strokes:
        a = np.asarray(getattr(s, "xy", s), np.float32)[:, :2]
        if len(a):
            sw = getattr(s, "width", None) if width is None else None
            ink.append(Stroke(a, width=float(max(1.0, sw or default_w))))
    n = len(ink)
    ss = 2 if h * w <= 2_000_000 else 1
    for b in range(min(_BINS, n)):
        group = ink[b * n // min(_BINS, n):(b + 1) * n // min(_BINS, n)]
        a = draw_strokes_mask(group, h, w, supersample=ss)[..., None]
        out = out * (1 - a) + _order_colour(b, min(_BINS, n)) * a
    out = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    r = max(2, round(0.8 * float(np.median([s.width for s in ink])))) if ink else 2
    for s in ink:  # start rings show the drawing direction
        x, y = s.xy[0]
        cv2.circle(out, (int(x), int(y)), r, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def fit(image: np.ndarray, max_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    s = max_side / max(h, w)
    if s >= 1:
        return image
    return cv2.resize(image, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)


def contact_sheet(tiles: list[tuple[str, np.ndarray]], cols: int = 5, tile_w: int = 320,
                  tile_h: int = 200) -> np.ndarray:
    """Grid of labelled thumbnails (RGB uint8)."""
    label_h = 18
    rows = max(1, (len(tiles) + cols - 1) // cols)
    sheet = np.full((rows * (tile_h + label_h), cols * tile_w, 3), 255, np.uint8)
    for k, (label, img) in enumerate(tiles):
        r, c = divmod(k, cols)
        im = np.asarray(img)
        if im.ndim == 2:
            im = np.repeat(im[..., None], 3, axis=2)
        h, w = im.shape[:2]
        s = min((tile_w - 4) / w, (tile_h - 4) / h)
        im = cv2.resize(im[..., :3], (max(1, int(w * s)), max(1, int(h * s))),
                        interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        y0, x0 = r * (tile_h + label_h), c * tile_w
        sheet[y0 + label_h:y0 + label_h + im.shape[0], x0 + 2:x0 + 2 + im.shape[1]] = im
        cv2.putText(sheet, label[:44], (x0 + 2, y0 + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return sheet


def save_png(path, image_rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(image_rgb), cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
