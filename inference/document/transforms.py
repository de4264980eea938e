"""Coordinate transforms as values that travel with the data (photo -> page -> crop -> model canvas).

A :class:`Transform` is a 3x3 projective matrix: affine steps (crop, scale, pad, rotate by 90s) and the
page's perspective warp compose into one value, and ``inverse()`` maps anything found later back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Transform:
    matrix: np.ndarray  # (3, 3) float64, maps column vectors [x, y, 1] of the source to the target

    def __post_init__(self) -> None:
        m = np.array(self.matrix, dtype=np.float64, copy=True).reshape(3, 3)
        if not np.all(np.isfinite(m)):
            raise ValueError("transform matrix must be finite")
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)

    # --- constructors -------------------------------------------------------------------------------
    @classmethod
    def identity(cls) -> Transform:
        return cls(np.eye(3))

    @classmethod
    def translate(cls, dx: float, dy: float) -> Transform:
        return cls(np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], dtype=np.float64))

    @classmethod
    def scale(cls, sx: float, sy: float | None = None) -> Transform:
        sy = sx if sy is None else sy
        return cls(np.diag([sx, sy, 1.0]))

    @classmethod
    def affine(cls, m2x3: np.ndarray) -> Transform:
        m = np.eye(3)
        m[:2] = np.asarray(m2x3, dtype=np.float64).reshape(2, 3)
        return cls(m)

    @classmethod
    def rotate90(cls, k: int, width: int, height: int) -> Transform:
        """Rotation by k*90 degrees clockwise of a width x height image onto the rotated image's pixels."""
        k %= 4
        if k == 0:
            return cls.identity()
        if k == 1:  # (x, y) -> (H - y, x)   [continuous coordinates; pixel edges at 0 and W/H]
            return cls(np.array([[0, -1, height], [1, 0, 0], [0, 0, 1]], dtype=np.float64))
        if k == 2:
            return cls(np.array([[-1, 0, width], [0, -1, height], [0, 0, 1]], dtype=np.float64))
        return cls(np.array([[0, 1, 0], [-1, 0, width], [0, 0, 1]], dtype=np.float64))

    # --- algebra ------------------------------------------------------------------------------------
    def then(self, other: Transform) -> Transform:
        """First self, then other."""
        return Transform(other.matrix @ self.matrix)

    def inverse(self) -> Transform:
        return Transform(np.linalg.inv(self.matrix))

    def apply(self, xy: np.ndarray) -> np.ndarray:
        """Map (n, 2) points; returns float64 (n, 2)."""
        pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        h = pts @ self.matrix[:, :2].T + self.matrix[:, 2]
        w = h[:, 2:3]
        w = np.where(np.abs(w) < 1e-12, 1e-12, w)
        return h[:, :2] / w

    @property
    def is_affine(self) -> bool:
        return bool(np.allclose(self.matrix[2], [0, 0, 1]))

    def scale_factor(self) -> float:
        """Mean linear scale of the affine part (for stroke widths)."""
        return float(np.sqrt(abs(np.linalg.det(self.matrix[:2, :2]))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Transform):
            return NotImplemented
        return bool(np.allclose(self.matrix, other.matrix))

    __hash__ = None

    def __repr__(self) -> str:
        return f"Transform({self.matrix.tolist()})"
