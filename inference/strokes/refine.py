"""Polish strokes (from the model or the tracer): snap drifting points onto the ink's centre line,
drop degenerate strokes, simplify, resample, and make up plausible timestamps.

Everything takes and returns ``Stroke`` values (immutable; colour, width and flags are kept). Geometry is
in the strokes' own coordinates; functions that look at an ink mask take an optional ``transform`` from
stroke coordinates to the mask's continuous pixel coordinates (pixel centre = index + 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

import cv2
import numpy as np

from ..document.ink import Stroke
from ..document.transforms import Transform
from .skeleton import rdp, thin

# Handwriting runs at about 5 letters a second, a letter's path being a few letter heights long: the
# pen covers roughly 13 times a typical stroke's extent per second. Tied to the ink's own size, the
# made-up times come out alike whatever the photo's resolution. Pauses between strokes ~0.15 s.
SPEED_PER_EXTENT_PER_MS = 0.013
DEFAULT_PEN_UP_MS = 150.0


def _xy_in_mask(s: Stroke, transform: Transform | None) -> np.ndarray:
    return s.xy.astype(np.float64) if transform is None else transform.apply(s.xy)


def _back(xy: np.ndarray, transform: Transform | None) -> np.ndarray:
    return xy if transform is None else transform.inverse().apply(xy)


def _with_xy(s: Stroke, xy: np.ndarray) -> Stroke:
    return replace(s, points=np.column_stack([np.asarray(xy, np.float32), s.t]))


def arc_length(xy: np.ndarray) -> np.ndarray:
    """Distance along the polyline from its first point to each point (float64, starts at 0)."""
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(np.asarray(xy, np.float64), axis=0).T))])


def path_length(xy: np.ndarray) -> float:
    """Length of the polyline through the points (x, y): 0 for fewer than two points."""
    return float(arc_length(xy)[-1]) if len(xy) > 1 else 0.0


# ---------------------------------------------------------------------------------------------------


def snap_to_centerline(
    strokes: Sequence[Stroke],
    ink_mask: np.ndarray,
    max_dist_px: float,
    transform: Transform | None = None,
    skeleton: np.ndarray | None = None,
) -> list[Stroke]:
    """Move points that drifted off the ink onto the nearest centre-line pixel within ``max_dist_px``
    (mask pixels); points farther away (ink the mask missed, or a real stroke the mask lacks) stay.

    Snapped runs are lightly smoothed along the stroke so snapping does not add pixel staircase jitter.
    ``skeleton`` may pass a precomputed centre line of ``ink_mask`` (``skeleton.thin``).
    """
    mask = np.asarray(ink_mask, bool)
    if skeleton is None:
        skeleton = thin(mask) if mask.any() else np.zeros(mask.shape, bool)
    skeleton = np.asarray(skeleton, bool)
    if not skeleton.any() or max_dist_px <= 0:
        return list(strokes)
    h, w = skeleton.shape
    # distance to the centre line and, per pixel, which centre-line pixel is nearest
    src = (~skeleton).astype(np.uint8)
    dist, labels = cv2.distanceTransformWithLabels(src, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(skeleton)
    lut = np.zeros((int(labels.max()) + 1, 2), np.float64)
    lut[labels[ys, xs]] = np.column_stack([xs + 0.5, ys + 0.5])
    out = []
    for s in strokes:
        xy = _xy_in_mask(s, transform)
        c = np.floor(xy[:, 0]).astype(np.int64)
        r = np.floor(xy[:, 1]).astype(np.int64)
        inside = (c >= 0) & (c < w) & (r >= 0) & (r < h)
        disp = np.zeros_like(xy)
        ok = np.zeros(len(xy), bool)
        if inside.any():
            rc, cc = r[inside], c[inside]
            target = lut[labels[rc, cc]]
            d = np.hypot(*(target - xy[inside]).T)
            near = (dist[rc, cc] <= max_dist_px) & (d <= max_dist_px + 0.75)
            idx = np.nonzero(inside)[0][near]
            disp[idx] = target[near] - xy[idx]
            ok[idx] = True
        if not ok.any():
            out.append(s)
            continue
        new = xy + disp
        if len(xy) >= 3:
            # centre-line pixels form staircases: average each snapped interior point with its snapped
            # neighbours (positions, not displacements, so a zigzag collapses onto the line)
            both = ok[1:-1] & ok[:-2] & ok[2:]
            sm = 0.25 * new[:-2] + 0.5 * new[1:-1] + 0.25 * new[2:]
            new[1:-1][both] = sm[both]
        out.append(_with_xy(s, _back(new, transform)))
    return out


def simplify(strokes: Iterable[Stroke], eps: float) -> list[Stroke]:
    """Ramer-Douglas-Peucker with tolerance ``eps`` (stroke units); ends and the kept points' times stay."""
    out = []
    for s in strokes:
        if len(s) < 3 or eps <= 0:
            out.append(s)
            continue
        keep = rdp(s.xy.astype(np.float64), eps)
        out.append(replace(s, points=s.points[keep]))
    return out


def resample(strokes: Iterable[Stroke], step_px: float) -> list[Stroke]:
    """Points every ``step_px`` along each stroke (ends kept; times interpolated along the way)."""
    if not (step_px > 0):
        raise ValueError(f"step must be positive, got {step_px!r}")
    out = []
    for s in strokes:
        p = s.points.astype(np.float64)
        if len(p) < 2:
            out.append(s)
            continue
        cum = arc_length(p[:, :2])
        total = cum[-1]
        if total <= 1e-9:
            out.append(replace(s, points=p[:1]))
            continue
        n = max(1, math.ceil(total / step_px - 1e-9))
        at = np.linspace(0.0, total, n + 1)
        new = np.column_stack([np.interp(at, cum, p[:, i]) for i in range(3)])
        out.append(replace(s, points=new))
    return out


def drop_degenerate(
    strokes: Iterable[Stroke],
    min_length_px: float = 0.0,
    keep_dots: bool = True,
    max_points: int | None = None,
) -> list[Stroke]:
    """Remove what no pen draws: consecutive repeats of a point (models emit the same point hundreds of
    times), strokes shorter than ``min_length_px`` (dots are kept when ``keep_dots``: an i's dot is one
    point), and, with ``max_points``, strokes whose point count is beyond reason are cut to it.
    """
    out = []
    for s in strokes:
        p = s.points
        if len(p) > 1:
            step = np.hypot(*np.diff(p[:, :2], axis=0).T)
            keep = np.concatenate([[True], step > 1e-3])
            p = p[keep]
        if max_points is not None and len(p) > max_points:
            p = p[:max_points]
        length = float(np.hypot(*np.diff(p[:, :2], axis=0).T).sum()) if len(p) > 1 else 0.0
        if len(p) == 1 or length <= 1e-3:
            if keep_dots:
                out.append(replace(s, points=p[:1]))
            continue
        if length < min_length_px:
            continue
        out.append(replace(s, points=p) if len(p) != len(s.points) else s)
    return out


def writing_speed(strokes: Sequence[Stroke]) -> float:
    """A plausible pen speed (stroke units per ms) for this ink, from its strokes' typical extent."""
    ext = [max(float(np.ptp(s.xy[:, 0])), float(np.ptp(s.xy[:, 1]))) for s in strokes if len(s) > 1]
    extent = max(5.0, float(np.median(ext))) if ext else 20.0
    return SPEED_PER_EXTENT_PER_MS * extent


def synth_timestamps(
    strokes: Sequence[Stroke],
    speed_px_per_ms: float | None = None,
    pen_up_ms: float = DEFAULT_PEN_UP_MS,
    start_ms: float = 0.0,
) -> list[Stroke]:
    """Made-up times in ms (``time_measured=False``): the pen moves at ``speed_px_per_ms`` (default:
    :func:`writing_speed` of these strokes) on straight runs and slows in sharp turns (as real pens
    do), rests ``pen_up_ms`` plus the travel time between strokes. Times start at ``start_ms`` and
    strictly increase within each stroke.
    """
    strokes = list(strokes)
    if speed_px_per_ms is None:
        speed_px_per_ms = writing_speed(strokes)
    if not (speed_px_per_ms > 0):
        raise ValueError(f"speed must be positive, got {speed_px_per_ms!r}")
    out = []
    t = float(start_ms)
    prev_end: np.ndarray | None = None
    for s in strokes:
        xy = s.xy.astype(np.float64)
        if prev_end is not None:
            travel = float(np.hypot(*(xy[0] - prev_end)))
            t += max(0.0, pen_up_ms) + travel / (2.0 * speed_px_per_ms)
        times = np.empty(len(xy))
        times[0] = t
        if len(xy) > 1:
            d = np.diff(xy, axis=0)
            seg = np.hypot(d[:, 0], d[:, 1])
            # turning angle at each segment's start (0 for the first): slow down up to 2.5x at a cusp
            ang = np.arctan2(d[:, 1], d[:, 0])
            turn = np.zeros(len(seg))
            if len(seg) > 1:
                turn[1:] = np.abs((np.diff(ang) + np.pi) % (2 * np.pi) - np.pi)
            speed = speed_px_per_ms / (1.0 + 1.5 * turn / np.pi)
            dt = np.maximum(seg / speed, 1e-3)
            times[1:] = t + np.cumsum(dt)
        t = float(times[-1])
        prev_end = xy[-1]
        pts = np.column_stack([xy, times]).astype(np.float32)
        # float32 cannot tell apart times that differ by less than its resolution: keep them increasing
        if len(pts) > 1 and not np.all(np.diff(pts[:, 2]) > 0):
            for i in range(1, len(pts)):
                if pts[i, 2] <= pts[i - 1, 2]:
                    pts[i, 2] = np.nextafter(pts[i - 1, 2], np.float32(np.inf))
        out.append(replace(s, points=pts, time_measured=False))
    return out


def polish(
    strokes: Sequence[Stroke],
    ink_mask: np.ndarray | None,
    stroke_width_px: float,
    transform: Transform | None = None,
) -> list[Stroke]:
    """The usual chain for model output: drop degenerate, snap within a width, simplify, re-time."""
    s = drop_degenerate(strokes)
    if ink_mask is not None and np.asarray(ink_mask).any():
        s = snap_to_centerline(s, ink_mask, max_dist_px=max(1.5, 1.0 * stroke_width_px), transform=transform)
    s = simplify(s, eps=0.3)
    return synth_timestamps(s)


def order_like(strokes: Sequence[Stroke], guide: Sequence[Stroke], max_dist_px: float,
               redirect: bool = True, min_agreement: float = 0.5) -> list[Stroke]:
    """``strokes`` (e.g. the tracer's, which follow the ink well) put in the order and direction of
    ``guide`` (e.g. the model's, which wander off the ink but know how the word was written).

    Every point of a stroke is projected onto the guide's concatenated path (nearest guide point within
    ``max_dist_px``; its arc-length position along the path). Strokes are sorted by the median position
    of their points; with ``redirect`` a stroke is reversed when its positions clearly run backwards
    (rank correlation with point order below ``-min_agreement``). A stroke that matches nothing keeps
    its place by x: it goes right after the matched strokes that start left of it.
    """
    strokes = list(strokes)
    g = [s.xy.astype(np.float64) for s in guide if len(s)]
    if not strokes or not g:
        return strokes
    gxy = np.concatenate(g)
    gpos = arc_length(gxy)

    out: list[Stroke] = []
    keys: list[float | None] = []
    for s in strokes:
        xy = s.xy.astype(np.float64)
        d = np.hypot(xy[:, None, 0] - gxy[None, :, 0], xy[:, None, 1] - gxy[None, :, 1])
        near = np.argmin(d, axis=1)
        ok = d[np.arange(len(xy)), near] <= max_dist_px
        if not ok.any():
            out.append(s)
            keys.append(None)
            continue
        pos = gpos[near[ok]]
        if redirect and ok.sum() >= 3 and np.ptp(pos) > 0:
            rho = float(np.corrcoef(np.argsort(np.argsort(np.flatnonzero(ok))),
                                    np.argsort(np.argsort(pos, kind="stable")))[0, 1])
            if rho < -min_agreement:
                s = _with_xy(s, xy[::-1])
        out.append(s)
        keys.append(float(np.median(pos)))
    matched = [(k, float(s.xy[:, 0].min())) for s, k in zip(out, keys) if k is not None]
    if not matched:
        return strokes
    full: list[float] = []
    for s, k in zip(out, keys):
        if k is None:
            x0 = float(s.xy[:, 0].min())
            left = [mk for mk, mx in matched if mx <= x0]
            k = max(left) if left else -1.0  # ties sort after the matched stroke (stable, below)
        full.append(k)
    # matched strokes first at equal keys; otherwise the input order breaks ties
    order = sorted(range(len(out)), key=lambda i: (full[i], keys[i] is None, i))
    return [out[i] for i in order]


def join_like(strokes: Sequence[Stroke], guide: Sequence[Stroke], touch_px: float, max_dist_px: float) -> list[Stroke]:
    """Join consecutive ``strokes`` (already in ``guide``'s order, e.g. by :func:`order_like`) where the guide
    writes straight on from one into the next without lifting the pen.

    The tracer cuts cursive at every junction of the skeleton; the model knows where the pen stayed down. A
    pair is joined when the first stroke's end touches the next one's start (within ``touch_px``) and, just
    before and just after that point, both lie on the same guide stroke (within ``max_dist_px``), the next one
    a little further along it.
    """
    strokes = list(strokes)
    if len(strokes) < 2 or not any(len(s) >= 2 for s in guide):
        return strokes
    # guide points this close: the nearest point is about the nearest place on the path
    dense = resample((g for g in guide if len(g) >= 2), max(0.5, max_dist_px / 3.0))
    gxy = np.concatenate([g.xy for g in dense]).astype(np.float64)
    gid = np.concatenate([np.full(len(g), i) for i, g in enumerate(dense)])
    pos = np.concatenate([arc_length(g.xy) for g in dense])

    def on_guide(p: np.ndarray) -> tuple[int, float] | None:
        d = np.hypot(gxy[:, 0] - p[0], gxy[:, 1] - p[1])
        k = int(np.argmin(d))
        return (int(gid[k]), float(pos[k])) if d[k] <= max_dist_px else None

    def inside(xy: np.ndarray) -> np.ndarray:
        # a point a little way in from the end ``xy[0]``: at the pen-lift point itself both guide strokes
        # are equally near
        arc = arc_length(xy)
        at = min(2.0 * touch_px, 0.5 * arc[-1])
        return np.array([np.interp(at, arc, xy[:, 0]), np.interp(at, arc, xy[:, 1])])

    out = [strokes[0]]
    for s in strokes[1:]:
        a = out[-1]
        gap = float(np.hypot(*(a.xy[-1].astype(np.float64) - s.xy[0])))
        if gap <= touch_px and len(a) >= 2 and len(s) >= 2:
            ge, gs = on_guide(inside(a.xy[::-1])), on_guide(inside(s.xy))
            if ge is not None and gs is not None and ge[0] == gs[0] and 0.0 <= gs[1] - ge[1] <= 6.0 * max_dist_px:
                xy = np.concatenate([a.xy, s.xy[1:] if gap < 1e-6 else s.xy])
                # times are made up afterwards (synth_timestamps); zeros until then
                out[-1] = replace(a, points=np.column_stack([xy, np.zeros(len(xy), np.float32)]))
                continue
        out.append(s)
    return out
