"""The document: what InkLift produces and every consumer shares.

Owns the immutable ink model (:mod:`.ink`: strokes, words, pages), coordinate transforms as values
(:mod:`.transforms`), our rasteriser (:mod:`.render`) and the file formats (:mod:`.formats`: SVG, InkML,
.xopp, PNG). The bottom layer of the engine: it imports only :mod:`inference.errors`, never the photo,
stroke or model stages above it.
"""
