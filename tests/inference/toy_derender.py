"""A scripted encoder/decoder pair with the real ONNX contract, built with the onnx helper API (no torch).

Row ``k`` of a batch gets a canvas filled with the value ``k``. The encoder's memory is that value; the
decoder writes it into the KV cache, reads it back from the whole cache (so a cache that was not fed back,
or rows mixed up when the batch shrinks, change the output) and emits ``script[k][T + 1]`` where ``T`` is
the number of tokens already in the cache. ``position`` must equal ``T`` or the Gather goes out of range.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from inference.tokens import TokenSpec

SPEC = TokenSpec(width=32, height=16, max_text=8)
L, HEADS, HD, S, D = 2, 2, 4, 3, 8
STRIDE = 256  # rows per script (>= max_len)
OPSET = 17


def _encoder() -> onnx.ModelProto:
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["m"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Unsqueeze", ["m", "ax12"], ["m3"]),
        helper.make_node("Expand", ["m3", "shape"], ["memory"]),
    ]
    inits = [numpy_helper.from_array(np.array([1, 2], np.int64), "ax12"),
             numpy_helper.from_array(np.array([1, S, D], np.int64), "shape")]
    g = helper.make_graph(nodes, "toy_encoder",
                          [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["B", 1, "H", "W"])],
                          [helper.make_tensor_value_info("memory", TensorProto.FLOAT, ["B", S, D])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)


def _decoder(table: np.ndarray, spec: TokenSpec = SPEC) -> onnx.ModelProto:
    nodes = [
        helper.make_node("ReduceMean", ["memory"], ["off"], axes=[1, 2], keepdims=0),  # [B]
        helper.make_node("Reshape", ["off", "kvshape"], ["off6"]),  # [1,1,B,1,1,1]
        helper.make_node("Expand", ["off6", "kvexpand"], ["newkv"]),  # [L,2,B,heads,1,hd]
        helper.make_node("Concat", ["past", "newkv"], ["present"], axis=4),
        helper.make_node("ReduceMean", ["present"], ["coff"], axes=[0, 1, 3, 4, 5], keepdims=0),  # [B]
        helper.make_node("Round", ["coff"], ["coffr"]),
        helper.make_node("Cast", ["coffr"], ["coffi"], to=TensorProto.INT64),
        helper.make_node("Mul", ["coffi", "stride"], ["base"]),
        helper.make_node("Shape", ["past"], ["t"], start=4, end=5),  # [1]
        helper.make_node("Add", ["base", "t"], ["row0"]),
        helper.make_node("Sub", ["position", "t"], ["dpos"]),
        helper.make_node("Mul", ["dpos", "big"], ["bad"]),
        helper.make_node("Add", ["row0", "bad"], ["row"]),
        helper.make_node("Gather", ["table", "row"], ["logits"], axis=0),
    ]
    inits = [numpy_helper.from_array(np.array([1, 1, -1, 1, 1, 1], np.int64), "kvshape"),
             numpy_helper.from_array(np.array([L, 2, 1, HEADS, 1, HD], np.int64), "kvexpand"),
             numpy_helper.from_array(np.array(STRIDE, np.int64), "stride"),
             numpy_helper.from_array(np.array(10_000_000, np.int64), "big"),
             numpy_helper.from_array(table.astype(np.float32), "table")]
    ins = [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["B", 1]),
           helper.make_tensor_value_info("memory", TensorProto.FLOAT, ["B", S, D]),
           helper.make_tensor_value_info("position", TensorProto.INT64, ["B"]),
           helper.make_tensor_value_info("past", TensorProto.FLOAT, [L, 2, "B", HEADS, "T", HD])]
    outs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", spec.vocab_size]),
            helper.make_tensor_value_info("present", TensorProto.FLOAT, [L, 2, "B", HEADS, "T1", HD])]
    g = helper.make_graph(nodes, "toy_decoder", ins, outs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8)


def script_table(scripts: Sequence[Sequence[int]], filler: Sequence[int] | None = None,
                 spec: TokenSpec = SPEC) -> np.ndarray:
    """Logit table: row k*STRIDE + t is one-hot (10.0) at scripts[k][t + 1].

    Past a script's end the row repeats ``filler`` cyclically (default: EOS).
    """
    v = spec.vocab_size
    table = np.zeros((len(scripts) * STRIDE, v), np.float32)
    for k, seq in enumerate(scripts):
        for t in range(STRIDE):
            if t + 1 < len(seq):
                tok = seq[t + 1]
            elif filler:
                tok = filler[(t + 1 - len(seq)) % len(filler)]
            else:
                tok = spec.eos
            table[k * STRIDE + t, tok] = 10.0
    return table


def build(directory: Path, scripts: Sequence[Sequence[int]], filler: Sequence[int] | None = None,
          max_len: int = 64, spec: TokenSpec = SPEC) -> Path:
    """Write encoder, decoder and a manifest with correct sha256 into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"derender-encoder": _encoder(),
             "derender-decoder": _decoder(script_table(scripts, filler, spec), spec)}
    models = {}
    for name, model in files.items():
        onnx.checker.check_model(model)
        p = directory / f"{name}.onnx"
        onnx.save(model, str(p))
        data = p.read_bytes()
        models[name] = {"file": p.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {"format": 1, "models": models, "tokens": spec.to_dict(),
                "input": {"height": spec.height, "width": spec.width, "channels": 1},
                "decoder": {"layers": L, "heads": HEADS, "head_dim": HD, "max_len": max_len},
                "licence": "test", "data": "none", "metrics": {}}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def ink(points: Sequence[tuple[int, int]], new_stroke_every: int | None = None) -> list[int]:
    """Ink tokens for one stroke through ``points`` (pixel indices)."""
    out = [SPEC.stroke]
    for i, (x, y) in enumerate(points):
        if new_stroke_every and i and i % new_stroke_every == 0:
            out.append(SPEC.stroke)
        out += [x, SPEC.width + y]
    return out
