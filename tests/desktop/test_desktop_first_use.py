"""What a first-time user hits (issue #17): closing, start-up, scrolling, export, messages, review, search,
pen palette and a half-screen window."""

from __future__ import annotations

import sys

import numpy as np

from inference.ink import Page


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
