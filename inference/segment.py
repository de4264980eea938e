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

import cv2
import numpy as np

from .page import PageImage, _order_corners

ENGINE_PARAMS = {
    "Global.use_cls": False,  # the angle classifier flips upright handwriting
    "Global.log_level": "warning",
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
}
MIN_WORD_SCORE = 0.3  # recognised words below this are still boxes, but lines scoring below are dropped
MIN_LINE_SCORE = 0.2


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
        boxes = np.array([_order_corners(b) for b in boxes])
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
        ink = ink_mask_from_darkness(page.normalized)
        if len(quads) == 0:
            return Segmentation(words=[], lines=[], ink=ink)

        crops, keep = [], []
        for i, q in enumerate(quads):
            c = self.crop_line(img, q)
            if c is not None:
                crops.append(c)
                keep.append(i)
        quads = quads[keep]
        rec = self.recognize(crops)

        raw_lines = []
        for q, crop, (text, score, winfo) in zip(quads, crops, rec):
            if not text.strip() or score < MIN_LINE_SCORE:
                continue
            words = _word_slots(text, winfo, crop.shape[1])
            raw_lines.append((q, text, score, words))
        order = _reading_order([r[0] for r in raw_lines])

        words_out: list[WordBox] = []
        lines_out: list[TextLine] = []
        for line_idx, (li, phys_line) in enumerate(order):
            q, text, score, slots = raw_lines[li]
            m, w, h = _crop_transform(q)
            minv = np.linalg.inv(m)
            ink_crop = _warp(ink.astype(np.uint8), m, w, h, cv2.INTER_NEAREST) > 0
            core = _core_components(ink_crop)
            idxs = []
            for wtext, wconf, x0, x1 in slots:
                loose = np.array([[x0, 0], [x1, 0], [x1, h], [x0, h]], float)
                tight = _tighten(core, x0, x1)
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


_DEFAULT: Segmenter | None = None
_DEFAULT_LOCK = threading.Lock()


def default_segmenter() -> Segmenter:
    """One shared 2-thread Segmenter per process (building the engine costs ~0.3 s)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Segmenter(threads=2)
        return _DEFAULT


# --- helpers ----------------------------------------------------------------------------------------
def _word_slots(text: str, winfo, crop_w: int) -> list[tuple[str, float, float, float]]:
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
        return [(text.strip(), 1.0, 0.0, float(crop_w))]
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
        out.append(("".join(wchars), wconfs[i], max(0.0, x0), min(float(crop_w), x1)))
    return out


def _core_components(ink_crop: np.ndarray) -> np.ndarray:
    """Ink of this line only: components touching the middle band of the line crop (neighbouring lines'
    descenders and ascenders poke into the top and bottom of a detected line but not into its middle)."""
    h, _w = ink_crop.shape
    if h < 3 or not ink_crop.any():
        return ink_crop
    n, lab, stats, _ = cv2.connectedComponentsWithStats(ink_crop.astype(np.uint8), connectivity=8)
    band = lab[int(h * 0.3):max(int(h * 0.3) + 1, int(h * 0.7))]
    keep = np.zeros(n, bool)
    keep[np.unique(band)] = True
    keep[0] = False
    # dots and specks (i-dots, punctuation) inside the line count if they are not at its edge
    small = stats[:, cv2.CC_STAT_AREA] < 4
    keep &= ~small
    return keep[lab]


def _tighten(core: np.ndarray, x0: float, x1: float) -> np.ndarray | None:
    """Ink bounding box of the slot [x0, x1) in crop px, or None when the slot holds too little ink."""
    h, w = core.shape
    a, b = int(max(0, np.floor(x0))), int(min(w, np.ceil(x1)))
    if b - a < 2:
        return None
    sub = core[:, a:b]
    cnt = int(sub.sum())
    if cnt < max(6, 0.002 * sub.size):
        return None
    ys, xs = np.nonzero(sub)
    tx0, tx1 = a + xs.min(), a + xs.max() + 1
    ty0, ty1 = ys.min(), ys.max() + 1
    if (tx1 - tx0) < 0.15 * (b - a) and (ty1 - ty0) < 0.3 * h:
        return None  # a speck, not the word: keep the loose box
    pad = 1.0
    return np.array([[tx0 - pad, ty0 - pad], [tx1 + pad, ty0 - pad], [tx1 + pad, ty1 + pad],
                     [tx0 - pad, ty1 + pad]], float)


def _reading_order(quads: list[np.ndarray]) -> list[tuple[int, int]]:
    """[(index, physical line)] sorted top to bottom; boxes overlapping vertically by more than half
    their height share a physical line and are read left to right."""
    if not quads:
        return []
    ys = np.array([[q[:, 1].min(), q[:, 1].max()] for q in quads])
    xs = np.array([q[:, 0].min() for q in quads])
    idx = sorted(range(len(quads)), key=lambda i: (ys[i].mean()))
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
    out = []
    for gi, g in enumerate(groups):
        for i in sorted(g, key=lambda i: xs[i]):
            out.append((i, gi))
    return out
