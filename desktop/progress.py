"""Status-bar progress for background jobs: appears only after ~0.5 s (quick jobs never flash it), with a
Cancel button that cancels every visible job."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .jobs import JobManager

SHOW_AFTER_MS = 500


class ProgressWidget(QWidget):
    def __init__(self, managers: list[JobManager], parent=None) -> None:
        super().__init__(parent)
        self.managers = managers
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running conversion or export (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
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
            msg = p.message or p.stage
            self.label.setText(f"{j.label}: {msg}{more}")
            if p.total > 0:
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
