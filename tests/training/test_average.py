"""Checkpoint averaging: the mean of the weights, the last checkpoint's integer buffers, and the lineage kept."""

from dataclasses import replace

import pytest

torch = pytest.importorskip("torch")

from training.average import average_checkpoints
from training.export import load_checkpoint, training_totals
from training.model import Derender, ModelConfig

CFG = ModelConfig(vocab=421, d=32, heads=2, layers=2, ff=64, enc_layers=1, max_len=64)


def _save(path, seed, step, batches):
    torch.manual_seed(seed)
    m = Derender(CFG)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.num_batches_tracked.fill_(batches)
    torch.save({"model": m.state_dict(), "opt": {}, "config": CFG.to_dict(), "tokens": {}, "args": {},
                "state": {"step": step, "samples": 16 * step, "train_s": 1.0}}, path)
    return m.state_dict()


def test_weights_are_averaged_and_the_result_loads(tmp_path):
    sds = [_save(tmp_path / f"s{k}.pt", k, 100 * (k + 1), 7 + k) for k in range(3)]
    avg = average_checkpoints([tmp_path / f"s{k}.pt" for k in range(3)])
    for name, v in avg["model"].items():
        if v.is_floating_point():
            want = (sds[0][name] + sds[1][name] + sds[2][name]) / 3
            assert torch.allclose(v, want, atol=1e-6), name
        else:
            assert torch.equal(v, sds[2][name]), name  # integer buffers: the last checkpoint's
    assert [a["step"] for a in avg["state"]["averaged"]] == [100, 200, 300]
    assert avg["state"]["step"] == 300 and "opt" not in avg
    torch.save(avg, tmp_path / "avg.pt")
    load_checkpoint(tmp_path / "avg.pt")  # exports like any checkpoint
    assert training_totals(avg["state"])["averaged_steps"] == [100, 200, 300]  # the manifest's lineage says so


def test_checkpoints_of_different_models_are_refused(tmp_path):
    _save(tmp_path / "a.pt", 0, 1, 0)
    other = replace(CFG, layers=1)  # the same model but for one decoder layer
    torch.save({"model": Derender(other).state_dict(), "config": other.to_dict(), "tokens": {}, "args": {},
                "state": {"step": 2, "samples": 2, "train_s": 1.0}}, tmp_path / "b.pt")
    with pytest.raises(ValueError, match="not the same model"):
        average_checkpoints([tmp_path / "a.pt", tmp_path / "b.pt"])
    with pytest.raises(ValueError, match="at least two"):
        average_checkpoints([tmp_path / "a.pt"])
