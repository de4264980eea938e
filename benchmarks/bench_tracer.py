"""Geometric tracer speed and fidelity on generated word crops (and one generated page of words).

    python -m benchmarks.bench_tracer [--words N] [--page]

Word crops are Hershey-font words (single-line fonts, the kind of ink a pen leaves) rendered with our
rasteriser at pen widths 2-8 px into crops of about 60 x 250 px. Reports CPU ms per word (median, p90)
and the render-back fidelity of the traces, at the pen's width and at the width measured on the ink
(what the engine uses). Needs the dev dependency hershey-fonts.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.strokes.fidelity import fidelity
from inference.strokes.style import estimate_width
from inference.strokes.tracer import trace_mask
from tests.inference.synthpage import hershey_word

WORDS = ["hello", "minimum", "quick", "brown", "jumps", "Lazy", "dogs", "eight", "wax", "Tiger", "forty",
         "boxing", "handwriting", "offline", "strokes"]
FONTS = ["futural", "scripts", "scriptc", "timesr"]
WIDTHS = [2, 3, 4, 6, 8]


def crop_mask(text: str, font: str, width: float) -> np.ndarray:
    strokes = hershey_word(text, font, max(40.0, 8.0 * width))
    x1, y1 = np.vstack([s.xy for s in strokes]).max(axis=0)
    h, w = int(y1) + 12, int(x1) + 12
    return draw_strokes_mask(strokes, h, w, width_px=width) > 0.5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", type=int, default=len(WORDS))
    ap.add_argument("--page", action="store_true", help="also trace one generated page of ~300 words")
    args = ap.parse_args()
    cpu, sizes, rows = [], [], []
    for font in FONTS:
        for width in WIDTHS:
            for text in WORDS[: args.words]:
                m = crop_mask(text, font, width)
                t0 = time.process_time()
                strokes = [Stroke(p) for p in trace_mask(m)]
                cpu.append(1000 * (time.process_time() - t0))
                sizes.append(m.shape)
                pen = fidelity(strokes, m, width)
                est = fidelity(strokes, m, estimate_width(m))
                rows.append((font, width, pen.precision, pen.recall, est.precision, est.recall))
    r = np.array([x[2:] for x in rows])
    print(f"{len(rows)} word crops, mean size {np.mean(sizes, axis=0).round(0).tolist()} px (h, w)")
    print(f"tracer CPU ms/word: median {np.median(cpu):.1f}  p90 {np.percentile(cpu, 90):.1f}  "
          f"max {np.max(cpu):.1f}")
    wide = np.array([w >= 200 for _, w in sizes])
    if wide.any():
        hw = np.mean(np.array(sizes)[wide], axis=0).round(0).tolist()
        print(f"  crops >= 200 px wide (mean {hw}): median {np.median(np.array(cpu)[wide]):.1f} ms")
    print(f"fidelity at the pen width:      P mean {r[:, 0].mean():.4f} min {r[:, 0].min():.3f}   "
          f"R mean {r[:, 1].mean():.4f} min {r[:, 1].min():.3f}")
    print(f"fidelity at the measured width: P mean {r[:, 2].mean():.4f} min {r[:, 2].min():.3f}   "
          f"R mean {r[:, 3].mean():.4f} min {r[:, 3].min():.3f}")
    for font in FONTS:
        sel = np.array([x[0] == font for x in rows])
        print(f"  {font:8s} pen-width R mean {r[sel, 1].mean():.4f} min {r[sel, 1].min():.3f}   "
              f"measured-width R min {r[sel, 3].min():.3f}")
    if args.page:
        rng = np.random.default_rng(0)
        strokes, y = [], 40.0
        for _ in range(20):
            x = 30.0
            while x < 1400:
                ws = hershey_word(WORDS[rng.integers(len(WORDS))], "scripts", 44, x, y)
                strokes += ws
                x = float(np.vstack([s.xy for s in ws])[:, 0].max()) + 25
            y += 75
        m = draw_strokes_mask(strokes, int(y) + 40, 1500, width_px=3) > 0.5
        t0 = time.process_time()
        traced = trace_mask(m)
        dt = time.process_time() - t0
        f = fidelity([Stroke(p) for p in traced], m, 3)
        print(f"page {m.shape[1]}x{m.shape[0]}: {dt:.2f} s CPU, {len(traced)} strokes, "
              f"P {f.precision:.4f} R {f.recall:.4f}")


if __name__ == "__main__":
    main()
