"""Photo -> Page: load, find the page, segment words, derender them, check each word, trace drawings.

``run_page`` is a job (see :mod:`inference.jobs`): a generator that yields :class:`Progress` and returns a
:class:`PageResult`. It checks the cancel token between words and raises :class:`Cancelled`; nothing is
written before the page is complete (the debug overlay, if asked for, is the last thing it does).

Per word (model first): the word's ink mask (rulings and neighbours removed) is computed before decoding,
and the decoder may put points only on that ink, grown by half a pen width (pen lifts, order and EOS stay
the model's). The model's strokes are the word's ink, completed with the traced ink they leave uncovered
(:mod:`inference.strokes.complete`); the geometric tracer's strokes replace them only when the model failed
(no EOS, repetition guard, output far from the ink) or the completed strokes' confidence (render-back F1 x
stroke plausibility: strokes per letter, specks) is more than ``model_margin`` below the tracer's; then the
tracer's strokes are put in the model's order. A word below ``fidelity_threshold``, or whose strokes look
implausible, is flagged for review. Times are synthetic. Without a model every word comes from the tracer
(a reported mode, not an error). Ink outside the words becomes
``Page.drawings`` (regions from :mod:`inference.photo.drawings`; background texture is skipped and reported).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from .document.ink import DEFAULT_COLOR, InkSource, Page, Quad, Stroke, Word
from .document.transforms import Transform
from .errors import Cancelled, InkLiftError, InputError, ModelError
from .jobs import CancelToken, LinkedCancelToken, Progress
from .model import derender as dr
from .model.canvas import canvas_ink
from .model.models import ModelSet, load_models, models_available
from .photo.inkmask import ink_mask, stroke_width
from .photo.load import load_image
from .photo.ruling import drop_thin_runs, remove_rules
from .resources import models_dir
from .strokes import refine
from .strokes.complete import (
    complete,
    dots_in,
    edge_blobs,
    letters_in,
    mostly_on,
    plausibility,
    straight_to_edge,
)
from .strokes.fidelity import fidelity
from .strokes.style import estimate_style
from .strokes.tracer import trace_mask

LAYOUTS = ("auto", "page", "line", "word")
CHUNK = 96  # words cropped and decoded together (bounds memory on 2,000-word pages)
MIN_TEXT_CONFIDENCE = 0.3  # below this the model runs without the OCR text (vanilla mode)
MIN_PLAUSIBILITY = 0.5  # words whose strokes look less like writing than this are flagged for review
# a decoder the repetition guard stopped had written the word before it got stuck when its strokes (cut at the
# loop) already match the ink this well: they are completed like a finished output instead of falling back
# (UNIPEN val, 40 words x hard+phone: strokes/true 1.82 -> 1.70 at 0.8, coverage and F1 at 1% unchanged;
# 300 words x clean/phone/hard, 0.8 -> 0.5: strokes/true -0.06, order +0.007, coverage -0.001; real photos'
# readback unchanged)
STUCK_AFTER_WORD_F1 = 0.5
# the model's EOS probability at its first decision from which, when its ink is also off the word's ink (F1
# below the review threshold), it is taken to have seen no word: on a word it is sure (< 1e-4 for 98% of
# UNIPEN train writers' word renders), on a blank box it often hesitates and then writes on the paper's noise.
# At 1e-3 (or with the decoder stopping such rows) a faint hard-level line lost all its ink, on train and val
# writers alike; at 0.01 no UNIPEN word or line, train or val, changes
UNSURE_EOS_P = 0.01
# a word whose box the model hesitated on (EOS at least this at its first decision) is flagged for review even
# when it keeps ink: 500 blank boxes, of the 32 the engine still writes on, 16 -> 30 flagged; no UNIPEN val word or
# line, nor a real photo's word, more
REVIEW_EOS_P = 1e-3
REVIEW_TEXT_CONFIDENCE = 0.5  # words the recogniser read less surely than this are flagged (likely misread)
NO_HANDWRITING = "no handwriting found"  # the warning's start, for the GUI and scripts to match on


@dataclass(frozen=True)
class PipelineConfig:
    layout: str = "auto"  # auto | page | line | word
    threads: int = 2
    use_model: bool = True
    fidelity_threshold: float = 0.55  # F1 below which the word is flagged for review
    # the model-first ink (the model's strokes completed from the photo) is kept unless its confidence
    # (fidelity x stroke plausibility) is more than this below the tracer's; then the tracer's strokes are
    # used, in the model's order
    model_margin: float = 0.02
    constrain_decoding: bool = True  # decoded points may only land on (or next to) the word's ink
    model_first: bool = True  # False: the earlier rule (model ink only within model_margin of the tracer's F1)
    debug_dir: str | Path | None = None
    max_words: int = 3000  # more than this on one page: the rest is dropped with a warning
    batch_size: int = 32
    models_dir: str | Path | None = None  # None: the shipped resources/models
    drawings: bool = True  # trace ink outside the words into Page.drawings

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise InputError(f"unknown layout {self.layout!r}; expected one of {', '.join(LAYOUTS)}")
        if not 0.0 <= float(self.fidelity_threshold) <= 1.0:
            raise InputError(f"fidelity_threshold must be within 0..1, got {self.fidelity_threshold}")
        if not 0.0 <= float(self.model_margin) <= 1.0:
            raise InputError(f"model_margin must be within 0..1, got {self.model_margin}")
        for name in ("threads", "max_words", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class PageResult:
    page: Page
    image: np.ndarray  # RGB uint8, the upright page the strokes sit on
    warnings: tuple[str, ...] = ()
    timings: dict = field(default_factory=dict)


# --- models ------------------------------------------------------------------------------------------
_MODEL_CACHE: dict = {}


def _get_models(config: PipelineConfig, warnings: list[str]) -> ModelSet | None:
    """The installed model, or None with a warning saying why the tracer does the work."""
    if not config.use_model:
        warnings.append("model disabled (use_model=False): all strokes come from the geometric tracer")
        return None
    d = Path(config.models_dir) if config.models_dir is not None else models_dir()
    if not models_available(d):
        warnings.append(f"no derender model installed ({d / 'manifest.json'} missing): all strokes come "
                        f"from the geometric tracer")
        return None
    # a new model dropped in (same folder, new manifest) is picked up without a restart
    key = (str(d.resolve()), int(config.threads), (d / "manifest.json").stat().st_mtime_ns)
    if key not in _MODEL_CACHE:
        try:
            _MODEL_CACHE[key] = load_models(d, threads=config.threads)
        except ModelError as e:
            warnings.append(f"{e}; using the geometric tracer instead")
            return None
    return _MODEL_CACHE[key]


# --- one word ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Candidate:
    strokes: list[Stroke]  # crop coordinates
    source: InkSource
    f1: float


def _quad_mask(shape: tuple[int, int], quad_crop: np.ndarray, grow: float) -> np.ndarray:
    """Pixels of the crop inside the word's quad grown by ``grow`` px (keeps neighbours' ink out)."""
    m = np.zeros(shape, np.uint8)
    pts = np.round((quad_crop - 0.5) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(m, [pts], 1, cv2.LINE_8, 4)
    if grow >= 1:
        k = int(2 * round(grow) + 1)
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return m.astype(bool)


def _fidelity(strokes: list[Stroke], mask: np.ndarray, width: float) -> float:
    if not strokes:
        return 0.0
    return float(fidelity(strokes, mask, width).f1)


# model output whose render-back F1 is below this share of the review threshold is far from the ink
FAR_FROM_INK = 0.5


def _in_crop(crop: dr.WordCrop, strokes: Sequence[np.ndarray], width: float) -> list[Stroke]:
    """The model's strokes (page coordinates) in the crop's frame, where the word's mask and fidelity live."""
    return [Stroke(crop.page_to_crop.apply(p), width=width) for p in strokes if len(p)]


def _refine(strokes: list[Stroke], mask: np.ndarray, width: float) -> list[Stroke]:
    """Model strokes (crop px): drop repeats, snap drifted points to the centre line, simplify."""
    out = refine.drop_degenerate(strokes, max_points=2000)
    out = refine.snap_to_centerline(out, mask, max_dist_px=max(1.5, width))
    return refine.simplify(out, 0.3)


def _word_mask(crop: dr.WordCrop, quad: Quad, page_ink: np.ndarray | None) -> tuple[np.ndarray, float, str]:
    """The word's ink in crop px (neighbours and ruled lines out), its stroke width and ink colour."""
    raw = crop.warp_to_crop(page_ink) if page_ink is not None else ink_mask(crop.image)
    if not raw.any():
        return raw, 0.0, DEFAULT_COLOR
    q_crop = crop.page_to_crop.apply(quad.to_array())
    clean = remove_rules(raw)
    m0 = clean & _quad_mask(raw.shape, q_crop, 3.0)
    if not m0.any():
        return m0, 0.0, DEFAULT_COLOR
    style = estimate_style(crop.image, m0)
    width = float(style.width_px)
    m = clean & _quad_mask(raw.shape, q_crop, max(2.0, 1.5 * width))
    return drop_thin_runs(m, width), width, style.color


OTHER_PEN = 2.5  # a word's pen this many times wider than the page's is another pen (a marker)
SAME_READING = 0.25  # two readings of a word's pen width this close (relative) agree


def _pen_width(mask: np.ndarray, own: float, page_width: float) -> float:
    """The pen width a word is traced and drawn with: its own estimate ``own``, kept near the page's
    ``page_width`` (one pen per page, mostly: a word's own estimate is noisy with few pixels or rulings
    touching it), unless it reads as another, far wider pen and a second reading of its ink (area over
    outline) agrees. A marker among ballpoint words was drawn at 1.4x the ballpoint's width, its thick ink
    traced as outlines (real page, a sharpie line among pens and pencils: 12.7 px clipped to 5.3 px). At
    2x a blurred word of a generated line read 9.8 px both ways for a 5 px pen. Not for thinner: a cursive
    word's hairline joins read thin both ways (real page, one pen: 2.6 vs 5.6 px)."""
    if page_width <= 0:
        return own
    if own > OTHER_PEN * page_width:
        second = stroke_width(mask)
        if abs(second - own) <= SAME_READING * max(second, own):
            return own
    return float(np.clip(own or page_width, 0.7 * page_width, 1.4 * page_width))


def _tracer_candidate(mask: np.ndarray, width: float) -> _Candidate:
    traced = [Stroke(p, width=width) for p in trace_mask(mask, width) if len(p)]
    return _Candidate(traced, InkSource.TRACER, _fidelity(traced, mask, width))


def _leave_out(region: np.ndarray, mask: np.ndarray, tracer: _Candidate,
               width: float) -> tuple[np.ndarray, _Candidate]:
    """The word's mask without ``region`` (a neighbour's ink), and the tracer's candidate without the strokes
    lying mostly on it, scored on what is left."""
    mask = mask & ~region
    kept = [s for s in tracer.strokes if not mostly_on(s.xy, region)]
    return mask, _Candidate(kept, InkSource.TRACER, _fidelity(kept, mask, width))


NOISE_ONLY = 3.0  # pen widths: a box where the model saw no word and every traced stroke is shorter holds no writing
NOISE_BOX = 0.15  # the same as a share of the box's height: shorter than any word's longest stroke


def _without_noise(tracer: _Candidate, mask: np.ndarray, width: float) -> _Candidate:
    """The tracer's strokes in a box where the model saw no word, without what is not writing there: straight
    runs to the box's edge (a grid or ruling line the ruling remover left) and, when every stroke left is
    shorter than NOISE_ONLY pen widths or NOISE_BOX of the box's height, those too (the paper's grain, dots
    of a ruling; beside one longer stroke of writing they stay, an i's dot among them).

    The box's height counts because grain is measured in pixels and the pen, estimated from the grain itself
    in an empty box, can read a pixel or two wide: 500 blank boxes, the engine writes nothing on 87.0% ->
    90.0% with NOISE_BOX; UNIPEN val words and lines and the real photos unchanged. No word has all its strokes
    that short (1,000 UNIPEN train writers' word renders: none; 10.8% of their strokes are, dots and bars)."""
    kept = [s for s in tracer.strokes if not straight_to_edge(s.xy, mask.shape)]
    short = max(NOISE_ONLY * max(width, 1.0), NOISE_BOX * mask.shape[0])
    if all(refine.path_length(s.xy) < short for s in kept):
        kept = []
    return tracer if len(kept) == len(tracer.strokes) else _Candidate(kept, InkSource.TRACER,
                                                                      _fidelity(kept, mask, width))


def _word_from_crop(crop: dr.WordCrop, quad: Quad, text: str, confidence: float,
                    model_ink: dr.WordInk | None, threshold: float, mask: np.ndarray,
                    width: float, colour: str, margin: float = 0.02,
                    model_first: bool = True, tracer: _Candidate | None = None) -> tuple[Word, str | None]:
    """Choose, refine, score and style one word's strokes; returns the Word and a problem note.

    Model first: the model's strokes, snapped onto the ink's centre line and completed with the traced ink
    they leave uncovered (:func:`inference.strokes.complete.complete`), are the word's ink unless the model
    failed (no EOS, stopped by the repetition guard before the word was written, output far from the ink) or
    their confidence (fidelity F1 x stroke plausibility) is more than ``margin`` below the tracer's. The tracer
    always runs (``tracer``: its result for this mask and width, when already made); when it wins, its strokes
    are put in the model's order."""
    if not mask.any():
        return Word((), quad, text, confidence, InkSource.TRACER, 0.0, True), "no ink in the word box"
    tracer = tracer or _tracer_candidate(mask, width)
    wrote = model_ink is not None and bool(model_ink.strokes)
    raw = _in_crop(crop, model_ink.strokes, width) if wrote else []
    raw_f1 = _fidelity(raw, mask, width) if wrote else 0.0
    status = model_ink.decoded.status if model_ink is not None else None
    failed = wrote and status != dr.EOS and not (status == dr.REPEAT and raw_f1 >= STUCK_AFTER_WORD_F1)
    # snapping pulls any scribble onto the ink: only output that was already close counts
    far = wrote and raw_f1 < FAR_FROM_INK * threshold
    # it wrote, unsure there was a word (EOS at least UNSURE_EOS_P at its first decision), and off the ink: it
    # saw no word either (500 blank boxes: the engine writes nothing on 90.0% -> 93.4%)
    unsure = wrote and model_ink.decoded.first_eos_p >= UNSURE_EOS_P and raw_f1 < threshold
    if (model_ink is not None and not wrote and status == dr.EOS) or (far and failed) or unsure:
        # the model saw no word in the box (it stopped at once, got stuck writing off the ink, or wrote off the
        # ink after hesitating): what the box holds at its edge is a neighbour's ink (the tracer keeps the rest,
        # a faint word the model missed).
        # Stuck off the ink: 500 blank boxes, the engine writes nothing on 69.8% -> 76.8%; UNIPEN val: 3 hard
        # words more precise, lines and real photos unchanged. Then the paper's noise goes: 76.8% -> 87.0%, the
        # same val words, lines and real photos
        edge = edge_blobs(mask)
        if edge.any():
            mask, tracer = _leave_out(edge, mask, tracer, width)
        tracer = _without_noise(tracer, mask, width)
    if unsure:
        wrote = False  # its strokes lie on the paper's noise: neither the word's ink nor a guide to order it
    traced = tracer.strokes
    letters, dots = letters_in(text, mask), dots_in(text)
    model: _Candidate | None = None
    guide: list[Stroke] = []
    written: list[Stroke] = []  # the model's strokes as completion received them (their dots are writing)
    note = None
    if wrote:
        guide = refine.drop_degenerate(raw, max_points=2000)
        if far:
            note = "model output far from the ink"
        elif failed:
            note = f"model output stopped by {status}"
        elif model_first:
            # decoding already kept the points on the ink: snapping them to the centre line measured worse
            # (UNIPEN val 30 words x 3 levels: coverage 0.920 vs 0.949, F1 at 1% 0.759 vs 0.818)
            done = complete(refine.simplify(guide, 0.3), traced, mask, width)
            written = done.written
            if done.slivers is not None:  # a neighbouring word's ink: neither candidate is scored on it
                mask, tracer = _leave_out(done.slivers, mask, tracer, width)
                traced = tracer.strokes
                letters = letters_in(text, mask)
            model = _Candidate(done.strokes, InkSource.MODEL, _fidelity(done.strokes, mask, width))
        else:
            pts = _refine(raw, mask, width)
            model = _Candidate(pts, InkSource.MODEL, _fidelity(pts, mask, width))
    best = tracer
    if model is not None and model.strokes:
        if model_first:
            conf_m = model.f1 * plausibility(model.strokes, letters, width, written, dots)
            conf_t = tracer.f1 * plausibility(traced, letters, width)
            keep = conf_m >= conf_t - margin
        else:
            keep = model.f1 >= tracer.f1 - margin
        if keep:
            best = model
    if best is tracer and guide and traced and not failed and note is None:
        ys = np.flatnonzero(mask.any(axis=1))
        reach = max(0.1 * float(ys[-1] - ys[0] + 1), 2.0 * width)
        # in the model's order and direction (UNIPEN val 80 words x 3 levels: direction 0.921 -> 0.924; an earlier
        # model, more often off the ink, measured the other way: 0.890 kept vs 0.867 re-directed)
        ordered = refine.order_like(traced, guide, reach)
        best = replace(tracer, strokes=refine.join_like(ordered, guide, 1.5 * width, reach))
        note = "model-ordered tracer ink"
    if not best.strokes:
        return Word((), quad, text, confidence, best.source, 0.0, True), "no strokes found"
    to_page = crop.crop_to_page
    width_page = max(0.5, width / max(crop.page_to_crop.scale_factor(), 1e-6))
    strokes = [replace(s.mapped(to_page.apply), color=colour, width=width_page, time_measured=False)
               for s in refine.synth_timestamps(best.strokes)]
    review = best.f1 < threshold or plausibility(best.strokes, letters, width, written, dots) < MIN_PLAUSIBILITY \
        or (model_ink is not None and model_ink.decoded.first_eos_p >= REVIEW_EOS_P)
    return Word(tuple(strokes), quad, text, confidence, best.source, round(best.f1, 4), review), note


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.cancelled:
        raise Cancelled("conversion cancelled")


@dataclass(frozen=True)
class _WordJob:
    quad: Quad
    text: str
    confidence: float


def _model_used(stats: Counter) -> int:
    # The model is worth its ~25 ms a word when its ink is kept or, near the ink, orders and joins the tracer's
    # strokes; a model whose output is far from the ink on nearly every word is switched off for the page.
    return stats["model"] + stats["model-ordered tracer ink"]


def _model_useless(stats: Counter, min_words: int = 48, min_rate: float = 0.1) -> bool:
    return stats["model tried"] >= min_words and _model_used(stats) < min_rate * stats["model tried"]


def _decode_chunk(derenderer: dr.Derenderer, chunk: Sequence[_WordJob], crops: Sequence[dr.WordCrop | None],
                  masks: Sequence[tuple[np.ndarray, float, str] | None], config: PipelineConfig,
                  cancel: CancelToken | None, stats: Counter, decoded: list[int]) -> dict[int, dr.WordInk]:
    """The model's ink for each word of a chunk (by index). Words wider than the canvas are decoded in
    pieces (:func:`inference.model.derender.split_wide`, vanilla mode: the text is not split) and joined.
    ``decoded`` = [pieces decoded, pieces in all], kept up to date for progress reports."""
    spec = derenderer.spec
    units: list[tuple[int, dr.WordCrop, np.ndarray | None, str | None]] = []
    for i, (j, crop, m) in enumerate(zip(chunk, crops, masks)):
        if crop is None or (m is not None and not m[0].any()):
            continue  # a box with no ink (a detector's false find) keeps no model output: not decoded
        text = j.text if j.confidence >= MIN_TEXT_CONFIDENCE else None
        pieces = dr.split_wide(crop, m[0], spec) if m is not None else [(crop, None)]
        for pc, pm in pieces:
            # where the decoder may put points: the word's ink grown by half a pen (None: no ink, decode freely)
            on_ink = canvas_ink(pm, spec, m[1]) if config.constrain_decoding and pm is not None and pm.any() \
                else None
            units.append((i, pc, on_ink, text if len(pieces) == 1 else None))
    decoded[:] = [0, len(units)]
    ink_masks = [u[2] for u in units] if config.constrain_decoding else None
    result: dict[int, dr.WordInk] = {}
    for idx, res in derenderer.run([u[1] for u in units], [u[3] for u in units], cancel, ink_masks):
        result.update(zip(idx, res))
        decoded[0] += len(idx)
    # a unit the decoder got stuck on (repetition guard, token cap) while held to the ink, sure it holds a word, is
    # decoded once more, freely: held to a blurred or hollow ink mask the model can loop where, free, it writes the
    # word and stops. Its free ink is kept when it stopped and is not far from the word's ink (UNIPEN val 600
    # words: 6 change, hard strokes per true stroke 1.548 -> 1.486, coverage 0.899 -> 0.903; train writers' 450: 4).
    # Retried where the model hesitated too, or kept however far, blank boxes got the paper written (engine
    # writes nothing 93.4% -> 88.0% / 91.8%)
    stuck = [k for k, r in result.items() if r.decoded.status in (dr.REPEAT, dr.CAP) and units[k][2] is not None
             and r.decoded.first_eos_p < REVIEW_EOS_P]
    if stuck:
        stats["decoded again freely"] += len(stuck)
        for idx, res in derenderer.run([units[k][1] for k in stuck], [units[k][3] for k in stuck], cancel):
            for a, r in zip(idx, res):
                i = units[stuck[a]][0]
                (mask, width, _) = masks[i]
                f1 = _fidelity(_in_crop(crops[i], r.strokes, width), mask, width)
                if r.decoded.status == dr.EOS and f1 >= FAR_FROM_INK * config.fidelity_threshold:
                    result[stuck[a]] = r
                    stats["stopped when decoded freely"] += 1
    inks_of: dict[int, list[tuple[int, dr.WordInk]]] = {}
    for k in sorted(result):
        inks_of.setdefault(units[k][0], []).append((k, result[k]))
    out: dict[int, dr.WordInk] = {}
    for i, parts in inks_of.items():
        parts.sort(key=lambda kr: kr[0])  # pieces left to right
        if len(parts) == 1:
            out[i] = parts[0][1]
        else:
            crop, (_, width, _) = crops[i], masks[i]
            touch = 2.0 * max(width, 1.0) / max(crop.page_to_crop.scale_factor(), 1e-6)
            out[i] = dr.join_pieces([r for _, r in parts], touch)
            stats["split into pieces"] += 1
        stats[out[i].decoded.status] += 1
    return out


def _decode_in_background(derenderer: dr.Derenderer, chunk: Sequence[_WordJob],
                          crops: Sequence[dr.WordCrop | None], masks: Sequence[tuple[np.ndarray, float, str] | None],
                          config: PipelineConfig, stop: CancelToken, decoded: list[int]) -> Future:
    """:func:`_decode_chunk` in a thread -> Future of (inks by index, its statistics). The caller traces the
    chunk's words meanwhile: the tracer does not need the model, and the decoder's ONNX steps leave the
    interpreter free (155-word page, 2 cores: derender 9.1 -> 8.1 s, best of 3)."""
    def work() -> tuple[dict[int, dr.WordInk], Counter]:
        own: Counter = Counter()
        return _decode_chunk(derenderer, chunk, crops, masks, config, stop, own, decoded), own

    pool = ThreadPoolExecutor(1, thread_name_prefix="inklift-chunk")
    try:
        return pool.submit(work)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one job


@dataclass
class _Chunk:
    """Up to :data:`CHUNK` words in flight: their crops and masks, and the model decoding them in a thread."""

    jobs: Sequence[_WordJob]
    crops: list[dr.WordCrop | None]
    masks: list[tuple[np.ndarray, float, str] | None]
    stop: LinkedCancelToken
    decoded: list[int]  # [pieces decoded, pieces in all], for progress
    decoding: Future | None = None


def _start_chunk(image: np.ndarray, jobs: Sequence[_WordJob], derenderer: dr.Derenderer | None,
                 config: PipelineConfig, cancel: CancelToken | None, page_ink: np.ndarray | None) -> _Chunk:
    """Crop and mask ``jobs``' words here, then start the model on them in a thread (when there is a model)."""
    spec = derenderer.spec if derenderer is not None else None
    crops: list[dr.WordCrop | None] = []
    for j in jobs:
        try:
            crops.append(dr.crop_word(image, j.quad, spec))
        except ValueError:
            crops.append(None)
    masks = [_word_mask(c, j.quad, page_ink) if c is not None else None for j, c in zip(jobs, crops)]
    ch = _Chunk(jobs, crops, masks, LinkedCancelToken(cancel), [0, 0])
    if derenderer is not None:
        ch.decoding = _decode_in_background(derenderer, jobs, crops, masks, config, ch.stop, ch.decoded)
    return ch


def _derender_words(image: np.ndarray, jobs: Sequence[_WordJob], models: ModelSet | None,
                    config: PipelineConfig, warnings: list[str], cancel: CancelToken | None,
                    stats: Counter, page_ink: np.ndarray | None = None) -> Generator[Progress, None, list[Word]]:
    """Words in reading order; yields ("derender", done, total) as words are done.

    Per chunk of words the model decodes in a thread while this one traces the chunk's words, and the next
    chunk's decoding starts before this chunk's words are completed from the model's ink."""
    derenderer = dr.Derenderer(models, batch_size=config.batch_size) if models is not None else None
    words: list[Word] = []
    widths: list[float] = []
    total = len(jobs)
    yield Progress("derender", 0, total)
    pending = _start_chunk(image, jobs[:CHUNK], derenderer, config, cancel, page_ink) if total else None
    cur: _Chunk | None = None
    try:
        while pending is not None:
            cur, pending = pending, None
            chunk, crops, masks = cur.jobs, cur.crops, cur.masks
            widths.extend(w for m in masks if m is not None and m[1] > 0 for w in [m[1]])
            page_width = float(np.median(widths)) if widths else 0.0
            pens: list[float] = []
            tracers: list[_Candidate | None] = []
            for i, crop in enumerate(crops):
                _check(cancel)
                has_ink = crop is not None and masks[i] is not None and masks[i][0].any()
                width = _pen_width(masks[i][0], masks[i][1], page_width) if has_ink else page_width
                pens.append(width)
                tracers.append(_tracer_candidate(masks[i][0], width) if has_ink else None)
                if cur.decoding is not None and i % 16 == 15:
                    yield Progress("derender", len(words), total, f"traced {i + 1}/{len(chunk)} in this chunk")
            inks: dict[int, dr.WordInk] = {}
            if cur.decoding is not None:
                while not wait([cur.decoding], timeout=0.25).done:
                    _check(cancel)
                    yield Progress("derender", len(words), total,
                                   f"the model wrote {cur.decoded[0]}/{cur.decoded[1]} of this chunk's words")
                try:
                    inks, own = cur.decoding.result()
                    stats.update(own)
                except ModelError as e:
                    warnings.append(f"{e}; the remaining words use the geometric tracer")
                    derenderer = None
            start = len(words) + len(chunk)
            if start < total:  # the next chunk decodes while this one's words are completed
                pending = _start_chunk(image, jobs[start:start + CHUNK], derenderer, config, cancel, page_ink)
            for i, (j, crop) in enumerate(zip(chunk, crops)):
                _check(cancel)
                if crop is None or masks[i] is None:
                    words.append(Word((), j.quad, j.text, j.confidence, InkSource.TRACER, 0.0, True))
                    stats["outside"] += 1
                    yield Progress("derender", len(words), total)
                    continue
                mask, _, colour = masks[i]
                w, note = _word_from_crop(crop, j.quad, j.text, j.confidence, inks.get(i),
                                          config.fidelity_threshold, mask, pens[i], colour, config.model_margin,
                                          config.model_first, tracers[i])
                if note:
                    stats[note] += 1
                stats[w.source.value] += 1
                if i in inks and inks[i].decoded.status != dr.EMPTY:
                    stats["model tried"] += 1
                words.append(w)
                yield Progress("derender", len(words), total)
            if derenderer is not None and _model_useless(stats):
                derenderer = None  # a garbage model costs up to max_len decoder steps per word for nothing
                if pending is not None and pending.decoding is not None:
                    pending.stop.cancel()
                    pending.decoding = None
                warnings.append(f"the model's output was near the ink for only {_model_used(stats)} of the first "
                                f"{stats['model tried']} words; the rest of the page uses the geometric tracer")
    finally:
        for ch in (cur, pending):  # the caller left (or cancelled): decoding threads stop at their next step
            if ch is not None:
                ch.stop.cancel()
    return words


# --- drawings ----------------------------------------------------------------------------------------
def _drawing_ink(mask: np.ndarray, pen: float, bbox, page_size: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """A drawing region's ink without specks, and True when it looks like background rather than a
    drawing: it runs into two edges of the image (the table around a sheet that was not found), or it
    is many small pieces rather than a few long lines (cloth, wood grain, paper texture)."""
    w, h = page_size
    x0, y0, x1, y1 = bbox
    edges = (x0 <= 2) + (y0 <= 2) + (x1 >= w - 2) + (y1 >= h - 2)
    if edges >= 2:
        return np.zeros(mask.shape, bool), True
    n, lab, st, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    side = np.maximum(st[1:, cv2.CC_STAT_WIDTH], st[1:, cv2.CC_STAT_HEIGHT])
    area = st[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, bool)
    # a speck is about a pen wide; a dash bullet, the bar of a '-', the foot of a bracket cut off by its
    # word's box are longer (3-5 pens, 3-12 pen^2)
    keep[1:] = (side >= max(5.0, 2.0 * pen)) & (area >= 2.0 * pen * pen)
    if not keep.any():
        return np.zeros(mask.shape, bool), False
    kept = area[keep[1:]]
    # measured: sketches and diagrams <= 7 pieces per 1000 ink px with a median piece >= 150 px
    texture = len(kept) >= 5 and len(kept) * 1000.0 / kept.sum() > 8.0 and float(np.median(kept)) < 60.0
    return keep[lab], texture


def _trace_drawings(image: np.ndarray, page_image, segmentation, words: Sequence[Word],
                    stats: Counter) -> list[Stroke]:
    """Ink outside every word box (diagrams, arrows, underlines; regions from inference.photo.drawings)
    -> strokes in page px, each region styled with its own ink colour and width."""
    from .photo.drawings import find_drawings

    pen = [s.width for w in words for s in w.strokes[:1]]
    pen_w = float(np.median(pen)) if pen else 2.5
    out: list[Stroke] = []
    for region in find_drawings(page_image, segmentation, pen_px=pen_w if pen else None):
        x0, y0 = int(region.bbox[0]), int(region.bbox[1])
        mask = drop_thin_runs(region.mask, pen_w)  # leftover bits of ruling are paper
        mask, texture = _drawing_ink(mask, pen_w, region.bbox, (image.shape[1], image.shape[0]))
        if texture:
            stats["texture"] += 1
            continue
        if not mask.any():
            continue
        sub = image[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]]
        style = estimate_style(sub, mask)
        for p in trace_mask(mask, style.width_px):
            out.append(Stroke(p + np.array([x0, y0], np.float32), color=style.color, width=style.width_px))
    return out


# --- the job -----------------------------------------------------------------------------------------
def _summary_warnings(stats: Counter, n_words: int, models: ModelSet | None) -> list[str]:
    out = []
    for key, label in ((dr.CAP, "hit the token cap"), (dr.REPEAT, "were stopped by the repetition guard"),
                       (dr.GARBAGE, "got unusable model output")):
        if stats[key]:
            out.append(f"{stats[key]} of {n_words} words {label}; their ink was checked against the photo")
    if stats["model output far from the ink"]:
        out.append(f"{stats['model output far from the ink']} of {n_words} words got model ink far from the "
                   f"photo's ink (replaced by the tracer)")
    if stats["no ink in the word box"]:
        out.append(f"{stats['no ink in the word box']} word boxes contained no ink")
    if stats["outside"]:
        out.append(f"{stats['outside']} word boxes lay outside the page")
    if models is not None and stats["tracer"]:
        ordered = stats["model-ordered tracer ink"]
        out.append(f"{stats['tracer']} of {n_words} words use the geometric tracer's ink"
                   + (f" ({ordered} of them in the model's stroke order)" if ordered else ""))
    return out


def run_page(source: str | Path | np.ndarray, config: PipelineConfig | None = None,
             cancel: CancelToken | None = None) -> Generator[Progress, None, PageResult]:
    """Convert one photo. Yields Progress for load / page / segment / derender (per word) / check."""
    config = config or PipelineConfig()
    warnings: list[str] = []
    timings: dict[str, float] = {}
    stats: Counter = Counter()
    t0 = time.perf_counter()

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 4)
        return now

    yield Progress("load", 0, 1)
    loaded = load_image(source)
    t = lap("load", t0)
    _check(cancel)
    yield Progress("load", 1, 1)

    models = _get_models(config, warnings)
    t = lap("models", t)

    page_meta: dict = {"layout": config.layout, "model": models.manifest.directory.name if models else None}
    segmentation = None
    page_image = None
    if config.layout == "word":
        image = loaded.image
        h, w = image.shape[:2]
        text, conf = _recognise_whole(image, config, warnings)
        jobs = [_WordJob(Quad.from_rect(0, 0, w, h), text, conf)]
        to_source = loaded.to_source
        yield Progress("page", 1, 1)
        yield Progress("segment", 1, 1)
    else:
        yield Progress("page", 0, 1)
        from .photo.page import prepare_page

        segmenter = _segmenter(config)
        # a photo of one line: no sheet to find, but still the upright turn and the lighting
        page_image = prepare_page(loaded, find_sheet_enabled=config.layout != "line", segmenter=segmenter)
        image = page_image.image
        to_source = _page_to_source(page_image, loaded)
        t = lap("page", t)
        _check(cancel)
        yield Progress("page", 1, 1)
        yield Progress("segment", 0, 1)
        segmentation = segmenter.segment(page_image)
        jobs = [_WordJob(Quad.from_array(wb.quad), str(wb.text or ""), float(wb.confidence))
                for wb in _reading_order(segmentation.words)]
        if config.layout == "line" and not jobs:
            h, w = image.shape[:2]
            jobs = [_WordJob(Quad.from_rect(0, 0, w, h), "", 0.0)]
        t = lap("segment", t)
        _check(cancel)
        yield Progress("segment", 1, 1)
    if len(jobs) > config.max_words:
        warnings.append(f"{len(jobs)} words found; only the first {config.max_words} were converted "
                        f"(max_words)")
        jobs = jobs[:config.max_words]
    if not jobs:
        warnings.append("no words found on the page")

    page_ink = getattr(segmentation, "ink", None)
    if page_ink is not None and page_ink.shape != image.shape[:2]:
        page_ink = None
    words = yield from _derender_words(image, jobs, models, config, warnings, cancel, stats, page_ink)
    t = lap("derender", t)
    warnings.extend(_summary_warnings(stats, len(words), models))

    yield Progress("check", 0, 1)
    drawings: list[Stroke] = []
    if config.drawings and config.layout in ("auto", "page"):
        _check(cancel)
        drawings = _trace_drawings(image, page_image, segmentation, words, stats)
        if stats["texture"]:
            warnings.append(f"{stats['texture']} regions outside the words look like background texture "
                            f"(table, cloth) rather than drawings and were not traced")
    t = lap("drawings", t)
    words = _flag_unsure(words)
    if not drawings and not any(x.strokes for x in words):
        words = []  # boxes without ink are not words: a photo with no writing gives an empty page
        warnings.insert(0, f"{NO_HANDWRITING}: nothing on this photo looks like writing or drawing")
    h, w = image.shape[:2]
    page_meta.update({
        "to_source": to_source.matrix.tolist(),
        "source_size": list(loaded.source_size),
        "words_flagged": sum(1 for x in words if x.needs_review),
        "ink_sources": dict(Counter(x.source.value for x in words)),
    })
    # the file name only: a page travels into exports and projects, the photo's folder must not
    page = Page(w, h, tuple(words), tuple(drawings), loaded.path.name if loaded.path is not None else None,
                page_meta)
    _check(cancel)
    if config.debug_dir is not None:
        _write_debug(Path(config.debug_dir), image, page, page_image, segmentation, loaded, warnings)
        t = lap("debug", t)
    timings["total"] = round(time.perf_counter() - t0, 4)
    yield Progress("check", 1, 1)
    return PageResult(page, image, tuple(warnings), timings)


def _flag_unsure(words: list[Word]) -> list[Word]:
    """Words with ink that the recogniser read unsurely are flagged for review (the ink may be right, the
    text likely is not)."""
    return [replace(x, needs_review=True) if x.strokes and not x.needs_review and not x.reviewed
            and x.confidence < REVIEW_TEXT_CONFIDENCE else x for x in words]


# --- helpers for layouts -----------------------------------------------------------------------------
def _reading_order(words) -> list:
    return sorted(words, key=lambda wb: getattr(wb, "order", 0))


def _page_to_source(page_image, loaded) -> Transform:
    """Upright page pixels -> the file's own pixels (for exporters that go back to the photo)."""
    to_orig = getattr(page_image, "to_original", None)  # page px -> LoadedImage.original px
    if isinstance(to_orig, Transform):
        return to_orig.then(Transform.scale(1.0 / loaded.original_scale))
    return loaded.to_source


def _segmenter(config: PipelineConfig):
    from .photo.segment import default_segmenter

    return default_segmenter(int(config.threads))


def _recognise_whole(image: np.ndarray, config: PipelineConfig, warnings: list[str]) -> tuple[str, float]:
    """Text of a single-word photo from the recogniser, or ("", 0) when it cannot read it."""
    try:
        out = _segmenter(config).recognize([image])
        if not out:
            return "", 0.0
        text, conf = out[0][0], out[0][1]
        return str(text or "").strip(), float(conf or 0.0)
    except (ImportError, InkLiftError) as e:
        warnings.append(f"word text not recognised ({e}); the model runs without it")
        return "", 0.0


def _write_debug(d: Path, image, page: Page, page_image, segmentation, loaded, warnings: list[str]) -> None:
    from .document.render import draw_strokes_mask

    d.mkdir(parents=True, exist_ok=True)
    stem = loaded.path.stem if loaded.path is not None else "page"
    if page_image is not None and segmentation is not None:
        try:
            from .photo.debug import write_debug_overlay

            write_debug_overlay(page_image, segmentation, d / f"{stem}-segments.png")
        except ImportError:
            pass
    faded = (image.astype(np.float32) * 0.35 + 255 * 0.65)
    by_colour: dict[str, list[Stroke]] = {}
    for s in page.all_strokes():
        by_colour.setdefault(s.color, []).append(s)
    for colour, strokes in by_colour.items():  # one coverage map per colour: fast on 2,000-word pages
        a = draw_strokes_mask(strokes, image.shape[0], image.shape[1])[..., None]
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float32)
        faded = faded * (1 - a) + rgb * a
    over = np.clip(faded + 0.5, 0, 255).astype(np.uint8)
    for w in page.words:
        if w.needs_review:
            q = np.round(w.quad.to_array() - 0.5).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(over, [q], True, (230, 60, 30), 1)
    tmp = d / f".{stem}-ink.png.part"
    ok, buf = cv2.imencode(".png", cv2.cvtColor(over, cv2.COLOR_RGB2BGR))
    if ok:
        tmp.write_bytes(buf.tobytes())
        tmp.replace(d / f"{stem}-ink.png")
    else:
        warnings.append("debug overlay could not be encoded")


# --- word mode for the evaluation harness ------------------------------------------------------------
def derender_word_image(image_rgb: np.ndarray, text: str | None = None,
                        config: PipelineConfig | None = None) -> Word:
    """The whole image as one word (InkSight's word mode). ``text`` None: vanilla mode (no prefix)."""
    config = replace(config or PipelineConfig(), layout="word")
    warnings: list[str] = []
    models = _get_models(config, warnings)
    img = np.ascontiguousarray(np.asarray(image_rgb)[..., :3]) if np.asarray(image_rgb).ndim == 3 else \
        np.ascontiguousarray(np.repeat(np.asarray(image_rgb)[..., None], 3, axis=2))
    h, w = img.shape[:2]
    job = _WordJob(Quad.from_rect(0, 0, w, h), text or "", 1.0 if text else 0.0)
    gen = _derender_words(img, [job], models, config, warnings, None, Counter())
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value[0]
