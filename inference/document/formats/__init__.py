"""File formats for the one ink model: InkML (read/write), SVG (write, re-import ours), Xournal++ .xopp,
PNG and PDF (write). ``export_page`` is the one entry point the CLI and the GUI use; every writer is atomic
(temp file + ``os.replace``), so a failed export never leaves half a file behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import FormatError
from ..ink import Page
from ._io import atomic_write
from .inkml import FRAMES, inkml_bytes, read_inkml, write_inkml
from .pdf import pdf_bytes, pdf_document_bytes, write_pdf
from .png import png_bytes, write_png
from .svg import read_svg, svg_bytes, write_svg
from .xopp import write_xopp, xopp_bytes


@dataclass(frozen=True)
class Exporter:
    name: str
    suffix: str
    description: str
    to_bytes: Callable[[Page, np.ndarray | None], bytes]  # (page, photo or None) -> file contents


def _svg(page: Page, image: np.ndarray | None) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + svg_bytes(page, image)


EXPORTERS: dict[str, Exporter] = {
    "inkml": Exporter("inkml", ".inkml", "W3C InkML with word text (source photo's pixels)",
                      lambda p, _img: inkml_bytes(p, "source")),
    "svg": Exporter("svg", ".svg", "SVG paths (searchable text, optional photo layer)", _svg),
    "xopp": Exporter("xopp", ".xopp", "Xournal++ document", lambda p, img: xopp_bytes(p, img)),
    "png": Exporter("png", ".png", "PNG image of the ink", png_bytes),
    "pdf": Exporter("pdf", ".pdf", "PDF: vector ink with searchable text (optional photo layer)", pdf_bytes),
}

FORMATS: tuple[str, ...] = tuple(EXPORTERS)  # names for menus and --format, in display order

IMPORTERS: dict[str, Callable[[str | os.PathLike | bytes], Page]] = {
    "inkml": read_inkml,
    "svg": read_svg,
}


def format_for_path(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    for name, ex in EXPORTERS.items():
        if ex.suffix == suffix:
            return name
    raise FormatError(f"{path}: unknown export format {suffix or '(no suffix)'!r}; "
                      f"choose one of {', '.join(EXPORTERS)}")


def export_page(page: Page, path: str | os.PathLike, fmt: str | None = None,
                image: np.ndarray | None = None, frame: str = "source") -> Path:
    """Write ``page`` to ``path`` as ``fmt`` (default: from the suffix); ``image`` is an optional photo
    underlay (RGB uint8 of the page) for svg, xopp and png. ``frame`` is InkML's coordinate frame: the
    source photo's pixels (default) or "page" (svg, xopp and png are always in the page frame). Returns the
    path written."""
    fmt = (fmt or format_for_path(path)).lower()
    return atomic_write(path, export_bytes(page, fmt, image, frame))


def export_bytes(page: Page, fmt: str, image: np.ndarray | None = None, frame: str = "source") -> bytes:
    """The file contents :func:`export_page` writes (for callers that write elsewhere, e.g. a batch)."""
    if fmt not in EXPORTERS:
        raise FormatError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORTERS)}")
    return inkml_bytes(page, frame) if fmt == "inkml" else EXPORTERS[fmt].to_bytes(page, image)


def import_page(path: str | os.PathLike) -> Page:
    suffix = Path(path).suffix.lower().lstrip(".")
    reader = IMPORTERS.get("inkml" if suffix in ("inkml", "xml") else suffix)
    if reader is None:
        raise FormatError(f"{path}: cannot import {suffix or 'files without a suffix'}; "
                          f"choose one of .inkml, .svg")
    return reader(path)


__all__ = [
    "EXPORTERS",
    "FORMATS",
    "FRAMES",
    "IMPORTERS",
    "Exporter",
    "atomic_write",
    "export_bytes",
    "export_page",
    "format_for_path",
    "import_page",
    "inkml_bytes",
    "pdf_bytes",
    "pdf_document_bytes",
    "png_bytes",
    "read_inkml",
    "read_svg",
    "svg_bytes",
    "write_inkml",
    "write_pdf",
    "write_png",
    "write_svg",
    "write_xopp",
    "xopp_bytes",
]
