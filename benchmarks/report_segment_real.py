"""Words found on the real pages of ../shared/eval/real against their transcriptions (a report, not a test).

    .venv/bin/python -m benchmarks.report_segment_real [--real-dir ../shared/eval/real] [--out reports/segment]

Writes one debug overlay per page (word boxes with reading-order numbers, line boxes, drawing regions)
to ``--out`` and prints a table: page, size, sheet found, rotation, lines, words found, words in the
transcription (where the manifest has one), the recognised text's first words, seconds.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from inference.errors import InputError
from inference.photo.debug import write_debug_overlay
from inference.photo.drawings import find_drawings
from inference.photo.load import load_image
from inference.photo.page import prepare_page
from inference.photo.segment import Segmenter

DEFAULT_REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "real"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--real-dir", type=Path, default=DEFAULT_REAL)
    ap.add_argument("--out", type=Path, default=Path("reports/segment"))
    ap.add_argument("--kind", default="page", help="manifest kind to run (page, line, word)")
    args = ap.parse_args()
    manifest = args.real_dir / "MANIFEST.tsv"
    if not manifest.exists():
        raise SystemExit(f"{manifest} not found (the shared evaluation data is not available here)")
    with manifest.open(newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] == args.kind]
    seg = Segmenter(threads=2)
    args.out.mkdir(parents=True, exist_ok=True)
    print("| page | size | sheet | rot | lines | words found | words in transcription | drawings | "
          "text read (start) | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    tot_found = tot_truth = 0
    for r in rows:
        path = args.real_dir / r["file"]
        t0 = time.perf_counter()
        try:
            loaded = load_image(path)
        except InputError as exc:
            print(f"| {path.name} | error: {exc} |")
            continue
        page = prepare_page(loaded, segmenter=seg)
        res = seg.segment(page)
        drawings = find_drawings(page, res)
        dt = time.perf_counter() - t0
        write_debug_overlay(page, res, args.out / f"{path.stem}.png", drawings=drawings)
        truth = r["transcription"].replace("|", " ").split()
        n_truth = len(truth) if truth else None
        if n_truth:
            tot_found += len(res.words)
            tot_truth += n_truth
        text = " ".join(w.text for w in res.words)
        text = (text[:40] + "...") if len(text) > 40 else text
        h, w = loaded.original.shape[:2]
        print(f"| {path.name} | {w}x{h} | {'yes' if page.warped else 'no'} | {page.rotation} | {len(res.lines)} | "
              f"{len(res.words)} | {n_truth if n_truth else '-'} | {len(drawings)} | {text.replace('|', '/')} | "
              f"{dt:.1f} |", flush=True)
    if tot_truth:
        print(f"\nwords found on transcribed pages: {tot_found} of {tot_truth} ({tot_found / tot_truth:.0%})")
    print(f"overlays: {args.out}/")


if __name__ == "__main__":
    main()
