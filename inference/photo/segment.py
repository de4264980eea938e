"""Word segmentation with rapidocr 3.x (PP-OCR det + rec ONNX models bundled in its wheel).

We drive rapidocr's detector and recogniser ourselves rather than through ``RapidOCR.__call__``: its
word-box output drops lines without word info and filters by score, which can misalign lines and words,
and it splits mixed Latin/CJK lines into single characters. Here each detected line keeps its index,
word slots come from the recogniser's CTC columns (``WordInfo.word_cols``) and partition the line, and
each slot is then tightened to its ink (ruled lines are not ink: the brightest channel is used).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from itertools import pairwise

import cv2
import numpy as np

from .inkmask import brightest_channel, darkest_channel
from .page import PageImage, order_corners

ENGINE_PARAMS = {
    "Global.use_cls": False,  # the angle classifier flips upright handwriting
    "Global.log_level": "warning",
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}
MIN_WORD_SCORE = 0.3  # recognised words below this are still boxes, but lines scoring below are dropped
MIN_LINE_SCORE = 0.2
INKLESS_LINE_SCORE = 0.8  # a line with no ink under any word is dropped unless read this confidently
GAP_SPLIT_XH = 0.5  # an ink gap this many x-heights wide inside one recognised word splits it
MERGE_GAP_XH = 0.15  # two recognised words closer than this (deslanted) are one word


@dataclass(frozen=True, eq=False)
class WordBox:
    quad: np.ndarray  # (4, 2) float64 TL, TR, BR, BL in page px, tightened to the ink
    text: str
    confidence: float
    line: int  # index into Segmentation.lines
    order: int  # reading order over the page
    loose_quad: np.ndarray  # the word's slot on its detected line (full line height)
    tightened: bool = True


@dataclass(frozen=True, eq=False)
class TextLine:
    quad: np.ndarray  # (4, 2) detected line in page px
    text: str
    confidence: float
    words: tuple[int, ...] = ()  # indices into Segmentation.words


@dataclass(frozen=True, eq=False)
class Segmentation:
    words: list[WordBox] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)
    ink: np.ndarray | None = None  # bool ink mask of the page (page px), for drawings and the tracer


def ink_mask_from_darkness(dark: np.ndarray) -> np.ndarray:
    """Same rule as inkmask.ink_mask (Otsu with a floor) on an ink darkness map we already have."""
    u8 = np.clip(dark * 255, 0, 255).astype(np.uint8)
    if u8.size == 0 or u8.max() < 25:
        return np.zeros(u8.shape, bool)
    thr, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return u8 > max(thr, 40)


RULING_MAX_PX = 8  # ruled and grid lines are at most this thick (or 0.7% of the page side)
RULING_MIN_FRAC = 0.2  # straight lines longer than this share of the page side are ruling (a drawn box side is shorter)
RULING_MAX_DARKNESS = 0.12  # brighter than this in the brightest channel: coloured ruling, not a pen


def _hysteresis_mask(dark: np.ndarray) -> np.ndarray:
    """ink_mask_from_darkness, keeping only pieces that are somewhere clearly darker than the cut:
    faint grey ruling breaks up into specks just over the cut, a pen or pencil stroke has a dark core."""
    weak = ink_mask_from_darkness(dark)
    if not weak.any():
        return weak
    u8 = np.clip(dark * 255, 0, 255).astype(np.uint8)
    vals = u8[weak]
    cut = float(vals.min())
    strong_at = cut + 0.25 * (float(np.percentile(vals, 99)) - cut)
    n, lab = cv2.connectedComponents(weak.astype(np.uint8), connectivity=8)
    has_strong = np.zeros(n, bool)
    has_strong[np.unique(lab[weak & (u8 >= strong_at)])] = True
    has_strong[0] = False
    return has_strong[lab]


def page_ink_mask(page: PageImage) -> np.ndarray:
    """Bool ink mask of the page without ruling (for word boxes, drawings and the tracer).

    Blue or red ruling is dark only in its darkest channel, so inkmask's coloured-pen rule takes it for
    ink, and grey ruling is ink by any colour rule. Long straight lines go (remove_long_lines); along
    them, the short pieces between words go too when they are nearly paper-bright in their brightest
    channel (coloured ruling) or straight.
    """
    ink = _hysteresis_mask(page.normalized)
    if not ink.any():
        return ink
    tone = brightest_channel(page.image)
    light = tone >= 255.0 * (1.0 - RULING_MAX_DARKNESS) if page.image.ndim == 3 else None
    deep = darkest_channel(page.image) if page.image.ndim == 3 else None
    # rulings are found whole on a low cut (the ink cut keeps only bits of a faint or shadowed one)
    faint = page.normalized > RULING_FAINT * _darkness_cut(page.normalized)
    return remove_long_lines(ink, RULING_MIN_FRAC, light, tone, faint, deep)


RULING_FAINT = 0.35  # share of the ink cut at which faint rulings are still whole


def _darkness_cut(dark: np.ndarray) -> float:
    """The ink cut of ink_mask_from_darkness, as darkness."""
    u8 = np.clip(dark * 255, 0, 255).astype(np.uint8)
    thr, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return max(float(thr), 40.0) / 255.0


PEN_UNDER_RULING = 0.65  # on a ruling, pixels darker than this share of the ruling's own tone are a pen's
RULING_TONE = 0.8  # pieces along a ruling this close to its tone (or paper-light) are ruling
RULING_ROW_COVER = 0.6  # pieces in one straight row covering this share of the page side are a ruling
# (measured: synthetic rulings 0.9-1.0, a margin line half in shadow 0.65; the stems of letters in a
# column of text lines up to 0.39)
RULING_ROW_TONE = 160.0  # ... when lighter than this in the brightest channel (a row of pen ink is darker)
_ROW_SLOPES = np.linspace(-0.03, 0.03, 13)  # rulings of a rectified page are level within ~1.7 degrees


def _collinear_rows(pieces: np.ndarray, horizontal: bool, thick: int, tone: np.ndarray | None = None) -> np.ndarray:
    """Band (uint8) over the straight rows of ``pieces`` (thin straight bits of ink) that hold pieces
    across RULING_ROW_COVER of the page's side (and of 2/3 of its longer side: across a photo of one
    line, a letter's stem spans the height) and reach over half of it: a ruling broken up by shadow,
    faintness or the words on it. All rulings of a page share one slope, found first."""
    p = pieces if horizontal else pieces.T
    tn = None if tone is None else (tone if horizontal else tone.T)
    side = p.shape[1]
    ys, xs = np.nonzero(p)
    band = np.zeros(p.shape, np.uint8)
    min_cover = RULING_ROW_COVER * max(side, 2.0 * max(p.shape) / 3.0)
    if len(xs) < min_cover or min_cover > side:
        return np.zeros(pieces.shape, np.uint8)
    rel = xs - side / 2.0
    best = None
    for s in _ROW_SLOPES:  # the slope that stacks the pieces into the sharpest rows
        rows = np.rint(ys - s * rel).astype(np.int64)
        off = int(rows.min())
        hist = np.bincount(rows - off)
        score = float(np.dot(hist, hist))
        if best is None or score > best[0]:
            best = (score, s, rows, off)
    _, s, rows, off = best
    # distinct columns per row (a thick piece counts once), rows 1 px apart merged
    key = np.unique((rows - off) * side + xs)
    r, c = key // side, key % side
    cover = np.bincount(r, minlength=int(r.max()) + 3).astype(np.float64)
    cover = np.maximum(cover, np.maximum(np.roll(cover, 1), np.roll(cover, -1)))
    lo = np.full(len(cover), side, np.int64)
    hi = np.full(len(cover), -1, np.int64)
    np.minimum.at(lo, r, c)
    np.maximum.at(hi, r, c)
    for row in np.nonzero(cover >= min_cover)[0]:
        a, b = lo[max(0, row - 1):row + 2].min(), hi[max(0, row - 1):row + 2].max()
        if b - a < 0.5 * side:
            continue
        sel = np.abs(rows - off - row) <= 1
        if tn is not None and float(np.median(tn[ys[sel], xs[sel]])) < RULING_ROW_TONE:
            continue
        y0 = row + off + s * (0 - side / 2.0)
        y1 = row + off + s * (side - 1 - side / 2.0)
        cv2.line(band, (0, round(y0)), (side - 1, round(y1)), 1, thick)
    return band if horizontal else np.ascontiguousarray(band.T)


def _darker_than_own_line(r: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """Pixels of ``r`` (uint8) clearly darker than the core of their own line (connected piece of ``r``;
    its core: the darkest fifth, as ``r`` takes in the line's lighter blurred edges): a line in a shadow
    or at the bottom of the page is darker than the others, not a pen."""
    out = np.zeros_like(r)
    n, lab, st, _ = cv2.connectedComponentsWithStats(r, connectivity=8)
    for i in range(1, n):
        x, y, w, h = st[i, :4]
        sub = lab[y:y + h, x:x + w] == i
        t = tone[y:y + h, x:x + w]
        out[y:y + h, x:x + w] |= (sub & (t < PEN_UNDER_RULING * float(np.percentile(t[sub], 20)))).astype(np.uint8)
    return out


def _like(channel: np.ndarray, on: np.ndarray, share: float) -> np.ndarray:
    """Pixels at least ``share`` of the ruling's own median value in ``channel`` (``on``: the ruling)."""
    return channel >= share * float(np.median(channel[on]))


def remove_long_lines(mask: np.ndarray, min_frac: float = 0.1, light: np.ndarray | None = None,
                      tone: np.ndarray | None = None, faint: np.ndarray | None = None,
                      deep: np.ndarray | None = None) -> np.ndarray:
    """The mask without ruled, grid and margin lines that pass as ink (grey ruling cannot be told from
    pencil by colour, and blue ruling is as dark as a blue pen in its darkest channel).

    Straight horizontal/vertical runs longer than ``min_frac`` of the page side are ruling (short breaks
    along a faint line are bridged first). Where words interrupt a ruled line the pieces between them
    are short, so each long piece is extended along its own direction across the page, and straight
    runs inside that band go too (only ``light`` pixels, if given: coloured ruling is paper-bright in
    the brightest channel). Handwriting crossing a line keeps its strokes. With ``tone`` (the brightest
    channel, paper ~255), pen strokes lying along a line keep their pixels where they are clearly darker
    than the line itself (an underline or an arrow shaft drawn on a ruled line; the line's own tone is the
    median of what it would remove, so a ruling as dark as the pen stays removed). ``faint``: a
    low-cut mask on which faint rulings are whole; rows of straight pieces across the page there are
    rulings too, and what in them is about as light as they are goes. ``deep`` (the darkest channel)
    tells a coloured pen from the ruling where the brightest channel cannot (a red pen is paper-light
    there).
    """
    h, w = mask.shape
    m8 = mask.astype(np.uint8)
    removes = []
    row_bands = np.zeros_like(m8)
    likes = np.zeros(m8.shape, bool)
    for horizontal in (True, False):
        side = w if horizontal else h
        # measured against the longer side: on a photo of one line, 20% of its height is a letter's stem
        length = max(15, int(max(h, w) * min_frac))
        gap = 9  # bridges short breaks in faint ruling (longer bridges glue words into lines)
        bridge = (gap, 1) if horizontal else (1, gap)
        along = (length, 1) if horizontal else (1, length)
        closed = cv2.morphologyEx(m8, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
        lines = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))
        # ruling is thin: a band thicker than RULING_MAX_PX across is a row of words whose letters the
        # bridging joined up, not a line
        t = max(RULING_MAX_PX, int(0.007 * max(h, w)))
        thick = (1, t + 1) if horizontal else (t + 1, 1)
        lines &= 1 - cv2.morphologyEx(lines, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, thick))
        short = (11, 1) if horizontal else (1, 11)
        straight = cv2.morphologyEx(m8, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, short))
        if faint is not None:
            straight_f = cv2.morphologyEx(faint.astype(np.uint8) | m8, cv2.MORPH_OPEN,
                                          cv2.getStructuringElement(cv2.MORPH_RECT, short))
        else:
            straight_f = straight
        thin = straight_f & (1 - cv2.morphologyEx(straight_f, cv2.MORPH_OPEN,
                                                  cv2.getStructuringElement(cv2.MORPH_RECT, thick)))
        # a faint or shadowed ruling breaks into pieces none of which is long: pieces in a row across
        # the page are one
        rows = _collinear_rows(thin, horizontal, t, tone)
        if not lines.any() and not rows.any():
            continue
        band = np.zeros_like(m8)
        n, lab, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        for i in range(1, min(n, 400)):
            x, y, bw, bh, area = stats[i]
            extent = bw if horizontal else bh
            thick = max(1, area // max(extent, 1))
            ys, xs = np.nonzero(lab[y:y + bh, x:x + bw] == i)
            a, b = (xs + x, ys + y) if horizontal else (ys + y, xs + x)  # along, across
            if len(a) < 2 or np.ptp(a) == 0:
                continue
            slope, icpt = np.polyfit(a, b, 1)
            a0, a1 = 0, side - 1
            p0, p1 = (a0, slope * a0 + icpt), (a1, slope * a1 + icpt)
            if not horizontal:
                p0, p1 = p0[::-1], p1[::-1]
            q0, q1 = np.rint(p0).astype(int), np.rint(p1).astype(int)
            cv2.line(band, (int(q0[0]), int(q0[1])), (int(q1[0]), int(q1[1])), 1, int(thick) + 4)
        cand = band & straight
        if light is not None:
            cand &= light.astype(np.uint8)
        on = (rows & straight) > 0
        if tone is not None and on.any():
            # a ruling found as a row of pieces (faint, or in a shadow): what in it is about as light as
            # the ruling itself goes, in the brightest channel and in the darkest (where a red or blue
            # pen is dark although paper-light in the brightest)
            like = _like(tone, on, RULING_TONE) & (_like(deep, on, RULING_TONE) if deep is not None else True)
            cand |= rows & straight & like.astype(np.uint8)
            likes |= like
            row_bands |= rows
        across = np.ones((3, 1) if horizontal else (1, 3), np.uint8)  # grow across the line only
        removes.append((cv2.dilate((lines | cand) & m8, across), horizontal))
    if not removes:
        return mask
    gone = np.zeros_like(m8)
    pen = np.zeros_like(m8)
    for r, _ in removes:
        if tone is not None and r.any():
            # the brightest channel only: the core of a saturated blue ruling is as dark as a pen in the
            # darkest (measured: blue-ruled pages lost 0.12-0.16 precision to ruling given back)
            pen |= _darker_than_own_line(r, tone)
        gone |= r
    if len(removes) == 2:
        # where two rulings cross (and a blurred pixel or two around) they are darker than either
        pen &= 1 - cv2.dilate(removes[0][0] & removes[1][0], np.ones((5, 5), np.uint8))
    gone &= 1 - pen
    kept = m8 & (gone == 0)
    # strokes crossing or sitting on a line: give back the line's pixels next to ink that stays
    # (within 2 px across the line), so letters are not cut in two or thinned away
    out = kept.copy()
    for r, horizontal in removes:
        near = cv2.dilate(kept, np.ones((5, 1) if horizontal else (1, 5), np.uint8))
        out |= r & near
    # what is left wholly inside a ruling's band, as light as a ruling, is a bit of it (where two rulings
    # cross, or a blurred stretch too short to look straight)
    n, lab = cv2.connectedComponents(out, connectivity=8)
    if n > 1 and row_bands.any():
        total = np.bincount(lab.ravel(), minlength=n)
        piece = np.bincount(lab[row_bands > 0], minlength=n) == total
        piece &= np.bincount(lab[likes], minlength=n) >= 0.5 * total
        piece[0] = False
        out &= (~piece[lab]).astype(np.uint8)
    return out.astype(bool)


def _crop_transform(quad: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Perspective matrix (continuous coords) from a line quad onto an upright crop, and its size."""
    w = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    h = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return cv2.getPerspectiveTransform(quad.astype(np.float32), dst), w, h


_HALF = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])


def _warp(img: np.ndarray, m: np.ndarray, w: int, h: int, interp=cv2.INTER_CUBIC) -> np.ndarray:
    m_px = np.linalg.inv(_HALF) @ m @ _HALF
    return cv2.warpPerspective(img, m_px, (w, h), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def _apply_h(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = np.column_stack([pts, np.ones(len(pts))]) @ m.T
    return p[:, :2] / p[:, 2:3]


class Segmenter:
    """Builds rapidocr once (lazily, thread-safe) and turns pages into word boxes."""

    def __init__(self, threads: int = 2, limit_side_len: int = 1280):
        self.threads = threads
        self.limit_side_len = limit_side_len
        self._engine = None
        self._lock = threading.Lock()

    # --- engine -------------------------------------------------------------------------------------
    @property
    def engine(self):
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    from rapidocr import RapidOCR  # heavy import, only when needed

                    params = dict(ENGINE_PARAMS)
                    params["Det.limit_side_len"] = self.limit_side_len
                    params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(self.threads)
                    eng = RapidOCR(params=params)
                    eng._load_det_model()
                    eng._load_rec_model()
                    self._engine = eng
        return self._engine

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Text-line quads (n, 4, 2) in ``rgb``'s continuous px (TL, TR, BR, BL) and their scores."""
        if min(rgb.shape[:2]) < 8:
            return np.zeros((0, 4, 2)), np.zeros(0)
        det = self.engine.text_det(np.ascontiguousarray(rgb[..., ::-1]))
        if det.boxes is None or len(det.boxes) == 0:
            return np.zeros((0, 4, 2)), np.zeros(0)
        boxes = np.asarray(det.boxes, np.float64).reshape(-1, 4, 2)
        boxes = np.array([order_corners(b) for b in boxes])
        return boxes, np.asarray(det.scores, np.float64)

    @staticmethod
    def crop_line(rgb: np.ndarray, quad: np.ndarray) -> np.ndarray | None:
        m, w, h = _crop_transform(quad)
        if w < 2 or h < 2:
            return None
        return _warp(rgb, m, w, h)

    def recognize(self, crops: list[np.ndarray]):
        """[(text, confidence, WordInfo)] for RGB line crops, in order."""
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec import TextRecInput

        bgr = [np.ascontiguousarray(c[..., ::-1]) for c in crops]
        out = self.engine.text_rec(TextRecInput(img=bgr, return_word_box=True))
        return [(t, float(s), wi) for t, s, wi in zip(out.txts, out.scores, out.word_results)]

    # --- the stage ----------------------------------------------------------------------------------
    def segment(self, page: PageImage) -> Segmentation:
        img = page.image
        if page.text_lines is not None:
            quads = page.text_lines
        else:
            quads, _ = self.detect(img)
        ink = page_ink_mask(page)
        if len(quads) == 0:
            return Segmentation(words=[], lines=[], ink=ink)

        reads = page.text_line_reads if page.text_lines is not None else None
        if reads is not None and len(reads) == len(quads):
            widths = [_crop_transform(q)[1] for q in quads]
            rec = reads
        else:
            crops = [self.crop_line(img, q) for q in quads]
            crops = [c if c is not None else np.full((8, 8, 3), 255, np.uint8) for c in crops]
            widths = [c.shape[1] for c in crops]
            rec = self.recognize(crops)

        raw_lines = []
        for q, width, (text, score, winfo) in zip(quads, widths, rec):
            if not text.strip() or score < MIN_LINE_SCORE:
                continue
            words = _word_slots(text, winfo, width)
            raw_lines.append((q, text, score, words))
        order = _reading_order([r[0] for r in raw_lines])
        word_ink = ink.astype(np.uint8)

        words_out: list[WordBox] = []
        lines_out: list[TextLine] = []
        for li, _phys_line in order:
            q, text, score, slots = raw_lines[li]
            m, w, h = _crop_transform(q)
            minv = np.linalg.inv(m)
            ink_crop = _warp(word_ink, m, w, h, cv2.INTER_NEAREST) > 0
            fits = _fit_words(slots, ink_crop)
            if score < INKLESS_LINE_SCORE and all(t is None for _, t in fits):
                continue  # text read where the page has no ink: bleed-through from the back, or noise
            line_idx = len(lines_out)
            idxs = []
            for sl, tight in fits:
                wtext, wconf, x0, x1 = sl.text, sl.conf, sl.x0, sl.x1
                loose = np.array([[x0, 0], [x1, 0], [x1, h], [x0, h]], float)
                ok = tight is not None
                box = tight if ok else loose
                idxs.append(len(words_out))
                words_out.append(WordBox(quad=_apply_h(minv, box), text=wtext, confidence=wconf,
                                         line=line_idx, order=0, loose_quad=_apply_h(minv, loose),
                                         tightened=ok))
            lines_out.append(TextLine(quad=q, text=text, confidence=score, words=tuple(idxs)))
        # reading order: by line (already sorted), words left to right within a line
        words_sorted = []
        for ln in lines_out:
            ws = sorted(ln.words, key=lambda k: words_out[k].quad[:, 0].mean())
            words_sorted.extend(ws)
        remap = {old: new for new, old in enumerate(words_sorted)}
        final = []
        for new, old in enumerate(words_sorted):
            wb = words_out[old]
            final.append(WordBox(quad=wb.quad, text=wb.text, confidence=wb.confidence, line=wb.line,
                                 order=new, loose_quad=wb.loose_quad, tightened=wb.tightened))
        lines_final = [TextLine(quad=ln.quad, text=ln.text, confidence=ln.confidence,
                                words=tuple(sorted(remap[k] for k in ln.words))) for ln in lines_out]
        return Segmentation(words=final, lines=lines_final, ink=ink)

    __call__ = segment


_SHARED: dict[int, Segmenter] = {}
_DEFAULT_LOCK = threading.Lock()


def default_segmenter(threads: int = 2) -> Segmenter:
    """One shared Segmenter per thread count and process (building the engine costs ~0.3 s; batch workers
    run with fewer threads than a desktop conversion)."""
    with _DEFAULT_LOCK:
        if threads not in _SHARED:
            _SHARED[threads] = Segmenter(threads=threads)
        return _SHARED[threads]


# --- helpers ----------------------------------------------------------------------------------------
@dataclass
class _Slot:
    chars: list[str]
    xs: list[float]  # crop-x of each character's CTC column centre
    conf: float
    x0: float
    x1: float

    @property
    def text(self) -> str:
        return "".join(self.chars)


def _word_slots(text: str, winfo, crop_w: int) -> list[_Slot]:
    """(text, confidence, x0, x1) per word in crop px; the slots partition the line between words.

    rapidocr's WordInfo gives, per word, the CTC columns of its characters; ``line_txt_len`` columns
    span the crop's width. Word boundaries go half-way between the last column of one word and the
    first of the next.
    """
    words = getattr(winfo, "words", None) or []
    cols = getattr(winfo, "word_cols", None) or []
    n_cols = float(getattr(winfo, "line_txt_len", 0) or 0)
    confs = list(getattr(winfo, "confs", None) or [])
    if not words or n_cols <= 0:
        t = text.strip()
        return [_Slot(list(t), list(np.linspace(0, crop_w, len(t) + 2)[1:-1]), 1.0, 0.0, float(crop_w))]
    colw = crop_w / n_cols
    # per-character confidences follow the text's characters (spaces included)
    char_conf = [confs[k] if k < len(confs) else 1.0 for k in range(len(text))]
    wconfs, pos = [], 0
    for wchars in words:
        cs = []
        for ch in wchars:
            while pos < len(text) and text[pos] != ch:
                pos += 1
            if pos < len(text):
                cs.append(char_conf[pos])
                pos += 1
        wconfs.append(float(np.mean(cs)) if cs else 0.0)
    out = []
    for i, (wchars, wc) in enumerate(zip(words, cols)):
        if i == 0:
            x0 = 0.0
        else:
            x0 = (cols[i - 1][-1] + wc[0] + 1) / 2.0 * colw
        if i == len(words) - 1:
            x1 = float(crop_w)
        else:
            x1 = (wc[-1] + cols[i + 1][0] + 1) / 2.0 * colw
        out.append(_Slot(list(wchars), [(c + 0.5) * colw for c in wc], wconfs[i], max(0.0, x0),
                         min(float(crop_w), x1)))
    return out


@dataclass
class _Ink:
    """Ink extent of (part of) a word in a line crop: sx = x after deslanting, x/y = crop px."""

    sx0: float
    sx1: float
    x0: float
    x1: float
    y0: float
    y1: float

    def join(self, o: _Ink) -> _Ink:
        return _Ink(min(self.sx0, o.sx0), max(self.sx1, o.sx1), min(self.x0, o.x0), max(self.x1, o.x1),
                    min(self.y0, o.y0), max(self.y1, o.y1))


def _deslant(xs: np.ndarray, ys: np.ndarray, h: int) -> float:
    """Shear s (x' = x + s (y - h/2)) that makes the ink's columns most peaked (upright writing)."""
    if len(xs) < 20:
        return 0.0
    best, best_s = -1.0, 0.0
    yc = ys - h / 2.0
    for sh in np.linspace(-0.5, 0.5, 11):
        xp = np.round(xs + sh * yc).astype(np.int64)
        hist = np.bincount(xp - xp.min())
        v = float(np.dot(hist, hist))
        if v > best:
            best, best_s = v, float(sh)
    return best_s


def _fit_words(slots: list[_Slot], ink_crop: np.ndarray) -> list[tuple[_Slot, np.ndarray | None]]:
    """Tighten the word slots of a line crop to their ink, splitting and merging at ink gaps.

    The line's ink comes as connected components; those that do not reach the middle band of the line
    belong to the neighbouring lines (their ascenders/descenders poke into a detected line box) and are
    dropped. A component goes to the slot holding its centre, so a slanted letter that leans into the
    next word's slot stays with its word; only components much wider than their slot (an underline,
    joined-up words) are clipped to each slot. Gaps are measured after deslanting. Within a slot, a gap
    of GAP_SPLIT_XH x-heights splits the word (the recogniser often reads two handwritten words as one);
    between neighbouring words, a gap under MERGE_GAP_XH merges them (a space read inside a word).
    Characters follow their CTC column. Returns (slot, tight box in crop px or None).
    """
    h = ink_crop.shape[0]
    if h < 3 or not ink_crop.any():
        return [(sl, None) for sl in slots]
    n, lab, stats, cent = cv2.connectedComponentsWithStats(ink_crop.astype(np.uint8), connectivity=8)
    band = lab[int(h * 0.3):max(int(h * 0.3) + 1, int(h * 0.7))]
    keep = np.zeros(n, bool)
    keep[np.unique(band)] = True
    keep[0] = False
    keep &= stats[:, cv2.CC_STAT_AREA] >= 4
    if not keep.any():
        return [(sl, None) for sl in slots]
    core = keep[lab]
    rows = core.sum(axis=1)
    xh = max(4.0, float(np.count_nonzero(rows > 0.35 * rows.max())))  # ~ the line's x-height
    split_gap = max(3.0, GAP_SPLIT_XH * xh)
    ys, xs = np.nonzero(core)
    shear = _deslant(xs, ys, h)
    sxs = xs + shear * (ys - h / 2.0)
    ids = lab[ys, xs]
    sx0 = np.full(n, np.inf)
    sx1 = np.full(n, -np.inf)
    np.minimum.at(sx0, ids, sxs)
    np.maximum.at(sx1, ids, sxs)

    edges = np.array([sl.x0 for sl in slots[1:]])
    inks: list[list[_Ink]] = [[] for _ in slots]
    for c in np.nonzero(keep)[0]:
        x, y, bw, bh, _ = stats[c]
        j = int(np.searchsorted(edges, cent[c][0], side="right"))
        if bw > 1.5 * max(slots[j].x1 - slots[j].x0, 1.0) and len(slots) > 1:
            for k, sl in enumerate(slots):  # spans several words: clip to each slot
                a, b = int(max(x, np.floor(sl.x0))), int(min(x + bw, np.ceil(sl.x1)))
                if b <= a:
                    continue
                py, px = np.nonzero(lab[y:y + bh, a:b] == c)
                if len(px) >= 4:
                    spx = a + px + shear * (y + py - h / 2.0)
                    inks[k].append(_Ink(spx.min(), spx.max() + 1, a + px.min(), a + px.max() + 1,
                                        y + py.min(), y + py.max() + 1))
        else:
            inks[j].append(_Ink(sx0[c], sx1[c] + 1, x, x + bw, y, y + bh))

    # letter gaps inside the recognised words set the scale: a word gap must be clearly wider than
    # the writer's usual gap between letters (wide print handwriting has big letter gaps)
    letter_gaps = []
    for ink in inks:
        ink.sort(key=lambda i: i.sx0)
        right = -np.inf
        for i in ink:
            if i.sx0 - right > 0 and np.isfinite(right):
                letter_gaps.append(i.sx0 - right)
            right = max(right, i.sx1)
    if len(letter_gaps) >= 3:
        split_gap = max(split_gap, 1.5 * float(np.median(letter_gaps)))

    parts: list[tuple[_Slot, _Ink | None]] = []
    for sl, ink in zip(slots, inks):
        if not ink:
            parts.append((sl, None))
            continue
        ink.sort(key=lambda i: i.sx0)
        groups = [ink[0]]
        for i in ink[1:]:
            if i.sx0 - groups[-1].sx1 >= split_gap:
                groups.append(i)
            else:
                groups[-1] = groups[-1].join(i)
        if len(groups) == 1:
            parts.append((sl, groups[0]))
        else:
            parts.extend(_assign_chars(groups, sl, xh))

    # a space read inside a word: much narrower than this line's other word gaps
    gaps = [max(b[1].sx0 - a[1].sx1, b[1].x0 - a[1].x1) for a, b in pairwise(parts)
            if a[1] is not None and b[1] is not None]
    merge_gap = MERGE_GAP_XH * xh
    if len(gaps) >= 3:
        merge_gap = max(merge_gap, min(0.5 * xh, 0.45 * float(np.median(gaps))))
    merged: list[tuple[_Slot, _Ink | None]] = []
    for sl, g in parts:
        # merge only when the words touch both as written and deslanted (a wrong slant estimate
        # must not glue words together)
        if merged and g is not None and merged[-1][1] is not None and \
                max(g.sx0 - merged[-1][1].sx1, g.x0 - merged[-1][1].x1) < merge_gap:
            psl, pg = merged[-1]
            n1, n2 = max(1, len(psl.chars)), max(1, len(sl.chars))
            merged[-1] = (_Slot(psl.chars + sl.chars, psl.xs + sl.xs, (psl.conf * n1 + sl.conf * n2) / (n1 + n2),
                                psl.x0, sl.x1), pg.join(g))
        else:
            merged.append((sl, g))

    out = []
    for sl, g in merged:
        tight = None
        if g is not None and not ((g.x1 - g.x0) < 2 and (g.y1 - g.y0) < 0.3 * h):
            tight = np.array([[g.x0 - 1, g.y0 - 1], [g.x1 + 1, g.y0 - 1], [g.x1 + 1, g.y1 + 1],
                              [g.x0 - 1, g.y1 + 1]], float)
        out.append((sl, tight))
    return out


def _assign_chars(groups: list[_Ink], sl: _Slot, xh: float) -> list[tuple[_Slot, _Ink]]:
    """Characters go to the ink group under their CTC column (else the nearest); a group that gets no
    character and is narrower than 1.5 x-heights is a stray mark and joins its nearer neighbour."""
    centres = np.array([(g.x0 + g.x1) / 2 for g in groups])
    chars: list[list[str]] = [[] for _ in groups]
    xs: list[list[float]] = [[] for _ in groups]
    for ch, x in zip(sl.chars, sl.xs):
        inside = [k for k, g in enumerate(groups) if g.x0 <= x <= g.x1]
        k = inside[0] if inside else int(np.argmin(np.abs(centres - x)))
        chars[k].append(ch)
        xs[k].append(x)
    kept: list[list] = []  # [ink, chars, xs]
    pending: _Ink | None = None  # a stray waiting to join the next group
    for k, g in enumerate(groups):
        if pending is not None:
            g = g.join(pending)
            pending = None
        if not chars[k] and (g.x1 - g.x0) < 1.5 * xh and len(groups) > 1:
            gap_prev = g.sx0 - kept[-1][0].sx1 if kept else np.inf
            gap_next = groups[k + 1].sx0 - g.sx1 if k + 1 < len(groups) else np.inf
            if kept and gap_prev <= gap_next:
                kept[-1][0] = kept[-1][0].join(g)
                continue
            if k + 1 < len(groups):
                pending = g
                continue
        kept.append([g, chars[k], xs[k]])
    out = []
    for i, (g, cs, xx) in enumerate(kept):
        x0 = sl.x0 if i == 0 else (kept[i - 1][0].x1 + g.x0) / 2
        x1 = sl.x1 if i == len(kept) - 1 else (g.x1 + kept[i + 1][0].x0) / 2
        out.append((_Slot(list(cs), list(xx), sl.conf if cs else 0.5 * sl.conf, x0, x1), g))
    return out


def _reading_order(quads: list[np.ndarray]) -> list[tuple[int, int]]:
    """[(index, physical line)] in reading order: columns separated by a clear vertical gutter are read one
    after the other (left first), each top to bottom; boxes overlapping vertically by more than half their
    height share a physical line and are read left to right."""
    if not quads:
        return []
    ys = np.array([[q[:, 1].min(), q[:, 1].max()] for q in quads])
    xs = np.array([[q[:, 0].min(), q[:, 0].max()] for q in quads])
    out: list[tuple[int, int]] = []
    for block in _column_blocks(list(range(len(quads))), xs, ys):
        base = out[-1][1] + 1 if out else 0
        out += [(i, base + gi) for i, gi in _line_order(block, xs[:, 0], ys)]
    return out


def _gap(lo: np.ndarray, hi: np.ndarray, min_gap: float) -> float | None:
    """Middle of the widest gap of at least ``min_gap`` between the intervals [lo, hi], or None."""
    order = np.argsort(lo)
    reach, best, at = hi[order[0]], min_gap, None
    for k in order[1:]:
        if lo[k] - reach >= best:
            best, at = lo[k] - reach, 0.5 * (lo[k] + reach)
        reach = max(reach, hi[k])
    return at


def _column_blocks(idx: list[int], xs: np.ndarray, ys: np.ndarray, min_side: int = 3) -> list[list[int]]:
    """Recursive XY cut: split at a vertical gutter with >= ``min_side`` lines on each side that sit side by
    side, else at the widest horizontal gap (a heading above two columns), else one block."""
    if len(idx) < 2 * min_side:
        return [idx]
    ix = np.array(idx)
    line_h = float(np.median(ys[ix, 1] - ys[ix, 0]))
    cut = _gap(xs[ix, 0], xs[ix, 1], max(line_h, 1.0))
    if cut is not None:
        left = [i for i in idx if xs[i, 1] <= cut]
        right = [i for i in idx if xs[i, 0] >= cut]
        overlap = min(ys[left, 1].max(), ys[right, 1].max()) - max(ys[left, 0].min(), ys[right, 0].min()) \
            if left and right else 0.0
        if len(left) >= min_side and len(right) >= min_side and overlap > 2 * line_h:
            return _column_blocks(left, xs, ys, min_side) + _column_blocks(right, xs, ys, min_side)
    cut = _gap(ys[ix, 0], ys[ix, 1], 0.5 * line_h)
    if cut is None:
        return [idx]
    top = [i for i in idx if ys[i, 1] <= cut]
    bottom = [i for i in idx if ys[i, 0] >= cut]
    return _column_blocks(top, xs, ys, min_side) + _column_blocks(bottom, xs, ys, min_side)


def _line_order(block: list[int], x0: np.ndarray, ys: np.ndarray) -> list[tuple[int, int]]:
    idx = sorted(block, key=lambda i: (ys[i].mean()))
    groups: list[list[int]] = []
    for i in idx:
        placed = False
        for g in groups:
            gy0 = np.median(ys[g, 0])
            gy1 = np.median(ys[g, 1])
            ov = min(gy1, ys[i, 1]) - max(gy0, ys[i, 0])
            if ov > 0.5 * min(gy1 - gy0, ys[i, 1] - ys[i, 0]):
                g.append(i)
                placed = True
                break
        if not placed:
            groups.append([i])
    groups.sort(key=lambda g: np.mean(ys[g].mean(axis=1)))
    return [(i, gi) for gi, g in enumerate(groups) for i in sorted(g, key=lambda i: x0[i])]
