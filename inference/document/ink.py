"""The one ink model used by the engine, the CLI, the GUI and every exporter.

Everything here is immutable: strokes are values (their point arrays are read-only), and edits make new
objects with :func:`dataclasses.replace`. Coordinates are page pixels of the upright photo, y pointing down.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

DEFAULT_COLOR = "#1a1a1a"
DEFAULT_WIDTH = 2.0
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def _frozen_points(points: np.ndarray | Sequence) -> np.ndarray:
    arr = np.array(points, dtype=np.float32, copy=True)
    if arr.ndim != 2 or arr.shape[1] not in (2, 3):
        raise ValueError(f"stroke points must have shape (n, 2) or (n, 3), got {arr.shape}")
    if arr.shape[1] == 2:
        arr = np.column_stack([arr, np.zeros(len(arr), np.float32)])
    if len(arr) == 0:
        raise ValueError("a stroke needs at least one point")
    if not np.all(np.isfinite(arr)):
        raise ValueError("stroke points must be finite numbers")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Stroke:
    """One pen-down trace: ``points`` is float32 (n, 3) of x, y (page px) and t (ms since the word began)."""

    points: np.ndarray
    color: str = DEFAULT_COLOR
    width: float = DEFAULT_WIDTH
    # True when t was recorded by a pen; False when InkLift made it up at a plausible writing speed.
    time_measured: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _frozen_points(self.points))
        if not _COLOR_RE.match(self.color):
            raise ValueError(f"colour must look like #RRGGBB, got {self.color!r}")
        if not (np.isfinite(self.width) and self.width > 0):
            raise ValueError(f"stroke width must be a positive number, got {self.width!r}")
        object.__setattr__(self, "color", self.color.lower())
        object.__setattr__(self, "width", float(self.width))

    @property
    def xy(self) -> np.ndarray:
        return self.points[:, :2]

    @property
    def t(self) -> np.ndarray:
        return self.points[:, 2]

    def __len__(self) -> int:
        return len(self.points)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stroke):
            return NotImplemented
        return (
            self.color == other.color
            and self.width == other.width
            and self.time_measured == other.time_measured
            and np.array_equal(self.points, other.points)
        )

    __hash__ = None  # value semantics for equality, but arrays are not hashable

    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the centre line."""
        x0, y0 = self.xy.min(axis=0)
        x1, y1 = self.xy.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    def with_points(self, points: np.ndarray) -> Stroke:
        return replace(self, points=points)

    def mapped(self, fn) -> Stroke:
        """A copy whose x, y went through ``fn`` ((n, 2) -> (n, 2)); times kept."""
        xy = np.asarray(fn(self.xy), dtype=np.float32)
        return replace(self, points=np.column_stack([xy, self.t]))

    def reversed(self) -> Stroke:
        pts = self.points[::-1].copy()
        pts[:, 2] = self.points[:, 2]  # time still runs forward
        return replace(self, points=pts)


@dataclass(frozen=True)
class Quad:
    """A quadrilateral in page px, corners clockwise from top-left (as PP-OCR returns them)."""

    corners: tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]

    @classmethod
    def from_array(cls, arr: np.ndarray | Sequence) -> Quad:
        a = np.asarray(arr, dtype=np.float64).reshape(4, 2)
        if not np.all(np.isfinite(a)):
            raise ValueError("quad corners must be finite")
        return cls(tuple((float(x), float(y)) for x, y in a))  # type: ignore[arg-type]

    @classmethod
    def from_rect(cls, x0: float, y0: float, x1: float, y1: float) -> Quad:
        return cls.from_array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])

    def to_array(self) -> np.ndarray:
        return np.array(self.corners, dtype=np.float64)

    def bounds(self) -> tuple[float, float, float, float]:
        a = self.to_array()
        return float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 0].max()), float(a[:, 1].max())

    @property
    def diagonal(self) -> float:
        x0, y0, x1, y1 = self.bounds()
        return float(np.hypot(x1 - x0, y1 - y0))


class InkSource(str, enum.Enum):
    """Where a word's strokes came from."""

    MODEL = "model"
    TRACER = "tracer"
    USER = "user"
    IMPORTED = "imported"


@dataclass(frozen=True)
class Word:
    strokes: tuple[Stroke, ...]
    quad: Quad
    text: str = ""
    confidence: float = 1.0  # OCR recognition confidence, 0..1
    source: InkSource = InkSource.MODEL
    # How well the ink matches the photo (render-back F1, 0..1); None when never checked (imported ink).
    fidelity: float | None = None
    needs_review: bool = False
    reviewed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "strokes", tuple(self.strokes))
        object.__setattr__(self, "source", InkSource(self.source))

    def bounds(self) -> tuple[float, float, float, float]:
        return ink_bounds(self.strokes) or self.quad.bounds()


@dataclass(frozen=True)
class Page:
    """One photo's ink. ``width``/``height`` are the upright photo's pixel size."""

    width: int
    height: int
    words: tuple[Word, ...] = ()
    drawings: tuple[Stroke, ...] = ()  # loose strokes: diagrams, arrows, things the user drew
    image_path: str | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise ValueError(f"page size must be positive, got {self.width}x{self.height}")
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        object.__setattr__(self, "words", tuple(self.words))
        object.__setattr__(self, "drawings", tuple(self.drawings))

    def all_strokes(self) -> list[Stroke]:
        """Every stroke on the page in writing order: the words' strokes, then the drawings."""
        out: list[Stroke] = [s for w in self.words for s in w.strokes]
        out.extend(self.drawings)
        return out

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words if w.text)


def ink_bounds(strokes: Iterable[Stroke]) -> tuple[float, float, float, float] | None:
    """Bounds of a set of strokes' centre lines, or None when there are none."""
    arrs = [s.xy for s in strokes]
    if not arrs:
        return None
    xy = np.concatenate(arrs)
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())
