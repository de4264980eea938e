"""Model-first completion: the model's strokes plus the traced ink they miss, and stroke plausibility."""

import cv2
import numpy as np

from inference.document.ink import Stroke
from inference.strokes.complete import (
    along_ruling,
    complete,
    dot_along_blob,
    dots_in,
    letters_in,
    plausibility,
)
from inference.strokes.fidelity import fidelity_maps
from inference.strokes.tracer import trace_mask

W = 3.0  # pen width (px)


def _word() -> tuple[np.ndarray, list[np.ndarray]]:
    """A constructed 'word': a long bar, a second bar continuing the first from its end, a stem after a gap,
    and a short dash; with its pen paths."""
    paths = [np.float32([[10, 30], [60, 30]]), np.float32([[60, 30], [90, 20]]),
             np.float32([[110, 8], [110, 40]]), np.float32([[126, 12], [136, 12]])]
    m = np.zeros((50, 150), np.uint8)
    for p in paths:
        cv2.polylines(m, [np.round(p).astype(np.int32)], False, 1, int(W))
    return m.astype(bool), paths


def test_completion_covers_every_ink_pixel_of_a_constructed_word():
    mask, paths = _word()
    model = [Stroke(paths[0], width=W)]  # the model wrote only the first bar
    traced = [Stroke(p, width=W) for p in trace_mask(mask, W)]
    missed_before, _ = fidelity_maps(model, mask, W)
    assert missed_before.sum() > 100  # the test word really lacks ink
    done = complete(model, traced, mask, W)
    missed, _ = fidelity_maps(done.strokes, mask, W)
    assert not missed.any()
    # the model's stroke is kept as written, first, with the bar that continues it joined onto its end
    assert done.joined >= 1
    first = done.strokes[0].xy
    np.testing.assert_allclose(first[0], paths[0][0], atol=1.0)
    assert first[-1, 0] > 80  # runs on into the second bar
    # the stem and the dash are strokes of their own, after the stroke they lie nearest to
    assert done.added == 2 and len(done.strokes) == 3


def test_completion_adds_nothing_when_the_model_covers_the_ink():
    mask, paths = _word()
    model = [Stroke(np.vstack([paths[0], paths[1][1:]]), width=W)] + [Stroke(p, width=W) for p in paths[2:]]
    traced = [Stroke(p, width=W) for p in trace_mask(mask, W)]
    done = complete(model, traced, mask, W)
    assert (done.added, done.joined) == (0, 0)
    assert [s.xy.tolist() for s in done.strokes] == [s.xy.tolist() for s in model]


def test_plausibility_prefers_one_stroke_per_letter_without_specks():
    line = Stroke(np.float32([[0, 0], [40, 0]]), width=W)
    speck = Stroke(np.float32([[50, 0], [51, 0]]), width=W)
    assert plausibility([line] * 4, 4, W) == 1.0
    assert plausibility([line] * 40, 4, W) < plausibility([line] * 8, 4, W) < 1.0
    assert plausibility([line] * 3 + [speck], 4, W) < plausibility([line] * 4, 4, W)
    assert plausibility([], 4, W) == 0.0


def test_letters_from_text_or_from_the_ink():
    m = np.zeros((30, 200), bool)
    m[5:25, 10:190] = True
    assert letters_in("hello", m) == 5
    assert letters_in("", m) == round(180 / (0.5 * 20))


def test_a_speck_the_model_did_not_write_is_left_out():
    mask, paths = _word()
    speck = np.zeros_like(mask)
    speck[44:47, 140:143] = True  # a 3x3 blob: a pen-wide speck of noise
    model = [Stroke(np.vstack([paths[0], paths[1][1:]]), width=W)] + [Stroke(p, width=W) for p in paths[2:]]
    traced = [Stroke(p, width=W) for p in trace_mask(mask | speck, W)]
    done = complete(model, traced, mask | speck, W)
    assert (done.added, done.joined) == (0, 0) and len(done.strokes) == len(model)


def test_a_dot_the_model_wrote_apart_from_its_strokes_is_writing_not_a_speck():
    line = Stroke(np.float32([[0, 20], [40, 20]]), width=W)
    dot = Stroke(np.float32([[20, 5]]), width=W)  # an i's dot: one point, well above the stroke
    on_line = Stroke(np.float32([[41, 20], [42, 20]]), width=W)  # a fragment touching the stroke
    assert plausibility([line, dot], 2, W, written=[line, dot]) == 1.0
    assert plausibility([line, dot], 2, W) < 1.0  # the same dot from the tracer may be noise
    assert plausibility([line, on_line], 2, W, written=[line, on_line]) < 1.0
    # with the word's text known, only as many dots as it has room for are writing
    assert dots_in("it") == 1 and dots_in("on") == 0 and dots_in("") is None
    assert plausibility([line, dot], 2, W, written=[line, dot], dots=dots_in("it")) == 1.0
    assert plausibility([line, dot], 2, W, written=[line, dot], dots=dots_in("on")) < 1.0


def test_a_written_dot_is_redrawn_along_its_blob():
    mask = np.zeros((40, 80), bool)
    mask[28:31, 5:60] = True  # a letter's stroke
    cv2.ellipse(mask.view(np.uint8), (40, 8), (5, 1), 0, 0, 360, 1, -1)  # a dash-like dot, 11 x 3 px
    line = Stroke(np.float32([[5, 29.5], [60, 29.5]]), width=W)
    dot = Stroke(np.float32([[40.5, 8.5]]), width=W)
    xy = dot_along_blob(dot.xy.astype(np.float64), mask, W)
    assert xy is not None and len(xy) == 2
    assert abs(float(np.hypot(*(xy[1] - xy[0]))) - (11 - 3)) <= 1.0  # blob length less its thickness
    assert abs(float(xy[1, 1] - xy[0, 1])) < 1.0  # along the blob's long (horizontal) axis
    done = complete([line, dot], [Stroke(p, width=W) for p in trace_mask(mask, W)], mask, W)
    assert len(done.strokes) == 2 and len(done.strokes[1].xy) == 2
    # a "dot" on a letter's ink is not a dot's blob: left as the model wrote it
    assert dot_along_blob(np.float64([[30.5, 29.5]]), mask, W) is None
    speck = np.zeros((20, 20), bool)
    speck[10, 10] = True  # a one-pixel blob: nothing to redraw along
    assert dot_along_blob(np.float64([[10.5, 10.5]]), speck, W) is None


def test_paper_noise_around_a_word_the_model_wrote_is_left_out():
    # (one short piece far from the model's strokes is kept: the skipped dash of the first test)
    mask, paths = _word()
    model = [Stroke(np.vstack([paths[0], paths[1][1:]]), width=W)] + [Stroke(p, width=W) for p in paths[2:]]
    grain = np.zeros_like(mask)
    for x in (20, 50, 80):  # three short streaks of paper grain, well away from the writing
        grain[45:47, x:x + 12] = True
    traced = [Stroke(p, width=W) for p in trace_mask(mask | grain, W)]
    done = complete(model, traced, mask | grain, W)
    assert done.added == 0 and len(done.strokes) == len(model)


def test_fragments_that_continue_each_other_are_one_stroke_and_ragged_edges_are_dropped():
    from inference.strokes.complete import chain_pieces
    a = np.float32([[0, 0], [10, 0]])
    b = np.float32([[11, 0], [20, 5]])  # starts where a ends: the pen went on
    edge = np.float32([[40, 0], [44, 0]])  # shorter than two pen widths, on its own
    chains = chain_pieces([b, edge, a], touch=2.0, min_len=2.0 * W)
    assert len(chains) == 1
    np.testing.assert_allclose(chains[0][[0, -1]], [[0, 0], [20, 5]])
    # a short piece away from the model's strokes may be a character's short stroke: kept
    assert len(chain_pieces([edge], touch=2.0, min_len=2.0 * W, beside=lambda c: False)) == 1


def test_short_strokes_are_kept_when_the_model_wrote_only_part_of_the_word():
    # a character's short strokes beside the one stroke the model wrote (scripts it was not trained on)
    mask = np.zeros((50, 150), np.uint8)
    bar = np.float32([[10, 30], [40, 30]])
    cv2.polylines(mask, [np.int32(bar)], False, 1, int(W))
    for x in (60, 80, 100, 120):
        cv2.line(mask, (x, 8), (x + 9, 8), 1, int(W))
    mask = mask.astype(bool)
    done = complete([Stroke(bar, width=W)], [Stroke(p, width=W) for p in trace_mask(mask, W)], mask, W)
    missed, _ = fidelity_maps(done.strokes, mask, W)
    assert not missed.any() and done.added == 4


def test_a_neighbouring_words_sliver_at_the_crop_edge_is_left_out():
    # the word fully written by the model; a neighbour's stem cut by the right edge of the crop and, inside the
    # crop, a letter the model skipped on the left (it does not touch the edge: the writer's, kept)
    mask, paths = _word()
    model = [Stroke(np.vstack([paths[0], paths[1][1:]]), width=W)] + [Stroke(p, width=W) for p in paths[2:]]
    wide = np.zeros((50, 170), bool)
    wide[:, 10:160] = mask
    sliver = np.zeros_like(wide)
    cv2.line(sliver.view(np.uint8), (166, 10), (169, 40), 1, int(W))
    skipped = np.zeros_like(wide)
    cv2.line(skipped.view(np.uint8), (4, 12), (4, 40), 1, int(W))
    ink = wide | sliver | skipped
    moved = [Stroke(s.xy + np.float32([10, 0]), width=W) for s in model]
    done = complete(moved, [Stroke(p, width=W) for p in trace_mask(ink, W)], ink, W)
    assert done.slivers is not None and done.slivers[sliver].all() and not done.slivers[~sliver].any()
    missed, _ = fidelity_maps(done.strokes, ink, W)
    assert missed[sliver].all()  # no stroke on the neighbour's ink
    assert not missed[skipped].any() and done.added == 1


def test_the_models_specks_beside_its_strokes_go_and_its_dots_stay():
    mask, paths = _word()
    model = [Stroke(np.vstack([paths[0], paths[1][1:]]), width=W)] + [Stroke(p, width=W) for p in paths[2:]]
    speck = Stroke(np.float32([[30, 31], [31.5, 31]]), width=W)  # shorter than the pen, on the first bar
    dot = Stroke(np.float32([[110, 2], [111, 2]]), width=W)  # as short, but apart: an i's dot
    ink = mask.copy()
    ink[1:4, 109:113] = True
    traced = [Stroke(p, width=W) for p in trace_mask(ink, W)]
    done = complete(model[:1] + [speck] + model[1:] + [dot], traced, ink, W)
    kept = [s.xy.tolist() for s in done.written]
    assert speck.xy.tolist() not in kept and dot.xy.tolist() in kept
    assert len(done.written) == len(model) + 1


def test_a_ruling_remnant_running_to_the_crops_edge_is_left_out():
    # the constructed word on grid paper: a grid line the ruling remover left crosses the crop top to bottom
    # beside the stem; the model wrote the bars and the stem but skipped the dash
    mask, paths = _word()
    model = [Stroke(np.vstack([paths[0], paths[1][1:]]), width=W), Stroke(paths[2], width=W)]
    grid = np.zeros_like(mask)
    grid[:, 100:102] = True
    traced = [Stroke(p, width=W) for p in trace_mask(mask | grid, W)]
    done = complete(model, traced, mask | grid, W)
    xs = np.concatenate([s.xy[:, 0] for s in done.strokes[len(model):]] or [np.zeros(0)])
    assert not ((xs > 98) & (xs < 104)).any()  # nothing along the grid line
    # the skipped dash, which reaches no edge, is still added
    assert any(s.xy[:, 0].min() > 120 for s in done.strokes)


def _tilted_grid_line(shape: tuple[int, int], deg: float) -> np.ndarray:
    """A grid line 2 px thick rising left to right at ``deg`` degrees from the crop's bottom left corner."""
    h, w = shape
    m = np.zeros(shape, np.uint8)
    y1 = (h - 1) - np.tan(np.deg2rad(deg)) * w
    cv2.line(m, (0, h - 1), (w, round(y1)), 1, 2)
    return m.astype(bool)


def test_a_tilted_ruling_cut_into_pieces_by_the_words_strokes_is_left_out():
    # a word photographed turned: a grid line 20 degrees off level (beyond the ruling remover's 6, and beyond the
    # edge rule's 15) crosses the first bar and the stem, so one piece of it lies between them reaching no edge
    mask, paths = _word()
    model = [Stroke(np.vstack([paths[0], paths[1][1:]]), width=W), Stroke(paths[2], width=W)]
    grid = _tilted_grid_line(mask.shape, 20.0)
    traced = [Stroke(p, width=W) for p in trace_mask(mask | grid, W)]
    done = complete(model, traced, mask | grid, W)
    added = done.strokes[len(model):] if done.joined == 0 else done.strokes
    gy, gx = np.nonzero(grid & ~cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool))
    on_grid = np.zeros(mask.shape, bool)
    on_grid[gy, gx] = True
    for s in added:
        xy = np.clip(np.round(s.xy).astype(int), 0, [mask.shape[1] - 1, mask.shape[0] - 1])
        assert on_grid[xy[:, 1], xy[:, 0]].mean() < 0.5  # no stroke along the grid line
    # the skipped dash, a straight piece whose line leaves the ink, is still added
    assert any(s.xy[:, 0].min() > 120 and s.xy[:, 1].max() < 16 for s in done.strokes)


def test_along_ruling_tells_a_ruling_from_a_straight_stroke():
    mask, paths = _word()
    grid = _tilted_grid_line(mask.shape, 20.0)
    ink = cv2.dilate((mask | grid).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    t = np.tan(np.deg2rad(20.0))
    on_line = np.float32([[70, 49 - 70 * t], [100, 49 - 100 * t]])
    assert along_ruling(on_line, ink, W)
    assert not along_ruling(paths[3], ink, W)  # the dash: its line leaves the ink
    assert not along_ruling(paths[0], ink, W)  # the long bar, though straight and level
