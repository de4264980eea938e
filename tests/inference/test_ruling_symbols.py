"""Ruled and grid paper out, handwriting in: '=', '-', '+', arrows, underlines, t-bars, dash bullets and
1s lying on or touching the ruling survive end to end; no ruling is traced."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.jobs import run_job
from inference.photo.ruling import remove_rules
from inference.photo.segment import remove_long_lines
from inference.pipeline import PipelineConfig, run_page
from tests.inference.symbolpage import make_symbol_page
from tests.inference.synthpage import _densify


def _centre_distance(paths, h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    for p in paths:
        cv2.polylines(m, [np.round(np.asarray(p)).astype(np.int32).reshape(-1, 1, 2)], False, 1, 1)
    return cv2.distanceTransform(1 - m, cv2.DIST_L2, 5)


def _share_near(paths, dist: np.ndarray, tol: float) -> float:
    pts = np.concatenate([_densify(np.asarray(p, float), 1.0) for p in paths if len(p)])
    ix = np.clip(np.round(pts).astype(int), 0, [dist.shape[1] - 1, dist.shape[0] - 1])
    return float((dist[ix[:, 1], ix[:, 0]] <= tol).mean())


@pytest.mark.parametrize(("paper", "seed", "shade"), [("ruled", 0, 0.0), ("ruled", 1, 0.45), ("grid", 0, 0.0),
                                                      ("grid", 1, 0.45)])
def test_symbols_on_the_ruling_are_kept_and_the_ruling_is_not_traced(paper, seed, shade):
    sp = make_symbol_page(np.random.default_rng(seed), paper, shade=shade)
    h, w = sp.image.shape[:2]
    res = run_job(run_page(sp.image, PipelineConfig(use_model=False)))
    out = [s.xy for s in res.page.all_strokes()]
    assert (res.page.width, res.page.height) == (w, h)  # no sheet to rectify: page px are photo px
    tol = max(2.0, sp.pen_width)
    # measured on these pages: recall 0.981-0.996, precision 0.996-1.000
    recall = _share_near(sp.symbols, _centre_distance(out, h, w), tol)
    precision = _share_near(out, _centre_distance(sp.strokes, h, w), tol)
    assert recall >= 0.95 and precision >= 0.98, (recall, precision)


def test_a_lone_bar_is_not_a_ruling_but_a_line_through_the_crop_is():
    crop = np.zeros((30, 60), bool)
    crop[14:17, 6:54] = True  # '-' or one bar of '=': pen-thick, inside the crop's margin
    assert remove_rules(crop)[15, 6:54].all()
    crop[24, :] = True  # a hairline ruling from edge to edge
    out = remove_rules(crop)
    assert not out[24].any() and out[15, 6:54].all()


def test_a_dark_underline_on_a_light_ruling_stays():
    h, w = 120, 600
    tone = np.full((h, w), 252.0)
    mask = np.zeros((h, w), bool)
    tone[60:62] = 215.0  # a light blue ruling across the page
    mask[60:62] = True
    # a pen underline drawn along it (the line's own tone is its darkest fifth: an underline longer than
    # about a fifth of the ruling would set it)
    tone[58:63, 200:280] = 40.0
    mask[58:63, 200:280] = True
    out = remove_long_lines(mask, 0.2, tone >= 224, tone)
    assert not out[60:62, :150].any() and not out[60:62, 330:].any()  # the ruling goes
    assert out[58:63, 205:275].mean() > 0.9  # the underline stays, whole


def test_a_lone_vertical_line_goes():
    mask = np.zeros((300, 400), bool)
    mask[40:130, 120] = True  # a hairline, long enough to be a line, too short to be a row of pieces
    mask[100:104, 200:260] = True  # and a pen stroke
    out = remove_long_lines(mask, 0.2)
    assert not out[:, 120].any() and out[100:104, 200:260].all()


def test_a_tall_letter_in_a_photo_of_one_line_is_not_a_ruling():
    mask = np.zeros((64, 500), bool)
    mask[8:58, 300:303] = True  # an 'l' nearly as tall as the line photo
    mask[30:33, 40:90] = True
    assert remove_long_lines(mask, 0.2, faint=mask).sum() == mask.sum()
