"""Hardened XML parsing shared by the InkML and SVG readers.

Documents come from anywhere (mail attachments, datasets), so the parser never expands entities, never
loads a DTD, never touches the network, refuses huge trees, and the input is size-bounded before parsing.
Everything that goes wrong becomes a :class:`FormatError` with one clear line.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from lxml import etree

from ...errors import FormatError

MAX_FILE_BYTES = 50 * 1024 * 1024  # 50 MB: far above any real page of ink (a dense page is ~1 MB)
MAX_POINTS = 2_000_000  # per document
MAX_TRACES = 100_000  # per document
MAX_ABS_COORD = 1e7  # page pixels; anything beyond is a broken or hostile file


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_bounded(source: str | os.PathLike | bytes, what: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The raw bytes of ``source`` (a path or bytes), refusing anything above ``max_bytes``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise FormatError(f"{what}: document is {len(data) / 2**20:.0f} MB, more than the "
                              f"{max_bytes / 2**20:.0f} MB we accept")
        return data
    path = Path(source)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise FormatError(f"{path}: not a regular file")
        if size > max_bytes:
            raise FormatError(f"{path}: file is {size / 2**20:.0f} MB, more than the "
                              f"{max_bytes / 2**20:.0f} MB we accept")
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may grow between stat and read
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise FormatError(f"{path}: file is more than the {max_bytes / 2**20:.0f} MB we accept")
    return data


def parse_xml(data: bytes, what: str) -> etree._Element:
    """Parse ``data`` with the hardened parser; returns the root element."""
    if not data.strip():
        raise FormatError(f"{what}: empty document")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{what}: not well-formed XML ({_first_line(exc)})") from None
    except (ValueError, TypeError, MemoryError) as exc:  # e.g. unicode strings with encoding declarations
        raise FormatError(f"{what}: cannot parse ({_first_line(exc)})") from None
    if root is None:
        raise FormatError(f"{what}: no root element")
    if _has_entity_refs(root):
        # resolve_entities=False leaves references in place; a document that needs them is not ours
        # to interpret (billion laughs, XXE): refuse rather than silently drop text.
        raise FormatError(f"{what}: uses XML entities (refused: they could expand or fetch files)")
    return root


def _has_entity_refs(root: etree._Element) -> bool:
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        dtd = tree.docinfo.internalDTD
        if dtd is not None and any(True for _ in dtd.iterentities()):
            return True
    for el in root.iter():
        if isinstance(el, etree._Entity):
            return True
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else exc.__class__.__name__


def local(tag: object) -> str:
    """Tag name without namespace ('' for comments/entities, whose tag is not a string)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def finite_coord(v: float, what: str) -> float:
    if not math.isfinite(v) or abs(v) > MAX_ABS_COORD:
        raise FormatError(f"{what}: coordinate {v!r} is not a finite number within +-{MAX_ABS_COORD:g}")
    return v
