"""Drive the main window's canvas with real mouse events: every tool, and undo/redo of each."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from desktop.document import PageDoc

from .conftest import make_ink, photo_file


def _page_with_ink(win) -> PageDoc:
    ink = make_ink()
    img = np.full((ink.height, ink.width, 3), 250, np.uint8)
    page = PageDoc(name="test", image=img, photo_image=img, ink=ink)
    win.add_pages([page], convert=False)
    win.view.set_zoom(2.0)
    win.view.centerOn(200, 150)
    win.doc.undo_stack.clear()  # start each test from a clean history
    return page


def _send(view, kind, scene_pt, buttons, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    pos = QPointF(view.mapFromScene(QPointF(*scene_pt)))
    glob = QPointF(view.viewport().mapToGlobal(pos.toPoint()))
    ev = QMouseEvent(kind, pos, glob, button, buttons, mods)
    QApplication.sendEvent(view.viewport(), ev)


def drag(view, pts, mods=Qt.KeyboardModifier.NoModifier, button=Qt.MouseButton.LeftButton):
    _send(view, QEvent.Type.MouseButtonPress, pts[0], button, button, mods)
    for p in pts[1:]:
        _send(view, QEvent.Type.MouseMove, p, button, Qt.MouseButton.NoButton, mods)
    _send(view, QEvent.Type.MouseButtonRelease, pts[-1], Qt.MouseButton.NoButton, button, mods)


def click(view, pt, mods=Qt.KeyboardModifier.NoModifier):
    drag(view, [pt], mods)


def n_strokes(win) -> int:
    return len(win.view.ink.all_strokes())


def point_on(win, word, stroke, i=5):
    x, y = win.view.ink.words[word].strokes[stroke].xy[i]
    return float(x), float(y)


def assert_undo_redo(win, before, after):
    stack = win.doc.undo_stack
    assert stack.count() == 1, "one gesture must be exactly one undo step"
    stack.undo()
    assert win.view.ink is before
    assert len(win.view.items_by_stroke) == len(before.all_strokes())
    stack.redo()
    assert win.view.ink is after


def test_strokes_appear_as_items_and_title_marks_changes(win):
    _page_with_ink(win)
    assert len(win.view.items_by_stroke) == n_strokes(win) == 10
    assert not win.title_shows_unsaved()
    win.set_tool("pen")
    drag(win.view, [(50, 250), (80, 260), (120, 255)])
    assert win.title_shows_unsaved() and "[*]" in win.windowTitle()


def test_select_click_and_box(win):
    _page_with_ink(win)
    win.set_tool("select")
    click(win.view, point_on(win, 1, 0))
    assert win.view.selected_refs() == [(1, 0)]
    click(win.view, point_on(win, 2, 1), Qt.KeyboardModifier.ShiftModifier)
    assert sorted(win.view.selected_refs()) == [(1, 0), (2, 1)]
    drag(win.view, [(10, 10), (60, 40), (110, 75)])  # box around the first word only
    assert sorted(win.view.selected_refs()) == [(0, 0), (0, 1), (0, 2)]
    click(win.view, (390, 290))
    assert win.view.selected_refs() == []
    assert win.doc.undo_stack.count() == 0  # selecting is not an edit


def test_lasso_selects_enclosed_strokes(win):
    _page_with_ink(win)
    win.set_tool("lasso")
    loop = [(110, 10), (170, 10), (170, 80), (110, 80), (110, 12)]
    drag(win.view, loop)
    assert sorted(win.view.selected_refs()) == [(1, 0), (1, 1), (1, 2)]
    assert win.doc.undo_stack.count() == 0


def test_move_drag_is_one_undo_step(win):
    _page_with_ink(win)
    before = win.view.ink
    win.set_tool("move")
    x, y = point_on(win, 0, 1)
    drag(win.view, [(x, y), (x + 5, y + 5), (x + 10, y + 10), (x + 20, y + 30)])
    after = win.view.ink
    moved = after.words[0].strokes[1].xy - before.words[0].strokes[1].xy
    assert np.allclose(moved, [20, 30], atol=1.0)
    assert win.view.selected_refs() == [(0, 1)]  # the moved stroke stays selected
    assert_undo_redo(win, before, after)


def test_select_tool_drags_selection(win):
    _page_with_ink(win)
    before = win.view.ink
    win.set_tool("lasso")
    drag(win.view, [(10, 10), (80, 10), (80, 80), (10, 80), (10, 12)])
    win.set_tool("select")
    x, y = point_on(win, 0, 0)
    drag(win.view, [(x, y), (x + 15, y), (x + 30, y)])
    after = win.view.ink
    for k in range(3):
        assert np.allclose(after.words[0].strokes[k].xy[:, 0] - before.words[0].strokes[k].xy[:, 0], 30, atol=1)
    assert_undo_redo(win, before, after)


def test_erase_drag_removes_touched_strokes_in_one_step(win):
    _page_with_ink(win)
    before = win.view.ink
    win.set_tool("erase")
    (x0, y0), (x1, y1) = point_on(win, 0, 0), point_on(win, 0, 1)
    drag(win.view, [(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)])
    after = win.view.ink
    assert n_strokes(win) == 8
    assert len(win.view.items_by_stroke) == 8
    assert_undo_redo(win, before, after)


def test_pen_draws_a_timed_stroke(win):
    _page_with_ink(win)
    before = win.view.ink
    win.set_tool("pen")
    drag(win.view, [(50, 250), (60, 255), (80, 262), (120, 255)])
    after = win.view.ink
    s = after.drawings[-1]
    assert len(after.drawings) == 2 and s.time_measured and len(s) >= 3
    assert np.allclose(s.xy[0], [50, 250], atol=1) and np.all(np.diff(s.t) >= 0)
    assert_undo_redo(win, before, after)


def test_pen_colour_is_used_and_remembered(win, monkeypatch):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    _page_with_ink(win)
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#c62828"))
    win.a_pen_color.trigger()
    assert win.view.tool.name == "pen" and win.settings.get("pen_color") == "#c62828"
    drag(win.view, [(50, 250), (70, 255), (90, 250)])
    assert win.view.ink.drawings[-1].color == "#c62828"


def test_pen_works_on_an_unconverted_photo(win, tmp_path):
    pages = win.open_paths([photo_file(tmp_path)])
    assert pages and win.view.ink is None
    win.set_tool("pen")
    drag(win.view, [(30, 30), (60, 60), (90, 70)])
    assert win.view.ink is not None and len(win.view.ink.drawings) == 1
    win.doc.undo_stack.undo()
    assert win.view.ink is None


def test_split_tool(win):
    _page_with_ink(win)
    before = win.view.ink
    win.set_tool("split")
    click(win.view, point_on(win, 2, 1, 6))
    after = win.view.ink
    assert len(after.words[2].strokes) == 4
    assert_undo_redo(win, before, after)


def test_delete_smooth_join_actions(win):
    _page_with_ink(win)
    v, stack = win.view, win.doc.undo_stack
    base = v.ink
    v.select_refs([(1, 0), (1, 2)])
    assert win.a_join.isEnabled()
    win.a_join.trigger()
    assert len(v.ink.words[1].strokes) == 2 and stack.count() == 1
    joined = v.ink
    v.select_refs([(2, 0)])
    win.a_smooth.trigger()
    assert not np.array_equal(v.ink.words[2].strokes[0].xy, joined.words[2].strokes[0].xy)
    smoothed = v.ink
    v.select_refs([(0, 0), (0, 1)])
    win.a_delete.trigger()
    assert len(v.ink.words[0].strokes) == 1 and stack.count() == 3
    stack.undo()
    assert v.ink is smoothed
    stack.undo()
    assert v.ink is joined
    stack.undo()
    assert v.ink is base
    for _ in range(3):
        stack.redo()
    assert len(v.ink.words[0].strokes) == 1


def test_escape_cancels_a_gesture_without_editing(win):
    _page_with_ink(win)
    win.set_tool("erase")
    x, y = point_on(win, 0, 0)
    _send(win.view, QEvent.Type.MouseButtonPress, (x, y), Qt.MouseButton.LeftButton)
    assert sum(1 for it in win.view.stroke_items() if not it.isVisible()) == 1
    win.view.tool.cancel()
    _send(win.view, QEvent.Type.MouseButtonRelease, (x, y), Qt.MouseButton.NoButton)
    assert all(it.isVisible() for it in win.view.stroke_items())
    assert win.doc.undo_stack.count() == 0


def test_zoom_pan_fit_and_colour_modes(win, qtbot):
    _page_with_ink(win)
    v = win.view
    z = v.zoom()
    win.a_zoom_in.trigger()
    assert v.zoom() == pytest.approx(z * 1.25)
    win.a_fit.trigger()
    h0 = v.horizontalScrollBar().value()
    v.set_zoom(4.0)
    h0 = v.horizontalScrollBar().value()
    drag(v, [(200, 150), (150, 150), (100, 150)], button=Qt.MouseButton.MiddleButton)
    assert v.horizontalScrollBar().value() != h0
    assert win.doc.undo_stack.count() == 0
    for mode in ("word", "order", "ink"):
        win.set_color_mode(mode)
        colors = {it.color().name() for it in v.stroke_items()}
        assert (len(colors) > 1) == (mode != "ink")
    win.opacity.setValue(20)
    assert v._photo.opacity() == pytest.approx(0.2)


def test_open_photos_folder_and_bad_file(win, tmp_path, messages):
    photo_file(tmp_path, "a.png")
    photo_file(tmp_path, "b.jpg")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    pages = win.open_paths([tmp_path])
    assert [p.name for p in pages] == ["a", "b"]
    assert win.pages.count() == 2 and not win.pages.item(0).icon().isNull()
    assert any("broken.png" in m for _k, m in messages)
    assert win.doc.undo_stack.count() == 1  # one import = one step
    win.doc.undo_stack.undo()
    assert win.pages.count() == 0


def test_paste_image(win):
    from PySide6.QtGui import QColor, QImage

    img = QImage(64, 48, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    QApplication.clipboard().setImage(img)
    win.paste()
    assert len(win.doc.pages) == 1 and win.doc.pages[0].size == (64, 48)


def test_a_big_page_arrives_in_batches_and_tools_see_every_stroke(win, qtbot):
    from desktop import canvas
    from inference.document.ink import Page

    from .conftest import _word

    words = tuple(_word(20 + (i % 10) * 60, 20 + (i // 10) * 50, f"w{i}", 0.9) for i in range(200))
    ink = Page(700, 1100, words)
    img = np.full((1100, 700, 3), 250, np.uint8)
    win.add_pages([PageDoc(name="big", image=img, photo_image=img, ink=ink)], convert=False)
    assert len(win.view.items_by_stroke) == canvas.ITEMS_PER_TURN and win.view.pending == 600 - canvas.ITEMS_PER_TURN
    qtbot.waitUntil(lambda: win.view.pending == 0, timeout=5000)
    assert len(win.view.items_by_stroke) == 600
    win.doc.undo_stack.undo()
    win.doc.undo_stack.redo()
    assert win.view.pending > 0
    win.view.select_all()  # selection ops and tool presses finish the batches first
    assert len(win.view.selected) == 600


def test_move_and_remove_pages_undoably(win, tmp_path):
    win.open_paths([photo_file(tmp_path, "a.png"), photo_file(tmp_path, "b.png"), photo_file(tmp_path, "c.png")])
    names = lambda: [p.name for p in win.doc.pages]
    win.pages.select_page(win.doc.pages[0].id)
    win.a_page_down.trigger()
    assert names() == ["b", "a", "c"] and win.view.page.name == "a"
    assert win.pages.item(1).text().startswith("2. a")
    win.a_remove_page.trigger()
    assert names() == ["b", "c"]
    win.doc.undo_stack.undo()
    win.doc.undo_stack.undo()
    assert names() == ["a", "b", "c"]
