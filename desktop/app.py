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


def install_excepthook() -> None:
    """A bug in a slot must not vanish into a terminal nobody watches, nor kill the window: log it with
    its traceback and tell the user in one sentence."""
    log = logging.getLogger("inklift")
    showing = [False]

    def hook(etype, value, tb) -> None:
        log.error("unexpected error", exc_info=(etype, value, tb))
        if showing[0] or QApplication.instance() is None:
            return
        from PySide6.QtWidgets import QMessageBox

        showing[0] = True
        try:
            QMessageBox.critical(None, "InkLift", f"Something went wrong: {value or etype.__name__}.\n\n"
                                 "Your notebook is still open; save it to be safe. Details are in the log.")
        finally:
            showing[0] = False

    sys.excepthook = hook


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    from .mainwindow import MainWindow

    multiprocessing.freeze_support()  # the engine runs in a spawned child (also in a frozen bundle)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    argv = list(sys.argv if argv is None else argv)
    app = create_app(argv)
    install_excepthook()
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
