"""Entry point ``inklift-desktop``: creates the application, the main window, and offers crash recovery."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from inference.resources import resources_dir

from .settings import configure_app, data_dir


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    configure_app(app)
    icon = resources_dir() / "icons" / "inklift.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def log_file() -> Path:
    return data_dir() / "inklift.log"


def _log_to_file() -> None:
    """A menu-started app has no terminal: errors go to a small rotating file the message can point at."""
    root = logging.getLogger()
    path = log_file()
    if any(isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path for h in root.handlers):
        return
    h = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=1, encoding="utf-8")
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    h.setLevel(logging.WARNING)
    root.addHandler(h)


def error_text(value: BaseException | None, etype: type, notebook_open: bool) -> str:
    what = str(value) or etype.__name__
    keep = "Your notebook is still open; save it to be safe.\n\n" if notebook_open else ""
    return f"Something went wrong: {what}.\n\n{keep}Details were written to {log_file()}."


def _notebook_open() -> bool:
    from PySide6.QtWidgets import QMainWindow

    return any(isinstance(w, QMainWindow) and w.isVisible() for w in QApplication.topLevelWidgets())


def install_excepthook() -> None:
    """A bug in a slot must not vanish into a terminal nobody watches, nor kill the window: log it with
    its traceback (to a file too) and tell the user in one sentence where the details are."""
    log = logging.getLogger("inklift")
    _log_to_file()
    showing = [False]

    def hook(etype, value, tb) -> None:
        log.error("unexpected error", exc_info=(etype, value, tb))
        if showing[0] or QApplication.instance() is None:
            return
        from PySide6.QtWidgets import QMessageBox

        showing[0] = True
        try:
            QMessageBox.critical(None, "InkLift", error_text(value, etype, _notebook_open()))
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
