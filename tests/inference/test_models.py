"""models.py: manifest checks and lazy sessions."""

import json

import pytest

from inference.errors import ModelError
from inference.model.models import load_models, read_manifest

pytest.importorskip("onnx", reason="the tests build their ONNX models with the onnx package (dev/train extra)")
from tests.inference import toy_derender as toy


@pytest.fixture()
def model_dir(tmp_path):
    return toy.build(tmp_path / "m", [toy.SPEC.text_prefix("") + toy.ink([(1, 1)]) + [toy.SPEC.eos]])


def test_good_manifest_loads_lazily(model_dir):
    ms = load_models(model_dir, threads=1)
    assert ms.spec == toy.SPEC and ms.manifest.decoder.layers == toy.L
    assert ms._sessions == {}  # nothing opened yet
    assert {i.name for i in ms.decoder.get_inputs()} >= {"tokens", "memory", "position", "bias", "k0", "v0"}


def test_sha256_mismatch_is_a_model_error(model_dir):
    p = model_dir / "derender-decoder.onnx"
    data = bytearray(p.read_bytes())
    data[-1] ^= 0xFF  # same size, different content
    p.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256 of derender-decoder.onnx"):
        load_models(model_dir)


def test_missing_file_and_manifest(model_dir, tmp_path):
    (model_dir / "derender-encoder.onnx").unlink()
    with pytest.raises(ModelError, match="derender-encoder.onnx is missing"):
        read_manifest(model_dir)
    with pytest.raises(ModelError, match="manifest.json is missing"):
        read_manifest(tmp_path / "nowhere")


def test_token_layout_mismatch(model_dir):
    m = json.loads((model_dir / "manifest.json").read_text())
    m["tokens"]["vocab_size"] += 1
    (model_dir / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ModelError, match="inconsistent"):
        read_manifest(model_dir)
