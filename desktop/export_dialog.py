"""Export dialog (SVG, InkML, Xournal++ .xopp, PNG; current page or all pages) and the export job, which
runs off the GUI thread through inference.document.formats.export_page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from inference.document.ink import Page
from inference.errors import InkLiftError
from inference.jobs import CancelToken, Progress

FORMATS = [("svg", "SVG drawing (.svg)"), ("inkml", "InkML ink (.inkml)"),
           ("xopp", "Xournal++ notebook (.xopp)"), ("png", "PNG image (.png)")]


@dataclass(frozen=True)
class ExportItem:
    name: str
    ink: Page
    image: np.ndarray | None


def safe_name(name: str) -> str:
    return re.sub(r"[^\w\-. ]+", "_", name).strip(" .") or "page"


def export_job(items: list[ExportItem], folder: Path, fmt: str, with_image: bool):
    """Job factory: writes one file per page into ``folder``; returns the written paths."""

    def job(token: CancelToken):
        try:
            from inference.document.formats import export_page
        except ImportError:
            raise InkLiftError("Export is not available in this build (inference.document.formats is missing).") from None
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        used: set[str] = set()
        for i, it in enumerate(items):
            token.raise_if_cancelled()
            yield Progress("export", i, len(items), f"Exporting {it.name} ({i + 1}/{len(items)})")
            stem = safe_name(it.name)
            k = 2
            base = stem
            while stem in used:
                stem, k = f"{base}-{k}", k + 1
            used.add(stem)
            path = folder / f"{stem}.{fmt}"
            export_page(it.ink, path, fmt, image=it.image if with_image else None)
            written.append(path)
        yield Progress("export", len(items), len(items), "Exported")
        return written

    return job


class ExportDialog(QDialog):
    def __init__(self, folder: str, has_current: bool, pages: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(460)
        self.format = QComboBox()
        for key, label in FORMATS:
            self.format.addItem(label, key)
        self.current = QRadioButton("Current page")
        self.all = QRadioButton(f"All pages ({pages})")
        group = QButtonGroup(self)
        group.addButton(self.current)
        group.addButton(self.all)
        (self.current if has_current else self.all).setChecked(True)
        self.current.setEnabled(has_current)
        scope = QHBoxLayout()
        scope.addWidget(self.current)
        scope.addWidget(self.all)
        scope.addStretch(1)
        self.with_image = QCheckBox("Put the photo behind the ink (SVG, .xopp, PNG)")
        self.folder = QLineEdit(folder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Pages", scope)
        form.addRow("", self.with_image)
        form.addRow("Folder", row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.buttons)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder.text())
        if d:
            self.folder.setText(d)

    def choice(self) -> tuple[str, bool, Path, bool]:
        """(format, all pages, folder, photo behind ink)."""
        return (self.format.currentData(), self.all.isChecked(), Path(self.folder.text()).expanduser(),
                self.with_image.isChecked())
