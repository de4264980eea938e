"""Long work is a generator that yields :class:`Progress` and returns its result; callers may cancel.

``run_page`` and every exporter follow the same shape so the CLI prints progress and the GUI drives it
from a worker thread with a Cancel button.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

from .errors import Cancelled

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    stage: str  # short machine-friendly name: "load", "page", "segment", "derender", "write", ...
    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)


Job = Generator[Progress, None, T]


class CancelToken:
    """Thread-safe flag a job checks between units of work (words, pages, files)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled("cancelled")


class LinkedCancelToken(CancelToken):
    """Cancelled by its own :meth:`cancel` (work a job started in threads, stopped when the job ends early)
    or when the caller's token is."""

    def __init__(self, parent: CancelToken | None) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return super().cancelled or (self._parent is not None and self._parent.cancelled)


def run_job(job: Job[T], on_progress: Callable[[Progress], None] | None = None,
            cancel: CancelToken | None = None) -> T:
    """Drive a job to the end, forwarding progress; raises :class:`Cancelled` if ``cancel`` fires."""
    while True:
        if cancel is not None and cancel.cancelled:
            job.close()
            raise Cancelled("cancelled")
        try:
            p = next(job)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(p)
