"""packaging/prune.py: libraries only removed plugins needed leave the bundle, with their aliases."""

from __future__ import annotations

import shutil
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))
import prune


def _system_lib(name: str) -> str:
    for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"):
        p = Path(d) / name
        if p.exists():
            return str(p)
    pytest.skip(f"{name} not found on this system")
    return ""


def test_unreached_libraries_and_their_aliases_are_dropped():
    if shutil.which("ldd") is None or not sys.platform.startswith("linux"):
        pytest.skip("prune works with ldd on Linux")
    zext = getattr(zlib, "__file__", None)
    if not zext or not zext.endswith(".so"):
        pytest.skip("zlib is built into this Python, no extension module to analyse")
    libz, libbz2 = _system_lib("libz.so.1"), _system_lib("libbz2.so.1.0")
    binaries = [("python3.11/lib-dynload/zlib.so", zext, "EXTENSION"),  # a root: needs libz
                ("libz.so.1", libz, "BINARY"),  # reached
                ("libbz2.so.1.0", libbz2, "BINARY"),  # nobody needs it any more
                ("libpython3.11.so.1.0", libbz2, "BINARY")]  # kept always (the bootloader loads it)
    datas = [("libbz2.so.1", "libbz2.so.1.0", "SYMLINK"), ("libz.so", "libz.so.1", "SYMLINK"),
             ("resources/x.txt", __file__, "DATA")]
    kept, kept_datas, dropped = prune.prune_unreached(binaries, datas)
    assert dropped == ["libbz2.so.1.0"]
    assert [b[0] for b in kept] == ["python3.11/lib-dynload/zlib.so", "libz.so.1", "libpython3.11.so.1.0"]
    assert [d[0] for d in kept_datas] == ["libz.so", "resources/x.txt"]


# --- stripping and ICU data trimming (Linux build steps run after COLLECT) ------------------------------

_ICU_PROBE = """
import sys
from PySide6.QtCore import QCollator, QCoreApplication, QLocale, QStringDecoder, QTimeZone
app = QCoreApplication(sys.argv)
words = ["b10", "B2", "\\u00e4pfel", "Zebra", "apfel", "\\u00f6", "\\u4e2d\\u6587", "\\u65e5\\u672c"]
for loc in ("en_US", "de_DE", "sv_SE", "zh_CN"):
    c = QCollator(QLocale(loc))
    c.setNumericMode(True)
    print(loc, sorted(words, key=c.sortKey))
print(QLocale("tr_TR").toUpper("istanbul"), QLocale("de_DE").toUpper("stra\\u00dfe"))
print(QTimeZone(b"Europe/Berlin").isValid(), QTimeZone(b"Europe/Berlin").offsetFromUtc(
    __import__("PySide6.QtCore").QtCore.QDateTime.fromSecsSinceEpoch(0)))
print("latin1", QStringDecoder("ISO-8859-1").isValid())
print("DROPPED sjis", QStringDecoder("Shift_JIS").isValid())
"""


def _icu_probe(lib_dir: str | None) -> list[str]:
    import os
    import subprocess

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if lib_dir:
        env["LD_LIBRARY_PATH"] = lib_dir  # searched before the Qt libraries' RUNPATH
    out = subprocess.run([sys.executable, "-c", _ICU_PROBE], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return out.splitlines()


def test_trimmed_icu_data_still_serves_what_qt_asks_for(tmp_path):
    if not sys.platform.startswith("linux") or not all(shutil.which(t) for t in ("icupkg", "as", "ld", "readelf")):
        pytest.skip("ICU trimming needs Linux, icupkg (icu-devtools) and binutils")
    qtcore = pytest.importorskip("PySide6.QtCore")
    libs = sorted((Path(qtcore.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not libs:
        pytest.skip("this PySide6 carries no ICU of its own")
    shutil.copy2(libs[0], tmp_path / libs[0].name)
    old, new = prune.trim_icu_data(tmp_path)
    assert new < old / 2
    full, trimmed = _icu_probe(None), _icu_probe(str(tmp_path))
    assert [x for x in full if not x.startswith("DROPPED")] == [x for x in trimmed if not x.startswith("DROPPED")]
    assert "DROPPED sjis True" in full and "DROPPED sjis False" in trimmed  # the codec tables did go


def test_strip_leaves_auditwheel_patched_libraries_alone(tmp_path):
    if not sys.platform.startswith("linux") or not shutil.which("strip") or not shutil.which("readelf"):
        pytest.skip("stripping is a Linux build step with binutils")
    pyclipper = pytest.importorskip("pyclipper._pyclipper")
    pil_imaging = pytest.importorskip("PIL._imaging")
    plain = tmp_path / "pyclipper" / Path(pyclipper.__file__).name
    plain.parent.mkdir()
    shutil.copy2(pyclipper.__file__, plain)
    patched = tmp_path / "PIL" / Path(pil_imaging.__file__).name  # RPATH $ORIGIN/../pillow.libs
    patched.parent.mkdir()
    shutil.copy2(pil_imaging.__file__, patched)
    if not prune._has_symbols(plain):
        pytest.skip("this pyclipper wheel is stripped already")
    before = patched.read_bytes()
    assert prune._auditwheel_patched(patched) and not prune._auditwheel_patched(plain)
    assert prune.strip_unpatched(tmp_path) == [plain]
    assert patched.read_bytes() == before and not prune._has_symbols(plain) and prune._loads_aligned(plain)
    import ctypes

    ctypes.CDLL(str(plain))  # ld.so maps it (the failure mode of a bad strip is a refused mapping)
