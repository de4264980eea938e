"""Debug overlay: the page with its word boxes (tight in colour, loose in grey), reading-order numbers,
line boxes and drawing regions — the picture to look at when segmentation goes wrong."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from .drawings import DrawingRegion
    from .page import PageImage
    from .segment import Segmentation

_PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 140, 140),
            (240, 50, 230), (128, 128, 0)]


def render_debug_overlay(page: PageImage, seg: Segmentation,
                         drawings: list[DrawingRegion] | None = None) -> np.ndarray:
    """RGB uint8 overlay at page size."""
    img = page.image.copy()
    h, w = img.shape[:2]
    lw = max(1, round(max(h, w) / 1000))
    fs = max(0.4, max(h, w) / 2500)
    for ln in seg.lines:
        cv2.polylines(img, [np.round(ln.quad).astype(np.int32)], True, (180, 180, 180), lw, cv2.LINE_AA)
    for d in drawings or []:
        x0, y0, x1, y1 = (round(v) for v in d.bbox)
        cv2.rectangle(img, (x0, y0), (x1, y1), (255, 160, 0), lw + 1)
        cv2.putText(img, "drawing", (x0, max(10, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 160, 0), lw,
                    cv2.LINE_AA)
    for wb in seg.words:
        col = _PALETTE[wb.line % len(_PALETTE)]
        if not wb.tightened:
            col = (128, 128, 128)
        cv2.polylines(img, [np.round(wb.quad).astype(np.int32)], True, col, lw + 1, cv2.LINE_AA)
        x, y = wb.quad[0]
        cv2.putText(img, str(wb.order), (int(x), max(10, int(y) - 3)), cv2.FONT_HERSHEY_SIMPLEX, fs, col,
                    lw, cv2.LINE_AA)
    return img


def write_debug_overlay(page_image: PageImage, segmentation: Segmentation, path: str | Path,
                        drawings: list[DrawingRegion] | None = None, max_side: int = 2000) -> Path:
    """Write the overlay as PNG (downscaled to ``max_side``); returns the path."""
    img = render_debug_overlay(page_image, segmentation, drawings)
    s = min(1.0, max_side / max(img.shape[:2]))
    if s < 1:
        img = cv2.resize(img, (int(img.shape[1] * s), int(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")
    return path
