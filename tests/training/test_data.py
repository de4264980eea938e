"""Sample building: render -> fit_crop -> RDP -> tokens, and back to strokes on the canvas."""

import itertools

import cv2
import numpy as np
import pytest

from inference.model.canvas import fit_crop
from inference.model.tokens import TokenSpec
from training.data import make_sample, rdp
from training.metrics import coverage_precision
from training.render import render_word_photo


def _word():
    t = np.linspace(0, 2 * np.pi, 80)
    return [np.c_[30 + 20 * np.cos(t), 40 + 30 * np.sin(t)],
            np.c_[np.linspace(70, 200, 50), 40 + 25 * np.sin(np.linspace(0, 6, 50))],
            np.array([[220.0, 5.0]])]


def test_rdp_keeps_ends_and_tolerance():
    x = np.linspace(0, 10, 200)
    line = np.c_[x, 0.01 * np.sin(x * 7)]
    out = rdp(line, 0.5)
    assert len(out) == 2 and np.array_equal(out[0], line[0]) and np.array_equal(out[-1], line[-1])
    zig = np.c_[x, np.sin(x)]
    s = rdp(zig, 0.05)
    # every original point is within eps of the simplified polyline (checked against dense samples)
    dense = np.concatenate([np.linspace(a, b, 50) for a, b in itertools.pairwise(s)])
    d = np.sqrt(((zig[:, None] - dense[None]) ** 2).sum(-1)).min(1)
    assert d.max() <= 0.05 + 1e-3


def test_tokens_round_trip_through_the_dataset_path():
    spec = TokenSpec()
    for seed in range(3):
        s = make_sample(_word(), "ab1", np.random.default_rng(seed), spec, "phone")
        assert s is not None and s.image.shape == (1, spec.height, spec.width) and s.image.dtype == np.float32
        toks = list(s.tokens)
        assert toks[: s.n_prefix] == spec.text_prefix("ab1") and toks[-1] == spec.eos
        assert toks[s.n_prefix] == spec.stroke
        decoded = spec.decode_ink(toks[s.n_prefix:])
        assert len(decoded) == 3
        # the same render (same seed) mapped onto the canvas: the decoded ink must trace it
        rw = render_word_photo(_word(), np.random.default_rng(seed), "phone")
        _, t = fit_crop(rw.image, spec)
        ref = [t.apply(p) for p in rw.strokes]
        cov, prec = coverage_precision(ref, decoded, tol_frac=0.02)
        assert cov > 0.97 and prec > 0.97
        # the ink on the canvas is where the tokens are
        pts = np.concatenate(decoded).astype(int)
        assert s.image[0, pts[:, 1], pts[:, 0]].mean() > 0.3


def test_vanilla_prefix():
    spec = TokenSpec()
    s = make_sample(_word(), None, np.random.default_rng(0), spec, "clean")
    assert list(s.tokens[:3]) == [spec.bos, spec.sep, spec.stroke] and s.n_prefix == 2


def test_font_words_are_single_line_strokes_with_their_text():
    pytest.importorskip("HersheyFonts")
    from training.fonts import FontSource

    fs = FontSource(["minute", "jitter"])
    rng = np.random.default_rng(3)
    for _ in range(20):
        strokes, text = fs(rng)
        assert text and all(s.ndim == 2 and s.shape[1] == 2 and len(s) >= 1 for s in strokes)
        assert all(np.all(np.isfinite(s)) for s in strokes)
    a = FontSource().render("tick", "futural", np.random.default_rng(0))
    b = FontSource().render("tick", "futural", np.random.default_rng(0))
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_collate_masks_the_prefix_and_padding():
    torch = pytest.importorskip("torch")  # noqa: F841
    from training.train import collate

    spec = TokenSpec()
    s1 = make_sample(_word(), "ab", np.random.default_rng(0), spec, "clean")
    s2 = make_sample(_word()[:1], None, np.random.default_rng(1), spec, "clean")
    bt = collate([s1, s2], spec.pad)
    inp, tgt = bt["inp"].numpy(), bt["tgt"].numpy()
    assert inp.shape == tgt.shape and inp.shape[1] == max(len(s1.tokens), len(s2.tokens)) - 1
    # first predicted target is the STROKE after SEP; nothing before it is predicted
    assert tgt[0, : s1.n_prefix - 1].tolist() == [-100] * (s1.n_prefix - 1) and tgt[0, s1.n_prefix - 1] == spec.stroke
    assert tgt[1, len(s2.tokens) - 2] == spec.eos and np.all(tgt[1, len(s2.tokens) - 1:] == -100)
    assert np.all(inp[1, len(s2.tokens) - 1:] == spec.pad)


def test_coverage_precision():
    line = [np.c_[np.linspace(0, 100, 20), np.zeros(20)]]
    assert coverage_precision(line, line) == (1.0, 1.0)
    half = [np.c_[np.linspace(0, 50, 10), np.zeros(10)]]
    c, p = coverage_precision(line, half)
    assert 0.45 < c < 0.6 and p == 1.0
    far = [np.c_[np.linspace(0, 100, 20), np.full(20, 10.0)]]
    assert coverage_precision(line, far) == (0.0, 0.0)


def test_a_blank_crop_is_the_same_photo_without_the_word_and_its_target_is_eos_at_once():
    spec = TokenSpec()
    for seed in range(3):
        for level in ("clean", "phone", "hard"):
            blank = make_sample(_word(), None, np.random.default_rng(seed), spec, level, blank=True)
            assert list(blank.tokens) == [spec.bos, spec.sep, spec.eos] and blank.n_prefix == 2
            assert blank.image.shape == (1, spec.height, spec.width)
        # the photo itself: same size and paper, no pen strokes where the word was written
        word = render_word_photo(_word(), np.random.default_rng(seed), "clean")
        empty = render_word_photo(_word(), np.random.default_rng(seed), "clean", blank=True)
        assert empty.strokes == [] and empty.image.shape == word.image.shape
        under = np.zeros(word.image.shape[:2], np.uint8)
        for s in word.strokes:
            cv2.polylines(under, [np.round(s).astype(np.int32)], False, 1, 1)
        on = under.astype(bool)
        assert empty.image[on].mean() > word.image[on].mean() + 40  # paper there, not ink


def test_a_line_mark_is_one_more_stroke_under_or_through_the_word_and_spans_it():
    from training.sources import add_line_mark

    word = _word()
    allp = np.concatenate(word)
    (x0, y0), (x1, y1) = allp.min(0), allp.max(0)
    for seed in range(20):
        out = add_line_mark(word, np.random.default_rng(seed))
        assert len(out) == len(word) + 1 and all(a is b for a, b in zip(out, word, strict=False))
        mark = out[-1]
        assert np.ptp(mark[:, 0]) >= 0.95 * (x1 - x0)  # spans the word
        mid = np.median(mark[:, 1])
        assert y0 + 0.3 * (y1 - y0) <= mid <= y1 + 0.3 * (y1 - y0)  # through its middle or just under it
        assert np.ptp(mark[:, 1]) < 0.3 * (x1 - x0)  # nearly straight
        s = make_sample(out, None, np.random.default_rng(seed), TokenSpec(), "phone")
        assert s is not None
