"""Drop shared libraries that only the Qt plugins we removed needed (Linux; used by packaging/inklift.spec).

PyInstaller collects each plugin's link-time dependencies into the bundle's top level while it analyses;
filtering the plugin out of the TOC afterwards leaves those libraries behind (the GTK3 theme alone brings
GTK, cairo, pango, atk ... ~25 MB). Here every binary that stays is asked for its dependencies (``ldd``
reports the whole closure), and a top-level library nobody reaches is dropped.
"""

from __future__ import annotations

import os
import re
import subprocess

_LDD_LINE = re.compile(r"^\s*(\S+)\s*=>\s*(\S+)")
_KEEP_ALWAYS = re.compile(r"^libpython\d")  # loaded by the bootloader with dlopen, reached by nobody


def _needed(path: str) -> set[str]:
    try:
        out = subprocess.run(["ldd", path], check=False, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    names = set()
    for line in out.splitlines():
        m = _LDD_LINE.match(line)
        if m:
            names.add(m.group(1))
            names.add(os.path.basename(m.group(2)))
    return names


def prune_unreached(binaries: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Return (kept TOC, dropped names). Only top-level (dependency) libraries are candidates."""
    def top_level(dest: str) -> bool:
        return "/" not in dest.replace("\\", "/") and not _KEEP_ALWAYS.match(dest)

    reached: set[str] = set()
    for dest, src, _kind in binaries:
        if not top_level(dest):
            reached |= _needed(src)
    kept, dropped = [], []
    for entry in binaries:
        dest, src = entry[0], entry[1]
        if top_level(dest) and dest not in reached and os.path.basename(src) not in reached:
            dropped.append(dest)
        else:
            kept.append(entry)
    return kept, dropped
