"""Xournal++ ``.xopp`` export: gzipped XML, ``fileversion="4"`` (what Xournal++ 1.1+ writes).

Frame: InkLift's page (upright, rectified), like SVG and PNG; the Photo layer is that page image.

Scale: a photo has pixels, a Xournal++ page has points (1/72 in). A photo pixel counts as a CSS pixel
(72/96 pt), except that pages wider than A4 (595.276 pt) are shrunk to A4 width: a 4000 px phone photo of
a sheet becomes an A4-wide page instead of a metre-wide one, and a small crop of one line is not blown up.
The aspect ratio is kept and stroke widths scale with the page (:func:`pt_per_px`). Pass
``page_width_pt`` to force a width.

Each page gets a plain white background, an optional ``Photo`` layer holding the photo as an embedded
``<image>`` (base64 PNG, downscaled to about 150 dpi; self-contained, no side files), and an ``Ink``
layer with one ``<stroke tool="pen" color="#RRGGBBAA" width="w">x y x y ...</stroke>`` per stroke.
Word text has no place in the format and is not written (use InkML or SVG to keep it).
"""

from __future__ import annotations

import base64
import gzip
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from lxml import etree

from ...errors import FormatError
from ..ink import Page
from ._io import atomic_write, num64
from .inkml import xml_text

A4_WIDTH_PT = 595.276
PHOTO_DPI = 150.0


def _pt(v: float) -> str:
    return np.format_float_positional(float(v), precision=3, unique=True, trim="-")


def _photo_png(image: np.ndarray, width_pt: float) -> str:
    img = np.asarray(image)
    img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else cv2.cvtColor(img[..., :3],
                                                                                  cv2.COLOR_RGB2BGR)
    target_w = round(width_pt / 72.0 * PHOTO_DPI)
    if img.shape[1] > target_w > 0:
        h = max(1, round(img.shape[0] * target_w / img.shape[1]))
        img = cv2.resize(img, (target_w, h), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise FormatError("cannot encode the photo for the .xopp page")
    return base64.b64encode(buf.tobytes()).decode("ascii")


def pt_per_px(page: Page, page_width_pt: float | None = None) -> float:
    """Points per page pixel on the .xopp page."""
    if page_width_pt:
        return page_width_pt / page.width
    return min(72.0 / 96.0, A4_WIDTH_PT / page.width)


def xopp_tree(pages: Sequence[Page], images: Sequence[np.ndarray | None] | None = None,
              page_width_pt: float | None = None, title: str = "InkLift") -> etree._ElementTree:
    if not pages:
        raise FormatError("a .xopp file needs at least one page")
    images = list(images) if images is not None else [None] * len(pages)
    if len(images) != len(pages):
        raise ValueError("images must be None or one per page")
    root = etree.Element("xournal", creator="InkLift", fileversion="4")
    etree.SubElement(root, "title").text = xml_text(title)
    for page, image in zip(pages, images):
        k = pt_per_px(page, page_width_pt)
        width_pt = page.width * k
        p = etree.SubElement(root, "page", width=_pt(width_pt), height=_pt(page.height * k))
        etree.SubElement(p, "background", type="solid", color="#ffffffff", style="plain")
        if image is not None:
            photo = etree.SubElement(p, "layer", name="Photo")
            img = etree.SubElement(photo, "image", left="0", top="0", right=_pt(width_pt),
                                   bottom=_pt(page.height * k))
            img.text = _photo_png(image, width_pt)
        ink = etree.SubElement(p, "layer", name="Ink")
        for s in page.all_strokes():
            xy = s.xy.astype(np.float64) * k
            if len(xy) == 1:  # Xournal++ drops strokes with fewer than two points
                xy = np.vstack([xy, xy + [0.01, 0.0]])
            el = etree.SubElement(ink, "stroke", tool="pen", color=s.color.upper() + "FF",
                                  width=num64(round(s.width * k, 4)))
            el.text = " ".join([f"{v:.3f}" for v in xy.ravel().tolist()])  # 1/1000 pt is plenty
    return etree.ElementTree(root)


def xopp_bytes(pages: Sequence[Page] | Page, images=None, **kw) -> bytes:
    if isinstance(pages, Page):
        pages = [pages]
        images = [images] if images is not None and not isinstance(images, (list, tuple)) else images
    xml = etree.tostring(xopp_tree(pages, images, **kw), xml_declaration=True, encoding="UTF-8",
                         standalone=False)
    return gzip.compress(xml, compresslevel=6, mtime=0)


def write_xopp(pages: Sequence[Page] | Page, path: str | os.PathLike, images=None, **kw) -> Path:
    """Write one or more pages as a Xournal++ document (``images``: photo per page, or None)."""
    return atomic_write(path, xopp_bytes(pages, images, **kw))
