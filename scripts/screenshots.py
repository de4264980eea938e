"""Screenshots of InkLift's main states, taken under Xvfb (Debian package ``xvfb``).

    .venv/bin/python scripts/screenshots.py [--out reports/screenshots] [--photo resources/samples/sample-page.jpg]

Without a display it re-runs itself under ``xvfb-run``. Saves: 01-empty, 02-converting, 03-converted,
04-lasso, 05-review, 06-export-dialog (.png). Settings go to a throwaway folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _reexec_under_xvfb() -> int:
    if shutil.which("xvfb-run") is None:
        print("screenshots: no display and xvfb-run not found (apt-get install xvfb)", file=sys.stderr)
        return 2
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1440x920x24", sys.executable, *sys.argv]
    return subprocess.call(cmd, env=dict(os.environ, INKLIFT_UNDER_XVFB="1"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "reports" / "screenshots"))
    ap.add_argument("--photo", default=str(REPO / "resources" / "samples" / "sample-page.jpg"))
    ap.add_argument("--timeout", type=float, default=240, help="seconds to wait for the conversion")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("INKLIFT_UNDER_XVFB"):
        return _reexec_under_xvfb()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ["INKLIFT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="inklift-shots-")

    import numpy as np
    from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
    from PySide6.QtGui import QGuiApplication, QMouseEvent
    from PySide6.QtWidgets import QApplication

    from desktop.app import create_app
    from desktop.mainwindow import MainWindow
    from desktop.settings import Settings

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = create_app([sys.argv[0]])
    s = Settings()
    s.set("auto_convert", False)
    win = MainWindow(s)
    win.move(0, 0)
    win.resize(1400, 880)
    win.show()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str, widget=None) -> None:
        pump(0.3)
        w = widget or win
        screen = QGuiApplication.primaryScreen()
        g = w.frameGeometry()
        pm = screen.grabWindow(0, g.x(), g.y(), g.width(), g.height())
        path = out / f"{name}.png"
        pm.save(str(path))
        print(f"saved {path}")

    pump(0.5)
    shot("01-empty")

    photo = Path(args.photo)
    if not photo.exists():
        print(f"screenshots: {photo} not found", file=sys.stderr)
        return 1
    win.open_paths([photo])
    done = {}
    win.conversionFinished.connect(lambda pid, outcome: done.setdefault("outcome", outcome))
    if not win.convert([win.view.page_id]):
        print("screenshots: conversion is not available", file=sys.stderr)
        return 1
    t0 = time.monotonic()
    while not win.progress.isVisible() and time.monotonic() - t0 < 10:
        pump(0.05)
    pump(1.5)
    shot("02-converting")
    while "outcome" not in done and time.monotonic() - t0 < args.timeout:
        pump(0.1)
    if done.get("outcome") != "done":
        print(f"screenshots: conversion ended with {done.get('outcome', 'a timeout')}", file=sys.stderr)
        return 1
    win.view.fit()
    shot("03-converted")

    # lasso around the first line's first few words
    ink = win.view.ink
    words = sorted(ink.words, key=lambda w: (w.bounds()[1], w.bounds()[0]))[:3]
    x0 = min(w.bounds()[0] for w in words) - 12
    y0 = min(w.bounds()[1] for w in words) - 12
    x1 = max(w.bounds()[2] for w in words) + 12
    y1 = max(w.bounds()[3] for w in words) + 12
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 * 1.1, (y1 - y0) / 2 * 1.25
    loop = [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in np.linspace(0, 2 * np.pi * 0.97, 40)]
    win.set_tool("lasso")
    view = win.view

    def send(kind, pt, buttons, button=Qt.MouseButton.LeftButton):
        pos = QPointF(view.mapFromScene(QPointF(*pt)))
        ev = QMouseEvent(kind, pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), button, buttons,
                         Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view.viewport(), ev)

    send(QEvent.Type.MouseButtonPress, loop[0], Qt.MouseButton.LeftButton)
    for p in loop[1:]:
        send(QEvent.Type.MouseMove, p, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)
    # screenshot with the lasso path still visible, then release
    shot("04-lasso-drawing")
    send(QEvent.Type.MouseButtonRelease, loop[-1], Qt.MouseButton.NoButton)
    shot("04-lasso")

    win.review_dock.show()
    pump(0.2)
    if win.review.list.count():
        win.review.list.setCurrentRow(0)
    shot("05-review")
    win.review.list.clearSelection()

    def grab_dialog():
        dlg = win._export_dialog
        pump(0.4)
        g = dlg.frameGeometry()
        screen = QGuiApplication.primaryScreen()
        wg = win.frameGeometry()
        pm = screen.grabWindow(0, wg.x(), wg.y(), wg.width(), wg.height())
        pm.save(str(out / "06-export-dialog.png"))
        print(f"saved {out / '06-export-dialog.png'} (dialog at {g.x()},{g.y()})")
        dlg.reject()

    QTimer.singleShot(300, grab_dialog)
    win.export_dialog()
    win.doc.undo_stack.setClean()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
