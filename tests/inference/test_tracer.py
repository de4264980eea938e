"""Geometric tracer on synthetic shapes with a known stroke order."""

import numpy as np
import pytest

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.strokes.fidelity import fidelity
from inference.strokes.tracer import clean_mask, thin, trace_image, trace_mask

WIDTHS = [2, 4, 7]


def mask_of(polylines, h, w, width):
    return draw_strokes_mask([Stroke(np.asarray(p, float)) for p in polylines], h, w, width_px=width) > 0.5


def circle(cx, cy, r, n=90, clockwise=False):
    a = np.linspace(0, 2 * np.pi, n)
    if clockwise:
        a = -a
    return np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a)])


def length(p):
    return float(np.hypot(*np.diff(p, axis=0).T).sum()) if len(p) > 1 else 0.0


def covers(strokes, mask, width, tol=None):
    return fidelity([Stroke(p) for p in strokes], mask, width, tol)


# --- thinning ----------------------------------------------------------------------------------------


def _neighbours(skel):
    p = np.pad(skel.astype(int), 1)
    return sum(np.roll(np.roll(p, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
               if dy or dx)[1:-1, 1:-1]


@pytest.mark.parametrize("width", WIDTHS)
def test_thin_is_one_pixel_wide_and_keeps_topology(width):
    m = mask_of([circle(50, 50, 30), [[10, 90], [90, 90]]], 100, 100, width)
    sk = thin(m)
    assert sk.any() and not (sk & ~m).any()
    # no 2x2 block survives: one pixel wide
    blocks = sk[:-1, :-1] & sk[1:, :-1] & sk[:-1, 1:] & sk[1:, 1:]
    assert not blocks.any()
    import cv2

    n_mask, _ = cv2.connectedComponents(m.astype(np.uint8), connectivity=8)
    n_skel, _ = cv2.connectedComponents(sk.astype(np.uint8), connectivity=8)
    assert n_skel == n_mask
    # the ring keeps its hole: background components (4-connected) are the same number
    n_bg_m, _ = cv2.connectedComponents((~m).astype(np.uint8), connectivity=4)
    n_bg_s, _ = cv2.connectedComponents((~sk).astype(np.uint8), connectivity=4)
    assert n_bg_s == n_bg_m


def test_thin_matches_scikit_image_on_a_word():
    skimage = pytest.importorskip("skimage.morphology")  # dev-only comparison
    rng = np.random.default_rng(1)
    pts = np.cumsum(rng.normal(0, 6, (30, 2)), axis=0) + [60, 40]
    m = mask_of([pts], 90, 130, 5)
    ours = thin(m)
    ref = skimage.thin(m)
    # same algorithm family; ours also removes staircase corners, so allow a handful of pixels
    assert abs(int(ours.sum()) - int(ref.sum())) <= 0.1 * ref.sum()
    assert (ours & ~ref).sum() <= 3


def test_empty_and_tiny_masks():
    assert trace_mask(np.zeros((20, 30), bool)) == []
    m = np.zeros((20, 30), bool)
    m[10, 10] = True
    (s,) = trace_mask(m)
    assert s.shape == (1, 2) and np.allclose(s[0], [10.5, 10.5])
    with pytest.raises(ValueError):
        trace_mask(np.zeros((3, 4, 5), bool))


def test_clean_mask_fills_pin_holes_and_drops_specks():
    m = mask_of([[[10, 20], [90, 20]]], 40, 100, 8)
    m[20, 50] = False  # pin hole in a thick stroke
    m[35, 5] = True  # speck of noise
    c = clean_mask(m, 8)
    assert c[20, 50] and not c[35, 5]


# --- single shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("reverse", [False, True])
def test_horizontal_line_traced_left_to_right(width, reverse):
    p = np.array([[10, 30], [110, 30]], float)
    m = mask_of([p[::-1] if reverse else p], 60, 120, width)
    (s,) = trace_mask(m)
    assert s.dtype == np.float32 and s.shape[1] == 2
    assert s[0, 0] < s[-1, 0]
    assert abs(s[0, 0] - 10) <= 1.5 and abs(s[-1, 0] - 110) <= 1.5  # ends restored despite thinning
    assert np.all(np.abs(s[:, 1] - 30) <= 1.0)


@pytest.mark.parametrize("width", WIDTHS)
def test_vertical_line_traced_top_to_bottom(width):
    m = mask_of([[[40, 90], [40, 10]]], 100, 80, width)
    (s,) = trace_mask(m)
    assert s[0, 1] < s[-1, 1]


@pytest.mark.parametrize("width", WIDTHS)
def test_L_is_one_stroke_down_then_right(width):
    m = mask_of([[[20, 10], [20, 80], [80, 80]]], 100, 100, width)
    (s,) = trace_mask(m)
    # starts at the top of the stem, ends at the foot's right end, passes the corner
    assert np.hypot(*(s[0] - [20, 10])) <= 2.5 and np.hypot(*(s[-1] - [80, 80])) <= 2.5
    assert np.min(np.hypot(*(s - [20, 80]).T)) <= 0.35 * width + 2
    f = covers([s], m, width)
    assert f.precision >= 0.97 and f.recall >= 0.97


@pytest.mark.parametrize("width", WIDTHS)
def test_T_bar_goes_straight_through_the_junction(width):
    m = mask_of([[[10, 20], [90, 20]], [[50, 20], [50, 90]]], 100, 100, width)
    strokes = trace_mask(m)
    assert len(strokes) == 2
    bar = min(strokes, key=lambda s: np.ptp(s[:, 1]))
    stem = max(strokes, key=lambda s: np.ptp(s[:, 1]))
    assert bar[0, 0] < 15 and bar[-1, 0] > 85 and np.ptp(bar[:, 1]) <= 2.5
    assert stem[0, 1] < stem[-1, 1] and stem[-1, 1] > 85  # top to bottom
    # writing order: the bar starts further left
    assert strokes[0] is bar


@pytest.mark.parametrize("width", WIDTHS)
def test_plus_gives_two_strokes_through_the_crossing(width):
    m = mask_of([[[10, 50], [90, 50]], [[50, 10], [50, 90]]], 100, 100, width)
    strokes = trace_mask(m)
    assert len(strokes) == 2
    horiz, vert = sorted(strokes, key=lambda s: np.ptp(s[:, 1]))
    assert horiz[0, 0] < 15 and horiz[-1, 0] > 85
    assert vert[0, 1] < 15 and vert[-1, 1] > 85


@pytest.mark.parametrize("width", WIDTHS)
def test_X_crossing_at_an_angle(width):
    m = mask_of([[[10, 10], [90, 70]], [[10, 70], [90, 10]]], 80, 100, width)
    strokes = trace_mask(m)
    assert len(strokes) == 2
    for s in strokes:
        assert s[0, 0] < s[-1, 0] and length(s) > 85


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("clockwise", [False, True])
def test_circle_is_one_closed_counter_clockwise_stroke_from_the_top(width, clockwise):
    m = mask_of([circle(50, 50, 30, clockwise=clockwise)], 100, 100, width)
    (s,) = trace_mask(m)
    assert np.hypot(*(s[0] - s[-1])) <= 1e-3  # closed
    assert abs(s[0, 1] - 20) <= 1.5 and abs(s[0, 0] - 50) <= 6  # starts at the top
    # counter-clockwise on screen (y down) = it first heads left
    k = max(2, len(s) // 8)
    assert s[k, 0] < s[0, 0]
    r = np.hypot(s[:, 0] - 50, s[:, 1] - 50)
    assert np.all(np.abs(r - 30) <= 1.5)


def test_dot_is_a_one_point_stroke_and_kept():
    m = mask_of([[[10, 30], [60, 30]], [[80, 30]]], 50, 100, 5)
    strokes = trace_mask(m)
    assert len(strokes) == 2
    dot = strokes[1]
    assert np.hypot(*(dot.mean(axis=0) - [80, 30])) <= 1.5 and length(dot) <= 3


# --- order ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [2, 5])
def test_two_words_are_ordered_left_to_right(width):
    # right word drawn first; each "word" is a zigzag plus a separate bar
    right = [[[130, 40], [145, 20], [160, 40], [175, 20]], [[130, 50], [175, 50]]]
    left = [[[10, 40], [25, 20], [40, 40], [55, 20]], [[10, 50], [55, 50]]]
    m = mask_of(right + left, 70, 200, width)
    strokes = trace_mask(m)
    assert len(strokes) == 4
    xs = [s[:, 0].min() for s in strokes]
    assert xs[0] < 60 and xs[1] < 60 and xs[2] > 120 and xs[3] > 120
    for s in strokes:
        assert s[0, 0] < s[-1, 0]


@pytest.mark.parametrize("width", [2, 5])
def test_two_lines_are_ordered_top_to_bottom(width):
    line2 = [[[10, 110], [60, 110]], [[80, 100], [140, 115]]]
    line1 = [[[90, 30], [150, 30]], [[10, 20], [60, 40]]]
    m = mask_of(line2 + line1, 140, 170, width)
    strokes = trace_mask(m)
    assert len(strokes) == 4
    ys = [s[:, 1].mean() for s in strokes]
    assert max(ys[:2]) < 60 < min(ys[2:])
    assert strokes[0][:, 0].min() < strokes[1][:, 0].min()
    assert strokes[2][:, 0].min() < strokes[3][:, 0].min()


def test_dot_of_an_i_stays_on_its_line():
    # two lines; line 1 has an 'i' whose dot sits above the line's body
    line1 = [[[10, 40], [10, 60]], [[10, 28]], [[30, 40], [80, 60]]]
    line2 = [[[10, 120], [80, 120]]]
    m = mask_of(line1 + line2, 150, 100, 4)
    strokes = trace_mask(m)
    assert len(strokes) == 4
    assert strokes[-1][:, 1].min() > 100  # the lower line comes last, the dot before it


# --- convenience ------------------------------------------------------------------------------------


def test_trace_image_styles_strokes_with_the_ink_colour_and_width():
    m = mask_of([[[15, 30], [150, 30]], [[20, 60], [140, 45]]], 80, 170, 5)
    img = np.full((80, 170, 3), 235, np.uint8)
    img[m] = (20, 40, 160)
    strokes = trace_image(img)
    assert len(strokes) == 2 and all(isinstance(s, Stroke) for s in strokes)
    assert all(not s.time_measured for s in strokes)
    ts = np.concatenate([s.t for s in strokes])
    assert ts[0] == 0 and np.all(np.diff(ts) > 0)  # plausible made-up times, in writing order
    r, g, b = (int(strokes[0].color[i:i + 2], 16) for i in (1, 3, 5))
    assert abs(r - 20) <= 20 and abs(g - 40) <= 20 and abs(b - 160) <= 25
    assert 3.5 <= strokes[0].width <= 8.0
    assert trace_image(np.full((30, 30, 3), 240, np.uint8)) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "name, poly",
    [
        ("V", [[10, 10], [40, 80], [70, 10]]),
        ("N", [[10, 80], [10, 10], [60, 80], [60, 10]]),
        ("W", [[10, 10], [25, 80], [40, 30], [55, 80], [70, 10]]),
    ],
)
def test_sharp_turns_are_cusps_of_one_stroke(width, name, poly):
    """A 'v' thins to a 'Y' (two arms and a spur into the tip); the pen went arm, tip, arm."""
    m = mask_of([poly], 100, 100, width)
    (s,) = trace_mask(m)
    assert s[0, 0] < s[-1, 0]  # left to right
    # every vertex of the pen path is reached within a pixel and a half of the pen centre line
    for v in np.asarray(poly, float):
        assert np.min(np.hypot(*(s - v).T)) <= 1.5 + 0.15 * width, (name, v)
    f = covers([s], m, width)
    assert f.precision >= 0.98 and f.recall >= 0.98


@pytest.mark.parametrize("width", WIDTHS)
def test_arrow_head_is_one_stroke_besides_the_shaft(width):
    m = mask_of([[[10, 50], [90, 50]], [[75, 35], [90, 50], [75, 65]]], 100, 100, width)
    strokes = trace_mask(m)
    assert len(strokes) == 2
    shaft, head = strokes
    assert shaft[0, 0] < 15 and shaft[-1, 0] > 85 and np.ptp(shaft[:, 1]) <= 2
    assert head[0, 1] < 40 and head[-1, 1] > 60 and head[:, 0].max() > 85  # top arm, tip, bottom arm


def test_patchy_felt_pen_ink_is_still_one_thick_stroke():
    """Pin holes inside thick ink (a marker's patchy fill) must not read as a hairline mesh."""
    from inference.strokes.style import estimate_width

    m = mask_of([[[20, 40], [100, 60], [180, 40]]], 90, 200, 14)
    rng = np.random.default_rng(0)
    core = np.argwhere(mask_of([[[20, 40], [100, 60], [180, 40]]], 90, 200, 6))
    for r, c in core[rng.choice(len(core), 25, replace=False)]:
        m[r:r + rng.integers(1, 3), c:c + rng.integers(1, 3)] = False
    assert abs(estimate_width(m) - 14) <= 2
    strokes = trace_mask(m)
    assert len(strokes) == 1
    f = covers(strokes, m, 14)
    assert f.precision >= 0.97 and f.recall >= 0.97


def test_any_mask_traces_to_finite_points_on_the_ink():
    """Noise, blobs, rings, bars, single pixels: no crash, and every point lies on or beside the ink."""
    import cv2

    from inference.strokes.style import ink_distance

    rng = np.random.default_rng(7)
    for k in range(60):
        h, w = (int(v) for v in rng.integers(1, 70, 2))
        kind = k % 4
        if kind == 0:
            m = rng.random((h, w)) < rng.uniform(0.05, 0.95)
        elif kind == 1:
            m = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 2) > 0.5
        elif kind == 2:
            m8 = np.zeros((h, w), np.uint8)
            for _ in range(4):
                cv2.circle(m8, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(1, 15)), 1,
                           int(rng.integers(-1, 4)))
            m = m8 > 0
        else:
            m = np.ones((h, w), bool)
        strokes = trace_mask(m)
        if not m.any():
            assert strokes == []
            continue
        assert strokes, k
        # distance from each point to the nearest ink pixel centre
        to_ink = ink_distance(~m) if (~m).any() else np.zeros(m.shape)
        for s in strokes:
            assert s.dtype == np.float32 and s.ndim == 2 and s.shape[1] == 2 and np.isfinite(s).all()
            c = np.clip(np.floor(s).astype(int), 0, [w - 1, h - 1])
            assert (to_ink[c[:, 1], c[:, 0]] <= 1.5).all(), k


def test_pixel_index_clips_points_to_the_image():
    from inference.strokes.skeleton import pixel_index

    rows, cols = pixel_index(np.array([[0.5, 0.5], [9.99, 4.2], [-3.0, 7.0], [12.0, -1.0]]), (5, 10))
    assert rows.tolist() == [0, 4, 4, 0] and cols.tolist() == [0, 9, 0, 9]
    assert pixel_index(np.array([2.7, 1.2]), (5, 10)) == (1, 2)  # one point: scalars
