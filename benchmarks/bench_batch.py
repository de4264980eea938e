"""Pages per second of ``inklift convert`` over a folder: one worker, all cores, and a Dask LocalCluster;
peak memory per worker.

    .venv/bin/python -m benchmarks.bench_batch [--pages 20] [--workers N] [--no-model] [--formats inkml,pdf]

The pages are generated handwriting photos (``tests/inference/synthpdf.py``, 850 x 1100 px, 8 lines). Each
mode runs in a fresh child process through :func:`inference.batch.run_batch`, as the CLI does, and its time
includes starting the workers and loading their engines (what a user waits for); the LocalCluster is started
before the clock (``--scheduler`` sends work to a cluster that is already running). Memory is each worker
process's peak RSS as it reports it with its results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _make_pages(folder: Path, n: int) -> None:
    from tests.inference.synthpdf import handwriting_page, write_photo

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_photo(folder / f"page{i:03d}.png", handwriting_page(100 + i, (850, 1100), 8))


def _child(mode: str, folder: str, out: str, workers: int, use_model: bool, formats: str) -> None:
    from inference import batch

    options = batch.Options(tuple(formats.split(",")), use_model=use_model)
    docs = batch.plan([folder], Path(out), options.formats)
    cluster = None
    scheduler = None
    if mode == "dask":
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        scheduler = cluster.scheduler_address
    t0 = time.perf_counter()
    report = batch.run_batch(docs, Path(out), options, workers=workers if mode != "serial" else 1,
                             scheduler=scheduler)
    seconds = time.perf_counter() - t0
    if cluster is not None:
        cluster.close()
    rss: dict[str, float] = {}
    for d in report.documents:
        for r in d.results.values():
            rss[r.worker] = max(rss.get(r.worker, 0.0), r.peak_rss_mb)
    print(json.dumps({"seconds": seconds, "pages": report.pages_converted, "failed": len(report.failed),
                      "workers": len(rss), "rss": sorted(rss.values())}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--workers", type=int, default=0, help="all-cores mode's workers (default: every core)")
    ap.add_argument("--no-model", action="store_true", help="geometric tracer only")
    ap.add_argument("--formats", default="inkml,pdf")
    ap.add_argument("--modes", default="serial,pool,dask")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    from inference.batch import default_workers

    workers = args.workers or default_workers()
    if args.child:
        _child(*args.child, workers, not args.no_model, args.formats)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pages"
        _make_pages(folder, args.pages)
        for mode in args.modes.split(","):
            cmd = [sys.executable, "-m", "benchmarks.bench_batch", "--child", mode, str(folder),
                   str(Path(tmp) / f"out-{mode}"), "--workers", str(workers), "--formats", args.formats]
            if args.no_model:
                cmd.append("--no-model")
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=dict(os.environ))
            if proc.returncode != 0:
                print(f"{mode}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append((mode, json.loads(proc.stdout.strip().splitlines()[-1])))
    label = {"serial": "1 worker (this process)", "pool": f"all cores: {workers} processes",
             "dask": f"Dask LocalCluster: {workers} workers"}
    base = next((r["pages"] / r["seconds"] for m, r in rows if m == "serial"), None)
    print(f"\n{args.pages} generated pages (850 x 1100 px), engine: "
          f"{'tracer only' if args.no_model else 'model + tracer'}, formats {args.formats}, "
          f"{os.cpu_count()} CPUs\n")
    print("| mode | pages | failed | seconds | pages/s | speed-up | peak RSS per worker (MB) |")
    print("|---|---|---|---|---|---|---|")
    for mode, r in rows:
        rate = r["pages"] / r["seconds"]
        up = f"{rate / base:.2f}x" if base else "-"
        rss = ", ".join(f"{v:.0f}" for v in r["rss"])
        print(f"| {label.get(mode, mode)} | {r['pages']} | {r['failed']} | {r['seconds']:.1f} | {rate:.2f} | {up} "
              f"| {rss} |")


if __name__ == "__main__":
    main()
