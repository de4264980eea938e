"""Review panel: order, focus, accept, edit text, re-derender and switch to traced (each one undo step)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from desktop.document import PageDoc
from desktop.review import review_order
from inference.document.ink import InkSource, Quad, Word

from .conftest import make_ink
from .test_desktop_jobs import handwriting_photo


def _open(win, ink=None, img=None):
    ink = ink or make_ink()
    if img is None:
        img = np.full((ink.height, ink.width, 3), 250, np.uint8)
    win.add_pages([PageDoc(name="p", image=img, photo_image=img, ink=ink)], convert=False)
    win.review_dock.show()
    win.doc.undo_stack.clear()
    return win.review


def test_words_listed_least_confident_first(win):
    panel = _open(win)
    assert review_order(win.view.ink.words) == [1, 2, 0]
    assert panel.list.count() == 3 and "beta" in panel.list.item(0).text()
    assert panel.summary.text().startswith("3 words · 0 ink to check · 1 text to check · 0 checked")


def test_click_zooms_and_selects_then_accept_moves_on(win):
    panel = _open(win)
    win.view.set_zoom(0.3)
    panel.list.setCurrentRow(0)
    assert win.view.zoom() > 0.3
    visible = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    x0, y0, x1, y1 = win.view.ink.words[1].bounds()
    assert visible.contains(x0, y0) and visible.contains(x1, y1)
    assert sorted(win.view.selected_refs()) == [(1, 0), (1, 1), (1, 2)]
    panel.accept_button.click()
    assert win.view.ink.words[1].reviewed
    assert panel.current_word() == 2  # next least confident unreviewed word
    assert win.doc.undo_stack.count() == 1
    win.doc.undo_stack.undo()
    assert not win.view.ink.words[1].reviewed


def test_edit_text_is_one_step(win):
    panel = _open(win)
    panel.list.setCurrentRow(0)
    panel.text.setText("better")
    panel.text_button.click()
    assert win.view.ink.words[1].text == "better"
    assert win.doc.undo_stack.count() == 1
    win.doc.undo_stack.undo()
    assert win.view.ink.words[1].text == "beta"


def test_rederender_and_traced_with_the_engine(win, qtbot, tmp_path, messages):
    pytest.importorskip("inference.pipeline", reason="inference.pipeline is not in this checkout yet")
    photo = handwriting_photo(tmp_path / "w.png", words=("ink",))
    img = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    from inference.document.ink import Page

    word = Word((make_ink().words[0].strokes[0],), Quad.from_rect(20, 40, w - 20, h - 30), text="ink",
                confidence=0.3)
    panel = _open(win, Page(w, h, (word,)), img)
    panel.list.setCurrentRow(0)
    with qtbot.waitSignal(panel.wordJobFinished, timeout=60000) as sig:
        panel.traced_button.click()  # runs in the engine process; the window stays live
    assert sig.args == ["done"] and not messages, messages
    traced = win.view.ink.words[0]
    assert traced.source == InkSource.TRACER and traced.strokes and traced.text == "ink"
    x0, y0, x1, y1 = traced.bounds()
    assert x0 >= 0 and x1 <= w and y0 >= 0 and y1 <= h  # strokes are back in page coordinates
    panel.text.setText("ink")
    with qtbot.waitSignal(panel.wordJobFinished, timeout=60000) as sig:
        panel.rederender_button.click()
    assert sig.args == ["done"] and not messages, messages
    assert win.view.ink.words[0].strokes
    assert win.doc.undo_stack.count() == 2
    win.doc.undo_stack.undo()
    win.doc.undo_stack.undo()
    assert win.view.ink.words[0] == word


def test_words_to_review_are_outlined_until_accepted(win):
    from dataclasses import replace

    ink = make_ink()
    ink = replace(ink, words=(replace(ink.words[0], needs_review=True), replace(ink.words[1], confidence=0.9),
                              ink.words[2]))
    panel = _open(win, ink)
    assert len(win.view._review_marks) == 1 and win.view._review_marks[0].isVisible()
    win.a_marks.setChecked(False)
    assert not win.view._review_marks[0].isVisible()
    win.a_marks.setChecked(True)
    panel.list.setCurrentRow(0)  # the flagged word comes first
    assert panel.current_word() == 0
    panel.accept_button.click()
    assert win.view._review_marks == []
