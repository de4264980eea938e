"""Review panel: the current page's words, least confident first. Clicking one zooms to it and selects its
ink; the word's text can be edited, the word derendered again with that text, switched to the traced
version, or accepted (marked reviewed). Each action is one undo step."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inference.document.ink import Word
from inference.errors import InkLiftError

from . import edits, engine
from .canvas import InkView
from .jobs import JobManager


def review_order(words: tuple[Word, ...]) -> list[int]:
    """Unreviewed words first, lowest confidence (then lowest fidelity) first."""
    def key(i: int):
        w = words[i]
        fid = 1.0 if w.fidelity is None else w.fidelity
        return (w.reviewed, not w.needs_review, min(w.confidence, fid), i)
    return sorted(range(len(words)), key=key)


class ReviewPanel(QWidget):
    error = Signal(str)
    wordJobFinished = Signal(str)  # "done" | "failed" | "dropped"

    def __init__(self, view: InkView, parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.summary = QLabel("No page")
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._focus_row)
        self.text = QLineEdit()
        self.text.setPlaceholderText("Word text")
        self.text.returnPressed.connect(self.apply_text)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip("Mark the word as checked (Enter in the list)")
        self.accept_button.clicked.connect(self.accept_word)
        self.text_button = QPushButton("Set text")
        self.text_button.clicked.connect(self.apply_text)
        self.rederender_button = QPushButton("Re-derender")
        self.rederender_button.setToolTip("Derender the word again, guided by the text above")
        self.rederender_button.clicked.connect(self.rederender)
        self.traced_button = QPushButton("Use traced")
        self.traced_button.setToolTip("Replace the word's ink with the geometric tracer's version")
        self.traced_button.clicked.connect(self.use_traced)
        row1 = QHBoxLayout()
        row1.addWidget(self.text, 1)
        row1.addWidget(self.text_button)
        row2 = QHBoxLayout()
        row2.addWidget(self.accept_button)
        row2.addWidget(self.rederender_button)
        row2.addWidget(self.traced_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.list, 1)
        lay.addLayout(row1)
        lay.addLayout(row2)
        self.jobs = JobManager(self, threads=1)
        self._order: list[int] = []
        self._focus: int | None = None  # word index shown in the editor
        view.doc.pageChanged.connect(self._on_page_changed)
        self.refresh()

    def _on_page_changed(self, page_id: str) -> None:
        if page_id == self.view.page_id:
            self.refresh()

    # --- list ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        ink = self.view.ink
        focus = self._focus
        self.list.blockSignals(True)
        self.list.clear()
        self._order = []
        if ink is None:
            self.summary.setText("Convert a page to review its words.")
        else:
            self._order = review_order(ink.words)
            flagged = sum(1 for w in ink.words if w.needs_review and not w.reviewed)
            checked = sum(1 for w in ink.words if w.reviewed)
            self.summary.setText(f"{len(ink.words)} words · {flagged} flagged · {checked} checked — "
                                 "least sure first")
            for i in self._order:
                w = ink.words[i]
                mark = "✓" if w.reviewed else ("⚠" if w.needs_review else "·")
                fid = "" if w.fidelity is None else f"  fit {w.fidelity:.0%}"
                item = QListWidgetItem(f"{mark} {w.text or '(no text)'}   {w.confidence:.0%}{fid}  "
                                       f"[{w.source.value}]")
                if w.reviewed:
                    item.setForeground(QBrush(QColor("#9e9e9e")))
                elif w.needs_review:
                    item.setForeground(QBrush(QColor("#e65100")))
                self.list.addItem(item)
        self.list.blockSignals(False)
        if focus is not None and ink is not None and focus < len(ink.words):
            self.list.setCurrentRow(self._order.index(focus))
            self._load_editor(focus)
        else:
            self._focus = None
            self._load_editor(None)

    def _load_editor(self, index: int | None) -> None:
        ink = self.view.ink
        has = index is not None and ink is not None and index < len(ink.words)
        for b in (self.accept_button, self.text_button, self.rederender_button, self.traced_button, self.text):
            b.setEnabled(has)
        self.text.setText(ink.words[index].text if has else "")
        if has:
            self.accept_button.setText("Undo accept" if ink.words[index].reviewed else "Accept")

    def _focus_row(self, row: int) -> None:
        if row < 0 or row >= len(self._order):
            return
        self.focus_word(self._order[row])

    def focus_word(self, index: int) -> None:
        ink = self.view.ink
        if ink is None or index >= len(ink.words):
            return
        self._focus = index
        x0, y0, x1, y1 = ink.words[index].bounds()
        self.view.zoom_to_rect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.view.select_refs(edits.StrokeRef(index, k) for k in range(len(ink.words[index].strokes)))
        self._load_editor(index)

    def current_word(self) -> int | None:
        return self._focus

    # --- actions --------------------------------------------------------------------------------------
    def accept_word(self) -> None:
        i, ink = self._focus, self.view.ink
        if i is None or ink is None:
            return
        w = ink.words[i]
        self.view.commit(edits.mark_reviewed(ink, i, not w.reviewed), "Accept word" if not w.reviewed
                         else "Un-accept word")
        # move on to the next word still to review
        nxt = next((j for j in review_order(self.view.ink.words) if not self.view.ink.words[j].reviewed), None)
        if nxt is not None:
            self.list.setCurrentRow(self._order.index(nxt))

    def apply_text(self) -> None:
        i, ink = self._focus, self.view.ink
        if i is None or ink is None or ink.words[i].text == self.text.text():
            return
        self.view.commit(edits.set_word_text(ink, i, self.text.text()), "Edit word text")

    def _replace_word(self, make, what: str) -> None:
        """Run a per-word engine job in the background; apply its result as one undo step if the page has
        not changed meanwhile (otherwise the result is stale and dropped)."""
        i, ink, page = self._focus, self.view.ink, self.view.page
        if i is None or ink is None or page is None or page.image is None:
            return
        try:
            factory = make(page.image, ink.words[i])
        except InkLiftError as e:
            self.error.emit(str(e))
            return
        page_id = page.id

        def done(new_word) -> None:
            cur = self.view.doc.page(page_id)
            if cur is None or cur.ink is not ink:
                self.error.emit("The page changed while the word was being converted; try again.")
                self.wordJobFinished.emit("dropped")
                return
            if self.view.page_id == page_id:
                self.view.commit(edits.set_word(ink, i, new_word), what)
            else:
                from .commands import SetPageCommand

                self.view.doc.undo_stack.push(SetPageCommand(self.view.doc, page_id,
                                                             edits.set_word(ink, i, new_word), what))
            self.wordJobFinished.emit("done")

        def failed(msg: str) -> None:
            self.error.emit(msg)
            self.wordJobFinished.emit("failed")

        self.jobs.start("word", factory, done, what, on_error=failed)

    def rederender(self) -> None:
        text = self.text.text()
        self._replace_word(lambda img, w: engine.rederender_word(img, w, text), "Re-derender word")

    def use_traced(self) -> None:
        self._replace_word(engine.traced_word, "Use traced ink")

    def keyPressEvent(self, e) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.list.hasFocus():
            self.accept_word()
            return
        super().keyPressEvent(e)
