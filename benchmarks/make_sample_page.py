"""Generate resources/samples/sample-page.jpg: a photo-like handwritten page (Hershey single-line fonts
on ruled paper, lighting gradient, slight perspective, JPEG) for `make run` and the README.

    .venv/bin/python -m benchmarks.make_sample_page [--seed 7] [--out resources/samples/sample-page.jpg]

Deterministic for a seed; kept under 400 KB by lowering the JPEG quality if needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.resources import samples_dir
from tests.inference.synthpage import make_page

MAX_BYTES = 400_000


def _sketch(w: int, h: int) -> list[np.ndarray]:
    """A small diagram under the text (box -> arrow -> circle), in flat-page px: ink outside any word."""
    y = 0.84 * h
    box = np.array([[0.2 * w, y - 40], [0.36 * w, y - 42], [0.37 * w, y + 38], [0.21 * w, y + 40],
                    [0.2 * w, y - 40]])
    arrow = np.array([[0.39 * w, y], [0.55 * w, y + 3]])
    head = np.array([[0.53 * w, y - 12], [0.555 * w, y + 3], [0.53 * w, y + 17]])
    a = np.linspace(0, 2 * np.pi, 60)
    circle = np.column_stack([0.66 * w + 55 * np.cos(a), y + 45 * np.sin(a)])
    return [box, arrow, head, circle]


def sample_photo(seed: int = 7):
    """The sample: a synthetic page photo with a small drawing added under the text."""
    rng = np.random.default_rng(seed)
    sp = make_page(rng, paper="ruled", perspective=True, rotation=0, shadow=False, blur=0.6, noise=2.5,
                   jpeg=0, n_lines=12, page_size=(900, 1250))
    strokes = [Stroke(sp.page_to_photo.apply(s).astype(np.float32), width=2.6) for s in _sketch(*sp.page_size)]
    h, w = sp.image.shape[:2]
    cov = cv2.GaussianBlur(draw_strokes_mask(strokes, h, w, supersample=2), (0, 0), 0.6)[..., None]
    img = sp.image.astype(np.float32) * (1 - cov) + np.array([28, 30, 48], np.float32) * cov
    sp.image = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return sp


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=samples_dir() / "sample-page.jpg")
    a = ap.parse_args(argv)
    sp = sample_photo(a.seed)
    bgr = cv2.cvtColor(sp.image, cv2.COLOR_RGB2BGR)
    for q in (88, 82, 76, 70, 62, 55):
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
        if ok and len(buf) <= MAX_BYTES:
            break
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_suffix(".part")
    tmp.write_bytes(buf.tobytes())
    tmp.replace(a.out)
    h, w = sp.image.shape[:2]
    print(f"{a.out}: {w}x{h}, {len(sp.texts)} words, JPEG q={q}, {len(buf) / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
