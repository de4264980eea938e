"""The ``.inklift`` project file: a zip holding the photos, each page's ink as InkML and a small JSON state.

Layout (version 1)::

    project.json          {"format": "inklift-project", "version": 1, "pages": [...], "current": 0}
    photos/<id><ext>      the original photo bytes, untouched
    images/<id>.jpg       the page image the ink sits on (the engine's flattened page), only when it differs
                          from the photo; JPEG, as it is a photo too (a PNG of it was as big as the photo
                          again, and older projects' PNGs still read)
    ink/<id>.inkml        the page's ink (inference.document.formats.inkml; word text/box/confidence/review state)

A page rendered from a PDF stores that rendering as its photo (never the whole PDF per page) and the PDF
page's size in points as ``"pdf_size_pt"`` in its project.json entry, so a PDF export keeps the page size.

Saving writes a temp file next to the target and renames it into place, so a crash never leaves half a
project. Works on a snapshot of plain values, so it can run off the GUI thread.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from inference.document.ink import Page
from inference.errors import FormatError
from inference.jobs import CancelToken, Progress

FORMAT = "inklift-project"
VERSION = 1
SUFFIX = ".inklift"
IMAGE_QUALITY = 90  # JPEG quality of stored page images: no visible loss behind the ink
_MAX_ENTRY = 512 * 1024 * 1024  # refuse absurd zip members (zip bombs)


@dataclass(frozen=True)
class PageRecord:
    """What a project stores per page (a snapshot of desktop.document.PageDoc)."""

    id: str
    name: str
    photo: bytes | None
    photo_ext: str
    image: np.ndarray | None  # None: the page image is the decoded photo
    ink: Page | None
    pdf_size_pt: tuple[float, float] | None = None  # (width, height) of the PDF page it was rendered from


def _safe_ext(ext: str) -> str:
    ext = ext.lower() if ext.startswith(".") else "." + ext.lower()
    return ext if ext[1:].isalnum() and len(ext) <= 6 else ".img"


def write_project(path: str | os.PathLike, pages: list[PageRecord], current: int = 0,
                  cancel: CancelToken | None = None) -> Generator[Progress, None, Path]:
    """Job: write the project atomically; yields a Progress per page."""
    from inference.document.formats.inkml import inkml_bytes

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    os.close(fd)
    try:
        state = {"format": FORMAT, "version": VERSION, "current": int(current), "pages": []}
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as z:
            for i, p in enumerate(pages):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                yield Progress("save", i, len(pages), f"Saving page {i + 1} of {len(pages)}")
                entry: dict = {"id": p.id, "name": p.name, "photo": None, "image": None, "ink": None}
                if p.photo is not None:
                    entry["photo"] = f"photos/{p.id}{_safe_ext(p.photo_ext)}"
                    z.writestr(zipfile.ZipInfo(entry["photo"], (2020, 1, 1, 0, 0, 0)), p.photo,
                               compress_type=zipfile.ZIP_STORED)  # photos are compressed already
                if p.image is not None:
                    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(p.image, cv2.COLOR_RGB2BGR),
                                           [cv2.IMWRITE_JPEG_QUALITY, IMAGE_QUALITY])
                    if not ok:
                        raise FormatError(f"Cannot encode the image of page {p.name!r}")
                    entry["image"] = f"images/{p.id}.jpg"
                    z.writestr(entry["image"], buf.tobytes(), compress_type=zipfile.ZIP_STORED)
                if p.pdf_size_pt is not None:
                    entry["pdf_size_pt"] = [float(v) for v in p.pdf_size_pt]
                if p.ink is not None:
                    entry["ink"] = f"ink/{p.id}.inkml"
                    z.writestr(entry["ink"], inkml_bytes(p.ink))
                state["pages"].append(entry)
            z.writestr("project.json", json.dumps(state, indent=1))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    yield Progress("save", len(pages), len(pages), "Saved")
    return path


def save_project(path: str | os.PathLike, pages: list[PageRecord], current: int = 0) -> Path:
    from inference.jobs import run_job

    return run_job(write_project(path, pages, current))


@dataclass(frozen=True)
class LoadedPage:
    id: str
    name: str
    photo: bytes | None
    photo_ext: str
    image: np.ndarray | None
    ink: Page | None
    pdf_size_pt: tuple[float, float] | None = None


def _read(z: zipfile.ZipFile, name: str, what: str) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise FormatError(f"{what}: the project is missing {name}") from None
    if info.file_size > _MAX_ENTRY:
        raise FormatError(f"{what}: {name} is too large")
    return z.read(name)


def _size_pt(value) -> tuple[float, float] | None:
    """A stored PDF page size, or None when absent or not two positive finite numbers (it only sizes exports,
    so a damaged value falls back to A4 instead of refusing the project)."""
    try:
        w, h = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (w, h) if 0 < w < float("inf") and 0 < h < float("inf") else None


def read_project(path: str | os.PathLike) -> tuple[list[LoadedPage], int]:
    """Read a project: (pages, current page index). FormatError on anything unusable."""
    from inference.document.formats.inkml import inkml_from_bytes

    path = Path(path)
    what = path.name
    try:
        z = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise FormatError(f"{what}: file not found") from None
    except (zipfile.BadZipFile, OSError) as e:
        raise FormatError(f"{what}: not an InkLift project ({e})") from None
    with z:
        try:
            state = json.loads(_read(z, "project.json", what))
        except ValueError:
            raise FormatError(f"{what}: project.json is not valid JSON") from None
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise FormatError(f"{what}: not an InkLift project")
        version = state.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise FormatError(f"{what}: made by a newer InkLift (project version {version}); please update")
        pages = []
        for i, e in enumerate(state.get("pages", [])):
            if not isinstance(e, dict):
                raise FormatError(f"{what}: page {i + 1} is malformed")
            photo = _read(z, e["photo"], what) if e.get("photo") else None
            image = None
            if e.get("image"):
                buf = np.frombuffer(_read(z, e["image"], what), np.uint8)
                bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
                if bgr is None:
                    raise FormatError(f"{what}: the image of page {i + 1} is damaged")
                image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            ink = inkml_from_bytes(_read(z, e["ink"], what), f"{what}: page {i + 1}") if e.get("ink") else None
            ext = Path(e["photo"]).suffix if e.get("photo") else ".png"
            pages.append(LoadedPage(str(e.get("id") or f"p{i}"), str(e.get("name") or f"Page {i + 1}"),
                                    photo, ext, image, ink, _size_pt(e.get("pdf_size_pt"))))
        current = state.get("current", 0)
        return pages, int(current) if isinstance(current, int) else 0
