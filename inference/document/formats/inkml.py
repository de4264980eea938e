"""W3C InkML 1.0 (https://www.w3.org/TR/InkML/) writer and reader for :class:`~inference.document.ink.Page`.

What we write (valid against the W3C XSD):

* ``<definitions>``: one ``<traceFormat>`` with channels X, Y (``units="dev"``: device quanta, here the
  photo's pixels) and T (``units="ms"``, time since the word began); two ``<inkSource>`` elements with that
  format and the page size as ``<activeArea>``: ``inkliftSynthetic`` (InkLift made the timing up) and
  ``inkliftMeasured`` (a pen recorded it), each with a ``<context>`` that traces point at; one ``<brush>``
  per colour/width pair (``brushProperty`` width in dev units, color ``#rrggbb``, ellipse tip).
* one ``<traceGroup>`` per word, holding ``<annotation type="transcription">`` with the word's text and
  ``inklift:*`` annotations for the other Word fields (quad, confidence, source, fidelity, needsReview,
  reviewed), then its traces;
* drawings (loose strokes) as traces outside any group;
* ink-level annotations: ``application``, ``inklift:pageWidth``/``pageHeight``, ``inklift:imagePath`` (the
  photo's file name only, never its folder), ``inklift:meta`` (JSON), ``inklift:frame`` and, in the source
  frame, ``inklift:pageToFrame`` (9 numbers, row-major) and ``inklift:widthScale``.

Frames: ``frame="source"`` (what exports write: ``export_page``'s default) writes X/Y, quads and brush widths
in the source photo's own pixels
(the file as it lies on disk, before InkLift downscaled, turned or rectified it), through the page's
``meta["to_source"]``: ink drawn at those coordinates lands on the photo, as InkSight pastes its ink back.
``frame="page"`` (the writers' default, exact: projects store pages this way) writes InkLift's upright,
rectified page pixels. A page without ``to_source`` is written in
its page frame whatever is asked (the file says which). The reader maps source-frame files back to page
pixels with the transform written beside them (exact to ~1e-4 px, not bit-exact).

Coordinates are written as the shortest decimal that reads back to the same float32, so our own files
in the page frame round-trip exactly.

The reader also takes InkML from other tools: channels in any order (and extra ones, ignored), no
traceFormat (X Y assumed), the ``x,y x,y`` variant (InkSight), explicit/``'``/``"`` difference-encoded
values, nested or absent traceGroups, traceView references (CROHME), brushes by reference. It refuses
hostile or absurd input with :class:`~inference.errors.FormatError` (see ``_safexml``).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from lxml import etree

from ... import __version__
from ...errors import FormatError
from ..ink import DEFAULT_COLOR, DEFAULT_WIDTH, InkSource, Page, Quad, Stroke, Word, ink_bounds
from ..transforms import Transform
from ._io import atomic_write, file_name_only, num64, nums
from ._safexml import MAX_ABS_COORD, MAX_POINTS, MAX_TRACES, local, parse_xml, read_bounded

NS = "http://www.w3.org/2003/InkML"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
MIME_TYPE = "application/inkml+xml"
APPLICATION = "InkLift"

_SYNTH_SRC, _MEAS_SRC = "inkliftSynthetic", "inkliftMeasured"
_SYNTH_CTX, _MEAS_CTX = "ctxSynthetic", "ctxMeasured"
_P = "inklift:"  # prefix of our annotation types

# Units we convert to page pixels (96 px per inch, the CSS convention) and to milliseconds.
_PX_PER_UNIT = {"dev": 1.0, "px": 1.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4, "m": 9600 / 2.54,
                "pt": 96 / 72, "pc": 16.0}
_MS_PER_UNIT = {"ms": 1.0, "s": 1000.0}
# Synthetic timing for files without a T channel: a brisk but plausible pen speed.
_SYNTH_SPEED_PX_PER_MS = 0.5
_SYNTH_PEN_UP_MS = 120.0
_TEXT_ANNOTATIONS = ("transcription", "truth", "textField", "text", "label")
FRAMES = ("source", "page")  # what X/Y mean in a written file: the source photo's pixels or the page's


def source_transform(page: Page) -> Transform | None:
    """Page px -> source photo px from ``page.meta["to_source"]``, or None when absent or unusable."""
    m = (page.meta or {}).get("to_source")
    if m is None:
        return None
    try:
        tf = Transform(np.asarray(m, dtype=np.float64).reshape(3, 3))
        tf.inverse()
    except (ValueError, TypeError, np.linalg.LinAlgError):
        return None
    return tf


def local_scale(tf: Transform, x: float, y: float) -> float:
    """Linear scale of ``tf`` around (x, y) (a perspective warp scales differently across the page)."""
    p = tf.apply(np.array([[x, y], [x + 1.0, y], [x, y + 1.0]]))
    (ax, ay), (bx, by) = p[1] - p[0], p[2] - p[0]
    return float(np.sqrt(abs(ax * by - ay * bx)))


def _source_size(page: Page) -> tuple[float, float] | None:
    size = (page.meta or {}).get("source_size")
    try:
        w, h = (float(v) for v in size)
    except (TypeError, ValueError):
        return None
    return (w, h) if all(math.isfinite(v) and 0 < v <= MAX_ABS_COORD for v in (w, h)) else None


# ------------------------------------------------------------------------------------------------ writer
def _E(tag: str, parent: etree._Element | None = None, text: str | None = None, **attrib: str):
    el = etree.Element(f"{{{NS}}}{tag}", nsmap={None: NS}) if parent is None else \
        etree.SubElement(parent, f"{{{NS}}}{tag}")
    for k, v in attrib.items():
        el.set(XML_ID if k == "xml_id" else k, v)
    if text is not None:
        el.text = text
    return el


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (OCR output may contain control codes)."""
    return _XML_INVALID.sub("", text)


def _annotation(parent: etree._Element, type_: str, text: str) -> None:
    _E("annotation", parent, xml_text(text), type=type_)


def _trace_format(parent: etree._Element, xml_id: str | None) -> None:
    tf = _E("traceFormat", parent, **({"xml_id": xml_id} if xml_id else {}))
    _E("channel", tf, name="X", type="decimal", units="dev")
    _E("channel", tf, name="Y", type="decimal", units="dev")
    _E("channel", tf, name="T", type="decimal", units="ms")


def _trace_text(stroke: Stroke) -> str:
    v = nums(stroke.points)
    return ", ".join(f"{v[i]} {v[i + 1]} {v[i + 2]}" for i in range(0, len(v), 3))


def to_inkml_tree(page: Page, frame: str = "page") -> etree._ElementTree:
    """The page as an InkML tree; ``frame`` is "source" (the photo's pixels, when the page knows its
    ``to_source``) or "page" (InkLift's upright page pixels)."""
    if frame not in FRAMES:
        raise FormatError(f"unknown InkML frame {frame!r}; choose one of {', '.join(FRAMES)}")
    tf = source_transform(page) if frame == "source" else None
    area = (page.width, page.height)
    width_scale = 1.0
    if tf is not None:
        # one width factor for the page (brushes are shared): the scale at the page's centre
        width_scale = local_scale(tf, page.width / 2.0, page.height / 2.0)
        area = _source_size(page) or area
        page = _mapped_page(page, tf.apply, width_scale)
    root = _E("ink")
    _annotation(root, "application", f"{APPLICATION} {__version__}")
    _annotation(root, _P + "pageWidth", str(page.width))
    _annotation(root, _P + "pageHeight", str(page.height))
    _annotation(root, _P + "frame", "source" if tf is not None else "page")
    if tf is not None:
        _annotation(root, _P + "pageToFrame", " ".join(num64(v) for v in tf.matrix.ravel()))
        _annotation(root, _P + "widthScale", num64(width_scale))
    name = file_name_only(page.image_path)
    if name:
        _annotation(root, _P + "imagePath", name)
    if page.meta:
        try:
            _annotation(root, _P + "meta", json.dumps(page.meta, sort_keys=True, allow_nan=False))
        except (TypeError, ValueError):
            pass  # meta is a free-form cache; what is not JSON does not belong in a file

    defs = _E("definitions", root)
    for src, model, desc in (
        (_SYNTH_SRC, "reconstruction", "Ink reconstructed from a photo; T is synthesised, not measured"),
        (_MEAS_SRC, "recorded", "Ink recorded by a pen; T is measured"),
    ):
        s = _E("inkSource", defs, xml_id=src, manufacturer=APPLICATION, model=model, description=desc)
        _trace_format(s, "traceFormat" if src == _SYNTH_SRC else None)
        _E("activeArea", s, width=num64(area[0]), height=num64(area[1]), units="dev")
    _E("context", defs, xml_id=_SYNTH_CTX, inkSourceRef=f"#{_SYNTH_SRC}")
    _E("context", defs, xml_id=_MEAS_CTX, inkSourceRef=f"#{_MEAS_SRC}")

    brushes: dict[tuple[str, float], str] = {}
    for s in page.all_strokes():
        key = (s.color, s.width)
        if key not in brushes:
            bid = brushes[key] = f"br{len(brushes)}"
            b = _E("brush", defs, xml_id=bid)
            _E("brushProperty", b, name="width", value=num64(s.width), units="dev")
            _E("brushProperty", b, name="height", value=num64(s.width), units="dev")
            _E("brushProperty", b, name="color", value=s.color)
            _E("brushProperty", b, name="tip", value="ellipse")

    n_trace = 0

    def add_trace(parent: etree._Element, s: Stroke) -> None:
        nonlocal n_trace
        ctx = _MEAS_CTX if s.time_measured else _SYNTH_CTX
        _E("trace", parent, _trace_text(s), xml_id=f"t{n_trace}", contextRef=f"#{ctx}",
           brushRef=f"#{brushes[(s.color, s.width)]}")
        n_trace += 1

    for i, w in enumerate(page.words):
        g = _E("traceGroup", root, xml_id=f"w{i}")
        _annotation(g, "transcription", w.text)
        _annotation(g, _P + "quad", " ".join(num64(v) for v in w.quad.to_array().ravel()))
        _annotation(g, _P + "confidence", num64(w.confidence))
        _annotation(g, _P + "source", w.source.value)
        if w.fidelity is not None:
            _annotation(g, _P + "fidelity", num64(w.fidelity))
        _annotation(g, _P + "needsReview", "true" if w.needs_review else "false")
        _annotation(g, _P + "reviewed", "true" if w.reviewed else "false")
        for s in w.strokes:
            add_trace(g, s)
    for s in page.drawings:
        add_trace(root, s)
    return etree.ElementTree(root)


def _mapped_page(page: Page, fn, width_scale: float) -> Page:
    """Strokes (points and widths) and word quads through ``fn``; width, height and meta unchanged."""
    def stroke(s: Stroke) -> Stroke:
        out = s.mapped(lambda xy: fn(xy).astype(np.float32))
        return Stroke(out.points, color=s.color, width=s.width * width_scale, time_measured=s.time_measured)

    words = tuple(Word(tuple(stroke(s) for s in w.strokes), Quad.from_array(fn(w.quad.to_array())), w.text,
                       w.confidence, w.source, w.fidelity, w.needs_review, w.reviewed) for w in page.words)
    return Page(page.width, page.height, words, tuple(stroke(s) for s in page.drawings), page.image_path,
                page.meta)


def inkml_bytes(page: Page, frame: str = "page") -> bytes:
    return etree.tostring(to_inkml_tree(page, frame), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_inkml(page: Page, path: str | os.PathLike, frame: str = "page") -> Path:
    return atomic_write(path, inkml_bytes(page, frame))


# ------------------------------------------------------------------------------------------------ reader
@dataclass
class _Channel:
    name: str
    scale: float = 1.0  # to page px / ms
    default: float = 0.0


@dataclass
class _Format:
    channels: list[_Channel]


_DEFAULT_FORMAT = _Format([_Channel("X"), _Channel("Y")])


@dataclass
class _Brush:
    color: str | None = None
    width: float | None = None
    ref: str | None = None


@dataclass
class _Context:
    fmt: _Format | None = None
    brush: str | None = None
    synthetic_time: bool = False
    ref: str | None = None


@dataclass
class _Doc:
    what: str
    formats: dict[str, _Format] = field(default_factory=dict)
    brushes: dict[str, _Brush] = field(default_factory=dict)
    contexts: dict[str, _Context] = field(default_factory=dict)
    synthetic_sources: set[str] = field(default_factory=set)
    sources: dict[str, _Format] = field(default_factory=dict)
    current_ctx: _Context = field(default_factory=_Context)
    points: int = 0
    traces: int = 0
    area: tuple[float, float] | None = None


def _ref(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().lstrip("#") or None


def _parse_format(el: etree._Element) -> _Format:
    chans: list[_Channel] = []
    for ch in el:
        if local(ch.tag) != "channel":
            continue  # intermittentChannels: values may be absent, we only need X Y T
        name = (ch.get("name") or "").strip()
        units = (ch.get("units") or "").strip()
        scale = 1.0
        if name in ("X", "Y"):
            scale = _PX_PER_UNIT.get(units, 1.0)
        elif name == "T":
            scale = _MS_PER_UNIT.get(units, 1.0)
        try:
            default = float(ch.get("default", "0"))
        except ValueError:
            default = 0.0
        chans.append(_Channel(name, scale, default if math.isfinite(default) else 0.0))
    if not chans:
        return _DEFAULT_FORMAT
    return _Format(chans)


def _parse_brush(el: etree._Element) -> _Brush:
    b = _Brush(ref=_ref(el.get("brushRef")))
    for p in el:
        if local(p.tag) != "brushProperty":
            continue
        name, value = p.get("name"), (p.get("value") or "").strip()
        if name == "color" and re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            b.color = value.lower()
        elif name == "width":
            try:
                w = float(value) * _PX_PER_UNIT.get((p.get("units") or "dev").strip(), 1.0)
            except ValueError:
                continue
            if math.isfinite(w) and 0 < w <= 1000:
                b.width = w
    return b


def _register_definitions(doc: _Doc, el: etree._Element) -> None:
    """Index everything with an xml:id that traces may point at (definitions or inline)."""
    for d in el.iter():
        tag = local(d.tag)
        did = d.get(XML_ID) or d.get("id")
        if tag == "traceFormat" and did:
            doc.formats[did] = _parse_format(d)
        elif tag == "brush" and did:
            doc.brushes[did] = _parse_brush(d)
        elif tag == "inkSource":
            tf = next((c for c in d if local(c.tag) == "traceFormat"), None)
            if did and tf is not None:
                doc.sources[did] = _parse_format(tf)
            if d.get("manufacturer") == APPLICATION and d.get("model") == "reconstruction" and did:
                doc.synthetic_sources.add(did)
            for c in d:
                if local(c.tag) == "activeArea":
                    try:
                        w, h = float(c.get("width", "")), float(c.get("height", ""))
                    except ValueError:
                        continue
                    scale = _PX_PER_UNIT.get((c.get("units") or "dev").strip(), 1.0)
                    if all(math.isfinite(v) and 0 < v * scale <= MAX_ABS_COORD for v in (w, h)):
                        doc.area = (w * scale, h * scale)
    for d in el.iter():
        if local(d.tag) == "context":
            ctx = _parse_context(doc, d)
            did = d.get(XML_ID) or d.get("id")
            if did:
                doc.contexts[did] = ctx


def _parse_context(doc: _Doc, el: etree._Element) -> _Context:
    ctx = _Context(ref=_ref(el.get("contextRef")))
    src = _ref(el.get("inkSourceRef"))
    if src:
        ctx.fmt = doc.sources.get(src)
        ctx.synthetic_time = src in doc.synthetic_sources
    tfr = _ref(el.get("traceFormatRef"))
    if tfr and tfr in doc.formats:
        ctx.fmt = doc.formats[tfr]
    ctx.brush = _ref(el.get("brushRef"))
    for c in el:
        tag = local(c.tag)
        if tag == "traceFormat":
            ctx.fmt = _parse_format(c)
        elif tag == "inkSource":
            tf = next((x for x in c if local(x.tag) == "traceFormat"), None)
            if tf is not None:
                ctx.fmt = _parse_format(tf)
        elif tag == "brush":
            bid = c.get(XML_ID) or f"__ctxbrush{id(c)}"
            doc.brushes[bid] = _parse_brush(c)
            ctx.brush = bid
    return ctx


def _resolve_context(doc: _Doc, ref: str | None) -> _Context:
    """A context with its contextRef chain folded in (bounded: chains may loop in hostile files)."""
    if not ref or ref not in doc.contexts:
        return doc.current_ctx
    out = _Context()
    seen = 0
    while ref and ref in doc.contexts and seen < 16:
        c = doc.contexts[ref]
        out.fmt = out.fmt or c.fmt
        out.brush = out.brush or c.brush
        out.synthetic_time = out.synthetic_time or c.synthetic_time
        ref, seen = c.ref, seen + 1
    return out


def _brush_style(doc: _Doc, ref: str | None) -> tuple[str, float]:
    color, width, seen = None, None, 0
    while ref and ref in doc.brushes and seen < 16:
        b = doc.brushes[ref]
        color, width = color or b.color, width or b.width
        ref, seen = b.ref, seen + 1
    return color or DEFAULT_COLOR, width or DEFAULT_WIDTH


# --- trace data --------------------------------------------------------------------------------------
_FAST_OK = re.compile(r"^[0-9eE.,+\-\s]*$")
_TOKEN = re.compile(r"""\s*([!'"]?)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[TF*?])""")


def _tokens(text: str, what: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormatError(f"{what}: unreadable value near {text[pos:pos + 20]!r}")
        out.append((m.group(1), m.group(2)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _split_points(text: str, what: str) -> list[list[tuple[str, str]]]:
    """Points of a trace as token lists; standard ``x y, x y`` or the ``x,y x,y`` variant."""
    body = text.strip().strip(",")
    if not body:
        return []
    groups = [_tokens(g, what) for g in body.split(",")]
    counts = {len(g) for g in groups}
    if len(counts) == 1 and min(counts) >= 2:
        return groups
    # x,y x,y (InkSight): points separated by whitespace, values by commas
    words = body.split()
    pts = [[t for part in w.split(",") if part for t in _tokens(part, what)] for w in words]
    counts = {len(p) for p in pts}
    if len(counts) == 1 and min(counts) >= 2:
        return pts
    raise FormatError(f"{what}: points do not all have the same number of values")


def _decode(points: list[list[tuple[str, str]]], fmt: _Format, what: str) -> np.ndarray:
    """Values of each channel as floats, undoing ``'`` (first) and ``"`` (second) difference encoding."""
    nch = max(len(p) for p in points)
    if nch > len(fmt.channels):
        if fmt is _DEFAULT_FORMAT and nch == 3:
            fmt = _Format([_Channel("X"), _Channel("Y"), _Channel("T")])
        else:
            # more values than declared channels: a malformed file, or a format we did not find
            raise FormatError(f"{what}: {nch} values per point but {len(fmt.channels)} channels declared")
    out = np.empty((len(points), nch), np.float64)
    mode = ["!"] * nch
    prev = [0.0] * nch
    vel = [0.0] * nch
    for i, p in enumerate(points):
        for c, (q, tok) in enumerate(p):
            if q:
                mode[c] = q
            if tok in ("*", "?"):
                v = prev[c] + (vel[c] if mode[c] != "!" else 0.0) if i else fmt.channels[c].default
            elif tok == "T":
                v = 1.0
            elif tok == "F":
                v = 0.0
            else:
                v = float(tok)
                if mode[c] == "'" and i:
                    v = prev[c] + v
                elif mode[c] == '"' and i:
                    v = prev[c] + vel[c] + v
                # the first value of a trace is explicit whatever its prefix says
            vel[c] = v - prev[c] if i else 0.0
            prev[c] = v
            out[i, c] = v
    return out


def _trace_values(text: str, fmt: _Format, what: str) -> np.ndarray:
    body = text.strip().strip(",")
    if not body:
        return np.zeros((0, max(2, len(fmt.channels))))
    if _FAST_OK.match(body):
        # Fast path for plain explicit values (what we and most tools write).
        groups = body.split(",")
        first = groups[0].split()
        if len(first) >= 2 and all(len(g.split()) == len(first) for g in groups):
            try:
                arr = np.array(body.replace(",", " ").split(), dtype=np.float64).reshape(len(groups), -1)
            except ValueError:
                arr = None
            if arr is not None and arr.shape[1] <= max(3, len(fmt.channels)):
                if arr.shape[1] > len(fmt.channels) and fmt is not _DEFAULT_FORMAT:
                    raise FormatError(f"{what}: {arr.shape[1]} values per point but {len(fmt.channels)} "
                                      "channels declared")
                return arr
    return _decode(_split_points(body, what), fmt, what)


def _stroke_from_trace(doc: _Doc, el: etree._Element, ctx: _Context, brush_ref: str | None,
                       what: str) -> tuple[np.ndarray, bool, str, float] | None:
    """(points (n, 3) with raw T or NaN, time_measured, colour, width) or None for an empty trace."""
    doc.traces += 1
    if doc.traces > MAX_TRACES:
        raise FormatError(f"{doc.what}: more than {MAX_TRACES} traces")
    if el.get("type") == "penUp":
        return None  # hover data: where the pen moved in the air, not ink
    tctx = _resolve_context(doc, _ref(el.get("contextRef"))) if el.get("contextRef") else ctx
    fmt = tctx.fmt or _DEFAULT_FORMAT
    text = el.text or ""
    if text.count(",") + text.count(" ") > 8 * MAX_POINTS:
        raise FormatError(f"{doc.what}: more than {MAX_POINTS} points")
    vals = _trace_values(text, fmt, what)
    if len(vals) == 0:
        return None
    doc.points += len(vals)
    if doc.points > MAX_POINTS:
        raise FormatError(f"{doc.what}: more than {MAX_POINTS} points")
    if len(fmt.channels) >= vals.shape[1]:
        chans = fmt.channels[:vals.shape[1]]
    else:  # default format with an extra third value: X Y T
        chans = [_Channel("X"), _Channel("Y"), _Channel("T")][:vals.shape[1]]
    ix = next((i for i, c in enumerate(chans) if c.name == "X"), None)
    iy = next((i for i, c in enumerate(chans) if c.name == "Y"), None)
    it = next((i for i, c in enumerate(chans) if c.name == "T"), None)
    if ix is None or iy is None:
        raise FormatError(f"{what}: the trace format has no X and Y channels")
    pts = np.full((len(vals), 3), np.nan)
    pts[:, 0] = vals[:, ix] * chans[ix].scale
    pts[:, 1] = vals[:, iy] * chans[iy].scale
    if it is not None:
        pts[:, 2] = vals[:, it] * chans[it].scale
    if not np.all(np.isfinite(pts[:, :2])) or np.abs(pts[:, :2]).max() > MAX_ABS_COORD:
        raise FormatError(f"{what}: coordinates must be finite numbers within +-{MAX_ABS_COORD:g}")
    if it is not None and not np.all(np.isfinite(pts[:, 2])):
        raise FormatError(f"{what}: time values must be finite numbers")
    measured = it is not None and not tctx.synthetic_time
    color, width = _brush_style(doc, _ref(el.get("brushRef")) or brush_ref or tctx.brush)
    return pts, measured, color, width


@dataclass
class _RawStroke:
    pts: np.ndarray
    measured: bool
    color: str
    width: float


@dataclass
class _RawWord:
    strokes: list[_RawStroke]
    ann: dict[str, str]


def _annotations(el: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in el:
        if local(c.tag) == "annotation":
            t = (c.get("type") or "").strip()
            if t and t not in out:
                out[t] = c.text or ""
    return out


def _walk(doc: _Doc, root: etree._Element) -> tuple[list[_RawWord], list[_RawStroke], dict[str, str]]:
    by_id: dict[str, _RawStroke] = {}
    loose: list[tuple[str | None, _RawStroke]] = []
    words: list[_RawWord] = []
    referenced: set[str] = set()

    def read_trace(el, ctx, brush, what) -> _RawStroke | None:
        r = _stroke_from_trace(doc, el, ctx, brush, what)
        if r is None:
            return None
        rs = _RawStroke(*r)
        tid = el.get(XML_ID) or el.get("id")
        if tid:
            by_id[tid] = rs
        return rs

    def group(el, ctx, brush, depth) -> None:
        ctx = _resolve_context(doc, _ref(el.get("contextRef"))) if el.get("contextRef") else ctx
        brush = _ref(el.get("brushRef")) or brush
        own: list[_RawStroke] = []
        views: list[str] = []
        for i, c in enumerate(el):
            tag = local(c.tag)
            if tag == "trace":
                rs = read_trace(c, ctx, brush, f"{doc.what}: trace {doc.traces + 1}")
                if rs is not None:
                    own.append(rs)
            elif tag == "traceGroup":
                group(c, ctx, brush, depth + 1)
            elif tag == "traceView":
                ref = _ref(c.get("traceDataRef"))
                if ref:
                    views.append(ref)
                    referenced.add(ref)
        ann = _annotations(el)
        # a word of ours may have lost all its strokes (erased) yet keep its box and text
        if own or views or _P + "quad" in ann:
            words.append(_RawWord(own, ann))
            words[-1].ann["__views__"] = " ".join(views)

    ctx = doc.current_ctx
    if "DefaultTraceFormat" in doc.formats:  # InkML's name for the format of traces that name none
        ctx = doc.current_ctx = _Context(fmt=doc.formats["DefaultTraceFormat"])
    for c in root:
        tag = local(c.tag)
        if tag == "traceFormat":
            # not in the 1.0 schema, but older files (CROHME, the 2006 drafts) set the format like this
            ctx = doc.current_ctx = _Context(fmt=_parse_format(c), brush=ctx.brush,
                                             synthetic_time=ctx.synthetic_time)
        elif tag == "context":
            ctx = _resolve_context(doc, _ref(c.get("contextRef"))) if c.get("contextRef") else ctx
            own = _parse_context(doc, c)
            ctx = _Context(fmt=own.fmt or ctx.fmt, brush=own.brush or ctx.brush,
                           synthetic_time=own.synthetic_time or ctx.synthetic_time)
            doc.current_ctx = ctx
        elif tag == "trace":
            rs = read_trace(c, ctx, None, f"{doc.what}: trace {doc.traces + 1}")
            if rs is not None:
                loose.append((c.get(XML_ID) or c.get("id"), rs))
        elif tag == "traceGroup":
            group(c, ctx, None, 1)
    # traceView references (CROHME-style): resolve them into their groups
    for w in words:
        for ref in w.ann.pop("__views__", "").split():
            if ref in by_id:
                w.strokes.append(by_id[ref])
    drawings = [rs for tid, rs in loose if not (tid and tid in referenced)]
    return [w for w in words if w.strokes or _P + "quad" in w.ann], drawings, _annotations(root)


def _bool(v: str, what: str) -> bool:
    s = v.strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no", ""):
        return False
    raise FormatError(f"{what}: expected true or false, got {v[:40]!r}")


def _float(v: str, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    try:
        f = float(v.strip())
    except ValueError:
        raise FormatError(f"{what}: expected a number, got {v[:40]!r}") from None
    if not (math.isfinite(f) and lo <= f <= hi):
        raise FormatError(f"{what}: {f!r} is outside {lo:g}..{hi:g}")
    return f


def _finish_times(raw: list[_RawStroke], keep_t: bool) -> list[np.ndarray]:
    """Times in ms since the word began: others' (often absolute) times shifted, missing ones made up."""
    out = []
    have = [r.pts[:, 2] for r in raw if not np.isnan(r.pts[0, 2])]
    t0 = 0.0 if keep_t else min((float(t.min()) for t in have), default=0.0)
    clock = 0.0
    for r in raw:
        p = r.pts.copy()
        if np.isnan(p[0, 2]):
            seg = np.hypot(*np.diff(p[:, :2], axis=0).T) if len(p) > 1 else np.zeros(0)
            p[:, 2] = clock + np.concatenate([[0.0], np.cumsum(seg)]) / _SYNTH_SPEED_PX_PER_MS
            clock = float(p[-1, 2]) + _SYNTH_PEN_UP_MS
        else:
            p[:, 2] -= t0
            clock = max(clock, float(p[-1, 2]) + _SYNTH_PEN_UP_MS)
        out.append(p)
    return out


def _strokes(raw: list[_RawStroke], shift: np.ndarray, keep_t: bool) -> tuple[Stroke, ...]:
    times = _finish_times(raw, keep_t)
    out = []
    for r, p in zip(raw, times):
        p[:, :2] += shift
        out.append(Stroke(p.astype(np.float32), color=r.color, width=r.width, time_measured=r.measured))
    return tuple(out)


def page_from_root(root: etree._Element, what: str) -> Page:
    if local(root.tag) != "ink":
        raise FormatError(f"{what}: not an InkML document (root element is <{local(root.tag) or '?'}>)")
    doc = _Doc(what)
    for c in root:
        if local(c.tag) == "definitions":
            _register_definitions(doc, c)
    # brushes, formats, sources and contexts may also sit directly under <ink> with ids
    for c in root:
        if local(c.tag) in ("context", "brush", "traceFormat", "inkSource"):
            _register_definitions(doc, c)
    raw_words, raw_drawings, ink_ann = _walk(doc, root)

    ours = ink_ann.get("application", "").startswith(APPLICATION)
    if not raw_words and raw_drawings and not ours:
        text = next((ink_ann[k] for k in _TEXT_ANNOTATIONS if ink_ann.get(k, "").strip()), None)
        if text is not None:  # e.g. InkSight: one line of ink with its text at document level
            raw_words, raw_drawings = [_RawWord(raw_drawings, {"transcription": text})], []

    # Page size: ours, else the device area, else the ink's extent (foreign ink may start below zero).
    all_pts = [r.pts[:, :2] for w in raw_words for r in w.strokes] + [r.pts[:, :2] for r in raw_drawings]
    shift = np.zeros(2)
    if _P + "pageWidth" in ink_ann and _P + "pageHeight" in ink_ann:
        width = _float(ink_ann[_P + "pageWidth"], f"{what}: page width", 1, MAX_ABS_COORD)
        height = _float(ink_ann[_P + "pageHeight"], f"{what}: page height", 1, MAX_ABS_COORD)
    elif all_pts:
        xy = np.concatenate(all_pts)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        margin = 0.05 * max(float((hi - lo).max()), 20.0)
        if lo.min() < 0:
            shift = np.where(lo < 0, margin - lo, 0.0)
        ext = hi + shift + margin
        width, height = float(ext[0]), float(ext[1])
        if doc.area is not None and lo.min() >= 0:
            width, height = max(width, doc.area[0]), max(height, doc.area[1])
    elif doc.area is not None:
        width, height = doc.area
    else:
        width, height = 1.0, 1.0
    width, height = max(1, math.ceil(width - 1e-6)), max(1, math.ceil(height - 1e-6))

    words = []
    for i, rw in enumerate(raw_words):
        wwhat = f"{what}: word {i + 1}"
        ann = rw.ann
        strokes = _strokes(rw.strokes, shift, ours)
        text = next((ann[k] for k in _TEXT_ANNOTATIONS if k in ann), "")
        if _P + "quad" in ann:
            try:
                vals = [float(v) for v in ann[_P + "quad"].split()]
            except ValueError:
                raise FormatError(f"{wwhat}: quad must be 8 numbers") from None
            if len(vals) != 8 or not all(math.isfinite(v) and abs(v) <= MAX_ABS_COORD for v in vals):
                raise FormatError(f"{wwhat}: quad must be 8 finite numbers")
            quad = Quad.from_array(np.array(vals) + np.tile(shift, 4))
        else:
            quad = Quad.from_rect(*(ink_bounds(strokes) or (0, 0, 0, 0)))
        source = ann.get(_P + "source", InkSource.IMPORTED.value).strip()
        if source not in {s.value for s in InkSource}:
            raise FormatError(f"{wwhat}: unknown ink source {source[:40]!r}")
        fid = ann.get(_P + "fidelity")
        words.append(Word(
            strokes=strokes,
            quad=quad,
            text=text,
            confidence=_float(ann[_P + "confidence"], f"{wwhat}: confidence", 0, 1)
            if _P + "confidence" in ann else 1.0,
            source=InkSource(source),
            fidelity=None if fid is None else _float(fid, f"{wwhat}: fidelity", 0, 1),
            needs_review=_bool(ann.get(_P + "needsReview", "false"), f"{wwhat}: needsReview"),
            reviewed=_bool(ann.get(_P + "reviewed", "false"), f"{wwhat}: reviewed"),
        ))
    page = Page(width, height, tuple(words), _strokes(raw_drawings, shift, ours),
                ink_ann.get(_P + "imagePath") or None)
    if ours and ink_ann.get(_P + "frame", "page").strip() == "source":
        page = _back_to_page(page, ink_ann, what)
    meta: dict = {}
    if _P + "meta" in ink_ann:
        try:
            m = json.loads(ink_ann[_P + "meta"])
        except (ValueError, RecursionError):
            raise FormatError(f"{what}: page metadata is not valid JSON") from None
        meta = m if isinstance(m, dict) else {}
    return Page(page.width, page.height, page.words, page.drawings, page.image_path, meta)


def _back_to_page(page: Page, ann: dict[str, str], what: str) -> Page:
    """A source-frame file of ours back in page px, through the transform written beside the ink."""
    try:
        m = np.array([float(v) for v in ann.get(_P + "pageToFrame", "").split()])
    except ValueError:
        raise FormatError(f"{what}: pageToFrame must be 9 numbers") from None
    if m.shape != (9,) or not np.all(np.isfinite(m)):
        raise FormatError(f"{what}: pageToFrame must be 9 finite numbers")
    scale = _float(ann.get(_P + "widthScale", "1"), f"{what}: widthScale", 1e-6, 1e6)
    try:
        inv = Transform(m.reshape(3, 3)).inverse()
    except (ValueError, np.linalg.LinAlgError):
        raise FormatError(f"{what}: pageToFrame is not invertible") from None
    return _mapped_page(page, inv.apply, 1.0 / scale)


def inkml_from_bytes(data: bytes, what: str = "InkML") -> Page:
    data = read_bounded(data, what)
    root = parse_xml(data, what)
    try:
        return page_from_root(root, what)
    except (ValueError, OverflowError) as exc:
        # the ink model refused something the checks above let through; still the file's fault
        raise FormatError(f"{what}: {exc}") from None


def read_inkml(source: str | os.PathLike | bytes) -> Page:
    """Read an InkML file (path or bytes) into a Page; :class:`FormatError` on anything unusable."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return inkml_from_bytes(bytes(source))
    return inkml_from_bytes(read_bounded(source, str(source)), str(source))
