"""Seconds for load + page + segment of a generated 12-megapixel photo on N CPU threads, and peak memory.

    .venv/bin/python -m benchmarks.bench_segment [--threads 2] [--runs 3] [--megapixels 12]

The photo (a synthetic page on a table, with perspective and a shadow, JPEG) is written to a temporary
file; a fresh child process then builds the engine, warms it up once and times ``--runs`` runs, so the
peak RSS it reports is that of the pipeline alone (imports, models and one photo in flight).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def _make_photo(path: Path, megapixels: float, seed: int) -> tuple[int, int]:
    from tests.inference.synthpage import make_page

    sp = make_page(np.random.default_rng(seed), perspective=True, shadow=True, rotation=0, jpeg=0)
    h, w = sp.image.shape[:2]
    s = (megapixels * 1e6 / (h * w)) ** 0.5
    big = cv2.resize(sp.image, (int(w * s), int(h * s)), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(path), cv2.cvtColor(big, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return big.shape[1], big.shape[0]


def _child(path: str, threads: int, runs: int) -> None:
    t0 = time.perf_counter()
    from inference.photo.load import load_image
    from inference.photo.page import prepare_page
    from inference.photo.segment import Segmenter

    seg = Segmenter(threads=threads)
    _ = seg.engine
    t_init = time.perf_counter() - t0
    rows = []
    for i in range(runs + 1):  # the first run warms caches and is not reported
        c0 = time.process_time()
        t = time.perf_counter()
        loaded = load_image(path)
        t1 = time.perf_counter()
        page = prepare_page(loaded, segmenter=seg)
        t2 = time.perf_counter()
        res = seg.segment(page)
        t3 = time.perf_counter()
        if i:
            rows.append({"load": t1 - t, "page": t2 - t1, "segment": t3 - t2, "total": t3 - t,
                         "cpu": time.process_time() - c0, "words": len(res.words)})
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"init": t_init, "runs": rows, "peak_rss_mb": rss_mb}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--megapixels", type=float, default=12.0)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.threads, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "photo.jpg"
        w, h = _make_photo(path, args.megapixels, args.seed)
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_segment", "--child", str(path),
                              "--threads", str(args.threads), "--runs", str(args.runs)],
                             capture_output=True, text=True, env=env, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    runs = r["runs"]
    med = {k: float(np.median([x[k] for x in runs])) for k in ("load", "page", "segment", "total", "cpu")}
    print(f"photo {w}x{h} ({w * h / 1e6:.1f} MP JPEG), {args.threads} threads, median of {len(runs)} runs, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print()
    print("| stage | seconds |")
    print("|---|---|")
    for k in ("load", "page", "segment"):
        print(f"| {k} | {med[k]:.3f} |")
    print(f"| **total** (target <= 1.5) | **{med['total']:.3f}** |")
    print(f"| process CPU seconds | {med['cpu']:.3f} |")
    print(f"| engine build (once) | {r['init']:.3f} |")
    print(f"| words found | {runs[0]['words']} |")
    print(f"| peak RSS (MB) | {r['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
