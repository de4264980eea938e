"""Make ``None`` effectively immortal on Python < 3.12 (see desktop/__init__.py for why).

None is never legitimately deallocated, so a huge extra reference count changes nothing but the crash.
"""

from __future__ import annotations

import ctypes
import sys

_EXTRA = 1 << 48  # far more void calls than any session makes, far below the ssize_t limit
_done = False


def protect_none() -> None:
    global _done
    if _done or sys.version_info >= (3, 12) or not hasattr(sys, "getrefcount"):
        return
    refcnt = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field of every object
    refcnt.value += _EXTRA
    _done = True
