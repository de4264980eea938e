"""pytest-qt fixtures for the desktop tests: offscreen Qt, throwaway settings, no modal dialogs."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# settings + recovery files of every test run go to a temp folder, never the user's real ones
os.environ["INKLIFT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="inklift-test-config-")

import numpy as np
import pytest

from inference.document.ink import InkSource, Page, Quad, Stroke, Word


def _word(x0: float, y0: float, text: str, conf: float, n: int = 3) -> Word:
    strokes = []
    for k in range(n):
        t = np.linspace(0, 1, 12)
        xs = x0 + 10 * k + 8 * t
        ys = y0 + 20 * np.sin(np.pi * t) * (1 if k % 2 else -1) + 20
        strokes.append(Stroke(np.column_stack([xs, ys, t * 100]), width=2.0))
    return Word(tuple(strokes), Quad.from_rect(x0 - 2, y0, x0 + 10 * n + 10, y0 + 40), text=text,
                confidence=conf, source=InkSource.MODEL, fidelity=0.8)


def make_ink(width: int = 400, height: int = 300) -> Page:
    """A small deterministic page: three words of three strokes each, plus one drawing."""
    words = (_word(20, 20, "alpha", 0.9), _word(120, 20, "beta", 0.4), _word(220, 20, "gamma", 0.7))
    drawing = Stroke(np.array([[20, 200, 0], [200, 210, 50], [380, 200, 100]], np.float32))
    return Page(width, height, words, (drawing,))


@pytest.fixture
def ink() -> Page:
    return make_ink()


@pytest.fixture(scope="session", autouse=True)
def _configured_app(qapp):
    from desktop.settings import configure_app

    configure_app(qapp)
    yield qapp


@pytest.fixture
def messages(monkeypatch):
    """Record message boxes instead of showing them (a modal box would hang an offscreen test)."""
    from PySide6.QtWidgets import QMessageBox

    seen: list[tuple[str, str]] = []

    def fake(kind, ret):
        def f(_parent, title, text, *a, **k):
            seen.append((kind, f"{title}: {text}"))
            return ret
        return f

    monkeypatch.setattr(QMessageBox, "warning", fake("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "information", fake("information", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "critical", fake("critical", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "question", fake("question", QMessageBox.StandardButton.Discard))
    return seen


@pytest.fixture
def win(qtbot, messages, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from desktop.mainwindow import MainWindow
    from desktop.settings import Settings

    QSettings().clear()
    s = Settings()
    s.set("auto_convert", False)
    w = MainWindow(s)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.convert_jobs.cancel()
    w.io_jobs.cancel()
    w.convert_jobs.wait(5000)
    w.io_jobs.wait(5000)
    w.doc.undo_stack.setClean()
    w.autosaver.remove()


def photo_file(tmp_path, name: str = "page.png", size=(300, 400)):
    """A tiny synthetic 'photo' (paper with a few dark scribbles) written as PNG."""
    import cv2

    h, w = size
    img = np.full((h, w, 3), 235, np.uint8)
    cv2.line(img, (20, 40), (200, 60), (30, 30, 30), 3)
    cv2.circle(img, (250, 200), 30, (30, 30, 30), 3)
    p = tmp_path / name
    cv2.imwrite(str(p), img)
    return p
