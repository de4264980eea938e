"""User settings (QSettings) and where user data lives.

``INKLIFT_CONFIG_DIR`` (used by the tests and the screenshot script) moves both the settings and the
recovery folder to a throwaway place, so automated runs never touch a user's real settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

ORG = "InkLift"
APP = "InkLift"
MAX_RECENT = 10

DEFAULTS = {
    "autosave_minutes": 3,
    "threads": 2,
    "layout": "auto",
    "color_mode": "ink",
    "photo_opacity": 0.5,
    "pen_color": "#1a1a1a",
    "pen_width": 2.5,
    "auto_convert": True,
    "recent": [],
    "export_formats": ["svg"],
    "highlight_color": "#fff176",
    "eraser_size": 16,
    "eraser_partial": False,
}


def configure_app(app: QCoreApplication | None = None) -> None:
    """Names + storage for QSettings; honours INKLIFT_CONFIG_DIR."""
    QCoreApplication.setOrganizationName(ORG)
    QCoreApplication.setApplicationName(APP)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    override = os.environ.get("INKLIFT_CONFIG_DIR")
    if override:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, override)


def data_dir() -> Path:
    override = os.environ.get("INKLIFT_CONFIG_DIR")
    if override:
        d = Path(override)
    else:
        d = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    d.mkdir(parents=True, exist_ok=True)
    return d


class Settings:
    """Typed access to the handful of settings InkLift keeps."""

    def __init__(self) -> None:
        self.q = QSettings()

    def get(self, key: str):
        default = DEFAULTS[key]
        v = self.q.value(key, default)
        try:
            if isinstance(default, bool):
                return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")
            if isinstance(default, int):
                return int(v)
            if isinstance(default, float):
                return float(v)
            if isinstance(default, list):
                if v is None or v == "":
                    return []
                return [str(x) for x in (v if isinstance(v, list) else [v])]
        except (TypeError, ValueError):
            return default
        return str(v)

    def set(self, key: str, value) -> None:
        self.q.setValue(key, value)  # QSettings writes back on its own, off the hot path

    def add_recent(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        recent = [p for p in self.get("recent") if p != path]
        recent.insert(0, path)
        self.set("recent", recent[:MAX_RECENT])
        return recent[:MAX_RECENT]


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("InkLift Settings")
        self.settings = settings
        form = QFormLayout()
        self.autosave = QSpinBox(minimum=1, maximum=60, suffix=" min")
        self.autosave.setValue(settings.get("autosave_minutes"))
        self.threads = QSpinBox(minimum=1, maximum=max(1, os.cpu_count() or 1))
        self.threads.setValue(min(settings.get("threads"), self.threads.maximum()))
        self.layout_mode = QComboBox()
        self.layout_mode.addItems(["auto", "page", "line", "word"])  # inference.pipeline.LAYOUTS
        self.layout_mode.setCurrentText(settings.get("layout"))
        self.color_mode = QComboBox()
        self.color_mode.addItem("Ink colour", "ink")
        self.color_mode.addItem("Colour by word", "word")
        self.color_mode.addItem("Colour by stroke order", "order")
        self.color_mode.setCurrentIndex(max(0, self.color_mode.findData(settings.get("color_mode"))))
        self.pen_width = QDoubleSpinBox(minimum=0.5, maximum=20, singleStep=0.5, suffix=" px")
        self.pen_width.setValue(settings.get("pen_width"))
        self.auto_convert = QCheckBox("Convert photos as soon as they are added")
        self.auto_convert.setChecked(settings.get("auto_convert"))
        form.addRow("Autosave every", self.autosave)
        form.addRow("Engine threads", self.threads)
        form.addRow("Page layout", self.layout_mode)
        form.addRow("Show ink as", self.color_mode)
        form.addRow("Pen width", self.pen_width)
        form.addRow("", self.auto_convert)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def accept(self) -> None:
        s = self.settings
        s.set("autosave_minutes", self.autosave.value())
        s.set("threads", self.threads.value())
        s.set("layout", self.layout_mode.currentText())
        s.set("color_mode", self.color_mode.currentData())
        s.set("pen_width", self.pen_width.value())
        s.set("auto_convert", self.auto_convert.isChecked())
        super().accept()
