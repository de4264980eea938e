"""Undo commands: each one user gesture; each keeps before/after values (ink is immutable, so cheap)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand

from inference.document.ink import Page

from .document import Document, PageDoc


class AddPagesCommand(QUndoCommand):
    def __init__(self, doc: Document, pages: list[PageDoc], index: int | None = None) -> None:
        n = len(pages)
        super().__init__(f"Add {n} page{'s' if n != 1 else ''}")
        self.doc, self.pages = doc, list(pages)
        self.index = len(doc.pages) if index is None else index

    def redo(self) -> None:
        for k, p in enumerate(self.pages):
            self.doc.insert_page(self.index + k, p)

    def undo(self) -> None:
        for p in reversed(self.pages):
            self.doc.remove_page(p.id)


class RemovePageCommand(QUndoCommand):
    def __init__(self, doc: Document, page_id: str) -> None:
        super().__init__("Remove page")
        self.doc, self.page_id = doc, page_id
        self.index = doc.index_of(page_id)
        self.page = doc.pages[self.index]

    def redo(self) -> None:
        self.doc.remove_page(self.page_id)

    def undo(self) -> None:
        self.doc.insert_page(self.index, self.page)


class SetPageCommand(QUndoCommand):
    """Replace a page's ink (and, for a conversion, its page image). Every canvas edit is one of these."""

    def __init__(self, doc: Document, page_id: str, after_ink: Page | None, text: str,
                 after_image: np.ndarray | None = None, change_image: bool = False) -> None:
        super().__init__(text)
        self.doc, self.page_id = doc, page_id
        p = doc.page(page_id)
        assert p is not None
        self.before = (p.image, p.ink)
        self.after = (after_image if change_image else p.image, after_ink)

    def redo(self) -> None:
        self.doc.set_page_content(self.page_id, *self.after)

    def undo(self) -> None:
        self.doc.set_page_content(self.page_id, *self.before)


class MovePageCommand(QUndoCommand):
    def __init__(self, doc: Document, src: int, dst: int) -> None:
        super().__init__("Move page")
        self.doc, self.src, self.dst = doc, src, dst

    def redo(self) -> None:
        self.doc.move_page(self.src, self.dst)

    def undo(self) -> None:
        self.doc.move_page(self.dst, self.src)
