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
import tempfile
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


# --- wheel libraries auditwheel left alone ------------------------------------------------------------

def _readelf(flag: str, path: Path) -> str:
    return subprocess.run(["readelf", flag, "-W", str(path)], check=False, capture_output=True, text=True,
                          timeout=60).stdout


def _auditwheel_patched(path: Path) -> bool:
    """auditwheel grafts libraries into ``<dist>.libs/`` (renamed with patchelf) and points the extensions
    that use them there with an RPATH; both kinds break when stripped, so both are left alone."""
    if any(part.endswith(".libs") for part in path.parts):
        return True
    dyn = _readelf("-d", path)
    return ".libs" in "".join(line for line in dyn.splitlines() if "RPATH" in line or "RUNPATH" in line)


def _loads_aligned(path: Path) -> bool:
    """ld.so refuses a LOAD segment whose address and file offset disagree modulo its alignment (the
    "ELF load command address/offset not page-aligned" that stripping a patchelf-edited file produces)."""
    loads = re.findall(r"^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+[RWE ]+?\s*(0x[0-9a-f]+)\s*$",
                       _readelf("-l", path), re.MULTILINE)
    return bool(loads) and all((int(v, 16) - int(o, 16)) % max(int(a, 16), 1) == 0 for o, v, a in loads)


def _has_symbols(path: Path) -> bool:
    return bool(re.search(r"\]\s+(\.symtab|\.debug_\w+)\s", _readelf("-S", path)))


def strip_unpatched(contents: Path) -> list[Path]:
    """Strip the symbol tables and debug info of the wheels' own shared objects that auditwheel did not
    patch (pyclipper ships 3 MB of debug info, Qt's ICU its symbol tables). Each result is checked the way
    ld.so checks it and the original is kept if the check fails. Returns the files stripped."""
    strip = shutil.which("strip")
    if strip is None or shutil.which("readelf") is None:
        print("inklift.spec: no `strip`/`readelf` on PATH; wheel libraries left unstripped")
        return []
    done = []
    for p in sorted(contents.rglob("*.so*")):
        if p.is_symlink() or not p.is_file() or not re.search(r"\.so(\.\d+)*$", p.name) \
                or p.name.startswith("libpython") or "lib-dynload" in p.parts \
                or _auditwheel_patched(p) or not _has_symbols(p):
            continue
        tmp = p.with_name(p.name + ".stripped")
        ok = subprocess.run([strip, "--strip-unneeded", "-o", str(tmp), str(p)], check=False,
                            capture_output=True, timeout=300).returncode == 0
        if ok and _loads_aligned(tmp) and _loads_aligned(p):
            shutil.copymode(p, tmp)
            tmp.replace(p)
            done.append(p)
        else:
            tmp.unlink(missing_ok=True)
            print(f"inklift.spec: left {p.relative_to(contents)} unstripped (strip result would not load)")
    return done


# --- ICU data: only what Qt asks for ------------------------------------------------------------------

# Qt 6 calls ICU (the ucol_/ucnv_/ucal_/u_strTo* imports of libQt6Core) for collation (QCollator: coll/),
# locale case mapping, time-zone ids (zoneinfo64, metaZones, the locale .res files), time-zone display
# names (QTimeZone::displayName: zone/) and table-driven legacy codecs (QStringConverter: *.cnv). The
# bundle keeps collation, case mapping, time-zone ids and ICU's algorithmic codecs (UTF-*, Latin-1,
# US-ASCII, ...: code, not data). It drops what nothing in Qt reads (break iterators, unit, currency,
# language and region names, transliteration, spell-out rules, character names, spoof checks, stringprep)
# and two Qt features this app never uses: localized time-zone long names and the CJK/EBCDIC/code-page
# codec tables (the app reads and writes UTF-8; lxml decodes XML itself). ~23 MB of libicudata's 32.
ICU_UNUSED = re.compile(r"^(brkitr|unit|curr|lang|region|translit|rbnf|zone)/|"
                        r"^(unames\.icu|confusables\.cfu|\w+\.spp|[^/]+\.cnv)$")


def trim_icu_data(qt_lib: Path, unused: re.Pattern[str] = ICU_UNUSED) -> tuple[int, int] | None:
    """Rebuild ``libicudata.so.NN`` in ``qt_lib`` without the ICU data items ``unused`` matches: the data
    blob (symbol ``icudtNN_dat``) is cut out, filtered with ICU's own ``icupkg`` and linked back into a
    library of the same soname with binutils. Returns (old size, new size), or None (tools missing, or
    no ICU here); the library is then left as it was."""
    libs = [p for p in sorted(qt_lib.glob("libicudata.so.*")) if p.is_file() and not p.is_symlink()]
    tools = {t: shutil.which(t) for t in ("icupkg", "as", "ld", "readelf")}
    if not libs:
        return None
    if not all(tools.values()):
        print(f"inklift.spec: ICU data left whole (missing {[t for t, w in tools.items() if not w]}; "
              "icupkg is in Debian's icu-devtools)")
        return None
    lib = libs[0]
    m = re.search(r"^\s*\d+:\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+OBJECT\s+GLOBAL\s+\S+\s+(\d+)\s+(icudt(\d+)_dat)$",
                  _readelf("-s", lib), re.MULTILINE)
    if m is None:
        print(f"inklift.spec: no icudt*_dat symbol in {lib.name}; ICU data left whole")
        return None
    addr, size, shndx, symbol = int(m.group(1), 16), int(m.group(2), 0), int(m.group(3)), m.group(4)
    sec = re.search(rf"^\s*\[\s*{shndx}\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", _readelf("-S", lib), re.MULTILINE)
    offset = addr - int(sec.group(1), 16) + int(sec.group(2), 16)
    package = f"icudt{m.group(5)}l"  # l: little-endian, the only kind of x86_64/arm64 Linux
    soname = re.search(r"\(SONAME\).*\[(.+)\]", _readelf("-d", lib)).group(1)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "in").mkdir()
        (tmp / "out").mkdir()
        with open(lib, "rb") as f:
            f.seek(offset)
            (tmp / "in" / f"{package}.dat").write_bytes(f.read(size))

        def run(*cmd: str) -> str:
            return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300, cwd=tmp).stdout

        items = run(tools["icupkg"], "-l", f"in/{package}.dat").split()
        drop = [i for i in items if unused.search(i)]
        (tmp / "drop.txt").write_text("\n".join(drop) + "\n")
        run(tools["icupkg"], "-r", "drop.txt", f"in/{package}.dat", f"out/{package}.dat")
        (tmp / "data.S").write_text(
            f'.section .rodata\n.globl {symbol}\n.type {symbol}, @object\n.balign 16\n{symbol}:\n'
            f'.incbin "out/{package}.dat"\n.size {symbol}, .-{symbol}\n.section .note.GNU-stack,"",@progbits\n')
        run(tools["as"], "-o", "data.o", "data.S")
        run(tools["ld"], "-shared", "-soname", soname, "-z", "noexecstack", "-o", "lib.so", "data.o")
        old = lib.stat().st_size
        shutil.copymode(lib, tmp / "lib.so")
        shutil.move(str(tmp / "lib.so"), str(lib))
    print(f"inklift.spec: {lib.name} rebuilt without {len(drop)} of {len(items)} ICU data items Qt never "
          f"asks for: {old / 1e6:.1f} -> {lib.stat().st_size / 1e6:.1f} MB")
    return old, lib.stat().st_size
