"""Export a checkpoint to ONNX (encoder + decoder step, docs/model-interface.md), check it against torch,
quantize the MatMuls (QUInt8 weights), and write resources/models/ (models, manifest.json).

    python -m training.export --ckpt runs/NAME/last.pt [--out resources/models] [--metrics metrics.json]

The model card (MODEL_CARD.md) is written by hand from the measured numbers (training/measure.py).
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

from inference.model.derender import cache_names
from inference.model.models import FORMAT, sha256_file
from inference.model.tokens import TokenSpec

from .model import Derender, ModelConfig

ENCODER, DECODER = "derender-encoder.onnx", "derender-decoder.onnx"
OPSET = 17
LICENCE = ("Model weights: Apache-2.0 (InkLift). Trained on UNIPEN Train-R01/V07 (CC BY 4.0, (c) 1999 International "
           "Unipen Foundation, https://doi.org/10.5281/zenodo.1195803) and Hershey single-stroke fonts.")
DATA = ("UNIPEN Train-R01/V07 train writers (words, free-text segments, characters) + Hershey single-line font "
        "words, rendered as photo-like crops by training/render.py")


class _Enc(torch.nn.Module):
    def __init__(self, m: Derender):
        super().__init__()
        self.m = m

    def forward(self, image):
        return self.m.encode(image)


class _Dec(torch.nn.Module):
    def __init__(self, m: Derender):
        super().__init__()
        self.m = m

    def forward(self, tokens, memory, position, bias, *caches):
        return self.m.step_cached(tokens, memory, position, bias, *caches)


def caches_from_past(past: np.ndarray, capacity: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """A torch-style past [L, 2, B, H, T, hd] as the ONNX step's bias and cache inputs of ``capacity`` slots."""
    n_layers, _, b, h, t, hd = past.shape
    bias = np.full((1, 1, 1, capacity), -1e9, np.float32)
    bias[..., :t] = 0.0
    caches = []
    for i in range(n_layers):
        k = np.zeros((b, h, hd, capacity), np.float32)
        v = np.zeros((b, h, capacity, hd), np.float32)
        k[..., :t] = np.swapaxes(past[i, 0], -1, -2)
        v[:, :, :t] = past[i, 1]
        caches += [k, v]
    return bias, caches


def load_checkpoint(path: str | Path) -> Derender:
    c = torch.load(path, map_location="cpu", weights_only=False)
    m = Derender(ModelConfig(**c["config"]))
    m.load_state_dict(c["model"])
    return m.eval()


def export_fp32(model: Derender, out_dir: Path) -> tuple[Path, Path]:
    model = model.eval()
    cfg = model.cfg
    enc_p, dec_p = out_dir / ENCODER, out_dir / DECODER
    img = torch.rand(2, 1, cfg.img_h, cfg.img_w)
    with torch.no_grad():
        mem = model.encode(img)
    # wrappers in eval mode: the exporter restores the wrapper's mode (recursively) when it is done
    torch.onnx.export(_Enc(model).eval(), (img,), str(enc_p), input_names=["image"], output_names=["memory"],
                      dynamic_axes={"image": {0: "B"}, "memory": {0: "B"}}, opset_version=OPSET, dynamo=False)
    tok = torch.randint(0, cfg.vocab, (2, 1))
    pos = torch.tensor([3, 3])
    bias, caches = caches_from_past(np.random.default_rng(0).standard_normal(
        (cfg.layers, 2, 2, cfg.heads, 3, cfg.d // cfg.heads)).astype(np.float32), 5)
    names = cache_names(cfg.layers)
    dynamic = {"tokens": {0: "B"}, "memory": {0: "B", 1: "S"}, "position": {0: "B"}, "bias": {3: "Tc"},
               "logits": {0: "B"}, "new_k": {1: "B"}, "new_v": {1: "B"}}
    dynamic.update({n: {0: "B", 3 if n[0] == "k" else 2: "Tc"} for n in names})
    torch.onnx.export(_Dec(model).eval(), (tok, mem, pos, torch.from_numpy(bias), *map(torch.from_numpy, caches)),
                      str(dec_p), input_names=["tokens", "memory", "position", "bias", *names],
                      output_names=["logits", "new_k", "new_v"], dynamic_axes=dynamic, opset_version=OPSET,
                      dynamo=False)
    model.eval()
    return enc_p, dec_p


def fp16_conv_weights(path: Path) -> None:
    """Store Conv weights as float16 behind a Cast (folded by onnxruntime at load): halves their bytes,
    keeps fp32 arithmetic (int8 convolutions are slower on CPU)."""
    m = onnx.load(str(path))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    new_nodes = []
    for node in g.node:
        if node.op_type == "Conv" and len(node.input) > 1 and node.input[1] in inits:
            w = inits[node.input[1]]
            if w.data_type != onnx.TensorProto.FLOAT:
                continue
            arr = numpy_helper.to_array(w).astype(np.float16)
            name16 = w.name + "_fp16"
            g.initializer.remove(w)
            g.initializer.append(numpy_helper.from_array(arr, name16))
            new_nodes.append(onnx.helper.make_node("Cast", [name16], [w.name], to=onnx.TensorProto.FLOAT,
                                                   name=w.name + "_cast"))
    for n in reversed(new_nodes):
        g.node.insert(0, n)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def quantize(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QUInt8, op_types_to_quantize=["MatMul"])


def _session(path: Path, threads: int = 2):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def check_against_torch(model: Derender, enc_p: Path, dec_p: Path, seed: int = 0) -> dict:
    """Max abs differences of memory/logits/present between onnxruntime and torch on random inputs: the ONNX
    cached step against torch's plain step (past -> present), so the two decoding forms are checked too."""
    cfg = model.cfg
    g = torch.Generator().manual_seed(seed)
    img = (torch.rand(3, 1, cfg.img_h, cfg.img_w, generator=g) > 0.9).float()
    with torch.no_grad():
        mem = model.encode(img)
        tok = torch.randint(0, cfg.vocab, (3, 1), generator=g)
        pos = torch.tensor([0, 5, 7])
        past = torch.randn(cfg.layers, 2, 3, cfg.heads, 7, cfg.d // cfg.heads, generator=g)
        lg, pr = model.step(tok, mem, pos, past)
    e, d = _session(enc_p), _session(dec_p)
    (mem_o,) = e.run(["memory"], {"image": img.numpy()})
    names = cache_names(cfg.layers)
    bias, caches = caches_from_past(past.numpy(), 11)  # 7 filled, 4 empty slots the mask must hide
    lg_o, nk, nv = d.run(["logits", "new_k", "new_v"], {"tokens": tok.numpy(), "memory": mem.numpy(),
                                                       "position": pos.numpy(), "bias": bias,
                                                       **dict(zip(names, caches))})
    new = np.stack([nk, nv], 1)[:, :, :, :, None]  # [L, 2, B, H, 1, hd]: the position torch appended
    # T = 0 (first step, every slot empty) must work too
    bias0, caches0 = caches_from_past(np.zeros((cfg.layers, 2, 3, cfg.heads, 0, cfg.d // cfg.heads), np.float32), 4)
    d.run(["logits"], {"tokens": tok.numpy(), "memory": mem.numpy(), "position": pos.numpy(), "bias": bias0,
                       **dict(zip(names, caches0))})
    return {"memory": float(np.abs(mem_o - mem.numpy()).max()), "logits": float(np.abs(lg_o - lg.numpy()).max()),
            "present": float(np.abs(new - pr.numpy()[:, :, :, :, -1:]).max())}


sha256 = sha256_file  # one digest helper for the manifest writer and its reader


def export(model: Derender, out_dir: Path, metrics: dict | None = None, quant: bool = True,
           extra: dict | None = None) -> dict:
    """Write the (quantized) encoder/decoder and manifest.json into ``out_dir``; returns the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = TokenSpec()
    cfg = model.cfg
    with tempfile.TemporaryDirectory() as td:
        enc32, dec32 = export_fp32(model, Path(td))
        diffs = check_against_torch(model, enc32, dec32)
        if quant:
            fp16_conv_weights(enc32)
            quantize(enc32, out_dir / ENCODER)
            quantize(dec32, out_dir / DECODER)
        else:
            for p in (enc32, dec32):
                (out_dir / p.name).write_bytes(p.read_bytes())
    manifest = {
        "format": FORMAT,
        "models": {name[:-5]: {"file": name, "sha256": sha256(out_dir / name), "bytes": (out_dir / name).stat().st_size}
                   for name in (ENCODER, DECODER)},
        "tokens": spec.to_dict(),
        "input": {"height": cfg.img_h, "width": cfg.img_w, "channels": 1,
                  "normalisation": "inference.photo.inkmask.normalized_ink", "fit": "see inference/model/canvas.py"},
        "decoder": {"layers": cfg.layers, "heads": cfg.heads, "head_dim": cfg.d // cfg.heads, "max_len": cfg.max_len,
                    "memory_dim": 2 * cfg.layers * cfg.d, "memory_positions": (cfg.img_h // 16) * (cfg.img_w // 16)},
        "quantization": "dynamic int8, MatMul only, QUInt8 weights; Conv weights stored fp16, computed fp32"
        if quant else "none (fp32)",
        "onnx_vs_torch_max_abs_diff_fp32": diffs,
        "licence": LICENCE,
        "data": DATA,
        "metrics": metrics or {},
        **(extra or {}),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def training_totals(state: dict) -> dict:
    """Steps, samples and compute seconds over the whole lineage (a run started with --init from another)."""
    runs, s = [], state
    while s:
        runs.append(s)
        s = s.get("init")
    out = {"steps": sum(r["step"] for r in runs), "samples": sum(r["samples"] for r in runs),
           "train_seconds": round(sum(r["train_s"] for r in runs))}
    if "averaged" in state:  # weights: the mean of these checkpoints of the last run (training.average)
        out["averaged_steps"] = [a["step"] for a in state["averaged"]]
    if len(runs) > 1:
        out["runs"] = [{"steps": r["step"], "samples": r["samples"], "train_seconds": round(r["train_s"]),
                        **({"from": r["path"]} if "path" in r else {})} for r in runs]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", default="resources/models")
    ap.add_argument("--metrics", help="JSON file with measured metrics to put into the manifest")
    ap.add_argument("--fp32", action="store_true", help="skip quantization (for comparisons)")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    model = load_checkpoint(a.ckpt)
    c = torch.load(a.ckpt, map_location="cpu", weights_only=False)
    metrics = json.loads(Path(a.metrics).read_text()) if a.metrics else {}
    m = export(model, Path(a.out), metrics, quant=not a.fp32,
               extra={"training": {**training_totals(c["state"]), "config": c["config"]}})
    print(json.dumps({k: m[k] for k in ("models", "onnx_vs_torch_max_abs_diff_fp32")}, indent=2))


if __name__ == "__main__":
    main()
