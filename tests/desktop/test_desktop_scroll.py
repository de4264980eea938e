"""The notebook as one continuous, vertically scrolling view (issue #17, item 4): the page list follows the
page in view, tools work on the page under the pointer, search and the list scroll to their page."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QApplication

from desktop.document import PageDoc

from .conftest import make_ink
from .test_desktop_canvas import drag
from .test_desktop_first_use import _wheel


def _notebook(win, n: int = 3, size=(400, 300)) -> list[PageDoc]:
    """``n`` pages of ink (page k's first word reads "wordk"), the first in view, fitted."""
    w, h = size
    pages = []
    for k in range(n):
        ink = make_ink(w, h)
        ink = replace(ink, words=(replace(ink.words[0], text=f"word{k + 1}"),) + ink.words[1:])
        img = np.full((h, w, 3), 250, np.uint8)
        pages.append(PageDoc(name=f"page {k + 1}", image=img, photo_image=img, ink=ink))
    win.add_pages(pages, convert=False)
    win.pages.select_page(pages[0].id)
    win.view.fit()
    QApplication.processEvents()  # the window settles (scroll bars appear)
    win.doc.undo_stack.clear()
    return pages


def _scene_rect(win, page: PageDoc) -> QRectF:
    return win.view.page_items[page.id].sceneBoundingRect()


def _visible(win) -> QRectF:
    return win.view.mapToScene(win.view.viewport().rect()).boundingRect()


def _on_page(win, page: PageDoc, x: float, y: float) -> tuple[float, float]:
    p = win.view.page_items[page.id].mapToScene(QPointF(x, y))
    return p.x(), p.y()


def test_pages_are_stacked_top_to_bottom(win):
    first, second, third = _notebook(win)
    r1, r2, r3 = (_scene_rect(win, p) for p in (first, second, third))
    assert r1.topLeft() == QPointF(0, 0)
    assert r1.bottom() < r2.top() < r2.bottom() < r3.top()
    assert win.view.sceneRect().contains(r3)


def test_wheel_scrolls_from_page_one_into_page_two_and_the_list_follows(win, qtbot):
    first, second, _third = _notebook(win)
    win.review_dock.show()
    assert win.view.page_id == first.id and win.pages.current_page_id() == first.id
    bar = win.view.verticalScrollBar()
    for _ in range(40):
        _wheel(win.view, -120, Qt.KeyboardModifier.NoModifier)
        if win.view.page_id != first.id:
            break
    assert win.view.page_id == second.id and win.pages.current_page_id() == second.id
    vis, r2 = _visible(win), _scene_rect(win, second)
    assert vis.intersects(_scene_rect(win, first)) or vis.top() > r2.top()  # scrolled, not jumped
    value = bar.value()
    qtbot.wait(20)
    assert bar.value() == value and win.view.page_id == second.id  # the list following does not scroll back
    rows = [win.review.list.item(i).text() for i in range(win.review.list.count())]
    assert any("word2" in r for r in rows) and not any("word1" in r for r in rows)  # the review panel follows
    for _ in range(40):  # and back up
        _wheel(win.view, 120, Qt.KeyboardModifier.NoModifier)
    assert win.view.page_id == first.id and win.pages.current_page_id() == first.id


def test_clicking_page_three_in_the_list_scrolls_to_it(win, qtbot):
    first, _second, third = _notebook(win)
    item = win.pages.item(2)
    qtbot.mouseClick(win.pages.viewport(), Qt.MouseButton.LeftButton,
                     pos=win.pages.visualItemRect(item).center())
    assert win.view.page_id == third.id
    vis, r3 = _visible(win), _scene_rect(win, third)
    assert vis.contains(r3.center()) and not vis.intersects(_scene_rect(win, first))


def test_pen_stroke_on_page_two_lands_in_page_two_and_undoes_in_one_step(win):
    first, second, _third = _notebook(win)
    win.view.set_zoom(0.6)
    win.view.centerOn(200, _scene_rect(win, second).top())  # the end of page one and the top of page two
    assert win.view.page_id == first.id
    ink1, ink2 = first.ink, second.ink
    win.set_tool("pen")
    drag(win.view, [_on_page(win, second, 40, 60), _on_page(win, second, 120, 70), _on_page(win, second, 200, 65)])
    assert win.doc.undo_stack.count() == 1 and first.ink is ink1
    assert win.view.page_id == second.id and win.pages.current_page_id() == second.id
    new = second.ink.drawings[-1]
    assert len(second.ink.drawings) == len(ink2.drawings) + 1
    assert abs(float(new.xy[0, 0]) - 40) < 2 and abs(float(new.xy[0, 1]) - 60) < 2  # in page two's pixels
    assert id(new) in win.view.page_items[second.id].items_by_stroke
    win.doc.undo_stack.undo()
    assert second.ink is ink2 and first.ink is ink1
    assert len(win.view.page_items[second.id].items_by_stroke) == len(ink2.all_strokes())


def test_eraser_on_page_two_leaves_page_one_alone(win):
    first, second, _third = _notebook(win)
    win.view.set_zoom(1.0)
    win.view.centerOn(200, _scene_rect(win, second).top())
    ink1, ink2 = first.ink, second.ink
    win.set_tool("erase")
    # across page two's long drawing stroke (20,200)-(200,210)-(380,200); page one has the same one
    drag(win.view, [_on_page(win, second, 200, 180), _on_page(win, second, 200, 230)])
    assert first.ink is ink1 and len(second.ink.drawings) == len(ink2.drawings) - 1
    assert win.doc.undo_stack.count() == 1


def test_search_hit_on_page_three_scrolls_there(win, qtbot):
    first, _second, third = _notebook(win)
    win.a_find.trigger()
    qtbot.keyClicks(win.search.field, "word3")
    assert win.search.count.text() == "1 of 1"
    assert win.view.page_id == third.id and win.pages.current_page_id() == third.id
    x0, y0, x1, y1 = third.ink.words[0].quad.bounds()
    assert _visible(win).contains(win.view.page_items[third.id].mapRectToScene(QRectF(x0, y0, x1 - x0, y1 - y0)))
    assert not _visible(win).intersects(_scene_rect(win, first))


def test_review_jump_goes_to_the_word_on_its_page(win):
    _first, second, _third = _notebook(win)
    win.pages.select_page(second.id)
    win.review_dock.show()
    win.review.list.setCurrentRow(0)  # the least certain word: "beta"
    x0, y0, x1, y1 = second.ink.words[1].quad.bounds()
    rect = win.view.page_items[second.id].mapRectToScene(QRectF(x0, y0, x1 - x0, y1 - y0))
    assert _visible(win).contains(rect) and win.view.page_id == second.id
    assert len(win.view.selected) == len(second.ink.words[1].strokes)


def test_a_long_notebook_builds_only_the_pages_near_the_view(win):
    pages = _notebook(win, 20, size=(400, 560))
    items = win.view.page_items
    win.view._realize_near()
    built = [p for p in pages if items[p.id].realized]
    assert pages[0] in built and len(built) < 6
    assert not items[pages[-1].id].items_by_stroke
    win.pages.select_page(pages[-1].id)
    assert win.view.page_id == pages[-1].id
    assert len(items[pages[-1].id].items_by_stroke) == len(pages[-1].ink.all_strokes())
    win.view._realize_near()
    far = items[pages[0].id]  # far above now: its photo and strokes are let go
    assert not far.realized and far.photo_key is None and not far.items_by_stroke


def test_queued_and_converting_pages_say_so_on_the_page(win):
    _first, second, _third = _notebook(win)
    badge = win.view.page_items[second.id].badge
    assert not badge.isVisible()
    second.status = "queued"
    win._status_changed(second.id)
    assert badge.isVisible() and badge.text() == "Queued"
    assert win.pages.item(1).text().endswith("queued")
    second.status = ""
    win.doc.set_page_content(second.id, second.image, second.ink)  # a finished conversion
    assert not badge.isVisible()


def test_lasso_and_move_on_page_two_are_one_step_on_page_two(win):
    first, second, _third = _notebook(win)
    win.view.set_zoom(1.0)
    win.view.centerOn(200, _scene_rect(win, second).top() + 60)
    ink1, ink2 = first.ink, second.ink
    win.set_tool("lasso")
    # a loop round page two's first word (x 18..60, y 20..60); page one has the same word at the same place
    loop = [(10, 12), (70, 12), (70, 70), (10, 70), (10, 13)]
    drag(win.view, [_on_page(win, second, *p) for p in loop])
    assert win.view.page_id == second.id and len(win.view.selected) == 3
    win.set_tool("move")
    x, y = (float(v) for v in ink2.words[0].strokes[0].xy[5])
    drag(win.view, [_on_page(win, second, x, y), _on_page(win, second, x + 30, y + 10)])
    assert win.doc.undo_stack.count() == 1 and first.ink is ink1
    moved = second.ink.words[0].strokes[0].xy
    assert np.allclose(moved[:, :2], ink2.words[0].strokes[0].xy[:, :2] + [30, 10], atol=1.5)
    win.doc.undo_stack.undo()
    assert second.ink is ink2


def test_a_page_above_growing_leaves_the_page_in_view_where_it_is(win):
    first, _second, third = _notebook(win)
    win.pages.select_page(third.id)
    where = win.view.mapFromScene(_scene_rect(win, third).topLeft())
    taller = np.full((600, 400, 3), 250, np.uint8)  # a conversion straightened page one to a taller page
    win.doc.set_page_content(first.id, taller, first.ink)
    assert _scene_rect(win, first).height() == 600
    moved = win.view.mapFromScene(_scene_rect(win, third).topLeft())
    assert abs(moved.y() - where.y()) <= 1 and win.view.page_id == third.id
