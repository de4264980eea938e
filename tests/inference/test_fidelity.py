"""Render-back fidelity: precision / recall of strokes against an ink mask."""

import numpy as np
import pytest

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.document.transforms import Transform
from inference.strokes.fidelity import Fidelity, compare_masks, default_tolerance, fidelity, fidelity_maps


def strokes_and_mask(width, h=80, w=160):
    strokes = [Stroke([[15, 20], [140, 25], [120, 60]]), Stroke([[20, 60], [60, 40]])]
    return strokes, draw_strokes_mask(strokes, h, w, width_px=width) > 0.5


@pytest.mark.parametrize("width", [2, 4, 8])
def test_perfect_strokes_score_about_one(width):
    strokes, mask = strokes_and_mask(width)
    f = fidelity(strokes, mask, width)
    assert isinstance(f, Fidelity)
    assert f.precision >= 0.99 and f.recall >= 0.99 and f.f1 >= 0.99
    assert f.ink_px == int(mask.sum()) and f.drawn_px > 0


@pytest.mark.parametrize("width", [2, 4, 8])
def test_shifted_strokes_score_lower_the_further_they_go(width):
    strokes, mask = strokes_and_mask(width)
    f1s = []
    for dy in (0, 3, 6, 12):
        moved = [s.mapped(lambda xy, dy=dy: xy + [0, dy]) for s in strokes]
        f1s.append(fidelity(moved, mask, width).f1)
    assert f1s[0] > f1s[1] > f1s[2] > f1s[3]
    assert f1s[3] < 0.5


def test_missing_and_extra_strokes_hit_recall_and_precision():
    strokes, mask = strokes_and_mask(4)
    only_first = fidelity(strokes[:1], mask, 4)
    assert only_first.precision >= 0.99 and only_first.recall < 0.85
    extra = strokes + [Stroke([[10, 75], [150, 75]])]
    f = fidelity(extra, mask, 4)
    assert f.recall >= 0.99 and f.precision < 0.85


def test_empty_cases():
    empty = np.zeros((20, 20), bool)
    assert fidelity([], empty, 3).f1 == 1.0
    assert fidelity([Stroke([[5, 5], [15, 5]])], empty, 3).f1 == 0.0
    _, mask = strokes_and_mask(3)
    nothing = fidelity([], mask, 3)
    assert nothing.recall == 0.0 and nothing.f1 == 0.0


def test_transform_maps_page_strokes_into_the_crop():
    strokes, mask = strokes_and_mask(4)
    # the same strokes in page coordinates of a crop that starts at (1000, 500)
    page = [s.mapped(lambda xy: xy + [1000, 500]) for s in strokes]
    f = fidelity(page, mask, 4, transform=Transform.translate(-1000, -500))
    assert f.f1 >= 0.99


def test_tolerance_matters_and_defaults_grow_with_width():
    strokes, mask = strokes_and_mask(4)
    moved = [s.mapped(lambda xy: xy + [0, 3]) for s in strokes]
    assert fidelity(moved, mask, 4, tol_px=0.5).f1 < fidelity(moved, mask, 4, tol_px=3).f1
    assert default_tolerance(2) >= 1.0 and default_tolerance(12) > default_tolerance(4)


def test_compare_masks_is_symmetric_in_meaning():
    a = np.zeros((30, 30), bool)
    a[10:12, 5:25] = True
    b = np.zeros((30, 30), bool)
    b[10:12, 5:15] = True
    f = compare_masks(b, a, 1.0)  # drawn = half of the ink
    assert f.precision == 1.0 and 0.4 < f.recall < 0.65
    with pytest.raises(ValueError):
        fidelity([], np.zeros((3, 3, 3), bool), 2)
    with pytest.raises(ValueError):
        fidelity([], a, 0)


def test_maps_show_what_is_missed_and_what_is_invented():
    strokes, mask = strokes_and_mask(4)
    extra_stroke = Stroke([[10, 75], [150, 75]])
    missed, extra = fidelity_maps(strokes[:1] + [extra_stroke], mask, 4)
    assert missed.shape == mask.shape and extra.shape == mask.shape
    # the second stroke's ink is missed, the invented line at y=75 is extra, nothing else
    assert missed[55:65, 25:55].any() and not missed[15:30, 20:130].any()
    assert extra[72:79, 20:140].any(axis=0).mean() > 0.9 and not extra[:60].any()
    f = fidelity(strokes[:1] + [extra_stroke], mask, 4)
    assert abs(missed.sum() / mask.sum() - (1 - f.recall)) < 1e-6
