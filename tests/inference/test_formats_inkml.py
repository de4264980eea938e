"""InkML: exact round trip of every Word field, W3C XSD validity, InkML from other tools, hostile input."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from inference.document.formats import inkml as inkml_mod
from inference.document.formats.inkml import inkml_bytes, read_inkml, write_inkml
from inference.document.ink import InkSource, Page, Quad, Stroke, Word
from inference.errors import FormatError
from inference.resources import samples_dir

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
XSD = SHARED / "schemas" / "inkml" / "inkml.xsd"
NS = "http://www.w3.org/2003/InkML"


def _stroke(rng, n, measured=False, color="#1a1a1a", width=2.0):
    pts = np.column_stack([rng.uniform(0, 1600, n), rng.uniform(0, 1200, n),
                           np.cumsum(rng.uniform(0, 15, n))])
    return Stroke(pts, color=color, width=width, time_measured=measured)


def make_page(seed=0) -> Page:
    rng = np.random.default_rng(seed)
    words = (
        Word((_stroke(rng, 30), _stroke(rng, 12, measured=True, color="#c81e1e", width=3.25)),
             Quad.from_array([[10.5, 20.25], [300, 18], [302.75, 80], [12, 82.125]]),
             text="Grüße <&> \"x\"", confidence=0.8731, source=InkSource.TRACER, fidelity=0.4567,
             needs_review=True, reviewed=False),
        Word((_stroke(rng, 1),), Quad.from_rect(1, 2, 3, 4), text="", confidence=0.0,
             source=InkSource.USER, fidelity=None, needs_review=False, reviewed=True),
        Word((_stroke(rng, 5, width=0.75),), Quad.from_rect(100, 100, 200, 140), text="  spaced  ",
             confidence=1.0, source=InkSource.MODEL, fidelity=1.0),
    )
    return Page(1600, 1200, words, (_stroke(rng, 9, width=5.0), _stroke(rng, 2, measured=True)),
                image_path="note 1.jpg", meta={"layout": "page", "angle": 1.5})


def assert_pages_equal(a: Page, b: Page, tol: float = 1e-3) -> None:
    assert (a.width, a.height, a.image_path) == (b.width, b.height, b.image_path)
    assert len(a.words) == len(b.words) and len(a.drawings) == len(b.drawings)
    for wa, wb in zip(a.words, b.words):
        assert wa.text == wb.text
        assert np.allclose(wa.quad.to_array(), wb.quad.to_array(), atol=tol)
        assert (wa.confidence, wa.source, wa.fidelity, wa.needs_review, wa.reviewed) == \
               (wb.confidence, wb.source, wb.fidelity, wb.needs_review, wb.reviewed)
        _assert_strokes(wa.strokes, wb.strokes, tol)
    _assert_strokes(a.drawings, b.drawings, tol)


def _assert_strokes(sa, sb, tol):
    assert len(sa) == len(sb)
    for x, y in zip(sa, sb):
        assert x.points.shape == y.points.shape
        assert np.abs(x.points - y.points).max() <= tol
        assert (x.color, x.width, x.time_measured) == (y.color, y.width, y.time_measured)


# --- round trip ----------------------------------------------------------------------------------------
def test_round_trip_keeps_every_field(tmp_path):
    page = make_page()
    path = write_inkml(page, tmp_path / "p.inkml")
    back = read_inkml(path)
    assert_pages_equal(page, back, tol=1e-3)
    assert back == page  # float32 written as shortest exact text: bit-exact, not just within 1e-3
    assert back.meta == page.meta


def test_empty_page_and_word_without_strokes_round_trip():
    page = Page(640, 480)
    assert read_inkml(inkml_bytes(page)) == page
    erased = Page(640, 480, (Word((), Quad.from_rect(1, 2, 30, 40), text="gone", reviewed=True),))
    assert read_inkml(inkml_bytes(erased)) == erased


def test_control_characters_in_text_are_dropped_not_fatal():
    page = Page(10, 10, (Word((Stroke([[1, 1], [2, 2]]),), Quad.from_rect(0, 0, 5, 5), text="a\x00b\x1bc"),))
    assert read_inkml(inkml_bytes(page)).words[0].text == "abc"


_xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=12)
_coord = st.floats(-1e4, 1e5, allow_nan=False, width=32)


@st.composite
def _pages(draw):
    def stroke():
        n = draw(st.integers(1, 6))
        pts = [[draw(_coord), draw(_coord), draw(st.floats(0, 1e5, width=32))] for _ in range(n)]
        return Stroke(pts, color=draw(st.sampled_from(["#000000", "#1a1a1a", "#ff8800"])),
                      width=draw(st.floats(0.01, 50)), time_measured=draw(st.booleans()))

    words = []
    for _ in range(draw(st.integers(0, 3))):
        words.append(Word(
            tuple(stroke() for _ in range(draw(st.integers(1, 3)))),
            Quad.from_array([[draw(_coord), draw(_coord)] for _ in range(4)]),
            text=draw(_xml_text), confidence=draw(st.floats(0, 1)),
            source=draw(st.sampled_from(list(InkSource))),
            fidelity=draw(st.none() | st.floats(0, 1)),
            needs_review=draw(st.booleans()), reviewed=draw(st.booleans())))
    drawings = tuple(stroke() for _ in range(draw(st.integers(0, 2))))
    return Page(draw(st.integers(1, 10000)), draw(st.integers(1, 10000)), tuple(words), drawings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pages())
def test_round_trip_property(page):
    assert read_inkml(inkml_bytes(page)) == page


# --- schema ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema():
    if not XSD.exists():
        pytest.skip(f"W3C InkML schema not found at {XSD} (needs the shared/ folder beside the repo)")
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.mark.parametrize("page", [make_page(), Page(5, 5), Page(50, 50, (), (Stroke([[1, 2]]),))],
                         ids=["full", "empty", "drawing-only"])
def test_written_inkml_validates_against_w3c_xsd(schema, page):
    doc = etree.fromstring(inkml_bytes(page))
    assert schema.validate(doc), schema.error_log


def test_bundled_sample_validates(schema):
    path = samples_dir() / "sample.inkml"
    assert schema.validate(etree.parse(str(path))), schema.error_log


def test_bundled_sample_reads():
    page = read_inkml(samples_dir() / "sample.inkml")
    assert len(page.words) >= 10 and all(w.text for w in page.words)
    assert page.text.startswith("Meeting notes")


def test_schema_rejects_a_broken_document(schema):
    """The validation above can fail: a trace with an invalid attribute value is refused."""
    doc = etree.fromstring(inkml_bytes(make_page()))
    doc.find(f".//{{{NS}}}trace").set("type", "sideways")
    assert not schema.validate(doc)


# --- InkML by others ---------------------------------------------------------------------------------------
def _ink(body: str) -> bytes:
    return f'<ink xmlns="{NS}">{body}</ink>'.encode()


def test_no_trace_format_defaults_to_x_y_and_synthesises_time():
    page = read_inkml(_ink("<trace>10 20, 30 20, 30 60</trace>"))
    (s,) = page.drawings
    assert s.xy.tolist() == [[10, 20], [30, 20], [30, 60]]
    assert not s.time_measured
    assert np.all(np.diff(s.t) > 0)  # made-up but increasing timing
    assert page.width >= 30 and page.height >= 60


def test_channels_in_any_order_with_units():
    body = ('<definitions><context xml:id="c"><traceFormat><channel name="T" units="s"/>'
            '<channel name="Y"/><channel name="F"/><channel name="X"/></traceFormat></context></definitions>'
            '<context contextRef="#c"/><trace>1000 20 0.5 10, 1000.25 21 0.6 11</trace>')
    (s,) = read_inkml(_ink(body)).drawings
    assert s.xy.tolist() == [[10, 20], [11, 21]]
    assert s.time_measured and s.t.tolist() == [0, 250]  # seconds -> ms, relative to the start


def test_top_level_trace_format_and_pen_up_traces():
    # CROHME-style: <traceFormat> straight under <ink>; penUp traces are hover, not ink
    body = ('<traceFormat><channel name="Y"/><channel name="X"/></traceFormat>'
            '<trace>20 10, 21 11</trace><trace type="penUp">5 5, 90 90</trace>')
    page = read_inkml(_ink(body))
    assert [s.xy.tolist() for s in page.drawings] == [[[10, 20], [11, 21]]]
    assert page.width < 90


def test_default_trace_format_by_name():
    body = ('<definitions><traceFormat xml:id="DefaultTraceFormat"><channel name="X"/><channel name="Y"/>'
            '<channel name="T"/></traceFormat></definitions><trace>1 2 100, 3 4 150</trace>')
    (s,) = read_inkml(_ink(body)).drawings
    assert s.time_measured and s.t.tolist() == [0, 50]


def test_inksight_comma_variant_with_document_text():
    body = ('<annotation type="textField">hello</annotation>'
            '<trace>10,20 30,40 50,60</trace><trace>12.5,22 13,23</trace>')
    page = read_inkml(_ink(body))
    (w,) = page.words
    assert w.text == "hello" and w.source == InkSource.IMPORTED and not page.drawings
    assert w.strokes[0].xy.tolist() == [[10, 20], [30, 40], [50, 60]]
    assert w.strokes[1].xy.tolist() == [[12.5, 22], [13, 23]]


def test_difference_encoding_from_the_spec():
    # InkML 1.0 section 3.2.1: explicit, first difference ('), second difference ("), sticky prefixes
    (s,) = read_inkml(_ink("<trace>1125 18432,'23'43,\"7\"-8,3-5</trace>")).drawings
    assert s.xy.tolist() == [[1125, 18432], [1148, 18475], [1178, 18510], [1211, 18540]]


def test_nested_groups_trace_views_and_brushes():
    body = ('<definitions><brush xml:id="red"><brushProperty name="color" value="#FF0000"/>'
            '<brushProperty name="width" value="0.5" units="mm"/></brush></definitions>'
            '<trace id="1">10 20, 11 21</trace><trace id="2">40 40, 41 41</trace>'
            '<traceGroup><annotation type="truth">ab</annotation>'
            '<traceGroup><annotation type="truth">a</annotation><traceView traceDataRef="#1"/></traceGroup>'
            '<traceGroup brushRef="#red"><annotation type="transcription">b</annotation>'
            '<trace>5 5, 6 6</trace></traceGroup></traceGroup>')
    page = read_inkml(_ink(body))
    assert [w.text for w in page.words] == ["b", "a"] or [w.text for w in page.words] == ["a", "b"]
    by_text = {w.text: w for w in page.words}
    assert by_text["a"].strokes[0].xy.tolist() == [[10, 20], [11, 21]]
    assert by_text["b"].strokes[0].color == "#ff0000"
    assert by_text["b"].strokes[0].width == pytest.approx(0.5 * 96 / 25.4)
    assert len(page.drawings) == 1  # trace 2 belongs to no group


def test_negative_foreign_coordinates_are_moved_onto_the_page():
    page = read_inkml(_ink("<trace>-50 -10, 50 10</trace>"))
    xy = page.drawings[0].xy
    assert xy.min() >= 0 and xy[:, 0].max() <= page.width and xy[:, 1].max() <= page.height
    assert xy[1, 0] - xy[0, 0] == 100  # shape kept


def test_no_namespace_and_bytes_or_path(tmp_path):
    data = b"<ink><trace>1 2, 3 4</trace></ink>"
    (tmp_path / "a.inkml").write_bytes(data)
    assert read_inkml(data) == read_inkml(tmp_path / "a.inkml")


# --- hostile and broken input --------------------------------------------------------------------------------
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE ink [
 <!ENTITY a "lollollollollollollollollollol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<ink xmlns="http://www.w3.org/2003/InkML"><annotation type="transcription">&h;</annotation>
<trace>1 2, 3 4</trace></ink>"""


def test_billion_laughs_is_refused():
    with pytest.raises(FormatError, match="entit"):
        read_inkml(BILLION_LAUGHS)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        _Recorder.hits.append(self.path)
        body = b'<!ENTITY x "fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_xxe_file_entity_is_refused_and_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = (f'<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
           f'<ink xmlns="{NS}"><annotation type="transcription">&x;</annotation>'
           '<trace>1 2, 3 4</trace></ink>').encode()
    with pytest.raises(FormatError) as exc:
        read_inkml(doc)
    assert "TOPSECRET" not in str(exc.value)


@pytest.mark.parametrize("kind", ["entity", "parameter-entity", "external-dtd"])
def test_network_references_are_never_fetched(http_server, kind):
    url = f"{http_server}/evil.dtd"
    doctype = {
        "entity": f'<!DOCTYPE ink [<!ENTITY x SYSTEM "{url}">]>',
        "parameter-entity": f'<!DOCTYPE ink [<!ENTITY % p SYSTEM "{url}"> %p;]>',
        "external-dtd": f'<!DOCTYPE ink SYSTEM "{url}">',
    }[kind]
    use = "&x;" if kind == "entity" else "text"
    doc = (f'<?xml version="1.0"?>{doctype}<ink xmlns="{NS}">'
           f'<annotation type="transcription">{use}</annotation><trace>1 2, 3 4</trace></ink>').encode()
    try:
        page = read_inkml(doc)
    except FormatError:
        pass
    else:  # an external DTD that is never loaded is harmless: the ink reads, nothing expanded
        assert kind == "external-dtd" and page.text == "text"
    assert _Recorder.hits == []


@pytest.mark.parametrize("trace", ["1 2, nan 4", "1 2, inf 4", "1 2, 1e400 3", "1 2, 20000000 4",
                                   "1 2, -1e8 4", "1 2, 3", "x y", "1 2 3 4 5, 1 2 3 4 5"])
def test_bad_coordinates_are_refused(trace):
    with pytest.raises(FormatError):
        read_inkml(_ink(f"<trace>{trace}</trace>"))


@pytest.mark.parametrize("body", [
    '<traceGroup><annotation type="inklift:confidence">high</annotation><trace>1 2</trace></traceGroup>',
    '<traceGroup><annotation type="inklift:confidence">7</annotation><trace>1 2</trace></traceGroup>',
    '<traceGroup><annotation type="inklift:quad">1 2 3</annotation><trace>1 2</trace></traceGroup>',
    '<traceGroup><annotation type="inklift:source">alien</annotation><trace>1 2</trace></traceGroup>',
    ('<annotation type="inklift:pageWidth">-4</annotation><annotation type="inklift:pageHeight">4'
     '</annotation>'),
])
def test_bad_inklift_annotations_are_refused(body):
    with pytest.raises(FormatError):
        read_inkml(_ink(body))


@pytest.mark.parametrize("data", [b"", b"   ", b"<ink>", b"<svg/>", b"not xml at all", b"\xff\xfe\x00<"])
def test_garbage_is_refused(data):
    with pytest.raises(FormatError):
        read_inkml(data)


def test_oversize_file_is_refused_before_parsing(tmp_path):
    big = tmp_path / "big.inkml"
    with open(big, "wb") as fh:  # sparse: 500 MB on paper, nothing on disk
        fh.truncate(500 * 1024 * 1024)
    with pytest.raises(FormatError, match="500 MB, more than the 50 MB we accept"):
        read_inkml(big)


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        read_inkml(tmp_path / "nope.inkml")


def test_point_and_trace_caps(monkeypatch):
    monkeypatch.setattr(inkml_mod, "MAX_POINTS", 50)
    with pytest.raises(FormatError, match="points"):
        read_inkml(_ink("<trace>" + ", ".join(["1 2"] * 60) + "</trace>"))
    monkeypatch.setattr(inkml_mod, "MAX_TRACES", 3)
    with pytest.raises(FormatError, match="traces"):
        read_inkml(_ink("<trace>1 2</trace>" * 4))


def test_deep_nesting_is_refused():
    doc = _ink("<traceGroup>" * 5000 + "<trace>1 2</trace>" + "</traceGroup>" * 5000)
    with pytest.raises(FormatError):
        read_inkml(doc)


# --- fuzz: the reader returns a Page or raises FormatError, nothing else --------------------------------------
_VALID = inkml_bytes(make_page(seed=3))
_SMALL = _ink('<definitions><brush xml:id="b"><brushProperty name="color" value="#00ff00"/></brush>'
              '</definitions><traceGroup brushRef="#b"><annotation type="transcription">hi</annotation>'
              "<trace>1 2, '3 4, \"5 6</trace></traceGroup><trace>7,8 9,10</trace>")


def _read_or_format_error(data: bytes) -> None:
    try:
        page = read_inkml(data)
    except FormatError as exc:
        assert str(exc)  # a message for people
    else:
        assert isinstance(page, Page)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data):
    _read_or_format_error(data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([_VALID, _SMALL]), st.lists(
    st.tuples(st.floats(0, 1), st.sampled_from(["flip", "insert", "delete", "dup"]),
              st.binary(min_size=1, max_size=4)), min_size=1, max_size=6))
def test_fuzz_mutated_documents(base, edits):
    data = bytearray(base)
    for where, op, chunk in edits:
        i = int(where * (len(data) - 1)) if data else 0
        if op == "flip" and data:
            data[i] = chunk[0]
        elif op == "insert":
            data[i:i] = chunk
        elif op == "delete":
            del data[i:i + len(chunk) * 8]
        elif op == "dup":
            data[i:i] = data[max(0, i - 40):i]
    _read_or_format_error(bytes(data))


_trace_chars = st.text(alphabet="0123456789 ,.-+eE'\"!*?TF#\t\nxnaif", max_size=60)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trace_chars, st.sampled_from(["", '<traceFormat><channel name="X"/><channel name="Y"/></traceFormat>',
                                      ('<traceFormat><channel name="Y"/><channel name="T"/>'
                                       '<channel name="X"/></traceFormat>')]))
def test_fuzz_trace_text(text, fmt):
    body = (f'<definitions><context xml:id="c">{fmt}</context></definitions><context contextRef="#c"/>'
            if fmt else "")
    _read_or_format_error(_ink(body + f"<trace>{text}</trace>"))
