"""python -m training.evaluate {trajectories | real DIR | readme REPORT.json...} — see the package doc."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import data, readme, real, report, trajectories
from .systems import ALL_SYSTEMS, load_systems


def _csv(s: str) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()]


def _systems(names: list[str], strict: bool, models_dir=None, lines: bool = False):
    systems, missing = load_systems(names, models_dir, lines)
    for n, why in missing.items():
        print(f"system {n} unavailable: {why}", file=sys.stderr)
    if strict and missing:
        raise SystemExit("--strict: a requested system is unavailable")
    if not systems:
        raise SystemExit("no requested system is available")
    return systems, missing


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("trajectories", help="suite 1: rendered held-out words vs their true pen trajectory")
    t.add_argument("--n", type=int, default=200, help="words (default 200)")
    t.add_argument("--levels", type=_csv, default=list(trajectories.LEVELS))
    t.add_argument("--systems", type=_csv, default=list(ALL_SYSTEMS))
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--data", type=Path, default=data.UNIPEN_VAL, help="UNIPEN val .npz")
    t.add_argument("--synthetic", action="store_true",
                   help="Hershey-font words instead of UNIPEN (self-test; no shared data needed)")
    t.add_argument("--out", type=Path, default=Path("reports/eval"))
    t.add_argument("--strict", action="store_true", help="fail when a requested system is unavailable")
    t.add_argument("--models-dir", type=Path, default=None,
                   help="InkLift's derender models from here (a candidate export) instead of resources/models")
    t.add_argument("--lines", action="store_true",
                   help="one-line free texts (UNIPEN category 8) instead of words")
    t.add_argument("--give-text", action="store_true",
                   help="pass each word's true label to InkLift (the model's recognised-text mode)")
    t.add_argument("--readback", action="store_true",
                   help="also read each system's ink, the photo and the true ink with PP-OCR (word accuracy, CER)")

    r = sub.add_parser("real", help="suite 2: real photos with a MANIFEST.tsv of transcriptions")
    r.add_argument("dir", type=Path, nargs="?", default=data.REAL_DIR)
    r.add_argument("--systems", type=_csv, default=["inklift", "tracer"])
    r.add_argument("--kinds", type=_csv, default=["word", "line", "page"], help="manifest kinds to run")
    r.add_argument("--limit", type=int, default=0, help="first N manifest rows only (0 = all)")
    r.add_argument("--tol-px", type=float, default=real.FIDELITY_TOL_PX)
    r.add_argument("--no-reference", action="store_true", help="skip the OCR-on-the-photo reference row")
    r.add_argument("--out", type=Path, default=Path("reports/eval"))
    r.add_argument("--strict", action="store_true")
    r.add_argument("--models-dir", type=Path, default=None,
                   help="InkLift's derender models from here (a candidate export) instead of resources/models")

    m = sub.add_parser("readme", help="regenerate README.md's quality table from run JSON files")
    m.add_argument("reports", type=Path, nargs="+")
    m.add_argument("--readme", type=Path, default=data.REPO / "README.md")

    a = ap.parse_args(argv)
    if a.cmd == "readme":
        body = readme.update_readme(a.readme, a.reports)
        print(body)
        return 0

    if a.cmd == "trajectories":
        bad = [lv for lv in a.levels if lv not in trajectories.LEVELS + ("train",)]
        if bad:
            ap.error(f"unknown level(s) {bad}")
        if a.synthetic:
            items = data.hershey_words(a.n, a.seed)
            ds = {"name": "synthetic Hershey-font words (futural)", "words": len(items)}
        else:
            if not a.data.is_file():
                raise SystemExit(f"{a.data} not found (use --data, or --synthetic for a self-test)")
            items = data.load_unipen_words(a.data, a.n, a.seed, lines=a.lines)
            ds = {"name": ("UNIPEN Train-R01/V07 val writers, one-line texts (category 8, >= 2 words, "
                           f"ink >= {data.LINE_MIN_ASPECT:g}:1), each line's ink box as high as a word's") if a.lines else
                  "UNIPEN Train-R01/V07 val writers, word items (categories 6/7)",
                  "path": str(a.data), "sha256": data.sha256_file(a.data), "words": len(items),
                  "sample": f"first {a.n} of a seed-{a.seed} permutation of the unflagged word items"}
        systems, missing = _systems(a.systems, a.strict, a.models_dir, a.lines)
        rpt = trajectories.run(items, systems, a.levels, a.seed, a.out, unavailable=missing, dataset=ds,
                               argv=argv, give_text=a.give_text, models_dir=a.models_dir, lines=a.lines,
                               readback=a.readback)
    else:
        if not (a.dir / "MANIFEST.tsv").is_file():
            raise SystemExit(f"{a.dir / 'MANIFEST.tsv'} not found")
        items = [i for i in data.load_manifest(a.dir) if i.kind in a.kinds]
        if a.limit:
            items = items[:a.limit]
        systems, missing = _systems(a.systems, a.strict, a.models_dir)
        rpt = real.run(a.dir, items, systems, a.out, unavailable=missing, argv=argv, tol_px=a.tol_px,
                       reference=not a.no_reference, models_dir=a.models_dir)
    md = readme.markdown_for(rpt)
    js, mdp = report.write_run(a.out, rpt, md)
    print(md)
    print(f"\nwrote {js} and {mdp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
