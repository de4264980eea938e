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
