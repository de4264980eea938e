"""The GUI's view of the conversion engine (inference.pipeline), imported lazily so the app still starts,
edits and exports when the engine or its models are missing - it then says so instead of converting."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import replace
from typing import Any

import numpy as np

from inference.document.ink import Page, Word
from inference.errors import InkLiftError
from inference.jobs import CancelToken, Progress

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
    """Whether the engine is installed, without importing it: importing inference.pipeline pulls in
    OpenCV, onnxruntime and rapidocr (a second or more); the GUI process leaves that to the engine process."""
    try:
        found = importlib.util.find_spec("inference.pipeline") is not None
    except (ImportError, ValueError):
        found = False
    return (True, "") if found else (False, NOT_AVAILABLE)


def convert_job(source: Any, layout: str = "auto", threads: int = 2):
    """A job factory (CancelToken -> generator) converting one page; returns PageResult."""
    from . import engine_process

    ok, why = engine_available()
    if not ok:
        raise InkLiftError(why)

    def factory(token: CancelToken):
        if engine_process.use_thread():
            pl = _pipeline()
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


def word_job(image: np.ndarray, word: Word, text: str | None, use_model: bool):
    """Job factory: derender one word again (``text`` guides the model; None keeps the word's text) or,
    with ``use_model=False``, trace it. Runs in the engine process like a page; returns the new Word."""
    from . import engine_process

    ok, why = engine_available()
    if not ok:
        raise InkLiftError(why)
    crop, dx, dy = _crop(image, word)
    crop = np.ascontiguousarray(crop)

    def factory(token: CancelToken):
        yield Progress("word", 0, 1, "Converting the word")
        if engine_process.use_thread():
            pl = _pipeline()
            out = pl.derender_word_image(crop, text or None, pl.PipelineConfig(layout="word", use_model=use_model))
        else:
            out = yield from engine_process.engine().run(crop, {"text": text or None, "use_model": use_model},
                                                         token, kind="word")
        off = np.array([dx, dy], np.float32)
        strokes = tuple(s.mapped(lambda xy: xy + off) for s in out.strokes)
        if not strokes:
            raise InkLiftError("No ink was found in this word's box.")
        return replace(word, strokes=strokes, text=word.text if text is None else text, source=out.source,
                       fidelity=out.fidelity, needs_review=False, reviewed=False)

    return factory


def rederender_word(image: np.ndarray, word: Word, text: str):
    """Job factory: derender one word again, guided by ``text``."""
    return word_job(image, word, text, use_model=True)


def traced_word(image: np.ndarray, word: Word):
    """Job factory: the geometric tracer's version of one word (the pipeline with the model off)."""
    return word_job(image, word, None, use_model=False)


def empty_page_like(image: np.ndarray) -> Page:
    return Page(width=int(image.shape[1]), height=int(image.shape[0]))
