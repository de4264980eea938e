"""Generated ruled or grid pages whose writing touches the ruling: '=', '-', '+', arrows, underlines,
t-bars, dash bullets and a matrix of '1's, with the true pen paths (page px = photo px) to score against.

Handwriting sits on the ruled lines, so the hard cases are built in: underlines, arrow shafts, dash
bullets and the lower bar of '=' lie on a ruling or within a pixel or two of it; letters stand on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask

from .synthpage import _densify, _word_strokes

RULING_COLOURS = ((150, 185, 230), (170, 190, 215), (160, 160, 165))


@dataclass
class SymbolPage:
    image: np.ndarray  # RGB uint8
    symbols: list[np.ndarray]  # (n, 2) pen paths of the symbols (the strokes that must survive)
    strokes: list[np.ndarray]  # every pen path: words and symbols
    pen_width: float
    rulings: list[float]  # y of each horizontal ruling


def _hbar(x0: float, x1: float, y: float) -> np.ndarray:
    return np.array([[x0, y], [x1, y]], float)


def _vbar(x: float, y0: float, y1: float) -> np.ndarray:
    return np.array([[x, y0], [x, y1]], float)


def _line_items(rng, r: float, gap: float, x: float, xh: float) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """One ruled line's writing from ``x``: returns (symbol paths, word paths, x at the end)."""
    sym: list[np.ndarray] = []
    words: list[np.ndarray] = []
    near = lambda: float(rng.choice([0.0, -1.0, -2.0, 1.0]))  # on the ruling or a pixel or two off

    # a dash bullet on the ruling, then a word standing on it, underlined on the ruling
    sym.append(_hbar(x, x + 0.9 * xh, r - 0.5 * xh if rng.random() < 0.5 else r + near()))
    x += 1.6 * xh
    text = str(rng.choice(["note", "left", "that", "test", "item"]))
    ws = [(a - [0, 0]) * (xh / 45.0) for a in _word_strokes("futural", text)]
    base = max(float(a[:, 1].max()) for a in ws)
    ws = [a + [x, r - 1.0 - base] for a in ws]
    words += ws
    x1 = max(float(a[:, 0].max()) for a in ws)
    sym.append(_hbar(x - 2, x1 + 2, r + near()))
    x = x1 + 1.2 * xh
    # '=' whose lower bar lies on the ruling, '+' standing on it, '-' at mid height
    sym += [_hbar(x, x + 1.2 * xh, r - 0.55 * xh), _hbar(x, x + 1.2 * xh, r + near())]
    x += 2.0 * xh
    sym += [_hbar(x, x + 1.2 * xh, r - 0.6 * xh), _vbar(x + 0.6 * xh, r - 1.2 * xh, r + near())]
    x += 2.0 * xh
    sym.append(_hbar(x, x + 0.9 * xh, r - 0.5 * xh))
    x += 1.6 * xh
    # an arrow whose shaft runs along the ruling
    L = 4.0 * xh
    y = r + near()
    sym += [_hbar(x, x + L, y), np.array([[x + L - 0.5 * xh, y - 0.45 * xh], [x + L, y],
                                          [x + L - 0.5 * xh, y + 0.45 * xh]])]
    x += L + 1.0 * xh
    # t: a stem standing on the ruling and its bar; a matrix of 1s between brackets that cross the ruling
    sym += [_vbar(x, r - 1.6 * xh, r + near()), _hbar(x - 0.45 * xh, x + 0.45 * xh, r - 1.05 * xh)]
    x += 1.5 * xh
    top, bot = r - 1.6 * xh, r + 0.6 * gap
    sym += [np.array([[x + 0.3 * xh, top], [x, top], [x, bot], [x + 0.3 * xh, bot]])]
    for k in range(2):
        cx = x + (0.9 + 1.1 * k) * xh
        sym += [np.array([[cx - 0.3 * xh, r - 1.05 * xh], [cx, r - 1.4 * xh], [cx, r + near()]])]
    x += 3.0 * xh
    sym += [np.array([[x - 0.3 * xh, top], [x, top], [x, bot], [x - 0.3 * xh, bot]])]
    return sym, words, x + 1.5 * xh


def make_symbol_page(rng: np.random.Generator, paper: str = "ruled", size: tuple[int, int] = (1000, 700),
                     gap: float = 56.0, pen: float | None = None, shade: float = 0.0) -> SymbolPage:
    """``shade``: depth of a soft cast shadow over the right part of the page (0 = none)."""
    w, h = size
    img = np.empty((h, w, 3), np.float32)
    img[:] = (250, 250, 246)
    img += rng.normal(0, 2.0, (h, w, 1)).astype(np.float32)
    col = list(RULING_COLOURS[int(rng.integers(len(RULING_COLOURS)))])
    top = 0.1 * h
    rulings = list(np.arange(top, h - 20, gap))
    if paper == "grid":
        for xg in np.arange(gap / 4, w, gap / 2):
            cv2.line(img, (int(xg), 0), (int(xg), h), col, 1, cv2.LINE_AA)
        rulings = list(np.arange(top, h - 5, gap / 2))
        for y in rulings:
            cv2.line(img, (0, round(y)), (w, round(y)), col, 1, cv2.LINE_AA)
        rulings = rulings[1::2]  # writing sits on every other grid line
    else:
        for y in rulings:
            cv2.line(img, (0, round(y)), (w, round(y)), col, 2 if rng.random() < 0.5 else 1,
                     cv2.LINE_AA)
        cv2.line(img, (int(0.08 * w), 0), (int(0.08 * w), h), (225, 120, 120), 2, cv2.LINE_AA)
    pen = float(rng.uniform(2.2, 3.2)) if pen is None else pen
    xh = 0.38 * gap
    symbols: list[np.ndarray] = []
    words: list[np.ndarray] = []
    for r in rulings[1:-1:2]:
        s, ws, _ = _line_items(rng, float(r), gap, 0.12 * w, xh)
        symbols += s
        words += ws
    symbols = [_densify(a, 2.0) + rng.normal(0, 0.25, (len(_densify(a, 2.0)), 2)) for a in symbols]
    words = [_densify(a, 2.0) for a in words]
    ink = np.array((25, 25, 35), np.float32)
    cov = draw_strokes_mask([Stroke(a.astype(np.float32), width=pen) for a in symbols + words], h, w)[..., None]
    img = img * (1 - cov) + ink * cov
    if shade > 0:  # a soft-edged shadow falling across the page, darkening ruling and ink alike
        xx = np.arange(w, dtype=np.float32)[None, :] + 0.3 * np.arange(h, dtype=np.float32)[:, None]
        img *= (1.0 - shade / (1.0 + np.exp(-(xx - 0.55 * w) / (0.03 * w))))[..., None]
    img = cv2.GaussianBlur(img, (0, 0), 0.5)
    img = np.clip(img + rng.normal(0, 1.5, img.shape) + 0.5, 0, 255).astype(np.uint8)
    return SymbolPage(img, symbols, symbols + words, pen, [float(r) for r in rulings])
