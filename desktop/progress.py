"""Status-bar progress for background jobs: appears only after ~0.5 s (quick jobs never flash it), with a
Cancel button that cancels every visible job."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from .jobs import JobManager

SHOW_AFTER_MS = 500
STAGES = {"load": "reading the photo", "page": "finding the page", "segment": "finding words",
          "derender": "converting words", "check": "checking words", "drawings": "tracing drawings",
          "write": "writing", "export": "exporting", "save": "saving"}


class ProgressWidget(QWidget):
    def __init__(self, managers: list[JobManager], parent=None) -> None:
        super().__init__(parent)
        self.managers = managers
        self.label = QLabel()
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
        j = min(jobs, key=lambda j: j.job_id)
        p = j.progress
        more = f" (+{len(jobs) - 1} queued)" if len(jobs) > 1 else ""
        if p is None:
            self.label.setText(f"{j.label}: starting…{more}")
            self.bar.setRange(0, 0)
        else:
            stage = STAGES.get(p.stage, p.stage)
            finished = p.total > 0 and p.done >= p.total
            if finished:  # the next stage has started but not reported yet
                msg = f"{stage} done, working…"
            else:
                msg = p.message or (f"{stage} {p.done}/{p.total}" if p.total > 0 else stage)
            self.label.setText(f"{j.label}: {msg}{more}")
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
