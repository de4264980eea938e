"""Refine: snap to the centre line, simplify, resample, synthetic time, degenerate strokes."""

import numpy as np
import pytest

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.document.transforms import Transform
from inference.strokes.refine import (
    drop_degenerate,
    polish,
    resample,
    simplify,
    snap_to_centerline,
    synth_timestamps,
    writing_speed,
)


def line_mask(width=5, h=60, w=200, y=30.5):
    return draw_strokes_mask([Stroke([[10, y], [190, y]])], h, w, width_px=width) > 0.5


def test_snap_pulls_a_shifted_polyline_onto_the_line():
    mask = line_mask()
    xs = np.linspace(20, 180, 41)
    drift = np.column_stack([xs, 30.5 + 3.0 * np.sin(xs / 9.0)])  # wobbles up to 3 px off
    s = Stroke(drift, color="#223344", width=3.0)
    (out,) = snap_to_centerline([s], mask, max_dist_px=4)
    assert np.abs(out.xy[:, 1] - 30.5).max() <= 0.6
    assert np.abs(out.xy[:, 0] - xs).max() <= 1.0  # slides onto the line, not along it
    assert out.color == "#223344" and out.width == 3.0 and len(out) == len(s)


def test_snap_leaves_far_points_alone():
    mask = line_mask()
    p = np.array([[50, 33.0], [100, 50.0], [150, 29.0]])  # the middle point is 19.5 px off the ink
    (out,) = snap_to_centerline([Stroke(p)], mask, max_dist_px=5)
    assert np.allclose(out.xy[1], [100, 50])
    assert abs(out.xy[0, 1] - 30.5) <= 0.6 and abs(out.xy[2, 1] - 30.5) <= 0.6
    # and nothing moves when there is no ink at all
    (same,) = snap_to_centerline([Stroke(p)], np.zeros_like(mask), max_dist_px=5)
    assert np.array_equal(same.points, Stroke(p).points)


def test_snap_with_a_transform_from_page_to_crop():
    mask = line_mask()
    p = np.array([[1040, 503.0], [1120, 502.0]])  # page coordinates; crop origin (1000, 470)
    (out,) = snap_to_centerline([Stroke(p)], mask, max_dist_px=4, transform=Transform.translate(-1000, -470))
    assert np.allclose(out.xy[:, 1], 500.5, atol=0.6)


def test_simplify_keeps_ends_and_times():
    xs = np.linspace(0, 100, 101)
    pts = np.column_stack([xs, 0.01 * np.sin(xs), xs * 2])
    (s,) = simplify([Stroke(pts)], eps=0.5)
    assert len(s) == 2 and np.allclose(s.points[[0, -1]], Stroke(pts).points[[0, -1]])
    corner = Stroke([[0, 0], [5, 0.1], [10, 0], [10, 10]])
    (c,) = simplify([corner], eps=0.5)
    assert len(c) == 3 and np.allclose(c.xy[1], [10, 0])


def test_resample_spacing_and_time_interpolation():
    s = Stroke([[0, 0, 0], [10, 0, 100], [10, 10, 200]])
    (r,) = resample([s], 2.0)
    d = np.hypot(*np.diff(r.xy, axis=0).T)
    assert np.allclose(d, 2.0, atol=1e-4) and len(r) == 11
    assert np.allclose(r.points[[0, -1]], s.points[[0, -1]])
    assert np.all(np.diff(r.t) > 0)
    with pytest.raises(ValueError):
        resample([s], 0)
    (dot,) = resample([Stroke([[3, 4], [3, 4]])], 1.0)
    assert len(dot) == 1


def test_synth_timestamps_are_plausible_and_marked_synthetic():
    strokes = [Stroke([[0, 0], [50, 0], [50, 50]], time_measured=True), Stroke([[80, 0], [120, 0]]),
               Stroke([[130, 0]])]
    out = synth_timestamps(strokes, speed_px_per_ms=0.1, pen_up_ms=150)
    assert all(not s.time_measured for s in out)
    assert out[0].t[0] == 0.0
    ts = np.concatenate([s.t for s in out])
    assert np.all(np.diff(ts) > 0)
    # 100 px at 0.1 px/ms is ~1 s, slower through the corner
    assert 1000 <= out[0].t[-1] <= 1600
    # a pen-up pause separates strokes
    assert out[1].t[0] - out[0].t[-1] >= 150
    assert np.allclose(out[1].xy, strokes[1].xy)
    with pytest.raises(ValueError):
        synth_timestamps(strokes, speed_px_per_ms=0)


def test_drop_degenerate_collapses_repeats_and_removes_empty_strokes():
    looped = Stroke(np.array([[5, 5]] * 300 + [[6, 5], [20, 5]] + [[20, 5]] * 200))
    dot = Stroke([[40, 40], [40, 40], [40, 40]])
    short = Stroke([[0, 0], [0.5, 0]])
    out = drop_degenerate([looped, dot, short], min_length_px=1.0)
    assert len(out) == 2
    assert len(out[0]) == 3 and len(out[1]) == 1
    assert drop_degenerate([dot], keep_dots=False) == []
    assert len(drop_degenerate([Stroke(np.column_stack([np.arange(50), np.zeros(50)]))], max_points=10)[0]) == 10


def test_polish_chain():
    mask = line_mask()
    noisy = Stroke(np.column_stack([np.linspace(20, 180, 60), 30.5 + np.r_[[2.0, -2.0] * 30]]))
    out, dot = polish([noisy, Stroke([[100, 30]] * 5)], mask, 5)
    assert len(dot) == 1
    assert not out.time_measured and len(out) < 60
    assert np.abs(out.xy[:, 1] - 30.5).max() <= 1.0


def test_default_speed_follows_the_size_of_the_writing():
    word = [Stroke([[0, 30], [10, 0], [20, 30], [30, 0]]), Stroke([[40, 0], [40, 30]])]
    big = [s.mapped(lambda xy: xy * 4) for s in word]  # the same word photographed at 4x
    t_small = synth_timestamps(word)
    t_big = synth_timestamps(big)
    assert writing_speed(big) == pytest.approx(4 * writing_speed(word))
    # same duration whatever the resolution, and a word takes a plausible fraction of a second to seconds
    assert t_small[-1].t[-1] == pytest.approx(t_big[-1].t[-1], rel=0.05)
    assert 200 <= t_small[-1].t[-1] <= 3000


def _line(*pts) -> Stroke:
    xy = np.asarray(pts, np.float32)
    return Stroke(np.column_stack([xy, np.zeros(len(xy), np.float32)]))


def test_join_like_joins_where_the_guide_keeps_the_pen_down():
    from inference.strokes.refine import join_like

    a, b = _line((0, 0), (10, 0)), _line((10, 0), (20, 5))
    one_stroke = [_line((0, 1), (10, 1), (20, 6))]
    joined = join_like([a, b], one_stroke, touch_px=2.0, max_dist_px=3.0)
    assert len(joined) == 1 and np.allclose(joined[0].xy, [(0, 0), (10, 0), (20, 5)])  # the shared point once
    lifted = [_line((0, 1), (10, 1)), _line((10, 1), (20, 6))]
    assert len(join_like([a, b], lifted, 2.0, 3.0)) == 2  # the guide lifts the pen there
    apart = _line((14, 0), (20, 5))
    assert len(join_like([a, apart], one_stroke, 2.0, 3.0)) == 2  # the strokes do not touch
    backwards = [_line((20, 6), (10, 1), (0, 1))]
    assert len(join_like([a, b], backwards, 2.0, 3.0)) == 2  # the guide writes b before a
