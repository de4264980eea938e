"""Synthetic photos of handwritten pages with known word boxes and sheet corners (for tests and reports).

Handwriting-like words come from Hershey single-stroke fonts (PyPI ``hershey-fonts``) with slant, size,
baseline and point jitter; the page gets ruled/grid/plain paper, then optionally goes onto a darker table
under a perspective, a cast shadow, a lighting gradient, a quarter-turn rotation, blur, noise and JPEG.

    from tests.inference.synthpage import make_page
    sp = make_page(np.random.default_rng(0), perspective=True, rotation=90)
    sp.image            # RGB uint8 photo
    sp.word_quads       # list of (4, 2) float64 quads (TL, TR, BR, BL of each word's ink box) in photo px
    sp.texts            # the words' texts
    sp.page_corners     # (4, 2) page TL, TR, BR, BL in photo px, or None when the page fills the photo
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import cv2
import numpy as np
from HersheyFonts import HersheyFonts

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.document.transforms import Transform

_WORDS_TEXT = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had "
    "by word but not what all were we when your can said there use each which she do how their if will up "
    "other about out many then them these so some her would make like him into time has look two more "
    "write go see number no way could people my than first water been call who oil its now find long down "
    "day did get come made may part over new sound take only little work know place year live me back "
    "give most very after thing our just name good sentence man think say great where help through much "
    "before line right too mean old any same tell boy follow came want show also around form three small "
    "set put end does another well large must big even such because turn here why ask went men read need "
    "land different home us move try kind hand picture again change off play spell air away animal house "
    "point page letter mother answer found study still learn should world high every near add food "
    "between own below country plant last school father keep tree never start city earth eye light "
    "thought head under story saw left few while along might close something seem next hard open example "
    "begin life always notes lecture matrix vector graph proof lemma theorem Monday Friday June 2024 42 "
    "17.5 x+y"
)
WORDS = tuple(_WORDS_TEXT.split())

LATIN_FONTS = ("cursive", "scripts", "scriptc", "futural", "rowmans", "timesr")
OTHER_FONTS = ("greek", "cyrillic")
INKS = ((20, 20, 30), (25, 35, 110), (15, 40, 140), (40, 40, 40), (90, 20, 30), (60, 60, 70))


@dataclass
class SynthPage:
    image: np.ndarray  # RGB uint8 photo
    word_quads: list[np.ndarray]  # (4, 2) float64 per word, photo px
    texts: list[str]
    page_corners: np.ndarray | None  # (4, 2) TL, TR, BR, BL of the sheet in photo px (None: page fills the photo)
    page_size: tuple[int, int] = (0, 0)  # (width, height) of the flat page
    page_to_photo: Transform = field(default_factory=Transform.identity)
    rotation: int = 0  # quarter turns clockwise applied to the photo (0/90/180/270)
    page_word_boxes: list[np.ndarray] = field(default_factory=list)  # (x0, y0, x1, y1) per word, flat page px
    line_of_word: list[int] = field(default_factory=list)
    paper: str = "plain"
    drawing_quads: list[np.ndarray] = field(default_factory=list)  # (4, 2) photo px per drawn diagram
    strokes: list[np.ndarray] = field(default_factory=list)  # (n, 2) pen paths in flat page px (words, drawings)
    pen_width: float = 0.0  # in flat page px


@cache
def _font(name: str) -> HersheyFonts:
    f = HersheyFonts()
    f.load_default_font(name)
    f.normalize_rendering(100)
    return f


@cache
def _x_height(name: str) -> float:
    """Height of 'x' in the font's 0..100 box."""
    pts = np.concatenate([np.array(s, float) for s in _font(name).strokes_for_text("x")])
    return min(55.0, float(np.ptp(pts[:, 1])))  # greek 'x' is a chi with a descender


@cache
def _baseline(name: str) -> float:
    """Flipped-y of the bottom of 'x' (the baseline) in the font's 0..100 box."""
    pts = np.concatenate([np.array(s, float) for s in _font(name).strokes_for_text("x")])
    return float((100.0 - pts[:, 1]).max())


def _word_strokes(name: str, text: str) -> list[np.ndarray]:
    out = []
    for s in _font(name).strokes_for_text(text):
        a = np.array(s, float)
        if len(a) == 0:
            continue
        a[:, 1] = 100.0 - a[:, 1]  # Hershey's y points up
        out.append(a)
    return out


def _densify(a: np.ndarray, step: float) -> np.ndarray:
    if len(a) < 2:
        return a
    seg = np.linalg.norm(np.diff(a, axis=0), axis=1)
    d = np.concatenate([[0.0], np.cumsum(seg)])
    if d[-1] <= 0:
        return a[:1]
    t = np.linspace(0.0, d[-1], max(2, int(d[-1] / step) + 1))
    return np.column_stack([np.interp(t, d, a[:, 0]), np.interp(t, d, a[:, 1])])


def _paper(rng: np.random.Generator, w: int, h: int, kind: str, spacing: float, top: float) -> np.ndarray:
    base = np.array(rng.choice([(250, 250, 247), (245, 242, 230), (252, 252, 252), (240, 240, 235)]), float)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    img += rng.normal(0, 2.0, (h, w, 1)).astype(np.float32)  # paper grain
    line_col = np.array(rng.choice([(150, 185, 230), (170, 190, 215), (160, 160, 165)]), float)
    if kind == "ruled":
        y = top
        while y < h - 20:
            cv2.line(img, (0, int(y)), (w, int(y)), line_col.tolist(), 2 if rng.random() < 0.5 else 1, cv2.LINE_AA)
            y += spacing
        mx = int(rng.uniform(0.08, 0.12) * w)
        cv2.line(img, (mx, 0), (mx, h), (225, 120, 120), 2, cv2.LINE_AA)
    elif kind == "grid":
        step = spacing / 2
        for x in np.arange(step / 2, w, step):
            cv2.line(img, (int(x), 0), (int(x), h), line_col.tolist(), 1, cv2.LINE_AA)
        for y in np.arange(top % step, h, step):
            cv2.line(img, (0, int(y)), (w, int(y)), line_col.tolist(), 1, cv2.LINE_AA)
    return img


def _layout(rng, w, h, spacing, top, margin_l, n_lines, font, size, slant, words_pool):
    """Words on lines: returns (list of strokes per word (page px), texts, line index per word)."""
    base_frac = _baseline(font) / 100.0
    words_strokes, texts, lines = [], [], []
    # word spacing as handwriting has it: about one x-height (a little under to a little over)
    gap_base = rng.uniform(0.75, 1.1) * _x_height(font) / 100.0 * size
    for li in range(n_lines):
        baseline = top + spacing * (li + 1) - spacing * 0.12
        if baseline + size * 0.4 > h - 40:
            break
        x = margin_l + rng.uniform(0, 0.15) * w * (rng.random() < 0.3)
        line_tilt = rng.normal(0, 0.008)
        x_end = w - rng.uniform(0.06, 0.3) * w
        while True:
            text = str(rng.choice(words_pool))
            s = size * rng.uniform(0.92, 1.08)
            strokes = _word_strokes(font, text)
            if not strokes:
                continue
            sl = slant + rng.normal(0, 0.04)
            shaped = []
            for a in strokes:
                p = (a - [0.0, 100 * base_frac]) * (s / 100.0)
                p[:, 0] -= p[:, 1] * sl  # slant: shear x by height above the baseline
                p = _densify(p, 2.0)
                shaped.append(p + rng.normal(0, 0.35, p.shape))
            allp = np.concatenate(shaped)
            x0 = allp[:, 0].min()
            width = allp[:, 0].max() - x0  # measured after the slant, so gaps stay gaps
            if x + width > x_end:
                break
            by = baseline + rng.normal(0, spacing * 0.015) + (x - margin_l) * line_tilt
            out = [p + [x - x0, by] for p in shaped]
            words_strokes.append(out)
            texts.append(text)
            lines.append(li)
            x += width + gap_base * rng.uniform(0.8, 1.25)
    return words_strokes, texts, lines


def make_page(
    rng: np.random.Generator,
    *,
    paper: str | None = None,
    perspective: bool | None = None,
    rotation: int | None = None,
    shadow: bool | None = None,
    blur: float | None = None,
    noise: float | None = None,
    jpeg: int | None = None,
    n_lines: int | None = None,
    script: str = "latin",
    blank: bool = False,
    page_size: tuple[int, int] = (1100, 1420),
    line_spacing: float | None = None,
    drawing: bool = False,
) -> SynthPage:
    """One synthetic photo. Arguments left as None are drawn at random from ``rng``."""
    w, h = page_size
    paper = paper or str(rng.choice(["ruled", "grid", "plain"]))
    spacing = line_spacing or float(rng.uniform(0.055, 0.075) * w)
    top = float(rng.uniform(0.06, 0.1) * h)
    img = _paper(rng, w, h, paper, spacing, top)
    font = str(rng.choice(OTHER_FONTS if script != "latin" else LATIN_FONTS))
    size = spacing * rng.uniform(0.72, 0.92)
    slant = float(rng.uniform(-0.1, 0.35))
    n_lines = n_lines if n_lines is not None else int(rng.integers(6, 17))
    if drawing:
        n_lines = min(n_lines, 7)
    words_strokes, texts, lines = ([], [], []) if blank else _layout(
        rng, w, h, spacing, top, 0.12 * w, n_lines, font, size, slant, WORDS)

    ink = np.array(INKS[int(rng.integers(len(INKS)))], np.float32)
    width = float(rng.uniform(1.8, 3.6))
    boxes, drawn = [], []
    if drawing:  # a small diagram under the text: a box, a circle and an arrow between them
        bottom = max([float(np.concatenate(ws)[:, 1].max()) for ws in words_strokes] or [top])
        y0 = min(bottom + 0.08 * h, 0.7 * h)
        x0, dw, dh = 0.15 * w, 0.6 * w, 0.2 * h
        t = np.linspace(0, 2 * np.pi, 60)
        shapes = [np.array([[x0, y0], [x0 + 0.25 * dw, y0], [x0 + 0.25 * dw, y0 + 0.5 * dh], [x0, y0 + 0.5 * dh],
                            [x0, y0]]),
                  np.column_stack([x0 + 0.8 * dw + 0.15 * dw * np.cos(t), y0 + 0.5 * dh + 0.15 * dw * np.sin(t)]),
                  np.array([[x0 + 0.3 * dw, y0 + 0.3 * dh], [x0 + 0.6 * dw, y0 + 0.5 * dh]]),
                  np.array([[x0 + 0.56 * dw, y0 + 0.42 * dh], [x0 + 0.6 * dw, y0 + 0.5 * dh],
                            [x0 + 0.55 * dw, y0 + 0.53 * dh]])]
        shapes = [_densify(a, 2.0) + rng.normal(0, 0.5, (len(_densify(a, 2.0)), 2)) for a in shapes]
        words_strokes_draw = shapes
        allp = np.concatenate(shapes)
        r = width / 2
        drawn.append(np.array([allp[:, 0].min() - r, allp[:, 1].min() - r, allp[:, 0].max() + r,
                               allp[:, 1].max() + r]))
    else:
        words_strokes_draw = []
    if words_strokes or words_strokes_draw:
        strokes = [Stroke(np.asarray(p, np.float32), width=width) for ws in words_strokes for p in ws]
        strokes += [Stroke(np.asarray(p, np.float32), width=width) for p in words_strokes_draw]
        cov = draw_strokes_mask(strokes, h, w)[..., None]
        img = img * (1 - cov) + ink * cov
        for ws in words_strokes:
            p = np.concatenate(ws)
            r = width / 2
            boxes.append(np.array([p[:, 0].min() - r, p[:, 1].min() - r, p[:, 0].max() + r, p[:, 1].max() + r]))

    # --- the photo ------------------------------------------------------------------------------------
    perspective = bool(rng.random() < 0.6) if perspective is None else perspective
    if perspective:
        cw, ch = int(w * rng.uniform(1.25, 1.45)), int(h * rng.uniform(1.2, 1.35))
        table = np.array(rng.choice([(95, 70, 50), (60, 60, 65), (120, 100, 80), (40, 45, 40)]), np.float32)
        yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
        photo = table * (0.8 + 0.4 * (xx / cw))[..., None] + rng.normal(0, 6, (ch, cw, 1)).astype(np.float32)
        sw, sh = w * rng.uniform(0.72, 0.85) * cw / w, h * rng.uniform(0.72, 0.85) * ch / h
        sw, sh = min(sw, cw * 0.88), min(sh, ch * 0.88)
        cx, cy = cw / 2 + rng.uniform(-0.05, 0.05) * cw, ch / 2 + rng.uniform(-0.05, 0.05) * ch
        dst = np.array([[cx - sw / 2, cy - sh / 2], [cx + sw / 2, cy - sh / 2],
                        [cx + sw / 2, cy + sh / 2], [cx - sw / 2, cy + sh / 2]])
        dst += rng.uniform(-0.06, 0.06, (4, 2)) * [sw, sh]
        dst = np.clip(dst, [0.03 * cw, 0.03 * ch], [0.97 * cw, 0.97 * ch])  # the whole sheet is in view
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
        m = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
        # continuous-coordinate homography -> cv2's pixel-centre convention for warping
        half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
        m_px = np.linalg.inv(half) @ m @ half
        warped = cv2.warpPerspective(img, m_px, (cw, ch), flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.ones((h, w), np.float32), m_px, (cw, ch), flags=cv2.INTER_LINEAR)[..., None]
        photo = photo * (1 - mask) + warped * mask
        to_photo = Transform(m)
        corners = dst
    else:
        photo, to_photo, corners = img, Transform.identity(), None
        cw, ch = w, h

    # lighting: a gradient and maybe a cast shadow (a soft-edged half-plane)
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    gx, gy = np.cos(ang), np.sin(ang)
    proj = (xx - cw / 2) * gx + (yy - ch / 2) * gy
    light = 1.0 - rng.uniform(0.0, 0.18) * (proj / np.abs(proj).max() + 1) / 2
    shadow = bool(rng.random() < 0.5) if shadow is None else shadow
    if shadow:
        a2 = rng.uniform(0, 2 * np.pi)
        d = (xx - cw / 2) * np.cos(a2) + (yy - ch / 2) * np.sin(a2) - rng.uniform(-0.25, 0.25) * min(cw, ch)
        soft = rng.uniform(0.01, 0.05) * min(cw, ch)
        light = light * (1.0 - rng.uniform(0.3, 0.5) / (1 + np.exp(-d / soft)))
    photo = photo * light[..., None]

    blur = float(rng.uniform(0, 1.1)) if blur is None else blur
    if blur > 0.05:
        photo = cv2.GaussianBlur(photo, (0, 0), blur)
    noise = float(rng.uniform(0, 5)) if noise is None else noise
    if noise > 0:
        photo = photo + rng.normal(0, noise, photo.shape).astype(np.float32)
    photo = np.clip(photo + 0.5, 0, 255).astype(np.uint8)

    rotation = int(rng.choice([0, 0, 90, 180, 270])) if rotation is None else int(rotation) % 360
    k = rotation // 90
    if k:
        photo = np.ascontiguousarray(np.rot90(photo, -k))  # clockwise
        to_photo = to_photo.then(Transform.rotate90(k, cw, ch))
        if corners is not None:
            corners = Transform.rotate90(k, cw, ch).apply(corners)

    jpeg = int(rng.integers(60, 93)) if jpeg is None else jpeg
    if jpeg:
        _ok, buf = cv2.imencode(".jpg", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, jpeg])
        photo = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    quads = []
    for x0, y0, x1, y1 in boxes:
        quads.append(to_photo.apply(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])))
    dquads = [to_photo.apply(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])) for x0, y0, x1, y1 in drawn]
    return SynthPage(image=photo, word_quads=quads, texts=texts, page_corners=corners, page_size=(w, h),
                     page_to_photo=to_photo, rotation=rotation, page_word_boxes=boxes, line_of_word=lines,
                     paper=paper, drawing_quads=dquads,
                     strokes=[np.asarray(p, float) for ws in words_strokes for p in ws] + list(words_strokes_draw),
                     pen_width=width)


# --- scoring helpers shared by tests and the benchmark report ------------------------------------------
def quad_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two convex quads (any vertex order is normalised to a convex hull)."""
    pa = cv2.convexHull(np.asarray(a, np.float32).reshape(-1, 2))
    pb = cv2.convexHull(np.asarray(b, np.float32).reshape(-1, 2))
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = cv2.contourArea(pa) + cv2.contourArea(pb) - inter
    return float(inter / union) if union > 0 else 0.0


def match_boxes(pred: list[np.ndarray], gt: list[np.ndarray], thr: float = 0.5) -> tuple[int, int, int]:
    """Greedy one-to-one matching by IoU: returns (matches, n_pred, n_gt)."""
    if not pred or not gt:
        return 0, len(pred), len(gt)
    ious = np.array([[quad_iou(p, g) for g in gt] for p in pred])
    used_p, used_g, n = set(), set(), 0
    for idx in np.argsort(-ious, axis=None):
        i, j = divmod(int(idx), len(gt))
        if ious[i, j] < thr:
            break
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        n += 1
    return n, len(pred), len(gt)


def corner_error(pred: np.ndarray | None, gt: np.ndarray) -> float:
    """Largest corner distance over the page diagonal, trying the 4 cyclic orders (rotation-agnostic)."""
    if pred is None:
        return float("inf")
    pred, gt = np.asarray(pred, float), np.asarray(gt, float)
    diag = float(np.hypot(*(gt[2] - gt[0])))
    best = min(np.linalg.norm(np.roll(pred, r, axis=0) - gt, axis=1).max() for r in range(4))
    return float(best / diag)


def hershey_word(text: str, font: str, height: float, x0: float = 10, y0: float = 10) -> list[Stroke]:
    """A word as the font's line segments joined into pen strokes, height ``height``, top-left at (x0, y0)."""
    f = HersheyFonts()
    f.load_default_font(font)
    f.normalize_rendering(height)
    polys, cur = [], []
    for a, b in f.lines_for_text(text):
        if cur and np.allclose(cur[-1], a):
            cur.append(b)
        else:
            if cur:
                polys.append(cur)
            cur = [a, b]
    if cur:
        polys.append(cur)
    arrs = [np.array(p, float) * [1, -1] for p in polys]  # Hershey's y points up
    lo = np.vstack(arrs).min(axis=0)
    return [Stroke(a - lo + [x0, y0]) for a in arrs]
