"""Background jobs and conversion: progress, results routed once, cancel, superseded jobs, errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from desktop.jobs import JobManager
from inference.errors import InputError
from inference.jobs import Progress


def _counting(n: int, gate: threading.Event | None = None):
    def factory(token):
        for i in range(n):
            if gate is not None:
                gate.wait(5)
            yield Progress("work", i, n, f"step {i}")
        return n
    return factory


def _until_cancelled(started: threading.Event):
    def factory(token):
        started.set()
        i = 0
        while not token.cancelled:  # a well-behaved job: yields often, so run_job can stop it
            yield Progress("work", i, 0)
            token._event.wait(0.01)
            i += 1
        return "should be dropped"
    return factory


def test_result_is_delivered_on_the_gui_thread(qtbot):
    jm = JobManager()
    got = []
    with qtbot.waitSignal(jm.finished, timeout=10000) as sig:
        jm.start("a", _counting(5), lambda r: got.append((r, threading.current_thread() is threading.main_thread())))
    assert sig.args[2] == "done"
    assert got == [(5, True)]
    assert not jm.is_busy()


def test_cancel_drops_the_result(qtbot):
    jm = JobManager()
    got, started = [], threading.Event()
    jm.start("a", _until_cancelled(started), got.append)
    assert started.wait(5)
    with qtbot.waitSignal(jm.finished, timeout=10000) as sig:
        jm.cancel("a")
    assert sig.args[2] == "cancelled"
    assert got == []


def test_superseded_job_result_is_dropped(qtbot):
    jm = JobManager(threads=2)
    got = []
    gate = threading.Event()
    jm.start("page", _counting(3, gate), lambda r: got.append(("old", r)))
    jm.start("page", _counting(2), lambda r: got.append(("new", r)))
    gate.set()
    qtbot.waitUntil(lambda: not jm.jobs, timeout=10000)
    assert got == [("new", 2)]


def test_errors_become_messages_not_tracebacks(qtbot):
    jm = JobManager()
    errors = []

    def bad(token):
        yield Progress("load", 0, 1)
        raise InputError("photo.jpg is not an image")

    def buggy(token):
        yield Progress("load", 0, 1)
        raise ZeroDivisionError("oops")

    with qtbot.waitSignal(jm.finished, timeout=10000):
        jm.start("a", bad, lambda r: None, on_error=errors.append)
    with qtbot.waitSignal(jm.finished, timeout=10000):
        jm.start("b", buggy, lambda r: None, on_error=errors.append)
    assert errors[0] == "photo.jpg is not an image"
    assert errors[1].startswith("Unexpected error (ZeroDivisionError)") and "Traceback" not in errors[1]


def test_engine_unavailable_is_a_clear_message(win, messages, monkeypatch, tmp_path):
    from desktop import engine

    from .conftest import photo_file

    monkeypatch.setattr(engine, "engine_available", lambda: (False, engine.NOT_AVAILABLE))
    win.open_paths([photo_file(tmp_path)])
    assert win.convert([win.view.page_id]) is False
    assert any("not available" in m for _k, m in messages)
    assert win.view.ink is None and win.doc.undo_stack.count() == 1  # only the import


# --- the real engine ----------------------------------------------------------------------------------
def _engine_or_skip():
    try:
        import inference.pipeline  # noqa: F401
    except ImportError as e:
        pytest.skip(f"inference.pipeline is not in this checkout yet ({e})")


def handwriting_photo(path, words=("ink", "lift", "notes", "today")):
    """A small 'photo' of Hershey-font words rendered with our rasteriser (grey paper, dark ink)."""
    import cv2
    from HersheyFonts import HersheyFonts

    from inference.document.ink import Stroke
    from inference.document.render import render_strokes_rgb

    font = HersheyFonts()
    font.load_default_font()
    font.normalize_rendering(46)
    strokes, x = [], 30.0
    for w in words:
        pts = [np.array(s, np.float64) for s in font.strokes_for_text(w)]
        x1 = max(p[:, 0].max() for p in pts)
        for p in pts:
            strokes.append(Stroke(np.column_stack([p[:, 0] + x, 110 - p[:, 1]]), color="#202020", width=3.5))
        x += x1 + 36
    bg = np.full((160, int(x) + 30, 3), 232, np.uint8)
    img = render_strokes_rgb(strokes, bg.shape[0], bg.shape[1], background=bg)
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return path


def test_import_convert_shows_strokes_on_the_canvas(win, qtbot, tmp_path, messages):
    _engine_or_skip()
    photo = handwriting_photo(tmp_path / "words.png")
    win.open_paths([photo])
    pid = win.view.page_id
    from inference.document.ink import Page, Stroke

    pen = Stroke(np.array([[5, 5, 0], [40, 8, 30]], np.float32), time_measured=True)
    win.view.commit(Page(win.view.page.size[0], win.view.page.size[1], drawings=(pen,)), "Draw")
    with qtbot.waitSignal(win.conversionFinished, timeout=120000) as sig:
        assert win.convert([pid])
    assert sig.args == [pid, "done"], messages
    ink = win.view.ink
    assert ink is not None and len(ink.all_strokes()) > 1 and ink.words
    assert ink.drawings[-1] is pen  # the user's pen stroke survives the conversion
    assert len(win.view.items_by_stroke) == len(ink.all_strokes())
    assert win.doc.undo_stack.count() == 3  # import, draw, then the conversion as one step
    win.doc.undo_stack.undo()
    assert win.view.ink.drawings == (pen,) and len(win.view.items_by_stroke) == 1
    win.doc.undo_stack.redo()
    assert win.view.ink is ink


def test_cancel_conversion_changes_nothing(win, qtbot, tmp_path, messages):
    _engine_or_skip()
    photo = handwriting_photo(tmp_path / "words.png")
    win.open_paths([photo])
    pid = win.view.page_id
    with qtbot.waitSignal(win.conversionFinished, timeout=120000) as sig:
        win.convert([pid])
        win.progress.cancel_button.click()
    assert sig.args[1] in ("cancelled", "dropped")
    assert win.view.ink is None
    assert win.doc.undo_stack.count() == 1
    assert not messages  # cancelling is not an error


def test_engine_result_packing_roundtrip():
    _engine_or_skip()
    from desktop.engine_process import pack_result, unpack_result
    from inference.pipeline import PageResult

    from .conftest import make_ink

    ink = make_ink()
    img = np.zeros((ink.height, ink.width, 3), np.uint8)
    back = unpack_result(pack_result(PageResult(ink, img, ("w",), {"total": 1.0})))
    assert back.page == ink and back.warnings == ("w",) and np.array_equal(back.image, img)
    assert [w.text for w in back.page.words] == [w.text for w in ink.words]
    assert not back.page.words[0].strokes[0].points.flags.writeable


def test_engine_process_error_is_a_message(qtbot, tmp_path):
    _engine_or_skip()
    from desktop import engine

    errors = []
    jm = JobManager()
    with qtbot.waitSignal(jm.finished, timeout=60000) as sig:
        jm.start("p", engine.convert_job(str(tmp_path / "missing.jpg")), lambda r: None, on_error=errors.append)
    assert sig.args[2] == "failed"
    assert "missing.jpg" in errors[0] and "Traceback" not in errors[0]


def test_a_newer_conversion_supersedes_the_older(win, qtbot, tmp_path, messages):
    _engine_or_skip()
    win.open_paths([handwriting_photo(tmp_path / "words.png")])
    pid = win.view.page_id
    outcomes = []
    win.conversionFinished.connect(lambda _pid, outcome: outcomes.append(outcome))
    win.convert([pid])
    win.convert([pid])  # e.g. the user pressed Convert again
    qtbot.waitUntil(lambda: "done" in outcomes, timeout=120000)
    assert outcomes.count("done") == 1 and len(outcomes) == 2, outcomes
    assert win.doc.undo_stack.count() == 2  # import + exactly one conversion
    assert not messages
