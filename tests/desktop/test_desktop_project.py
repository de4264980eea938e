"""Save/load projects, export every format off the GUI thread, autosave + recovery after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.document import PageDoc
from desktop.project import read_project

from .conftest import make_ink, photo_file

REPO = Path(__file__).resolve().parents[2]


def _add_converted(win, tmp_path):
    """A photo page plus a converted-looking page (ink + its own page image)."""
    win.open_paths([photo_file(tmp_path)])
    ink = make_ink()
    img = np.full((ink.height, ink.width, 3), 200, np.uint8)
    img[10:20, 10:20] = (255, 0, 0)
    win.add_pages([PageDoc(name="notes", image=img, photo_image=None, ink=ink)], convert=False)
    return ink, img


def test_save_and_load_project_roundtrip(win, tmp_path):
    ink, img = _add_converted(win, tmp_path)
    assert win.title_shows_unsaved()
    path = tmp_path / "book.inklift"
    assert win.save_to(str(path))
    assert not win.title_shows_unsaved() and win.windowTitle().startswith("book.inklift")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        state = json.loads(z.read("project.json"))
    assert state["format"] == "inklift-project" and state["version"] == 1
    assert any(n.startswith("photos/") for n in names) and any(n.endswith(".inkml") for n in names)
    assert sum(n.startswith("images/") for n in names) == 1  # only the converted page stores an image

    win.new_document()
    assert not win.doc.pages
    assert win.open_project(path)
    assert [p.name for p in win.doc.pages] == ["page", "notes"]
    loaded = win.doc.pages[1]
    assert loaded.ink == ink
    assert [w.text for w in loaded.ink.words] == ["alpha", "beta", "gamma"]
    assert np.abs(loaded.image.astype(int) - img).mean() < 2  # stored as JPEG: a photo, not a drawing
    assert win.doc.pages[0].photo_image is not None and win.doc.pages[0].ink is None
    assert not win.title_shows_unsaved()


def test_broken_project_is_a_message(win, tmp_path, messages):
    bad = tmp_path / "bad.inklift"
    bad.write_bytes(b"PK\x03\x04 nope")
    assert not win.open_project(bad)
    assert any("bad.inklift" in m for _k, m in messages)
    assert not any("Traceback" in m for _k, m in messages)


@pytest.mark.parametrize("fmt", ["svg", "inkml", "xopp", "png", "pdf"])
def test_export_each_format(win, qtbot, tmp_path, fmt):
    pytest.importorskip("inference.document.formats", reason="exporters (inference.document.formats) not in this checkout")
    ink, _ = _add_converted(win, tmp_path)
    out = tmp_path / "out"
    with qtbot.waitSignal(win.exportFinished, timeout=30000) as sig:
        win.export(fmt, out, all_pages=True, with_image=True)
    assert sig.args[0] == "done", sig.args
    files = sig.args[1]
    assert [f.name for f in files] == [f"notes.{fmt}"]  # the photo-only page has no ink to export
    data = files[0].read_bytes()
    assert len(data) > 100
    if fmt == "inkml":
        from inference.document.formats.inkml import read_inkml

        assert read_inkml(files[0]) == ink
    elif fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    elif fmt == "pdf":
        assert data[:5] == b"%PDF-"
    elif fmt == "xopp":
        import gzip

        assert b"<xournal" in gzip.decompress(data)
    else:
        assert b"<svg" in data


def test_export_dialog_writes_several_formats_and_remembers_them(win, qtbot, tmp_path):
    pytest.importorskip("inference.document.formats", reason="exporters (inference.document.formats) not in this checkout")
    _add_converted(win, tmp_path)
    win.settings.set("export_dir", str(tmp_path / "exp"))
    seen = []

    def drive(pick):
        dlg = win._export_dialog
        seen.append(dlg.chosen_formats())
        if pick is not None:
            for key, cb in dlg.formats.items():
                cb.setChecked(key in pick)
        dlg.accept()

    QTimer.singleShot(50, lambda: drive({"inkml", "png"}))
    with qtbot.waitSignal(win.exportFinished, timeout=30000) as sig:
        win.export_dialog()
    assert seen == [["svg"]]  # the first export offers SVG
    assert sig.args[0] == "done"
    assert sorted(p.name for p in sig.args[1]) == ["notes.inkml", "notes.png"]
    assert all(p.parent == tmp_path / "exp" and p.stat().st_size > 100 for p in sig.args[1])
    QTimer.singleShot(50, lambda: drive(None))
    with qtbot.waitSignal(win.exportFinished, timeout=30000):
        win.export_dialog()
    assert seen[1] == ["inkml", "png"]  # the next trip starts from the last choice


def test_export_dialog_needs_a_format(win):
    from desktop.export_dialog import ExportDialog

    dlg = ExportDialog(".", True, 1, win, formats=["xopp"])
    assert dlg.ok.isEnabled()
    dlg.formats["xopp"].setChecked(False)
    assert not dlg.ok.isEnabled()


_CHILD = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from desktop.app import create_app
from desktop.mainwindow import MainWindow
from desktop.settings import Settings
app = create_app([])
s = Settings(); s.set("auto_convert", False)
w = MainWindow(s)
w.open_paths([sys.argv[1]])
w.autosaver.saved.connect(lambda p: (print("SAVED", p, flush=True)))
w.autosaver.autosave_now()
app.exec()
"""


def test_autosave_and_recovery_after_kill(qtbot, tmp_path, monkeypatch, messages):
    from desktop.autosave import find_recoverable
    from desktop.mainwindow import MainWindow
    from desktop.settings import Settings
    from inference.document.formats.inkml import write_inkml

    cfg = tmp_path / "cfg"
    monkeypatch.setenv("INKLIFT_CONFIG_DIR", str(cfg))
    ink = make_ink()
    src = write_inkml(ink, tmp_path / "notes.inkml")
    env = dict(os.environ, PYTHONPATH=str(REPO), INKLIFT_CONFIG_DIR=str(cfg))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(src)], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()  # blocks until the autosave landed (or the child died)
        assert line.startswith("SAVED"), child.stderr.read() if child.poll() is not None else line
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    found = find_recoverable()
    assert len(found) == 1 and found[0].pages == 1

    win = MainWindow(Settings())
    qtbot.addWidget(win)

    def click_recover():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        seen["text"] = box.text()
        next(b for b in box.buttons() if b.text() == "Recover").click()

    seen = {}
    QTimer.singleShot(50, click_recover)
    assert win.offer_recovery()
    assert "did not close properly" in seen["text"]
    assert len(win.doc.pages) == 1 and win.doc.pages[0].ink == ink
    assert win.title_shows_unsaved()  # recovered work is unsaved until the user saves it
    assert find_recoverable() == []  # offered once
    win.doc.undo_stack.setClean()
    win.close()
    assert not any((cfg / "recovery").glob("autosave-*.inklift"))  # a clean exit leaves nothing behind


def test_no_recovery_offer_after_clean_exit(win):
    from desktop.autosave import find_recoverable

    assert find_recoverable() == []
    assert not win.offer_recovery()


def test_background_save_keeps_later_edits_marked_unsaved(win, qtbot, tmp_path):
    _add_converted(win, tmp_path)
    path = tmp_path / "bg.inklift"
    with qtbot.waitSignal(win.saveFinished, timeout=30000) as sig:
        win.save_to(str(path), wait=False)
        win.set_tool("pen")  # an edit made while the save runs
        win.view.commit(win.view.ink.__class__(win.view.ink.width, win.view.ink.height), "Clear")
    assert sig.args == ["done"] and path.exists()
    assert win.title_shows_unsaved()  # the file holds the state from when Save was chosen
    pages, _ = read_project(path)
    assert len(pages[1].ink.words) == 3
