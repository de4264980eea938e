"""Regenerate ``sample.inkml``: a short handwritten-looking note in the Hershey "scripts" single-line font
(PyPI ``hershey-fonts``, public-domain glyph data), with a little deterministic wobble so it does not look
typeset, one word per traceGroup with its text, and an underline drawn as a loose stroke.

    .venv/bin/python resources/samples/make_sample_inkml.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from HersheyFonts import HersheyFonts

from inference.document.formats.inkml import write_inkml
from inference.document.ink import InkSource, Page, Quad, Stroke, Word

LINES = ["Meeting notes", "call Anna about the draft", "buy milk, eggs and bread", "InkLift turns photos into ink"]
WIDTH, HEIGHT = 1200, 720
INK = "#1d2b64"  # blue ballpoint
PEN_WIDTH = 3.0
SPEED = 0.6  # px per ms: a plausible writing speed for the synthetic timing


def _word_strokes(font: HersheyFonts, text: str, x0: float, baseline: float, size: float,
                  rng: np.random.Generator) -> tuple[list[np.ndarray], float]:
    font.normalize_rendering(size)
    strokes = [np.array(s, dtype=np.float64) for s in font.strokes_for_text(text) if len(s) >= 1]
    allpts = np.concatenate(strokes)
    xmin = allpts[:, 0].min()
    slant = rng.uniform(-0.05, 0.12)
    out = []
    for s in strokes:
        x = s[:, 0] - xmin
        y = size - s[:, 1]  # Hershey y points up; page y points down (same frame for every word)
        x = x + slant * (size - y)
        wob = rng.normal(0, 0.35, size=(len(s), 2)).cumsum(axis=0) * 0.3
        out.append(np.column_stack([x0 + x + wob[:, 0], baseline - size + y + wob[:, 1]]))
    width = max(float(p[:, 0].max()) for p in out) - x0
    return out, width


def make_page() -> Page:
    rng = np.random.default_rng(7)
    font = HersheyFonts()
    font.load_default_font("scripts")
    words: list[Word] = []
    y = 150.0
    for li, line in enumerate(LINES):
        size = 70.0 if li == 0 else 52.0
        x = 90.0 + rng.uniform(-8, 8)
        for token in line.split():
            raw, w = _word_strokes(font, token, x, y + rng.uniform(-4, 4), size, rng)
            clock, strokes = 0.0, []
            for pts in raw:
                seg = np.hypot(*np.diff(pts, axis=0).T) if len(pts) > 1 else np.zeros(0)
                t = clock + np.concatenate([[0.0], np.cumsum(seg)]) / SPEED
                clock = float(t[-1]) + 150.0
                strokes.append(Stroke(np.column_stack([pts, t]), color=INK, width=PEN_WIDTH))
            xy = np.concatenate([s.xy for s in strokes])
            pad = PEN_WIDTH
            quad = Quad.from_rect(xy[:, 0].min() - pad, xy[:, 1].min() - pad,
                                  xy[:, 0].max() + pad, xy[:, 1].max() + pad)
            words.append(Word(tuple(strokes), quad, text=token, confidence=1.0, source=InkSource.IMPORTED))
            x += w + size * 0.45
        y += 150.0 if li == 0 else 130.0
    # underline the title: a loose stroke (drawing)
    title = [w for w in words[:2]]
    x0, x1 = title[0].quad.bounds()[0], title[-1].quad.bounds()[2]
    ux = np.linspace(x0, x1, 24)
    uy = 175.0 + np.sin(np.linspace(0, 3, 24)) * 2.0 + rng.normal(0, 0.4, 24)
    ut = (ux - x0) / SPEED
    underline = Stroke(np.column_stack([ux, uy, ut]), color=INK, width=PEN_WIDTH)
    return Page(WIDTH, HEIGHT, tuple(words), (underline,))


if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "sample.inkml"
    write_inkml(make_page(), out)
    print(f"wrote {out}")
