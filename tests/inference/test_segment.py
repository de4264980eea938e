"""Segmentation end to end on generated pages (load -> page -> segment -> drawings -> debug overlay).

OCR is ~1 s a page on 2 cores, so every page runs once (session fixture) and the tests share it.
The larger measurement is ``python -m benchmarks.eval_segment_synth``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from inference.photo.debug import write_debug_overlay
from inference.photo.drawings import find_drawings
from inference.photo.load import load_image
from inference.photo.page import PageImage, prepare_page
from inference.photo.segment import Segmentation, Segmenter
from tests.inference.synthpage import SynthPage, corner_error, make_page, match_boxes, quad_iou

# The first five pages of `python -m benchmarks.eval_segment_synth` (seeds 0..4, every condition drawn
# at random: paper, perspective on a table, shadow, blur, noise, JPEG, quarter turns). Between them they
# hold all four quarter turns, warped and unwarped pages, plain and grid paper.
EVAL_PAGES = {f"eval{i}": (i, {}) for i in range(5)}
PAGES = {**EVAL_PAGES,
         "drawing": (105, {"paper": "ruled", "rotation": 0, "perspective": False, "drawing": True,
                              "n_lines": 5})}


@dataclass
class Run:
    synth: SynthPage
    loaded: object
    page: PageImage
    seg: Segmentation


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    return Segmenter(threads=2)


@pytest.fixture(scope="session")
def runs(segmenter) -> dict[str, Run]:
    out = {}
    for name, (seed, opts) in PAGES.items():
        sp = make_page(np.random.default_rng(seed), **opts)
        loaded = load_image(sp.image)
        page = prepare_page(loaded, segmenter=segmenter)
        out[name] = Run(sp, loaded, page, segmenter.segment(page))
    return out


def _photo_quads(run: Run) -> list[np.ndarray]:
    return [run.page.to_original.apply(w.quad) for w in run.seg.words]


def test_word_boxes_recall_and_precision(runs):
    m = p = g = 0
    for run in (runs[k] for k in EVAL_PAGES):
        mi, pi, gi = match_boxes(_photo_quads(run), run.synth.word_quads, 0.5)
        m, p, g = m + mi, p + pi, g + gi
    assert g > 100
    assert m / g >= 0.97, f"recall {m}/{g}"
    assert m / p >= 0.97, f"precision {m}/{p}"


def test_sheet_corners(runs):
    warped = [r for r in runs.values() if r.synth.page_corners is not None]
    assert len(warped) >= 2
    for r in warped:
        assert r.page.warped
        quad = r.loaded.transform.inverse().apply(r.page.sheet_quad)
        assert corner_error(quad, r.synth.page_corners) <= 0.02


def test_pages_turned_upright(runs):
    assert {r.synth.rotation for r in runs.values()} == {0, 90, 180, 270}
    for name, r in runs.items():
        assert r.page.rotation == (360 - r.synth.rotation) % 360, name
        # the upright page's top-left is the sheet's top-left
        if r.page.sheet_quad is not None:
            tl = r.loaded.transform.inverse().apply(r.page.sheet_quad[:1])[0]
            assert np.hypot(*(tl - r.synth.page_corners[0])) < 0.02 * np.hypot(*r.synth.image.shape[:2])


def test_reading_order_and_lines(runs):
    r = runs["eval2"]  # upright, warped
    words = r.seg.words
    assert [w.order for w in words] == list(range(len(words)))
    # predicted words matched to ground truth come in the ground truth's order (lines, then left to right)
    gt_index = []
    for w in words:
        q = r.page.to_original.apply(w.quad)
        ious = [quad_iou(q, g) for g in r.synth.word_quads]
        if max(ious) >= 0.5:
            gt_index.append(int(np.argmax(ious)))
    assert len(gt_index) >= 0.9 * len(r.synth.word_quads)
    assert gt_index == sorted(gt_index)
    lines = [w.line for w in words]
    assert lines == sorted(lines)
    for ln in r.seg.lines:
        assert all(words[k].line == r.seg.lines.index(ln) for k in ln.words)


def test_words_have_text_and_tight_boxes(runs):
    r = runs["eval1"]  # grid paper, upside down
    words = r.seg.words
    assert sum(bool(w.text) for w in words) >= 0.95 * len(words)
    assert all(0.0 <= w.confidence <= 1.0 for w in words)
    # tightened boxes sit inside their loose (full line height) boxes and are shorter
    for w in words:
        assert w.quad.shape == (4, 2) and w.loose_quad.shape == (4, 2)
        if w.tightened:
            assert np.ptp(w.quad[:, 1]) <= np.ptp(w.loose_quad[:, 1]) + 3
    # texts: most words read right (the recogniser on single-stroke fonts)
    truth = {t.lower() for t in r.synth.texts}
    assert sum(w.text.lower() in truth for w in words) >= 0.6 * len(words)


def test_drawing_found(runs):
    r = runs["drawing"]
    regions = find_drawings(r.page, r.seg)
    assert regions, "the diagram should come out as a drawing region"
    gt = r.synth.drawing_quads[0]
    # the regions over the diagram (a box, an arrow, a circle: one region or a few) cover it
    over = []
    for d in regions:
        x0, y0, x1, y1 = d.bbox
        q = r.page.to_original.apply(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
        assert d.mask.shape == (int(y1 - y0), int(x1 - x0)) and d.mask.any()
        if quad_iou(q, gt) > 0.05:
            over.append(q)
    assert over
    pts = np.concatenate(over)
    union = np.array([[pts[:, 0].min(), pts[:, 1].min()], [pts[:, 0].max(), pts[:, 1].min()],
                      [pts[:, 0].max(), pts[:, 1].max()], [pts[:, 0].min(), pts[:, 1].max()]])
    assert quad_iou(union, gt) >= 0.7
    # no word box swallowed the diagram
    words_over = [w for w in r.seg.words if quad_iou(r.page.to_original.apply(w.quad), gt) > 0.3]
    assert not words_over


def test_debug_overlay(runs, tmp_path):
    r = runs["drawing"]
    path = write_debug_overlay(r.page, r.seg, tmp_path / "dbg" / "page.png",
                               drawings=find_drawings(r.page, r.seg))
    img = cv2.imread(str(path))
    assert img is not None and img.shape[:2] == r.page.image.shape[:2]
    assert np.abs(img.astype(int) - r.page.image[..., ::-1]).max() > 100  # boxes were drawn


def test_blank_page_gives_no_words(segmenter):
    sp = make_page(np.random.default_rng(7), blank=True, paper="ruled", perspective=True, rotation=0)
    page = prepare_page(load_image(sp.image), segmenter=segmenter)
    seg = segmenter.segment(page)
    assert seg.words == [] and seg.lines == []
    assert page.rotation == 0
    assert find_drawings(page, seg) == []


@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (40, 300)])
def test_tiny_images(segmenter, shape):
    img = np.full((*shape, 3), 250, np.uint8)
    if shape[0] > 20:
        cv2.putText(img, "hello", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    page = prepare_page(load_image(img), segmenter=segmenter)
    seg = segmenter.segment(page)
    assert isinstance(seg.words, list)
    if shape[0] > 20:
        assert len(seg.words) >= 1


def test_other_scripts_still_give_boxes(segmenter):
    sp = make_page(np.random.default_rng(9), script="greek", paper="plain", perspective=False, rotation=0,
                   n_lines=5)
    page = prepare_page(load_image(sp.image), detect_upright=False)
    seg = segmenter.segment(page)
    m, p, g = match_boxes([page.to_original.apply(w.quad) for w in seg.words], sp.word_quads, 0.5)
    assert g > 10 and m / g >= 0.7, (m, p, g)


def _box(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def test_two_columns_are_read_one_after_the_other_under_their_heading():
    from inference.photo.segment import _reading_order

    quads = [_box(100, 20, 900, 60)]  # a heading across both columns
    for r in range(5):  # left and right lines at nearly the same heights
        quads += [_box(100, 100 + 50 * r, 450, 130 + 50 * r), _box(550, 105 + 50 * r, 900, 135 + 50 * r)]
    assert [i for i, _ in _reading_order(quads)] == [0, 1, 3, 5, 7, 9, 2, 4, 6, 8, 10]


def test_one_column_with_gaps_inside_some_lines_stays_line_by_line():
    from inference.photo.segment import _reading_order

    quads = []
    for r in range(6):  # every other line detected as two boxes: no gutter runs down the whole page
        y0, y1 = 100 + 50 * r, 130 + 50 * r
        quads += [_box(100, y0, 400, y1), _box(600, y0, 900, y1)] if r % 2 else [_box(100, y0, 900, y1)]
    order = _reading_order(quads)
    assert [i for i, _ in order] == list(range(len(quads)))
    assert [ln for _, ln in order] == [0, 1, 1, 2, 3, 3, 4, 5, 5]
