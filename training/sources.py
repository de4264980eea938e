"""Where training strokes come from: a weighted mixture of UNIPEN items and single-stroke font words."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .unipen import Unipen, split_segments

Item = tuple[list[np.ndarray], "str | None"]  # strokes (ink units, y down), label (None = unknown)


class UnipenSource:
    """Draws items of one split: words (6/7), free-text segments (8) and characters (1a-1c)."""

    def __init__(self, data: Unipen, weights: dict[str, float] | None = None):
        self.data = data
        self.groups = {"word": data.indices(("6", "7")), "text": data.indices(("8",)),
                       "char": data.indices(("1a", "1b", "1c"))}
        w = weights or {"word": 0.78, "text": 0.14, "char": 0.08}
        self.names = [k for k in w if len(self.groups[k])]
        p = np.array([w[k] for k in self.names], float)
        self.p = p / p.sum()

    def __call__(self, rng: np.random.Generator) -> Item:
        g = self.names[rng.choice(len(self.names), p=self.p)]
        idx = self.groups[g]
        i = int(idx[rng.integers(len(idx))])
        strokes, label = self.data.strokes(i), self.data.label(i)
        if g == "text":
            allp = np.concatenate(strokes)
            w, h = np.ptp(allp, axis=0)
            if w <= 5 * max(h, 1) and len(label) <= 32 and len(strokes) <= 40:
                return strokes, label
            segs = split_segments(strokes)
            return segs[rng.integers(len(segs))], None  # the label of a segment is unknown
        return strokes, label


def add_line_mark(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """The word with a pen-drawn underline or strike-through after it (one slightly wavy stroke, usually left to
    right): photos have them and the model should write them as one stroke, not trace them as a ruling."""
    allp = np.concatenate(strokes)
    (x0, y0), (x1, y1) = allp.min(0), allp.max(0)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    y = y1 + rng.uniform(0.03, 0.2) * h if rng.random() < 0.6 else y0 + rng.uniform(0.35, 0.65) * h
    n = 24
    xs = np.linspace(x0 - rng.uniform(0, 0.08) * w, x1 + rng.uniform(0, 0.08) * w, n)
    wobble = np.convolve(rng.normal(0, 0.02 * h, n + 4), np.ones(5) / 5, "valid")
    ys = y + np.linspace(0, rng.normal(0, 0.04) * w, n) + wobble
    mark = np.stack([xs, ys], 1).astype(strokes[0].dtype)
    return [*strokes, mark[::-1] if rng.random() < 0.1 else mark]


class Mixture:
    def __init__(self, sources: list[tuple[float, Callable[[np.random.Generator], Item]]]):
        self.sources = [s for _, s in sources]
        p = np.array([w for w, _ in sources], float)
        self.p = p / p.sum()

    def __call__(self, rng: np.random.Generator) -> Item:
        return self.sources[rng.choice(len(self.sources), p=self.p)](rng)
