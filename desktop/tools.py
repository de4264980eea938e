"""Canvas tools: small objects with press/move/release/cancel (in the coordinates of the page under the
pointer, which the view makes the current page for the gesture).

A tool previews its gesture with temporary item state and, on release, makes exactly one edit through
``view.commit`` - so one gesture is one undo step. ``cancel`` (Esc, page switch, document change) puts
the preview back and edits nothing.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem

from . import edits
from .canvas import SELECT_COLOR, InkView


def _shift(mods) -> bool:
    return bool(mods & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier))


class Tool:
    name = "tool"
    label = "Tool"
    shortcut = ""
    cursor = Qt.CursorShape.ArrowCursor
    hint = ""

    def __init__(self, view: InkView) -> None:
        self.view = view

    def press(self, pos: QPointF, mods) -> None: ...

    def move(self, pos: QPointF, mods) -> None: ...

    def release(self, pos: QPointF, mods) -> None: ...

    def cancel(self) -> None: ...


def _dashed_pen() -> QPen:
    pen = QPen(SELECT_COLOR, 1, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen


class _Mover:
    """Shared drag-to-move of the current selection (used by Select and Move)."""

    def __init__(self, view: InkView) -> None:
        self.view = view
        self.start: QPointF | None = None
        self.items = []

    def begin(self, pos: QPointF) -> None:
        self.start = pos
        self.items = [self.view.items_by_stroke[k] for k in self.view.selected if k in self.view.items_by_stroke]

    def drag(self, pos: QPointF) -> None:
        if self.start is None:
            return
        d = pos - self.start
        for it in self.items:
            it.setPos(d)

    def end(self, pos: QPointF) -> None:
        if self.start is None:
            return
        d = pos - self.start
        start, self.start = self.start, None
        refs = [it.ref for it in self.items]
        ink = self.view.ink
        if ink is None or not refs or (abs(d.x()) < 1e-6 and abs(d.y()) < 1e-6):
            self.abort()
            return
        del start
        self.view.commit(edits.translate_strokes(ink, refs, d.x(), d.y()),
                         f"Move {len(refs)} stroke{'s' * (len(refs) > 1)}", select=refs)

    def abort(self) -> None:
        for it in self.items:
            it.setPos(0, 0)
        self.items, self.start = [], None

    @property
    def active(self) -> bool:
        return self.start is not None


class SelectTool(Tool):
    name, label, shortcut = "select", "Select", "V"
    hint = "Click a stroke to select it (Shift adds), drag on empty paper for a box, drag a selection to move it."

    def __init__(self, view: InkView) -> None:
        super().__init__(view)
        self.mover = _Mover(view)
        self.box: QGraphicsRectItem | None = None
        self.origin: QPointF | None = None
        self.add = False

    def press(self, pos, mods) -> None:
        hit = self.view.stroke_at(pos)
        self.add = _shift(mods)
        if hit is not None:
            key = id(hit.stroke)
            if self.add:
                sel = set(self.view.selected) ^ {key}
                self.view.set_selection(sel)
                return
            if key not in self.view.selected:
                self.view.set_selection({key})
            self.mover.begin(pos)
            return
        self.origin = pos
        self.box = QGraphicsRectItem(QRectF(pos, pos))
        self.box.setPen(_dashed_pen())
        self.box.setBrush(QColor(30, 136, 229, 30))
        self.box.setZValue(100)
        self.view.add_preview(self.box)

    def move(self, pos, mods) -> None:
        if self.mover.active:
            self.mover.drag(pos)
        elif self.box is not None and self.origin is not None:
            self.box.setRect(QRectF(self.origin, pos).normalized())

    def release(self, pos, mods) -> None:
        if self.mover.active:
            self.mover.end(pos)
            return
        if self.box is None:
            return
        rect = self.box.rect()
        self._drop_box()
        if rect.width() < 2 and rect.height() < 2:
            if not self.add:
                self.view.clear_selection()
            return
        keys = {id(it.stroke) for it in self.view.stroke_items() if it.isVisible()
                and rect.intersects(it.path().boundingRect())}
        self.view.set_selection(self.view.selected | keys if self.add else keys)

    def _drop_box(self) -> None:
        if self.box is not None:
            self.view.scene().removeItem(self.box)
        self.box, self.origin = None, None

    def cancel(self) -> None:
        self.mover.abort()
        self._drop_box()


class LassoTool(Tool):
    name, label, shortcut = "lasso", "Lasso", "L"
    cursor = Qt.CursorShape.CrossCursor
    hint = "Draw a loop around strokes to select them (Shift adds to the selection)."

    def __init__(self, view: InkView) -> None:
        super().__init__(view)
        self.points: list[tuple[float, float]] = []
        self.item: QGraphicsPathItem | None = None
        self.add = False

    def press(self, pos, mods) -> None:
        self.add = _shift(mods)
        self.points = [(pos.x(), pos.y())]
        self.item = QGraphicsPathItem()
        self.item.setPen(_dashed_pen())
        self.item.setBrush(QColor(30, 136, 229, 30))
        self.item.setZValue(100)
        self.view.add_preview(self.item)

    def move(self, pos, mods) -> None:
        if self.item is None:
            return
        self.points.append((pos.x(), pos.y()))
        path = QPainterPath(QPointF(*self.points[0]))
        for p in self.points[1:]:
            path.lineTo(*p)
        path.closeSubpath()
        self.item.setPath(path)

    def release(self, pos, mods) -> None:
        if self.item is None:
            return
        self.points.append((pos.x(), pos.y()))
        poly = np.array(self.points, np.float64)
        self.cancel()
        keys = {id(it.stroke) for it in self.view.items_in_polygon(poly)}
        self.view.set_selection(self.view.selected | keys if self.add else keys)

    def cancel(self) -> None:
        if self.item is not None:
            self.view.scene().removeItem(self.item)
        self.item, self.points = None, []


class MoveTool(Tool):
    name, label, shortcut = "move", "Move", "M"
    cursor = Qt.CursorShape.SizeAllCursor
    hint = "Drag to move the selection (or the stroke under the pointer)."

    def __init__(self, view: InkView) -> None:
        super().__init__(view)
        self.mover = _Mover(view)

    def press(self, pos, mods) -> None:
        hit = self.view.stroke_at(pos)
        if hit is not None and id(hit.stroke) not in self.view.selected:
            self.view.set_selection({id(hit.stroke)})
        if self.view.selected:
            self.mover.begin(pos)

    def move(self, pos, mods) -> None:
        self.mover.drag(pos)

    def release(self, pos, mods) -> None:
        self.mover.end(pos)

    def cancel(self) -> None:
        self.mover.abort()


class EraseTool(Tool):
    name, label, shortcut = "erase", "Eraser", "E"
    cursor = Qt.CursorShape.PointingHandCursor
    hint = ("Drag across strokes to erase them (whole strokes, or only what the eraser touches: "
            "see the eraser buttons on the pen bar).")

    def __init__(self, view: InkView) -> None:
        super().__init__(view)
        self.hit: list = []
        self.last: QPointF | None = None
        self.trail: list[tuple[float, float]] = []  # partial mode: where the eraser went (scene px)
        self.band: QGraphicsPathItem | None = None

    def _radius(self) -> float:
        """Half the eraser's size, which is set in screen pixels (it feels the same at any zoom)."""
        return self.view.eraser_size / 2 / max(self.view.zoom(), 1e-6)

    def _samples(self, pos: QPointF) -> list[QPointF]:
        if self.last is None:
            return [pos]
        # sample the segment so fast drags do not skip thin strokes
        step = max(1.0, min(4.0, self.view.eraser_size / 4))
        n = int(max(abs(pos.x() - self.last.x()), abs(pos.y() - self.last.y())) * self.view.zoom() / step)
        return [self.last + (pos - self.last) * (k / (n + 1)) for k in range(1, n + 2)]

    def _touch(self, pos: QPointF) -> None:
        pts = self._samples(pos)
        if self.view.eraser_partial:
            self.trail.extend((p.x(), p.y()) for p in pts)
            self._draw_band()
        else:
            for p in pts:
                it = self.view.stroke_at(p, tolerance_px=self.view.eraser_size / 2)
                if it is not None:
                    it.setVisible(False)
                    self.hit.append(it)
        self.last = pos

    def _draw_band(self) -> None:
        if self.band is None:
            self.band = QGraphicsPathItem()
            self.band.setZValue(95)
            self.view.add_preview(self.band)
        pen = QPen(QColor(255, 255, 255, 200), 2 * self._radius())
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self.band.setPen(pen)
        path = QPainterPath(QPointF(*self.trail[0]))
        for p in self.trail[1:] or self.trail[:1]:
            path.lineTo(p[0] + 0.01, p[1])
        self.band.setPath(path)

    def press(self, pos, mods) -> None:
        self.hit, self.last, self.trail = [], None, []
        self._touch(pos)

    def move(self, pos, mods) -> None:
        if self.last is not None:
            self._touch(pos)

    def release(self, pos, mods) -> None:
        if self.last is None:
            return
        if self.view.eraser_partial:
            self._release_partial()
            return
        hit, self.hit, self.last = self.hit, [], None
        ink = self.view.ink
        if not hit or ink is None:
            return
        refs = [it.ref for it in hit]
        self.view.commit(edits.remove_strokes(ink, refs), f"Erase {len(refs)} stroke{'s' * (len(refs) > 1)}")

    def _release_partial(self) -> None:
        trail, r = np.array(self.trail, np.float32), self._radius()
        self.cancel()
        ink = self.view.ink
        if ink is None or not len(trail):
            return
        x0, y0 = trail.min(axis=0) - r
        x1, y1 = trail.max(axis=0) + r
        refs = [it.ref for it in self.view.strokes_in(QRectF(x0, y0, x1 - x0, y1 - y0))]
        new = edits.erase_near(ink, refs, trail, r)
        if new != ink:
            self.view.commit(new, "Erase")

    def cancel(self) -> None:
        for it in self.hit:
            it.setVisible(True)
        if self.band is not None:
            self.view.scene().removeItem(self.band)
        self.hit, self.last, self.trail, self.band = [], None, [], None


class PenTool(Tool):
    name, label, shortcut = "pen", "Pen", "P"
    cursor = Qt.CursorShape.CrossCursor
    hint = "Draw new strokes (pen pressure sets the width on a tablet)."

    def __init__(self, view: InkView) -> None:
        super().__init__(view)
        self.points: list[tuple[float, float, float]] = []
        self.pressures: list[float] = []
        self.item: QGraphicsPathItem | None = None
        self.t0 = 0.0

    def press(self, pos, mods) -> None:
        self.t0 = time.monotonic()
        self.points = [(pos.x(), pos.y(), 0.0)]
        self.pressures = [self.view.tablet_pressure] if self.view.tablet_pressure is not None else []
        self.item = QGraphicsPathItem()
        pen = QPen(self._preview_color(), self._width())
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self.item.setPen(pen)
        self.item.setZValue(90)
        self.view.add_preview(self.item)
        self._redraw()

    undo_text = "Draw stroke"

    def _color(self) -> str:
        return self.view.pen_color

    def _preview_color(self) -> QColor:
        return QColor(self._color())

    def _width(self) -> float:
        return self.view.pen_width

    def _redraw(self) -> None:
        path = QPainterPath(QPointF(self.points[0][0], self.points[0][1]))
        for x, y, _t in self.points[1:]:
            path.lineTo(x, y)
        if len(self.points) == 1:
            path.lineTo(self.points[0][0] + 0.01, self.points[0][1])
        self.item.setPath(path)

    def move(self, pos, mods) -> None:
        if self.item is None:
            return
        x, y, _ = self.points[-1]
        if abs(pos.x() - x) + abs(pos.y() - y) < 0.5:
            return
        self.points.append((pos.x(), pos.y(), (time.monotonic() - self.t0) * 1000.0))
        if self.view.tablet_pressure is not None:
            self.pressures.append(self.view.tablet_pressure)
        self._redraw()

    def release(self, pos, mods) -> None:
        if self.item is None:
            return
        self.move(pos, mods)
        pts = np.array(self.points, np.float32)
        self.cancel()
        ink = self.view.ensure_ink()
        if ink is None:
            return
        width = self._width()
        if self.pressures:
            width = max(0.5, width * 2 * float(np.mean(self.pressures)))
        stroke = edits.user_stroke(pts, self._color(), width, measured=True)
        new = edits.add_drawing(ink, stroke)
        self.view.commit(new, self.undo_text)

    def cancel(self) -> None:
        if self.item is not None:
            self.view.scene().removeItem(self.item)
        self.item, self.points, self.pressures = None, [], []


class HighlighterTool(PenTool):
    """A wide, light stroke. The ink model has no opacity, so a highlight is a light colour drawn under
    the ink on the canvas (canvas.is_highlight); exporters paint it in stroke order, over earlier ink."""

    name, label, shortcut = "highlight", "Highlighter", "H"
    hint = "Drag over words to highlight them."
    undo_text = "Highlight"

    def _color(self) -> str:
        return self.view.highlight_color

    def _preview_color(self) -> QColor:
        c = QColor(self._color())
        c.setAlpha(150)
        return c

    def _width(self) -> float:
        return self.view.highlight_width


class SplitTool(Tool):
    name, label, shortcut = "split", "Split", "S"
    cursor = Qt.CursorShape.CrossCursor
    hint = "Click a stroke where it should be cut in two."

    def release(self, pos, mods) -> None:
        it = self.view.stroke_at(pos)
        ink = self.view.ink
        if it is None or ink is None:
            self.view.message.emit("Click on a stroke to split it.")
            return
        i, _ = edits.nearest_point(it.stroke, pos.x(), pos.y())
        if not (0 < i < len(it.stroke) - 1):
            self.view.message.emit("That is the end of the stroke; click nearer its middle to split it.")
            return
        ref = it.ref
        self.view.commit(edits.split_stroke(ink, ref, i), "Split stroke",
                         select=[ref, edits.StrokeRef(ref.word, ref.index + 1)])


TOOLS = (SelectTool, LassoTool, MoveTool, EraseTool, PenTool, HighlighterTool, SplitTool)
