"""Settings, About box, camera message, the sample runner, drag-and-drop feedback."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from .conftest import photo_file


def test_settings_live_in_the_test_folder_not_the_users(win):
    from PySide6.QtCore import QSettings

    path = QSettings().fileName()
    assert path.startswith(os.environ["INKLIFT_CONFIG_DIR"]), path


def test_settings_dialog_applies(win):
    from desktop.settings import SettingsDialog

    dlg = SettingsDialog(win.settings, win)
    dlg.autosave.setValue(7)
    dlg.color_mode.setCurrentIndex(dlg.color_mode.findData("order"))
    dlg.accept()
    assert win.settings.get("autosave_minutes") == 7 and win.settings.get("color_mode") == "order"


def test_about_box_lists_licences(win):
    from PySide6.QtWidgets import QPlainTextEdit

    from desktop.about import AboutDialog

    dlg = AboutDialog(win)
    notice = dlg.findChild(QPlainTextEdit, "notice").toPlainText()
    assert "UNIPEN" in notice and "Apache" in notice and "PySide6" in notice
    QTimer.singleShot(0, dlg.accept)
    dlg.exec()


def test_camera_without_support_says_so(win, messages, monkeypatch):
    from desktop import camera

    monkeypatch.setattr(camera, "_multimedia", lambda: None)
    win.camera()
    assert any("Camera support is not installed" in m for _k, m in messages)
    assert not win.doc.pages


def test_drop_files_adds_pages_with_feedback(win, qtbot, tmp_path):
    p = photo_file(tmp_path)
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(p))])
    with warnings.catch_warnings():  # the QPoint constructor is the one PySide6 offers; it is "deprecated"
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, enter)
    assert enter.isAccepted() and win.drop_overlay.isVisible()
    drop = QDropEvent(QPoint(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(win.importFinished, timeout=10000):
        QApplication.sendEvent(win, drop)  # photos decode on a worker thread, then become pages
    assert not win.drop_overlay.isVisible()
    assert [pg.name for pg in win.doc.pages] == ["page"]


def test_recent_files_menu(win, tmp_path):
    p = photo_file(tmp_path)
    win.open_paths([p])
    win._fill_recent()
    assert [a.toolTip() for a in win.recent_menu.actions()] == [str(Path(p).resolve())]


def test_headless_sample_without_engine_writes_files(tmp_path, capsys):
    from desktop.run_sample import run_headless
    from inference.resources import samples_dir

    if not (samples_dir() / "sample.inkml").exists():
        import pytest

        pytest.skip("resources/samples/sample.inkml is not in this checkout yet")
    assert run_headless(tmp_path, use_engine=False) == 0
    out = capsys.readouterr().out
    assert "headless" in out
    for ext in ("svg", "xopp", "inkml"):
        assert (tmp_path / f"sample.{ext}").stat().st_size > 100
