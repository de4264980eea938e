"""Stroke geometry: ink masks in, strokes out, and strokes judged against the ink.

Owns the skeleton primitives (:mod:`.skeleton`: thinning, pin-hole filling, simplification), the geometric
tracer, refinement of strokes from any source (snap to the centre line, order and join by a guide, synthetic
timing), pen style (width, colour) and fidelity (render-back F1). Imports :mod:`inference.document` and
:mod:`inference.photo`'s ink masks; never the model stage (the two meet in :mod:`inference.pipeline`).
"""
