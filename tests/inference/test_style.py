"""Pen colour and width estimation."""

import numpy as np
import pytest

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask, render_strokes_rgb
from inference.strokes.skeleton import thin
from inference.strokes.style import (
    InkStyle,
    estimate_color,
    estimate_style,
    estimate_width,
    ink_distance,
    without_grain,
)

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


def test_the_papers_grain_does_not_thin_the_pen():
    # a 5-px pen's word on grainy paper: 300 one- and two-pixel specks around it, whose centre lines outnumber
    # the pen's
    m = np.zeros((100, 300), bool)
    m[48:53, 20:280] = True
    m[20:80, 148:153] = True
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, 100, 300), rng.integers(0, 299, 300)):
        if not m[max(0, y - 3):y + 4, max(0, x - 3):x + 5].any():
            m[y, x:x + 1 + (x % 2)] = True
    assert abs(estimate_width(m) - 5) <= 1.0


def test_a_markers_dots_are_not_grain():
    # short centre lines deep in the ink (a marker's dots) stay; short ones a pixel from the paper go
    m = np.zeros((60, 300), bool)
    m[20:29, 10:250] = True  # a 9-px stroke
    m[20:29, 260:269] = True  # a 9-px dot
    m[50, 100:102] = True  # grain
    skel = thin(m)
    kept = without_grain(skel, ink_distance(m))
    assert kept[20:29, 260:269].any() and not kept[50].any()
    assert kept[20:29, 10:250].sum() == skel[20:29, 10:250].sum()


def test_no_ink_gives_defaults():
    st = estimate_style(np.full((10, 10, 3), 255, np.uint8), np.zeros((10, 10), bool))
    assert st == InkStyle()
    assert estimate_color(np.zeros((4, 4), np.uint8), np.ones((4, 4), bool)) == "#000000"
