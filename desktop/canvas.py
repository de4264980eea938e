"""The ink canvas: a QGraphicsView with the notebook's pages stacked in one scrolling scene, each page's photo
underneath and one item per stroke on top.

The view never edits ink itself: tools compute a new Page with desktop.edits and call :meth:`commit`,
which pushes one SetPageCommand; the view then re-syncs its items from the document (reusing the items of
strokes that did not change, since unchanged strokes are the very same objects).
"""

from __future__ import annotations

import colorsys
import contextlib
import functools

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPixmap,
    QPolygonF,
    QShortcut,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from inference.document.ink import Page, Stroke

from . import edits
from .commands import SetPageCommand
from .document import Document, PageDoc
from .edits import StrokeRef
from .identity_cache import IdentityCache

SELECT_COLOR = QColor("#1e88e5")
PAPER = QColor("#ffffff")
DESK = QColor("#5f6368")
COLOR_MODES = ("ink", "word", "order")
ITEMS_PER_TURN = 150  # stroke items created per event-loop turn when a big page arrives
PAGE_GAP = 40.0  # scene px between two stacked pages


def word_color(i: int) -> QColor:
    h = (i * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.75, 0.78)
    return QColor.fromRgbF(r, g, b)


def order_color(i: int, n: int) -> QColor:
    # blue (first) -> red (last), so the writing order reads at a glance
    f = 0.0 if n <= 1 else i / (n - 1)
    r, g, b = colorsys.hsv_to_rgb(0.66 * (1 - f), 0.85, 0.85)
    return QColor.fromRgbF(r, g, b)


def stroke_path(s: Stroke) -> QPainterPath:
    xy = s.xy
    path = QPainterPath(QPointF(float(xy[0, 0]), float(xy[0, 1])))
    if len(xy) == 1:
        path.lineTo(float(xy[0, 0]) + 0.01, float(xy[0, 1]))
    for x, y in xy[1:].tolist():
        path.lineTo(x, y)
    return path


def points_in_polygon(xy: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd rule, vectorised: which of the (n, 2) points lie inside the (m, 2) polygon."""
    x, y = xy[:, 0:1], xy[:, 1:2]
    x0, y0 = poly[:, 0][None, :], poly[:, 1][None, :]
    x1, y1 = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return (np.count_nonzero(crosses & (x < xi), axis=1) % 2) == 1


def _make_outline(s: Stroke) -> QPainterPath:
    st = QPainterPathStroker()
    st.setCapStyle(Qt.PenCapStyle.RoundCap)
    st.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    st.setWidth(s.width)
    return st.createStroke(stroke_path(s))


_OUTLINES: IdentityCache[Stroke, QPainterPath] = IdentityCache(_make_outline, 60_000)


def outline_path(s: Stroke) -> QPainterPath:
    """The stroke's outline (round caps and joins) as a path to fill.

    Filling a ready outline paints ~3-5x faster than stroking the centre line with a wide pen on every
    repaint (measured: 1,240 strokes, 110-180 ms -> 17-31 ms per repaint). Outlines are cached per Stroke
    object (strokes are immutable) and can be made ahead of time off the GUI thread (precompute_outlines).
    """
    return _OUTLINES(s)


def precompute_outlines(strokes) -> None:
    for s in strokes:
        outline_path(s)


_NO_PEN = QPen(Qt.PenStyle.NoPen)


@functools.lru_cache(maxsize=1024)
def _select_pen() -> QPen:
    pen = QPen(SELECT_COLOR, 1.5)
    pen.setCosmetic(True)  # a thin halo at any zoom makes the selection read as "bolder" without re-stroking
    return pen


HIGHLIGHT_MIN_WIDTH = 8.0


def is_highlight(s: Stroke) -> bool:
    """A highlighter stroke: wide and light. Drawn under the ink (the model has no opacity to blend with)."""
    return s.width >= HIGHLIGHT_MIN_WIDTH and QColor(s.color).lightnessF() >= 0.7


class StrokeItem(QGraphicsPathItem):
    def __init__(self, stroke: Stroke, ref: StrokeRef) -> None:
        super().__init__(outline_path(stroke))
        self.stroke, self.ref = stroke, ref
        self.base_color = QColor(stroke.color)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        # per-item raster cache at the current zoom: scrolling, tool previews and selection changes then
        # blit instead of re-filling ~1,000 outlines (measured 70-125 ms -> 4-6 ms per repaint)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        if is_highlight(stroke):
            self.setZValue(-4)  # over the photo and search marks, under the ink
        self.selected = False

    def set_look(self, color: QColor, selected: bool) -> None:
        self.base_color, self.selected = color, selected
        self.setBrush(QBrush(SELECT_COLOR if selected else color))
        self.setPen(_select_pen() if selected else _NO_PEN)

    def color(self) -> QColor:
        return self.brush().color()


class StatusBadge(QGraphicsSimpleTextItem):
    """A page's conversion state ("Queued", "Converting…") on the page itself, readable at any zoom."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(60)
        font = self.font()
        font.setPointSize(11)
        font.setBold(True)
        self.setFont(font)
        self.setBrush(QBrush(PAPER))
        self.setPos(12, 12)
        self.failed = False
        self.hide()

    def show_status(self, status: str) -> None:
        self.setText(status[:1].upper() + status[1:])
        self.failed = "fail" in status
        self.setVisible(bool(status))

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-8, -4, 8, 4)

    def paint(self, painter, option, widget=None) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(198, 40, 40, 230) if self.failed else QColor(30, 136, 229, 230))
        painter.drawRoundedRect(self.boundingRect(), 6, 6)
        super().paint(painter, option, widget)


class PageItem(QGraphicsRectItem):
    """One page of the stacked notebook: the paper, and the parent of everything drawn on that page (photo,
    stroke items, review and search marks, tool previews), so children use the page's own pixel
    coordinates wherever the page sits in the scene. Photo and strokes are made when the page first comes
    near the viewport (``realized``): a 20-page notebook opens without building every page's items."""

    def __init__(self, page_id: str) -> None:
        super().__init__()
        self.page_id = page_id
        self.setBrush(QBrush(PAPER))
        self.setPen(_NO_PEN)
        self.photo = QGraphicsPixmapItem(self)
        self.photo.setZValue(-10)
        self.photo.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        # the smooth down-scaling of a big photo is the most expensive thing to paint: cache it per zoom
        self.photo.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.photo_key = None
        self.badge = StatusBadge(self)
        self.items_by_stroke: dict[int, StrokeItem] = {}
        self.pending: list = []  # (ref, stroke, order, n) still to get an item, see InkView._add_pending
        self.review_marks: list[QGraphicsPolygonItem] = []
        self.marked_ink: Page | None = None
        self.search_items: list[QGraphicsRectItem] = []
        self.realized = False

    def release(self) -> None:
        """Drop the photo's pixmap (a 12 MP page holds ~48 MB) and the stroke items of a page far out of
        view; they are made again when it comes near."""
        for it in self.items_by_stroke.values():
            self.scene().removeItem(it)
        self.items_by_stroke, self.pending, self.realized = {}, [], False
        self.photo.setPixmap(QPixmap())
        self.photo_key = None


class InkView(QGraphicsView):
    """The notebook's pages stacked top to bottom in one scene (continuous scroll, one zoom for all).

    ``page_id`` is the current page: the one most in view, or the one the pointer last pressed on. Tools,
    selection, the review panel and ``commit`` act on it; ``pageInView`` says when scrolling or a press on
    another page changed it (``set_page`` is the way in from the page list, and scrolls)."""

    selectionChanged = Signal()
    zoomChanged = Signal(float)
    message = Signal(str)  # short status-bar hints from tools
    pageInView = Signal(str)

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)  # a resize keeps the place in view
        self.setBackgroundBrush(QBrush(DESK))
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setMouseTracking(True)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self.page_id: str | None = None
        self.page_items: dict[str, PageItem] = {}
        self.show_review_marks = True
        self.selected: set[int] = set()  # id() of selected Stroke objects (on the current page)
        self.color_mode = "ink"
        self.photo_opacity = 0.5
        self.pen_color = "#1a1a1a"
        self.pen_width = 2.5
        self.highlight_color = "#fff176"
        self.highlight_width = 14.0
        self.eraser_size = 16.0  # screen px
        self.eraser_partial = False
        self.tablet_pressure: float | None = None
        self._highlight = QGraphicsRectItem()
        self._highlight.setZValue(50)
        hp = QPen(QColor("#ff9800"), 2)
        hp.setCosmetic(True)
        self._highlight.setPen(hp)
        self._highlight.setBrush(QBrush(QColor(255, 152, 0, 40)))
        self.scene().addItem(self._highlight)
        self._highlight.hide()
        self.tool = None
        self._gesture = False  # a tool's press..release is under way: the current page must not change
        self._placing = 0  # >0 while the view scrolls itself (set_page, fit, zoom_to_rect)
        self._space = False
        self._panning: QPointF | None = None
        self.fitting = True  # the page follows the window's size until the user zooms
        # realizing pages coming into view waits for the event loop, so a fast scroll does it once
        self._realize_timer = QTimer(self)
        self._realize_timer.setSingleShot(True)
        self._realize_timer.timeout.connect(self._realize_near)
        self._pending_timer = QTimer(self)
        self._pending_timer.setSingleShot(True)
        self._pending_timer.timeout.connect(self._add_pending)
        doc.pageInserted.connect(self._on_page_inserted)
        doc.pageChanged.connect(self._on_page_changed)
        doc.pageRemoved.connect(self._on_page_removed)
        doc.pageMoved.connect(lambda *_: self._layout())
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        for seq, fn in ((QKeySequence.StandardKey.ZoomIn, lambda: self.zoom_by(1.25)),
                        (QKeySequence.StandardKey.ZoomOut, lambda: self.zoom_by(0.8)),
                        ("Ctrl+=", lambda: self.zoom_by(1.25))):
            sc = QShortcut(QKeySequence(seq), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(fn)

    # --- pages --------------------------------------------------------------------------------------
    @property
    def page(self) -> PageDoc | None:
        return self.doc.page(self.page_id) if self.page_id else None

    @property
    def ink(self) -> Page | None:
        p = self.page
        return p.ink if p else None

    @property
    def current_item(self) -> PageItem | None:
        return self.page_items.get(self.page_id) if self.page_id else None

    @property
    def items_by_stroke(self) -> dict[int, StrokeItem]:
        it = self.current_item
        return it.items_by_stroke if it is not None else {}

    @property
    def _photo(self) -> QGraphicsPixmapItem | None:
        it = self.current_item
        return it.photo if it is not None else None

    @property
    def _review_marks(self) -> list:
        it = self.current_item
        return it.review_marks if it is not None else []

    @property
    def _search_items(self) -> list:
        return [s for it in self.page_items.values() for s in it.search_items]

    def _make_current(self, page_id: str | None, announce: bool) -> None:
        if page_id == self.page_id:
            return
        if self.tool is not None:
            self.tool.cancel()
        self.clear_selection()  # a selection lives on one page
        self.page_id = page_id
        if announce and page_id:
            self.pageInView.emit(page_id)

    def set_page(self, page_id: str | None) -> None:
        """Make ``page_id`` the current page and scroll to it (fitted if the view follows the window)."""
        self._make_current(page_id, announce=False)
        item = self.current_item
        if item is None:
            return
        self._realize(item)
        if self.fitting:
            self.fit()
        else:
            with self._self_scroll():
                vis = self._visible_rect()  # the page's top at the window's top, at the zoom chosen
                self.centerOn(vis.center().x(), item.y() - PAGE_GAP / 2 + vis.height() / 2)
        self._realize_timer.start(0)

    def _on_page_inserted(self, index: int) -> None:
        page = self.doc.pages[index]
        item = PageItem(page.id)
        self.scene().addItem(item)
        self.page_items[page.id] = item
        self._layout()
        self._realize_timer.start(0)

    def _on_page_removed(self, _index: int, page_id: str) -> None:
        item = self.page_items.pop(page_id, None)
        if page_id == self.page_id:
            self._make_current(None, announce=False)
        if item is not None:
            self.scene().removeItem(item)
        self._layout()

    def _on_page_changed(self, page_id: str) -> None:
        item = self.page_items.get(page_id)
        if item is None:
            return
        if page_id == self.page_id and self.tool is not None:
            self.tool.cancel()
        self._layout()  # a conversion can change the page's size
        if item.realized:
            self._sync_item(item)
        self.show_status(page_id)

    def show_status(self, page_id: str) -> None:
        """Show the page's conversion state on it (the window calls this when a job queues or starts)."""
        item, page = self.page_items.get(page_id), self.doc.page(page_id)
        if item is not None and page is not None:
            item.badge.show_status(page.status)

    def _layout(self) -> None:
        """Stack the pages top to bottom in document order, a gap between them. The current page stays where
        it is on screen when a page above it changes size (a conversion straightens and crops its photo)."""
        cur = self.current_item
        cur_y = cur.y() if cur is not None else 0.0
        y, wmax, hmax = 0.0, 1, 1
        for p in self.doc.pages:
            item = self.page_items.get(p.id)
            if item is None:
                continue
            w, h = (max(1, v) for v in p.size)
            if item.rect() != QRectF(0, 0, w, h):
                item.setRect(0, 0, w, h)
            if item.pos() != QPointF(0, y):
                item.setPos(0, y)
            y += h + PAGE_GAP
            wmax, hmax = max(wmax, w), max(hmax, h)
        if not self.page_items:
            self.setSceneRect(QRectF(0, 0, 1, 1))
            return
        m = 0.05 * max(wmax, hmax)
        self.setSceneRect(QRectF(-m, -m, wmax + 2 * m, y - PAGE_GAP + 2 * m))
        if cur is not None and cur.y() != cur_y:
            with self._self_scroll():
                bar = self.verticalScrollBar()
                bar.setValue(bar.value() + round((cur.y() - cur_y) * self.zoom()))

    def _ordered_items(self) -> list[PageItem]:
        return [self.page_items[p.id] for p in self.doc.pages if p.id in self.page_items]

    def page_at(self, scene_pos: QPointF) -> PageItem | None:
        """The page under a scene point, or the nearest one above or below it (the gap between pages)."""
        best, best_d = None, None
        for item in self._ordered_items():
            r = item.sceneBoundingRect()
            d = max(r.top() - scene_pos.y(), scene_pos.y() - r.bottom(), 0.0)
            if best_d is None or d < best_d:
                best, best_d = item, d
        return best

    def _visible_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def _scrolled(self, *_args) -> None:
        """Scrolling makes the page that fills most of the view the current one (the page list follows)."""
        self._realize_timer.start(0)
        if self._placing or self._gesture or not self.page_items:
            return
        vis = self._visible_rect()

        def shown(item: PageItem) -> float:
            r = item.sceneBoundingRect()
            return max(0.0, min(vis.bottom(), r.bottom()) - max(vis.top(), r.top()))

        best = max(self._ordered_items(), key=shown)  # the first of equals: max keeps the earliest
        cur = self.current_item
        if cur is None or shown(best) > shown(cur):
            self._make_current(best.page_id, announce=True)
            self._realize(best)

    @contextlib.contextmanager
    def _self_scroll(self):
        """The view scrolls itself (to a page, a word, a fit): that does not change the current page."""
        self._placing += 1
        try:
            yield
        finally:
            self._placing -= 1

    def _realize_near(self) -> None:
        """Build the items of pages within a screen of the view; release those of pages far from it."""
        vis = self._visible_rect()
        near = vis.adjusted(0, -vis.height(), 0, vis.height())
        far = vis.adjusted(0, -3 * vis.height(), 0, 3 * vis.height())
        for item in self._ordered_items():
            r = item.sceneBoundingRect()
            if r.intersects(near):
                self._realize(item)
            elif item.realized and not r.intersects(far) and item is not self.current_item:
                item.release()

    def _realize(self, item: PageItem) -> None:
        if not item.realized:
            item.realized = True
            self._sync_item(item)

    def sync(self) -> None:
        """Bring every built page's items in line with the document (reusing items of unchanged strokes)."""
        for item in self.page_items.values():
            if item.realized:
                self._sync_item(item)

    def _sync_item(self, item: PageItem) -> None:
        page = self.doc.page(item.page_id)
        if page is None:
            return
        img = page.qimage()
        key = (id(page), id(page.image))
        if key != item.photo_key:
            item.photo.setPixmap(QPixmap.fromImage(img) if img is not None else QPixmap())
            item.photo_key = key
        item.photo.setOpacity(self.photo_opacity)
        ink = page.ink
        self._sync_review_marks(item, ink)
        alive: dict[int, StrokeItem] = {}
        pending: list = []
        created = 0
        if ink is not None:
            refs = list(edits.iter_refs(ink))
            n = len(refs)
            for order, (ref, s) in enumerate(refs):
                it = item.items_by_stroke.pop(id(s), None)
                if it is None:
                    if created >= ITEMS_PER_TURN:
                        pending.append((ref, s, order, n))
                        continue
                    it = StrokeItem(s, ref)
                    it.setParentItem(item)
                    created += 1
                it.ref = ref
                it.setPos(0, 0)
                it.setVisible(True)
                alive[id(s)] = it
                it.set_look(self._color_for(ref, s, order, n), id(s) in self.selected)
        for it in item.items_by_stroke.values():
            self.scene().removeItem(it)
        item.items_by_stroke = alive
        item.pending = pending
        if pending:
            self._pending_timer.start(0)
        if item is self.current_item:
            before = len(self.selected)
            self.selected &= set(alive)
            if len(self.selected) != before:
                self.selectionChanged.emit()

    def _sync_review_marks(self, item: PageItem, ink: Page | None) -> None:
        """Boxes around the words to check (not yet accepted): dashed orange where the ink may not match the
        photo, dotted purple where the text may be misread."""
        if ink is item.marked_ink:
            return
        item.marked_ink = ink
        for it in item.review_marks:
            self.scene().removeItem(it)
        item.review_marks = []
        if ink is None:
            return
        ink_pen = QPen(QColor("#ef6c00"), 1.5, Qt.PenStyle.DashLine)
        text_pen = QPen(QColor("#8e24aa"), 1.5, Qt.PenStyle.DotLine)  # the text may be misread
        for pen in (ink_pen, text_pen):
            pen.setCosmetic(True)
        for w in ink.words:
            if (w.needs_review and not w.reviewed) or edits.misread(w):
                it = QGraphicsPolygonItem(QPolygonF([QPointF(x, y) for x, y in w.quad.corners]), item)
                it.setPen(ink_pen if w.needs_review else text_pen)
                it.setZValue(40)
                it.setVisible(self.show_review_marks)
                item.review_marks.append(it)

    def set_show_review_marks(self, on: bool) -> None:
        self.show_review_marks = on
        for item in self.page_items.values():
            for it in item.review_marks:
                it.setVisible(on)

    def _add_pending(self, item: PageItem | None = None, everything: bool = False) -> None:
        """Add the next batch of a big page's stroke items (the current page's first). A 1,000-stroke
        conversion arrives in a few event-loop turns (each painted at once) instead of one long freeze."""
        if item is None:
            item = next((it for it in (self.current_item, *self.page_items.values())
                         if it is not None and it.pending), None)
            if item is None:
                return
        batch = item.pending if everything else item.pending[:ITEMS_PER_TURN]
        item.pending = [] if everything else item.pending[ITEMS_PER_TURN:]
        for ref, s, order, n in batch:
            it = StrokeItem(s, ref)
            it.setParentItem(item)
            item.items_by_stroke[id(s)] = it
            it.set_look(self._color_for(ref, s, order, n), False)
        if any(it.pending for it in self.page_items.values()):
            self._pending_timer.start(0)

    def flush_pending(self) -> None:
        """Make every stroke item of the current page exist now (tools call this before hit-testing)."""
        item = self.current_item
        if item is not None:
            self._realize(item)
            if item.pending:
                self._add_pending(item, everything=True)

    @property
    def pending(self) -> int:
        it = self.current_item
        return len(it.pending) if it is not None else 0

    def _color_for(self, ref: StrokeRef, s: Stroke, order: int, n: int) -> QColor:
        if self.color_mode == "word":
            return QColor("#455a64") if ref.word == edits.DRAWINGS else word_color(ref.word)
        if self.color_mode == "order":
            return order_color(order, n)
        return QColor(s.color)

    def set_color_mode(self, mode: str) -> None:
        self.color_mode = mode if mode in COLOR_MODES else "ink"
        self.sync()

    def set_photo_opacity(self, value: float) -> None:
        self.photo_opacity = max(0.0, min(1.0, value))
        for item in self.page_items.values():
            item.photo.setOpacity(self.photo_opacity)

    # --- selection (on the current page) -----------------------------------------------------------------
    def stroke_items(self) -> list[StrokeItem]:
        return list(self.items_by_stroke.values())

    def selected_refs(self) -> list[StrokeRef]:
        return [it.ref for k, it in self.items_by_stroke.items() if k in self.selected]

    def set_selection(self, keys) -> None:
        items = self.items_by_stroke
        keys = set(keys) & set(items)
        if keys == self.selected:
            return
        changed = keys ^ self.selected
        self.selected = keys
        for k in changed:
            it = items[k]
            it.set_look(it.base_color, k in keys)
        self.selectionChanged.emit()

    def select_refs(self, refs) -> None:
        self.flush_pending()
        refs = set(refs)
        self.set_selection(k for k, it in self.items_by_stroke.items() if it.ref in refs)

    def select_all(self) -> None:
        self.flush_pending()
        self.set_selection(self.items_by_stroke)

    def clear_selection(self) -> None:
        self.set_selection(())

    def strokes_in(self, rect: QRectF) -> list[StrokeItem]:
        """The current page's visible stroke items whose bounds meet ``rect`` (page coordinates)."""
        item = self.current_item
        if item is None:
            return []
        return [it for it in self.scene().items(item.mapRectToScene(rect))
                if isinstance(it, StrokeItem) and it.parentItem() is item and it.isVisible()]

    def add_preview(self, preview: QGraphicsItem) -> None:
        """Put a tool's temporary item (box, lasso, pen trail) on the current page, in its coordinates."""
        preview.setParentItem(self.current_item)
        if preview.scene() is None:
            self.scene().addItem(preview)

    def stroke_at(self, pos: QPointF, tolerance_px: float = 6.0) -> StrokeItem | None:
        """The stroke whose centre line passes nearest to ``pos`` (within a few screen pixels)."""
        tol = tolerance_px / max(self.transform().m11(), 1e-6)
        best, best_d = None, None
        for it in self.strokes_in(QRectF(pos.x() - tol, pos.y() - tol, 2 * tol, 2 * tol)):
            _, d = edits.nearest_point(it.stroke, pos.x() - it.pos().x(), pos.y() - it.pos().y())
            d -= it.stroke.width / 2
            if d <= tol and (best_d is None or d < best_d):
                best, best_d = it, d
        return best

    def items_in_polygon(self, poly: np.ndarray, fraction: float = 0.5) -> list[StrokeItem]:
        """Strokes with at least ``fraction`` of their points inside the polygon (lasso semantics)."""
        if len(poly) < 3:
            return []
        x0, y0 = poly.min(axis=0)
        x1, y1 = poly.max(axis=0)
        return [it for it in self.strokes_in(QRectF(x0, y0, x1 - x0, y1 - y0))
                if points_in_polygon(it.stroke.xy.astype(np.float64), poly).mean() >= fraction]

    # --- editing --------------------------------------------------------------------------------------
    def commit(self, new_ink: Page, text: str, select: list[StrokeRef] | None = None) -> None:
        page = self.page
        if page is None or new_ink is page.ink:
            return
        self.doc.undo_stack.push(SetPageCommand(self.doc, page.id, new_ink, text))
        if select is not None:
            self.select_refs(select)

    def ensure_ink(self) -> Page | None:
        """The page's ink, or an empty Page of the photo's size (so the pen works before conversion)."""
        page = self.page
        if page is None:
            return None
        if page.ink is not None:
            return page.ink
        w, h = page.size
        return Page(width=max(1, w), height=max(1, h)) if w and h else None

    def delete_selection(self) -> None:
        refs = self.selected_refs()
        ink = self.ink
        if refs and ink is not None:
            self.selected.clear()
            self.commit(edits.remove_strokes(ink, refs), f"Delete {len(refs)} stroke{'s' * (len(refs) > 1)}")
            self.selectionChanged.emit()

    def smooth_selection(self) -> None:
        refs = self.selected_refs()
        ink = self.ink
        if refs and ink is not None:
            self.commit(edits.smooth_strokes(ink, refs), "Smooth strokes", select=refs)

    def join_selection(self) -> None:
        refs = self.selected_refs()
        ink = self.ink
        if len(refs) != 2 or ink is None:
            self.message.emit("Select exactly two strokes to join them.")
            return
        a, b = sorted(refs)
        new = edits.join_strokes(ink, a, b)
        self.commit(new, "Join strokes", select=[a])

    # --- view ---------------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def _zoomed(self) -> None:
        self.zoomChanged.emit(self.zoom())
        self._realize_timer.start(0)  # zooming out brings more pages into view

    def zoom_by(self, f: float) -> None:
        z = self.zoom() * f
        if 0.02 <= z <= 40:
            self.fitting = False
            self.scale(f, f)
            self._zoomed()

    def set_zoom(self, z: float) -> None:
        self.fitting = False
        self.resetTransform()
        self.scale(z, z)
        self._zoomed()

    def fit(self) -> None:
        """The whole current page in the window (its neighbours show above and below when there is room)."""
        self.fitting = True
        item = self.current_item
        if item is None:
            return
        with self._self_scroll():
            self.fitInView(item.sceneBoundingRect().adjusted(-10, -10, 10, 10), Qt.AspectRatioMode.KeepAspectRatio)
        self._zoomed()

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        item = self.current_item
        if self.fitting and item is not None:
            # a window snapped to half the screen still shows the whole page; scrolled part-way to the
            # next page, it stays at that place
            vis = self._visible_rect()
            whole = vis.contains(item.sceneBoundingRect())
            self.fit()
            if not whole:
                with self._self_scroll():
                    self.centerOn(vis.center())
        self._realize_timer.start(0)

    def zoom_to_rect(self, rect: QRectF, highlight: bool = True, max_zoom: float = 2.0) -> None:
        """Show ``rect`` (current page coordinates) with its surroundings (a few word-heights of context),
        never zoomed past max_zoom."""
        item = self.current_item
        if item is None:
            return
        rect = item.mapRectToScene(rect)
        pad_x = max(rect.width() * 0.5, rect.height() * 4, 60)
        pad_y = max(rect.height() * 2, 40)
        self.fitting = False
        with self._self_scroll():
            self.fitInView(rect.adjusted(-pad_x, -pad_y, pad_x, pad_y), Qt.AspectRatioMode.KeepAspectRatio)
            if self.zoom() > max_zoom:
                self.resetTransform()
                self.scale(max_zoom, max_zoom)
                self.centerOn(rect.center())
        self._zoomed()
        if highlight:
            self._highlight.setRect(rect.adjusted(-4, -4, 4, 4))
            self._highlight.show()

    def clear_highlight(self) -> None:
        self._highlight.hide()

    def set_search_hits(self, hits: list[tuple[str, QRectF]], current: tuple[str, QRectF] | None) -> None:
        """Marker-yellow boxes under the words found on every page (the current hit orange), above the
        photo. ``hits`` and ``current`` are (page id, rectangle in that page's coordinates)."""
        for item in self.page_items.values():
            for it in item.search_items:
                self.scene().removeItem(it)
            item.search_items = []
        for page_id, r in hits:
            item = self.page_items.get(page_id)
            if item is None:
                continue
            now = current is not None and (page_id, r) == current
            it = QGraphicsRectItem(r.adjusted(-3, -3, 3, 3), item)
            it.setBrush(QBrush(QColor(255, 152, 0, 110) if now else QColor(255, 235, 59, 120)))
            pen = QPen(QColor("#e65100") if now else QColor("#f9a825"), 2 if now else 1)
            pen.setCosmetic(True)
            it.setPen(pen)
            it.setZValue(-5)  # over the photo and paper, under the ink
            item.search_items.append(it)

    def wheelEvent(self, e) -> None:
        """Note-app habits: the wheel (or a two-finger swipe) scrolls, Shift+wheel scrolls sideways,
        Ctrl+wheel zooms about the pointer (pinch zooms too, see viewportEvent)."""
        mods = e.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier:
            dy = e.angleDelta().y() or e.angleDelta().x()
            if dy:
                self.zoom_by(1.0015 ** dy)
            e.accept()
            return
        if mods & Qt.KeyboardModifier.ShiftModifier and not e.angleDelta().x():
            # a plain mouse has one wheel: turn its vertical turns into horizontal ones
            e = QWheelEvent(e.position(), e.globalPosition(), e.pixelDelta().transposed(),
                            e.angleDelta().transposed(), e.buttons(), Qt.KeyboardModifier.NoModifier,
                            e.phase(), e.inverted())
        super().wheelEvent(e)

    def _pinch(self, factor: float) -> None:
        if factor > 0:
            self.zoom_by(factor)

    # --- tool dispatch --------------------------------------------------------------------------------
    def set_tool(self, tool) -> None:
        if self.tool is not None:
            self.tool.cancel()
        self.tool = tool
        self.viewport().setCursor(tool.cursor if tool is not None else Qt.CursorShape.ArrowCursor)
        if tool is not None and tool.hint:
            self.message.emit(tool.hint)

    def viewportEvent(self, e) -> bool:
        t = e.type()
        if t in (QEvent.Type.TabletPress, QEvent.Type.TabletMove, QEvent.Type.TabletRelease):
            self.tablet_pressure = float(e.pressure()) if t != QEvent.Type.TabletRelease else None
            e.ignore()  # let Qt synthesise the mouse events the tools handle
            return False
        if t == QEvent.Type.NativeGesture and e.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            self._pinch(1.0 + e.value())  # touchpad pinch: value is the change of scale since the last event
            return True
        if t == QEvent.Type.Gesture:  # touchscreen pinch
            pinch = e.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                self._pinch(pinch.scaleFactor())
                e.accept()
                return True
        return super().viewportEvent(e)

    def keyPressEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if e.key() == Qt.Key.Key_Escape and self.tool is not None:
            self.tool.cancel()
            self.clear_selection()
            return
        super().keyPressEvent(e)

    def keyReleaseEvent(self, e) -> None:
        if e.key() == Qt.Key.Key_Space and not e.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(self.tool.cursor if self.tool else Qt.CursorShape.ArrowCursor)
            return
        super().keyReleaseEvent(e)

    def _start_pan(self, e) -> None:
        self._panning = e.position()
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def _page_pos(self, e) -> QPointF:
        """The event's position in the current page's coordinates (what tools work in)."""
        pos = self.mapToScene(e.position().toPoint())
        item = self.current_item
        return item.mapFromScene(pos) if item is not None else pos

    def mousePressEvent(self, e) -> None:
        if e.button() == Qt.MouseButton.MiddleButton or (self._space and e.button() == Qt.MouseButton.LeftButton):
            self._start_pan(e)
            return
        if e.button() == Qt.MouseButton.LeftButton and self.tool is not None and self.page_items:
            self.setFocus()
            # tools work on the page under the pointer: it becomes the current page for the gesture
            item = self.page_at(self.mapToScene(e.position().toPoint()))
            self._make_current(item.page_id, announce=True)
            self._gesture = True
            self.flush_pending()
            self.tool.press(self._page_pos(e), e.modifiers())
            return
        super().mousePressEvent(e)

    def mouseMoveEvent(self, e) -> None:
        if self._panning is not None:
            d = e.position() - self._panning
            self._panning = e.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(d.y()))
            return
        if self.tool is not None and e.buttons() & Qt.MouseButton.LeftButton:
            self.tool.move(self._page_pos(e), e.modifiers())
            return
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e) -> None:
        if self._panning is not None and e.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._panning = None
            cur = Qt.CursorShape.OpenHandCursor if self._space else (
                self.tool.cursor if self.tool else Qt.CursorShape.ArrowCursor)
            self.viewport().setCursor(cur)
            return
        if e.button() == Qt.MouseButton.LeftButton:
            self._gesture = False
        if e.button() == Qt.MouseButton.LeftButton and self.tool is not None:
            self.tool.release(self._page_pos(e), e.modifiers())
            return
        super().mouseReleaseEvent(e)
