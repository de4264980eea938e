"""Page clean-up: find the sheet and undo the perspective, turn the page upright, even out the lighting.

Every step is a Transform, composed into ``PageImage.transform`` (working photo -> page) and
``PageImage.to_original`` (page -> original photo), so anything found on the page maps back to the photo.

Upright detection uses the text detector the segmenter needs anyway: the detector's line boxes say
whether text runs across or down the page (0/180 vs 90/270), and the recogniser's confidence on a few
of the longest lines, read both ways, picks between the two opposite orientations. The detected lines
travel with the page (``text_lines``) so the segmenter does not detect twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from ..document.transforms import Transform
from .inkmask import background_estimate, brightest_channel, ink_darkness
from .load import LoadedImage


class TextReader(Protocol):
    """What upright detection needs of the segmenter (:class:`inference.photo.segment.Segmenter` is one);
    a protocol so that the page stage does not import the segmentation stage built on top of it."""

    def detect(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def crop_line(self, image: np.ndarray, quad: np.ndarray) -> np.ndarray | None: ...

    def recognize(self, crops: list[np.ndarray]) -> list: ...

SHEET_MIN_AREA = 0.25  # a sheet must cover at least this share of the photo to be trusted
_DEBUG = False
_BG_SIDE = 480  # lighting is estimated on a copy this large (it is smooth; see background_estimate)
_DETECT_SIDE = 640  # sheet finding runs on a copy this large (corner error ~0.2% of the side per px)


@dataclass(frozen=True, eq=False)
class PageImage:
    image: np.ndarray  # RGB uint8 upright page, lighting evened out (paper ~255)
    transform: Transform  # working photo px -> page px
    to_original: Transform  # page px -> original photo px
    rotation: int  # degrees the page was turned clockwise to make it upright (0/90/180/270)
    sheet_quad: np.ndarray | None  # (4, 2) sheet corners in working px (page TL, TR, BR, BL), or None
    warped: bool
    normalized: np.ndarray  # float32 ink darkness in [0, 1] (0 = paper), page px
    raw: np.ndarray | None = None  # RGB upright page before the lighting correction
    text_lines: np.ndarray | None = None  # (n, 4, 2) detected text-line quads in page px (reused by segment)
    text_line_scores: np.ndarray | None = None
    text_line_reads: list | None = None  # [(text, confidence, rapidocr WordInfo)] per text line, upright

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]


# --- sheet ------------------------------------------------------------------------------------------
def order_corners(q: np.ndarray) -> np.ndarray:
    """Clockwise (in image coordinates) starting from the corner nearest the top-left."""
    c = q.mean(axis=0)
    ang = np.arctan2(q[:, 1] - c[1], q[:, 0] - c[0])
    q = q[np.argsort(ang)]
    start = int(np.argmin(q.sum(axis=1)))
    return np.roll(q, -start, axis=0)


def _line_intersection(l1, l2) -> np.ndarray | None:
    (vx1, vy1, x1, y1), (vx2, vy2, x2, y2) = l1, l2
    a = np.array([[vx1, -vx2], [vy1, -vy2]])
    if abs(np.linalg.det(a)) < 1e-6:
        return None
    t = np.linalg.solve(a, np.array([x2 - x1, y2 - y1]))
    return np.array([x1 + t[0] * vx1, y1 + t[0] * vy1])


def _refine_corners(quad: np.ndarray, contour: np.ndarray) -> np.ndarray:
    """Fit a line to the contour points along each side (ignoring the ends) and intersect neighbours:
    far more precise than the polygon approximation's vertices, and robust to dog-eared corners."""
    pts = contour.reshape(-1, 2).astype(np.float64)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        d = b - a
        L = np.hypot(*d)
        if L < 4:
            return quad
        u = d / L
        rel = pts - a
        t = rel @ u
        dist = np.abs(rel[:, 0] * u[1] - rel[:, 1] * u[0])
        sel = (t > 0.1 * L) & (t < 0.9 * L) & (dist < max(2.0, 0.03 * L))
        if sel.sum() < 5:
            return quad
        lines.append(cv2.fitLine(pts[sel].astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel())
    out = []
    for i in range(4):
        p = _line_intersection(lines[(i - 1) % 4], lines[i])
        if p is None or np.hypot(*(p - quad[i])) > 0.05 * np.hypot(*(quad[2] - quad[0])):
            return quad
        out.append(p)
    return np.array(out)



def _hull_quad(hull: np.ndarray, eps_steps: tuple[float, ...]) -> np.ndarray | None:
    """The convex hull simplified to 4 corners at the smallest tolerance (share of its perimeter) that gets
    there, or None when none does or the result is not convex."""
    peri = cv2.arcLength(hull, True)
    for eps in eps_steps:
        ap = cv2.approxPolyDP(hull, eps * peri, True)
        if len(ap) == 4:
            quad = ap.reshape(4, 2).astype(np.float64)
            return quad if cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)) else None
    return None

def find_sheet(image: np.ndarray, min_area: float = SHEET_MIN_AREA) -> np.ndarray | None:
    """Corners (4, 2) of a clearly visible sheet of paper (brighter than its surround), or None.

    None when no bright convex quadrilateral covers ``min_area`` of the photo, or when the paper fills
    the photo (nothing to undo).
    """
    h, w = image.shape[:2]
    s = min(1.0, _DETECT_SIDE / max(h, w))
    small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))),
                       interpolation=cv2.INTER_AREA) if s < 1 else image
    sh, sw = small.shape[:2]
    if min(sh, sw) < 32:
        return None
    # darkest channel: white paper stays bright under a shadow, a brown or coloured table does not
    gray = cv2.GaussianBlur(small.min(axis=2), (5, 5), 0)
    # ink and ruling would punch holes in the paper: a closing the size of a few strokes removes them
    gray = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    thr, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    best = None
    # a sweep of cuts: the Otsu cut can split a half-shadowed sheet; keep the best-fitting quadrilateral
    for t in sorted({float(thr) * f for f in (1.15, 1.0, 0.85, 0.7, 0.55)}, reverse=True):
        mask = (gray > t).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
        n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        if n < 2:
            continue
        i = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        _x, _y, bw, bh, area = stats[i]
        if area < min_area * sh * sw:
            continue
        if bw >= sw - 2 and bh >= sh - 2:
            continue  # the paper (or background) fills the photo
        comp = (lab == i).astype(np.uint8)
        contours, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cnt = max(contours, key=cv2.contourArea)
        hull = cv2.convexHull(cnt)
        quad = _hull_quad(hull, (0.01, 0.02, 0.03, 0.05, 0.08))
        if quad is None:
            continue
        qa = cv2.contourArea(quad.astype(np.float32))
        if not (0.85 < area / max(qa, 1.0) < 1.08):  # the component must really be that quadrilateral
            continue
        quad = order_corners(_refine_corners(order_corners(quad), cnt))
        # a corner on or beyond the photo's border: the sheet is cut off (or the cut leaked into the
        # background, which the border then closes into a false quadrilateral) -> not clearly visible
        if np.any((quad[:, 0] < 1.5) | (quad[:, 1] < 1.5) | (quad[:, 0] > sw - 2.5) | (quad[:, 1] > sh - 2.5)):
            continue
        fill = min(area / max(qa, 1.0), max(qa, 1.0) / area)
        if _DEBUG:
            print("sheet candidate", t, area, fill, quad.tolist())
        # larger is better while the blob stays a clean quadrilateral (a lower cut that still fits 4
        # straight sides has taken in a shadowed corner, not the table)
        score = area if fill >= 0.97 else area * fill ** 8
        if best is None or score > best[0]:
            best = (score, quad)
    if best is None:
        quad = _sheet_from_edges(gray, min_area)
        if quad is None:
            return None
        best = (0.0, quad)
    # pixel-index contour coordinates -> continuous coordinates of the full-size image
    return (best[1] + 0.5) / s


def _sheet_from_edges(gray: np.ndarray, min_area: float) -> np.ndarray | None:
    """Fallback when no brightness cut separates the sheet (strong light gradient, glare on the table
    as bright as the paper): the sheet's outline as the largest convex quadrilateral of edges, kept
    only if edges run along (nearly) all of its perimeter."""
    sh, sw = gray.shape
    edges = cv2.Canny(gray, 20, 60)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    best = None
    for cnt in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        hull = cv2.convexHull(cnt)
        if cv2.contourArea(hull) < min_area * sh * sw:
            break
        quad = _hull_quad(hull, (0.01, 0.02, 0.03, 0.05))
        if quad is None:
            continue
        quad = order_corners(_refine_corners(order_corners(quad), cnt))
        if np.any((quad[:, 0] < 1.5) | (quad[:, 1] < 1.5) | (quad[:, 0] > sw - 2.5) | (quad[:, 1] > sh - 2.5)):
            continue
        # edge support: sample the perimeter, count samples on an edge pixel
        pts = np.concatenate([np.linspace(quad[i], quad[(i + 1) % 4], 100) for i in range(4)])
        xi = np.clip(np.rint(pts[:, 0]).astype(int), 0, sw - 1)
        yi = np.clip(np.rint(pts[:, 1]).astype(int), 0, sh - 1)
        if float(np.mean(edges[yi, xi] > 0)) < 0.9:
            continue
        best = quad
        break
    return best


def _warp_to_sheet(image: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, Transform]:
    top, bottom = np.hypot(*(quad[1] - quad[0])), np.hypot(*(quad[2] - quad[3]))
    left, right = np.hypot(*(quad[3] - quad[0])), np.hypot(*(quad[2] - quad[1]))
    out_w, out_h = round(max(top, bottom)), round(max(left, right))
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    m_px = np.linalg.inv(half) @ m @ half  # continuous -> pixel-index convention for cv2
    warped = cv2.warpPerspective(image, m_px, (out_w, out_h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
    return warped, Transform(m)


# --- lighting ---------------------------------------------------------------------------------------
def even_out_lighting(rgb: np.ndarray) -> np.ndarray:
    """Divide every channel by the paper's brightness (estimated on the brightest channel): shadows and
    gradients go, the paper's tint and the ink's colour stay."""
    gray = brightest_channel(rgb)
    bg = background_estimate(gray, work_side=_BG_SIDE)
    out = rgb.astype(np.float32) * (255.0 / bg)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


# --- orientation ------------------------------------------------------------------------------------
def _quad_long_axis(quads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    e01 = np.linalg.norm(quads[:, 1] - quads[:, 0], axis=1)
    e12 = np.linalg.norm(quads[:, 2] - quads[:, 1], axis=1)
    return e01, e12


def _read_score(reads) -> float:
    """Characters read, weighted by confidence: upside-down text reads as few, unsure characters."""
    return float(sum(len(t.strip()) * c for t, c, _ in reads))


def _mean_confidence(reads) -> float:
    n = sum(len(t.strip()) for t, _, _ in reads)
    return _read_score(reads) / n if n else 0.0


ROTATION_PROBE_LINES = 8  # lines read upside down to decide between two opposite orientations
UPRIGHT_CONFIDENCE = 0.85  # lines read this confidently as they are need no upside-down check


def detect_rotation(image: np.ndarray, lines: np.ndarray, segmenter: TextReader) -> tuple[int, list | None]:
    """Clockwise degrees that turn ``image`` upright, from its detected text lines (quads in image px),
    and the recogniser's reading of every line in the upright orientation (reused by the segmenter).

    Across or down: the detected line boxes vote (long side horizontal or vertical, weighted by length).
    Which way round: the lines are read as they are; unless that reading is already confident, they are
    read turned by 180 degrees too, and the turned reading wins only when it is better read both ways: more
    characters by confidence and a higher mean confidence. Upright cursive reads poorly either way, and
    turned it can yield more characters at lower confidence (UNIPEN val lines drawn as photos: 5 of 180
    upright lines were turned over by the score alone, 1 with both; 28 of 30 lines photographed upside down
    are found either way).
    """
    if lines is None or len(lines) == 0:
        return 0, None
    e01 = np.linalg.norm(lines[:, 1] - lines[:, 0], axis=1)
    e12 = np.linalg.norm(lines[:, 2] - lines[:, 1], axis=1)
    longest = np.maximum(e01, e12)
    vertical = float(np.sum(longest[e12 > 1.3 * e01])) > float(np.sum(longest[e01 > 1.3 * e12]))
    crops = []
    for q in lines:
        c = segmenter.crop_line(image, q)
        if c is None:
            c = np.full((8, 8, 3), 255, np.uint8)
        elif vertical:  # turned counter-clockwise, text written top-to-bottom reads left to right
            c = np.ascontiguousarray(np.rot90(c))
        crops.append(c)
    as_is = segmenter.recognize(crops)
    if _mean_confidence(as_is) >= UPRIGHT_CONFIDENCE:
        return (270 if vertical else 0), as_is
    # time bound: the upside-down reading is tried on the longest few lines only
    probe = [int(i) for i in np.argsort(-longest)[:ROTATION_PROBE_LINES]]
    turned = segmenter.recognize([np.ascontiguousarray(crops[i][::-1, ::-1]) for i in probe])
    probed = [as_is[i] for i in probe]
    if _read_score(probed) >= _read_score(turned) or _mean_confidence(probed) >= _mean_confidence(turned):
        return (270 if vertical else 0), as_is
    if len(probe) < len(crops):
        turned = segmenter.recognize([np.ascontiguousarray(c[::-1, ::-1]) for c in crops])
    else:
        turned = [turned[probe.index(i)] for i in range(len(crops))]
    return (90 if vertical else 180), turned


# --- the stage --------------------------------------------------------------------------------------
def prepare_page(
    loaded: LoadedImage,
    *,
    find_sheet_enabled: bool = True,
    detect_upright: bool = True,
    segmenter: TextReader | None = None,
) -> PageImage:
    """Working photo -> upright, evenly lit page pixels, with the transforms back to the photo.

    ``segmenter`` (e.g. :func:`inference.photo.segment.default_segmenter`) provides the text detector and
    recogniser used to find the upright orientation, and is required for it; its detected lines ride along
    in ``text_lines``.
    """
    work = loaded.image
    quad = find_sheet(work) if find_sheet_enabled else None
    if quad is not None:
        page, tf = _warp_to_sheet(work, quad)
    else:
        page, tf = work, Transform.identity()

    rotation, lines, scores, reads = 0, None, None, None
    if detect_upright:
        if segmenter is None:
            raise ValueError("upright detection needs a segmenter (or detect_upright=False)")
        lines, scores = segmenter.detect(page)
        rotation, reads = detect_rotation(page, lines, segmenter)
    if rotation:
        k = rotation // 90
        rot = Transform.rotate90(k, page.shape[1], page.shape[0])
        page = np.ascontiguousarray(np.rot90(page, -k))
        tf = tf.then(rot)
        if lines is not None and len(lines):
            # re-start each quad at its upright top-left corner: the crop of np.roll(q, k) is the crop of q
            # turned as the page was, i.e. exactly what the reads above were made from
            lines = rot.apply(np.roll(lines, k, axis=1).reshape(-1, 2)).reshape(-1, 4, 2)
        if quad is not None:
            quad = np.roll(quad, k, axis=0)  # keep "page TL, TR, BR, BL" after the turn

    flat = even_out_lighting(page)
    norm = ink_darkness(page, work_side=_BG_SIDE)
    if quad is not None:
        # the sheet's edge (and a sliver of table where a corner is off by a pixel) is not ink
        b = max(2, round(0.01 * max(norm.shape)))
        norm[:b] = 0
        norm[-b:] = 0
        norm[:, :b] = 0
        norm[:, -b:] = 0
    return PageImage(image=flat, transform=tf, to_original=tf.inverse().then(loaded.transform.inverse()),
                     rotation=rotation, sheet_quad=quad, warped=quad is not None, normalized=norm, raw=page,
                     text_lines=lines, text_line_scores=scores, text_line_reads=reads)
