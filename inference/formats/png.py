"""PNG export: our own rasterisation (:mod:`inference.render`) of the page's strokes, optionally over the
photo, at the photo's pixel size."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import FormatError
from ..ink import Page
from ..render import render_strokes_rgb
from ._io import atomic_write


def render_page(page: Page, image: np.ndarray | None = None) -> np.ndarray:
    """RGB uint8 (height, width, 3) of the page's strokes over ``image`` (white when None)."""
    background = None
    if image is not None:
        img = np.asarray(image)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        img = img[..., :3]
        if img.shape[:2] != (page.height, page.width):
            img = cv2.resize(img, (page.width, page.height), interpolation=cv2.INTER_AREA)
        background = img
    return render_strokes_rgb(page.all_strokes(), page.height, page.width, background=background)


def png_bytes(page: Page, image: np.ndarray | None = None) -> bytes:
    rgb = render_page(page, image)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise FormatError("cannot encode the PNG")
    return buf.tobytes()


def write_png(page: Page, path: str | os.PathLike, image: np.ndarray | None = None) -> Path:
    return atomic_write(path, png_bytes(page, image))
