"""Greedy decoding with the KV cache against a scripted ONNX model the test builds (no torch)."""

import itertools

import numpy as np
import pytest

from inference.document.transforms import Transform
from inference.errors import Cancelled, ModelError
from inference.jobs import CancelToken
from inference.model import derender as dr
from inference.model.models import load_models

pytest.importorskip("onnx", reason="the tests build their ONNX models with the onnx package (dev/train extra)")
from tests.inference import toy_derender as toy

S = toy.SPEC


def _seq(text, ink_tokens, eos=True):
    return S.text_prefix(text) + ink_tokens + ([S.eos] if eos else [])


GUARD = dr.RepetitionGuard()


def _decode(models, texts, max_len=64, guard=GUARD, cancel=None):
    b = len(texts)
    canv = np.stack([np.full((S.height, S.width), float(k), np.float32) for k in range(b)])
    d = models.manifest.decoder
    return dr.greedy_decode(models.encoder, models.decoder, canv, [S.text_prefix(t) for t in texts], S,
                            d.layers, d.heads, d.head_dim, max_len, guard, cancel)


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):
    ink0 = toy.ink([(1, 1), (2, 2), (3, 3)])
    ink1 = toy.ink([(5, 1), (6, 2)]) + toy.ink([(9, 9), (10, 9), (11, 8), (12, 8), (13, 8)])
    ink2 = toy.ink([(20, 3)])
    never = toy.ink([(0, 0)])  # then a never-ending walk of distinct points (no EOS, no loop)
    walk = [t for i in range(200) for t in (i % S.width, S.width + (i // S.width) % S.height)]
    stuck = toy.ink([(4, 4), (5, 5)])  # then a two-point loop forever (InkSight's loops)
    scripts = [_seq("ab", ink0), _seq("", ink1), _seq("hello", ink2), _seq("x", never, eos=False),
               _seq(None, stuck, eos=False)]
    d = toy.build(tmp_path_factory.mktemp("toy"), scripts[:3] + [scripts[3] + walk, scripts[4]],
                  filler=[7, S.width + 7, 8, S.width + 8])
    return load_models(d, threads=1), scripts


def test_batch_of_different_lengths_follows_each_script(scripted):
    models, scripts = scripted
    texts = ["ab", "", "hello"]
    res = _decode(models, texts)
    for k, r in enumerate(res):
        p = len(S.text_prefix(texts[k]))
        assert r.status == dr.EOS
        assert list(r.tokens) == scripts[k][p:-1]
    # rows left the batch when done: the short one took fewer decoder calls than the long one
    assert res[2].steps < res[1].steps
    strokes = res[1].strokes_canvas(S)
    assert len(strokes) == 2 and np.allclose(strokes[0], [[5.5, 1.5], [6.5, 2.5]])


def test_batch_of_one_matches_batched(scripted):
    models, _ = scripted
    batched = _decode(models, ["ab", "", "hello"])
    single = _decode(models, ["ab"])
    assert single[0].tokens == batched[0].tokens


def test_token_cap_stops_a_never_ending_row(scripted):
    models, _ = scripted
    res = _decode(models, ["ab", "", "hello", "x"], max_len=40)
    assert [r.status for r in res[:3]] == [dr.EOS] * 3
    assert res[3].status == dr.CAP
    p = len(S.text_prefix("x"))
    assert p + len(res[3].tokens) + 1 <= 40  # prefix + ink + room for EOS
    assert len(res[3].tokens) >= 40 - p - 2


def test_repetition_guard_stops_loops_and_drops_the_tail(scripted):
    models, _ = scripted
    res = _decode(models, ["ab", "", "hello", "x", None], max_len=200)
    r = res[4]
    assert r.status == dr.REPEAT
    # the loop (7, 7) -> (8, 8) is kept once, its repeats are gone
    pts = [tuple(p) for s in r.strokes_canvas(S) for p in s]
    assert pts.count((7.5, 7.5)) == 1 and pts.count((8.5, 8.5)) == 1
    assert r.tokens[:5] == tuple(toy.ink([(4, 4), (5, 5)]))
    # without the guard the same row runs into the cap
    res2 = _decode(models, ["ab", "", "hello", "x", None], max_len=60, guard=None)
    assert res2[4].status == dr.CAP


@pytest.mark.parametrize("tokens,expected", [
    ([1, 2, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4], 4),  # (3, 4) five times -> keep one
    ([9, 1, 5, 1, 5, 1, 5, 1, 5], None),  # only four repeats
    ([1, 2, 3, 4, 5, 6, 7, 8], None),
    ([0] + [7, 1, 2, 3] * 5, 5),  # a three-token cycle
])
def test_repetition_guard_cut(tokens, expected):
    assert dr.RepetitionGuard(max_period=12, repeats=5).cut(tokens) == expected


def test_grammar_mask_overrides_illegal_best_token(tmp_path):
    # the script says "y" right after STROKE: illegal (EOS right after SEP is legal: a blank word box)
    bad = S.text_prefix("") + [S.stroke, S.width + 3, 4, S.width + 4, S.eos]
    table_models = load_models(toy.build(tmp_path, [bad], filler=[S.eos]), threads=1)
    r = _decode(table_models, [""])[0]
    assert r.tokens[0] == S.stroke
    assert 0 <= r.tokens[1] < S.width  # an x where the script wanted a y


def test_cancel_between_steps(scripted):
    models, _ = scripted
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(Cancelled):
        _decode(models, ["ab"], cancel=tok)


def test_derenderer_maps_strokes_to_the_page(scripted):
    models, _ = scripted
    der = dr.Derenderer(models, batch_size=2, max_len=64)
    crops = []
    for k in range(3):
        canvas = np.full((S.height, S.width), float(k), np.float32)
        to_crop = Transform.translate(-100.0 * k, -50.0)
        crops.append(dr.WordCrop(np.zeros((4, 4, 3), np.uint8), canvas, to_crop, Transform.scale(0.5)))
    # canvas 0 has no ink at all: reported as empty without a model call
    out = {}
    for idx, res in der.run(crops, ["ab", "", "hello"]):
        out.update(zip(idx, res))
    assert out[0].decoded.status == dr.EMPTY and out[0].strokes == []
    assert out[1].decoded.status == dr.EOS
    pts = out[1].strokes[0]
    np.testing.assert_allclose(pts, (np.array([[5.5, 1.5], [6.5, 2.5]]) / 0.5) + [100, 50], atol=1e-4)


def test_broken_model_is_a_model_error(tmp_path):
    models = load_models(toy.build(tmp_path, [_seq("", toy.ink([(1, 1)]))]), threads=1)
    canv = np.zeros((1, S.height, S.width), np.float32)
    with pytest.raises(ModelError):  # wrong layer count -> the decoder's Concat fails
        dr.greedy_decode(models.encoder, models.decoder, canv, [S.text_prefix("")], S, 3, toy.HEADS,
                         toy.HD, 32)


def _points(tokens):
    return [tuple(int(v) for v in np.floor(p)) for s in S.decode_ink(tokens) for p in s]


def test_ink_constrained_decoding_keeps_every_point_on_the_ink(tmp_path):
    # the script walks a diagonal; the ink is a horizontal band and a vertical bar that the walk mostly misses
    walk = [(i, i // 2) for i in range(2, 30, 2)]
    models = load_models(toy.build(tmp_path, [_seq("", toy.ink(walk, new_stroke_every=5))]), threads=1)
    ink = np.zeros((1, S.height, S.width), bool)
    ink[0, 9:11, :] = True
    ink[0, :, 20:22] = True
    d = models.manifest.decoder
    canv = np.zeros((1, S.height, S.width), np.float32)
    args = (models.encoder, models.decoder, canv, [S.text_prefix("")], S, d.layers, d.heads, d.head_dim, 64, GUARD)
    free = dr.greedy_decode(*args)[0]
    held = dr.greedy_decode(*args, ink=ink)[0]
    assert any(not ink[0, y, x] for x, y in _points(free.tokens))  # the walk does leave the ink
    pts = _points(held.tokens)
    assert pts and all(ink[0, y, x] for x, y in pts)
    # pen lifts and the end stay the model's: same strokes, same number of points, EOS
    assert held.status == dr.EOS
    assert [len(s) for s in S.decode_ink(held.tokens)] == [len(s) for s in S.decode_ink(free.tokens)]


def test_keep_on_ink_masks_columns_then_rows():
    ink = np.zeros((3, S.height, S.width), bool)
    ink[:2, 5, 7] = True
    cols = ink.any(axis=1)
    # row 0 needs an x next, row 1 (just fed x=7) a y; row 2 has no ink at all and decodes freely
    prev = np.array([S.stroke, 7, S.stroke])
    scores = np.zeros((3, S.vocab_size))
    dr.keep_on_ink(scores, ink, cols, prev, S)
    assert np.flatnonzero(np.isfinite(scores[0, :S.width])).tolist() == [7]
    assert np.flatnonzero(np.isfinite(scores[1, S.width:S.stroke])).tolist() == [5]
    assert np.isfinite(scores[2]).all()
    assert np.isfinite(scores[:, S.stroke:]).all()  # pen lifts, EOS: the model's


def test_no_repeat_masks_the_y_of_the_latest_point_only():
    # row 0 was just fed x=7 after the point (7, 5): y=5 would repeat it; row 1 was fed x=8 (another column);
    # row 2 starts a stroke (no latest point); row 3 needs an x (nothing to mask)
    prev = np.array([7, 8, 7, S.stroke])
    last = np.array([[7, 5], [7, 5], [-1, -1], [7, 5]])
    scores = np.zeros((4, S.vocab_size))
    dr.no_repeat(scores, prev, last, S)
    assert np.flatnonzero(~np.isfinite(scores[0])).tolist() == [S.width + 5]
    assert np.isfinite(scores[1:]).all()
    # a row whose only allowed y is the repeat (the ink constraint left no other) keeps it rather than none
    only = np.full((1, S.vocab_size), -np.inf)
    only[0, S.width + 5] = 0.0
    dr.no_repeat(only, np.array([7]), np.array([[7, 5]]), S)
    assert np.isfinite(only[0, S.width + 5])


def test_a_point_is_never_written_twice_in_a_row(tmp_path):
    # the script asks for (5, 5) again right after writing it (a stuck decoder); decoding moves on instead, the
    # rest of the script and its end stay the model's
    script = _seq("", toy.ink([(4, 4), (5, 5), (5, 5), (6, 6)]) + toy.ink([(6, 6), (7, 7)]))
    models = load_models(toy.build(tmp_path, [script]), threads=1)
    (r,) = _decode(models, [""])
    assert r.status == dr.EOS
    strokes = [[tuple(p) for p in s] for s in r.strokes_canvas(S)]
    assert all(a != b for s in strokes for a, b in itertools.pairwise(s))
    assert strokes[0][:2] == [(4.5, 4.5), (5.5, 5.5)] and strokes[0][3] == (6.5, 6.5)
    # a new stroke may start where the last one ended
    assert strokes[1] == [(6.5, 6.5), (7.5, 7.5)]


def test_no_repeat_follows_each_row_when_the_batch_shrinks(tmp_path):
    # the two short rows end after one point and the batch is compacted to the long row just as it asks for its
    # latest point again: that point, the long row's own, is masked (not a finished row's)
    short = [_seq("", toy.ink([(1, 1)])), _seq("", toy.ink([(2, 2)]))]
    long = _seq("", toy.ink([(10, 3), (10, 3), (30, 3)]))
    models = load_models(toy.build(tmp_path, [*short, long]), threads=1)
    res = _decode(models, ["", "", ""])
    assert [r.status for r in res] == [dr.EOS] * 3
    assert res[2].steps > res[0].steps  # the long row went on alone
    pts = [tuple(p) for s in res[2].strokes_canvas(S) for p in s]
    assert pts[0] == (10.5, 3.5) and pts[1] != pts[0] and pts[-1] == (30.5, 3.5)


def test_a_model_may_stop_at_once_on_a_blank_word_box(tmp_path):
    # the grammar lets EOS follow SEP: a word box with nothing written in it decodes to no ink, in one step
    blank, word = _seq(None, []), _seq("a", toy.ink([(3, 4)]))
    models = load_models(toy.build(tmp_path, [blank, word], filler=[7, S.width + 7]), threads=1)
    res = _decode(models, [None, "a"])
    assert (res[0].status, res[0].tokens, res[0].steps) == (dr.EOS, (), 2)  # fed BOS, SEP; then EOS
    assert res[1].status == dr.EOS and list(res[1].tokens) == toy.ink([(3, 4)])


def test_the_first_decisions_eos_probability_is_kept(tmp_path):
    # writing is the likelier first decision for both rows; the first gives EOS ~1.8% (a blank box the model
    # is unsure of), the second ~0.012% (a word it is sure of): both write, each with its probability kept
    scripts = [_seq(None, toy.ink([(3, 4)])), _seq("ab", toy.ink([(6, 2)]))]
    table = toy.script_table(scripts, [7, S.width + 7])
    table[0 * toy.STRIDE + len(S.text_prefix(None)) - 1, S.eos] = 6.0  # 4 below the stroke's logit
    table[1 * toy.STRIDE + len(S.text_prefix("ab")) - 1, S.eos] = 1.0  # 9 below
    models = load_models(toy.build(tmp_path, scripts, table=table), threads=1)
    res = _decode(models, [None, "ab"])
    assert [list(r.tokens) for r in res] == [toy.ink([(3, 4)]), toy.ink([(6, 2)])]
    assert res[0].first_eos_p == pytest.approx(1 / (1 + np.exp(4)), rel=1e-3)
    assert res[1].first_eos_p == pytest.approx(1 / (1 + np.exp(9)), rel=1e-3)
    # the scripted rows' other first decisions: EOS 10 below writing
    plain = _decode(load_models(toy.build(tmp_path / "plain", scripts), threads=1), [None, "ab"])
    assert all(r.first_eos_p == pytest.approx(1 / (1 + np.exp(10)), rel=1e-3) for r in plain)


def _crops(values):
    """Word crops whose canvas is filled with ``k``: the scripted decoder writes script ``k`` for them."""
    out = []
    for k in values:
        canvas = np.full((S.height, S.width), float(k), np.float32)
        out.append(dr.WordCrop(np.zeros((4, 4, 3), np.uint8), canvas, Transform.identity(), Transform.identity()))
    return out


def test_batches_are_even_and_a_multiple_of_the_streams(scripted):
    models, _ = scripted
    two = dr.Derenderer(models, batch_size=32, streams=2)
    assert two.batches(96) == [(0, 24), (24, 48), (48, 72), (72, 96)]
    assert two.batches(59) == [(0, 30), (30, 59)]
    assert two.batches(1) == [(0, 1)] and two.batches(0) == []
    one = dr.Derenderer(models, batch_size=32, streams=1)
    assert one.batches(33) == [(0, 16), (16, 33)]
    assert all(b - a <= 32 for a, b in two.batches(1000))


def test_streams_side_by_side_decode_like_one(scripted):
    models, _ = scripted
    crops, texts = _crops([1, 2, 1, 2, 4, 1]), ["", "hello", "", "hello", None, ""]

    def results(streams):
        out = {}
        for idx, res in dr.Derenderer(models, batch_size=1, streams=streams, max_len=80).run(crops, texts):
            out.update(zip(idx, res))
        return {i: (r.decoded.tokens, r.decoded.status) for i, r in out.items()}

    one, three = results(1), results(3)
    assert one == three and len(one) == 6
    assert one[4][1] == dr.REPEAT and one[0][1] == dr.EOS


def test_streams_stop_on_cancel_and_when_the_caller_leaves(scripted):
    import threading

    models, _ = scripted
    crops = _crops([3] * 8)  # the never-ending walk: each batch runs to the token cap
    tok = CancelToken()
    tok.cancel()
    with pytest.raises(Cancelled):
        list(dr.Derenderer(models, batch_size=1, streams=2, max_len=200).run(crops, ["x"] * 8, tok))
    gen = dr.Derenderer(models, batch_size=1, streams=2, max_len=200).run(crops, ["x"] * 8)
    _, res = next(gen)
    assert res[0].decoded.status == dr.CAP
    gen.close()  # the remaining batches are abandoned: their threads are gone once close returns
    assert not [t for t in threading.enumerate() if t.name.startswith("inklift-decode")]


def test_step_cache_grows_by_its_first_capacity_and_hides_empty_slots():
    cache = dr.StepCache(layers=2, batch=3, heads=1, head_dim=2, capacity=4)
    for n in range(9):
        f = cache.feeds()
        assert f["bias"].shape[-1] == 4 * (n // 4 + 1)
        assert (f["bias"][..., :n] == 0).all() and (f["bias"][..., n:] < -1e8).all()
        cache.append(np.full((2, 3, 1, 2), n, np.float32), np.full((2, 3, 1, 2), -n, np.float32))
    assert cache.capacity == 12 and cache.length == 9
    assert cache.k[0, 0, 0, 0, :9].tolist() == list(range(9)) and cache.v[1, 2, 0, :9, 1].tolist() == [-n for n in range(9)]
    cache.keep(np.array([2]))
    f = cache.feeds()
    assert f["k0"].shape == (1, 1, 2, 12) and f["v1"][0, 0, 8, 0] == -8
