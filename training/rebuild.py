"""Rebuild a torch checkpoint from the shipped int8 ONNX models, to continue training when the run's own
checkpoint is gone (checkpoints are never committed; a fresh machine has only ``resources/models``).

    python -m training.rebuild --models resources/models --out runs/r4-rebuilt/last.pt

How: a fresh model of the manifest's config is exported with the same exporter, which gives the same ONNX
initializer names; each name is tied to its torch parameter by value (MatMul weights are the transposed
Linear weights, Conv weights and biases are BatchNorm folded into the conv). The shipped weights are then
read back: MatMuls dequantized (per-tensor QUInt8, ~0.4% of the range), convs from float16, everything else
exact. A folded conv keeps its weight; its BatchNorm is set so that it reproduces the folded bias in eval mode
and, after calibration on training renders, in train mode too (batch statistics ~ running statistics), so
fine-tuning starts from the shipped function instead of a jolt.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from inference.model.tokens import TokenSpec

from .export import DECODER, ENCODER, export_fp32
from .model import Derender, ModelConfig


def _conv_bn_pairs(model: Derender) -> list[tuple[str, str]]:
    """(conv, batchnorm) module names in definition order: every conv of the encoder is followed by one."""
    pairs, pending = [], None
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            pending = name
        elif isinstance(mod, nn.BatchNorm2d):
            pairs.append((pending, name))
            pending = None
    return pairs


def _initializers(graph) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in graph.initializer}


def _name_map(model: Derender, fresh: dict[str, np.ndarray]) -> dict[str, tuple[str, str]]:
    """ONNX initializer name -> (torch parameter, how): 'same', 'T' (MatMul) or 'conv' (folded)."""
    params = {n: p.detach().numpy() for n, p in model.named_parameters()}
    out: dict[str, tuple[str, str]] = {}
    for name, arr in fresh.items():
        if name.startswith("m."):
            out[name] = (name[2:], "same")
            continue
        hits = []
        for pn, p in params.items():
            if p.shape == arr.shape and p.ndim == 4 and np.allclose(p, arr, rtol=1e-3, atol=1e-6):
                hits.append((pn, "conv"))  # BatchNorm at init (1, 0, 0, 1) folds to the weight / sqrt(1 + eps)
            elif p.ndim == 2 and p.T.shape == arr.shape and np.array_equal(p.T, arr):
                hits.append((pn, "T"))
        if len(hits) == 1:
            out[name] = hits[0]
    return out  # folded conv biases are all zero at init: they are tied to their conv by _conv_bias_names


def _conv_bias_names(graph) -> dict[str, str]:
    """Conv weight initializer -> its bias initializer, from the graph's Conv nodes."""
    return {n.input[1]: n.input[2] for n in graph.node if n.op_type == "Conv" and len(n.input) > 2}


def _dequantized(shipped: dict[str, np.ndarray], name: str) -> np.ndarray | None:
    if name + "_quantized" in shipped:
        q = shipped[name + "_quantized"].astype(np.float32)
        return (q - float(shipped[name + "_zero_point"])) * float(shipped[name + "_scale"])
    if name + "_fp16" in shipped:
        return shipped[name + "_fp16"].astype(np.float32)
    return shipped.get(name)


def rebuild(models: Path) -> tuple[Derender, dict]:
    """The shipped model as a torch Derender (BatchNorm still uncalibrated) and its manifest."""
    manifest = json.loads((models / "manifest.json").read_text())
    cfg = ModelConfig(**manifest["training"]["config"])
    fresh_model = Derender(cfg).eval()
    with torch.no_grad():  # distinct values everywhere, or the exporter shares equal initializers (LayerNorms)
        for name, p in fresh_model.named_parameters():
            if ".n" in name or "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    model = Derender(cfg).eval()
    bn_of = dict(_conv_bn_pairs(fresh_model))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    done: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        enc_p, dec_p = export_fp32(fresh_model, Path(tmp))
        for fresh_path, shipped_path in ((enc_p, models / ENCODER), (dec_p, models / DECODER)):
            fresh_graph = onnx.load(str(fresh_path)).graph
            fresh, shipped = _initializers(fresh_graph), _initializers(onnx.load(str(shipped_path)).graph)
            names = _name_map(fresh_model, fresh)
            biases = _conv_bias_names(fresh_graph)
            for oname, (pname, how) in names.items():
                if how == "T" and pname == "emb.weight":
                    continue  # the output head (tied): the decoder keeps the embedding itself exact
                arr = _dequantized(shipped, oname)
                if arr is None:
                    raise ValueError(f"{shipped_path.name} has no weights for {oname} ({pname})")
                if how == "T":
                    arr = arr.T
                if how == "conv":
                    bn = bn_of[pname.rsplit(".", 1)[0]]
                    bias = _dequantized(shipped, biases[oname])
                    eps = fresh_model.get_submodule(bn).eps
                    state[f"{bn}.weight"] = torch.ones(arr.shape[0])
                    state[f"{bn}.bias"] = torch.from_numpy(np.ascontiguousarray(bias))
                    state[f"{bn}.running_mean"] = torch.zeros(arr.shape[0])
                    state[f"{bn}.running_var"] = torch.full((arr.shape[0],), 1.0 - eps)
                    done.update({f"{bn}.weight", f"{bn}.bias"})
                state[pname] = torch.from_numpy(np.ascontiguousarray(arr)).reshape(state[pname].shape)
                done.add(pname)
    missing = [n for n, _ in model.named_parameters() if n not in done]
    if missing:
        raise ValueError(f"no shipped weights found for {missing}")
    state["head.weight"] = state["emb.weight"]  # tied: both keys are in the state dict, loaded in turn
    model.load_state_dict(state)
    return model, manifest


@torch.no_grad()
def calibrate_batchnorm(model: Derender, images: torch.Tensor) -> None:
    """Give each BatchNorm the statistics of its input on real renders and fold them into its affine part, so
    eval mode computes the same function and train mode (batch statistics) nearly the same."""
    model.eval()
    stats: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    hooks = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.BatchNorm2d):
            def hook(m, inp, _out, name=name):
                x = inp[0]
                stats[name] = (x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False))
            hooks.append(mod.register_forward_hook(hook))
    model.encoder(images)
    for h in hooks:
        h.remove()
    for name, (mean, var) in stats.items():
        bn = model.get_submodule(name)
        shift = bn.bias - bn.weight * bn.running_mean / torch.sqrt(bn.running_var + bn.eps)  # y -> y + shift
        scale = torch.sqrt(var + bn.eps)
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
        bn.weight.copy_(scale)
        bn.bias.copy_(shift + mean)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resources/models")
    ap.add_argument("--out", required=True)
    ap.add_argument("--calib", type=int, default=256, help="training renders for BatchNorm statistics")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    from .train import build_sources, draw_sample

    model, manifest = rebuild(Path(a.models))
    rng = np.random.default_rng(a.seed)
    spec = TokenSpec()
    src = build_sources("train", 0.15)
    images = torch.from_numpy(np.stack([draw_sample(src, rng, spec).image for _ in range(a.calib)]))
    calibrate_batchnorm(model, images)
    t = manifest["training"]
    state = {"step": t["steps"], "samples": t["samples"], "train_s": float(t["train_seconds"]),
             "path": f"{a.models} (int8 ONNX, rebuilt by training.rebuild)"}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "state": state, "config": model.cfg.to_dict(),
                "tokens": spec.to_dict(), "args": vars(a)}, out)
    print(json.dumps({"saved": str(out), **state}))


if __name__ == "__main__":
    main()
