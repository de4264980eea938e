"""Licence texts for the frozen bundle, found from what PyInstaller actually collected.

Used by packaging/inklift.spec: every top-level module in the analysis is mapped to its installed
distribution, whose licence files (dist-info ``licenses/``, ``LICENSE*``, ``COPYING*``, ``NOTICE*``,
third-party notices inside the package) are copied to ``licenses/<distribution>/``. Python's own licence,
PyInstaller's bootloader licence (GPL with an exception for bundled programs) and the LGPL/GPL texts for Qt
(the PySide6 wheels carry no licence file) are added; ``licenses/INDEX.txt`` lists each distribution with
its version and declared licence so NOTICE can be checked against it.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

LICENCE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS|ThirdPartyNotices|LICENSE-3RD-PARTY|"
                          r"MODEL_LICENSES)[^/]*$", re.IGNORECASE)
HERE = Path(__file__).resolve().parent


def _top_names(analysis) -> set[str]:
    tops = {name.split(".")[0] for name, _path, _kind in analysis.pure}
    for name, _path, _kind in analysis.binaries:  # extension modules: "cv2/cv2.abi3.so", "numpy/_core/x.so"
        first = re.split(r"[/\\]", name)[0]
        tops.add(first.split(".")[0])
    return tops


def bundled_distributions(analysis) -> list[md.Distribution]:
    owners = md.packages_distributions()
    names = sorted({d for top in _top_names(analysis) for d in owners.get(top, [])}, key=str.lower)
    dists = []
    for name in names + ["pyinstaller"]:  # the bootloader is in every executable
        try:
            dists.append(md.distribution(name))
        except md.PackageNotFoundError:
            continue
    return dists


def declared_licence(dist: md.Distribution) -> str:
    meta = dist.metadata
    expr = meta.get("License-Expression")
    if expr:
        return expr
    lic = (meta.get("License") or "").strip()
    if lic and "\n" not in lic and len(lic) < 100:
        return lic
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License")]
    return "; ".join(classifiers) or (lic.splitlines()[0][:100] if lic else "see files")


def licence_files(dist: md.Distribution) -> list[tuple[Path, str]]:
    """(source path, path relative to the distribution's licence folder)."""
    out = []
    for f in dist.files or []:
        rel = str(f).replace("\\", "/")
        if rel.endswith((".py", ".pyc", ".pyi", ".so", ".pyd", ".dll")) or not LICENCE_FILE.search(rel):
            continue
        if "/licenses/" in rel and ".dist-info/" in rel:
            short = rel.split("/licenses/", 1)[1]
        elif ".dist-info/" in rel:
            short = rel.rsplit("/", 1)[-1]
        else:  # inside the package: keep the path, several sub-libraries carry their own LICENSE
            short = rel
        src = Path(dist.locate_file(f))
        if src.is_file():
            out.append((src, short))
    return out


def python_licence() -> Path | None:
    for cand in (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"):
        if cand.is_file():
            return cand
    return None


def _debian_packages(paths: list[str]) -> dict[str, str]:
    """Debian package owning each library path (``dpkg -S``), trying the path and its /usr, /lib twins."""
    if not paths or shutil.which("dpkg-query") is None:
        return {}
    variants = {}
    for p in paths:
        for v in {p, p.replace("/usr/lib/", "/lib/", 1), p.replace("/lib/", "/usr/lib/", 1) if p.startswith("/lib/")
                  else p, os.path.realpath(p)}:
            variants[v] = p
    out = subprocess.run(["dpkg-query", "-S", *variants], capture_output=True, text=True, check=False).stdout
    owners = {}
    for line in out.splitlines():
        pkg, _, path = line.partition(": ")
        if path in variants and "," not in pkg:
            owners[variants[path]] = pkg.split(":")[0]
    return owners


def system_libraries(analysis) -> list[tuple[str, str, str, str]]:
    """(package, version, copyright file, library) for libraries PyInstaller took from the build system."""
    libs = sorted({src for _dest, src, kind in analysis.binaries
                   if kind == "BINARY" and src.startswith(("/lib/", "/usr/lib/", "/lib64/", "/usr/lib64/"))})
    owners = _debian_packages(libs)
    rows = []
    for lib in libs:
        pkg = owners.get(lib)
        if pkg is None:
            rows.append(("unknown", "", "", lib))
            continue
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True,
                                 check=False).stdout.strip()
        rows.append((pkg, version, f"/usr/share/doc/{pkg}/copyright", lib))
    return rows


def collect(analysis, workdir: Path) -> list[tuple[str, str, str]]:
    """PyInstaller TOC entries (dest, src, 'DATA') for ``licenses/...``; writes INDEX.txt into ``workdir``."""
    toc: list[tuple[str, str, str]] = []
    index = ["Third-party software in this InkLift bundle (distribution, version, declared licence, files).",
             "See NOTICE for attributions. Generated by packaging/licenses.py at build time.", ""]
    for dist in bundled_distributions(analysis):
        name = dist.metadata["Name"]
        files = list({short: (src, short) for src, short in licence_files(dist)}.values())  # one per name
        for src, short in files:
            toc.append((f"licenses/{name}/{short}", str(src), "DATA"))
        extra = ""
        if name.lower().startswith(("pyside6", "shiboken6")):
            extra = " (Qt and Qt for Python, used under LGPL-3.0: licenses/Qt/)"
        if name.lower() == "pyinstaller":
            extra = " (only its bootloader is in the bundle: GPL-2.0-or-later with the bootloader exception, " \
                    "which allows distributing it with any program)"
        if name.lower() == "inklift":
            continue  # this program: NOTICE
        index.append(f"{name} {dist.version}: {declared_licence(dist)}{extra}; "
                     f"{', '.join(s for _, s in files) or 'no licence file in the wheel'}")
    seen = set()
    for pkg, version, copyright_file, lib in system_libraries(analysis):
        if pkg == "unknown":
            index.append(f"{os.path.basename(lib)}: from the build system, owner unknown ({lib})")
            continue
        if pkg in seen:
            continue
        seen.add(pkg)
        have = Path(copyright_file).is_file()
        if have:
            toc.append((f"licenses/system/{pkg}/copyright", copyright_file, "DATA"))
        index.append(f"{pkg} {version} (Debian package, shared library from the build system): "
                     f"{'system/' + pkg + '/copyright' if have else 'no copyright file found'}")
    py = python_licence()
    if py:
        toc.append(("licenses/Python/LICENSE.txt", str(py), "DATA"))
    index.append(f"Python {sys.version.split()[0]} (interpreter and standard library): PSF-2.0; "
                 f"{'LICENSE.txt' if py else 'licence file not found on the build machine'}")
    for text in sorted((HERE / "licenses").glob("*.txt")):
        toc.append((f"licenses/Qt/{text.name}", str(text), "DATA"))
    index.append("Qt 6 libraries and plugins (via PySide6-Essentials/-Addons): LGPL-3.0-only; Qt/LGPL-3.0.txt, "
                 "Qt/GPL-3.0.txt. Qt's source: https://download.qt.io/official_releases/qt/ ; replace the "
                 "Qt libraries in _internal/PySide6/Qt/lib to relink.")
    index.append("ICU (libicu*.so, with Qt): ICU licence (MIT-style, Unicode, Inc.); Qt/ICU.txt. libicudata is "
                 "rebuilt at bundle time from a subset of the same ICU data (packaging/prune.py trim_icu_data).")
    index.append("FFmpeg (libav*.so, libsw*.so with Qt Multimedia, in PySide6/Qt/lib): LGPL-2.1-or-later; "
                 "Qt/LGPL-2.1.txt; source: https://ffmpeg.org/download.html. OpenCV's own FFmpeg build is "
                 "described in licenses/opencv-python-headless/LICENSE-3RD-PARTY.txt.")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "INDEX.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    toc.append(("licenses/INDEX.txt", str(workdir / "INDEX.txt"), "DATA"))
    return toc


def install_top_level(dist_dir: Path, root: Path) -> None:
    """Put NOTICE and licenses/ next to the executable, where people look. On Linux licenses/ there is a
    relative symlink to the copy in the contents folder (2 MB once, not twice; tar and dpkg keep it)."""
    contents = dist_dir / "_internal"
    if not contents.is_dir():
        contents = dist_dir
    shutil.copy2(root / "NOTICE", dist_dir / "NOTICE")
    if (contents / "licenses").is_dir() and contents != dist_dir:
        top = dist_dir / "licenses"
        if top.is_symlink() or top.is_file():
            top.unlink()
        elif top.is_dir():
            shutil.rmtree(top)
        if sys.platform.startswith("linux"):
            top.symlink_to(Path(contents.name) / "licenses", target_is_directory=True)
        else:
            shutil.copytree(contents / "licenses", top)
