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
