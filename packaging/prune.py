"""Drop shared libraries that only the Qt plugins we removed needed (Linux; used by packaging/inklift.spec).

PyInstaller collects each plugin's link-time dependencies into the bundle's top level while it analyses;
filtering the plugin out of the TOC afterwards leaves those libraries behind (the GTK3 theme alone brings
GTK, cairo, pango, atk ... ~25 MB). Here every binary that stays is asked for its dependencies (``ldd``
reports the whole closure), and a top-level library nobody reaches is dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

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


Toc = list[tuple[str, str, str]]


def prune_unreached(binaries: Toc, datas: Toc) -> tuple[Toc, Toc, list[str]]:
    """Return (kept binaries, kept datas, dropped names). Only dependency libraries (top level, Qt lib/) are
    candidates; every other shared object is a root whose closure is kept. PyInstaller's top-level aliases
    (SYMLINK entries, in ``datas``) of dropped libraries go too."""
    def top_level(dest: str) -> bool:  # collected as a dependency: the top level, or Qt's own lib folder
        dest = dest.replace("\\", "/")
        return ("/" not in dest or dest.startswith("PySide6/Qt/lib/")) and not _KEEP_ALWAYS.match(dest)

    reached: set[str] = set()
    for dest, src, kind in [*binaries, *datas]:
        if kind != "SYMLINK" and not top_level(dest) and re.search(r"\.so(\.|$)", dest):
            reached |= _needed(src)
    dropped_names = set()
    kept, dropped = [], []
    for entry in binaries:
        dest, src, kind = entry
        if kind != "SYMLINK" and top_level(dest) and os.path.basename(dest) not in reached \
                and os.path.basename(src) not in reached:
            dropped.append(dest)
            dropped_names.add(dest.replace("\\", "/"))
        else:
            kept.append(entry)
    def dangling(e: tuple[str, str, str]) -> bool:
        return e[2] == "SYMLINK" and _link_target(e) in dropped_names

    return [e for e in kept if not dangling(e)], [e for e in datas if not dangling(e)], dropped


def _link_target(entry: tuple[str, str, str]) -> str:
    dest, rel, _kind = entry
    return os.path.normpath(os.path.join(os.path.dirname(dest), rel)).replace("\\", "/")


def strip_interpreter(contents: Path) -> None:
    """Strip libpython and the standard library's extension modules (built with debug info by pyenv);
    wheel libraries are left alone because patchelf-edited files break when stripped."""
    strip = shutil.which("strip")
    if strip is None:
        print("inklift.spec: no `strip` on PATH; interpreter libraries left unstripped")
        return
    targets = sorted(contents.glob("libpython*.so*")) + sorted(contents.glob("python3*/lib-dynload/*.so"))
    targets = [t for t in targets if t.is_file() and not t.is_symlink()]
    if targets:
        subprocess.run([strip, "--strip-unneeded", *map(str, targets)], check=True, timeout=300)
