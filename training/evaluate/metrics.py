"""Trajectory metrics: how close predicted pen strokes are to the true ones, in image pixels.

All functions take strokes as lists of float (n, 2) arrays (x, y; any n >= 1) in the same frame. The
tolerance and the normaliser come from the *true* word's bounding-box diagonal, so a system cannot improve
its score by drawing bigger or smaller.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

TOLERANCE_FRACTION = 0.02  # of the true word box diagonal
FINE_TOLERANCE_FRACTION = 0.01  # F1 at this tolerance tells a centre line from ink merely near it
DTW_POINTS = 64


def _clean(strokes) -> list[np.ndarray]:
    out = []
    for s in strokes:
        a = np.asarray(getattr(s, "xy", s), np.float64)  # (n, 2+) arrays or inference.document.ink.Stroke
        if a.ndim == 2 and len(a) and a.shape[1] >= 2:
            out.append(a[:, :2])
    return out


# A UNIPEN val word's box diagonal is a median 2.8 times its height (200 words: quartiles 2.0 and 4.0)
WORD_DIAGONAL_PER_HEIGHT = 2.8


def box_diagonal(strokes, line: bool = False) -> float:
    """The diagonal of the strokes' bounding box; ``line``: of a word-shaped box as high as the line's (a
    line's own diagonal grows with its length, and 2% of it would be wider than its letters)."""
    st = _clean(strokes)
    if not st:
        return 0.0
    xy = np.concatenate(st)
    w, h = xy.max(axis=0) - xy.min(axis=0)
    return float(WORD_DIAGONAL_PER_HEIGHT * h) if line else float(math.hypot(w, h))


def stroke_length(s: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(s, axis=0), axis=1).sum()) if len(s) > 1 else 0.0


def resample(s: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` px of arc length along one stroke (ends included; a dot stays one point)."""
    s = np.asarray(s, np.float64)[:, :2]
    if len(s) < 2:
        return s.copy()
    seg = np.linalg.norm(np.diff(s, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] <= 0:
        return s[:1].copy()
    n = max(2, math.ceil(cum[-1] / step) + 1)
    u = np.linspace(0.0, cum[-1], n)
    return np.column_stack([np.interp(u, cum, s[:, 0]), np.interp(u, cum, s[:, 1])])


def _segments(strokes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Start points and vectors of every segment; a dot is a zero-length segment."""
    a, d = [], []
    for s in strokes:
        if len(s) == 1:
            a.append(s)
            d.append(np.zeros_like(s))
        else:
            a.append(s[:-1])
            d.append(np.diff(s, axis=0))
    return np.concatenate(a), np.concatenate(d)


def point_to_ink_distance(points: np.ndarray, strokes: list[np.ndarray], chunk: int = 2048) -> np.ndarray:
    """Exact Euclidean distance of each point to the nearest point of any stroke polyline."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    strokes = _clean(strokes)
    if not strokes:
        return np.full(len(points), np.inf)
    a, d = _segments(strokes)
    dd = np.maximum((d * d).sum(axis=1), 1e-12)
    out = np.empty(len(points))
    for i in range(0, len(points), chunk):
        p = points[i:i + chunk, None, :]
        t = np.clip(((p - a) * d).sum(axis=2) / dd, 0.0, 1.0)
        q = a + t[..., None] * d
        out[i:i + chunk] = np.sqrt(((p - q) ** 2).sum(axis=2)).min(axis=1)
    return out


def _project(points: np.ndarray, stroke: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each point to ``stroke`` and the arc-length position of its nearest point on it."""
    if len(stroke) == 1:
        return np.linalg.norm(points - stroke[0], axis=1), np.zeros(len(points))
    a, d = stroke[:-1], np.diff(stroke, axis=0)
    seglen = np.linalg.norm(d, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seglen)])
    dd = np.maximum((d * d).sum(axis=1), 1e-12)
    p = points[:, None, :]
    t = np.clip(((p - a) * d).sum(axis=2) / dd, 0.0, 1.0)
    dist = np.sqrt(((p - (a + t[..., None] * d)) ** 2).sum(axis=2))
    k = dist.argmin(axis=1)
    rows = np.arange(len(points))
    return dist[rows, k], cum[k] + t[rows, k] * seglen[k]


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as Spearman's rho needs."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(len(x), dtype=np.float64)
    xs = x[order]
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[i]:
            j += 1
        if j > i:
            r[order[i:j + 1]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(x, y) -> float:
    """Spearman rank correlation; NaN when fewer than two values or a side is constant."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 2:
        return float("nan")
    rx, ry = _ranks(x), _ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    den = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / den) if den > 0 else float("nan")


def _resample_sequence(strokes: list[np.ndarray], n: int) -> np.ndarray:
    """``n`` points spread by pen-down arc length over the strokes in order (pen-up jumps carry none)."""
    strokes = _clean(strokes)
    lens = np.array([stroke_length(s) for s in strokes])
    total = float(lens.sum())
    if total <= 0:  # only dots: take them in order
        pts = np.concatenate([s[:1] for s in strokes])
        return pts[np.linspace(0, len(pts) - 1, n).round().astype(int)]
    u = (np.arange(n) + 0.5) / n * total
    starts = np.concatenate([[0.0], np.cumsum(lens)[:-1]])
    out = np.empty((n, 2))
    for i, ui in enumerate(u):
        k = int(np.searchsorted(starts, ui, side="right") - 1)
        while lens[k] <= 0:  # skip dots
            k -= 1
        s = strokes[k]
        seg = np.linalg.norm(np.diff(s, axis=0), axis=1)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        v = ui - starts[k]
        out[i] = np.interp(v, cum, s[:, 0]), np.interp(v, cum, s[:, 1])
    return out


def dtw(a: np.ndarray, b: np.ndarray) -> float:
    """Mean point distance along the optimal DTW alignment path (symmetric steps)."""
    c = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    n, m = c.shape
    acc = np.full((n + 1, m + 1), np.inf)
    steps = np.zeros((n + 1, m + 1), np.int64)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            choices = (acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
            k = int(np.argmin(choices))
            pi, pj = ((i - 1, j - 1), (i - 1, j), (i, j - 1))[k]
            acc[i, j] = choices[k] + c[i - 1, j - 1]
            steps[i, j] = steps[pi, pj] + 1
    return float(acc[n, m] / steps[n, m])


@dataclass(frozen=True)
class TrajectoryScores:
    coverage: float  # share of true ink within tolerance of predicted ink
    precision: float  # share of predicted ink within tolerance of true ink
    stroke_ratio: float  # predicted strokes / true strokes
    direction: float  # matched true strokes drawn the same way (share); NaN when none qualifies
    order: float  # Spearman rho of matched strokes' order; NaN when < 2 matched strokes
    dtw: float  # DTW of resampled whole-word sequences / diagonal; NaN when nothing was predicted
    matched: float  # share of true strokes whose nearest predicted stroke lies within 2 x tolerance
    n_true: int
    n_pred: int
    f1_fine: float = float("nan")  # F1 of coverage and precision at FINE_TOLERANCE_FRACTION of the diagonal
    specks: float = float("nan")  # share of predicted strokes shorter than ``speck_px`` (a pen width)
    # the same share among the true strokes: a writer's dots are that short too, so this is the floor to compare with
    true_specks: float = float("nan")
    # the stroke count word by word: a mean ratio near 1 can hide as many words in too few strokes as in too many
    same_count: float = float("nan")  # 1.0 when the prediction has exactly the true number of strokes, else 0.0
    # |predicted - true strokes|: at least that many joins or splits for the user to make (per word, not per true
    # stroke: divided by the true count, a short word in three pieces would outweigh a long one a stroke short)
    count_error: float = float("nan")

    def as_dict(self) -> dict:
        return asdict(self)


def _f1(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b > 0 else 0.0


def score_trajectory(true_strokes, pred_strokes, tolerance_fraction: float = TOLERANCE_FRACTION,
                     dtw_points: int = DTW_POINTS, speck_px: float = 0.0, line: bool = False) -> TrajectoryScores:
    """Compare predicted strokes with the true pen trajectory (both in the same pixel frame).

    ``speck_px``: predicted strokes shorter than this (arc length) count as specks (0: none counted).
    ``line``: a line of text, its tolerances taken from a word-shaped box as high as it (:func:`box_diagonal`)."""
    true = _clean(true_strokes)
    pred = _clean(pred_strokes)
    if not true:
        raise ValueError("the true trajectory has no strokes")
    diag = max(box_diagonal(true, line), 1e-6)
    tol = tolerance_fraction * diag
    step = max(tol / 4.0, 1e-3)  # sampling error <= tol/8: far below the tolerance
    true_pts = [resample(s, step) for s in true]
    n_true, n_pred = len(true), len(pred)
    true_specks = float(np.mean([stroke_length(s) < speck_px for s in true])) if speck_px > 0 else float("nan")
    if not pred:
        return TrajectoryScores(0.0, float("nan"), 0.0, float("nan"), float("nan"), float("nan"), 0.0,
                                n_true, 0, 0.0, float("nan"), true_specks, 0.0, float(n_true))
    pred_pts = [resample(s, step) for s in pred]
    all_true = np.concatenate(true_pts)
    all_pred = np.concatenate(pred_pts)
    d_true = point_to_ink_distance(all_true, pred)
    d_pred = point_to_ink_distance(all_pred, true)
    coverage = float((d_true <= tol).mean())
    precision = float((d_pred <= tol).mean())
    fine = FINE_TOLERANCE_FRACTION * diag
    f1_fine = _f1(float((d_true <= fine).mean()), float((d_pred <= fine).mean()))
    specks = float(np.mean([stroke_length(s) < speck_px for s in pred])) if speck_px > 0 else float("nan")

    # match each true stroke to the predicted stroke with the smallest mean distance to its points
    directions, order_true, order_pred = [], [], []
    n_matched = 0
    for i, (s, pts) in enumerate(zip(true, true_pts)):
        best = None
        for j, p in enumerate(pred):
            dist, pos = _project(pts, p)
            md = float(dist.mean())
            if best is None or md < best[0]:
                best = (md, j, pos)
        md, j, pos = best
        if md > 2 * tol:
            continue  # nothing drawn near this stroke: no direction or order to judge
        n_matched += 1
        plen = stroke_length(pred[j])
        # order key: which predicted stroke, then where along it (a stroke that joins several true strokes
        # still orders them by position along it)
        order_true.append(i)
        order_pred.append(j + (float(np.median(pos)) / plen if plen > 0 else 0.0) * 0.999)
        if stroke_length(s) >= 2 * tol and len(pts) >= 3:
            # same way = positions along the predicted stroke grow with positions along the true one
            rho = spearman(np.arange(len(pts)), pos)
            if math.isfinite(rho):
                directions.append(1.0 if rho > 0 else 0.0)
    direction = float(np.mean(directions)) if directions else float("nan")
    order = spearman(order_true, order_pred) if len(order_true) >= 2 else float("nan")
    d = dtw(_resample_sequence(true, dtw_points), _resample_sequence(pred, dtw_points)) / diag
    return TrajectoryScores(coverage, precision, n_pred / n_true, direction, order, d, n_matched / n_true,
                            n_true, n_pred, f1_fine, specks, true_specks, float(n_pred == n_true),
                            float(abs(n_pred - n_true)))


def mean_ignoring_nan(values) -> float:
    v = np.asarray([x for x in values if x is not None], np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")
