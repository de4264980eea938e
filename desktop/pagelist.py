"""The page list: one row per page with a thumbnail (photo + ink) and its conversion state."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from .canvas import stroke_path
from .document import Document, PageDoc

THUMB = 120


def thumbnail(page: PageDoc, size: int = THUMB) -> QPixmap:
    w, h = page.size
    pm = QPixmap(size, size)
    pm.fill(QColor("#e8eaed"))
    if not (w and h):
        return pm
    s = min((size - 8) / w, (size - 8) / h)
    tw, th = w * s, h * s
    ox, oy = (size - tw) / 2, (size - th) / 2
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.fillRect(int(ox), int(oy), int(tw), int(th), QColor("white"))
    img = page.qimage()
    if img is not None:
        p.setOpacity(0.45 if page.ink is not None else 1.0)
        p.drawImage(int(ox), int(oy), img.scaled(int(tw), int(th), Qt.AspectRatioMode.IgnoreAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation))
        p.setOpacity(1.0)
    if page.ink is not None:
        p.translate(ox, oy)
        p.scale(s, s)
        for st in page.ink.all_strokes():
            pen = QPen(QColor(st.color), max(st.width, 1.2 / s))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawPath(stroke_path(st))
    p.end()
    return pm


class PageList(QListWidget):
    pageSelected = Signal(str)  # page id

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setIconSize(QSize(THUMB, THUMB))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self.setMinimumWidth(THUMB + 40)
        doc.pageInserted.connect(self._inserted)
        doc.pageRemoved.connect(self._removed)
        doc.pageChanged.connect(self.refresh)
        self.currentItemChanged.connect(self._current)

    def _label(self, page: PageDoc) -> str:
        idx = self.doc.index_of(page.id) + 1
        if page.status:
            state = page.status
        elif page.ink is not None:
            n = len(page.ink.words)
            state = f"{n} word{'s' * (n != 1)}"
        else:
            state = "not converted"
        return f"{idx}. {page.name}\n{state}"

    def _inserted(self, index: int) -> None:
        page = self.doc.pages[index]
        item = QListWidgetItem(QIcon(thumbnail(page)), self._label(page))
        item.setData(Qt.ItemDataRole.UserRole, page.id)
        self.insertItem(index, item)
        self._relabel()
        self.setCurrentItem(item)

    def _removed(self, index: int, _page_id: str) -> None:
        self.takeItem(index)
        self._relabel()

    def _relabel(self) -> None:
        for i in range(self.count()):
            it = self.item(i)
            page = self.doc.page(it.data(Qt.ItemDataRole.UserRole))
            if page is not None:
                it.setText(self._label(page))

    def refresh(self, page_id: str, icon: bool = True) -> None:
        i = self.doc.index_of(page_id)
        if i < 0 or i >= self.count():
            return
        page = self.doc.pages[i]
        it = self.item(i)
        it.setText(self._label(page))
        if icon:
            it.setIcon(QIcon(thumbnail(page)))

    def select_page(self, page_id: str) -> None:
        i = self.doc.index_of(page_id)
        if i >= 0:
            self.setCurrentRow(i)

    def current_page_id(self) -> str | None:
        it = self.currentItem()
        return it.data(Qt.ItemDataRole.UserRole) if it is not None else None

    def _current(self, cur, _prev) -> None:
        self.pageSelected.emit(cur.data(Qt.ItemDataRole.UserRole) if cur is not None else "")
