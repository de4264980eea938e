"""The pure edit operations the canvas tools use (no Qt)."""

import numpy as np
import pytest

from desktop import edits
from desktop.edits import DRAWINGS, StrokeRef

from .conftest import make_ink


def test_remove_strokes_drops_empty_words_and_keeps_others_identical():
    ink = make_ink()
    out = edits.remove_strokes(ink, [StrokeRef(1, i) for i in range(3)] + [StrokeRef(DRAWINGS, 0)])
    assert [w.text for w in out.words] == ["alpha", "gamma"]
    assert out.drawings == ()
    assert out.words[0].strokes[0] is ink.words[0].strokes[0]  # untouched strokes are shared, not copied


def test_translate_moves_points_and_box_of_fully_moved_word():
    ink = make_ink()
    out = edits.translate_strokes(ink, [StrokeRef(0, i) for i in range(3)] + [StrokeRef(2, 0)], 5, -3)
    assert np.allclose(out.words[0].strokes[1].xy, ink.words[0].strokes[1].xy + [5, -3])
    assert np.allclose(out.words[0].quad.to_array(), ink.words[0].quad.to_array() + [5, -3])
    assert out.words[2].quad == ink.words[2].quad  # only one of its strokes moved
    assert np.array_equal(out.words[2].strokes[0].t, ink.words[2].strokes[0].t)


def test_split_then_join_restores_the_points():
    ink = make_ink()
    ref = StrokeRef(0, 1)
    split = edits.split_stroke(ink, ref, 5)
    assert len(split.words[0].strokes) == 4
    a, b = split.words[0].strokes[1], split.words[0].strokes[2]
    assert np.array_equal(a.xy[-1], b.xy[0])
    joined = edits.join_strokes(split, StrokeRef(0, 1), StrokeRef(0, 2))
    assert len(joined.words[0].strokes) == 3
    xy = joined.words[0].strokes[1].xy
    assert len(xy) == len(ink.words[0].strokes[1]) + 1  # the shared split point appears twice
    assert np.allclose(xy[[0, -1]], ink.words[0].strokes[1].xy[[0, -1]])
    assert np.all(np.diff(joined.words[0].strokes[1].t) >= 0)


def test_split_refuses_an_end_point():
    with pytest.raises(ValueError):
        edits.split_stroke(make_ink(), StrokeRef(0, 0), 0)


def test_smooth_keeps_endpoints_and_reduces_wiggle():
    xy = np.array([[0, 0], [1, 5], [2, -5], [3, 5], [4, 0]], np.float32)
    out = edits.smooth_points(xy)
    assert np.array_equal(out[[0, -1]], xy[[0, -1]])
    assert np.abs(np.diff(out[:, 1])).sum() < np.abs(np.diff(xy[:, 1])).sum()


def test_review_flags_and_text():
    ink = make_ink()
    out = edits.mark_reviewed(edits.set_word_text(ink, 1, "beta!"), 1)
    assert out.words[1].text == "beta!" and out.words[1].reviewed and not out.words[1].needs_review
    assert ink.words[1].text == "beta"  # the original value is untouched
