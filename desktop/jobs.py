"""Long work off the GUI thread: a QRunnable drives an inference job (a generator yielding Progress) and
reports back through queued signals. One job per key (a page id, "export"); a newer job for the same key
supersedes the older one, and results of cancelled or superseded jobs are dropped here, in one place."""

from __future__ import annotations

import logging
import queue
import time
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from inference.errors import Cancelled, InkLiftError
from inference.jobs import CancelToken, Progress, run_job

log = logging.getLogger(__name__)

JobFactory = Callable[[CancelToken], Generator[Progress, None, Any]]
_PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress updates per second reach the GUI


class _Signals(QObject):
    """Workers put (job id, kind, payload) on ``queue`` and emit ``posted``; the GUI thread drains it.

    Only plain ints cross the thread boundary as signal arguments: queued signals carrying Python objects
    crashed PySide6 6.12 ("none_dealloc") under load in the GUI benchmark."""

    posted = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()

    def post(self, job_id: int, kind: str, payload: Any = None) -> None:
        self.queue.put((job_id, kind, payload))
        self.posted.emit()


class _Runnable(QRunnable):
    def __init__(self, job_id: int, factory: JobFactory, token: CancelToken, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.job_id, self.factory, self.token, self.signals = job_id, factory, token, signals
        self._last = 0.0

    def _progress(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last >= _PROGRESS_INTERVAL_S or p.done >= p.total:
            self._last = now
            self.signals.post(self.job_id, "progress", p)

    def run(self) -> None:
        self.signals.post(self.job_id, "started")  # out of the queue: the page shows "converting" now
        try:
            if self.token.cancelled:
                raise Cancelled("cancelled")
            result = run_job(self.factory(self.token), self._progress, self.token)
        except Cancelled:
            self.signals.post(self.job_id, "cancelled")
        except InkLiftError as e:
            self.signals.post(self.job_id, "failed", str(e))
        except MemoryError:
            self.signals.post(self.job_id, "failed", "Not enough memory for this page.")
        except Exception as e:  # noqa: BLE001 - a bug must not take the window down; log it for us
            log.error("job %s crashed:\n%s", self.job_id, traceback.format_exc())
            self.signals.post(self.job_id, "failed", f"Unexpected error ({type(e).__name__}): {e}")
        else:
            if self.token.cancelled:
                self.signals.post(self.job_id, "cancelled")
            else:
                self.signals.post(self.job_id, "done", result)


@dataclass
class JobInfo:
    job_id: int
    key: str
    label: str
    token: CancelToken
    on_done: Callable[[Any], None]
    on_error: Callable[[str], None] | None
    progress: Progress | None = None
    started: float = 0.0
    running: bool = False  # picked up by a worker (otherwise waiting in the queue)


class JobManager(QObject):
    """Starts jobs and routes their outcome; emits ``changed`` whenever the set of jobs or progress moves."""

    changed = Signal()
    started = Signal(int, str)  # job id, key: a worker picked the job up
    finished = Signal(int, str, str)  # job id, key, outcome: "done" | "failed" | "cancelled" | "dropped"

    def __init__(self, parent: QObject | None = None, threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, threads))
        self._signals = _Signals(self)
        self._signals.posted.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self._next = 1
        self.jobs: dict[int, JobInfo] = {}
        self.current: dict[str, int] = {}  # key -> newest job id

    def start(self, key: str, factory: JobFactory, on_done: Callable[[Any], None], label: str = "",
              on_error: Callable[[str], None] | None = None) -> int:
        old = self.current.get(key)
        if old is not None and old in self.jobs:
            self.jobs[old].token.cancel()  # superseded
        job_id, self._next = self._next, self._next + 1
        token = CancelToken()
        self.jobs[job_id] = JobInfo(job_id, key, label, token, on_done, on_error, started=time.monotonic())
        self.current[key] = job_id
        self.pool.start(_Runnable(job_id, factory, token, self._signals))
        self.changed.emit()
        return job_id

    def cancel(self, key: str | None = None) -> None:
        """Cancel the jobs for ``key`` (all jobs when None). Their results will be dropped."""
        for info in list(self.jobs.values()):
            if key is None or info.key == key:
                info.token.cancel()
        self.changed.emit()

    def is_busy(self, key: str | None = None) -> bool:
        return any(key is None or i.key == key for i in self.jobs.values() if not i.token.cancelled)

    def active(self) -> list[JobInfo]:
        return [i for i in self.jobs.values() if not i.token.cancelled]

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)

    def _drain(self) -> None:
        handlers = {"started": self._on_started, "progress": self._on_progress, "done": self._on_done,
                    "failed": self._on_failed,
                    "cancelled": lambda job_id, _payload: self._on_cancelled(job_id)}
        while True:
            try:
                job_id, kind, payload = self._signals.queue.get_nowait()
            except queue.Empty:
                return
            handlers[kind](job_id, payload)

    # --- routing ------------------------------------------------------------------------------------
    def _live(self, job_id: int) -> JobInfo | None:
        info = self.jobs.get(job_id)
        if info is None or info.token.cancelled or self.current.get(info.key) != job_id:
            return None
        return info

    def _finish(self, job_id: int, outcome: str) -> None:
        info = self.jobs.pop(job_id, None)
        if info is not None and self.current.get(info.key) == job_id:
            del self.current[info.key]
        self.changed.emit()
        if info is not None:
            self.finished.emit(job_id, info.key, outcome)

    def _on_started(self, job_id: int, _payload) -> None:
        info = self._live(job_id)
        if info is not None:
            info.running = True
            self.changed.emit()
            self.started.emit(job_id, info.key)

    def _on_progress(self, job_id: int, p: Progress) -> None:
        info = self.jobs.get(job_id)
        if info is not None:
            info.progress = p
            self.changed.emit()

    def _on_done(self, job_id: int, result: Any) -> None:
        info = self._live(job_id)
        if info is None:
            self._finish(job_id, "dropped")
            return
        self._finish(job_id, "done")
        info.on_done(result)

    def _on_failed(self, job_id: int, message: str) -> None:
        info = self._live(job_id)
        self._finish(job_id, "failed" if info else "dropped")
        if info is not None and info.on_error is not None:
            info.on_error(message)

    def _on_cancelled(self, job_id: int) -> None:
        self._finish(job_id, "cancelled")
