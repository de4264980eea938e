"""The one document the application edits: an ordered list of pages (photo + page image + ink).

Views observe it through Qt signals; every user edit goes through a QUndoCommand (desktop.commands) that
calls the operations here, so undo/redo and the "unsaved changes" mark come from one QUndoStack.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QUndoStack

from inference.document.ink import Page

from .identity_cache import IdentityCache


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def qimage_from_rgb(arr: np.ndarray) -> QImage:
    arr = np.ascontiguousarray(arr[..., :3], dtype=np.uint8)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


_DISPLAY: IdentityCache[np.ndarray, QImage] = IdentityCache(
    lambda arr: qimage_from_rgb(arr).convertToFormat(QImage.Format.Format_RGB32), 12)


def display_qimage(arr: np.ndarray) -> QImage:
    """The QImage the canvas shows for a page image, in the screen's native 32-bit format so QPixmap
    conversion on the GUI thread is cheap. Thread-safe: workers call it ahead of time (prepare_display)."""
    return _DISPLAY(arr)


prepare_display = display_qimage


def rgb_from_qimage(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


@dataclass
class PageDoc:
    """One page. ``photo`` is the original file's bytes (kept so projects are self-contained); ``image``
    is the picture the ink sits on (the photo until conversion; the engine's flattened page after)."""

    name: str
    photo: bytes | None = None
    photo_ext: str = ".png"
    image: np.ndarray | None = None  # RGB uint8
    ink: Page | None = None
    photo_image: np.ndarray | None = None  # the decoded photo (``image is photo_image`` until converted)
    source_path: str | None = None
    pdf_size_pt: tuple[float, float] | None = None  # a page rendered from a PDF: that page's size, for export
    id: str = field(default_factory=new_id)
    status: str = ""  # transient UI state: "", "queued", "converting", "failed: ...", "cancelled"
    _qimage: QImage | None = field(default=None, repr=False)

    def qimage(self) -> QImage | None:
        if self._qimage is None and self.image is not None:
            self._qimage = display_qimage(self.image)
        return self._qimage

    def set_image(self, image: np.ndarray | None) -> None:
        self.image = image
        self._qimage = None

    @property
    def size(self) -> tuple[int, int]:
        if self.image is not None:
            return int(self.image.shape[1]), int(self.image.shape[0])
        if self.ink is not None:
            return self.ink.width, self.ink.height
        return 0, 0


def load_photo(path: str | Path) -> PageDoc:
    """Read an image file into a page (EXIF orientation applied for display)."""
    from PySide6.QtGui import QImageReader

    from inference.errors import InputError

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"Cannot read {p.name}: {e.strerror or e}") from e
    if not data:  # Qt would call it an unsupported format; say what the command line says
        raise InputError(f"{p.name}: the file is empty (0 bytes)")
    reader = QImageReader(str(p))
    reader.setAutoTransform(True)
    img = reader.read()
    if img.isNull():
        raise InputError(f"{p.name} is not an image InkLift can read ({reader.errorString()}).")
    rgb = rgb_from_qimage(img)
    prepare_display(rgb)  # usually on a worker thread: the GUI thread then only wraps it in a pixmap
    return PageDoc(name=p.stem, photo=data, photo_ext=p.suffix.lower() or ".png",
                   image=rgb, photo_image=rgb, source_path=str(p))


def decode_photo(data: bytes) -> np.ndarray | None:
    """Photo bytes -> RGB (EXIF orientation applied, like the display of a freshly imported photo)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImageReader

    buf = QBuffer()
    buf.setData(QByteArray(data))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buf)
    reader.setAutoTransform(True)
    img = reader.read()
    return None if img.isNull() else rgb_from_qimage(img)


def _stored_image(p: PageDoc) -> np.ndarray | None:
    """The page image a project must keep: none when it is the photo, or the blank paper of an ink file
    (both come back on loading)."""
    if p.image is None or (p.image is p.photo_image and p.photo is not None):
        return None
    if p.photo is None and p.ink is not None and p.image.shape[:2] == (p.ink.height, p.ink.width) \
            and int(p.image.min()) == 255:
        return None
    return p.image


def page_to_record(p: PageDoc):
    from .project import PageRecord

    return PageRecord(p.id, p.name, p.photo, p.photo_ext, _stored_image(p), p.ink, p.pdf_size_pt)


def page_from_loaded(lp) -> PageDoc:
    photo_image = decode_photo(lp.photo) if lp.photo is not None else None
    image = lp.image if lp.image is not None else photo_image
    if image is None and lp.ink is not None:
        image = np.full((lp.ink.height, lp.ink.width, 3), 255, np.uint8)
    return PageDoc(name=lp.name, photo=lp.photo, photo_ext=lp.photo_ext, image=image, ink=lp.ink,
                   photo_image=photo_image, pdf_size_pt=lp.pdf_size_pt, id=lp.id)


def page_from_qimage(img: QImage, name: str) -> PageDoc:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    rgb = rgb_from_qimage(img)
    return PageDoc(name=name, photo=bytes(ba.data()), photo_ext=".png", image=rgb, photo_image=rgb)


class Document(QObject):
    pageInserted = Signal(int)  # index
    pageRemoved = Signal(int, str)  # index, page id
    pageChanged = Signal(str)  # page id: its image or ink changed
    pageMoved = Signal(int, int)  # from index, to index
    modifiedChanged = Signal(bool)
    pathChanged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pages: list[PageDoc] = []
        self.undo_stack = QUndoStack(self)
        # a bound method, not a lambda: Qt drops the connection when the document dies, while the undo
        # stack (its child) still emits cleanChanged on its way out
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.path: str | None = None

    def _clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    # --- queries ----------------------------------------------------------------------------------
    def index_of(self, page_id: str) -> int:
        for i, p in enumerate(self.pages):
            if p.id == page_id:
                return i
        return -1

    def page(self, page_id: str) -> PageDoc | None:
        i = self.index_of(page_id)
        return self.pages[i] if i >= 0 else None

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    # --- operations (called by undo commands) --------------------------------------------------------
    def insert_page(self, index: int, page: PageDoc) -> None:
        index = max(0, min(index, len(self.pages)))
        self.pages.insert(index, page)
        self.pageInserted.emit(index)

    def remove_page(self, page_id: str) -> PageDoc:
        i = self.index_of(page_id)
        page = self.pages.pop(i)
        self.pageRemoved.emit(i, page_id)
        return page

    def move_page(self, src: int, dst: int) -> None:
        if src == dst or not (0 <= src < len(self.pages)) or not (0 <= dst < len(self.pages)):
            return
        self.pages.insert(dst, self.pages.pop(src))
        self.pageMoved.emit(src, dst)

    def set_page_content(self, page_id: str, image: np.ndarray | None, ink: Page | None) -> None:
        p = self.page(page_id)
        if p is None:
            return
        if image is not p.image:
            p.set_image(image)
        p.ink = ink
        self.pageChanged.emit(page_id)

    # --- whole-document ---------------------------------------------------------------------------
    def clear(self) -> None:
        self.undo_stack.clear()
        while self.pages:
            self.remove_page(self.pages[-1].id)
        self.set_path(None)
        self.undo_stack.setClean()

    def set_path(self, path: str | None) -> None:
        self.path = path
        self.pathChanged.emit(path or "")

    def mark_saved(self, path: str | None = None) -> None:
        if path is not None:
            self.set_path(path)
        self.undo_stack.setClean()
