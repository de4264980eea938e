import platform
import sys

from inference.heap import cap_malloc_arenas


def test_malloc_arenas_are_capped_where_glibc_allows_it():
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert cap_malloc_arenas(2) is glibc
    assert cap_malloc_arenas(2) is glibc  # asking again is harmless
