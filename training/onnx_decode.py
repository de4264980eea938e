"""Greedy decoding with the exported ONNX models (numpy + onnxruntime only, no torch): for checks and
benchmarks in training/. The production decoder is inference/model/derender.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inference.model.derender import greedy_decode
from inference.model.tokens import TokenSpec


class OnnxDerender:
    def __init__(self, model_dir: Path | str, threads: int = 2, encoder: str = "derender-encoder.onnx",
                 decoder: str = "derender-decoder.onnx"):
        import json

        import onnxruntime as ort

        d = Path(model_dir)
        man = json.loads((d / "manifest.json").read_text())
        self.spec = TokenSpec.from_dict(man["tokens"])
        dec = man["decoder"]
        self.layers, self.heads, self.head_dim = dec["layers"], dec["heads"], dec["head_dim"]
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        prov = ["CPUExecutionProvider"]
        self.enc = ort.InferenceSession(str(d / encoder), so, providers=prov)
        self.dec = ort.InferenceSession(str(d / decoder), so, providers=prov)

    def decode(self, canvases: np.ndarray, prefixes: list[list[int]], max_len: int = 400) -> list[list[int]]:
        """canvases float32 [B, H, W]; returns the tokens generated after each prefix (EOS excluded).

        The engine's own greedy loop (grammar mask, in-place KV cache), without its repetition guard, so the
        raw model is measured."""
        decoded = greedy_decode(self.enc, self.dec, canvases, prefixes, self.spec, self.layers, self.heads,
                                self.head_dim, max_len, guard=None)
        return [list(d.tokens) for d in decoded]
