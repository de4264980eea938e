"""Run records: provenance (commit, model hashes), JSON + markdown files, and the README quality table."""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
import time
from pathlib import Path

from .data import REPO, sha256_file

README_START = "<!-- quality:start -->"
README_END = "<!-- quality:end -->"


def git_commit(repo: Path = REPO) -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=20,
                                  check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"commit": git("rev-parse", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def model_hashes(models_dir: Path | None = None) -> dict:
    """sha256 of the shipped models: as listed in resources/models/manifest.json and as found on disk."""
    if models_dir is None:
        from inference.resources import models_dir as _md

        models_dir = _md()
    try:  # repository-relative where possible: the README shows it
        shown = str(Path(models_dir).resolve().relative_to(REPO))
    except ValueError:
        shown = str(models_dir)
    out: dict = {"dir": shown, "manifest": None, "files": {}}
    man = models_dir / "manifest.json"
    if man.is_file():
        try:
            out["manifest"] = json.loads(man.read_text(encoding="utf-8"))
        except ValueError as e:
            out["manifest"] = {"error": f"unreadable manifest: {e}"}
    for f in sorted(models_dir.rglob("*.onnx")):
        out["files"][str(f.relative_to(models_dir))] = sha256_file(f)
    return out


def provenance(argv: list[str] | None = None, models_dir: Path | str | None = None) -> dict:
    return {
        "command": "python -m training.evaluate " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": git_commit(),
        "models": model_hashes(Path(models_dir) if models_dir else None),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def _clean_json(x):
    """NaN/inf are not JSON: write them as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean_json(v) for v in x]
    return x


def write_run(out_dir: Path | str, report: dict, markdown: str) -> tuple[Path, Path]:
    """``<suite>_<UTC stamp>.json`` and ``.md`` under ``out_dir`` (also ``<suite>_latest.*``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    suite = report["suite"]
    js = json.dumps(_clean_json(report), indent=1, sort_keys=False, allow_nan=False)
    paths = (out / f"{suite}_{stamp}.json", out / f"{suite}_{stamp}.md")
    for p, text in zip(paths, (js, markdown)):
        p.write_text(text + "\n", encoding="utf-8")
    (out / f"{suite}_latest.json").write_text(js + "\n", encoding="utf-8")
    (out / f"{suite}_latest.md").write_text(markdown + "\n", encoding="utf-8")
    return paths


def fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, int):
        return str(v)
    return f"{v:.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def replace_between_markers(text: str, body: str) -> str:
    """``text`` with everything between the quality markers replaced by ``body`` (markers kept)."""
    i = text.find(README_START)
    j = text.find(README_END)
    if i < 0 or j < 0 or j < i:
        raise ValueError(f"README needs the markers {README_START} and {README_END}, in that order")
    return text[:i + len(README_START)] + "\n" + body.strip() + "\n" + text[j:]


def footer_lines(report: dict) -> list[str]:
    """The lines every suite's markdown ends with: fallback note, unavailable systems, models, command."""
    git = report.get("git", {})
    lines: list[str] = []
    if "inklift" in report["systems"] and not report.get("models", {}).get("files"):
        lines.append(f"No derender model files were found in {report['models'].get('dir', 'resources/models')} "
                     "for this run: InkLift ran on its tracer fallback.")
    if report.get("unavailable"):
        lines.append("Not available in this run: " + "; ".join(f"`{k}` ({v})" for k, v in
                                                             report["unavailable"].items()) + ".")
    man = (report.get("models") or {}).get("files") or {}
    if man:
        lines.append(f"Models ({report['models'].get('dir')}): " + ", ".join(f"`{k}` sha256 {v[:12]}"
                                                                        for k, v in man.items()) + ".")
    lines.append(f"Command: `{report['command']}` at commit {str(git.get('commit'))[:10]}"
                 f"{' (dirty)' if git.get('dirty') else ''}, {report['date_utc']}, "
                 f"{report['seconds']:.0f} s.")
    return lines
