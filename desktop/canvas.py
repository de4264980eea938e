"""The ink canvas: a QGraphicsView showing one page's photo underneath and one item per stroke on top.

The view never edits ink itself: tools compute a new Page with desktop.edits and call :meth:`commit`,
which pushes one SetPageCommand; the view then re-syncs its items from the document (reusing the items of
strokes that did not change, since unchanged strokes are the very same objects).
"""

from __future__ import annotations

import colorsys
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
    QGraphicsRectItem,
    QGraphicsScene,
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


class InkView(QGraphicsView):
    selectionChanged = Signal()
    zoomChanged = Signal(float)
    message = Signal(str)  # short status-bar hints from tools

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QBrush(DESK))
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setMouseTracking(True)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)
        self.page_id: str | None = None
        self.items_by_stroke: dict[int, StrokeItem] = {}
        self._pending: list = []  # (ref, stroke, order, n) still to get an item, see _add_pending
        self._review_marks: list = []
        self._marked_ink: Page | None = None
        self.show_review_marks = True
        self.selected: set[int] = set()  # id() of selected Stroke objects
        self.color_mode = "ink"
        self.photo_opacity = 0.5
        self.pen_color = "#1a1a1a"
        self.pen_width = 2.5
        self.highlight_color = "#fff176"
        self.highlight_width = 14.0
        self.eraser_size = 16.0  # screen px
        self.eraser_partial = False
        self.tablet_pressure: float | None = None
        self._paper = QGraphicsRectItem()
        self._paper.setBrush(QBrush(PAPER))
        self._paper.setPen(QPen(Qt.PenStyle.NoPen))
        self._paper.setZValue(-20)
        self._photo = QGraphicsPixmapItem()
        self._photo.setZValue(-10)
        self._photo.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        # the smooth down-scaling of a big photo is the most expensive thing to paint: cache it per zoom
        self._photo.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._highlight = QGraphicsRectItem()
        self._highlight.setZValue(50)
        hp = QPen(QColor("#ff9800"), 2)
        hp.setCosmetic(True)
        self._highlight.setPen(hp)
        self._highlight.setBrush(QBrush(QColor(255, 152, 0, 40)))
        for it in (self._paper, self._photo, self._highlight):
            self.scene().addItem(it)
        self._highlight.hide()
        self._paper.hide()
        self._search_items: list[QGraphicsRectItem] = []
        self.tool = None
        self._space = False
        self._panning: QPointF | None = None
        self._photo_key = None
        self.fitting = True  # the page follows the window's size until the user zooms
        doc.pageChanged.connect(self._on_page_changed)
        doc.pageRemoved.connect(self._on_page_removed)
        for seq, fn in ((QKeySequence.StandardKey.ZoomIn, lambda: self.zoom_by(1.25)),
                        (QKeySequence.StandardKey.ZoomOut, lambda: self.zoom_by(0.8)),
                        ("Ctrl+=", lambda: self.zoom_by(1.25))):
            sc = QShortcut(QKeySequence(seq), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(fn)

    # --- page ---------------------------------------------------------------------------------------
    @property
    def page(self) -> PageDoc | None:
        return self.doc.page(self.page_id) if self.page_id else None

    @property
    def ink(self) -> Page | None:
        p = self.page
        return p.ink if p else None

    def set_page(self, page_id: str | None) -> None:
        if self.tool is not None:
            self.tool.cancel()
        if page_id != self.page_id:
            self.selected.clear()
        self.page_id = page_id
        self._photo_key = None
        self.sync()
        self.fit()
        self.selectionChanged.emit()

    def _on_page_removed(self, _index: int, page_id: str) -> None:
        if page_id == self.page_id:
            self.set_page(None)

    def _on_page_changed(self, page_id: str) -> None:
        if page_id == self.page_id:
            if self.tool is not None:
                self.tool.cancel()
            self.sync()

    def sync(self) -> None:
        """Bring the items in line with the document's page (reusing items of unchanged strokes)."""
        page = self.page
        scene = self.scene()
        if page is None:
            for it in self.items_by_stroke.values():
                scene.removeItem(it)
            self.items_by_stroke.clear()
            self._pending = []
            self._sync_review_marks(None)
            self._photo.setPixmap(QPixmap())
            self._paper.hide()
            self._highlight.hide()
            self.setSceneRect(QRectF(0, 0, 1, 1))
            return
        img = page.qimage()
        key = (id(page), id(page.image))
        if key != self._photo_key:
            self._photo.setPixmap(QPixmap.fromImage(img) if img is not None else QPixmap())
            self._photo_key = key
        self._photo.setOpacity(self.photo_opacity)
        w, h = page.size
        self._paper.setRect(QRectF(0, 0, max(w, 1), max(h, 1)))
        self._paper.show()
        m = 0.05 * max(w, h, 1)
        self.setSceneRect(QRectF(-m, -m, w + 2 * m, h + 2 * m))
        ink = page.ink
        self._sync_review_marks(ink)
        alive: dict[int, StrokeItem] = {}
        pending: list = []
        created = 0
        if ink is not None:
            refs = list(edits.iter_refs(ink))
            n = len(refs)
            for order, (ref, s) in enumerate(refs):
                it = self.items_by_stroke.pop(id(s), None)
                if it is None:
                    if created >= ITEMS_PER_TURN:
                        pending.append((ref, s, order, n))
                        continue
                    it = StrokeItem(s, ref)
                    scene.addItem(it)
                    created += 1
                it.ref = ref
                it.setPos(0, 0)
                it.setVisible(True)
                alive[id(s)] = it
                it.set_look(self._color_for(ref, s, order, n), id(s) in self.selected)
        for it in self.items_by_stroke.values():
            scene.removeItem(it)
        self.items_by_stroke = alive
        self._pending = pending
        if pending:
            QTimer.singleShot(0, self._add_pending)
        before = len(self.selected)
        self.selected &= set(alive)
        if len(self.selected) != before:
            self.selectionChanged.emit()

    def _sync_review_marks(self, ink: Page | None) -> None:
        """Boxes around the words to check (not yet accepted): dashed orange where the ink may not match the
        photo, dotted purple where the text may be misread."""
        if ink is self._marked_ink:
            return
        self._marked_ink = ink
        for it in self._review_marks:
            self.scene().removeItem(it)
        self._review_marks = []
        if ink is None:
            return
        ink_pen = QPen(QColor("#ef6c00"), 1.5, Qt.PenStyle.DashLine)
        text_pen = QPen(QColor("#8e24aa"), 1.5, Qt.PenStyle.DotLine)  # the text may be misread
        for pen in (ink_pen, text_pen):
            pen.setCosmetic(True)
        for w in ink.words:
            if (w.needs_review and not w.reviewed) or edits.misread(w):
                poly = QPolygonF([QPointF(x, y) for x, y in w.quad.corners])
                it = self.scene().addPolygon(poly, ink_pen if w.needs_review else text_pen)
                it.setZValue(40)
                it.setVisible(self.show_review_marks)
                self._review_marks.append(it)

    def set_show_review_marks(self, on: bool) -> None:
        self.show_review_marks = on
        for it in self._review_marks:
            it.setVisible(on)

    def _add_pending(self, everything: bool = False) -> None:
        """Add the next batch of a big page's stroke items. A 1,000-stroke conversion arrives in a few
        event-loop turns (each painted at once) instead of one long freeze."""
        batch = self._pending if everything else self._pending[:ITEMS_PER_TURN]
        self._pending = [] if everything else self._pending[ITEMS_PER_TURN:]
        scene = self.scene()
        for ref, s, order, n in batch:
            it = StrokeItem(s, ref)
            scene.addItem(it)
            self.items_by_stroke[id(s)] = it
            it.set_look(self._color_for(ref, s, order, n), False)
        if self._pending:
            QTimer.singleShot(0, self._add_pending)

    def flush_pending(self) -> None:
        """Make every stroke's item exist now (tools call this before hit-testing)."""
        if self._pending:
            self._add_pending(everything=True)

    @property
    def pending(self) -> int:
        return len(self._pending)

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
        self._photo.setOpacity(self.photo_opacity)

    # --- selection ------------------------------------------------------------------------------------
    def stroke_items(self) -> list[StrokeItem]:
        return list(self.items_by_stroke.values())

    def selected_refs(self) -> list[StrokeRef]:
        return [it.ref for k, it in self.items_by_stroke.items() if k in self.selected]

    def set_selection(self, keys) -> None:
        keys = set(keys) & set(self.items_by_stroke)
        if keys == self.selected:
            return
        changed = keys ^ self.selected
        self.selected = keys
        for k in changed:
            it = self.items_by_stroke[k]
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

    def stroke_at(self, pos: QPointF, tolerance_px: float = 6.0) -> StrokeItem | None:
        """The stroke whose centre line passes nearest to ``pos`` (within a few screen pixels)."""
        tol = tolerance_px / max(self.transform().m11(), 1e-6)
        rect = QRectF(pos.x() - tol, pos.y() - tol, 2 * tol, 2 * tol)
        best, best_d = None, None
        for it in self.scene().items(rect):
            if not isinstance(it, StrokeItem) or not it.isVisible():
                continue
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
        out = []
        for it in self.scene().items(QRectF(x0, y0, x1 - x0, y1 - y0)):
            if isinstance(it, StrokeItem) and it.isVisible():
                inside = points_in_polygon(it.stroke.xy.astype(np.float64), poly)
                if inside.mean() >= fraction:
                    out.append(it)
        return out

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

    def zoom_by(self, f: float) -> None:
        z = self.zoom() * f
        if 0.02 <= z <= 40:
            self.fitting = False
            self.scale(f, f)
            self.zoomChanged.emit(self.zoom())

    def set_zoom(self, z: float) -> None:
        self.fitting = False
        self.resetTransform()
        self.scale(z, z)
        self.zoomChanged.emit(self.zoom())

    def fit(self) -> None:
        self.fitting = True
        page = self.page
        if page is None:
            return
        w, h = page.size
        if w and h:
            self.fitInView(QRectF(0, 0, w, h).adjusted(-10, -10, 10, 10), Qt.AspectRatioMode.KeepAspectRatio)
            self.zoomChanged.emit(self.zoom())

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        if self.fitting:  # a window snapped to half the screen still shows the whole page
            self.fit()

    def zoom_to_rect(self, rect: QRectF, highlight: bool = True, max_zoom: float = 2.0) -> None:
        """Show ``rect`` with its surroundings (a few word-heights of context), never zoomed past max_zoom."""
        pad_x = max(rect.width() * 0.5, rect.height() * 4, 60)
        pad_y = max(rect.height() * 2, 40)
        self.fitting = False
        self.fitInView(rect.adjusted(-pad_x, -pad_y, pad_x, pad_y), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > max_zoom:
            self.set_zoom(max_zoom)
            self.centerOn(rect.center())
        self.zoomChanged.emit(self.zoom())
        if highlight:
            self._highlight.setRect(rect.adjusted(-4, -4, 4, 4))
            self._highlight.show()

    def clear_highlight(self) -> None:
        self._highlight.hide()

    def set_search_hits(self, rects: list[QRectF], current: QRectF | None) -> None:
        """Marker-yellow boxes under the words found (the current one orange), above the photo."""
        for it in self._search_items:
            self.scene().removeItem(it)
        self._search_items = []
        for r in rects:
            now = current is not None and r == current
            it = QGraphicsRectItem(r.adjusted(-3, -3, 3, 3))
            it.setBrush(QBrush(QColor(255, 152, 0, 110) if now else QColor(255, 235, 59, 120)))
            pen = QPen(QColor("#e65100") if now else QColor("#f9a825"), 2 if now else 1)
            pen.setCosmetic(True)
            it.setPen(pen)
            it.setZValue(-5)  # over the photo and paper, under the ink
            self.scene().addItem(it)
            self._search_items.append(it)

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

    def mousePressEvent(self, e) -> None:
        if e.button() == Qt.MouseButton.MiddleButton or (self._space and e.button() == Qt.MouseButton.LeftButton):
            self._start_pan(e)
            return
        if e.button() == Qt.MouseButton.LeftButton and self.tool is not None and self.page is not None:
            self.setFocus()
            self.flush_pending()
            self.tool.press(self.mapToScene(e.position().toPoint()), e.modifiers())
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
            self.tool.move(self.mapToScene(e.position().toPoint()), e.modifiers())
            return
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e) -> None:
        if self._panning is not None and e.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._panning = None
            cur = Qt.CursorShape.OpenHandCursor if self._space else (
                self.tool.cursor if self.tool else Qt.CursorShape.ArrowCursor)
            self.viewport().setCursor(cur)
            return
        if e.button() == Qt.MouseButton.LeftButton and self.tool is not None:
            self.tool.release(self.mapToScene(e.position().toPoint()), e.modifiers())
            return
        super().mouseReleaseEvent(e)
