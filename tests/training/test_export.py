"""A tiny derender model exports to ONNX, matches torch, and its quantized files load without torch."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from training.export import check_against_torch, export, export_fp32
from training.model import Derender, ModelConfig

ROOT = Path(__file__).resolve().parents[2]


def _tiny():
    torch.manual_seed(0)
    return Derender(ModelConfig(vocab=421, d=32, heads=2, layers=2, ff=64, enc_layers=1, max_len=64)).eval()


def test_forward_and_step_agree():
    m = _tiny()
    img = torch.rand(2, 1, 64, 256)
    tok = torch.randint(0, 421, (2, 9))
    with torch.no_grad():
        full = m(img, tok)
        mem, past, outs = m.encode(img), m.empty_past(2), []
        for t in range(9):
            lg, past = m.step(tok[:, t:t + 1], mem, torch.full((2,), t), past)
            outs.append(lg)
    assert past.shape == (2, 2, 2, 2, 9, 16)
    assert torch.allclose(torch.stack(outs, 1), full, atol=1e-4)


def test_onnx_matches_torch(tmp_path):
    m = _tiny()
    enc, dec = export_fp32(m, tmp_path)
    assert not m.training  # the exporter must not leave the model in training mode
    diffs = check_against_torch(m, enc, dec)
    assert max(diffs.values()) < 1e-4, diffs


def test_quantized_models_load_without_torch(tmp_path):
    m = _tiny()
    man = export(m, tmp_path, {"note": "test"})
    assert set(man["models"]) == {"derender-encoder", "derender-decoder"}
    assert man["tokens"]["vocab_size"] == 421
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["models"]["derender-decoder"]["bytes"] == (tmp_path / "derender-decoder.onnx").stat().st_size
    code = f"""
import sys, numpy as np
sys.modules['torch'] = None  # any import of torch now fails
from training.onnx_decode import OnnxDerender
from inference.model.tokens import TokenSpec
d = OnnxDerender({str(tmp_path)!r}, threads=1)
spec = TokenSpec()
out = d.decode(np.random.default_rng(0).random((2, 64, 256), dtype=np.float32),
               [spec.text_prefix('ab'), spec.text_prefix(None)], max_len=12)
assert len(out) == 2 and all(len(o) <= 12 for o in out)
assert all(0 <= t < spec.vocab_size for o in out for t in o)
print('ok')
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr
    # the quantized decoder really holds uint8 MatMul weights
    import onnx

    g = onnx.load(str(tmp_path / "derender-decoder.onnx")).graph
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat") for n in g.node)
    assert np.any([i.data_type == onnx.TensorProto.UINT8 for i in g.initializer])


def test_a_checkpoint_rebuilt_from_the_quantized_files_computes_the_same_function(tmp_path):
    from training.rebuild import calibrate_batchnorm, rebuild

    m = _tiny()
    with torch.no_grad():  # a trained model's norms and BatchNorm statistics, not the init's ones and zeros
        for name, p in m.named_parameters():
            if p.ndim == 1:
                p.add_(torch.randn_like(p) * 0.2)
        for name, b in m.named_buffers():
            if name.endswith("running_mean"):
                b.normal_(0, 0.1)
            elif name.endswith("running_var"):
                b.uniform_(0.5, 2.0)
    export(m, tmp_path, extra={"training": {"steps": 3, "samples": 48, "train_seconds": 1,
                                            "config": m.cfg.to_dict()}})
    r, _ = rebuild(tmp_path)
    img, tok = torch.rand(4, 1, 64, 256), torch.randint(0, 421, (4, 12))
    calibrate_batchnorm(r, torch.rand(16, 1, 64, 256))
    with torch.no_grad():
        want, got = m(img, tok), r(img, tok)
        assert torch.equal(r.emb.weight, r.head.weight) and torch.equal(r.emb.weight, m.emb.weight)
        rel = (got - want).abs().max() / want.abs().max()
        assert rel < 0.05, rel  # int8 MatMuls and float16 convs, nothing else lost
        r.train()  # BatchNorm on batch statistics: the calibrated affine keeps the function close
        for mod in r.modules():
            if isinstance(mod, torch.nn.Dropout):
                mod.p = 0.0
        rel_train = (r(img, tok) - want).abs().max() / want.abs().max()
        assert rel_train < 0.25, rel_train
