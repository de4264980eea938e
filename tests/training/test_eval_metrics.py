"""Trajectory and readback metrics on constructed cases with known answers."""

import math

import numpy as np
import pytest

from training.evaluate.metrics import box_diagonal, dtw, resample, score_trajectory, spearman
from training.evaluate.readback import levenshtein, normalize_text, reading_order, score_text


def line(x0, y0, x1, y1, n=20):
    return np.column_stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)])


# two horizontal strokes 100 px long, 50 px apart: diagonal = hypot(100, 50), tolerance ~ 2.24 px
TRUE = [line(0, 0, 100, 0), line(0, 50, 100, 50), line(50, 10, 50, 40)]


def test_perfect_prediction_scores_one():
    s = score_trajectory(TRUE, [a.copy() for a in TRUE])
    assert s.coverage == 1.0 and s.precision == 1.0
    assert s.direction == 1.0 and s.order == 1.0 and s.matched == 1.0
    assert s.stroke_ratio == 1.0
    assert s.dtw == pytest.approx(0.0, abs=1e-9)


def test_reversed_stroke_scores_direction_zero():
    s = score_trajectory([TRUE[0]], [TRUE[0][::-1].copy()])
    assert s.direction == 0.0
    assert s.coverage == 1.0 and s.precision == 1.0  # same ink, drawn the other way
    # one of three strokes reversed: direction share 2/3
    s3 = score_trajectory(TRUE, [TRUE[0], TRUE[1][::-1], TRUE[2]])
    assert s3.direction == pytest.approx(2 / 3)


def test_shift_beyond_tolerance_loses_that_strokes_share():
    tol = 0.02 * box_diagonal(TRUE[:2])
    shifted = [TRUE[0], TRUE[1] + [0, -10]]  # 10 px >> tolerance; stroke B no longer covered
    s = score_trajectory(TRUE[:2], shifted)
    assert 10 > tol
    assert s.coverage == pytest.approx(0.5)  # A and B have equal length, so equal point counts
    assert s.precision == pytest.approx(0.5)
    # a shift inside the tolerance keeps everything
    s_small = score_trajectory(TRUE[:2], [TRUE[0], TRUE[1] + [0, 0.8 * tol]])
    assert s_small.coverage == 1.0 and s_small.precision == 1.0


def test_whole_word_translation_gives_dtw_shift_over_diagonal():
    d = 7.0
    s = score_trajectory(TRUE[:2], [a + [0, d] for a in TRUE[:2]])
    assert s.dtw == pytest.approx(d / box_diagonal(TRUE[:2]), rel=1e-6)
    assert s.coverage == 0.0


def test_stroke_count_ratio_and_split_strokes():
    a = TRUE[0]
    pred = [a[:7], a[6:14], a[13:], TRUE[1], TRUE[2]]  # first stroke cut in three
    s = score_trajectory(TRUE, pred)
    assert s.stroke_ratio == pytest.approx(5 / 3)
    assert s.n_pred == 5 and s.n_true == 3
    assert s.coverage == 1.0 and s.order == 1.0 and s.direction == 1.0


def test_stroke_count_word_by_word():
    a = TRUE[0]
    exact = score_trajectory(TRUE, [s.copy() for s in TRUE])
    assert exact.same_count == 1.0 and exact.count_error == 0.0
    split = score_trajectory(TRUE, [a[:7], a[6:14], a[13:], TRUE[1], TRUE[2]])  # 5 strokes for 3
    assert split.same_count == 0.0 and split.count_error == 2.0
    # a join and a split in one word cancel in its count as in the ratio
    joined = np.concatenate([TRUE[0], TRUE[1]])
    both = score_trajectory(TRUE + [line(0, 80, 100, 80)], [joined, TRUE[2], line(0, 80, 50, 80), line(50, 80, 100, 80)])
    assert both.stroke_ratio == 1.0 and both.same_count == 1.0
    under = score_trajectory(TRUE[:2], [joined])
    assert under.stroke_ratio == 0.5 and under.same_count == 0.0 and under.count_error == 1.0
    assert score_trajectory(TRUE, []).count_error == 3.0


def test_swapped_order_scores_minus_one_and_joined_strokes_keep_order():
    s = score_trajectory(TRUE[:2], [TRUE[1], TRUE[0]])
    assert s.order == pytest.approx(-1.0)
    # one predicted stroke running through both true strokes in writing order
    joined = np.concatenate([TRUE[0], TRUE[1]])
    assert score_trajectory(TRUE[:2], [joined]).order == pytest.approx(1.0)


def test_empty_prediction():
    s = score_trajectory(TRUE, [])
    assert s.coverage == 0.0 and s.stroke_ratio == 0.0 and s.n_pred == 0
    assert math.isnan(s.precision) and math.isnan(s.dtw)


def test_helpers():
    r = resample(line(0, 0, 10, 0, 2), 1.0)
    assert len(r) == 11 and np.allclose(np.diff(r[:, 0]), 1.0)
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [1, 1, 2, 2]) == pytest.approx(math.sqrt(0.8))  # ties: average ranks
    a = line(0, 0, 10, 0, 5)
    assert dtw(a, a) == 0.0 and dtw(a, a + [0, 3]) == pytest.approx(3.0)


def test_text_scores():
    assert levenshtein("kitten", "sitting") == 3
    assert normalize_text(" a  b | c ") == "a b c"
    s = score_text("This is a hand written", "This is a | handwritten message")
    assert s.ref_words == 5 and s.words_correct == 3
    assert score_text("word", "word").cer == 0.0 and score_text("", "abc").cer == 1.0
    # two lines; the first line's boxes slightly tilted and listed out of order
    boxes = np.array([[[50, 12], [90, 12], [90, 30], [50, 30]],
                      [[0, 10], [40, 10], [40, 28], [0, 28]],
                      [[0, 50], [40, 50], [40, 68], [0, 68]]], float)
    assert reading_order(boxes) == [1, 0, 2]


def test_a_lines_tolerance_follows_its_height_not_its_length():
    # a 2,000 px line 40 px high: 2% of its own diagonal (40 px) would be as high as the line
    line = [np.c_[np.linspace(0, 2000, 400), 20 + 20 * np.sin(np.linspace(0, 60, 400))]]
    off = [line[0] + [0, 6.0]]  # 6 px: within 2% of 2000 px, beyond 2% of a word-shaped box 40 px high
    assert score_trajectory(line, off).precision == 1.0
    s = score_trajectory(line, off, line=True)
    assert s.precision < 0.2 and s.coverage < 0.2
    assert box_diagonal(line, line=True) == pytest.approx(2.8 * 40, rel=0.01)


def test_specks_are_counted_in_the_prediction_and_in_the_truth():
    dot = line(20, 20, 21, 20, n=2)  # 1 px long: shorter than a 3 px pen
    s = score_trajectory(TRUE + [dot], TRUE + [dot, dot + [5, 0]], speck_px=3.0)
    assert s.specks == pytest.approx(2 / 5) and s.true_specks == pytest.approx(1 / 4)
    assert math.isnan(score_trajectory(TRUE, TRUE).true_specks)  # no pen width given: not counted
    assert score_trajectory(TRUE + [dot], [], speck_px=3.0).true_specks == pytest.approx(1 / 4)
