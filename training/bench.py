"""Benchmark: training samples/s on the CPU and inference words/s of the exported models.

    python -m training.bench [--int8 resources/models] [--fp32 runs/NAME/fp32] [--threads 2] [--words 32]

Training: forward + backward + AdamW step of the full model on rendered samples (batch 16), with the
given torch thread count (and 1 thread for comparison), plus the data pipeline's samples/s on one core.
Inference: greedy decoding (numpy + onnxruntime, training/onnx_decode.py) of rendered words, batch 1 and
batch 32, fp32 and int8, ``--threads`` onnxruntime threads. Prints a table. Words come from the UNIPEN
val writers when the shared data is there, otherwise from Hershey-font words.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from inference.model.canvas import fit_crop
from inference.model.tokens import TokenSpec

from .render import render_word_photo


def _words(n: int, seed: int = 0) -> list[tuple[list[np.ndarray], str]]:
    try:
        from .measure import val_words

        return val_words(n, seed)
    except (FileNotFoundError, OSError):
        from .fonts import FontSource

        fs = FontSource()
        rng = np.random.default_rng(seed)
        return [fs(rng) for _ in range(n)]


def bench_training(threads: int, batch: int = 16, steps: int = 3) -> dict:
    import torch

    from .data import make_sample
    from .model import Derender, ModelConfig
    from .train import collate

    spec = TokenSpec()
    rng = np.random.default_rng(0)
    words = _words(batch * 2)
    t0 = time.time()
    samples = [s for s in (make_sample(w, lab, rng, spec, "train") for w, lab in words) if s is not None]
    data_rate = len(words) / (time.time() - t0)
    bt = collate(samples[:batch], spec.pad)
    out = {"data_samples_per_s_1core": data_rate, "mean_seq": float(bt["inp"].shape[1])}
    for th in sorted({threads, 1}, reverse=True):
        torch.set_num_threads(th)
        torch.manual_seed(0)
        m = Derender(ModelConfig(vocab=spec.vocab_size)).train()
        opt = torch.optim.AdamW(m.parameters(), 3e-4)
        times = []
        for k in range(steps + 1):
            t = time.time()
            logits = m(bt["image"], bt["inp"])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), bt["tgt"].reshape(-1),
                                                     ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if k:
                times.append(time.time() - t)
        out[f"train_samples_per_s_{th}thr"] = batch / float(np.median(times))
    return out


def bench_inference(model_dir: Path, threads: int, n: int, decoder: str = "derender-decoder.onnx",
                    encoder: str = "derender-encoder.onnx") -> dict:
    from .onnx_decode import OnnxDerender

    d = OnnxDerender(model_dir, threads=threads, encoder=encoder, decoder=decoder)
    spec = d.spec
    rng = np.random.default_rng(1)
    words = _words(n, 3)
    canv = np.stack([fit_crop(render_word_photo(w, rng, "phone").image, spec)[0] for w, _ in words])
    pre = [spec.text_prefix(lab) for _, lab in words]
    out = {}
    k = min(8, n)
    t = time.time()
    toks = [d.decode(canv[i:i + 1], pre[i:i + 1])[0] for i in range(k)]
    out["batch1_words_per_s"] = k / (time.time() - t)
    t = time.time()
    toks32 = []
    for i in range(0, n, 32):
        toks32 += d.decode(canv[i:i + 32], pre[i:i + 32])
    out["batch32_words_per_s"] = n / (time.time() - t)
    out["mean_tokens"] = float(np.mean([len(x) for x in toks32]))
    del toks
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--int8", default="resources/models")
    ap.add_argument("--fp32", default="", help="directory with the fp32 models and a manifest.json")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--words", type=int, default=32)
    ap.add_argument("--no-train", action="store_true")
    a = ap.parse_args(argv)
    rows = []
    if not a.no_train:
        tr = bench_training(a.threads)
        for k, v in tr.items():
            rows.append((k, f"{v:.1f}"))
    for name, d in (("fp32", a.fp32), ("int8", a.int8)):
        if d and (Path(d) / "manifest.json").exists():
            r = bench_inference(Path(d), a.threads, a.words)
            for k, v in r.items():
                rows.append((f"{name} {k} ({a.threads} thr)", f"{v:.1f}"))
    w = max(len(k) for k, _ in rows)
    print(f"{'measure'.ljust(w)}  value")
    for k, v in rows:
        print(f"{k.ljust(w)}  {v}")


if __name__ == "__main__":
    main()
