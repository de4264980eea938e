"""About box: version, what InkLift is, and the licences/attributions from the repository's NOTICE file."""

from __future__ import annotations

import sys
from pathlib import Path

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from inference import __version__
from inference.resources import resources_dir


def notice_text() -> str:
    for p in (resources_dir().parent / "NOTICE", resources_dir() / "NOTICE"):
        try:
            return Path(p).read_text(encoding="utf-8")
        except OSError:
            continue
    return "The NOTICE file with licences and attributions is missing from this installation."


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About InkLift")
        self.resize(640, 520)
        head = QLabel(
            f"<h2>InkLift {__version__}</h2>"
            "<p>Turns photos of handwritten notes into editable digital ink &mdash; offline, on your computer."
            "</p><p>Licensed under the Apache License 2.0.<br>"
            f"Python {sys.version.split()[0]} &middot; Qt {qVersion()} &middot; PySide6 {PySide6.__version__}</p>"
            "<p><b>Licences and attributions</b></p>")
        head.setWordWrap(True)
        text = QPlainTextEdit(notice_text())
        text.setReadOnly(True)
        text.setObjectName("notice")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(text, 1)
        lay.addWidget(buttons)
