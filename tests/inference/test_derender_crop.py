"""Word crops: the page -> crop -> canvas chain is one exact Transform, for level and rotated words."""

import cv2
import numpy as np
import pytest

from inference.document.ink import Quad
from inference.model import derender as dr
from inference.model.tokens import TokenSpec

SPEC = TokenSpec()


def _page_with_dot(x, y, w=640, h=480):
    img = np.full((h, w, 3), 240, np.uint8)
    cv2.circle(img, (int(x), int(y)), 3, (20, 20, 20), -1)
    return img


def _rotated_quad(cx, cy, w, h, deg):
    a = np.deg2rad(deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    box = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return box @ r.T + [cx, cy]


@pytest.mark.parametrize("deg", [0.0, 2.0, 15.0, -30.0])
@pytest.mark.parametrize("size", [(120, 40), (400, 220)])  # the big one is reduced before fitting
def test_crop_to_page_round_trip_is_exact(deg, size):
    dot = np.array([330.0, 250.0])
    page = _page_with_dot(*dot)
    quad = _rotated_quad(320, 240, *size, deg)
    c = dr.crop_word(page, Quad.from_array(quad), SPEC)
    pts = np.array([[0.0, 0.0], [17.25, 3.5], [300.0, 200.0], [639.9, 479.9]])
    page_to_canvas = c.page_to_crop.then(c.crop_to_canvas)
    np.testing.assert_allclose(c.canvas_to_page.apply(page_to_canvas.apply(pts)), pts, atol=1e-9)
    np.testing.assert_allclose(c.crop_to_page.apply(c.page_to_crop.apply(pts)), pts, atol=1e-9)
    # the dot is where the transform says, on the canvas and in the crop
    px, py = page_to_canvas.apply(dot[None])[0]
    ys, xs = np.nonzero(c.canvas > 0.5 * c.canvas.max())
    assert abs(xs.mean() + 0.5 - px) <= 1.0 and abs(ys.mean() + 0.5 - py) <= 1.0
    # the word's quad lands inside the canvas, level for a rotated word
    q = page_to_canvas.apply(quad)
    assert q[:, 0].min() >= -0.5 and q[:, 0].max() <= SPEC.width + 0.5
    assert abs(q[1, 1] - q[0, 1]) <= 1.0 + (abs(deg) <= dr.RECTIFY_DEG) * 0.05 * (q[1, 0] - q[0, 0])


def test_crop_at_the_page_edge_is_clipped():
    page = _page_with_dot(5, 5)
    c = dr.crop_word(page, Quad.from_rect(-20, -20, 30, 20), SPEC)
    assert c.image.shape[0] > 0 and c.image.shape[1] > 0
    np.testing.assert_allclose(c.page_to_crop.apply([[0.0, 0.0]]), [[0.0, 0.0]])


def test_crop_outside_the_page_is_an_error():
    with pytest.raises(ValueError):
        dr.crop_word(_page_with_dot(5, 5), Quad.from_rect(1000, 1000, 1100, 1040), SPEC)


def test_a_word_wider_than_the_canvas_is_cut_at_ink_gaps_into_pieces_that_map_back_to_the_page():
    from inference.model.tokens import TokenSpec

    spec = TokenSpec()
    page = np.full((100, 900, 3), 250, np.uint8)
    xs = list(range(30, 860, 70))  # letters 50 px wide, 20 px apart, 40 px tall: 830 px of ink, ~21:1
    for x in xs:
        cv2.rectangle(page, (x, 30), (x + 49, 69), (20, 20, 20), -1)
    crop = dr.crop_word(page, Quad.from_rect(25, 25, 870, 75), spec)
    mask = crop.image.min(axis=2) < 128
    pieces = dr.split_wide(crop, mask, spec)
    assert len(pieces) >= 5
    ink_h = 40 * crop.page_to_crop.scale_factor()
    total = 0
    for pc, pm in pieces:
        _ys, xs_ = np.nonzero(pm)
        assert xs_.max() - xs_.min() + 1 <= dr.PIECE_ASPECT * ink_h + 1
        total += int(pm.sum())
        # the piece's canvas places its ink where the page has it
        on_canvas = np.argwhere(pc.canvas > 0.5)[:, ::-1] + 0.5
        on_page = pc.canvas_to_page.apply(on_canvas)
        r = np.clip(on_page[:, 1].astype(int), 0, 99)
        c = np.clip(on_page[:, 0].astype(int), 0, 899)
        assert (page[r, c, 0] < 128).mean() > 0.95
    assert total == int(mask.sum())  # every ink pixel in exactly one piece
    # a normal word stays whole
    word = dr.crop_word(page, Quad.from_rect(25, 25, 160, 75), spec)
    assert len(dr.split_wide(word, word.image.min(axis=2) < 128, spec)) == 1


def test_pieces_are_joined_where_a_stroke_was_cut():
    ink = [dr.WordInk([np.float32([[0, 0], [10, 0]])], dr.Decoded((1,), dr.EOS, 3)),
           dr.WordInk([np.float32([[10.5, 0], [20, 0]]), np.float32([[30, 0], [31, 5]])], dr.Decoded((2,), dr.EOS, 4))]
    joined = dr.join_pieces(ink, touch=2.0)
    assert len(joined.strokes) == 2 and len(joined.strokes[0]) == 4
    assert joined.decoded.status == dr.EOS and joined.decoded.steps == 7
    failed = dr.join_pieces([ink[0], dr.WordInk([], dr.Decoded((), dr.REPEAT, 2))], touch=2.0)
    assert failed.decoded.status == dr.REPEAT
