"""Greedy decoding with the exported ONNX models (numpy + onnxruntime only, no torch): for checks and
benchmarks in training/. The production decoder is inference/derender.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inference.tokens import TokenSpec


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
        sp = self.spec
        self.allowed = np.stack([sp.allowed_next(t) for t in range(sp.vocab_size)])

    def decode(self, canvases: np.ndarray, prefixes: list[list[int]], max_len: int = 400) -> list[list[int]]:
        """canvases float32 [B, H, W]; returns the tokens generated after each prefix (EOS excluded)."""
        b = len(prefixes)
        (memory,) = self.enc.run(["memory"], {"image": canvases.reshape(b, 1, *canvases.shape[-2:]).astype(np.float32)})
        past = np.zeros((self.layers, 2, b, self.heads, 0, self.head_dim), np.float32)
        rows = np.arange(b)
        out: list[list[int]] = [[] for _ in range(b)]
        cur = np.array([p[0] for p in prefixes], np.int64)
        for pos in range(max_len):
            logits, past = self.dec.run(["logits", "present"], {"tokens": cur[:, None], "memory": memory,
                                                                "position": np.full(len(rows), pos, np.int64),
                                                                "past": past})
            nxt = np.where(self.allowed[cur], logits, -np.inf).argmax(1)
            keep = np.ones(len(rows), bool)
            for k, r in enumerate(rows):
                if pos + 1 < len(prefixes[r]):
                    nxt[k] = prefixes[r][pos + 1]
                elif nxt[k] == self.spec.eos:
                    keep[k] = False
                else:
                    out[r].append(int(nxt[k]))
            if not keep.all():
                rows, nxt = rows[keep], nxt[keep]
                past, memory = np.ascontiguousarray(past[:, :, keep]), np.ascontiguousarray(memory[keep])
                if not len(rows):
                    break
            cur = nxt.astype(np.int64)
        return out
