"""Small file helpers shared by the exporters."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np

from ...errors import FormatError


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``.

    A crash or a full disk leaves either the old file or the new one, never half a file.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise FormatError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise FormatError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise
    return path


def num(v: float, digits: int | None = None) -> str:
    """A plain positional decimal (no exponent: xsd:decimal and many readers reject '1e-05').

    Without ``digits`` the shortest text that reads back to the same float32 (exact round trip).
    """
    if digits is None:
        return np.format_float_positional(np.float32(v), unique=True, trim="-")
    return np.format_float_positional(float(v), precision=digits, unique=True, trim="-")


def nums(arr: np.ndarray) -> list[str]:
    """:func:`num` for every value of a float32 array (iterating numpy scalars skips a conversion: ~4x
    faster than calling ``num`` per value, which matters for pages with 100k+ points)."""
    ffp = np.format_float_positional
    return [ffp(v, unique=True, trim="-") for v in np.asarray(arr, dtype=np.float32).ravel()]


def num64(v: float) -> str:
    """Shortest positional text that reads back to the same float64."""
    return np.format_float_positional(float(v), unique=True, trim="-")


def file_name_only(path: str | None) -> str | None:
    """The last part of a path (POSIX, Windows or file: URI): exports name the photo, never the folders
    it lies in (a user name, a client's name) - those would leak with every shared file."""
    if not path:
        return None
    name = re.split(r"[\\/]", str(path).rstrip("\\/"))[-1]
    return name or None
