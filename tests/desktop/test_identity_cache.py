"""The desktop's identity-keyed LRU cache (stroke outlines, display images)."""

import numpy as np

from desktop.identity_cache import IdentityCache


def test_same_object_hits_equal_copy_misses_and_old_entries_go():
    made = []
    cache = IdentityCache(lambda a: made.append(a) or float(a.sum()), capacity=2)
    a, b, c = np.ones(3), np.ones(3), np.zeros(2)
    assert cache(a) == 3.0 and cache(a) == 3.0 and len(made) == 1  # same object: made once
    cache(b)  # equal but another object: made again
    assert len(made) == 2
    cache(c)  # third object: the least recently used (a) is dropped
    assert len(cache) == 2
    cache(a)
    assert len(made) == 4
