import numpy as np
import pytest

from inference.document.ink import InkSource, Page, Quad, Stroke, Word, ink_bounds
from inference.document.transforms import Transform


def test_stroke_is_immutable_float32_with_time():
    s = Stroke(np.array([[0, 0], [10, 5]]))
    assert s.points.dtype == np.float32 and s.points.shape == (2, 3)
    with pytest.raises(ValueError):
        s.points[0, 0] = 3
    assert s.bounds() == (0.0, 0.0, 10.0, 5.0)


@pytest.mark.parametrize("bad", [np.zeros((0, 3)), np.array([[np.nan, 0, 0]]), np.zeros((3, 4))])
def test_stroke_rejects_bad_points(bad):
    with pytest.raises(ValueError):
        Stroke(bad)


def test_stroke_rejects_bad_style():
    with pytest.raises(ValueError):
        Stroke([[0, 0]], color="red")
    with pytest.raises(ValueError):
        Stroke([[0, 0]], width=0)


def test_stroke_equality_is_by_value_and_reverse_keeps_time_forward():
    a = Stroke([[0, 0, 0], [1, 2, 10], [3, 3, 20]])
    assert a == Stroke(a.points.copy())
    r = a.reversed()
    assert r.xy[0].tolist() == [3, 3] and r.t.tolist() == [0, 10, 20]
    assert a != r


def test_page_groups_words_and_drawings_in_order():
    w = Word((Stroke([[1, 1]]), Stroke([[2, 2]])), Quad.from_rect(0, 0, 5, 5), text="hi", source="tracer")
    p = Page(100, 50, words=[w], drawings=[Stroke([[9, 9]])])
    assert w.source is InkSource.TRACER
    assert [s.xy[0, 0] for s in p.all_strokes()] == [1, 2, 9]
    assert p.text == "hi"
    assert ink_bounds([]) is None
    with pytest.raises(ValueError):
        Page(0, 10)


def test_transform_round_trip_is_exact_for_crop_scale_pad():
    crop = Transform.translate(-120.5, -40).then(Transform.scale(224 / 300)).then(Transform.translate(0, 37))
    pts = np.random.default_rng(0).uniform(0, 500, (50, 2))
    back = crop.inverse().apply(crop.apply(pts))
    assert np.abs(back - pts).max() < 1e-9


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rotate90_maps_corners_onto_rotated_image(k):
    w, h = 40, 10
    t = Transform.rotate90(k, w, h)
    out = t.apply(np.array([[0, 0], [w, 0], [w, h], [0, h]]))
    ow, oh = (h, w) if k % 2 else (w, h)
    assert out[:, 0].min() == pytest.approx(0) and out[:, 0].max() == pytest.approx(ow)
    assert out[:, 1].min() == pytest.approx(0) and out[:, 1].max() == pytest.approx(oh)
    assert np.allclose(Transform.rotate90(4 - k, ow, oh).apply(out), [[0, 0], [w, 0], [w, h], [0, h]])
