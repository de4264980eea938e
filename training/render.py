"""Photo-like renderings of pen strokes, with the target strokes carried through every geometric change.

``render_word_photo(strokes, rng, level)`` draws one handwritten word as it could look in a photo of a
page: paper (colour, texture, lighting gradient, shadow, ruled lines, grid or dots), ink (ballpoint, gel, marker,
pencil, bleed), geometry (rotation, slant, perspective), and camera effects (blur, noise, JPEG). The
strokes returned are the input strokes in the output image's pixel coordinates (continuous: the image
spans [0, w] x [0, h]), same order and direction; they only ever go through the same geometric maps as
the drawn ink. Deterministic for a given ``rng`` state. Used by training and by the evaluation harness.

Levels: ``clean`` (scan: dark pen on white), ``phone`` (lighting, paper colour, slight perspective,
noise, JPEG), ``hard`` (marker or pencil, cast shadow, ruled paper, blur), ``train`` (everything, random;
InkSight's augmentation plus photo effects).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

LEVELS = ("clean", "phone", "hard", "train")
_SHIFT = 4  # cv2 fixed-point bits for sub-pixel drawing


@dataclass(frozen=True)
class RenderedWord:
    image: np.ndarray  # RGB uint8 (h, w, 3)
    strokes: list[np.ndarray]  # float32 (n, 2) in image pixel coordinates, as the input strokes
    stroke_width: float  # pen width in image pixels


@dataclass(frozen=True)
class _Style:
    text_px: float  # height of the ink's bounding box in px before rotation
    width_px: float
    rot_deg: float
    shear: float  # extra slant (x += shear * y)
    persp: float  # corner jitter as a fraction of the size
    pad: tuple[float, float, float, float]  # left, top, right, bottom as fractions of the text height
    paper: np.ndarray  # RGB float
    ink: np.ndarray  # RGB float
    pen: str  # ballpoint | gel | marker | pencil
    bleed: bool
    texture: float
    gradient: float
    shadow: bool
    lines: str  # none | ruled | grid | margin | dotted
    neighbours: bool
    blur: float
    box_blur: int
    noise: float
    jpeg: int  # 0 = none


def _as_xy(strokes: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for s in strokes:
        a = np.asarray(s, np.float64)
        if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] < 2:
            raise ValueError("each stroke must be a non-empty (n, 2) or (n, 3) array")
        out.append(a[:, :2].copy())
    if not out:
        raise ValueError("render_word_photo needs at least one stroke")
    return out


def _pick_colour(rng: np.random.Generator, kind: str) -> np.ndarray:
    if kind == "paper_white":
        v = rng.uniform(225, 255)
        return np.array([v, v, v]) + rng.uniform(-6, 6, 3)
    if kind == "paper":
        base = [np.array([250, 248, 240]), np.array([245, 240, 220]), np.array([235, 235, 235]),
                np.array([255, 250, 205]), np.array([225, 235, 245]), np.array([240, 225, 230])]
        c = base[rng.integers(len(base))] * rng.uniform(0.7, 1.0) + rng.uniform(-10, 10, 3)
        return np.clip(c, 90, 255)
    if kind == "paper_any":
        return rng.uniform(120, 255, 3)
    if kind == "ink_dark":
        base = [np.array([20, 20, 25]), np.array([20, 35, 110]), np.array([10, 20, 70]), np.array([45, 45, 50])]
        return np.clip(base[rng.integers(len(base))] + rng.uniform(-15, 15, 3), 0, 255)
    if kind == "ink":
        base = [np.array([20, 20, 25]), np.array([20, 35, 120]), np.array([150, 20, 25]),
                np.array([20, 100, 40]), np.array([80, 30, 110]), np.array([60, 60, 60])]
        return np.clip(base[rng.integers(len(base))] + rng.uniform(-25, 25, 3), 0, 255)
    # "ink_any": any colour clearly darker than typical paper
    return rng.uniform(0, 140, 3)


def _style(rng: np.random.Generator, level: str) -> _Style:
    r = rng.uniform
    if level == "clean":
        text = r(40, 80)
        return _Style(text, float(np.clip(text * r(0.04, 0.07), 1.5, 5)), r(-2, 2), 0.0, 0.0,
                      tuple(r(0.1, 0.3, 4)), _pick_colour(rng, "paper_white"), _pick_colour(rng, "ink_dark"),
                      "ballpoint", False, r(0, 0.01), 0.0, False, "none", False, r(0, 0.4), 0, r(0, 2), 0)
    if level == "phone":
        text = r(30, 70)
        return _Style(text, float(np.clip(text * r(0.04, 0.09), 1.5, 7)), r(-6, 6), r(-0.1, 0.1), r(0, 0.04),
                      tuple(r(0.1, 0.35, 4)), _pick_colour(rng, "paper"), _pick_colour(rng, "ink"),
                      ["ballpoint", "gel"][rng.integers(2)], False, r(0.01, 0.04), r(0.1, 0.35),
                      bool(rng.random() < 0.2), ["none", "ruled"][rng.integers(2)], bool(rng.random() < 0.3),
                      r(0.3, 0.9), 0, r(2, 6), int(rng.integers(55, 90)))
    if level == "hard":
        text = r(26, 64)
        pen = ["marker", "pencil"][rng.integers(2)]
        wf = r(0.1, 0.18) if pen == "marker" else r(0.03, 0.07)
        return _Style(text, float(np.clip(text * wf, 1.2, 12)), r(-10, 10), r(-0.15, 0.15), r(0.02, 0.06),
                      tuple(r(0.1, 0.4, 4)), _pick_colour(rng, "paper"),
                      _pick_colour(rng, "ink" if pen == "marker" else "ink_dark"), pen, pen == "marker",
                      r(0.03, 0.07), r(0.2, 0.5), True, ["ruled", "grid"][rng.integers(2)], True, r(0.6, 1.2),
                      rng.integers(0, 3).item(), r(3, 8), int(rng.integers(40, 75)))
    if level != "train":
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")
    text = r(24, 72)
    pen = ["ballpoint", "gel", "marker", "pencil"][rng.choice(4, p=[0.4, 0.25, 0.15, 0.2])]
    wf = {"ballpoint": r(0.02, 0.08), "gel": r(0.04, 0.11), "marker": r(0.08, 0.2), "pencil": r(0.02, 0.07)}[pen]
    rot = r(-8, 8) if rng.random() < 0.85 else r(-45, 45)  # InkSight: +-45, kept modest most of the time
    ink_kind = ["ink_dark", "ink", "ink_any"][rng.choice(3, p=[0.5, 0.35, 0.15])]
    paper_kind = ["paper_white", "paper", "paper_any"][rng.choice(3, p=[0.4, 0.45, 0.15])]
    return _Style(text, float(np.clip(text * wf, 1.0, 12.0)), rot, r(-0.2, 0.2) if rng.random() < 0.5 else 0.0,
                  r(0, 0.06) if rng.random() < 0.6 else 0.0, tuple(r(0.05, 0.5, 4)), _pick_colour(rng, paper_kind),
                  _pick_colour(rng, ink_kind), pen, bool(rng.random() < 0.15), r(0, 0.06),
                  r(0, 0.5) if rng.random() < 0.6 else 0.0, bool(rng.random() < 0.25),
                  ["none", "ruled", "grid", "margin", "dotted"][rng.choice(5, p=[0.45, 0.3, 0.1, 0.07, 0.08])],
                  bool(rng.random() < 0.35), r(0, 1.2) if rng.random() < 0.5 else 0.0,
                  int(rng.integers(2, 4)) if rng.random() < 0.15 else 0, r(0, 8),
                  int(rng.integers(30, 95)) if rng.random() < 0.6 else 0)


def _geometry(strokes: list[np.ndarray], st: _Style, rng: np.random.Generator, line: bool = False
              ) -> tuple[np.ndarray, int, int, float]:
    """3x3 map from input units to output pixels, the output size, and the scale (px per input unit).
    ``line``: a line of text, its ink box text_px high however long it is (up to 2,400 px wide)."""
    allp = np.concatenate(strokes)
    lo, hi = allp.min(0), allp.max(0)
    ext = np.maximum(hi - lo, 1e-6)
    # scale so the ink box is text_px high, unless it is very flat (a dash) or very long
    s = st.text_px / max(ext[1], 0.0 if line else 0.25 * ext[0], 1e-6)
    cap = 2400.0 if line else 700.0
    s = min(s, cap / ext[0]) if ext[0] * s > cap else s
    m = np.array([[s, 0, -lo[0] * s], [0, s, -lo[1] * s], [0, 0, 1]], np.float64)
    w, h = ext * s
    sh = np.array([[1, st.shear, -st.shear * h / 2], [0, 1, 0], [0, 0, 1]])
    c = np.array([w / 2, h / 2])
    a = np.deg2rad(st.rot_deg)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    t0 = np.array([[1, 0, -c[0]], [0, 1, -c[1]], [0, 0, 1]])
    m = rot @ sh @ t0 @ m  # centred at the origin
    box = np.array([[0, 0], [w, 0], [w, h], [0, h]]) - c
    bx = (np.c_[box, np.ones(4)] @ (rot @ sh).T)[:, :2]
    blo, bhi = bx.min(0), bx.max(0)
    unit = max(st.text_px, 8.0)
    pl, pt, pr, pb = (p * unit + st.width_px for p in st.pad)
    out_w = int(np.ceil(bhi[0] - blo[0] + pl + pr))
    out_h = int(np.ceil(bhi[1] - blo[1] + pt + pb))
    m = np.array([[1, 0, pl - blo[0]], [0, 1, pt - blo[1]], [0, 0, 1]]) @ m
    if st.persp > 0:
        src = np.float32([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]])
        d = st.persp * max(out_w, out_h)
        dst = (src + rng.uniform(-d, d, (4, 2))).astype(np.float32)
        dst -= dst.min(0)
        hmat = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
        m = hmat @ m
        out_w, out_h = int(np.ceil(dst[:, 0].max())), int(np.ceil(dst[:, 1].max()))
    return m, max(out_w, 4), max(out_h, 4), s


def _apply(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    h = xy @ m[:2, :2].T + m[:2, 2]
    wv = xy @ m[2, :2] + m[2, 2]
    return h / wv[:, None]


def _draw(mask: np.ndarray, strokes_px: list[np.ndarray], width: float) -> None:
    th = max(1, round(width))
    for xy in strokes_px:
        pts = np.round((xy - 0.5) * (1 << _SHIFT)).astype(np.int64)
        pts = np.clip(pts, -(1 << 26), 1 << 26).astype(np.int32).reshape(-1, 1, 2)
        if len(pts) == 1 or np.all(pts == pts[0]):
            cv2.circle(mask, tuple(int(v) for v in pts[0, 0]), max(1, int(width * (1 << _SHIFT) / 2)), 255, -1,
                       cv2.LINE_AA, _SHIFT)
        else:
            cv2.polylines(mask, [pts], False, 255, th, cv2.LINE_AA, _SHIFT)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)


def _paper(rng: np.random.Generator, st: _Style, h: int, w: int) -> np.ndarray:
    img = np.empty((h, w, 3), np.float32)
    img[:] = st.paper
    if st.texture > 0:
        tex = 1 + st.texture * (0.6 * _smooth_noise(rng, h, w, 6) + 0.4 * rng.standard_normal((h, w)))
        img *= tex[..., None].astype(np.float32)
    return img


def _lines(rng: np.random.Generator, st: _Style, img: np.ndarray, m: np.ndarray, ink_box: np.ndarray,
           scale: float) -> None:
    if st.lines == "none":
        return
    h, w = img.shape[:2]
    col = np.array([rng.uniform(120, 200), rng.uniform(150, 210), rng.uniform(200, 250)])
    if rng.random() < 0.3:
        col = np.full(3, rng.uniform(120, 200))
    a = rng.uniform(0.25, 0.8)
    thick = int(rng.integers(1, 3))
    layer = np.zeros((h, w), np.uint8)
    spacing = st.text_px * rng.uniform(0.8, 1.6)
    # lines follow the word's geometry: draw them in input space and map with m (rotation, perspective)
    x0, y0, x1, y1 = ink_box
    ext = max(x1 - x0, y1 - y0) * 3
    base = y1 + (y1 - y0) * rng.uniform(-0.05, 0.1)
    unit = spacing / scale  # input units
    ys = base + unit * np.arange(-6, 7)
    # columns of the grid (its vertical lines, or with ys the dots of dot-grid paper) at a random phase
    xs = x0 + unit * np.arange(-12, int((x1 - x0) / max(unit, 1e-6)) + 13) + rng.uniform(0, unit) \
        if st.lines in ("grid", "dotted") else None
    if st.lines == "dotted":  # a dot where grid lines would cross, some under the letters
        gx, gy = np.meshgrid(xs, ys)
        for cx, cy in _apply(m, np.stack([gx.ravel(), gy.ravel()], axis=1)):
            if -4 <= cx <= w + 4 and -4 <= cy <= h + 4:
                cv2.circle(layer, (round(float(cx)), round(float(cy))), thick, 255, -1, cv2.LINE_AA)
    else:
        for yy in ys:
            seg = _apply(m, np.array([[x0 - ext, yy], [x1 + ext, yy]]))
            _draw(layer, [seg], thick)
    if st.lines == "grid":
        for xx in xs:
            seg = _apply(m, np.array([[xx, y0 - ext], [xx, y1 + ext]]))
            _draw(layer, [seg], thick)
    if st.lines == "margin":
        xx = x0 + (x1 - x0) * rng.uniform(-0.1, 0.3)
        seg = _apply(m, np.array([[xx, y0 - ext], [xx, y1 + ext]]))
        red = np.zeros((h, w), np.uint8)
        _draw(red, [seg], thick + 1)
        ra = (red.astype(np.float32) / 255 * a)[..., None]
        img[:] = img * (1 - ra) + np.array([220, 80, 80]) * ra
    la = (layer.astype(np.float32) / 255 * a)[..., None]
    img[:] = img * (1 - la) + col * la


def _ink_alpha(rng: np.random.Generator, st: _Style, mask: np.ndarray) -> np.ndarray:
    a = mask.astype(np.float32) / 255.0
    h, w = a.shape
    if st.bleed:
        a = np.maximum(a, cv2.GaussianBlur(a, (0, 0), max(0.6, st.width_px * 0.3)) * 0.9)
    if st.pen == "pencil":
        grain = np.clip(0.55 + 0.35 * rng.standard_normal((h, w)).astype(np.float32)
                        + 0.2 * _smooth_noise(rng, h, w, 3), 0.1, 1.0)
        a = a * grain * rng.uniform(0.45, 0.8)
    elif st.pen == "ballpoint":
        a = a * np.clip(rng.uniform(0.75, 1.0) + 0.12 * _smooth_noise(rng, h, w, max(4, st.text_px / 3)), 0.4, 1)
    elif st.pen == "marker":
        a = a * rng.uniform(0.8, 0.97)
    return a


def _neighbours(rng: np.random.Generator, st: _Style, strokes: list[np.ndarray], m: np.ndarray,
                w: int) -> list[np.ndarray]:
    """Copies of the word shifted so that only a sliver shows at the left or right edge of the crop."""
    allp = np.concatenate(strokes)
    lo, hi = allp.min(0), allp.max(0)
    span = hi[0] - lo[0]
    gap = (hi[1] - lo[1]) * rng.uniform(0.15, 0.5) + 1e-6
    out = []
    for side in (-1, 1):
        if rng.random() < 0.6:
            dx = side * (span + gap)
            dy = (hi[1] - lo[1]) * rng.uniform(-0.2, 0.2)
            for s in strokes[:: max(1, len(strokes) // 4)] if rng.random() < 0.5 else strokes:
                out.append(_apply(m, s + np.array([dx, dy])))
    return out


def render_word_photo(strokes: list[np.ndarray], rng: np.random.Generator, level: str = "train",
                      blank: bool = False, line: bool = False) -> RenderedWord:
    """A photo-like crop of ``strokes``. ``blank``: the same crop (paper, rulings, lighting, neighbouring
    lines' ink, noise) without the word itself, and no target strokes: what a word box with no writing
    looks like, for which the model must write nothing. ``line``: a line of text, drawn with its ink box as
    high as a word's (the default squeezes a long line into a word-sized crop, as training has it)."""
    xy = _as_xy(strokes)
    st = _style(rng, level)
    m, w, h, scale = _geometry(xy, st, rng, line)
    target = [] if blank else [_apply(m, s).astype(np.float32) for s in xy]
    width = st.width_px
    if st.persp > 0:  # scale the pen with the map's local scale
        width = float(np.clip(width, 1.0, 12.0))

    img = _paper(rng, st, h, w)
    allp = np.concatenate(xy)
    _lines(rng, st, img, m, np.r_[allp.min(0), allp.max(0)], scale)

    mask = np.zeros((h, w), np.uint8)
    _draw(mask, target, width)
    if st.neighbours:
        _draw(mask, _neighbours(rng, st, xy, m, w), width)
    a = _ink_alpha(rng, st, mask)[..., None]
    img = img * (1 - a) + st.ink * a

    if st.gradient > 0:  # lighting: a smooth multiplicative ramp plus low-frequency blotches
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ang = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(ang) * xx / w + np.sin(ang) * yy / h)
        ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
        light = 1 - st.gradient * ramp + 0.05 * st.gradient * _smooth_noise(rng, h, w, max(h, w) / 3)
        img *= light[..., None]
    if st.shadow:  # a soft-edged cast shadow (hand or phone) over part of the crop
        poly = np.array([[rng.uniform(-0.2, 1.2) * w, rng.uniform(-0.2, 1.2) * h] for _ in range(4)], np.float32)
        sm = np.zeros((h, w), np.uint8)
        cv2.fillPoly(sm, [poly.astype(np.int32)], 255)
        sm = cv2.GaussianBlur(sm.astype(np.float32) / 255, (0, 0), max(2.0, 0.1 * max(h, w)))
        img *= (1 - rng.uniform(0.2, 0.55) * sm)[..., None]

    if st.blur > 0.2:
        img = cv2.GaussianBlur(img, (0, 0), st.blur)
    if st.box_blur > 1:
        img = cv2.blur(img, (st.box_blur, st.box_blur))
    if st.noise > 0:
        img = img + rng.normal(0, st.noise, img.shape).astype(np.float32)
    out = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if st.jpeg:
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, st.jpeg])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()
    return RenderedWord(image=np.ascontiguousarray(out), strokes=target, stroke_width=float(width))
