"""run_page end to end on a generated page: tracer-only mode, a garbage model, cancellation, word mode."""

import itertools
from dataclasses import replace

import cv2
import numpy as np
import pytest

from inference.document.ink import InkSource
from inference.errors import Cancelled, InputError
from inference.jobs import CancelToken, Progress, run_job
from inference.model import derender as dr
from inference.pipeline import PageResult, PipelineConfig, derender_word_image, run_page
from tests.inference.synthpage import make_page

NO_MODEL = PipelineConfig(use_model=False)


def _toy():
    pytest.importorskip("onnx", reason="the test models are built with the onnx package (dev/train extra)")
    from tests.inference import toy_derender

    return toy_derender


def _derender_all(img, jobs, models_dir):
    """``_derender_words`` run to its end with the models in ``models_dir``: (words, statistics, warnings)."""
    from collections import Counter

    from inference.model.models import load_models
    from inference.pipeline import _derender_words

    stats, warnings = Counter(), []
    gen = _derender_words(img, jobs, load_models(models_dir, threads=1), PipelineConfig(), warnings, None, stats)
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    return stop.value.value, stats, warnings


@pytest.fixture(scope="module")
def small_page():
    return make_page(np.random.default_rng(3), paper="ruled", perspective=False, rotation=0, shadow=False,
                     blur=0.0, noise=1.0, jpeg=0, n_lines=3, page_size=(700, 300), line_spacing=60)


@pytest.fixture(scope="module")
def traced(small_page):
    progress: list[Progress] = []
    res = run_job(run_page(small_page.image, NO_MODEL), progress.append)
    return res, progress


def _ink_distance(image):
    dark = image.min(axis=2) < 140  # the generated ink is dark, paper and rulings are light
    return cv2.distanceTransform((~dark).astype(np.uint8), cv2.DIST_L2, 3)


def test_tracer_only_page_has_words_with_strokes_on_the_ink(small_page, traced):
    res, _ = traced
    assert isinstance(res, PageResult)
    page = res.page
    assert (page.width, page.height) == (res.image.shape[1], res.image.shape[0])
    assert any("no derender model" in w or "model disabled" in w for w in res.warnings)
    assert len(page.words) >= 0.8 * len(small_page.texts)
    with_ink = [w for w in page.words if w.strokes]
    assert len(with_ink) >= 0.8 * len(small_page.texts)
    dist = _ink_distance(res.image)
    for w in with_ink:
        assert w.source == InkSource.TRACER and w.fidelity is not None and w.fidelity > 0.6
        xy = np.concatenate([s.xy for s in w.strokes])
        ix = np.clip(xy.astype(int), 0, [page.width - 1, page.height - 1])
        near = dist[ix[:, 1], ix[:, 0]] <= 2.5
        assert near.mean() >= 0.9, (w.text, near.mean())
        x0, _, x1, _ = w.quad.bounds()
        assert xy[:, 0].min() >= x0 - 8 and xy[:, 0].max() <= x1 + 8
        assert all(np.all(np.diff(s.t) > 0) for s in w.strokes if len(s) > 1)  # synthetic times
        assert not any(s.time_measured for s in w.strokes)


def test_progress_covers_every_stage_and_each_word(traced):
    res, progress = traced
    stages = [p.stage for p in progress]
    for st in ("load", "page", "segment", "derender", "check"):
        assert st in stages
    last = [p for p in progress if p.stage == "derender"][-1]
    assert last.done == last.total == len(res.page.words)
    assert set(res.timings) >= {"load", "page", "segment", "derender", "total"}


def test_cancel_mid_page_raises_and_returns_nothing(small_page):
    tok = CancelToken()
    job = run_page(small_page.image, NO_MODEL, tok)
    with pytest.raises(Cancelled):
        for p in job:
            if p.stage == "derender":
                tok.cancel()


def test_cancel_while_the_model_decodes_in_the_background_stops_its_threads(small_page, tmp_path):
    import threading
    import time

    toy = _toy()
    walk = [t for i in range(300) for t in (i % toy.SPEC.width, toy.SPEC.width + (i * 7) % toy.SPEC.height)]
    d = toy.build(tmp_path, [toy.SPEC.text_prefix(None) + [toy.SPEC.stroke] + walk], max_len=250)
    cfg = PipelineConfig(models_dir=d, threads=2, drawings=False)  # two decoding threads + the chunk's
    tok = CancelToken()
    with pytest.raises(Cancelled):
        for p in run_page(small_page.image, cfg, tok):
            if p.stage == "derender":
                tok.cancel()

    def busy():
        return [t.name for t in threading.enumerate() if t.name.startswith(("inklift-decode", "inklift-chunk"))]

    deadline = time.monotonic() + 10.0
    while busy() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not busy()


def test_words_decoded_chunk_by_chunk_come_back_complete_and_in_order(small_page, tmp_path, monkeypatch):
    from inference import pipeline

    toy = _toy()
    script = [toy.SPEC.text_prefix(None) + toy.ink([(3, 2), (9, 4), (15, 2)]) + [toy.SPEC.eos]]
    table = toy.script_table(script)
    table[table[:, toy.SPEC.eos] == 0, toy.SPEC.eos] = -10.0  # sure of a word wherever its prefix is the page's
    d = toy.build(tmp_path, script, table=table)
    cfg = PipelineConfig(models_dir=d, threads=2, drawings=False)
    whole = run_job(run_page(small_page.image, cfg))
    monkeypatch.setattr(pipeline, "CHUNK", 2)  # the next chunk decodes while this one is completed
    progress: list[Progress] = []
    chunked = run_job(run_page(small_page.image, cfg), progress.append)
    assert len(whole.page.words) > 4
    assert [(w.text, w.quad) for w in chunked.page.words] == [(w.text, w.quad) for w in whole.page.words]
    # the model ran on every chunk: the same per-word outcomes (here: its fixed ink is far from the photo's)
    assert any("far from the" in w for w in chunked.warnings) and chunked.warnings == whole.warnings
    done = [p.done for p in progress if p.stage == "derender"]
    assert done == sorted(done) and done[-1] == len(chunked.page.words)


def test_garbage_model_falls_back_to_tracer_and_is_reported(small_page, tmp_path):
    toy = _toy()
    # canvases are ink maps in 0..1, so every row runs script 0: a never-ending walk of points
    walk = [t for i in range(300) for t in (i % toy.SPEC.width, toy.SPEC.width + (i * 7) % toy.SPEC.height)]
    d = toy.build(tmp_path, [toy.SPEC.text_prefix(None) + [toy.SPEC.stroke] + walk], max_len=48)
    cfg = PipelineConfig(models_dir=d, threads=1, drawings=False)
    res = run_job(run_page(small_page.image, cfg))
    assert any("token cap" in w for w in res.warnings)
    words = [w for w in res.page.words if w.strokes]
    assert words and all(w.source == InkSource.TRACER for w in words)


def test_corrupt_model_is_reported_not_fatal(small_page, tmp_path):
    toy = _toy()
    d = toy.build(tmp_path, [toy.SPEC.text_prefix(None) + toy.ink([(1, 1)]) + [toy.SPEC.eos]])
    (d / "derender-encoder.onnx").write_bytes(b"not a model")
    res = run_job(run_page(small_page.image, PipelineConfig(models_dir=d, drawings=False)))
    assert any("derender-encoder" in w and "tracer" in w for w in res.warnings)
    assert any(w.strokes for w in res.page.words)


def test_word_mode_for_the_harness():
    img = np.full((60, 160, 3), 245, np.uint8)
    cv2.polylines(img, [np.array([[20, 40], [50, 15], [80, 40], [110, 15], [140, 40]], np.int32)], False,
                  (30, 30, 30), 3, cv2.LINE_AA)
    word = derender_word_image(img, "www", NO_MODEL)
    assert word.text == "www" and word.strokes and word.source == InkSource.TRACER
    xy = np.concatenate([s.xy for s in word.strokes])
    assert xy[:, 0].min() < 30 and xy[:, 0].max() > 130  # the whole zigzag, in the image's own pixels
    assert word.fidelity > 0.8


def test_blank_image_gives_an_empty_page_with_a_warning():
    res = run_job(run_page(np.full((200, 300, 3), 250, np.uint8), PipelineConfig(use_model=False,
                                                                                  layout="line")))
    assert not res.page.all_strokes()
    assert res.warnings


def test_bad_layout_is_an_input_error():
    with pytest.raises(InputError):
        PipelineConfig(layout="paragraph")


def test_decoder_statuses_are_known():
    assert {dr.EOS, dr.CAP, dr.REPEAT, dr.GARBAGE, dr.EMPTY} == {"eos", "cap", "repeat", "garbage", "empty"}


def _densify(pts, step=1.0):
    out = [pts[0]]
    for a, b in itertools.pairwise(pts):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out += [a + (b - a) * k / n for k in range(1, n + 1)]
    return np.array(out)


def test_a_model_that_writes_the_true_ink_is_kept_and_lands_on_the_page(tmp_path):
    toy = _toy()
    # a word image with a known zigzag; the scripted model "writes" exactly that zigzag on its canvas
    from inference.model.derender import whole_image_crop
    from inference.model.tokens import TokenSpec

    spec = TokenSpec(width=128, height=32, max_text=8)
    img = np.full((70, 240, 3), 245, np.uint8)
    zig = np.array([[20, 50], [60, 18], [100, 50], [140, 18], [180, 50], [220, 20]], float)
    cv2.polylines(img, [zig.astype(np.int32)], False, (30, 30, 30), 3, cv2.LINE_AA)
    crop = whole_image_crop(img, spec)
    to_canvas = crop.page_to_crop.then(crop.crop_to_canvas)
    on_canvas = to_canvas.apply(_densify(zig + 0.5, 4.0))
    script = spec.text_prefix("zz") + spec.encode_ink([on_canvas]) + [spec.eos]
    d = toy.build(tmp_path, [script], max_len=toy.STRIDE, spec=spec)
    word = derender_word_image(img, "zz", PipelineConfig(models_dir=d, threads=1))
    assert word.source == InkSource.MODEL and not word.needs_review
    assert word.fidelity > 0.8
    xy = np.concatenate([s.xy for s in word.strokes])
    # every point within a pen width of the true centre line, and the ends where the zigzag ends
    line = _densify(zig + 0.5, 0.5)
    dist = np.min(np.linalg.norm(xy[:, None] - line[None], axis=2), axis=1)
    assert dist.max() <= 3.0
    assert np.linalg.norm(xy[0] - (zig[0] + 0.5)) <= 4 and np.linalg.norm(xy[-1] - (zig[-1] + 0.5)) <= 4


def test_page_maps_back_to_the_source_photo(traced, small_page):
    # the page was found in the photo as is (no sheet, no turn): page px are the photo's px
    res, _ = traced
    to_src = np.array(res.page.meta["to_source"])
    pts = np.array([[10.0, 20.0, 1.0], [500.0, 200.0, 1.0]])
    back = (to_src @ pts.T).T
    np.testing.assert_allclose(back[:, :2] / back[:, 2:], pts[:, :2], atol=0.5)


def test_a_useless_model_is_switched_off_for_the_rest_of_the_page(tmp_path):
    toy = _toy()

    from inference.document.ink import Quad
    from inference.pipeline import CHUNK, _WordJob

    # 100 small "words" (zigzags) in a grid; the model answers every one with the same far-away dot
    img = np.full((10 * 40, 10 * 60, 3), 245, np.uint8)
    jobs = []
    for k in range(100):
        x, y = (k % 10) * 60 + 8, (k // 10) * 40 + 8
        pts = np.array([[x, y + 20], [x + 10, y + 4], [x + 20, y + 20], [x + 30, y + 4], [x + 40, y + 20]])
        cv2.polylines(img, [pts.astype(np.int32)], False, (30, 30, 30), 2, cv2.LINE_AA)
        jobs.append(_WordJob(Quad.from_rect(x - 2, y, x + 42, y + 24), "w", 0.9))
    spec = toy.SPEC
    d = toy.build(tmp_path, [spec.text_prefix("w") + toy.ink([(0, 0)]) + [spec.eos]])
    words, stats, warnings = _derender_all(img, jobs, d)
    assert len(words) == 100 and all(w.strokes and w.source == InkSource.TRACER for w in words)
    assert stats["model tried"] == CHUNK  # the second chunk never went to the model
    assert any("the rest of the page uses the geometric tracer" in w for w in warnings)


def _word_with_line(line_thickness: int, side_to_side: bool) -> tuple[np.ndarray, np.ndarray]:
    """A 60x240 mask: three 5-px-wide vertical strokes crossing a horizontal line at rows 40.. (returns the
    mask and the strokes alone)."""
    strokes = np.zeros((60, 240), np.uint8)
    for x in (50, 120, 190):
        cv2.line(strokes, (x, 10), (x, 55), 1, 5)
    mask = strokes.copy()
    x0, x1 = (0, 239) if side_to_side else (30, 215)
    cv2.rectangle(mask, (x0, 40), (x1, 40 + line_thickness - 1), 1, -1)
    return mask.astype(bool), strokes.astype(bool)


def test_a_pen_thick_ruling_from_side_to_side_goes_and_crossing_strokes_stay():
    from inference.photo.ruling import remove_rules

    mask, strokes = _word_with_line(5, side_to_side=True)
    out = remove_rules(mask)
    assert not (out & ~strokes).any()  # no ruling pixel left, not even the pieces next to the strokes
    assert (out & strokes).sum() >= 0.95 * strokes.sum()  # the strokes keep their pixels, crossing too


def test_a_thick_underline_stays_a_thin_one_goes():
    from inference.photo.ruling import remove_rules

    thick, _ = _word_with_line(5, side_to_side=False)
    assert remove_rules(thick).sum() == thick.sum()  # pen-thick and inside the crop: an underline
    thin, strokes = _word_with_line(1, side_to_side=False)
    out = remove_rules(thin)
    assert not (out & ~strokes).any()  # a hairline is a ruling even when it does not reach both sides


def _zigzag_word():
    from inference.document.ink import Quad
    from inference.model.derender import whole_image_crop
    from inference.photo.inkmask import ink_mask

    img = np.full((70, 240, 3), 245, np.uint8)
    zig = np.array([[20, 50], [60, 18], [100, 50], [140, 18], [180, 50], [220, 20]], float)
    cv2.polylines(img, [zig.astype(np.int32)], False, (30, 30, 30), 3, cv2.LINE_AA)
    return whole_image_crop(img, None), Quad.from_rect(0, 0, 240, 70), ink_mask(img), zig + 0.5


@pytest.mark.parametrize("status", [dr.REPEAT, dr.CAP])
def test_a_word_whose_model_output_fails_falls_back_to_the_tracer_with_a_note(status):
    from inference.pipeline import _word_from_crop

    crop, quad, mask, zig = _zigzag_word()
    # the model wrote a fifth of the path, then looped or ran out of room: its ink is not used
    part = dr.WordInk([_densify(zig[:2], 4.0).astype(np.float32)], dr.Decoded((1, 2), status, 9))
    word, note = _word_from_crop(crop, quad, "zz", 1.0, part, 0.55, mask, 3.0, "#000000")
    assert word.source == InkSource.TRACER and word.strokes
    assert note == f"model output stopped by {status}"
    # the whole path: without EOS (CAP) it still falls back; stuck in a loop after writing the word (REPEAT,
    # the loop already cut off) it is the word's ink
    whole = dr.WordInk([_densify(zig, 4.0).astype(np.float32)], dr.Decoded((1, 2), status, 9))
    word, note = _word_from_crop(crop, quad, "zz", 1.0, whole, 0.55, mask, 3.0, "#000000")
    assert word.source == (InkSource.MODEL if status == dr.REPEAT else InkSource.TRACER)
    ok = dr.WordInk(whole.strokes, dr.Decoded((1, 2), dr.EOS, 9))
    word, note = _word_from_crop(crop, quad, "zz", 1.0, ok, 0.55, mask, 3.0, "#000000")
    assert word.source == InkSource.MODEL and len(word.strokes) == 1 and note is None


def test_where_the_model_sees_no_word_the_ink_cut_by_the_box_edge_is_left_out():
    from inference.document.ink import Quad
    from inference.model.derender import whole_image_crop
    from inference.photo.inkmask import ink_mask
    from inference.pipeline import _word_from_crop

    img = np.full((70, 240, 3), 245, np.uint8)
    cv2.line(img, (200, 40), (239, 10), (30, 30, 30), 4, cv2.LINE_AA)  # the next word's first letter, cut off
    cv2.line(img, (90, 40), (130, 38), (120, 120, 120), 3, cv2.LINE_AA)  # a faint dash inside the box
    crop, quad, mask = whole_image_crop(img, None), Quad.from_rect(0, 0, 240, 70), ink_mask(img)
    nothing = dr.WordInk([], dr.Decoded((), dr.EOS, 3))  # the model wrote EOS at once
    word, _ = _word_from_crop(crop, quad, "", 0.0, nothing, 0.55, mask, 3.0, "#000000")
    xs = np.concatenate([s.xy[:, 0] for s in word.strokes])
    assert word.strokes and xs.min() > 80 and xs.max() < 140  # the dash is traced, the sliver is not
    # so where the model got stuck (the repetition guard) writing far from any ink
    stuck = dr.WordInk([np.float32([[20, 60], [30, 62], [20, 60], [30, 62]])], dr.Decoded((1, 2), dr.REPEAT, 9))
    word, note = _word_from_crop(crop, quad, "", 0.0, stuck, 0.55, mask, 3.0, "#000000")
    xs = np.concatenate([s.xy[:, 0] for s in word.strokes])
    assert note == "model output far from the ink" and xs.min() > 80 and xs.max() < 140
    # without the model, the tracer keeps all the ink it sees
    word, _ = _word_from_crop(crop, quad, "", 0.0, None, 0.55, mask, 3.0, "#000000")
    assert max(float(s.xy[:, 0].max()) for s in word.strokes) > 230


def test_word_boxes_with_no_ink_are_not_decoded(tmp_path, monkeypatch):
    toy = _toy()

    from inference.document.ink import Quad
    from inference.pipeline import _WordJob

    img = np.full((60, 300, 3), 245, np.uint8)
    cv2.polylines(img, [np.int32([[10, 40], [20, 15], [30, 40], [40, 15]])], False, (30, 30, 30), 2, cv2.LINE_AA)
    jobs = [_WordJob(Quad.from_rect(4, 8, 48, 48), "w", 0.9),  # a word
            _WordJob(Quad.from_rect(120, 8, 170, 48), "x", 0.9),  # empty paper (a false find)
            _WordJob(Quad.from_rect(200, 8, 250, 48), "y", 0.9)]
    spec = toy.SPEC
    d = toy.build(tmp_path, [spec.text_prefix("w") + toy.ink([(0, 0)]) + [spec.eos]])
    sent: list[int] = []
    real_run = dr.Derenderer.run

    def counting_run(self, crops, *a, **k):
        sent.append(len(crops))
        return real_run(self, crops, *a, **k)

    monkeypatch.setattr(dr.Derenderer, "run", counting_run)
    words, stats, _ = _derender_all(img, jobs, d)
    assert sum(sent) == 1  # only the word with ink went to the model
    assert len(words) == 3 and words[0].strokes and not words[1].strokes and not words[2].strokes
    assert stats["no ink in the word box"] == 2


def test_a_marker_word_among_ballpoint_words_keeps_its_own_pen_width():
    # five words in a thin pen and one in a marker five times as wide on one page: the page's pen must not
    # thin the marker (drawn at the ballpoint's width, its thick ink was traced as outlines)
    from collections import Counter

    from inference.document.ink import Quad
    from inference.pipeline import _derender_words, _WordJob

    img = np.full((160, 1300, 3), 245, np.uint8)
    jobs = []
    for k, pen in enumerate([2, 2, 10, 2, 2, 2]):
        x0 = 20 + 210 * k
        zig = np.int32([[x0 + 24 * i, 70 if i % 2 else 100] for i in range(7)])
        cv2.polylines(img, [zig], False, (30, 30, 30), pen, cv2.LINE_AA)
        jobs.append(_WordJob(Quad.from_rect(x0 - 15, 40, x0 + 175, 130), "", 0.0))
    gen = _derender_words(img, jobs, None, NO_MODEL, [], None, Counter())
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    widths = [w.strokes[0].width for w in stop.value.value]
    assert 9.0 < widths[2] < 13.0, widths  # the marker's own width (1.4x the page's pen before)
    assert all(1.5 < w < 4.0 for i, w in enumerate(widths) if i != 2), widths


def test_where_the_model_sees_no_word_grain_and_grid_lines_are_not_written():
    from inference.document.ink import Quad
    from inference.model.derender import whole_image_crop
    from inference.photo.inkmask import ink_mask
    from inference.pipeline import _word_from_crop

    rng = np.random.default_rng(5)
    img = np.full((70, 240, 3), 245, np.uint8)
    for x, y in rng.integers([10, 10], [230, 60], (12, 2)):  # the paper's grain: dark specks
        cv2.circle(img, (int(x), int(y)), 1, (90, 90, 90), -1)
    cv2.line(img, (150, 0), (150, 69), (110, 110, 110), 2)  # a grid line across the box, left by the ruling remover
    crop, quad, mask = whole_image_crop(img, None), Quad.from_rect(0, 0, 240, 70), ink_mask(img)
    nothing = dr.WordInk([], dr.Decoded((), dr.EOS, 3))  # the model wrote EOS at once
    word, _ = _word_from_crop(crop, quad, "", 0.0, nothing, 0.55, mask, 3.0, "#000000")
    assert not word.strokes
    # a stroke of writing keeps the short marks beside it (an i's dot)
    cv2.line(img, (40, 45), (100, 40), (30, 30, 30), 3, cv2.LINE_AA)
    mask = ink_mask(img)
    word, _ = _word_from_crop(crop, quad, "", 0.0, nothing, 0.55, mask, 3.0, "#000000")
    xs = np.concatenate([s.xy[:, 0] for s in word.strokes])
    assert len(word.strokes) > 1 and xs.min() < 45 and not ((xs > 146) & (xs < 154)).any()


def test_where_the_model_sees_no_word_grain_read_with_a_thin_pen_is_not_written():
    # grain in an empty box reads as a thin pen (its specks are the only ink), so specks a few pixels long are
    # several "pen widths": only the box's height tells them from writing
    from inference.document.ink import Quad
    from inference.model.derender import whole_image_crop
    from inference.photo.inkmask import ink_mask
    from inference.pipeline import _word_from_crop

    rng = np.random.default_rng(7)
    img = np.full((90, 300, 3), 245, np.uint8)
    for x, y in rng.integers([10, 10], [290, 80], (10, 2)):  # specks 5-9 px long, 1 px thick
        dx, dy = rng.integers(4, 9), rng.integers(-2, 3)
        cv2.line(img, (int(x), int(y)), (int(x + dx), int(y + dy)), (80, 80, 80), 1)
    crop, quad, mask = whole_image_crop(img, None), Quad.from_rect(0, 0, 300, 90), ink_mask(img)
    nothing = dr.WordInk([], dr.Decoded((), dr.EOS, 3))  # the model wrote EOS at once
    word, _ = _word_from_crop(crop, quad, "", 0.0, nothing, 0.55, mask, 1.0, "#000000")
    assert not word.strokes
    # a letter-sized stroke is writing, and the specks beside it stay with it
    cv2.line(img, (120, 30), (122, 70), (30, 30, 30), 2, cv2.LINE_AA)
    word, _ = _word_from_crop(crop, quad, "", 0.0, nothing, 0.55, ink_mask(img), 1.0, "#000000")
    assert len(word.strokes) > 1 and any(np.ptp(s.xy[:, 1]) > 30 for s in word.strokes)


def test_where_the_model_hesitated_and_wrote_off_the_ink_it_saw_no_word():
    # a blank box the model was unsure of (EOS 5% at its first decision): it wrote a stroke across the paper
    # anyway. Off the ink, that stroke is the paper's, and the box is treated as one where it saw no word
    from inference.document.ink import Quad
    from inference.model.derender import whole_image_crop
    from inference.photo.inkmask import ink_mask
    from inference.pipeline import UNSURE_EOS_P, _word_from_crop

    rng = np.random.default_rng(7)
    img = np.full((90, 300, 3), 245, np.uint8)
    for x, y in rng.integers([10, 10], [290, 80], (10, 2)):  # the paper's grain: specks 5-9 px long
        dx, dy = rng.integers(4, 9), rng.integers(-2, 3)
        cv2.line(img, (int(x), int(y)), (int(x + dx), int(y + dy)), (80, 80, 80), 1)
    crop, quad, mask = whole_image_crop(img, None), Quad.from_rect(0, 0, 300, 90), ink_mask(img)
    scribble = [_densify(np.array([[20, 45], [150, 30], [280, 50]], float), 3.0).astype(np.float32)]
    unsure = dr.WordInk(scribble, dr.Decoded((1, 2), dr.EOS, 9, 5 * UNSURE_EOS_P))
    word, _ = _word_from_crop(crop, quad, "", 0.0, unsure, 0.55, mask, 1.0, "#000000")
    assert not word.strokes
    # the same output from a model sure of a word is judged as writing: the box gets ink
    sure = dr.WordInk(scribble, dr.Decoded((1, 2), dr.EOS, 9, 1e-5))
    word, _ = _word_from_crop(crop, quad, "", 0.0, sure, 0.55, mask, 1.0, "#000000")
    assert word.strokes
    # and an unsure model whose strokes lie on the ink is believed: a faint word
    cv2.polylines(img, [np.array([[20, 45], [150, 30], [280, 50]], np.int32)], False, (40, 40, 40), 2, cv2.LINE_AA)
    word, _ = _word_from_crop(crop, quad, "", 0.0, unsure, 0.55, ink_mask(img), 1.0, "#000000")
    assert word.strokes and word.source == InkSource.MODEL


def test_a_word_whose_box_the_model_hesitated_on_is_flagged_for_review():
    from inference.pipeline import REVIEW_EOS_P, UNSURE_EOS_P, _word_from_crop

    crop, quad, mask, zig = _zigzag_word()
    strokes = [_densify(zig, 4.0).astype(np.float32)]
    sure = dr.WordInk(strokes, dr.Decoded((1, 2), dr.EOS, 9, 1e-5))
    word, _ = _word_from_crop(crop, quad, "zz", 1.0, sure, 0.55, mask, 3.0, "#000000")
    assert word.source == InkSource.MODEL and not word.needs_review
    # EOS was likely enough at its first decision that the box may hold no word: its ink is kept, and flagged
    p = (REVIEW_EOS_P * UNSURE_EOS_P) ** 0.5
    hesitant = dr.WordInk(strokes, dr.Decoded((1, 2), dr.EOS, 9, p))
    word, _ = _word_from_crop(crop, quad, "zz", 1.0, hesitant, 0.55, mask, 3.0, "#000000")
    assert word.source == InkSource.MODEL and word.needs_review


def test_a_word_the_decoder_got_stuck_on_while_held_to_the_ink_is_decoded_again_freely(tmp_path, monkeypatch):
    toy = _toy()

    from inference.document.ink import Quad
    from inference.pipeline import _WordJob

    img = np.full((60, 200, 3), 245, np.uint8)
    pts = np.array([[20, 45], [60, 15], [100, 45], [140, 15], [180, 45]], np.int32)
    cv2.polylines(img, [pts], False, (30, 30, 30), 3, cv2.LINE_AA)
    d = toy.build(tmp_path, [toy.SPEC.text_prefix(None) + toy.ink([(20, 40), (60, 10)]) + [toy.SPEC.eos]])
    on_the_ink = [_densify(pts.astype(float), 3.0).astype(np.float32)]
    real_run = dr.Derenderer.run
    calls: list[bool] = []

    def run(self, crops, texts=None, cancel=None, inks=None, free_ink=on_the_ink):
        calls.append(inks is not None)
        for idx, res in real_run(self, crops, texts, cancel, inks):
            if inks is not None:  # held to the ink, the model loops
                res = [replace(r, decoded=replace(r.decoded, status=dr.REPEAT)) for r in res]
            else:  # free, it writes the word and stops
                res = [replace(r, strokes=free_ink) for r in res]
            yield idx, res

    monkeypatch.setattr(dr.Derenderer, "run", run)
    job = _WordJob(Quad.from_rect(0, 0, 200, 60), "", 0.0)
    words, stats, _ = _derender_all(img, [job], d)
    assert calls == [True, False] and len(words) == 1 and words[0].source == InkSource.MODEL
    assert stats["decoded again freely"] == 1 and stats["stopped when decoded freely"] == 1
    assert stats[dr.EOS] == 1 and not stats[dr.REPEAT]  # the free decoding's output is the word's
    # free ink far from the word's ink is not kept: the word stays stuck (and falls back to the tracer)
    far = [np.float32([[5, 5], [10, 5], [15, 5]])]
    monkeypatch.setattr(dr.Derenderer, "run", lambda *a, **k: run(*a, **k, free_ink=far))
    words, stats, _ = _derender_all(img, [job], d)
    assert stats["decoded again freely"] == 1 and not stats["stopped when decoded freely"] and stats[dr.REPEAT] == 1
    assert words[0].source == InkSource.TRACER
