"""Screenshots of InkLift's main states, taken under Xvfb (Debian package ``xvfb``), at a full-size and a
half-screen window.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--photo resources/samples/sample-page.jpg]

Without a display it re-runs itself under ``xvfb-run``. Saves <state>-<width>x<height>.png for the states
empty, converting (one page converting, two queued), page, scroll (two pages in view), search, review and
pen, as small palette PNGs.
Settings go to a throwaway folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SIZES = ((1600, 1000), (683, 768))


def _reexec_under_xvfb() -> int:
    if shutil.which("xvfb-run") is None:
        print("screenshots: no display and xvfb-run not found (apt-get install xvfb)", file=sys.stderr)
        return 2
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv]
    return subprocess.call(cmd, env=dict(os.environ, INKLIFT_UNDER_XVFB="1"))


def _small_png(path: Path) -> None:
    """A 256-colour palette PNG: a screenshot is flat colours, and the repository keeps them."""
    from PIL import Image

    with Image.open(path) as im:
        im.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE,
                                   dither=Image.Dither.NONE).save(path, optimize=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    ap.add_argument("--photo", default=str(REPO / "resources" / "samples" / "sample-page.jpg"))
    ap.add_argument("--timeout", type=float, default=600, help="seconds to wait for the conversions")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("INKLIFT_UNDER_XVFB"):
        return _reexec_under_xvfb()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ["INKLIFT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="inklift-shots-")

    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QGuiApplication, QMouseEvent
    from PySide6.QtWidgets import QApplication

    from desktop.app import create_app
    from desktop.mainwindow import MainWindow
    from desktop.settings import Settings

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    photo = Path(args.photo)
    if not photo.exists():
        print(f"screenshots: {photo} not found", file=sys.stderr)
        return 1
    # three pages of the notebook: the sample photo under three names
    work = Path(tempfile.mkdtemp(prefix="inklift-shots-photos-"))
    photos = []
    for name in ("Monday lecture notes", "Tuesday", "Shopping list and ideas"):
        photos.append(work / f"{name}{photo.suffix}")
        shutil.copy(photo, photos[-1])
    app = create_app([sys.argv[0]])

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(win, state: str) -> None:
        pump(0.4)
        g = win.frameGeometry()
        pm = QGuiApplication.primaryScreen().grabWindow(0, g.x(), g.y(), g.width(), g.height())
        path = out / f"{state}-{win.width()}x{win.height()}.png"
        pm.save(str(path))
        _small_png(path)
        print(f"saved {path} ({path.stat().st_size // 1024} kB)")

    def drag(view, points, tool) -> None:
        def send(kind, pt, buttons, button=Qt.MouseButton.LeftButton):
            pos = QPointF(view.mapFromScene(QPointF(*pt)))
            ev = QMouseEvent(kind, pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), button, buttons,
                             Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(view.viewport(), ev)

        send(QEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton)
        for p in points[1:]:
            send(QEvent.Type.MouseMove, p, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)
        send(QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)

    for w, h in SIZES:
        s = Settings()
        s.q.clear()
        s.set("auto_convert", False)
        win = MainWindow(s)
        win.move(0, 0)
        win.resize(w, h)
        win.show()
        pump(0.8)
        shot(win, "empty")

        win.open_paths(photos)
        win.pages.select_page(win.doc.pages[0].id)
        finished = []
        win.conversionFinished.connect(lambda _pid, outcome, done=finished: done.append(outcome))
        if not win.convert([p.id for p in win.doc.pages]):
            print("screenshots: conversion is not available", file=sys.stderr)
            return 1
        t0 = time.monotonic()
        while not (win.progress.isVisible() and win.doc.pages[0].status.startswith("converting")) \
                and time.monotonic() - t0 < 60:
            pump(0.05)
        pump(1.0)
        shot(win, "converting")
        while len(finished) < len(photos) and time.monotonic() - t0 < args.timeout:
            pump(0.1)
        if finished != ["done"] * len(photos):
            print(f"screenshots: conversions ended with {finished}", file=sys.stderr)
            return 1
        win.pages.select_page(win.doc.pages[0].id)
        win.view.fit()
        shot(win, "page")

        # the pages scroll continuously: the end of page one above the top of page two
        second = win.view.page_items[win.doc.pages[1].id].sceneBoundingRect()
        win.view.centerOn(second.center().x(), second.top())
        shot(win, "scroll")

        # search for the most common recognised word of three letters or more
        texts = Counter(wd.text.casefold().strip(".,;:!?") for p in win.doc.pages for wd in p.ink.words
                        if len(wd.text.strip(".,;:!?")) >= 3)
        query = texts.most_common(1)[0][0] if texts else "the"
        win.a_find.trigger()
        win.search.field.setText(query)
        pump(0.3)
        shot(win, "search")
        win.search.close_bar()

        win.view.fit()
        win.review_dock.show()
        pump(0.3)
        if win.review.list.count():
            win.review.list.setCurrentRow(0)
        shot(win, "review")
        win.review_dock.hide()

        win.pages.select_page(win.doc.pages[0].id)  # the pen draws at page one's coordinates
        win.view.fit()
        ink = win.view.ink
        top = sorted(ink.words, key=lambda wd: (wd.bounds()[1], wd.bounds()[0]))[:3]
        x0, y1 = min(wd.bounds()[0] for wd in top), max(wd.bounds()[3] for wd in top)
        x1, y0 = max(wd.bounds()[2] for wd in top), min(wd.bounds()[1] for wd in top)
        win.tool_actions["highlight"].trigger()
        drag(win.view, [(x0, (y0 + y1) / 2), ((x0 + x1) / 2, (y0 + y1) / 2 + 2), (x1, (y0 + y1) / 2)], "highlight")
        win.tool_actions["pen"].trigger()
        win.color_swatches["#c62828"].trigger()
        win.width_actions[4.5].trigger()
        drag(win.view, [(x0, y1 + 12), ((x0 + x1) / 2, y1 + 16), (x1, y1 + 10)], "pen")
        shot(win, "pen")
        win.doc.undo_stack.setClean()
        win.close()
        pump(0.3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
