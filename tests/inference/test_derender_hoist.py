"""The decoder step with its memory-only part hoisted out of the token loop decodes exactly the same."""

import numpy as np
import pytest

from inference.model import derender as dr
from inference.model import hoist
from inference.model.models import load_models

pytest.importorskip("onnx", reason="hoisting and the test models need the onnx package (dev/train extra)")
from tests.inference import toy_derender as toy

S = toy.SPEC


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    scripts = [S.text_prefix("ab") + toy.ink([(1, 1), (2, 2), (3, 3)]) + [S.eos],
               S.text_prefix("") + toy.ink([(5, 1), (6, 2)]) + toy.ink([(9, 9), (10, 9), (11, 8)]) + [S.eos],
               S.text_prefix("hello") + toy.ink([(20, 3)]) + [S.eos]]
    return load_models(toy.build(tmp_path_factory.mktemp("toy"), scripts), threads=1)


def _decode(models, step, prepare):
    canv = np.stack([np.full((S.height, S.width), float(k), np.float32) for k in range(3)])
    d = models.manifest.decoder
    return dr.greedy_decode(models.encoder, step, canv, [S.text_prefix(t) for t in ("ab", "", "hello")], S,
                            d.layers, d.heads, d.head_dim, 64, prepare=prepare)


def test_split_moves_the_memory_work_into_prep(models):
    split = hoist.split_decoder(models.manifest.files["derender-decoder"].read_bytes())
    assert split is not None and split.boundary  # the toy's ReduceMean/Reshape/Expand of memory
    assert not split.step_uses_memory


def test_hoisted_decoding_equals_plain_decoding_with_a_shrinking_batch(models):
    step, prepare = models.decoder_step()
    assert prepare is not None, models.notes
    plain = _decode(models, models.decoder, None)
    hoisted = _decode(models, step, prepare)
    assert [r.tokens for r in hoisted] == [r.tokens for r in plain]
    assert [r.status for r in hoisted] == [dr.EOS] * 3
    assert len({r.steps for r in hoisted}) == 3  # rows left at different steps: prepare ran again


def test_a_wrong_split_is_caught_by_the_check(models):
    step, prepare = models.decoder_step()
    wrong = hoist.HoistedDecoder(step, lambda memory: {k: np.zeros_like(v) for k, v in prepare(memory).items()})
    (memory,) = models.encoder.run(["memory"], {"image": np.full((2, 1, S.height, S.width), 1.0, np.float32)})
    d = models.manifest.decoder
    assert hoist.agrees(models.decoder, hoist.HoistedDecoder(step, prepare), memory, d.layers, d.heads,
                        d.head_dim, S.vocab_size)
    assert not hoist.agrees(models.decoder, wrong, memory, d.layers, d.heads, d.head_dim, S.vocab_size)


def test_hoisting_can_be_switched_off(models):
    m = load_models(models.manifest.directory, threads=1, hoist=False)
    step, prepare = m.decoder_step()
    assert prepare is None and step is m.decoder
