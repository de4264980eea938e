"""Suite 2: real photos with transcriptions (the layout of ../shared/eval/real: MANIFEST.tsv + images).

Per image: InkLift runs with the manifest's layout (word, line or page) through ``run_page``; baselines
trace the whole image. Then
- readback: our ink rendered black on white, read by the same PP-OCR recogniser; word accuracy and CER
  against the transcription; the OCR of the photo itself is the reference row;
- fidelity: precision / recall of the rendered ink against the photo's classical ink mask (long ruled/grid
  lines removed) inside the PP-OCR detector's text regions of the image the system drew on (whole-image
  figures are in the JSON), within a few px;
- an overlay PNG per image and system, and one contact sheet.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import time
import traceback
from pathlib import Path

import cv2
import numpy as np

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.photo.inkmask import ink_mask

from . import report as rep
from .data import RealItem
from .readback import Reader, pooled, render_black, text_fields
from .systems import System
from .visual import contact_sheet, fit, overlay, save_png

BASELINE_MAX_SIDE = 2000  # baselines trace a bounded copy of big page photos (like the engine's work copy)
FIDELITY_TOL_PX = 2.0
INKLIFT_PAGE = "InkLift (inference.pipeline.run_page, layout = the manifest's kind)"


def load_rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)  # applies the EXIF orientation
    if img is None:
        raise OSError(f"cannot read image {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def pen_width(mask: np.ndarray) -> float:
    """Typical stroke width of a binary ink mask: ink area / centre-line length."""
    from skimage.morphology import skeletonize

    n = int(skeletonize(mask).sum())
    return float(np.clip(mask.sum() / n, 1.0, 40.0)) if n else 2.0


def writing_mask(image: np.ndarray) -> np.ndarray:
    """The photo's ink mask without ruled or grid lines: long straight horizontal / vertical runs (a fifth of
    the width, or a quarter of a tall image's height) are paper, not writing, and count for no system."""
    m = ink_mask(image)
    h, w = m.shape
    u8 = m.astype(np.uint8)
    lines = np.zeros_like(u8)
    # vertical rules (margins, grids) only on tall images: in a word or line crop a tall letter can be
    # a third of the height
    for kw, kh, grow in ((max(40, w // 5), 1, (1, 3)), (1, max(120, h // 4), (3, 1))):
        if kw <= w and kh <= h and (kh == 1 or h >= 600):
            # thicken across the line first so a slightly tilted rule still has long straight runs
            thick = cv2.dilate(u8, np.ones(grow[::-1], np.uint8))
            run = cv2.morphologyEx(thick, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (kw, kh)))
            lines |= cv2.dilate(run, np.ones((3, 3), np.uint8))
    return m & ~lines.astype(bool)


def text_region(shape: tuple[int, int], boxes: np.ndarray, grow: float = 0.5) -> np.ndarray | None:
    """Union of the detector's text boxes, each grown by ``grow`` x the median box height; None if none."""
    if len(boxes) == 0:
        return None
    h, w = shape
    region = np.zeros((h, w), np.uint8)
    cv2.fillPoly(region, [np.round(b).astype(np.int32) for b in boxes], 1)
    bh = float(np.median(boxes[:, :, 1].max(axis=1) - boxes[:, :, 1].min(axis=1)))
    k = max(3, int(2 * grow * bh) | 1)
    return cv2.dilate(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(bool)


def fidelity(strokes: list[Stroke], photo_mask: np.ndarray, tol_px: float = FIDELITY_TOL_PX,
             region: np.ndarray | None = None) -> dict:
    """Share of our rendered ink near photo ink (precision) and of photo ink near ours (recall); with a
    ``region``, only ink inside it counts on either side (texture, table and surround outside the text
    would otherwise reward tracing noise)."""
    h, w = photo_mask.shape
    drawn = draw_strokes_mask(strokes, h, w) > 0.5 if strokes else np.zeros((h, w), bool)

    def near(mask: np.ndarray) -> np.ndarray:  # pixels within tol of the mask
        if not mask.any():
            return np.zeros_like(mask)
        return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5) <= tol_px

    # counted inside the region, matched against the other side's ink anywhere
    d_in = drawn if region is None else drawn & region
    m_in = photo_mask if region is None else photo_mask & region
    p = float((d_in & near(photo_mask)).sum() / d_in.sum()) if d_in.any() else float("nan")
    r = float((m_in & near(drawn)).sum() / m_in.sum()) if m_in.any() else float("nan")
    f1 = 2 * p * r / (p + r) if math.isfinite(p) and math.isfinite(r) and p + r > 0 else float("nan")
    return {"ink_precision": p, "ink_recall": r, "ink_f1": f1}


def _inklift_page(path: Path, kind: str, stats, models_dir=None) -> tuple[np.ndarray, list[Stroke]]:
    pipeline = importlib.import_module("inference.pipeline")
    from inference.jobs import run_job

    cfg = pipeline.PipelineConfig(layout=kind, models_dir=models_dir) if models_dir else \
        pipeline.PipelineConfig(layout=kind)
    res = run_job(pipeline.run_page(path, cfg))
    page, image = res.page, np.asarray(res.image)
    for w in page.words:
        stats[f"source={getattr(w.source, 'value', w.source)}"] += 1
        stats["needs_review"] += int(bool(w.needs_review))
    stats["words"] += len(page.words)
    stats["drawing_strokes"] += len(page.drawings)
    strokes = page.all_strokes()
    h, w = image.shape[:2]
    if (page.width, page.height) != (w, h):  # page px -> the returned image's px
        sx, sy = w / page.width, h / page.height
        strokes = [s.mapped(lambda xy: xy * np.array([sx, sy], np.float32)) for s in strokes]
    return image, strokes


def _baseline(system: System, path: Path) -> tuple[np.ndarray, list[Stroke]]:
    image = fit(load_rgb(path), BASELINE_MAX_SIDE)
    raw = system.run(image)
    width = None
    out = []
    for s in raw:
        if isinstance(s, Stroke):
            out.append(s)
            continue
        if width is None:
            width = pen_width(ink_mask(image))
        out.append(Stroke(np.asarray(s, np.float32)[:, :2], width=width))
    return image, out


def run(root: Path, items: list[RealItem], systems: list[System], out_dir: Path | None = None,
        unavailable: dict | None = None, argv: list[str] | None = None, tol_px: float = FIDELITY_TOL_PX,
        reference: bool = True, models_dir=None, log=print) -> dict:
    t_start = time.perf_counter()
    reader = Reader()
    regions: dict[str, np.ndarray | None] = {}  # text regions per image content (baselines share one image)

    def region_of(image: np.ndarray) -> np.ndarray | None:
        key = hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()
        if key not in regions:
            regions[key] = text_region(image.shape[:2], reader.detect(image))
        return regions[key]

    records: list[dict] = []
    tiles: list[tuple[str, np.ndarray]] = []
    for it in items:
        path = Path(root) / it.file
        stem = Path(it.file).stem
        has_text = bool(it.transcription)
        photo = None
        if reference:
            t0 = time.perf_counter()
            rec = {"file": it.file, "kind": it.kind, "system": "photo (OCR reference)", "error": None}
            try:
                photo = load_rgb(path)
                rec["ocr"] = reader.read(photo) if has_text else None
            except Exception as e:  # noqa: BLE001 - an unreadable image is a recorded result
                rec["error"] = f"{type(e).__name__}: {e}"
            if has_text and rec.get("ocr") is not None:
                rec.update(text_fields(rec["ocr"], it.transcription))
            rec["seconds"] = time.perf_counter() - t0
            records.append(rec)
        for sysm in systems:
            t0 = time.perf_counter()
            rec = {"file": it.file, "kind": it.kind, "system": sysm.name, "error": None}
            try:
                image, strokes = (_inklift_page(path, it.kind, sysm.stats, models_dir) if sysm.name == "inklift"
                                  else _baseline(sysm, path))
            except Exception as e:  # noqa: BLE001 - a failing image is a result (no ink), not a crash
                rec["error"] = f"{type(e).__name__}: {e}"
                log(f"  {sysm.name} failed on {it.file}: {rec['error']}")
                if not any(r.get("error") and r["system"] == sysm.name for r in records):
                    log(traceback.format_exc(limit=4))  # the first failure per system in full
                image, strokes = (photo if photo is not None else load_rgb(path)), []
            rec["seconds_engine"] = time.perf_counter() - t0
            h, w = image.shape[:2]
            rec["strokes"] = len(strokes)
            wm = writing_mask(image)
            rec.update({f"{k}_whole_image": v for k, v in fidelity(strokes, wm, tol_px).items()})
            region = region_of(image)
            rec["text_region_share"] = float(region.mean()) if region is not None else None
            rec.update(fidelity(strokes, wm, tol_px, region))
            if has_text:
                rec["ocr"] = reader.read(render_black(strokes, h, w)) if strokes else ""
                rec.update(text_fields(rec["ocr"], it.transcription))
            if out_dir is not None:
                ov = fit(overlay(image, strokes), 1600)
                p = Path(out_dir) / "overlays" / sysm.name / f"{stem}.png"
                save_png(p, ov)
                rec["overlay"] = str(p)
                tiles.append((f"{sysm.name} {stem}", ov))
            rec["seconds"] = time.perf_counter() - t0
            records.append(rec)
        log(f"  {it.file}: " + ", ".join(
            f"{r['system']} cer={rep.fmt(r.get('cer'), 2)} f1={rep.fmt(r.get('ink_f1'), 2)}"
            for r in records if r["file"] == it.file))
    names = (["photo (OCR reference)"] if reference else []) + [s.name for s in systems]
    report = {
        "suite": "real",
        **rep.provenance(argv, models_dir),
        "dataset": {"name": str(root), "manifest": str(Path(root) / "MANIFEST.tsv"), "images": len(items),
                    "with_transcription": sum(1 for i in items if i.transcription)},
        "systems": {s.name: (INKLIFT_PAGE if s.name == "inklift" else s.description) for s in systems},
        "system_stats": {s.name: dict(s.stats) for s in systems if s.stats},
        "unavailable": unavailable or {},
        "fidelity_tolerance_px": tol_px,
        "ocr": "rapidocr PP-OCR (bundled models), Global.use_cls=False; case- and punctuation-sensitive",
        "counts": {"images": len(items), "records": len(records)},
        "summary": summarize(records, names),
        "items": records,
        "seconds": time.perf_counter() - t_start,
    }
    if out_dir is not None and tiles:
        sheet = Path(out_dir) / "real_sheet.png"
        save_png(sheet, contact_sheet(tiles, cols=max(1, len(systems)) * 2, tile_w=300, tile_h=170))
        report["contact_sheet"] = str(sheet)
    return report


def summarize(records: list[dict], systems: list[str]) -> list[dict]:
    rows = []
    kinds = sorted({r["kind"] for r in records}, key=lambda k: ("word", "line", "page").index(k)
                   if k in ("word", "line", "page") else 9)
    for s in systems:
        for kind in kinds + ["all"]:
            sel = [r for r in records if r["system"] == s and (kind == "all" or r["kind"] == kind)]
            if not sel:
                continue
            txt = [r for r in sel if "ref_words" in r]
            fid = [r for r in sel if r.get("ink_f1") is not None and math.isfinite(r.get("ink_f1", math.nan))]
            acc, cer = pooled(txt)

            def mean(key: str, rows_=fid) -> float:
                v = [r[key] for r in rows_ if r.get(key) is not None and math.isfinite(r[key])]
                return float(np.mean(v)) if v else float("nan")
            rows.append({
                "system": s, "kind": kind, "images": len(sel), "read_images": len(txt),
                "word_accuracy": acc, "cer": cer,
                "ink_precision": mean("ink_precision", sel), "ink_recall": mean("ink_recall", sel),
                "ink_f1": mean("ink_f1"), "failures": sum(1 for r in sel if r.get("error")),
                "seconds_per_image": float(np.mean([r["seconds"] for r in sel])),
            })
    return rows


def markdown(report: dict) -> str:
    header = ["system", "layout", "images", "read", "word acc ↑", "CER ↓", "ink precision ↑", "ink recall ↑",
              "s/image", "failed"]
    rows = [[r["system"], r["kind"], str(r["images"]), str(r["read_images"]), rep.fmt(r["word_accuracy"]),
             rep.fmt(r["cer"]), rep.fmt(r["ink_precision"]), rep.fmt(r["ink_recall"]),
             rep.fmt(r["seconds_per_image"], 1), str(r["failures"])] for r in report["summary"]]
    ds = report["dataset"]
    lines = [
        (f"**Real photos** — {ds['images']} images ({ds['with_transcription']} with a transcription) from "
         f"`{Path(ds['name']).name}`; readback = PP-OCR on our ink rendered black on white (case-sensitive "
         f"word accuracy, CER); ink precision/recall against the photo's ink mask (ruled lines removed) inside "
         f"the text detector's regions, within "
         f"{report['fidelity_tolerance_px']:g} px."),
        "",
        rep.table(header, rows),
        "",
        "Systems: " + "; ".join(f"`{k}` = {v}" for k, v in report["systems"].items())
        + "; `photo (OCR reference)` = the same OCR on the photo itself.",
    ]
    for name, st in report.get("system_stats", {}).items():
        lines.append(f"`{name}` outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(st.items())) + ".")
    lines.extend(rep.footer_lines(report))
    return "\n".join(lines)
