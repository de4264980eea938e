"""A small thread-safe LRU cache for values made from immutable objects (strokes, page images)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityCache(Generic[K, V]):
    """``cache(obj)`` = ``make(obj)``, remembered per object *identity* for the last ``capacity`` objects.

    The entry holds the object itself, so its id cannot be reused by another object while cached. ``make``
    runs outside the lock: workers can fill the cache ahead of the GUI thread without blocking it.
    """

    def __init__(self, make: Callable[[K], V], capacity: int) -> None:
        self._make = make
        self._capacity = capacity
        self._items: OrderedDict[int, tuple[K, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, obj: K) -> V:
        key = id(obj)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] is obj:
                self._items.move_to_end(key)
                return hit[1]
        value = self._make(obj)
        with self._lock:
            self._items[key] = (obj, value)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
