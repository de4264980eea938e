"""InkLift's PySide6 desktop application (entry point: desktop.app:main, gui-script ``inklift-desktop``)."""

import sys

if sys.version_info < (3, 12):
    # PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a void Qt method (measured:
    # 1000 QPainterPath.lineTo calls -> None's refcount 1000 lower), so a busy session aborts with
    # "Fatal Python error: none_dealloc". Python 3.12+ made None immortal (PEP 683); do the same here.
    from ._nonefix import protect_none

    protect_none()
