"""Export dialog (any of SVG, InkML, Xournal++ .xopp, PNG, PDF in one go; current page or all pages, all pages
optionally in one PDF) and the export job, which runs off the GUI thread through inference.document.formats."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
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
           ("xopp", "Xournal++ notebook (.xopp)"), ("png", "PNG image (.png)"),
           ("pdf", "PDF with searchable text (.pdf)")]


@dataclass(frozen=True)
class ExportItem:
    name: str
    ink: Page
    image: np.ndarray | None
    pdf_size_pt: tuple[float, float] | None = None  # a page from a PDF: its PDF exports keep that size

    def page(self) -> Page:
        """The ink with what the exporters read from ``meta`` (the PDF page size)."""
        if self.pdf_size_pt is None:
            return self.ink
        from inference.document.formats.pdf import META_SIZE

        return replace(self.ink, meta={**self.ink.meta, META_SIZE: tuple(self.pdf_size_pt)})


def safe_name(name: str) -> str:
    return re.sub(r"[^\w\-. ]+", "_", name).strip(" .") or "page"


def export_job(items: list[ExportItem], folder: Path, formats: str | list[str], with_image: bool,
               one_pdf: str | None = None):
    """Job factory: writes one file per page and format into ``folder``; returns the written paths. With
    ``one_pdf`` (a file stem) and more than one page, the PDF is one ``<one_pdf>.pdf`` with every page."""
    formats = [formats] if isinstance(formats, str) else list(formats)
    together = one_pdf is not None and len(items) > 1 and "pdf" in formats
    per_page = [f for f in formats if not (together and f == "pdf")]

    def job(token: CancelToken):
        try:
            from inference.document.formats import export_page
        except ImportError:
            raise InkLiftError("Export is not available in this build (inference.document.formats is missing).") from None
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        stems: list[str] = []
        for it in items:
            stem, k = safe_name(it.name), 2
            base = stem
            while stem in stems:
                stem, k = f"{base}-{k}", k + 1
            stems.append(stem)
        total = len(items) * len(per_page) + together
        for i, (it, stem) in enumerate(zip(items, stems)):
            for j, fmt in enumerate(per_page):
                token.raise_if_cancelled()
                n = i * len(per_page) + j
                yield Progress("export", n, total, f"Exporting {it.name} as {fmt.upper()} ({n + 1}/{total})")
                path = folder / f"{stem}.{fmt}"
                export_page(it.page(), path, fmt, image=it.image if with_image else None)
                written.append(path)
        if together:
            from inference.document.formats import atomic_write, pdf_document_bytes

            token.raise_if_cancelled()
            path = folder / f"{safe_name(one_pdf)}.pdf"
            yield Progress("export", total - 1, total, f"Exporting {len(items)} pages as {path.name}")
            data = pdf_document_bytes([it.page() for it in items],
                                      [it.image if with_image else None for it in items], title=one_pdf)
            written.append(atomic_write(path, data))
        yield Progress("export", total, total, "Exported")
        return written

    return job


class ExportDialog(QDialog):
    def __init__(self, folder: str, has_current: bool, pages: int, parent: QWidget | None = None,
                 formats: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(460)
        chosen = set(formats or ["svg"])
        self.formats: dict[str, QCheckBox] = {}
        fmt_box = QVBoxLayout()
        for key, label in FORMATS:
            cb = QCheckBox(label)
            cb.setChecked(key in chosen)
            cb.toggled.connect(self._update_ok)
            self.formats[key] = cb
            fmt_box.addWidget(cb)
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
        self.with_image = QCheckBox("Put the photo behind the ink (SVG, .xopp, PNG, PDF)")
        self.one_pdf = QCheckBox("All pages in one PDF")
        self.one_pdf.setToolTip("One PDF file with a page per notebook page, instead of a PDF per page")
        self.all.toggled.connect(self._update_ok)  # the group untoggles it when "Current page" is chosen
        self.folder = QLineEdit(folder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Formats", fmt_box)
        form.addRow("Pages", scope)
        form.addRow("", self.one_pdf)
        form.addRow("", self.with_image)
        form.addRow("Folder", row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.buttons)
        self._update_ok()

    def _update_ok(self, *_args) -> None:
        self.ok.setEnabled(bool(self.chosen_formats()))
        # only meaningful when several pages go out as PDF
        self.one_pdf.setEnabled(self.formats["pdf"].isChecked() and self.all.isChecked())

    def chosen_formats(self) -> list[str]:
        return [k for k, cb in self.formats.items() if cb.isChecked()]

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder.text())
        if d:
            self.folder.setText(d)

    def choice(self) -> tuple[list[str], bool, Path, bool]:
        """(formats, all pages, folder, photo behind ink); see also ``pdf_in_one_file``."""
        return (self.chosen_formats(), self.all.isChecked(), Path(self.folder.text()).expanduser(),
                self.with_image.isChecked())

    def pdf_in_one_file(self) -> bool:
        return self.one_pdf.isEnabled() and self.one_pdf.isChecked()
