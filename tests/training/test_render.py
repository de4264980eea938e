"""training/render.py: deterministic for a seed, and the returned strokes lie on the drawn ink."""

import numpy as np
import pytest

from training.render import LEVELS, render_word_photo


def _word():
    t = np.linspace(0, 2 * np.pi, 60)
    loop = np.c_[30 + 20 * np.cos(t), 40 + 30 * np.sin(t)]
    bar = np.c_[np.linspace(70, 160, 40), np.linspace(70, 20, 40)]
    dot = np.array([[180.0, 10.0]])
    return [loop, bar, dot]


@pytest.mark.parametrize("level", LEVELS)
def test_deterministic_for_a_seed(level):
    a = render_word_photo(_word(), np.random.default_rng(7), level)
    b = render_word_photo(_word(), np.random.default_rng(7), level)
    assert a.image.dtype == np.uint8 and a.image.ndim == 3 and a.image.shape[2] == 3
    assert np.array_equal(a.image, b.image)
    assert all(np.array_equal(x, y) for x, y in zip(a.strokes, b.strokes))
    c = render_word_photo(_word(), np.random.default_rng(8), level)
    assert c.image.shape != a.image.shape or not np.array_equal(c.image, a.image)


@pytest.mark.parametrize("level", ["clean", "phone", "train"])
@pytest.mark.parametrize("seed", range(4))
def test_target_strokes_land_on_the_ink(level, seed):
    src = _word()
    r = render_word_photo(src, np.random.default_rng(seed), level)
    assert len(r.strokes) == len(src)
    assert all(s.dtype == np.float32 and s.shape == (len(o), 2) for s, o in zip(r.strokes, src))
    # same order and direction: the bar (left to right in the source) still runs left to right
    assert r.strokes[1][0, 0] < r.strokes[1][-1, 0]
    img = r.image.astype(np.float32).min(axis=2)
    h, w = img.shape
    pts = np.concatenate(r.strokes)
    assert pts[:, 0].min() >= 0 and pts[:, 1].min() >= 0 and pts[:, 0].max() <= w and pts[:, 1].max() <= h
    ix = np.clip(pts[:, 0].astype(int), 0, w - 1)
    iy = np.clip(pts[:, 1].astype(int), 0, h - 1)
    # darkness at the target points versus the image's typical (paper) level
    paper = np.median(img)
    on_ink = img[iy, ix]
    assert np.mean(on_ink < paper - 15) > 0.8
    # and a control: points shifted well off the strokes are mostly paper
    off = np.c_[np.clip(ix + int(0.45 * w), 0, w - 1), iy]
    assert np.mean(img[off[:, 1], off[:, 0]] < paper - 15) < np.mean(on_ink < paper - 15)


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        render_word_photo([], np.random.default_rng(0), "clean")
    with pytest.raises(ValueError):
        render_word_photo(_word(), np.random.default_rng(0), "nope")


def test_dotted_paper_draws_dots_not_lines():
    import dataclasses

    import cv2

    from training.render import _lines, _style

    st = dataclasses.replace(_style(np.random.default_rng(0), "clean"), lines="dotted", text_px=40.0)
    img = np.full((200, 400, 3), 255.0, np.float32)
    _lines(np.random.default_rng(1), st, img, np.eye(3), np.array([100.0, 80.0, 300.0, 120.0]), 1.0)
    dark = (img.min(axis=2) < 230).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(dark)
    sizes = stats[1:, cv2.CC_STAT_AREA]
    assert n - 1 >= 20  # a grid of dots over the crop
    assert sizes.max() <= 30  # each one a dot: no ruled line crosses the crop


def test_a_line_is_drawn_as_high_as_a_word():
    # a long line of loops as high as the test word: squeezed into a word-sized crop by default, drawn at the
    # word's scale with line=True
    t = np.linspace(0, 2 * np.pi * 30, 3000)
    line = [np.c_[np.linspace(0, 1500, 3000) + 10 * np.cos(t), 40 + 30 * np.sin(t)]]

    def scale(src, r):  # px per source unit (clean: no perspective, no shear)
        def length(xy):
            return float(np.hypot(*np.diff(np.asarray(xy, np.float64), axis=0).T).sum())
        return length(r.strokes[0]) / length(src[0])
    word = render_word_photo(_word(), np.random.default_rng(3), "clean")
    squeezed = render_word_photo(line, np.random.default_rng(3), "clean")
    tall = render_word_photo(line, np.random.default_rng(3), "clean", line=True)
    assert scale(line, tall) == pytest.approx(scale(_word(), word), rel=0.01)  # same rng: same text height
    assert scale(line, squeezed) < 0.5 * scale(line, tall)
    assert tall.image.shape[1] > 3 * squeezed.image.shape[1]
