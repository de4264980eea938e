"""SVG export (svgwrite) and a reader for the SVGs we write.

Frame: InkLift's page (the photo turned upright, rectified and lit evenly; ``Page`` pixels), so the ink sits
exactly on the page image the engine returns, which is what the photo layer holds. Only InkML is written in
the source photo's own pixels. ``data-image-path`` holds the photo's file name, never its folder.

Layout of the file (viewBox = the page in page pixels):

* ``<g id="photo">``: optional photo underlay, an embedded JPEG/PNG data URI (Inkscape sees a layer);
* ``<g id="ink">``: one ``<g class="word">`` per word with a ``<title>`` (its text, so the file stays
  searchable and shows a tooltip) and one ``<path>`` per stroke (fill none, round caps and joins, the
  stroke's colour and width); then ``<g id="drawings">`` with the loose strokes;
* ``<g id="text">``: the words' text as transparent ``<text>`` over each word box, for find-in-page and
  copy in browsers (fill-opacity 0, so it never shows in a rendering).

Our ``data-*`` attributes (quad, times, confidence ...) let :func:`read_svg` re-import our own files.
The reader only understands the ``M``/``L`` polylines we write (other SVGs give a clear FormatError when
they have no such paths) and uses the same hardened parser as the InkML reader.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import cv2
import numpy as np
import svgwrite

from ... import __version__
from ...errors import FormatError
from ..ink import DEFAULT_COLOR, DEFAULT_WIDTH, InkSource, Page, Quad, Stroke, Word, ink_bounds
from ._io import atomic_write, file_name_only, num, num64, nums
from ._safexml import MAX_ABS_COORD, MAX_POINTS, MAX_TRACES, local, parse_xml, read_bounded
from .inkml import xml_text

SVG_NS = "http://www.w3.org/2000/svg"
_INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"


def _path_d(stroke: Stroke) -> str:
    xy = stroke.xy
    if len(xy) == 1:
        # a dot: a zero-length segment draws a round cap in every renderer we know; make it tiny instead
        x, y = xy[0].tolist()
        return f"M{num(x)} {num(y)}L{num(x + 0.01)} {num(y)}"
    v = nums(xy)
    return f"M{v[0]} {v[1]}L" + " ".join(v[2:])


def _data_uri(image: np.ndarray, fmt: str) -> str:
    img = np.asarray(image)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    else:
        img = cv2.cvtColor(img[..., :3], cv2.COLOR_RGB2BGR)
    ext, mime, params = (".png", "image/png", []) if fmt == "png" else \
        (".jpg", "image/jpeg", [cv2.IMWRITE_JPEG_QUALITY, 90])
    ok, buf = cv2.imencode(ext, img, params)
    if not ok:
        raise FormatError("cannot encode the photo underlay")
    return f"data:{mime};base64,{base64.b64encode(buf.tobytes()).decode('ascii')}"


def _stroke_path(dwg: svgwrite.Drawing, s: Stroke) -> svgwrite.path.Path:
    p = dwg.path(d=_path_d(s), fill="none", stroke=s.color, stroke_width=num64(s.width),
                 stroke_linecap="round", stroke_linejoin="round")
    p["data-t"] = " ".join(nums(s.t))
    if s.time_measured:
        p["data-time-measured"] = "true"
    return p


def svg_drawing(page: Page, image: np.ndarray | None = None, photo_format: str = "jpeg",
                photo_opacity: float = 1.0, text_layer: bool = True) -> svgwrite.Drawing:
    w, h = page.width, page.height
    dwg = svgwrite.Drawing(size=(f"{w}px", f"{h}px"), viewBox=f"0 0 {w} {h}", profile="full", debug=False)
    dwg.attribs["xmlns:inkscape"] = _INKSCAPE_NS
    dwg.attribs["data-generator"] = f"InkLift {__version__}"
    name = file_name_only(page.image_path)
    if name:
        dwg.attribs["data-image-path"] = xml_text(name)
    dwg.set_desc(desc="Handwriting as editable strokes, made by InkLift")
    if image is not None:
        photo = dwg.g(id="photo", opacity=num64(photo_opacity))
        photo["inkscape:groupmode"] = "layer"
        photo["inkscape:label"] = "Photo"
        _ih, _iw = image.shape[:2]
        # the photo may be any resolution: stretch it over the page (same aspect by construction)
        photo.add(dwg.image(href=_data_uri(image, photo_format), insert=(0, 0), size=(w, h),
                            preserveAspectRatio="none"))
        dwg.add(photo)
    ink = dwg.g(id="ink")
    ink["inkscape:groupmode"] = "layer"
    ink["inkscape:label"] = "Ink"
    for i, word in enumerate(page.words):
        g = dwg.g(id=f"word{i}", class_="word")
        g["data-quad"] = " ".join(num64(v) for v in word.quad.to_array().ravel())
        g["data-confidence"] = num64(word.confidence)
        g["data-source"] = word.source.value
        if word.fidelity is not None:
            g["data-fidelity"] = num64(word.fidelity)
        g["data-needs-review"] = "true" if word.needs_review else "false"
        g["data-reviewed"] = "true" if word.reviewed else "false"
        g["data-text"] = xml_text(word.text)
        if word.text:
            g.set_desc(title=xml_text(word.text))
        for s in word.strokes:
            g.add(_stroke_path(dwg, s))
        ink.add(g)
    if page.drawings:
        dr = dwg.g(id="drawings")
        for s in page.drawings:
            dr.add(_stroke_path(dwg, s))
        ink.add(dr)
    dwg.add(ink)
    if text_layer and any(wd.text for wd in page.words):
        tl = dwg.g(id="text", fill="black", fill_opacity="0")
        tl["inkscape:groupmode"] = "layer"
        tl["inkscape:label"] = "Text"
        for wd in page.words:
            if not wd.text:
                continue
            x0, y0, x1, y1 = wd.quad.bounds()
            size = max(1.0, (y1 - y0) * 0.8)
            t = dwg.text(xml_text(wd.text), insert=(num(x0), num(y1 - 0.2 * (y1 - y0))),
                         font_size=num(size), font_family="sans-serif")
            t["textLength"] = num(max(1.0, x1 - x0))
            t["lengthAdjust"] = "spacingAndGlyphs"
            tl.add(t)
        dwg.add(tl)
    return dwg


def svg_bytes(page: Page, image: np.ndarray | None = None, **kw) -> bytes:
    return svg_drawing(page, image, **kw).tostring().encode("utf-8")


def write_svg(page: Page, path: str | os.PathLike, image: np.ndarray | None = None, **kw) -> Path:
    return atomic_write(path, b'<?xml version="1.0" encoding="utf-8"?>\n' + svg_bytes(page, image, **kw))


# ------------------------------------------------------------------------------------------------ reader
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _floats(text: str, what: str) -> np.ndarray:
    vals = np.array([float(v) for v in _NUM.findall(text)], dtype=np.float64)
    if len(vals) and (not np.all(np.isfinite(vals)) or np.abs(vals).max() > MAX_ABS_COORD):
        raise FormatError(f"{what}: coordinates must be finite numbers within +-{MAX_ABS_COORD:g}")
    return vals


def _parse_d(d: str, what: str) -> np.ndarray:
    body = d.strip()
    if not re.fullmatch(r"[Mm][^A-Za-z]*(?:[Ll][^A-Za-z]*)*", body.replace("e", "").replace("E", "")):
        raise FormatError(f"{what}: only M/L polylines can be read back (curves are not supported)")
    if body[0] == "m" or "l" in body:
        raise FormatError(f"{what}: relative path commands are not supported")
    vals = _floats(body, what)
    if len(vals) < 2 or len(vals) % 2:
        raise FormatError(f"{what}: path needs x y pairs")
    return vals.reshape(-1, 2)


def _attr_float(el, name: str, what: str, default: float | None, lo: float, hi: float) -> float | None:
    v = el.get(name)
    if v is None:
        return default
    try:
        f = float(v)
    except ValueError:
        raise FormatError(f"{what}: {name} must be a number") from None
    if not (np.isfinite(f) and lo <= f <= hi):
        raise FormatError(f"{what}: {name}={f!r} is outside {lo:g}..{hi:g}")
    return f


def _read_path(el, what: str, budget: list[int]) -> Stroke:
    xy = _parse_d(el.get("d", ""), what)
    budget[0] -= len(xy)
    budget[1] -= 1
    if budget[0] < 0 or budget[1] < 0:
        raise FormatError(f"{what}: more than {MAX_POINTS} points or {MAX_TRACES} paths")
    t_text = el.get("data-t")
    t = _floats(t_text, what) if t_text else np.zeros(len(xy))
    if len(t) != len(xy):
        if len(xy) == 2 and len(t) == 1:  # a dot we wrote as a tiny segment
            xy = xy[:1]
        else:
            t = np.zeros(len(xy))
    color = el.get("stroke") or DEFAULT_COLOR
    color = color.lower() if _COLOR.fullmatch(color) else DEFAULT_COLOR
    width = _attr_float(el, "stroke-width", what, DEFAULT_WIDTH, 1e-6, 1e4)
    return Stroke(np.column_stack([xy, t]).astype(np.float32), color=color, width=width,
                  time_measured=el.get("data-time-measured") == "true")


def page_from_svg_root(root, what: str) -> Page:
    if local(root.tag) != "svg":
        raise FormatError(f"{what}: not an SVG document")
    vb = _floats(root.get("viewBox", ""), what)
    if len(vb) == 4 and vb[2] > 0 and vb[3] > 0:
        width, height = round(vb[2]), round(vb[3])
    else:
        width = round(_attr_float(root, "width", what, 0, 0, MAX_ABS_COORD) or 0) \
            if re.fullmatch(r"[\d.]+(px)?", root.get("width", "x")) else 0
        height = round(_attr_float(root, "height", what, 0, 0, MAX_ABS_COORD) or 0) \
            if re.fullmatch(r"[\d.]+(px)?", root.get("height", "x")) else 0
    budget = [MAX_POINTS, MAX_TRACES]
    words: list[Word] = []
    drawings: list[Stroke] = []
    for el in root.iter():
        tag = local(el.tag)
        if tag == "g" and el.get("class") == "word":
            wwhat = f"{what}: word {len(words) + 1}"
            strokes = tuple(_read_path(p, wwhat, budget) for p in el if local(p.tag) == "path")
            qv = _floats(el.get("data-quad", ""), wwhat)
            if not strokes and len(qv) != 8:
                continue
            quad = Quad.from_array(qv) if len(qv) == 8 else Quad.from_rect(*ink_bounds(strokes))
            title = next((c.text or "" for c in el if local(c.tag) == "title"), "")
            src = el.get("data-source", InkSource.IMPORTED.value)
            fid = _attr_float(el, "data-fidelity", wwhat, None, 0, 1)
            words.append(Word(
                strokes=strokes, quad=quad, text=el.get("data-text", title),
                confidence=_attr_float(el, "data-confidence", wwhat, 1.0, 0, 1),
                source=InkSource(src) if src in {s.value for s in InkSource} else InkSource.IMPORTED,
                fidelity=fid,
                needs_review=el.get("data-needs-review") == "true",
                reviewed=el.get("data-reviewed") == "true",
            ))
        elif tag == "path":
            parent = el.getparent()
            if parent is not None and local(parent.tag) == "g" and parent.get("class") == "word":
                continue
            drawings.append(_read_path(el, f"{what}: path {len(drawings) + 1}", budget))
    if not words and not drawings:
        raise FormatError(f"{what}: no strokes found")
    if width <= 0 or height <= 0:
        b = ink_bounds([s for w in words for s in w.strokes] + drawings)
        width, height = int(np.ceil(b[2])) + 1, int(np.ceil(b[3])) + 1
    return Page(width=max(1, width), height=max(1, height), words=tuple(words), drawings=tuple(drawings),
                image_path=root.get("data-image-path"))


def read_svg(source: str | os.PathLike | bytes) -> Page:
    """Re-import an SVG we wrote (or any SVG made only of M/L polylines)."""
    what = "SVG" if isinstance(source, (bytes, bytearray, memoryview)) else str(source)
    root = parse_xml(read_bounded(source, what), what)
    try:
        return page_from_svg_root(root, what)
    except (ValueError, OverflowError) as exc:
        raise FormatError(f"{what}: {exc}") from None
