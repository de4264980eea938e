"""Training samples: strokes -> photo-like render -> model canvas (inference.model.canvas.fit_crop) + tokens.

Sources: UNIPEN train writers (words, short free-text segments, characters) and single-stroke fonts
(training/fonts.py). The target ink goes through exactly the render's geometry and fit_crop's transform,
then Ramer-Douglas-Peucker simplification and TokenSpec.encode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.model.canvas import fit_crop
from inference.model.tokens import TokenSpec
from inference.strokes.skeleton import rdp as skeleton_rdp

from .render import render_word_photo

MAX_INK_TOKENS = 300
RDP_EPS = (0.6, 1.0, 1.5)  # canvas px; simplify harder before giving up on a long item


def rdp(xy: np.ndarray, eps: float) -> np.ndarray:
    """The points Ramer-Douglas-Peucker keeps of a polyline (end points always); the engine's own
    simplification (:func:`inference.strokes.skeleton.rdp`)."""
    return xy[skeleton_rdp(xy, eps)]


def ink_tokens(strokes_canvas: list[np.ndarray], spec: TokenSpec, max_tokens: int = MAX_INK_TOKENS
               ) -> list[int] | None:
    """Canvas strokes -> ink tokens (after RDP), or None if even the hardest simplification is too long."""
    for eps in RDP_EPS:
        toks = spec.encode_ink([rdp(np.asarray(s, np.float64), eps) for s in strokes_canvas])
        if len(toks) <= max_tokens:
            return toks
    return None


@dataclass
class Sample:
    image: np.ndarray  # float32 [1, H, W]
    tokens: np.ndarray  # int64 [n]: BOS [text] SEP ink EOS
    n_prefix: int  # tokens up to and including SEP (not predicted)


def make_sample(strokes: list[np.ndarray], text: str | None, rng: np.random.Generator, spec: TokenSpec,
                level: str = "train", blank: bool = False) -> Sample | None:
    """One training sample. ``blank``: the crop without its word (vanilla, target: EOS at once)."""
    rw = render_word_photo(strokes, rng, level, blank=blank)
    canvas, t = fit_crop(rw.image, spec)
    if blank:
        return Sample(canvas[None].astype(np.float32), np.array(spec.text_prefix(None) + [spec.eos], np.int64), 2)
    cs = [t.apply(s) for s in rw.strokes]
    ink = ink_tokens(cs, spec)
    if ink is None:
        return None
    prefix = spec.text_prefix(text)
    toks = np.array(prefix + ink + [spec.eos], np.int64)
    return Sample(canvas[None].astype(np.float32), toks, len(prefix))
