"""What a first-time user hits (issue #17): closing, start-up, scrolling, export, messages, review, search,
pen palette and a half-screen window."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from inference.document.ink import Page

from .conftest import make_ink


def _page(name: str = "p", ink: Page | None = None, size=(300, 400)):
    from desktop.document import PageDoc

    h, w = size
    img = np.full((h, w, 3), 250, np.uint8)
    return PageDoc(name, photo=b"x", image=img, photo_image=img, ink=ink)


def _add(win, *pages):
    from desktop.commands import AddPagesCommand

    win.doc.undo_stack.push(AddPagesCommand(win.doc, list(pages)))
    win.pages.select_page(pages[0].id)


# --- 1. closing with unsaved work ----------------------------------------------------------------------
def test_quit_discarding_unsaved_work_raises_nothing(qtbot, messages):
    import shiboken6

    from desktop.mainwindow import MainWindow
    from desktop.settings import Settings

    w = MainWindow(Settings())
    w.show()
    _add(w, _page())
    assert w.doc.modified
    assert w.close()  # the "Unsaved changes" question is answered Discard (messages fixture)
    shiboken6.delete(w)  # the undo stack emits cleanChanged while the document goes: pytest-qt fails on errors
    assert any("Unsaved changes" in m for _k, m in messages)


def test_error_message_points_at_the_log_and_only_claims_an_open_notebook_when_one_is(win, messages,
                                                                                        monkeypatch):
    from desktop import app

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app.install_excepthook()
    try:
        raise RuntimeError("boom")
    except RuntimeError as e:
        sys.excepthook(RuntimeError, e, e.__traceback__)
    text = messages[-1][1]
    assert "boom" in text and "still open" in text and str(app.log_file()) in text
    assert "boom" in app.log_file().read_text()
    win.hide()
    sys.excepthook(RuntimeError, RuntimeError("later"), None)
    assert "still open" not in messages[-1][1]


# --- 11. --help without a display, empty files, a Settings shortcut ---------------------------------------
def _run_app(*args: str, env_drop=("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    code = "import sys; from desktop.app import main; sys.exit(main(sys.argv))"
    return subprocess.run([sys.executable, "-c", code, *args], check=False, env=env, capture_output=True, text=True,
                          timeout=120)


def test_help_prints_usage_without_a_display():
    r = _run_app("--help")
    assert r.returncode == 0, r.stderr
    assert "usage: inklift-desktop" in r.stdout and "FILE" in r.stdout


def test_start_without_a_display_says_so_instead_of_aborting():
    r = _run_app("notes.jpg")
    assert r.returncode == 2 and "no display" in r.stderr


def test_an_empty_file_is_called_empty(win, messages, tmp_path):
    empty = tmp_path / "blank.jpg"
    empty.write_bytes(b"")
    win.open_paths([empty])
    assert any("blank.jpg: the file is empty (0 bytes)" in m for _k, m in messages), messages
    assert not win.doc.pages


def test_settings_has_a_shortcut(win):
    from PySide6.QtGui import QKeySequence

    assert QKeySequence("Ctrl+,") in win.a_settings.shortcuts()


# --- 2. recovery and a file on the command line ------------------------------------------------------
def test_recovery_at_launch_keeps_the_file_named_on_the_command_line(win, qtbot, tmp_path, ink):
    import json
    import subprocess

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop.autosave import recovery_dir
    from desktop.document import page_to_record
    from desktop.project import save_project

    from .conftest import photo_file

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    rec = recovery_dir() / f"autosave-{dead.pid}.inklift"
    save_project(rec, [page_to_record(_page("recovered", ink))])
    rec.with_suffix(".json").write_text(json.dumps({"original": None, "pages": 1}))

    def click_recover():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        next(b for b in box.buttons() if b.text() == "Recover").click()

    QTimer.singleShot(50, click_recover)
    with qtbot.waitSignal(win.importFinished, timeout=10000):
        win.start_up([str(photo_file(tmp_path, "cmdline.png"))])
    assert [p.name for p in win.doc.pages] == ["recovered", "cmdline"]


# --- 3. wheel scrolls, Shift+wheel scrolls sideways, Ctrl+wheel and pinch zoom -------------------------
def _wheel(view, dy: int, mods):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    pos = QPointF(view.viewport().rect().center())
    ev = QWheelEvent(pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, dy),
                     Qt.MouseButton.NoButton, mods, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), ev)


def test_wheel_scrolls_shift_wheel_scrolls_sideways_ctrl_wheel_and_pinch_zoom(win, qtbot):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QNativeGestureEvent, QPointingDevice
    from PySide6.QtWidgets import QApplication

    _add(win, _page(size=(1200, 900), ink=make_ink(900, 1200)))
    view = win.view
    view.set_zoom(2.0)
    v, h = view.verticalScrollBar(), view.horizontalScrollBar()
    v.setValue(v.maximum() // 2)
    h.setValue(h.maximum() // 2)
    v0, h0 = v.value(), h.value()
    _wheel(view, -120, Qt.KeyboardModifier.NoModifier)
    assert view.zoom() == pytest.approx(2.0) and v.value() > v0 and h.value() == h0
    v1 = v.value()
    _wheel(view, -120, Qt.KeyboardModifier.ShiftModifier)
    assert view.zoom() == pytest.approx(2.0) and h.value() > h0 and v.value() == v1
    _wheel(view, 120, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() > 2.05
    z = view.zoom()
    pos = QPointF(view.viewport().rect().center())
    pinch = QNativeGestureEvent(Qt.NativeGestureType.ZoomNativeGesture, QPointingDevice.primaryPointingDevice(),
                                2, pos, pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), 0.25,
                                QPointF(0, 0))
    QApplication.sendEvent(view.viewport(), pinch)
    assert view.zoom() == pytest.approx(z * 1.25)


# --- 8. status messages: plain words, whole, kept, beside the progress; the running page says so -------
def test_engine_warnings_in_plain_words():
    from desktop.messages import plain_warnings

    engine = ["3 of 40 words were stopped by the repetition guard; their ink was checked against the photo",
              "12 of 40 words use the geometric tracer's ink (5 of them in the model's stroke order)",
              "2 word boxes contained no ink", "no words found on the page",
              "900 words found; only the first 600 were converted (max_words)"]
    plain = plain_warnings(engine)
    assert plain == ["2 words had no visible ink.", "No handwriting was found on this page.",
                     "Only the first 600 of 900 words were converted."]
    assert plain_warnings(["something new happened"]) == ["Something new happened."]
    # a photo with no writing at all says so once, whichever of the engine's two warnings it got
    assert plain_warnings(["no handwriting found: nothing on this photo looks like writing or drawing",
                           "no words found on the page"]) == ["No handwriting was found on this page."]


def test_converting_two_queued_pages_reads_plainly(win, qtbot, tmp_path, messages):
    from .test_desktop_jobs import _engine_or_skip, handwriting_photo

    _engine_or_skip()
    win.resize(1000, 700)
    photos = [handwriting_photo(tmp_path / f"p{i}.png", words=("ink", "notes")[: 1 + i % 2]) for i in range(3)]
    win.open_paths(photos)
    ids = [p.id for p in win.doc.pages]
    finished = []
    win.conversionFinished.connect(lambda pid, outcome: finished.append(outcome))
    assert win.convert(ids)
    labels = lambda: [win.pages.item(i).text().split("\n")[1] for i in range(3)]
    assert labels() == ["queued"] * 3
    qtbot.waitUntil(lambda: labels()[0] == "converting…", timeout=60000)
    assert labels()[1:] == ["queued", "queued"]
    qtbot.waitUntil(lambda: win.progress.isVisible(), timeout=10000)
    label = win.progress.label.full_text()
    assert "(+2 waiting)" in label and "queued" not in label
    win.note("A long result message " * 20)
    note, bar = win.status_note.geometry(), win.progress.geometry()
    assert note.right() < bar.left()  # side by side, never on top of each other
    assert win.status_note.toolTip() == win.status_note.full_text()
    qtbot.waitUntil(lambda: len(finished) == 3, timeout=180000)
    assert finished == ["done"] * 3, messages
    text = win.status_note.full_text()
    assert "words converted" in text or "word converted" in text
    for jargon in ("repetition guard", "tracer", "model's stroke order", "token cap"):
        assert jargon not in text
    assert not win.status_note._timer.isActive()  # a result stays until the next message


# --- 9. review rows say what they mean; misread words are flagged ---------------------------------------
def test_review_rows_explain_themselves_and_flag_misread_words(win):
    from dataclasses import replace

    ink = make_ink()
    words = list(ink.words)
    words[2] = replace(words[2], needs_review=True, fidelity=0.35)
    _add(win, _page(ink=replace(ink, words=tuple(words))))
    win.review_dock.show()
    panel = win.review
    rows = [panel.list.item(i) for i in range(panel.list.count())]
    by_word = {r.text().split()[1]: r for r in rows}
    assert by_word["gamma"].text().startswith("⚠ gamma — check the ink")
    assert by_word["beta"].text().startswith("? beta — check the text · text 40%")  # recogniser unsure
    assert by_word["alpha"].text().startswith("· alpha — text 90% · ink 80%")
    assert "[" not in by_word["alpha"].text()  # no internal source tags
    assert "may be misread" in by_word["beta"].toolTip() and "redrawn by the model" in by_word["beta"].toolTip()
    assert "text %" in panel.legend.text() and "ink %" in panel.legend.text()
    assert panel.rederender_button.text() == "Redraw from text" and panel.rederender_button.toolTip()
    assert [r.text()[0] for r in rows[:2]] == ["?", "⚠"] or [r.text()[0] for r in rows[:2]] == ["⚠", "?"]
    marks = win.view._review_marks
    assert len(marks) == 2  # the page shows both words to check
    assert {m.pen().style() for m in marks} == {Qt.PenStyle.DashLine, Qt.PenStyle.DotLine}


# --- 12. photo toggle; a project is about as big as its photos ----------------------------------------
def test_photo_toggle_shortcut_and_a_hidden_photo_is_not_remembered(win, qtbot):
    from desktop.mainwindow import MainWindow

    _add(win, _page(ink=make_ink()))
    assert win.a_photo.shortcut().toString() == "Ctrl+Shift+P" and win.a_photo.isChecked()
    win.opacity.setValue(70)
    win.a_photo.trigger()
    assert win.view._photo.opacity() == 0 and not win.a_photo.isChecked()
    win.a_photo.trigger()
    assert win.view._photo.opacity() == pytest.approx(0.7) and win.opacity.value() == 70
    win.opacity.setValue(0)  # dragged all the way down
    assert not win.a_photo.isChecked()
    w2 = MainWindow(win.settings)
    qtbot.addWidget(w2)
    assert w2.view.photo_opacity == pytest.approx(0.7) and w2.a_photo.isChecked()  # not hidden next time


def test_project_keeps_photo_plus_a_compact_page_image(tmp_path):
    import cv2

    from desktop.document import PageDoc, page_to_record
    from desktop.project import read_project, save_project

    rng = np.random.default_rng(0)
    records, photos = [], 0
    for i in range(4):  # camera-like pages: paper grain, shading and some ink
        base = 200 + 30 * np.linspace(0, 1, 1600)[None, :, None] + rng.normal(0, 6, (1200, 1600, 3))
        photo_rgb = np.clip(base, 0, 255).astype(np.uint8)
        cv2.putText(photo_rgb, f"page {i}", (100, 600), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 8, (30, 30, 40), 12)
        _ok, jpg = cv2.imencode(".jpg", photo_rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
        photos += len(jpg)
        flat = np.ascontiguousarray(photo_rgb[20:-20, 30:-30])  # the engine's straightened page
        records.append(page_to_record(PageDoc(f"p{i}", photo=jpg.tobytes(), photo_ext=".jpg", image=flat,
                                              photo_image=photo_rgb, ink=make_ink(1540, 1160))))
    path = save_project(tmp_path / "four.inklift", records)
    assert path.stat().st_size < 2.2 * photos, (path.stat().st_size, photos)
    loaded, _ = read_project(path)
    smooth = [cv2.blur(a.astype(np.float32), (5, 5)) for a in (loaded[0].image, records[0].image)]
    assert np.abs(smooth[0] - smooth[1]).mean() < 2  # JPEG drops some paper grain, not the page


# --- 10. a half-screen window -------------------------------------------------------------------------
def test_half_screen_window_keeps_the_page_and_the_main_actions(win, qtbot):
    _add(win, _page("A rather long page name from the camera 2026-12-03", ink=make_ink(), size=(800, 600)))
    win.resize(1600, 1000)
    qtbot.wait(50)
    wide_zoom = win.view.zoom()
    win.resize(683, 768)
    qtbot.waitUntil(lambda: win.width() == 683)
    qtbot.wait(50)
    assert win.pages_dock.width() <= 0.2 * win.width()  # the page list leaves the page the room
    tb = win.findChild(QToolBar, "main-toolbar")
    for a in (win.a_convert, win.a_review, win.a_photo):
        w = tb.widgetForAction(a)
        assert w is not None and w.isVisible() and tb.rect().contains(w.geometry()), a.text()
    assert win.view.zoom() < wide_zoom  # re-fitted to the narrower window
    visible = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    assert visible.contains(0, 0) and visible.contains(599, 799)  # the whole page shows
    item = win.pages.item(0)
    assert item.toolTip() == win.doc.pages[0].name
    win.view.zoom_by(2.0)  # a zoom the user chose stays
    z = win.view.zoom()
    win.resize(700, 768)
    qtbot.wait(50)
    assert win.view.zoom() == pytest.approx(z)


# --- 6. find words across pages ------------------------------------------------------------------------
def test_ctrl_f_finds_and_highlights_words_across_pages(win, qtbot):
    from dataclasses import replace

    from PySide6.QtGui import QKeySequence

    ink2 = make_ink()
    ink2 = replace(ink2, words=(replace(ink2.words[0], text="Betamax"),) + ink2.words[1:])
    first, second, third = _page("one", make_ink()), _page("two", ink2), _page("photo only")
    _add(win, first, second, third)
    win.pages.select_page(first.id)
    assert win.a_find.shortcut() == QKeySequence("Ctrl+F")
    win.a_find.trigger()
    assert win.search.isVisible() and win.search.field.hasFocus()
    qtbot.keyClicks(win.search.field, "BETA")
    # "beta" on page one, "Betamax" and "beta" on page two: case does not matter
    assert [(win.doc.index_of(h.page_id), h.word) for h in win.search.hits] == [(0, 1), (1, 0), (1, 1)]
    assert win.search.count.text() == "1 of 3"

    def marks(page) -> int:
        return len(win.view.page_items[page.id].search_items)

    assert (marks(first), marks(second), marks(third)) == (1, 2, 0)  # every page's hits, each on its page
    visible = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    assert visible.contains(win.view.ink.words[1].quad.bounds()[0], win.view.ink.words[1].quad.bounds()[1])
    qtbot.keyClick(win.search.field, Qt.Key.Key_Return)  # next: switches to page two
    assert win.view.page_id == second.id and win.search.count.text() == "2 of 3"
    assert (marks(first), marks(second)) == (1, 2)
    win.a_find_next.trigger()
    win.a_find_next.trigger()  # wraps round to the first hit
    assert win.view.page_id == first.id and win.search.count.text() == "1 of 3"
    win.a_find_prev.trigger()
    assert win.view.page_id == second.id and win.search.count.text() == "3 of 3"
    qtbot.keyClick(win.search.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert win.search.count.text() == "2 of 3"
    win.search.field.setText("nothing like it")
    assert win.search.count.text() == "no matches" and win.view._search_items == []
    qtbot.keyClick(win.search.field, Qt.Key.Key_Escape)
    assert not win.search.isVisible()


# --- 5. pen palette, width presets, highlighter, partial eraser with a size ----------------------------
def _drag(view, points, mods=None):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    mods = mods or Qt.KeyboardModifier.NoModifier

    def send(kind, pt, buttons, button=Qt.MouseButton.LeftButton):
        pos = QPointF(view.mapFromScene(QPointF(*pt)))
        ev = QMouseEvent(kind, pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), button, buttons, mods)
        QApplication.sendEvent(view.viewport(), ev)

    send(QEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton)
    for p in points[1:]:
        send(QEvent.Type.MouseMove, p, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)
    send(QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)


def test_palette_widths_and_highlighter_draw_one_step_each(win):
    from desktop.canvas import is_highlight

    _add(win, _page(ink=make_ink()))
    win.doc.undo_stack.clear()
    win.color_swatches["#c62828"].trigger()  # red: picks up the pen
    assert win.view.tool.name == "pen" and win.view.pen_color == "#c62828"
    win.width_actions[4.5].trigger()
    _drag(win.view, [(30, 250), (120, 260), (200, 255)])
    s = win.view.ink.drawings[-1]
    assert s.color == "#c62828" and s.width == pytest.approx(4.5) and win.doc.undo_stack.count() == 1
    assert win.settings.get("pen_color") == "#c62828" and win.settings.get("pen_width") == pytest.approx(4.5)
    win.tool_actions["highlight"].trigger()
    win.color_swatches["#1565c0"].trigger()  # a light blue while the highlighter is in hand
    assert win.view.tool.name == "highlight" and win.view.pen_color == "#c62828"
    _drag(win.view, [(20, 40), (100, 40), (180, 42)])
    h = win.view.ink.drawings[-1]
    assert is_highlight(h) and h.color != "#1565c0" and win.doc.undo_stack.count() == 2
    assert win.view.items_by_stroke[id(h)].zValue() < 0  # drawn under the words' ink
    assert win.doc.undo_stack.undoText() == "Highlight"


def test_partial_eraser_cuts_only_what_it_touches_and_has_a_size(win):
    from desktop import edits

    ink = make_ink()
    _add(win, _page(ink=ink))
    win.doc.undo_stack.clear()
    win.view.set_zoom(1.0)
    win.a_partial.setChecked(True)
    assert win.view.tool.name == "erase"
    win.eraser_combo.setCurrentIndex(win.eraser_combo.findData(8))
    # a short vertical swipe through the middle of the long drawing stroke (20,200)-(200,210)-(380,200)
    _drag(win.view, [(200, 190), (200, 200), (200, 215), (200, 225)])
    after = win.view.ink
    assert win.doc.undo_stack.count() == 1 and after.words == ink.words
    xs = [(float(d.xy[:, 0].min()), float(d.xy[:, 0].max())) for d in after.drawings]
    assert len(xs) == 2 and xs[0][1] < 200 < xs[1][0]  # split in two around the eraser
    assert xs[0][1] > 150 and xs[1][0] < 250  # and only a little was taken
    cut_small = xs[1][0] - xs[0][1]
    win.doc.undo_stack.undo()
    win.eraser_combo.setCurrentIndex(win.eraser_combo.findData(32))
    _drag(win.view, [(200, 190), (200, 200), (200, 215), (200, 225)])
    xs = [(float(d.xy[:, 0].min()), float(d.xy[:, 0].max())) for d in win.view.ink.drawings]
    assert xs[1][0] - xs[0][1] > cut_small  # a larger eraser takes more
    assert edits.erase_near(ink, [], np.zeros((1, 2)), 5) is ink


def test_an_edit_elsewhere_does_not_zoom_back_to_the_review_word(win):
    _add(win, _page(ink=make_ink()))
    win.review_dock.show()
    win.review.list.setCurrentRow(0)  # zooms to the word
    win.view.fit()
    z = win.view.zoom()
    win.set_tool("pen")
    _drag(win.view, [(30, 250), (120, 260)])
    assert win.view.zoom() == pytest.approx(z) and win.review.current_word() == 1
