"""Thick marker strokes under a cast shadow give one centre line each (not the blob's two edges), and faint
pencil survives."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.jobs import run_job
from inference.pipeline import PipelineConfig, run_page
from tests.inference.synthpage import _densify, hershey_word


def _shadowed_page(pen: float, ink: float, shade: float = 0.5) -> tuple[np.ndarray, list[Stroke]]:
    h, w = 900, 1300
    strokes = [s for i, t in enumerate(("hello", "world")) for s in hershey_word(t, "futural", 160, 80 + 120 * i,
                                                                                 150 + 330 * i)]
    strokes = [Stroke(_densify(s.xy.astype(float), 2.0).astype(np.float32), width=pen) for s in strokes]
    img = np.full((h, w, 3), 245, np.float32)
    cov = draw_strokes_mask(strokes, h, w)[..., None]
    img = img * (1 - cov) + ink * cov
    xx = np.arange(w, dtype=np.float32)[None, :] + 0.5 * np.arange(h, dtype=np.float32)[:, None]
    img *= (1 - shade / (1 + np.exp(-(xx - 0.5 * w) / 40.0)))[..., None]  # the shadow crosses the words
    img = cv2.GaussianBlur(img, (0, 0), 1.0) + np.random.default_rng(1).normal(0, 2, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), strokes


def _distance_to(paths, h, w) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    for p in paths:
        cv2.polylines(m, [np.round(p).astype(np.int32).reshape(-1, 1, 2)], False, 1, 1)
    return cv2.distanceTransform(1 - m, cv2.DIST_L2, 5)


def _share_near(paths, dist, tol) -> float:
    pts = np.concatenate([_densify(np.asarray(p, float), 1.0) for p in paths])
    ix = np.clip(np.round(pts).astype(int), 0, [dist.shape[1] - 1, dist.shape[0] - 1])
    return float((dist[ix[:, 1], ix[:, 0]] <= tol).mean())


@pytest.mark.parametrize("pen", [16.0, 24.0])
def test_a_thick_marker_in_shadow_gives_centre_lines(pen):
    img, true = _shadowed_page(pen, ink=20.0)
    res = run_job(run_page(img, PipelineConfig(use_model=False)))
    out = [s.xy for s in res.page.all_strokes()]
    h, w = img.shape[:2]
    # an outline would put every point half a pen width off the centre line: measured 0.997-0.999
    assert _share_near(out, _distance_to([s.xy for s in true], h, w), pen / 4) >= 0.95
    assert len(out) <= 1.25 * len(true)  # one stroke per pen stroke or fewer (joined), not two edges
    assert _share_near([s.xy for s in true], _distance_to(out, h, w), pen / 4) >= 0.9


@pytest.mark.parametrize("ink", [160.0, 185.0])
def test_faint_pencil_survives(ink):
    img, true = _shadowed_page(2.5, ink=ink, shade=0.4)
    res = run_job(run_page(img, PipelineConfig(use_model=False)))
    h, w = img.shape[:2]
    out = [s.xy for s in res.page.all_strokes()]
    assert out and _share_near([s.xy for s in true], _distance_to(out, h, w), 2.5) >= 0.95  # measured 0.99-1.0
