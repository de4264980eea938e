"""Entry point ``inklift-desktop``: creates the application, the main window, and offers crash recovery."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from inference.resources import resources_dir

from .settings import configure_app


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    configure_app(app)
    icon = resources_dir() / "icons" / "inklift.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    from .mainwindow import MainWindow

    multiprocessing.freeze_support()  # the engine runs in a spawned child (also in a frozen bundle)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    argv = list(sys.argv if argv is None else argv)
    app = create_app(argv)
    win = MainWindow()
    win.show()
    files = [a for a in argv[1:] if not a.startswith("-")]

    def start() -> None:
        if not win.offer_recovery() and files:
            win.import_paths(files)

    QTimer.singleShot(0, start)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
