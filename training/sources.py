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


class Mixture:
    def __init__(self, sources: list[tuple[float, Callable[[np.random.Generator], Item]]]):
        self.sources = [s for _, s in sources]
        p = np.array([w for w, _ in sources], float)
        self.p = p / p.sum()

    def __call__(self, rng: np.random.Generator) -> Item:
        return self.sources[rng.choice(len(self.sources), p=self.p)](rng)
