"""Review panel: the current page's words, least certain first. Clicking one zooms to it and selects its
ink; the word's text can be edited, its ink redrawn guided by that text, replaced by a tracing of the
photo, or accepted (marked checked). Each action is one undo step.

Two things can be wrong with a word, and each row says which: its *ink* (the engine flagged it because the
strokes do not match the photo well) or its *text* (the recogniser was unsure, so search and exports may
carry a misread word)."""

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
from .edits import misread
from .jobs import JobManager

SOURCES = {"model": "redrawn by the model", "tracer": "traced from the photo", "user": "drawn by you",
           "imported": "imported"}
LEGEND = ("<small>⚠ <b>ink</b>: the strokes may not match the photo · "
          "<b>?</b> <b>text</b>: the word may be misread · ✓ checked.<br>"
          "<i>text %</i>: how sure the handwriting reader is of the word; "
          "<i>ink %</i>: how much of the photo's ink the strokes cover.</small>")


def row_text(w: Word) -> tuple[str, str]:
    """(the row's text, its tooltip) for one word."""
    if w.reviewed:
        mark, why = "✓", "checked"
    elif w.needs_review:
        mark, why = "⚠", "check the ink"
    elif misread(w):
        mark, why = "?", "check the text"
    else:
        mark, why = "·", ""
    fit = "" if w.fidelity is None else f" · ink {w.fidelity:.0%}"
    text = f"{mark} {w.text or '(no text)'} — {why + ' · ' if why else ''}text {w.confidence:.0%}{fit}"
    tip = [f"Text “{w.text}”: the handwriting reader is {w.confidence:.0%} sure of it"
           + (" — it may be misread; fix it above and press Set text." if misread(w) else ".")]
    if w.fidelity is not None:
        tip.append(f"Ink: the strokes cover {w.fidelity:.0%} of the word's ink in the photo"
                   + (" — they may be wrong; try Redraw from text or Trace photo." if w.needs_review else "."))
    tip.append(f"Ink {SOURCES.get(w.source.value, w.source.value)}.")
    return text, "\n".join(tip)


def review_order(words: tuple[Word, ...]) -> list[int]:
    """Unreviewed words first, lowest confidence (then lowest fidelity) first."""
    def key(i: int):
        w = words[i]
        fid = 1.0 if w.fidelity is None else w.fidelity
        return (w.reviewed, not (w.needs_review or misread(w)), min(w.confidence, fid), i)
    return sorted(range(len(words)), key=key)


class ReviewPanel(QWidget):
    error = Signal(str)
    wordJobFinished = Signal(str)  # "done" | "failed" | "dropped"

    def __init__(self, view: InkView, parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.summary = QLabel("No page")
        self.summary.setWordWrap(True)
        self.legend = QLabel(LEGEND)
        self.legend.setWordWrap(True)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._focus_row)
        self.text = QLineEdit()
        self.text.setPlaceholderText("Word text")
        self.text.returnPressed.connect(self.apply_text)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip("Mark the word as checked (Enter in the list)")
        self.accept_button.clicked.connect(self.accept_word)
        self.text_button = QPushButton("Set text")
        self.text_button.setToolTip("Use the text above for this word (search and exports use it)")
        self.text_button.clicked.connect(self.apply_text)
        self.rederender_button = QPushButton("Redraw from text")
        self.rederender_button.setToolTip("Draw the word's ink again with the model, guided by the text above "
                                          "(when the ink is wrong but the text is right)")
        self.rederender_button.clicked.connect(self.rederender)
        self.traced_button = QPushButton("Trace photo")
        self.traced_button.setToolTip("Replace the word's ink with strokes traced along the pen lines in the photo")
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
        lay.addWidget(self.legend)
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
            unsure = sum(1 for w in ink.words if misread(w))
            checked = sum(1 for w in ink.words if w.reviewed)
            self.summary.setText(f"{len(ink.words)} words · {flagged} ink to check · {unsure} text to check · "
                                 f"{checked} checked — least certain first")
            for i in self._order:
                w = ink.words[i]
                text, tip = row_text(w)
                item = QListWidgetItem(text)
                item.setToolTip(tip)
                if w.reviewed:
                    item.setForeground(QBrush(QColor("#9e9e9e")))
                elif w.needs_review:
                    item.setForeground(QBrush(QColor("#e65100")))
                elif misread(w):
                    item.setForeground(QBrush(QColor("#6a1b9a")))
                self.list.addItem(item)
        if focus is not None and ink is not None and focus < len(ink.words):
            # signals still blocked: marking the row again must not zoom the page back to the word on
            # every edit made elsewhere
            self.list.setCurrentRow(self._order.index(focus))
            self.list.blockSignals(False)
            self._load_editor(focus)
        else:
            self.list.blockSignals(False)
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
        self._replace_word(lambda img, w: engine.rederender_word(img, w, text), "Redraw word from text")

    def use_traced(self) -> None:
        self._replace_word(engine.traced_word, "Trace word from photo")

    def keyPressEvent(self, e) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.list.hasFocus():
            self.accept_word()
            return
        super().keyPressEvent(e)
