"""Pure edit operations on the immutable ink model (no Qt): each takes a Page and returns a new Page.

A stroke on a page is addressed by a :class:`StrokeRef` ``(word, index)``; ``word == -1`` means the page's
loose drawings. Refs are only valid for the Page they were taken from, which is fine because every edit
produces a new Page and the canvas re-reads refs from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from inference.document.ink import InkSource, Page, Quad, Stroke, Word

DRAWINGS = -1
MISREAD_BELOW = 0.6  # recogniser certainty under which a word's text is probably wrong


def misread(w: Word) -> bool:
    """The word's text is probably misread (and nobody has checked it yet)."""
    return bool(w.text) and w.confidence < MISREAD_BELOW and not w.reviewed


class StrokeRef(NamedTuple):
    word: int  # index into page.words, or DRAWINGS
    index: int  # index into that word's strokes (or page.drawings)


def iter_refs(page: Page) -> Iterable[tuple[StrokeRef, Stroke]]:
    for wi, w in enumerate(page.words):
        for si, s in enumerate(w.strokes):
            yield StrokeRef(wi, si), s
    for si, s in enumerate(page.drawings):
        yield StrokeRef(DRAWINGS, si), s


def get_stroke(page: Page, ref: StrokeRef) -> Stroke:
    if ref.word == DRAWINGS:
        return page.drawings[ref.index]
    return page.words[ref.word].strokes[ref.index]


def _group(refs: Iterable[StrokeRef]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for r in refs:
        out.setdefault(r.word, set()).add(r.index)
    return out


def map_strokes(page: Page, refs: Iterable[StrokeRef], fn) -> Page:
    """Replace each referenced stroke s with fn(s) (fn may return None to delete it, or a list to split).

    Words left without strokes are removed: erasing all of a word's ink means the word is gone.
    """
    groups = _group(refs)
    if not groups:
        return page

    def apply(strokes: tuple[Stroke, ...], idx: set[int]) -> tuple[Stroke, ...]:
        out: list[Stroke] = []
        for i, s in enumerate(strokes):
            if i not in idx:
                out.append(s)
                continue
            r = fn(s)
            if r is None:
                continue
            if isinstance(r, Stroke):
                out.append(r)
            else:
                out.extend(r)
        return tuple(out)

    words = []
    for wi, w in enumerate(page.words):
        if wi in groups:
            strokes = apply(w.strokes, groups[wi])
            if not strokes:
                continue
            w = replace(w, strokes=strokes)
        words.append(w)
    drawings = page.drawings
    if DRAWINGS in groups:
        drawings = apply(drawings, groups[DRAWINGS])
    return replace(page, words=tuple(words), drawings=drawings)


def remove_strokes(page: Page, refs: Iterable[StrokeRef]) -> Page:
    return map_strokes(page, refs, lambda s: None)


def translate_strokes(page: Page, refs: Iterable[StrokeRef], dx: float, dy: float) -> Page:
    """Move strokes; a word whose strokes all moved takes its box along."""
    refs = list(refs)
    groups = _group(refs)
    off = np.array([dx, dy], np.float32)
    moved = map_strokes(page, refs, lambda s: s.mapped(lambda xy: xy + off))
    words = []
    for wi, w in enumerate(moved.words):
        if wi in groups and len(groups[wi]) == len(page.words[wi].strokes):
            w = replace(w, quad=Quad.from_array(w.quad.to_array() + [dx, dy]))
        words.append(w)
    return replace(moved, words=tuple(words))


def densify(points: np.ndarray, step: float) -> np.ndarray:
    """(n, 3) points with extra ones (x, y and t interpolated) so no segment is longer than ``step``."""
    if len(points) < 2:
        return points
    seg = np.hypot(*np.diff(points[:, :2], axis=0).T)
    k = np.maximum(1, np.ceil(seg / step).astype(int))
    if (k == 1).all():
        return points
    parts = [points[i] + (points[i + 1] - points[i]) * (np.arange(n)[:, None] / n) for i, n in enumerate(k)]
    return np.vstack([*parts, points[-1:]]).astype(np.float32)


def erase_near(page: Page, refs: Iterable[StrokeRef], centres: np.ndarray, radius: float) -> Page:
    """The partial eraser: remove the points of the referenced strokes within ``radius`` of any of the
    (m, 2) eraser positions; what is left of a stroke splits into pieces (single points are dropped)."""
    centres = np.asarray(centres, np.float32).reshape(-1, 2)

    step = max(radius / 2, 0.25)

    def cut(s: Stroke):
        pts = densify(s.points, step)  # a long straight segment has no points where the eraser crosses it
        d2 = ((pts[:, None, :2] - centres[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        keep = d2 > radius * radius
        if keep.all():
            return s
        edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
        return [replace(s, points=pts[a:b]) for a, b in zip(edges[::2], edges[1::2]) if b - a >= 2] or None

    return map_strokes(page, refs, cut)


def add_drawing(page: Page, stroke: Stroke) -> Page:
    return replace(page, drawings=page.drawings + (stroke,))


def smooth_points(xy: np.ndarray, passes: int = 2) -> np.ndarray:
    """Endpoint-preserving [1 2 1]/4 smoothing; cheap and keeps the stroke's length and shape."""
    out = xy.astype(np.float64)
    if len(out) < 3:
        return out.astype(np.float32)
    for _ in range(passes):
        mid = (out[:-2] + 2 * out[1:-1] + out[2:]) / 4
        out = np.concatenate([out[:1], mid, out[-1:]])
    return out.astype(np.float32)


def smooth_strokes(page: Page, refs: Iterable[StrokeRef], passes: int = 2) -> Page:
    return map_strokes(page, refs, lambda s: s.mapped(lambda xy: smooth_points(xy, passes)))


def nearest_point(stroke: Stroke, x: float, y: float) -> tuple[int, float]:
    d = np.hypot(stroke.xy[:, 0] - x, stroke.xy[:, 1] - y)
    i = int(np.argmin(d))
    return i, float(d[i])


def split_stroke(page: Page, ref: StrokeRef, at: int) -> Page:
    """Split a stroke into [0..at] and [at..end] (the split point belongs to both halves)."""
    s = get_stroke(page, ref)
    if not (0 < at < len(s) - 1):
        raise ValueError("split point must be inside the stroke")
    parts = [s.with_points(s.points[: at + 1]), s.with_points(s.points[at:])]
    return map_strokes(page, [ref], lambda _s: parts)


def join_strokes(page: Page, a: StrokeRef, b: StrokeRef) -> Page:
    """Join b onto a (b's nearer end attached to a's nearer end); the result replaces a, b is removed."""
    if a == b:
        raise ValueError("pick two different strokes to join")
    sa, sb = get_stroke(page, a), get_stroke(page, b)
    ends = [(np.hypot(*(sa.xy[i] - sb.xy[j])), i, j) for i in (0, -1) for j in (0, -1)]
    _, ia, jb = min(ends, key=lambda e: e[0])
    pa = sa.points if ia == -1 else sa.points[::-1]
    pb = sb.points if jb == 0 else sb.points[::-1]
    t0 = float(pa[:, 2].max()) if len(pa) else 0.0
    pb = pb.copy()
    pb[:, 2] = t0 + 1.0 + (pb[:, 2] - pb[:, 2].min())
    pts = np.concatenate([pa, pb])
    pts[: len(pa), 2] = np.sort(pa[:, 2])
    joined = replace(sa, points=pts)
    page = map_strokes(page, [a], lambda _s: joined)
    # a's word may not have shifted indices, but if a and b share a word and b comes after a, the index
    # of b is unchanged by the replacement above (one stroke in, one out).
    return remove_strokes(page, [b])


def set_word(page: Page, index: int, word: Word) -> Page:
    words = list(page.words)
    words[index] = word
    return replace(page, words=tuple(words))


def set_word_text(page: Page, index: int, text: str) -> Page:
    w = page.words[index]
    return set_word(page, index, replace(w, text=text, source=w.source))


def mark_reviewed(page: Page, index: int, reviewed: bool = True) -> Page:
    return set_word(page, index, replace(page.words[index], reviewed=reviewed, needs_review=not reviewed))


def user_stroke(points: np.ndarray, color: str, width: float, measured: bool = True) -> Stroke:
    return Stroke(points=points, color=color, width=width, time_measured=measured)


def word_sources() -> list[str]:
    return [s.value for s in InkSource]
