"""Regression test: many void Qt calls must not exhaust None's reference count (PySide6 6.12 + Py 3.11)."""

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath

import desktop  # noqa: F401 - installs the guard


def test_many_void_qt_calls_do_not_abort():
    before = sys.getrefcount(None)
    path = QPainterPath(QPointF(0, 0))
    for i in range(200_000):  # without the guard this aborts the interpreter on Python 3.11
        path.lineTo(float(i % 100), 1.0)
    assert path.elementCount() == 200_001
    assert sys.getrefcount(None) > 0 and before > 0
