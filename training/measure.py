"""Measure exported derender models on UNIPEN **val writers** rendered as photos (numpy + onnxruntime).

    python -m training.measure --models resources/models [--n 100] [--levels clean,phone,hard]
                               [--fp32 runs/NAME/fp32] [--ckpt runs/NAME/last.pt] [--out reports/measure.json]

For each word: render_word_photo(level) -> fit_crop -> greedy decode (with the label as the text prefix,
as the engine does with OCR text, and in vanilla mode) -> strokes mapped back to the photo -> coverage and
precision at 2% of the word box diagonal, stroke count ratio and stroke direction agreement (share of
matched reference strokes whose nearest predicted stroke runs the same way). With ``--fp32`` and ``--ckpt``
it also reports how often greedy tokens agree between torch, fp32 ONNX and int8 ONNX.
(The team's reference harness is ``python -m training.evaluate trajectories``.)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from inference.model.canvas import fit_crop

from .metrics import coverage_precision, densify
from .onnx_decode import OnnxDerender
from .render import render_word_photo
from .unipen import Unipen


def val_words(n: int, seed: int = 0) -> list[tuple[list[np.ndarray], str]]:
    u = Unipen.load("val")
    idx = u.indices(("6", "7"))
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.permutation(idx):
        lab = u.label(int(i))
        if 1 <= len(lab) <= 32:
            out.append((u.strokes(int(i)), lab))
        if len(out) >= n:
            break
    return out


def direction_agreement(ref: list[np.ndarray], pred: list[np.ndarray], tol: float) -> float:
    """For each reference stroke (longer than 2 tol): find the predicted stroke passing closest to its
    start and end points; agree when that stroke visits the start before the end."""
    if not pred:
        return 0.0
    dense = [densify([p], tol / 2) for p in pred]
    votes = []
    for r in ref:
        r = np.asarray(r)[:, :2]
        if len(r) < 2 or np.hypot(*(r[-1] - r[0])) < 2 * tol:
            continue
        best, bi = None, None
        for k, d in enumerate(dense):
            ds = np.hypot(*(d - r[0]).T)
            de = np.hypot(*(d - r[-1]).T)
            cost = ds.min() + de.min()
            if best is None or cost < best:
                best, bi = cost, (int(ds.argmin()), int(de.argmin()))
        if best is not None and best <= 4 * tol:
            votes.append(bi[0] < bi[1])
    return float(np.mean(votes)) if votes else float("nan")


def run(models: Path, n: int, levels: list[str], seed: int = 0, threads: int = 2, batch: int = 32,
        modes: tuple[str, ...] = ("text", "vanilla")) -> dict:
    dec = OnnxDerender(models, threads=threads)
    spec = dec.spec
    words = val_words(n, seed)
    res: dict = {"n_words": len(words), "split": "UNIPEN val writers, categories 6/7", "seed": seed}
    for level in levels:
        rng = np.random.default_rng([seed, ["clean", "phone", "hard", "train"].index(level)])
        rendered = [render_word_photo(s, rng, level) for s, _ in words]
        fits = [fit_crop(r.image, spec) for r in rendered]
        canv = np.stack([f[0] for f in fits])
        for mode in modes:
            t0 = time.time()
            toks: list[list[int]] = []
            for i in range(0, len(words), batch):
                pre = [spec.text_prefix(lab if mode == "text" else None) for _, lab in words[i:i + batch]]
                toks += dec.decode(canv[i:i + batch], pre)
            el = time.time() - t0
            cov, prec, ratio, dirs = [], [], [], []
            for r, (cv, t), tk in zip(rendered, fits, toks):
                pred = [t.inverse().apply(p) for p in spec.decode_ink(tk)]
                ref = r.strokes
                c, p = coverage_precision(ref, pred)
                cov.append(c)
                prec.append(p)
                ratio.append(len(pred) / max(1, len(ref)))
                allr = np.concatenate(ref)
                tol = 0.02 * float(np.hypot(*np.ptp(allr, axis=0)))
                dirs.append(direction_agreement(ref, pred, max(tol, 1e-6)))
            res[f"{level}/{mode}"] = {
                "coverage": float(np.mean(cov)), "precision": float(np.mean(prec)),
                "coverage_median": float(np.median(cov)), "precision_median": float(np.median(prec)),
                "direction_agreement": float(np.nanmean(dirs)) if np.any(np.isfinite(dirs)) else None,
                "stroke_count_ratio_median": float(np.median(ratio)), "words_per_s": len(words) / el}
            print(level, mode, json.dumps(res[f"{level}/{mode}"]), flush=True)
    return res


def blank_stops(models: Path, strokes: list[list[np.ndarray]], seed: int = 0, threads: int = 2, batch: int = 32,
                within: int = 3) -> dict:
    """Word boxes with no writing in them (``render_word_photo(blank=True)``: each word's crop, rulings,
    neighbours, lighting and noise, without the word; levels in turn): the share on which the model writes
    EOS within ``within`` tokens (vanilla mode, no repetition guard), the share on which it stops or at least
    hesitates at its first decision (EOS probability >= ``UNSURE_EOS_P``, which the engine heeds where the ink
    written is off the word's ink), the share the engine skips before decoding for having too little ink, and
    the share on which the whole engine (word mode: ink mask, decoding kept on the ink, completion, tracer
    fallback) writes no stroke at all: what a user sees."""
    from inference.model.derender import EOS, MIN_INK, greedy_decode
    from inference.pipeline import UNSURE_EOS_P, PipelineConfig, derender_word_image

    dec = OnnxDerender(models, threads=threads)
    spec = dec.spec
    rng = np.random.default_rng([seed, 99])
    levels = ("clean", "phone", "hard", "train")
    images = [render_word_photo(s, rng, levels[i % 4], blank=True).image for i, s in enumerate(strokes)]
    fits = [fit_crop(im, spec) for im in images]
    canv = np.stack([f[0] for f in fits]).astype(np.float32)
    stopped, unsure = [], []
    for i in range(0, len(canv), batch):
        part = canv[i:i + batch]
        out = greedy_decode(dec.enc, dec.dec, part, [spec.text_prefix(None)] * len(part), spec, dec.layers,
                            dec.heads, dec.head_dim, max_len=2 + within + 2, guard=None)
        stopped += [d.status == EOS and len(d.tokens) < within for d in out]
        unsure += [d.first_eos_p >= UNSURE_EOS_P for d in out]
    skipped = [float(c.sum()) < MIN_INK for c in canv]
    cfg = PipelineConfig(models_dir=str(models), threads=threads)
    no_ink = [not derender_word_image(im, None, cfg).strokes for im in images]
    return {"n": len(canv), f"eos_within_{within}": float(np.mean(stopped)),
            "first_eos_p_at_least_unsure": float(np.mean(np.array(stopped) | np.array(unsure))),
            "unsure_eos_p": UNSURE_EOS_P,
            "engine_skips_as_empty": float(np.mean(skipped)), "engine_writes_nothing": float(np.mean(no_ink)),
            "levels": "clean/phone/hard/train in turn", "seed": seed}


def agreement(ckpt: Path, fp32_dir: Path, int8_dir: Path, n: int, seed: int = 0) -> dict:
    """Share of val items whose greedy tokens are identical: torch vs fp32 ONNX, fp32 vs int8 ONNX."""
    import torch

    from .export import load_checkpoint
    from .train import greedy

    model = load_checkpoint(ckpt)
    d32, d8 = OnnxDerender(fp32_dir), OnnxDerender(int8_dir)
    spec = d32.spec
    words = val_words(n, seed + 1)
    rng = np.random.default_rng(seed)
    canv = np.stack([fit_crop(render_word_photo(s, rng, "phone").image, spec)[0] for s, _ in words])
    pre = [spec.text_prefix(lab) for _, lab in words]
    a = d32.decode(canv, pre)
    b = d8.decode(canv, pre)
    with torch.no_grad():
        t = greedy(model, torch.from_numpy(canv[:, None]), pre, spec)
    t = [x[:-1] if x and x[-1] == spec.eos else x for x in t]
    return {"n": len(words), "torch_vs_fp32_onnx": float(np.mean([x == y for x, y in zip(t, a)])),
            "fp32_vs_int8_onnx": float(np.mean([x == y for x, y in zip(a, b)]))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resources/models")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--levels", default="clean,phone,hard")
    ap.add_argument("--modes", default="text,vanilla")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fp32", help="directory with fp32 ONNX models (for the agreement check)")
    ap.add_argument("--ckpt", help="checkpoint (for the torch vs ONNX agreement check)")
    ap.add_argument("--agree-n", type=int, default=50)
    ap.add_argument("--blanks", type=int, default=0, help="also this many blank word boxes (EOS at once?)")
    ap.add_argument("--out", default="reports/measure.json")
    a = ap.parse_args(argv)
    res = run(Path(a.models), a.n, a.levels.split(","), a.seed, a.threads, modes=tuple(a.modes.split(","))) \
        if a.n else {}
    if a.blanks:
        res["blanks"] = blank_stops(Path(a.models), [s for s, _ in val_words(a.blanks, a.seed + 2)], a.seed,
                                    a.threads)
        print("blanks", json.dumps(res["blanks"]), flush=True)
    if a.fp32 and a.ckpt:
        res["agreement"] = agreement(Path(a.ckpt), Path(a.fp32), Path(a.models), a.agree_n, a.seed)
        print("agreement", res["agreement"])
    res["command"] = "python -m training.measure " + " ".join(argv or __import__("sys").argv[1:])
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
