"""Status bar: the message line (StatusNote) and progress for background jobs, which appears only after
~0.5 s (quick jobs never flash it), with a Cancel button that cancels every visible job. Both sit side by
side in the bar's layout and shorten their text to fit, the whole text in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from .jobs import JobManager

SHOW_AFTER_MS = 500
STAGES = {"load": "reading the photo", "page": "finding the page", "segment": "finding words",
          "derender": "converting words", "check": "checking words", "drawings": "tracing drawings",
          "write": "writing", "export": "exporting", "save": "saving", "import": "reading files",
          "word": "converting the word"}


class ElidedLabel(QLabel):
    """One line that shortens itself with "…" to the room it gets; the whole text is in the tooltip."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text if text else "")
        self._elide()

    def full_text(self) -> str:
        return self._full

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(10, self.width())))

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        self._elide()


class StatusNote(ElidedLabel):
    """The status bar's message. Results (a page converted, a file saved) stay until the next message;
    hints go after ``timeout_ms``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.set_full_text(""))

    def show_note(self, text: str, timeout_ms: int = 0) -> None:
        self.set_full_text(text)
        if timeout_ms > 0:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()


class ProgressWidget(QWidget):
    def __init__(self, managers: list[JobManager], parent=None) -> None:
        super().__init__(parent)
        self.managers = managers
        self.label = ElidedLabel()
        self.label.setMinimumWidth(120)
        self.label.setMaximumWidth(360)
        self.label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running conversion or export (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._reveal)
        for m in managers:
            m.changed.connect(self.update_state)
        self.hide()

    def _visible_jobs(self):
        return [j for m in self.managers for j in m.active() if not j.key.startswith("_")]

    def update_state(self) -> None:
        jobs = self._visible_jobs()
        if not jobs:
            self._timer.stop()
            self.hide()
            return
        if not self.isVisible() and not self._timer.isActive():
            self._timer.start(SHOW_AFTER_MS)
        running = [j for j in jobs if j.running]
        j = min(running or jobs, key=lambda j: j.job_id)
        p = j.progress
        waiting = len(jobs) - 1
        # the count first: a shortened label keeps it
        more = f" (+{waiting} waiting)" if waiting else ""
        if p is None:
            self.label.set_full_text(f"{j.label}{more}: starting…")
            self.bar.setRange(0, 0)
        else:
            stage = STAGES.get(p.stage, p.stage)
            finished = p.total > 0 and p.done >= p.total
            if finished:  # the next stage has started but not reported yet
                msg = f"{stage} done, working…"
            else:
                # counts, not the engine's own wording ("decoded 3/10 in this chunk")
                msg = f"{stage} {p.done}/{p.total}" if p.total > 0 else stage
            self.label.set_full_text(f"{j.label}{more}: {msg}")
            if p.total > 0 and not finished:
                self.bar.setRange(0, 1000)
                self.bar.setValue(int(1000 * p.fraction))
            else:
                self.bar.setRange(0, 0)

    def _reveal(self) -> None:
        if self._visible_jobs():
            self.show()

    def cancel(self) -> None:
        for m in self.managers:
            for j in m.active():
                if not j.key.startswith("_"):
                    j.token.cancel()
            m.changed.emit()
