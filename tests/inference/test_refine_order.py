"""refine.order_like: tracer strokes put in the model's stroke order and direction."""

import numpy as np

from inference.document.ink import Stroke
from inference.strokes.refine import order_like


def seg(x0, y0, x1, y1, n=8):
    return Stroke(np.column_stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)]))


def test_reversed_tracer_strokes_follow_the_models_order_and_direction():
    # the model wrote: a down-stroke at x=10, a left-to-right bar, a down-stroke at x=60 (drifting ~2 px)
    guide = [seg(12, 0, 11, 40), seg(2, 22, 68, 21), seg(62, 0, 61, 40)]
    a, b, c = seg(10, 0, 10, 40), seg(0, 20, 70, 20), seg(60, 0, 60, 40)
    rev = lambda s: Stroke(s.xy[::-1])
    tracer = [rev(c), rev(b), rev(a)]  # opposite order, each drawn backwards
    out = order_like(tracer, guide, max_dist_px=5.0)
    assert len(out) == 3
    for got, want in zip(out, (a, b, c)):
        np.testing.assert_allclose(got.xy, want.xy, atol=1e-5)


def test_unmatched_strokes_keep_their_place_by_x():
    guide = [seg(0, 0, 0, 40), seg(100, 0, 100, 40)]
    left, right = seg(0, 40, 0, 0), seg(100, 40, 100, 0)  # both backwards
    stray = seg(50, 60, 55, 80)  # far from the model's path, between the two in x
    out = order_like([right, stray, left], guide, max_dist_px=4.0)
    assert [float(s.xy[0, 0]) for s in out] == [0.0, 50.0, 100.0]
    assert out[0].xy[0, 1] == 0.0 and out[2].xy[0, 1] == 0.0  # re-directed like the model
    np.testing.assert_allclose(out[1].xy, stray.xy)  # untouched


def test_no_guide_or_no_match_changes_nothing():
    strokes = [seg(30, 0, 30, 10), seg(0, 0, 0, 10)]
    assert order_like(strokes, [], 5.0) == strokes
    assert order_like(strokes, [seg(500, 500, 600, 500)], 5.0) == strokes


def test_order_only_keeps_each_strokes_own_direction():
    guide = [seg(10, 0, 10, 40), seg(60, 0, 60, 40)]
    first, second = seg(10, 40, 10, 0), seg(60, 40, 60, 0)  # drawn bottom-up, unlike the model
    out = order_like([second, first], guide, max_dist_px=4.0, redirect=False)
    np.testing.assert_allclose(out[0].xy, first.xy)
    np.testing.assert_allclose(out[1].xy, second.xy)
