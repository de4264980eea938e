"""A scripted encoder/decoder pair with the real ONNX contract, built with the onnx helper API (no torch).

Row ``k`` of a batch gets a canvas filled with the value ``k``. The encoder's memory is that value; the
decoder returns it as the new keys/values, reads the filled slots of the cache back (so a cache that was
not written, or rows mixed up when the batch is compacted, change the output) and emits ``script[k][T + 1]`` where ``T`` is
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

from inference.model.tokens import TokenSpec

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
    n = HEADS * HD
    nodes = [
        helper.make_node("ReduceMean", ["memory"], ["off"], axes=[1, 2], keepdims=0),  # [B]
        # + 0 * token, so the new keys depend on the step like a real model's (memory-only outputs can't be hoisted)
        helper.make_node("Cast", ["tokens"], ["tokf"], to=TensorProto.FLOAT),  # [B,1]
        helper.make_node("Mul", ["tokf", "zero"], ["tok0"]),
        helper.make_node("Reshape", ["off", "kvshape"], ["off4"]),  # [1,B,1,1]
        helper.make_node("Reshape", ["tok0", "kvshape"], ["tok4"]),
        helper.make_node("Add", ["off4", "tok4"], ["kv4"]),
        helper.make_node("Expand", ["kv4", "kvexpand"], ["new_k"]),  # [L,B,heads,hd]
        helper.make_node("Identity", ["new_k"], ["new_v"]),
        # the filled slots, as the engine's bias marks them
        helper.make_node("Greater", ["bias", "minus1"], ["filled"]),
        helper.make_node("Cast", ["filled"], ["valid"], to=TensorProto.FLOAT),  # [1,1,1,Tc]
        helper.make_node("Reshape", ["valid", "vshape"], ["valid_v"]),  # [1,1,Tc,1]
        helper.make_node("Mul", ["k0", "valid"], ["k0m"]),
        helper.make_node("Mul", ["v1", "valid_v"], ["v1m"]),
        helper.make_node("ReduceSum", ["k0m", "ax123"], ["ksum"], keepdims=0),  # [B]
        helper.make_node("ReduceSum", ["v1m", "ax123"], ["vsum"], keepdims=0),
        helper.make_node("ReduceSum", ["valid"], ["t"], keepdims=0),  # scalar: tokens already in the cache
        # mean over the cached keys/values and this step's own: rows mixed up, or a cache not written back,
        # change it
        helper.make_node("Add", ["ksum", "vsum"], ["kvsum"]),
        helper.make_node("Mul", ["off", "two_n"], ["own"]),
        helper.make_node("Add", ["kvsum", "own"], ["total"]),
        helper.make_node("Add", ["t", "one"], ["t1"]),
        helper.make_node("Mul", ["t1", "two_n"], ["count"]),
        helper.make_node("Div", ["total", "count"], ["coff"]),
        helper.make_node("Round", ["coff"], ["coffr"]),
        helper.make_node("Cast", ["coffr"], ["coffi"], to=TensorProto.INT64),
        helper.make_node("Cast", ["t"], ["ti"], to=TensorProto.INT64),
        helper.make_node("Mul", ["coffi", "stride"], ["base"]),
        helper.make_node("Add", ["base", "ti"], ["row0"]),
        helper.make_node("Sub", ["position", "ti"], ["dpos"]),
        helper.make_node("Mul", ["dpos", "big"], ["bad"]),
        helper.make_node("Add", ["row0", "bad"], ["row"]),
        helper.make_node("Gather", ["table", "row"], ["logits"], axis=0),
    ]
    inits = [numpy_helper.from_array(np.array([1, -1, 1, 1], np.int64), "kvshape"),
             numpy_helper.from_array(np.array([L, 1, HEADS, HD], np.int64), "kvexpand"),
             numpy_helper.from_array(np.array([1, 1, -1, 1], np.int64), "vshape"),
             numpy_helper.from_array(np.array([1, 2, 3], np.int64), "ax123"),
             numpy_helper.from_array(np.array(-1.0, np.float32), "minus1"),
             numpy_helper.from_array(np.array(1.0, np.float32), "one"),
             numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
             numpy_helper.from_array(np.array(2.0 * n, np.float32), "two_n"),
             numpy_helper.from_array(np.array(STRIDE, np.int64), "stride"),
             numpy_helper.from_array(np.array(10_000_000, np.int64), "big"),
             numpy_helper.from_array(table.astype(np.float32), "table")]
    ins = [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["B", 1]),
           helper.make_tensor_value_info("memory", TensorProto.FLOAT, ["B", S, D]),
           helper.make_tensor_value_info("position", TensorProto.INT64, ["B"]),
           helper.make_tensor_value_info("bias", TensorProto.FLOAT, [1, 1, 1, "Tc"])]
    for i in range(L):
        ins += [helper.make_tensor_value_info(f"k{i}", TensorProto.FLOAT, ["B", HEADS, HD, "Tc"]),
                helper.make_tensor_value_info(f"v{i}", TensorProto.FLOAT, ["B", HEADS, "Tc", HD])]
    outs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", spec.vocab_size]),
            helper.make_tensor_value_info("new_k", TensorProto.FLOAT, [L, "B", HEADS, HD]),
            helper.make_tensor_value_info("new_v", TensorProto.FLOAT, [L, "B", HEADS, HD])]
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
          max_len: int = 64, spec: TokenSpec = SPEC, table: np.ndarray | None = None) -> Path:
    """Write encoder, decoder and a manifest with correct sha256 into ``directory``. ``table``: the decoder's
    logit table instead of ``script_table(scripts, filler, spec)`` (e.g. with a second choice made likelier)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"derender-encoder": _encoder(),
             "derender-decoder": _decoder(script_table(scripts, filler, spec) if table is None else table, spec)}
    models = {}
    for name, model in files.items():
        onnx.checker.check_model(model)
        p = directory / f"{name}.onnx"
        onnx.save(model, str(p))
        data = p.read_bytes()
        models[name] = {"file": p.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {"format": 2, "models": models, "tokens": spec.to_dict(),
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
