"""Suite 1: true pen trajectories. Held-out words (UNIPEN val writers) are rendered as photos at three
difficulty levels by the training renderer (which carries the true strokes through every geometric change),
each system derenders the photo in word mode, and its strokes are scored against the truth."""

from __future__ import annotations

import math
import time
import traceback
from pathlib import Path

import numpy as np

from . import report as rep
from .data import TrajectoryItem
from .metrics import TOLERANCE_FRACTION, WORD_DIAGONAL_PER_HEIGHT, mean_ignoring_nan, score_trajectory
from .readback import InkReadback, pooled
from .systems import System
from .visual import contact_sheet, overlay, save_png

LEVELS = ("clean", "phone", "hard")
METRICS = ("coverage", "precision", "f1_fine", "stroke_ratio", "same_count", "count_error", "specks", "true_specks",
           "direction", "order", "dtw", "matched")


def _render(item: TrajectoryItem, seed: int, index: int, level: str, line: bool = False):
    from training.render import render_word_photo

    # one generator per (seed, item, level): every system sees the identical photo
    rng = np.random.default_rng([seed, index, LEVELS.index(level) if level in LEVELS else 99])
    return render_word_photo([s.astype(np.float64) for s in item.strokes], rng, level, line=line)


def run(items: list[TrajectoryItem], systems: list[System], levels=LEVELS, seed: int = 0,
        out_dir: Path | None = None, sheet_items: int = 6, unavailable: dict | None = None,
        dataset: dict | None = None, argv: list[str] | None = None, give_text: bool = False, models_dir=None,
        log=print, lines: bool = False, readback: bool = False) -> dict:
    """``readback``: also what PP-OCR reads in each system's ink, the photo and the true ink
    (:class:`~training.evaluate.readback.InkReadback`)."""
    t_start = time.perf_counter()
    per_item: list[dict] = []
    references: list[dict] = []  # readback of the photo and of the true ink, per render
    reads = InkReadback(lines=lines) if readback else None
    tiles: list[tuple[str, np.ndarray]] = []
    for li, level in enumerate(levels):
        for idx, item in enumerate(items):
            rendered = _render(item, seed, idx, level, line=lines)  # a line as high as a word
            truth = [np.asarray(s, np.float64) for s in rendered.strokes]
            ow = max(1.0, 0.5 * rendered.stroke_width)  # thinner than the pen so the photo shows through
            if reads is not None:
                pen, shape = reads.pen_width(rendered.image), rendered.image.shape[:2]
                references.append({"key": item.key, "level": level, "system": "photo",
                                   **reads.of_image(rendered.image, item.label)})
                references.append({"key": item.key, "level": level, "system": "truth",
                                   **reads.of_strokes(truth, shape, pen, item.label)})
            if idx < sheet_items:
                tiles.append((f"{level} truth: {item.label}", overlay(rendered.image, truth, width=ow)))
            for sysm in systems:
                t0 = time.perf_counter()
                err = None
                sysm.last.clear()
                try:
                    # only InkLift takes text: the true label, as a perfect recogniser would give it
                    pred = (sysm.run(rendered.image, item.label) if give_text and sysm.name == "inklift"
                            else sysm.run(rendered.image))
                except Exception as e:  # noqa: BLE001 - a failing word is a result (no ink), not a crash
                    pred = []
                    err = f"{type(e).__name__}: {e}"
                    log(f"  {sysm.name} failed on {item.key} ({level}): {err}")
                    if not any(r["error"] and r["system"] == sysm.name for r in per_item):
                        log(traceback.format_exc(limit=4))  # the first failure per system in full
                secs = time.perf_counter() - t0
                sc = score_trajectory(truth, pred, speck_px=rendered.stroke_width, line=lines).as_dict()
                if reads is not None:
                    sc.update(reads.of_strokes(pred, shape, pen, item.label))
                per_item.append({"key": item.key, "label": item.label, "level": level, "system": sysm.name,
                                 "seconds": secs, "error": err, "source": sysm.last.get("source"), **sc})
                if idx < sheet_items:
                    tiles.append((f"{level} {sysm.name}", overlay(rendered.image, pred, width=ow)))
        log(f"level {level}: {len(items)} words x {len(systems)} systems done "
            f"({time.perf_counter() - t_start:.0f} s)")
    summary = summarize(per_item, [s.name for s in systems], list(levels))
    if references:
        summary += summarize(references, ["photo", "truth"], list(levels))
    report = {
        "suite": "trajectories",
        **rep.provenance(argv, models_dir),
        "dataset": dataset or {},
        "levels": list(levels),
        "seed": seed,
        "inklift_text": "the text recogniser's, for words it is sure of (line layout)" if lines else
                        "true label (recognised-text mode)" if give_text else "none (vanilla mode)",
        "unit": "lines" if lines else "words",
        "tolerance": (f"{TOLERANCE_FRACTION:g} x the diagonal of a word-shaped box as high as the true line "
                      f"({WORD_DIAGONAL_PER_HEIGHT:g} x its height)") if lines else
                     f"{TOLERANCE_FRACTION:g} x true word box diagonal",
        "systems": {s.name: s.description for s in systems},
        "system_stats": {s.name: dict(s.stats) for s in systems if s.stats},
        "unavailable": unavailable or {},
        "counts": {"words": len(items), "renders": len(items) * len(levels), "scored": len(per_item)},
        "summary": summary,
        "items": per_item,
        "readback_references": references,
        "seconds": time.perf_counter() - t_start,
    }
    if out_dir is not None and tiles:
        sheet = Path(out_dir) / "trajectories_sheet.png"
        save_png(sheet, contact_sheet(tiles, cols=1 + len(systems), tile_w=300, tile_h=140))
        report["contact_sheet"] = str(sheet)
    return report


def summarize(per_item: list[dict], systems: list[str], levels: list[str]) -> list[dict]:
    rows = []
    for s in systems:
        for level in levels + ["all"]:
            sel = [r for r in per_item if r["system"] == s and (level == "all" or r["level"] == level)]
            if not sel:
                continue
            if "coverage" not in sel[0]:  # a readback reference (the photo, the true ink): no strokes scored
                acc, cer = pooled(sel)
                rows.append({"system": s, "level": level, "n": len(sel), "readback": acc, "readback_cer": cer})
                continue
            row = {"system": s, "level": level, "n": len(sel),
                   "failures": sum(1 for r in sel if r["error"]),
                   "seconds_per_word": float(np.mean([r["seconds"] for r in sel]))}
            if any("ref_words" in r for r in sel):
                row["readback"], row["readback_cer"] = pooled(sel)
            for m in METRICS:
                row[m] = mean_ignoring_nan(r[m] for r in sel)
            # how many words each NaN-able metric was defined on (e.g. order needs two matched strokes)
            for m in ("direction", "order", "dtw", "precision"):
                row[f"n_{m}"] = sum(1 for r in sel if r[m] is not None and math.isfinite(r[m]))
            rows.append(row)
            # InkLift: the same averages split by where each word's ink came from (model or tracer fallback)
            for src in sorted({r["source"] for r in sel if r.get("source")}):
                part = [r for r in sel if r.get("source") == src]
                sub = {"system": s, "level": level, "source": src, "n": len(part)}
                sub.update({m: mean_ignoring_nan(r[m] for r in part) for m in METRICS})
                row.setdefault("by_source", []).append(sub)
    return rows


def _specks(row: dict) -> str:
    """Specks with the truth's share beside it (a writer's dots are shorter than the pen too)."""
    if row.get("true_specks") is None:  # a report written before the truth's share was kept
        return rep.fmt(row.get("specks"))
    return f"{rep.fmt(row.get('specks'))} ({rep.fmt(row['true_specks'])})"


def _count(row: dict) -> str:
    """Words with exactly the true number of strokes, and the mean |predicted - true| strokes a word."""
    if row.get("same_count") is None:  # a report written before these were kept
        return "–"
    return f"{rep.fmt(row['same_count'], 2)} / {rep.fmt(row['count_error'], 2)}"


def markdown(report: dict) -> str:
    header = ["system", "level", "words", "coverage ↑", "precision ↑", "F1 at 1% ↑", "strokes pred/true",
              "same count ↑ / strokes off ↓", "specks ↓ (truth's)", "direction ↑", "order ρ ↑", "DTW/diag ↓", "s/word", "failed"]
    read = any("readback" in r for r in report["summary"])
    if read:
        header[-2:-2] = ["readback ↑", "CER ↓"]
    rows = []
    for r in report["summary"]:
        if r["level"] == "all" and len(report["levels"]) == 1:
            continue
        if "coverage" not in r:  # a readback reference
            name = {"photo": "photo (OCR reference)", "truth": "true ink (OCR reference)"}.get(r["system"], r["system"])
            rows.append([name, r["level"], str(r["n"])] + ["–"] * 9 + [rep.fmt(r["readback"]),
                                                                      rep.fmt(r["readback_cer"]), "–", "–"])
            continue
        row = [r["system"], r["level"], str(r["n"]), rep.fmt(r["coverage"]), rep.fmt(r["precision"]),
               rep.fmt(r.get("f1_fine")), rep.fmt(r["stroke_ratio"], 2), _count(r), _specks(r),
               rep.fmt(r["direction"]), rep.fmt(r["order"]),
               rep.fmt(r["dtw"]), rep.fmt(r["seconds_per_word"], 2), str(r["failures"])]
        if read:
            row[-2:-2] = [rep.fmt(r.get("readback")), rep.fmt(r.get("readback_cer"))]
        rows.append(row)
    ds = report.get("dataset", {})
    lines = [
        (f"**True trajectories** — {ds.get('name', '?')}: {report['counts']['words']} "
         f"{report.get('unit', 'words')} x {len(report['levels'])} levels ({', '.join(report['levels'])}), seed {report['seed']}; "
         f"tolerance {report['tolerance']}; InkLift text input: {report.get('inklift_text', 'none')}."),
        "",
        rep.table(header, rows),
        "",
        "Systems: " + "; ".join(f"`{k}` = {v}" for k, v in report["systems"].items()) + ".",
    ]
    if read:
        how = "detector and recogniser" if report.get("unit") == "lines" else "the recogniser alone"
        lines.append(f"Readback: PP-OCR ({how}) on the photo, and on each system's ink and the true ink drawn "
                     "black on white at the pen width the engine reads off the photo (one width for all: the "
                     "trajectories are compared); case-sensitive word accuracy and CER.")
    for name, st in report.get("system_stats", {}).items():
        lines.append(f"`{name}` word outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(st.items())) + ".")
    for r in report["summary"]:
        if r["level"] == "all" and len(r.get("by_source", [])) > 1:
            lines.append(f"`{r['system']}` by ink source, all levels: " + "; ".join(
                f"{b['source']} ({b['n']} words) coverage {rep.fmt(b['coverage'])}, precision "
                f"{rep.fmt(b['precision'])}, direction {rep.fmt(b['direction'])}, order {rep.fmt(b['order'])}, "
                f"DTW {rep.fmt(b['dtw'])}" for b in r["by_source"]) + ".")
    lines.extend(rep.footer_lines(report))
    return "\n".join(lines)
