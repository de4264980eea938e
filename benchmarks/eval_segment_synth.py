"""Word-box recall/precision (IoU >= 0.5) and sheet-corner error on generated pages.

    .venv/bin/python -m benchmarks.eval_segment_synth --pages 40 [--seed 0] [--debug-dir reports/segment/synth]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from inference.photo.debug import write_debug_overlay
from inference.photo.load import load_image
from inference.photo.page import prepare_page
from inference.photo.segment import Segmenter
from tests.inference.synthpage import corner_error, make_page, match_boxes


def evaluate(n_pages: int, seed: int = 0, debug_dir: Path | None = None, verbose: bool = True) -> dict:
    seg = Segmenter(threads=2)
    tot_m = tot_p = tot_g = 0
    corner_errs, rot_ok, times = [], 0, []
    for i in range(n_pages):
        sp = make_page(np.random.default_rng(seed * 1000 + i))
        t0 = time.perf_counter()
        loaded = load_image(sp.image)
        page = prepare_page(loaded, segmenter=seg)
        res = seg.segment(page)
        times.append(time.perf_counter() - t0)
        pred = [page.to_original.apply(w.quad) for w in res.words]
        m, p, g = match_boxes(pred, sp.word_quads)
        tot_m, tot_p, tot_g = tot_m + m, tot_p + p, tot_g + g
        want_rot = (360 - sp.rotation) % 360
        rot_ok += int(page.rotation == want_rot)
        ce = None
        if sp.page_corners is not None:
            quad = None if page.sheet_quad is None else loaded.transform.inverse().apply(page.sheet_quad)
            ce = corner_error(quad, sp.page_corners)
            corner_errs.append(ce)
        if verbose:
            print(f"page {i:3d} paper={sp.paper:5s} rot={sp.rotation:3d}->{page.rotation:3d} "
                  f"warp={page.warped!s:5s} corner={'-' if ce is None else f'{ce:.4f}'} "
                  f"words gt={g:3d} pred={p:3d} match={m:3d}  {times[-1]:.2f}s", flush=True)
        if debug_dir is not None:
            debug_dir.mkdir(parents=True, exist_ok=True)
            write_debug_overlay(page, res, debug_dir / f"synth_{i:03d}.png")
    out = {
        "pages": n_pages,
        "recall": tot_m / max(tot_g, 1),
        "precision": tot_m / max(tot_p, 1),
        "rotation_accuracy": rot_ok / max(n_pages, 1),
        "corner_error_max": max(corner_errs) if corner_errs else float("nan"),
        "corner_error_mean": float(np.mean(corner_errs)) if corner_errs else float("nan"),
        "warped_pages": len(corner_errs),
        "seconds_per_page": float(np.mean(times)),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--debug-dir", type=Path, default=None)
    args = ap.parse_args()
    r = evaluate(args.pages, args.seed, args.debug_dir)
    print()
    print("| metric | value |\n|---|---|")
    for k, v in r.items():
        print(f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |")


if __name__ == "__main__":
    main()
