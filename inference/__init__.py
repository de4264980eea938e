"""InkLift's headless engine: photo -> page -> word boxes -> ink, the ink model and its file formats.

Never imports Qt or ``desktop`` (an import-linter contract checks it).
"""

__version__ = "0.1.0"

from .heap import cap_malloc_arenas as _cap_malloc_arenas

# before the engine's threads allocate anything: a heap per thread kept up to 400 MB of freed memory
_cap_malloc_arenas()
