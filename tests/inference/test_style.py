"""Pen colour and width estimation."""

import numpy as np
import pytest

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask, render_strokes_rgb
from inference.strokes.style import InkStyle, estimate_color, estimate_style, estimate_width

STROKES = [[[15, 20], [180, 30]], [[20, 70], [90, 40], [170, 75]], [[100, 15], [110, 85]]]


def ink_image(color, width, paper=(238, 236, 228), h=100, w=200):
    strokes = [Stroke(p, color=color, width=width) for p in STROKES]
    bg = np.empty((h, w, 3), np.uint8)
    bg[:] = paper
    img = render_strokes_rgb(strokes, h, w, background=bg, supersample=4)
    cover = draw_strokes_mask(strokes, h, w, supersample=4)
    return img, cover


def hex_rgb(c):
    return np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])


@pytest.mark.parametrize("color", ["#1a1a1a", "#1030a0", "#b01818"])
@pytest.mark.parametrize("width", [2, 4, 8])
def test_style_recovers_colour_and_width(color, width):
    img, cover = ink_image(color, width)
    # a generous mask: includes anti-aliased edge pixels mixed with paper, which must not tint the colour
    st = estimate_style(img, cover > 0.25)
    assert isinstance(st, InkStyle)
    assert np.abs(hex_rgb(st.color) - hex_rgb(color)).max() <= 24
    # the width of the half-coverage mask is the pen's width
    assert abs(estimate_style(img, cover > 0.5).width_px - width) <= max(0.75, 0.1 * width)


@pytest.mark.parametrize("width", [1, 3, 5, 9, 13])
def test_width_of_binary_lines(width):
    m = np.zeros((60, 200), bool)
    m[30 - width // 2: 30 - width // 2 + width, 20:180] = True
    m[5:5 + width, 100:190] = True
    assert abs(estimate_width(m) - width) <= 1.0


def test_crossings_do_not_inflate_the_width():
    m = np.zeros((120, 120), bool)
    for k in range(10, 110, 12):  # a grid of 3-px lines: many crossings
        m[k:k + 3, 5:115] = True
        m[5:115, k:k + 3] = True
    assert abs(estimate_width(m) - 3) <= 1.0


def test_no_ink_gives_defaults():
    st = estimate_style(np.full((10, 10, 3), 255, np.uint8), np.zeros((10, 10), bool))
    assert st == InkStyle()
    assert estimate_color(np.zeros((4, 4), np.uint8), np.ones((4, 4), bool)) == "#000000"
