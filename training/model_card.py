"""Write resources/models/MODEL_CARD.md from the manifest, the measurement JSON and the training log.

    python -m training.model_card --models resources/models --measure reports/measure.json
                                  --log runs/NAME/log.jsonl [--harness reports/eval/....json] [--notes FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ATTRIBUTION = (
    "UNIPEN Train-R01/V07 on-line handwriting data, (c) 1999 International Unipen Foundation / UNIPEN consortium, "
    "from Zenodo (https://doi.org/10.5281/zenodo.1195803) via https://github.com/GreenCappuccino/train_r01_v07, "
    "licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Provided \"as is\", without "
    "warranty. Modified: converted to numpy arrays, split by writer; here additionally resampled, simplified "
    "(Ramer-Douglas-Peucker), rendered as synthetic photos and used to train model weights. Please cite: "
    "I. Guyon, L. Schomaker, R. Plamondon, M. Liberman, S. Janet, \"UNIPEN project of on-line data exchange and "
    "recognizer benchmarks\", ICPR 1994, doi:10.1109/ICPR.1994.576870. The original 1999 CD-ROM notice "
    "restricted use to research; the Zenodo/GitHub releases carry CC BY 4.0.")


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def build(manifest: dict, measure: dict, log: list[dict], harness: str = "", notes: str = "",
          bench: str = "", training_notes: str = "") -> str:
    tr = manifest.get("training", {})
    cfg = tr.get("config", {})
    starts = [r for r in log if r.get("event") == "start"]
    vals = [r for r in log if "val_loss" in r]
    trains = [r for r in log if "samples_per_s" in r]
    sizes = {k: v["bytes"] for k, v in manifest["models"].items()}
    lines = [
        "# Derender model (derender-encoder.onnx + derender-decoder.onnx)",
        "",
        ("Reads a photo crop of one handwritten word (normalised by `inference.photo.inkmask.normalized_ink`, fitted on a "
        "64x256 canvas by `inference.model.canvas.fit_crop`) and writes its pen strokes as InkSight-style tokens "
        "(`inference/model/tokens.py`), optionally conditioned on the word's text (OCR) or in vanilla mode."),
        "",
        "## Model",
        f"- CNN encoder (ResNet-style, stride 16 -> 4x16 = 64 memory positions, d={cfg.get('d')}, "
        f"{cfg.get('enc_layers')} transformer layer over the memory, 2D learned positions) + "
        f"{cfg.get('layers')}-layer pre-LN Transformer decoder (d {cfg.get('d')}, {cfg.get('heads')} heads, "
        f"ff {cfg.get('ff')}), tied embeddings; {starts[0]['params'] / 1e6:.2f} M parameters." if starts else "",
        ("- The encoder also computes every decoder layer's cross-attention keys/values, so `memory` is "
        f"[B, 64, {manifest['decoder'].get('memory_dim')}] (see `training/model.py`); the decoder step takes "
        "`tokens, memory, position, bias` and the per-layer KV cache buffers `k0, v0, ...` it reads in place, "
        "and returns `logits` and this token's `new_k, new_v` (docs/model-interface.md, format 2)."),
        "- Files: " + ", ".join(f"`{k}.onnx` {v / 1e6:.2f} MB" for k, v in sizes.items())
        + f" (total {sum(sizes.values()) / 1e6:.2f} MB). {manifest.get('quantization', '')}.",
        f"- ONNX fp32 vs torch max abs diff on random inputs: {manifest.get('onnx_vs_torch_max_abs_diff_fp32')}.",
        "",
        "## Data",
        ("- UNIPEN Train-R01/V07 **train writers only** (`unipen_train.npz`): words (categories 6/7), free texts "
        "(8) cut into canvas-sized line segments (label kept only when the whole item fits; else vanilla), "
        "isolated characters (1a-1c). Val writers are used only for validation/metrics; test writers never."),
        ("- Hershey single-line fonts (futural, rowmans, scripts, cursive; PyPI `hershey-fonts`): random words "
        "(UNIPEN train labels), numbers, dates, formula-like tokens, with per-letter jitter, slant, baseline "
        "drift, elastic warp, cursive joins; i/j dots and t/f bars written last half of the time. 15% of samples."),
        ("- Every sample rendered by `training/render.py` (`render_word_photo`, level mix train 72% / phone 14% / "
        "clean 9% / hard 5%): rotation (+-8 deg mostly, up to +-45), slant, perspective, ink/paper colours, pen "
        "width 1-12 px, ballpoint/gel/marker/pencil, bleed, ruled lines/grids/margins, texture, lighting "
        "gradients, shadows, blur, noise, JPEG, slivers of neighbouring words. Targets follow every geometric "
        "change; Ramer-Douglas-Peucker 0.6 canvas px (harder when > 300 ink tokens). 20% vanilla (no text)."),
        "",
        "## Training",
        (f"- Steps {tr.get('steps')}, samples seen {tr.get('samples')}, training compute time "
        f"{tr.get('train_seconds')} s (wall time longer: shared machine)."),
        *(training_notes.strip().splitlines() if training_notes else [
            ("- Hardware: 2-core shared CPU (no GPU), 1 torch thread, bfloat16 autocast, AdamW (lr 6e-4, betas "
             "0.9/0.98, wd 0.05), warmup 100 steps then cosine to 10% by wall time, grad clip 1.0, batch 16, "
             "teacher forcing, loss on ink tokens + EOS only.")]),
        *(["- Runs, newest first: " + "; ".join(
            f"{r['steps']} steps / {r['samples']} samples / {r['train_seconds']} s"
            + (f" (checkpoint {r['from']})" if r.get("from") else "") for r in tr["runs"])]
          if tr.get("runs") else []),
    ]
    if trains:
        sps = [r["samples_per_s"] for r in trains[-20:]]
        lines.append(f"- Training throughput at the end: {sum(sps) / len(sps):.1f} samples/s (`log.jsonl`).")
    if vals:
        v = vals[-1]
        lines.append(f"- Last in-training validation (val writers, 64 phone-level renders, step {v['step']}): "
                     f"loss {v['val_loss']:.3f}, token accuracy {v['val_tok_acc']:.3f}, greedy coverage "
                     f"{v['val_coverage']:.3f} / precision {v['val_precision']:.3f} on {v['val_decoded']} words "
                     "(canvas coordinates).")
    lines += ["", "## Metrics (UNIPEN val writers, rendered as photos)", "",
              (f"Command: `{measure.get('command', 'python -m training.measure')}` "
              f"({measure.get('n_words')} words, int8 models, onnxruntime 2 threads, the engine's greedy decoder "
              "`inference.model.derender.greedy_decode` without its repetition guard). Coverage/precision: share of reference/predicted ink within 2% of "
              "the word box diagonal (photo coordinates); direction: share of reference strokes whose matched "
              "predicted stroke runs the same way."), "",
              "| level / prefix | coverage | precision | direction | strokes pred/ref (median) | words/s (b32) |",
              "|---|---|---|---|---|---|"]
    for k, v in measure.items():
        if isinstance(v, dict) and "coverage" in v:
            lines.append(f"| {k} | {_fmt(v['coverage'])} | {_fmt(v['precision'])} | "
                         f"{_fmt(v.get('direction_agreement'))} | {_fmt(v['stroke_count_ratio_median'])} | "
                         f"{_fmt(v['words_per_s'])} |")
    if "agreement" in measure:
        a = measure["agreement"]
        lines += ["", (f"Greedy token agreement on {a['n']} val words: torch vs fp32 ONNX "
                      f"{a['torch_vs_fp32_onnx']:.2%}, fp32 vs int8 ONNX {a['fp32_vs_int8_onnx']:.2%}.")]
    if bench:
        lines += ["", "## Speed (`python -m training.bench`, 2 threads)", "", "```", bench.strip(), "```"]
    if harness:
        lines += ["", "## Team evaluation harness (`python -m training.evaluate trajectories`)", "", harness]
    lines += ["", "## Limitations", notes or "- See the numbers above.", "",
              "## Licence and attribution",
              "- Weights: InkLift project licence (Apache-2.0); they are derived from CC BY 4.0 data, whose attribution follows:", f"  > {ATTRIBUTION}",
              "- Hershey fonts: public-domain-style Hershey licence (PyPI `hershey-fonts`).", ""]
    return "\n".join(x for x in lines if x is not None)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resources/models")
    ap.add_argument("--measure", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--harness", default="", help="markdown file with the evaluation harness table")
    ap.add_argument("--notes", default="", help="markdown file with known failures / limitations")
    ap.add_argument("--bench", default="", help="text file with the output of training.bench")
    ap.add_argument("--training-notes", default="", help="markdown bullets: hardware and hyperparameters")
    a = ap.parse_args(argv)
    d = Path(a.models)
    manifest = json.loads((d / "manifest.json").read_text())
    measure = json.loads(Path(a.measure).read_text())
    log = [json.loads(x) for x in Path(a.log).read_text().splitlines() if x.strip()]
    md = build(manifest, measure, log, Path(a.harness).read_text() if a.harness else "",
               Path(a.notes).read_text() if a.notes else "", Path(a.bench).read_text() if a.bench else "",
               Path(a.training_notes).read_text() if a.training_notes else "")
    (d / "MODEL_CARD.md").write_text(md)
    # the measured numbers also go into the manifest (the model files, and so their sha256, are unchanged)
    manifest["metrics"] = {k: v for k, v in measure.items() if isinstance(v, dict)}
    manifest["metrics"]["command"] = measure.get("command", "")
    manifest["metrics"]["n_words"] = measure.get("n_words")
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(md)


if __name__ == "__main__":
    main()
