"""Find (Ctrl+F): every word's recognised text is searchable across the notebook's pages. Hits on
every page are highlighted; Enter / F3 go to the next hit (scrolling to its page), Shift+Enter / Shift+F3 back."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QToolBar, QToolButton

from .canvas import InkView
from .document import Document


class Hit(NamedTuple):
    page_id: str
    word: int  # index into the page's words


def find_words(doc: Document, query: str) -> list[Hit]:
    """Words whose text contains ``query`` (case- and accent-insensitive enough: casefold), in page order."""
    q = query.strip().casefold()
    if not q:
        return []
    return [Hit(p.id, i) for p in doc.pages if p.ink is not None
            for i, w in enumerate(p.ink.words) if q in w.text.casefold()]


def word_rect(doc: Document, hit: Hit) -> QRectF | None:
    p = doc.page(hit.page_id)
    if p is None or p.ink is None or hit.word >= len(p.ink.words):
        return None
    x0, y0, x1, y1 = p.ink.words[hit.word].quad.bounds()
    return QRectF(x0, y0, x1 - x0, y1 - y0)


class SearchBar(QToolBar):
    """The find bar above the page. ``goToPage`` asks the window to show a page (it owns the page list)."""

    goToPage = Signal(str)

    def __init__(self, doc: Document, view: InkView, parent=None) -> None:
        super().__init__("Find", parent)
        self.setObjectName("find-toolbar")
        self.doc, self.view = doc, view
        self.field = QLineEdit()
        self.field.setPlaceholderText("Find words in the notebook")
        self.field.setClearButtonEnabled(True)
        self.field.setMaximumWidth(320)
        self.field.textChanged.connect(self.search)
        self.field.returnPressed.connect(self.next)
        self.count = QLabel("")
        self.count.setMinimumWidth(90)
        self.addWidget(QLabel(" Find "))
        self.addWidget(self.field)
        for text, tip, slot in (("▲", "Previous (Shift+F3)", self.previous), ("▼", "Next (Enter, F3)", self.next),
                                ("✕", "Close (Esc)", self.close_bar)):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            self.addWidget(b)
        self.addWidget(self.count)
        self.field.installEventFilter(self)
        self.hits: list[Hit] = []
        self.current = -1
        doc.pageChanged.connect(self._doc_changed)
        doc.pageRemoved.connect(self._doc_changed)
        self.hide()

    def eventFilter(self, obj, e) -> bool:
        """Esc closes the bar and Shift+Enter goes back while typing; the window's own Esc (Cancel) must not
        take the key first, so the field claims it at the shortcut stage."""
        if obj is self.field and e.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            key, shift = e.key(), bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            back = shift and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if key == Qt.Key.Key_Escape or back:
                e.accept()
                if e.type() == QEvent.Type.KeyPress:
                    self.close_bar() if key == Qt.Key.Key_Escape else self.previous()
                return True
        return super().eventFilter(obj, e)

    def open_bar(self) -> None:
        self.show()
        self.field.setFocus()
        self.field.selectAll()
        self.search(self.field.text())

    def close_bar(self) -> None:
        self.hide()
        self.hits, self.current = [], -1
        self.view.set_search_hits([], None)
        self.view.setFocus()

    def search(self, text: str) -> None:
        self.hits = find_words(self.doc, text)
        # start from the page in view, so a search does not jump away from where the user is
        here = [k for k, h in enumerate(self.hits) if h.page_id == self.view.page_id]
        self.current = here[0] if here else (0 if self.hits else -1)
        self._show()

    def _doc_changed(self, *_args) -> None:
        if self.isVisible() and self.field.text():
            keep = self.hits[self.current] if 0 <= self.current < len(self.hits) else None
            self.hits = find_words(self.doc, self.field.text())
            self.current = self.hits.index(keep) if keep in self.hits else min(self.current, len(self.hits) - 1)
            self._show(move=False)

    def next(self) -> None:
        self._step(1)

    def previous(self) -> None:
        self._step(-1)

    def _step(self, d: int) -> None:
        if not self.hits:
            return
        self.current = (self.current + d) % len(self.hits)
        self._show()

    def _show(self, move: bool = True) -> None:
        n = len(self.hits)
        if not self.field.text().strip():
            self.count.setText("")
        else:
            self.count.setText(f"{self.current + 1} of {n}" if n else "no matches")
        hit = self.hits[self.current] if 0 <= self.current < n else None
        if hit is not None and move and hit.page_id != self.view.page_id:
            self.goToPage.emit(hit.page_id)
        self.refresh_highlights(zoom=move)

    def refresh_highlights(self, zoom: bool = False) -> None:
        """Mark the hits on every page; ``zoom`` shows the current hit when it is on the page in view (the
        window calls this after a page switch)."""
        if not self.isVisible():
            return
        cur = self.hits[self.current] if 0 <= self.current < len(self.hits) else None
        rects = [(h.page_id, r) for h in self.hits if (r := word_rect(self.doc, h)) is not None]
        cur_rect = word_rect(self.doc, cur) if cur is not None else None
        self.view.set_search_hits(rects, (cur.page_id, cur_rect) if cur_rect is not None else None)
        if zoom and cur_rect is not None and cur.page_id == self.view.page_id:
            self.view.zoom_to_rect(cur_rect, highlight=False, max_zoom=1.5)
