"""Ink geometry metrics used during training (the evaluation harness in training/evaluate is the reference).

Coverage: share of the reference ink (densely resampled) within ``tol`` of the predicted ink; precision:
the other way round. ``tol`` defaults to 2% of the reference ink's bounding-box diagonal.
"""

from __future__ import annotations

import numpy as np


def densify(strokes: list[np.ndarray], step: float) -> np.ndarray:
    pts = []
    for s in strokes:
        s = np.asarray(s, np.float64)[:, :2]
        if len(s) == 1:
            pts.append(s)
            continue
        seg = np.diff(s, axis=0)
        lens = np.hypot(seg[:, 0], seg[:, 1])
        for p, d, L in zip(s[:-1], seg, lens):
            n = max(1, int(np.ceil(L / step)))
            pts.append(p + d * (np.arange(n)[:, None] / n))
        pts.append(s[-1:])
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def _within(a: np.ndarray, b: np.ndarray, tol: float) -> float:
    if len(a) == 0:
        return 1.0
    if len(b) == 0:
        return 0.0
    hit = np.zeros(len(a), bool)
    for i in range(0, len(a), 512):
        d2 = ((a[i:i + 512, None, :] - b[None, :, :]) ** 2).sum(-1)
        hit[i:i + 512] = d2.min(1) <= tol * tol
    return float(hit.mean())


def coverage_precision(ref: list[np.ndarray], pred: list[np.ndarray], tol_frac: float = 0.02
                       ) -> tuple[float, float]:
    allr = np.concatenate([np.asarray(s)[:, :2] for s in ref])
    diag = float(np.hypot(*np.ptp(allr, axis=0))) or 1.0
    tol = tol_frac * diag
    r, p = densify(ref, tol / 2), densify(pred, tol / 2) if pred else np.zeros((0, 2))
    return _within(r, p, tol), _within(p, r, tol)
