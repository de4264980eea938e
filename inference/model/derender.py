"""Word crops -> ink tokens -> strokes in page coordinates, with the ONNX encoder/decoder pair.

* :func:`crop_word` cuts a word out of the upright page (axis-aligned, or a perspective crop for a rotated
  quad), normalises it exactly as in training (:func:`inference.model.canvas.fit_crop`) and keeps the whole
  page -> crop -> canvas chain as one :class:`~inference.document.transforms.Transform` value.
* :func:`greedy_decode` runs one batch: the encoder once, then one decoder step per token with the KV cache.
  Each row feeds its own prefix (``BOS chars SEP``, or ``BOS SEP`` in vanilla mode) step by step, then
  greedy ink tokens under the grammar mask, until EOS, the token cap or the repetition guard; finished rows
  ride along until half the batch is done, then the batch is compacted (the KV cache is read in place,
  :class:`StepCache`).
* :class:`Derenderer` sorts words by expected length, batches them, decodes as many batches at once as the
  model set has threads (one thread each) and maps the strokes back to the page; it uses the decoder step
  with its memory-only work hoisted out of the token loop when the model set can build it
  (:mod:`inference.model.hoist`, 1.9x faster batched).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from ..document.ink import Quad
from ..document.transforms import Transform
from ..errors import ModelError
from ..jobs import CancelToken, LinkedCancelToken
from .canvas import fit_crop
from .tokens import TokenSpec

MAX_CROP_HEIGHT = 160  # crops taller than this are reduced first (training saw 24-72 px ink + padding)
RECTIFY_DEG = 4.0  # quads tilted more than this get a perspective crop instead of an axis-aligned one

# Why a row stopped.
EOS, CAP, REPEAT, GARBAGE, EMPTY = "eos", "cap", "repeat", "garbage", "empty"


# --- crops -------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class WordCrop:
    image: np.ndarray  # RGB uint8 crop (what the tracer, fidelity and style look at)
    canvas: np.ndarray | None  # float32 [H, W] model input, ink = 1 (None: crop made without a model)
    page_to_crop: Transform
    crop_to_canvas: Transform

    @property
    def canvas_to_page(self) -> Transform:
        return self.page_to_crop.then(self.crop_to_canvas).inverse()

    @property
    def crop_to_page(self) -> Transform:
        return self.page_to_crop.inverse()

    @property
    def ink_amount(self) -> float:
        return 0.0 if self.canvas is None else float(self.canvas.sum())

    def warp_to_crop(self, page_layer: np.ndarray, interpolation: int = cv2.INTER_NEAREST) -> np.ndarray:
        """A page-sized layer (e.g. the page's ink mask) cut out exactly like the crop image."""
        h, w = self.image.shape[:2]
        m_idx = Transform.translate(0.5, 0.5).then(self.page_to_crop).then(Transform.translate(-0.5, -0.5))
        src = page_layer.astype(np.uint8) if page_layer.dtype == bool else page_layer
        out = cv2.warpPerspective(src, m_idx.matrix, (w, h), flags=interpolation, borderMode=cv2.BORDER_CONSTANT)
        return out.astype(bool) if page_layer.dtype == bool else out


def _quad_angle_deg(q: np.ndarray) -> float:
    top = q[1] - q[0]
    return float(np.degrees(np.arctan2(top[1], top[0])))


def _expand_quad(q: np.ndarray, margin: float) -> np.ndarray:
    """Grow a quad by ``margin`` px along its own axes (for a crop with some paper around the ink)."""
    ux = (q[1] - q[0]) + (q[2] - q[3])
    uy = (q[3] - q[0]) + (q[2] - q[1])
    ux = ux / max(np.linalg.norm(ux), 1e-9)
    uy = uy / max(np.linalg.norm(uy), 1e-9)
    sx = np.array([-1, 1, 1, -1])[:, None]
    sy = np.array([-1, -1, 1, 1])[:, None]
    return q + margin * (sx * ux + sy * uy)


def crop_word(page_rgb: np.ndarray, quad: Quad | np.ndarray, spec: TokenSpec | None,
              margin_frac: float = 0.2, min_margin: float = 3.0) -> WordCrop:
    """Cut the word in ``quad`` out of the page with a margin and place it on the model canvas.

    ``spec`` None: no model will see the crop, so the canvas is not made (``WordCrop.canvas`` is None).
    """
    q = quad.to_array() if isinstance(quad, Quad) else np.asarray(quad, np.float64).reshape(4, 2)
    H, W = page_rgb.shape[:2]
    side_h = 0.5 * (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1]))
    side_w = 0.5 * (np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3]))
    margin = max(min_margin, margin_frac * max(side_h, 1.0))
    if abs(_quad_angle_deg(q)) <= RECTIFY_DEG:
        x0 = int(np.floor(max(0.0, q[:, 0].min() - margin)))
        y0 = int(np.floor(max(0.0, q[:, 1].min() - margin)))
        x1 = int(np.ceil(min(float(W), q[:, 0].max() + margin)))
        y1 = int(np.ceil(min(float(H), q[:, 1].max() + margin)))
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        if x0 >= W or y0 >= H:
            raise ValueError(f"word box {q.tolist()} lies outside the {W}x{H} page")
        crop = page_rgb[y0:y1, x0:x1]
        to_crop = Transform.translate(-x0, -y0)
    else:  # rotated word: rectify it so the model sees it level, like in training
        big = _expand_quad(q, margin)
        w = max(2, round(side_w + 2 * margin))
        h = max(2, round(side_h + 2 * margin))
        dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        m = cv2.getPerspectiveTransform(big.astype(np.float32), dst).astype(np.float64)
        to_crop = Transform(m)  # continuous coordinates (pixel centres at +0.5)
        # cv2 works on pixel indices: index -> continuous -> map -> index
        m_idx = Transform.translate(0.5, 0.5).then(to_crop).then(Transform.translate(-0.5, -0.5)).matrix
        crop = cv2.warpPerspective(page_rgb, m_idx, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
    h, w = crop.shape[:2]
    if h > MAX_CROP_HEIGHT:
        s = MAX_CROP_HEIGHT / h
        nw, nh = max(1, round(w * s)), MAX_CROP_HEIGHT
        crop = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
        to_crop = to_crop.then(Transform.scale(nw / w, nh / h))
    crop = np.ascontiguousarray(crop)
    if spec is None:
        return WordCrop(crop, None, to_crop, Transform.identity())
    canvas, to_canvas = fit_crop(crop, spec)
    return WordCrop(crop, canvas, to_crop, to_canvas)


def whole_image_crop(image_rgb: np.ndarray, spec: TokenSpec | None) -> WordCrop:
    """The whole image as one word (InkSight's word mode): no margin added, the image is the crop."""
    h, w = image_rgb.shape[:2]
    return crop_word(image_rgb, Quad.from_rect(0, 0, w, h), spec, margin_frac=0.0, min_margin=0.0)


MIN_INK = 4.0  # canvas ink sum below which a crop counts as empty: no model call

SPLIT_ASPECT = 8.0  # ink wider than this many ink heights is decoded in pieces (the canvas is 4:1: at 8:1 the
# ink fills half the canvas height, still legible; a whole line taken for a word would not be)
PIECE_ASPECT = 4.0  # each piece at most this wide, so it fills the canvas height


def _cut_column(cols: np.ndarray, lo: int, hi: int) -> int:
    """Where to cut between columns ``lo`` and ``hi``: the middle of the widest gap in the ink, else the
    column with the least ink (a stroke cut there is joined again after decoding)."""
    seg = cols[lo:hi]
    empty = np.flatnonzero(seg == 0)
    if len(empty):
        runs = np.split(empty, np.flatnonzero(np.diff(empty) > 1) + 1)
        best = max(runs, key=len)
        return lo + int(best[len(best) // 2])
    return lo + int(np.argmin(seg))


def split_wide(crop: WordCrop, mask: np.ndarray, spec: TokenSpec) -> list[tuple[WordCrop, np.ndarray]]:
    """A word (or a line taken for one) wider than :data:`SPLIT_ASPECT` ink heights, cut at gaps in its ink
    into canvas-shaped pieces, each with its own crop (same page transform chain) and its part of ``mask``;
    otherwise ``[(crop, mask)]``. Without the cut a long word would shrink to illegibility on the canvas."""
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return [(crop, mask)]
    ink_h = float(ys.max() - ys.min() + 1)
    x0, x1 = int(xs.min()), int(xs.max()) + 1
    if x1 - x0 <= SPLIT_ASPECT * ink_h:
        return [(crop, mask)]
    cols = mask.sum(axis=0)
    max_w = max(8, int(PIECE_ASPECT * ink_h))
    cuts = [x0]
    while x1 - cuts[-1] > max_w:
        a = cuts[-1]
        cuts.append(_cut_column(cols, a + max_w // 2, a + max_w))
    cuts.append(x1)
    w = mask.shape[1]
    edges = [0] + cuts[1:-1] + [w]  # the outer pieces keep the crop's own paper margin
    out = []
    for a, b in itertools.pairwise(edges):
        if b - a < 2 or not mask[:, a:b].any():
            continue
        image = np.ascontiguousarray(crop.image[:, a:b])
        to_crop = crop.page_to_crop.then(Transform.translate(-a, 0))
        canvas, to_canvas = fit_crop(image, spec) if crop.canvas is not None else (None, Transform.identity())
        out.append((WordCrop(image, canvas, to_crop, to_canvas), np.ascontiguousarray(mask[:, a:b])))
    return out or [(crop, mask)]


def join_pieces(inks: Sequence[WordInk], touch: float) -> WordInk:
    """The ink of a word decoded in pieces (left to right), as one: a stroke cut at a piece boundary is
    joined to its continuation when the two ends are within ``touch`` (page px). EOS only if every piece
    ended with EOS; the EOS probability at the first decision is the surest piece's."""
    strokes: list[np.ndarray] = []
    for k, ink in enumerate(inks):
        for j, s in enumerate(ink.strokes):
            gap = float(np.hypot(*(strokes[-1][-1] - s[0]))) if k and j == 0 and strokes and len(s) else None
            if gap is not None and gap <= touch:
                strokes[-1] = np.concatenate([strokes[-1], s[1:] if gap < 1e-6 else s])
            else:
                strokes.append(s)
    status = next((i.decoded.status for i in inks if i.decoded.status != EOS), EOS)
    tokens = tuple(t for i in inks for t in i.decoded.tokens)
    # a word as long as one piece surely is
    first_eos_p = min((i.decoded.first_eos_p for i in inks), default=0.0)
    return WordInk(strokes, Decoded(tokens, status, sum(i.decoded.steps for i in inks), first_eos_p))


# --- repetition guard --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RepetitionGuard:
    """Stops a row whose last tokens are one short cycle repeated ``repeats`` times.

    InkSight's released outputs contain the same point (or a 2-3 point loop) hundreds of times; training
    data never repeats a point, so a few exact repeats are already a sign the decoder is stuck.
    """

    max_period: int = 12  # tokens: up to 3 points with a STROKE marker each
    repeats: int = 5

    def cut(self, tokens: Sequence[int]) -> int | None:
        """Length to keep (the first instance of the cycle stays) or None when there is no loop."""
        n = len(tokens)
        r = self.repeats
        last = tokens[-1] if n else None
        for p in range(1, self.max_period + 1):
            if n < p * r:
                break
            if tokens[n - 1 - p] != last:
                continue
            tail = tokens[n - p * r:]
            first = tail[:p]
            if all(tail[i] == first[i % p] for i in range(p, p * r)):
                return n - p * (r - 1)
        return None


# --- decoding ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decoded:
    tokens: tuple[int, ...]  # ink tokens only (after SEP, without EOS)
    status: str  # EOS / CAP / REPEAT / GARBAGE / EMPTY
    steps: int  # decoder calls this row took part in
    # the model's probability of EOS at its first decision (after the prefix): ~0 where it sees a word
    first_eos_p: float = 0.0

    def strokes_canvas(self, spec: TokenSpec) -> list[np.ndarray]:
        return spec.decode_ink(self.tokens)


def _grammar_table(spec: TokenSpec) -> np.ndarray:
    return np.stack([spec.allowed_next(p) for p in range(spec.vocab_size)])


_GRAMMAR: dict = {}


def grammar_table(spec: TokenSpec) -> np.ndarray:
    """[V, V] bool: row = previous token, True where the next token is allowed."""
    if spec not in _GRAMMAR:
        _GRAMMAR[spec] = _grammar_table(spec)
    return _GRAMMAR[spec]


def keep_on_ink(scores: np.ndarray, ink: np.ndarray, cols: np.ndarray, prev: np.ndarray, spec: TokenSpec) -> None:
    """Set to -inf, in place, the coordinate scores [n, V] that would put a point off each row's ink.

    ``ink`` bool [n, H, W]: each row's ink on the model canvas, already grown by the reach allowed; ``cols``
    [n, W]: ``ink.any(axis=1)``. An x token keeps its score only where its column holds ink; after an x, a y
    only where ``(x, y)`` is ink. Pen lifts, EOS and the order of points stay the model's. A row whose ink
    leaves it no coordinate keeps its scores (it decodes that step freely). Only the coordinate slices of
    the rows concerned are touched: this runs at every decoder step."""
    w, h = spec.width, spec.height
    y_next = prev < w  # an x was just fed: a y comes next
    x_rows = np.flatnonzero(~y_next & cols.any(axis=1))
    if len(x_rows):
        scores[x_rows, :w] = np.where(cols[x_rows], scores[x_rows, :w], -np.inf)
    y_rows = np.flatnonzero(y_next)
    if len(y_rows):
        at = ink[y_rows, :, prev[y_rows]]  # [k, H]: the ink in the column just chosen
        ok = at.any(axis=1)
        y_rows, at = y_rows[ok], at[ok]
        scores[y_rows, w:w + h] = np.where(at, scores[y_rows, w:w + h], -np.inf)


def no_repeat(scores: np.ndarray, prev: np.ndarray, last: np.ndarray, spec: TokenSpec) -> None:
    """Set to -inf, in place, the y score that would repeat a row's latest point in its stroke (``last``
    [n, 2], x and y; -1: none). Training targets never hold the same point twice in a row (consecutive
    duplicates are dropped when encoding), so a model asking for one is stuck: left free it writes that point
    until the repetition guard stops it, often a few points into the word. A row left no other y (the ink
    constraint allowed only that one) keeps it: the guard is there for that."""
    rows = np.flatnonzero((prev < spec.width) & (prev == last[:, 0]) & (last[:, 1] >= 0))
    if len(rows):
        rows = rows[np.isfinite(scores[rows, spec.width:spec.stroke]).sum(axis=1) > 1]
        scores[rows, spec.width + last[rows, 1]] = -np.inf


def cache_names(layers: int) -> list[str]:
    """The decoder step's cache inputs, in order: k0, v0, k1, v1, ... (docs/model-interface.md)."""
    return [f"{kv}{i}" for i in range(layers) for kv in ("k", "v")]


class StepCache:
    """Self-attention keys/values of the positions decoded so far, in buffers the step reads in place.

    The decoder step (docs/model-interface.md) reads every slot, with ``bias`` hiding the empty ones, and
    returns only the new position's keys/values, which are written here: no step copies the whole cache (a
    past -> present contract did, and that copy was half of every step). The step reads every slot, empty or
    not, so the buffers grow by ``capacity`` slots at a time rather than doubling (a 130-token word reads 192
    slots a step, not 256)."""

    def __init__(self, layers: int, batch: int, heads: int, head_dim: int, capacity: int = 64) -> None:
        self.k = np.zeros((layers, batch, heads, head_dim, capacity), np.float32)  # keys stored transposed
        self.v = np.zeros((layers, batch, heads, capacity, head_dim), np.float32)
        self.length = 0
        self.grow_by = capacity
        self._bias = self._empty_bias(capacity)
        self._views: dict | None = None  # the per-layer feeds, made again only when the buffers change

    @staticmethod
    def _empty_bias(capacity: int) -> np.ndarray:
        return np.full((1, 1, 1, capacity), -1e9, np.float32)

    @property
    def capacity(self) -> int:
        return self.k.shape[-1]

    def _grow(self) -> None:
        self.k = np.concatenate([self.k, np.zeros(self.k.shape[:4] + (self.grow_by,), np.float32)], axis=4)
        self.v = np.concatenate([self.v, np.zeros(self.v.shape[:3] + (self.grow_by, self.v.shape[4]), np.float32)],
                                axis=3)
        bias = self._empty_bias(self.capacity)
        bias[..., :self.length] = 0.0
        self._bias, self._views = bias, None

    def feeds(self) -> dict:
        if self.length == self.capacity:
            self._grow()
        if self._views is None:
            # contiguous views: onnxruntime reads them without a copy
            views = [buf[i] for i in range(self.k.shape[0]) for buf in (self.k, self.v)]
            self._views = dict(zip(cache_names(self.k.shape[0]), views))
        return {"bias": self._bias, **self._views}

    def append(self, new_k: np.ndarray, new_v: np.ndarray) -> None:
        want = self.k.shape[:4]
        if new_k.shape != want or new_v.shape != want:
            raise ModelError(f"derender decoder returned new keys/values of shapes {new_k.shape}/{new_v.shape}, "
                             f"expected {want}")
        if self.length == self.capacity:
            self._grow()
        self.k[..., self.length] = new_k
        self.v[:, :, :, self.length, :] = new_v
        self._bias[..., self.length] = 0.0
        self.length += 1

    def keep(self, rows: np.ndarray) -> None:
        self.k = np.ascontiguousarray(self.k[:, rows])
        self.v = np.ascontiguousarray(self.v[:, rows])
        self._views = None


def greedy_decode(encoder, decoder, canvases: np.ndarray, prefixes: Sequence[Sequence[int]], spec: TokenSpec,
                  layers: int, heads: int, head_dim: int, max_len: int,
                  guard: RepetitionGuard | None = RepetitionGuard(),
                  cancel: CancelToken | None = None, prepare=None,
                  ink: np.ndarray | None = None) -> list[Decoded]:
    """Greedy decoding of one batch. ``canvases`` float32 [B, H, W]; ``prefixes`` token lists per row.

    ``ink`` bool [B, H, W], when given, keeps every decoded point on its row's ink (:func:`keep_on_ink`).

    ``encoder``/``decoder`` are onnxruntime sessions (anything with ``run(names, feeds)``). ``max_len`` caps
    the total sequence (prefix + ink + EOS) per row. ``prepare(memory) -> feeds``, when given, replaces the
    ``memory`` feed (a hoisted decoder step, see :mod:`inference.model.hoist`); it is called again with the
    remaining rows' memory whenever the batch is compacted.
    """
    b = len(prefixes)
    if b == 0:
        return []
    x = np.ascontiguousarray(canvases, np.float32).reshape(b, 1, canvases.shape[-2], canvases.shape[-1])
    try:
        (memory,) = encoder.run(["memory"], {"image": x})
    except Exception as e:
        raise ModelError(f"derender encoder failed on a batch of {b} ({e})") from e
    if memory.ndim != 3 or memory.shape[0] != b:
        raise ModelError(f"derender encoder returned memory of shape {memory.shape}, expected [{b}, S, D]")
    table = grammar_table(spec)
    vocab = spec.vocab_size
    cache = StepCache(layers, b, heads, head_dim)
    rows = np.arange(b)  # original index of each row still in the batch
    alive = np.ones(b, bool)  # finished rows ride along until the batch is compacted
    pref = [list(p) for p in prefixes]
    out: list[list[int]] = [[] for _ in range(b)]
    status: list[str | None] = [None] * b
    steps = [0] * b
    first_eos_p = np.zeros(b)
    last_first = max(len(p) for p in pref)  # the step after which no row has its first decision left
    prev = np.array([p[0] for p in pref], np.int64)  # token fed at this step, per row
    last = np.full((b, 2), -1, np.int64)  # each row's latest point in its stroke (x, y); -1: none yet
    pos = 0
    if ink is not None:
        ink = np.asarray(ink, bool)
        if ink.shape != (b, spec.height, spec.width):
            raise ValueError(f"ink masks of shape {ink.shape}, expected {(b, spec.height, spec.width)}")
        cols = ink.any(axis=1)
    try:
        extra = prepare(memory) if prepare is not None else {"memory": memory}
    except Exception as e:
        raise ModelError(f"derender decoder could not prepare the memory ({e})") from e
    while alive.any():
        if cancel is not None:
            cancel.raise_if_cancelled()
        n = len(rows)
        try:
            logits, new_k, new_v = decoder.run(["logits", "new_k", "new_v"], {
                "tokens": prev.reshape(-1, 1), "position": np.full(n, pos, np.int64), **cache.feeds(), **extra})
        except Exception as e:
            raise ModelError(f"derender decoder failed at step {pos} ({e})") from e
        if logits.shape != (n, vocab):
            raise ModelError(f"derender decoder returned logits of shape {logits.shape}, expected [{n}, {vocab}]")
        cache.append(new_k, new_v)
        pos += 1
        masked = np.where(table[prev] & np.isfinite(logits), logits, -np.inf)
        if ink is not None:
            keep_on_ink(masked, ink, cols, prev, spec)
        no_repeat(masked, prev, last, spec)
        best = masked.argmax(axis=1)
        ok = np.isfinite(masked[np.arange(n), best])
        if pos <= last_first:
            _first_eos_p(masked, pos, pref, rows, out, alive, spec.eos, first_eos_p)
        nxt = np.full(n, spec.eos, np.int64)  # finished rows are fed EOS (any valid token would do)
        for k in np.flatnonzero(alive):
            r = rows[k]
            steps[r] += 1
            if pos < len(pref[r]):  # still feeding the prefix
                nxt[k] = pref[r][pos]
                continue
            if not ok[k]:
                status[r] = GARBAGE
                alive[k] = False
                continue
            t = int(best[k])
            if t == spec.eos:
                status[r] = EOS
                alive[k] = False
                continue
            seq = out[r]
            seq.append(t)
            nxt[k] = t
            if t == spec.stroke:
                last[k] = -1
            elif prev[k] < spec.width <= t < spec.stroke:  # a y after its x: the point is complete
                last[k] = (prev[k], t - spec.width)
            if guard is not None and t != spec.stroke:
                c = guard.cut(seq)
                if c is not None:
                    del seq[c:]
                    status[r] = REPEAT
                    alive[k] = False
                    continue
            if pos + 2 >= max_len:  # room left for nothing but EOS
                status[r] = CAP
                alive[k] = False
        prev = nxt
        # compacting costs a copy of the cache and a new prepare(): worth it once half the rows are done
        # (measured on 64 page words: 50 words/s compacting at half, 37 at three quarters)
        if alive.any() and alive.sum() <= n // 2:
            keep = np.flatnonzero(alive)
            rows, alive, prev, last = rows[keep], alive[keep], prev[keep], last[keep]
            cache.keep(keep)
            if ink is not None:
                ink, cols = ink[keep], cols[keep]
            memory = np.ascontiguousarray(memory[keep])
            extra = prepare(memory) if prepare is not None else {"memory": memory}
    return [Decoded(tuple(out[i]), status[i] or CAP, steps[i], float(first_eos_p[i])) for i in range(b)]


def _first_eos_p(masked: np.ndarray, pos: int, pref: list[list[int]], rows: np.ndarray, out: list[list[int]],
                 alive: np.ndarray, eos: int, into: np.ndarray) -> None:
    """The EOS probability (over the allowed tokens) of the rows at their first decision (prefix fed, nothing
    written), into ``into`` by original row."""
    first = [k for k in np.flatnonzero(alive) if pos == len(pref[rows[k]]) and not out[rows[k]]]
    if not first:
        return
    m = masked[first]
    top = m.max(axis=1, keepdims=True)
    log_p = m[:, eos] - (top[:, 0] + np.log(np.exp(m - top).sum(axis=1)))
    into[rows[first]] = np.exp(log_p)


@dataclass(frozen=True)
class WordInk:
    strokes: list[np.ndarray]  # float32 (n, 2) in page coordinates
    decoded: Decoded


class Derenderer:
    """Batched derendering of word crops with a :class:`~inference.model.models.ModelSet`."""

    def __init__(self, models, batch_size: int = 32, guard: RepetitionGuard | None = RepetitionGuard(),
                 max_len: int | None = None, min_ink: float = MIN_INK, streams: int | None = None) -> None:
        self.models = models
        self.spec: TokenSpec = models.spec
        self.batch_size = max(1, int(batch_size))
        # batches decoded at once, each in its own thread (default: one per model thread). A decoder step is
        # many tiny ops that one run cannot spread over two cores (batch 32: 7.1 ms a step on 2 threads,
        # 8.8 on 1), but two runs side by side can: 1.5x the rows per second on 2 cores
        self.streams = max(1, int(streams if streams is not None else getattr(models, "threads", 1)))
        # one encoder run at a time: a batch's encoder activations are the largest buffers of decoding, and the
        # encoder is ~5% of a batch's time, so the streams hardly wait
        self._encoder_turns = threading.Lock()
        self.guard = guard
        d = models.manifest.decoder
        self.max_len = int(max_len or d.max_len)
        self.min_ink = min_ink  # canvas ink sum below which a crop counts as empty (no model call)

    def crop(self, page_rgb: np.ndarray, quad: Quad | np.ndarray) -> WordCrop:
        return crop_word(page_rgb, quad, self.spec)

    def run(self, crops: Sequence[WordCrop], texts: Sequence[str | None] | None = None,
            cancel: CancelToken | None = None,
            inks: Sequence[np.ndarray | None] | None = None) -> Iterator[tuple[list[int], list[WordInk]]]:
        """Yields (indices, results) per batch, in batch order (words sorted by expected length).

        ``inks``: per crop, its ink on the model canvas (bool [H, W], see
        :func:`inference.model.canvas.canvas_ink`) to keep the decoded points on; None decodes freely."""
        texts = list(texts) if texts is not None else [None] * len(crops)
        empty = [i for i, c in enumerate(crops) if c.ink_amount < self.min_ink]
        if empty:
            yield empty, [WordInk([], Decoded((), EMPTY, 0)) for _ in empty]
        todo = [i for i in range(len(crops)) if crops[i].ink_amount >= self.min_ink]
        # similar lengths in one batch: rows finish together and the batch shrinks less often
        todo.sort(key=lambda i: (crops[i].ink_amount, len(texts[i] or "")))
        batches = self.batches(len(todo))
        if self.streams == 1 or len(batches) == 1:
            for a, b in batches:
                yield self._decode(crops, texts, inks, todo[a:b], cancel)
            return
        # the threads stop at their next step when the caller cancels or walks away (generator closed)
        stop = LinkedCancelToken(cancel)
        with ThreadPoolExecutor(self.streams, thread_name_prefix="inklift-decode") as pool:
            futures = [pool.submit(self._decode, crops, texts, inks, todo[a:b], stop) for a, b in batches]
            try:
                for f in futures:  # batch order: shortest words first, as they finish
                    yield f.result()
            finally:
                stop.cancel()

    def batches(self, n: int) -> list[tuple[int, int]]:
        """[start, end) of each batch of ``n`` sorted words: at most ``batch_size`` each, as many as a multiple
        of the streams (so no stream idles while another decodes a last batch alone), sizes even."""
        if n == 0:
            return []
        k = -(-n // self.batch_size)
        k = min(n, -(-k // self.streams) * self.streams)
        edges = [round(j * n / k) for j in range(k + 1)]
        return list(itertools.pairwise(edges))

    def _decode(self, crops: Sequence[WordCrop], texts: Sequence[str | None],
                inks: Sequence[np.ndarray | None] | None, idx: list[int],
                cancel: CancelToken | None) -> tuple[list[int], list[WordInk]]:
        d = self.models.manifest.decoder
        canv = np.stack([crops[i].canvas for i in idx])
        prefixes = [self.spec.text_prefix(texts[i]) for i in idx]
        step, prepare = self.models.decoder_step()
        ink = None
        if inks is not None and any(inks[i] is not None for i in idx):
            free = np.ones((self.spec.height, self.spec.width), bool)
            ink = np.stack([inks[i] if inks[i] is not None else free for i in idx])
        encoder = _TakingTurns(self.models.encoder, self._encoder_turns)
        decs = greedy_decode(encoder, step, canv, prefixes, self.spec,
                             d.layers, d.heads, d.head_dim, self.max_len, self.guard, cancel, prepare, ink)
        res = []
        for i, dec in zip(idx, decs):
            to_page = crops[i].canvas_to_page
            strokes = [to_page.apply(s).astype(np.float32) for s in dec.strokes_canvas(self.spec)]
            res.append(WordInk(strokes, dec))
        return idx, res


class _TakingTurns:
    """A session whose runs take turns under ``lock`` (onnxruntime allows concurrent runs; this bounds memory)."""

    def __init__(self, session, lock: threading.Lock) -> None:
        self._session = session
        self._lock = lock

    def run(self, names, feeds):
        with self._lock:
            return self._session.run(names, feeds)
