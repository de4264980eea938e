"""InkLift's headless engine: photo -> page -> word boxes -> ink, the ink model and its file formats.

Never imports Qt or ``desktop`` (an import-linter contract checks it).
"""

__version__ = "0.1.0"
