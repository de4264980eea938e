"""Process heap settings for work that runs in several threads at once.

glibc gives a thread that contends for the heap an arena of its own (up to 8 per core), and each arena keeps
the memory its thread freed. Decoding batches side by side while the page is traced (three busy threads)
grew a 155-word page's peak RSS from 520-580 to 680-1,020 MB that way; two arenas, set before any thread
allocates (``import inference`` does it), bring it back to 570-660 MB at the same speed. Set later it does not
help: the arenas already made stay. Elsewhere (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_ARENA_MAX = -8  # glibc's mallopt parameter
_done: set[int] = set()


def cap_malloc_arenas(n: int = 2) -> bool:
    """Let glibc's malloc create at most ``n`` arenas from now on; True when the setting took."""
    if n in _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    ok = mallopt(M_ARENA_MAX, int(n)) == 1
    if ok:
        _done.add(n)
    return ok
