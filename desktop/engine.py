"""The GUI's view of the conversion engine (inference.pipeline), imported lazily so the app still starts,
edits and exports when the engine or its models are missing - it then says so instead of converting."""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Any

import numpy as np

from inference.errors import InkLiftError
from inference.ink import Page, Word
from inference.jobs import CancelToken

NOT_AVAILABLE = ("The conversion engine is not available in this build, so photos cannot be turned into ink "
                 "yet. You can still open InkML, draw, edit and export.")


def _pipeline():
    try:
        return importlib.import_module("inference.pipeline")
    except ImportError as e:
        if e.name not in (None, "inference.pipeline"):
            raise InkLiftError(f"{NOT_AVAILABLE} ({e})") from None
        raise InkLiftError(NOT_AVAILABLE) from None


def engine_available() -> tuple[bool, str]:
    try:
        _pipeline()
    except InkLiftError as e:
        return False, str(e)
    return True, ""


def convert_job(source: Any, layout: str = "auto", threads: int = 2):
    """A job factory (CancelToken -> generator) converting one page; returns PageResult."""
    from . import engine_process

    pl = _pipeline()
    pl.PipelineConfig(layout=layout, threads=threads)  # validate here: a bad setting is the user's message
    def factory(token: CancelToken):
        if engine_process.use_thread():
            job = pl.run_page(source, pl.PipelineConfig(layout=layout, threads=threads), token)
        else:
            job = engine_process.engine().run(source, {"layout": layout, "threads": threads}, token)
        result = yield from job
        # still on the worker thread: prepare what the canvas paints, so the GUI thread only adds items
        from .canvas import precompute_outlines
        from .document import prepare_display

        precompute_outlines(result.page.all_strokes())
        prepare_display(result.image)
        return result

    return factory


CROP_MARGIN = 0.15  # of the word box's height, around the box, so strokes at its edge are kept


def _crop(image: np.ndarray, word: Word) -> tuple[np.ndarray, float, float]:
    x0, y0, x1, y1 = word.quad.bounds()
    m = CROP_MARGIN * max(y1 - y0, 8.0)
    h, w = image.shape[:2]
    cx0, cy0 = int(max(0, np.floor(x0 - m))), int(max(0, np.floor(y0 - m)))
    cx1, cy1 = int(min(w, np.ceil(x1 + m))), int(min(h, np.ceil(y1 + m)))
    if cx1 - cx0 < 2 or cy1 - cy0 < 2:
        raise InkLiftError("This word's box lies outside the page image.")
    return image[cy0:cy1, cx0:cx1], float(cx0), float(cy0)


def _word_from_crop(image: np.ndarray, word: Word, text: str | None, use_model: bool) -> Word:
    pl = _pipeline()
    crop, dx, dy = _crop(image, word)
    out = pl.derender_word_image(crop, text or None, pl.PipelineConfig(layout="word", use_model=use_model))
    off = np.array([dx, dy], np.float32)
    strokes = tuple(s.mapped(lambda xy: xy + off) for s in out.strokes)
    if not strokes:
        raise InkLiftError("No ink was found in this word's box.")
    return replace(word, strokes=strokes, text=word.text if text is None else text, source=out.source,
                   fidelity=out.fidelity, needs_review=False, reviewed=False)


def rederender_word(image: np.ndarray, word: Word, text: str) -> Word:
    """Derender one word again, guided by ``text`` (on the caller's thread: one word takes a moment)."""
    return _word_from_crop(image, word, text, use_model=True)


def traced_word(image: np.ndarray, word: Word) -> Word:
    """The geometric tracer's version of one word (the pipeline with the model switched off)."""
    return _word_from_crop(image, word, None, use_model=False)


def empty_page_like(image: np.ndarray) -> Page:
    return Page(width=int(image.shape[1]), height=int(image.shape[0]))
