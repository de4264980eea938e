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


USAGE = """Open photos of handwritten notes, InkML files or .inklift projects in InkLift.

Files named here become pages (a project opens); without a display this prints help only."""


_QT_VALUE_OPTIONS = {"-platform", "-platformpluginpath", "-platformtheme", "-plugin", "-qwindowgeometry",
                     "-qwindowicon", "-qwindowtitle", "-style", "-stylesheet", "-display", "-geometry", "-session"}


def _parse(argv: list[str]):
    """Our options before Qt sees the command line: --help must work without a display."""
    import argparse

    ap = argparse.ArgumentParser(prog="inklift-desktop", description=USAGE,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", metavar="FILE", help="photo, folder, .inkml/.svg or .inklift to open")
    ap.add_argument("--version", action="store_true", help="print the version and exit")
    # Qt's own options (-platform xcb, -style fusion ...) pass through to Qt untouched
    ours, qt, rest = [], [], iter(argv[1:])
    for a in rest:
        if a in _QT_VALUE_OPTIONS:
            qt += [a, next(rest, "")]
        elif a.startswith("-") and not a.startswith("--") and a not in ("-h",):
            qt.append(a)
        else:
            ours.append(a)
    return ap.parse_args(ours), qt


def _no_display() -> bool:
    import os

    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # the engine runs in a spawned child (also in a frozen bundle)
    argv = list(sys.argv if argv is None else argv)
    args, qt_args = _parse(argv)
    if args.version:
        from inference import __version__

        print(f"inklift-desktop {__version__}")
        return 0
    if "-platform" not in qt_args and _no_display():  # Qt would abort (exit 134) with a cryptic line
        print("inklift-desktop: no display found (DISPLAY/WAYLAND_DISPLAY are unset). Run it in a desktop "
              "session, or use the command line tool: inklift convert --help", file=sys.stderr)
        return 2

    from .mainwindow import MainWindow

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app([argv[0], *qt_args])
    install_excepthook()
    win = MainWindow()
    win.show()
    QTimer.singleShot(0, lambda: win.start_up(args.files))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
