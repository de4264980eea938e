"""Camera capture (QtMultimedia): live preview, shutter, retake, use. QtMultimedia ships in PySide6-Addons;
when it or a camera is missing the user gets a clear message instead."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)


def _multimedia():
    try:
        from PySide6 import QtMultimedia, QtMultimediaWidgets
    except ImportError:
        return None
    return QtMultimedia, QtMultimediaWidgets


def camera_status() -> tuple[bool, str]:
    mm = _multimedia()
    if mm is None:
        return False, ("Camera support is not installed (Qt Multimedia is missing). "
                       "Take the photo with your phone or camera and open it with File ▸ Open instead.")
    if not mm[0].QMediaDevices.videoInputs():
        return False, "No camera was found. Connect a camera, or open a photo with File ▸ Open."
    return True, ""


class CameraDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        QtMultimedia, QtMultimediaWidgets = _multimedia()
        self.setWindowTitle("Take a photo of a page")
        self.resize(800, 640)
        self.image: QImage | None = None
        self.session = QtMultimedia.QMediaCaptureSession(self)
        self.camera = QtMultimedia.QCamera(QtMultimedia.QMediaDevices.defaultVideoInput(), self)
        self.capture = QtMultimedia.QImageCapture(self)
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.capture)
        self.preview = QtMultimediaWidgets.QVideoWidget()
        self.session.setVideoOutput(self.preview)
        self.still = QLabel()
        self.still.setScaledContents(False)
        self.still.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.preview)
        self.stack.addWidget(self.still)
        self.shutter = QPushButton("Take Photo")
        self.retake = QPushButton("Retake")
        self.use = QPushButton("Use Photo")
        cancel = QPushButton("Cancel")
        self.shutter.clicked.connect(self.capture.capture)
        self.retake.clicked.connect(self._retake)
        self.use.clicked.connect(self.accept)
        cancel.clicked.connect(self.reject)
        self.capture.imageCaptured.connect(self._captured)
        self.camera.errorOccurred.connect(lambda _e, msg: QMessageBox.warning(self, "Camera", msg))
        row = QHBoxLayout()
        for b in (self.shutter, self.retake, self.use):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(cancel)
        lay = QVBoxLayout(self)
        lay.addWidget(self.stack, 1)
        lay.addLayout(row)
        self._retake()
        self.camera.start()

    def _captured(self, _id: int, img: QImage) -> None:
        self.image = img
        self.still.setPixmap(QPixmap.fromImage(img).scaled(
            self.stack.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.stack.setCurrentWidget(self.still)
        self.shutter.setEnabled(False)
        self.retake.setEnabled(True)
        self.use.setEnabled(True)

    def _retake(self) -> None:
        self.image = None
        self.stack.setCurrentWidget(self.preview)
        self.shutter.setEnabled(True)
        self.retake.setEnabled(False)
        self.use.setEnabled(False)

    def done(self, r: int) -> None:
        self.camera.stop()
        super().done(r)


def capture_photo(parent: QWidget | None = None) -> QImage | None:
    ok, why = camera_status()
    if not ok:
        QMessageBox.information(parent, "Camera", why)
        return None
    dlg = CameraDialog(parent)
    if dlg.exec() and dlg.image is not None:
        return dlg.image
    return None
