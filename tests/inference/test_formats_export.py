"""The export registry used by the CLI and the GUI: every format, atomic writes, PNG = our rasteriser."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from inference.document.formats import EXPORTERS, atomic_write, export_page, format_for_path, import_page
from inference.document.ink import Page, Quad, Stroke, Word
from inference.document.render import render_strokes_rgb
from inference.errors import FormatError


def _page() -> Page:
    s = Stroke([[10, 10, 0], [60, 40, 50], [90, 12, 90]], color="#204080", width=4.0)
    return Page(120, 80, (Word((s,), Quad.from_rect(5, 5, 95, 45), text="ink"),),
                (Stroke([[20, 70], [100, 70]], width=2.0),))


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_format_exports_by_name_and_by_suffix(tmp_path, fmt):
    page = _page()
    a = export_page(page, tmp_path / f"a{EXPORTERS[fmt].suffix}")  # format from the suffix
    b = export_page(page, tmp_path / "b.out", fmt=fmt)
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 100
    assert format_for_path(a) == fmt
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([a.name, b.name])  # no temp files left


def test_round_trip_through_the_registry(tmp_path):
    page = _page()
    for fmt in ("inkml", "svg"):
        path = export_page(page, tmp_path / f"p.{fmt}")
        assert import_page(path) == page


def test_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(FormatError, match="unknown export format"):
        export_page(_page(), tmp_path / "x.docx")
    with pytest.raises(FormatError, match="unknown export format"):
        export_page(_page(), tmp_path / "x.svg", fmt="docx")
    with pytest.raises(FormatError, match="cannot import"):
        import_page(tmp_path / "x.xopp")


def test_png_is_our_rasterisation_over_the_photo(tmp_path):
    page = _page()
    photo = np.full((80, 120, 3), (250, 240, 200), np.uint8)
    path = export_page(page, tmp_path / "p.png", image=photo)
    got = cv2.imread(str(path))[..., ::-1]
    want = render_strokes_rgb(page.all_strokes(), 80, 120, background=photo)
    assert np.array_equal(got, want)
    assert tuple(got[2, 2]) == (250, 240, 200)


def test_png_fast_path_is_pixel_identical_to_the_shared_rasteriser():
    """png.render_page draws stroke by stroke inside each stroke's box; nothing may differ from
    render_strokes_rgb, also for strokes that overlap, touch the edges or lie off the page."""
    rng = np.random.default_rng(5)
    strokes = [Stroke(rng.uniform(-20, 140, (int(rng.integers(1, 12)), 2)), width=float(rng.uniform(0.5, 9)),
                      color=f"#{int(rng.integers(0, 2**24)):06x}") for _ in range(25)]
    strokes.append(Stroke([[-50, -50], [-40, -45]]))  # entirely off the page
    page = Page(120, 80, (), tuple(strokes))
    photo = rng.integers(0, 256, (80, 120, 3), dtype=np.uint8)
    for bg in (None, photo):
        got = cv2.imdecode(np.frombuffer(EXPORTERS["png"].to_bytes(page, bg), np.uint8), cv2.IMREAD_COLOR)
        assert np.array_equal(got[..., ::-1], render_strokes_rgb(page.all_strokes(), 80, 120, background=bg))


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "doc.svg"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(FormatError, match="No space left"):
        atomic_write(target, b"new contents")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.svg"]  # the temp file was cleaned up


def test_failed_export_leaves_no_file(tmp_path, monkeypatch):
    def explode(page, image):
        raise FormatError("encoder broke")

    monkeypatch.setitem(EXPORTERS, "svg", EXPORTERS["svg"].__class__("svg", ".svg", "x", explode))
    with pytest.raises(FormatError):
        export_page(_page(), tmp_path / "p.svg")
    assert list(tmp_path.iterdir()) == []
