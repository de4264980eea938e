"""Entry script of the frozen InkLift (PyInstaller analyses this file, see packaging/inklift.spec).

It dispatches before the GUI is imported, so the desktop code stays untouched:

- ``InkLift --smoke-test [--keep DIR]``  offline end-to-end check (desktop/smoke.py), exit 0 when it passes;
- ``InkLift --cli ARGS...``             the ``inklift`` command-line tool (inference/cli.py);
- ``InkLift --measure-startup``         start the GUI, print seconds from process start to the first exposed
                                        (shown) top-level window, then quit;
- ``InkLift [FILES...]``                the desktop application (desktop/app.py main()).
"""

from __future__ import annotations

import os
import sys
import time

_T_ENTRY = time.time()


def _process_start_epoch() -> float:
    """Wall-clock time the OS started this process (the bootloader), or entry time where unknown."""
    try:  # Linux: field 22 of /proc/self/stat is the start time in clock ticks after boot
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return time.time() - (uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return _T_ENTRY


def _install_startup_probe(timeout_s: float = 60.0) -> None:
    """Print the time to the first shown window and quit, without touching desktop/app.py.

    The probe wraps QApplication.exec: once the event loop runs, it watches for the first Expose event of a
    visible top-level window, lets that frame be processed, prints the timings and quits the app.
    """
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    start = _process_start_epoch()
    original_exec = QApplication.exec

    class Probe(QObject):
        done = False

        def eventFilter(self, obj, event):
            if not self.done and event.type() == QEvent.Type.Expose and getattr(obj, "isExposed", None) \
                    and obj.isExposed():
                self.done = True
                QTimer.singleShot(0, self.report)
            return False

        def report(self) -> None:
            now = time.time()
            title = next((w.windowTitle() for w in QApplication.topLevelWidgets() if w.isVisible()), "?")
            print(f"startup: window shown {now - start:.3f} s after process start "
                  f"({now - _T_ENTRY:.3f} s after Python entry); window {title!r}; "
                  f"platform {QApplication.platformName()}; epoch {now:.3f}", flush=True)
            QApplication.instance().exit(0)

    def exec_with_probe(*_args):  # exec is static in PySide6: drop the instance if called as app.exec()
        app = QApplication.instance()
        probe = Probe(app)
        app.installEventFilter(probe)
        QTimer.singleShot(int(timeout_s * 1000), lambda: (print(
            f"startup: no window shown within {timeout_s:.0f} s", file=sys.stderr, flush=True), app.exit(3)))
        return original_exec()

    QApplication.exec = staticmethod(exec_with_probe)


def main() -> int:
    import multiprocessing

    # A spawned engine child (desktop/engine_process.py) re-runs this executable; it must do its work and
    # exit here, before any dispatch or GUI import (PyInstaller makes this work on Linux and macOS too).
    multiprocessing.freeze_support()
    argv = sys.argv[1:]
    if "--smoke-test" in argv:
        from desktop.smoke import main as smoke

        return smoke([a for a in argv if a != "--smoke-test"])
    if argv[:1] == ["--cli"]:
        from inference.cli import main as cli

        sys.argv = ["inklift", *argv[1:]]
        rc = cli()
        return rc if isinstance(rc, int) else 0
    if "--measure-startup" in argv:
        sys.argv = [sys.argv[0], *[a for a in argv if a != "--measure-startup"]]
        _install_startup_probe()
    from desktop.app import main as app_main

    rc = app_main()
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
