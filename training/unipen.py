"""UNIPEN Train-R01/V07 loader (../shared/data/unipen): labelled pen trajectories by split (writer-disjoint).

Items become samples of (strokes in ink units with y down, label or None). Words (categories 6/7) are used
as they are; free text (8) is cut into line segments that fit the model canvas (the label is kept only when
the whole item fits); isolated characters are kept as they are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path(os.environ.get("INKLIFT_UNIPEN", Path(__file__).resolve().parents[2] / "shared/data/unipen"))


@dataclass
class Unipen:
    """Holds one split's arrays in memory (decompressed once)."""
    dxy: np.ndarray
    so: np.ndarray
    io: np.ndarray
    lo: np.ndarray
    lab: np.ndarray
    category: np.ndarray
    ppi: np.ndarray
    flags: np.ndarray

    @classmethod
    def load(cls, split: str = "train", root: Path | str | None = None) -> Unipen:
        if split not in ("train", "val"):
            raise ValueError("only the train and val splits are available (test writers are held out)")
        z = np.load(Path(root or DEFAULT_DIR) / f"unipen_{split}.npz")
        return cls(z["dxy"], z["stroke_offsets"], z["item_offsets"], z["label_offsets"], z["labels_utf8"],
                   z["category"], z["points_per_inch"], z["flags"])

    def __len__(self) -> int:
        return len(self.io) - 1

    def label(self, i: int) -> str:
        return bytes(self.lab[self.lo[i]:self.lo[i + 1]]).decode("utf-8")

    def strokes(self, i: int) -> list[np.ndarray]:
        """Strokes of item i as float64 (n, 2), y down, y rescaled to x units where the resolutions differ."""
        s0, s1 = self.io[i], self.io[i + 1]
        p0, p1 = self.so[s0], self.so[s1]
        xy = np.cumsum(self.dxy[p0:p1].astype(np.int64), axis=0).astype(np.float64)
        px, py = self.ppi[i]
        if np.isfinite(px) and np.isfinite(py) and py > 0 and abs(px / py - 1) > 0.02:
            xy[:, 1] *= px / py
        return [s for s in np.split(xy, self.so[s0 + 1:s1] - p0) if len(s)]

    def indices(self, cats: tuple[str, ...]) -> np.ndarray:
        ok = np.isin(self.category, cats) & ((self.flags & (1 | 32)) == 0)
        return np.nonzero(ok)[0]


def split_segments(strokes: list[np.ndarray], max_aspect: float = 5.0) -> list[list[np.ndarray]]:
    """Cut a free-text item into lines (by vertical gaps) and then into runs of strokes no wider than
    ``max_aspect`` times the line height (by stroke order; a segment boundary falls between strokes)."""
    heights = [np.ptp(s[:, 1]) for s in strokes]
    line_h = max(float(np.median(heights)) * 2.5, 1.0)
    # new line when a stroke starts far left of the previous one's end and below it
    lines: list[list[np.ndarray]] = [[]]
    prev = None
    for s in strokes:
        if prev is not None and s[0, 0] < prev[:, 0].min() - 2 * line_h and s[:, 1].mean() > prev[:, 1].mean() \
                + 0.6 * line_h:
            lines.append([])
        lines[-1].append(s)
        prev = s
    out: list[list[np.ndarray]] = []
    for line in lines:
        ys = np.concatenate(line)[:, 1]
        h = max(float(np.percentile(ys, 95) - np.percentile(ys, 5)), 1.0)
        cur: list[np.ndarray] = []
        x0 = None
        for s in line:
            if cur and (max(s[:, 0].max(), max(c[:, 0].max() for c in cur)) - x0) > max_aspect * h:
                out.append(cur)
                cur, x0 = [], None
            cur.append(s)
            x0 = s[:, 0].min() if x0 is None else min(x0, s[:, 0].min())
        if cur:
            out.append(cur)
    return out
