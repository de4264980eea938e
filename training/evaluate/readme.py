"""Markdown for a run report and the README's quality section: the suites own their tables, so this sits
above them (the suites import :mod:`.report`, never this)."""

from __future__ import annotations

import json
from pathlib import Path

from . import real, trajectories
from .report import replace_between_markers


def markdown_for(report: dict) -> str:
    if report["suite"] == "trajectories":
        return trajectories.markdown(report)
    if report["suite"] == "real":
        return real.markdown(report)
    raise ValueError(f"unknown suite {report.get('suite')!r}")


def update_readme(readme: Path | str, report_paths: list[Path | str]) -> str:
    """Regenerate the README's quality section from run JSON files; returns the new body."""
    parts = []
    for p in report_paths:
        rep = json.loads(Path(p).read_text(encoding="utf-8"))
        parts.append(markdown_for(rep))
    body = "\n\n".join(parts)
    path = Path(readme)
    path.write_text(replace_between_markers(path.read_text(encoding="utf-8"), body), encoding="utf-8")
    return body
