"""The GUI's view of the conversion engine (inference.pipeline), imported lazily so the app still starts,
edits and exports when the engine or its models are missing - it then says so instead of converting."""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Any

import numpy as np

from inference.errors import InkLiftError
from inference.ink import InkSource, Page, Word
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
    pl = _pipeline()
    config = pl.PipelineConfig(layout=layout, threads=threads)

    def factory(token: CancelToken):
        return pl.run_page(source, config, token)

    return factory


def rederender_word(image: np.ndarray, word: Word, text: str) -> Word:
    """Derender one word again, guided by ``text`` (runs on the caller's thread; one word is quick)."""
    pl = _pipeline()
    fn = getattr(pl, "derender_word_image", None)
    if fn is None:
        raise InkLiftError("This engine cannot derender single words.")
    out = fn(image, word.quad, text=text)
    if isinstance(out, Word):
        return replace(out, text=text, reviewed=False)
    return replace(word, strokes=tuple(out), text=text, source=InkSource.MODEL)


def traced_word(image: np.ndarray, word: Word) -> Word:
    """The geometric tracer's version of one word (inference.tracer)."""
    try:
        tracer = importlib.import_module("inference.tracer")
    except ImportError:
        raise InkLiftError("The tracer is not available in this build.") from None
    fn = getattr(tracer, "trace_word", None)
    if fn is None:
        raise InkLiftError("The tracer cannot trace single words in this build.")
    out = fn(image, word.quad)
    strokes = tuple(out.strokes) if isinstance(out, Word) else tuple(out)
    if not strokes:
        raise InkLiftError("The tracer found no ink in this word's box.")
    return replace(word, strokes=strokes, source=InkSource.TRACER)


def empty_page_like(image: np.ndarray) -> Page:
    return Page(width=int(image.shape[1]), height=int(image.shape[0]))
