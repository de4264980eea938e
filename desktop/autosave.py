"""Autosave + crash recovery (the Xournal++ way): every few minutes a modified document is written to
``<data dir>/recovery/autosave-<pid>.inklift`` (temp file + atomic rename, off the GUI thread). A clean exit
deletes it; a file whose process is gone on the next start is a crash left-over, offered for recovery."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from .document import Document, page_to_record
from .jobs import JobManager
from .project import write_project
from .settings import data_dir

KEY = "_autosave"  # job key; keys starting with "_" are background chores the progress bar ignores


def recovery_dir() -> Path:
    d = data_dir() / "recovery"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Recoverable:
    path: Path
    saved_at: float
    original: str | None  # the project the user was editing, if it had been saved before
    pages: int


def find_recoverable() -> list[Recoverable]:
    out = []
    for f in sorted(recovery_dir().glob("autosave-*.inklift")):
        try:
            pid = int(f.stem.split("-", 1)[1])
        except ValueError:
            continue
        if _alive(pid):
            continue
        info = {}
        meta = f.with_suffix(".json")
        try:
            info = json.loads(meta.read_text())
        except (OSError, ValueError):
            pass
        out.append(Recoverable(f, f.stat().st_mtime, info.get("original"), int(info.get("pages", 0))))
    return out


def discard(rec: Recoverable) -> None:
    for p in (rec.path, rec.path.with_suffix(".json")):
        try:
            p.unlink()
        except OSError:
            pass


class Autosaver(QObject):
    saved = Signal(str)

    def __init__(self, doc: Document, jobs: JobManager, minutes: float = 3.0, parent=None) -> None:
        super().__init__(parent)
        self.doc, self.jobs = doc, jobs
        self.path = recovery_dir() / f"autosave-{os.getpid()}.inklift"
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.autosave_now)
        self.set_interval(minutes)
        self._saved_index: int | None = None  # undo index of the last autosave
        doc.modifiedChanged.connect(self._on_modified)

    def set_interval(self, minutes: float) -> None:
        self.timer.start(max(1000, int(minutes * 60_000)))

    def _on_modified(self, modified: bool) -> None:
        if not modified:  # saved by the user: the recovery copy is stale
            self.remove()

    def autosave_now(self) -> bool:
        """Start an autosave if the document changed since the last one; True if one was started."""
        idx = self.doc.undo_stack.index()
        if not self.doc.modified or idx == self._saved_index or not self.doc.pages:
            return False
        records = [page_to_record(p) for p in self.doc.pages]
        path, original, n = self.path, self.doc.path, len(records)

        def job(token):
            result = yield from write_project(path, records, 0, token)
            path.with_suffix(".json").write_text(json.dumps({"original": original, "pages": n,
                                                             "time": time.time(), "pid": os.getpid()}))
            return result

        def done(_result) -> None:
            self._saved_index = idx
            self.saved.emit(str(path))

        self.jobs.start(KEY, job, done, "Autosave")
        return True

    def remove(self) -> None:
        self._saved_index = None
        for p in (self.path, self.path.with_suffix(".json")):
            try:
                p.unlink()
            except OSError:
                pass
