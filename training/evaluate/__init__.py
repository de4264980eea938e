"""InkLift's quality evaluation harness (``python -m training.evaluate``).

- ``trajectories``: held-out UNIPEN words rendered as photos (clean / phone / hard) -> each system in word
  mode -> coverage, precision, stroke count ratio, direction, order and DTW against the true pen trajectory
  (metrics.py), with baseline rows (systems.py);
- ``real DIR``: real photos with a MANIFEST.tsv -> InkLift per the manifest's layout -> PP-OCR readback of
  our rendered ink (word accuracy, CER; the photo's own OCR as reference) and ink fidelity, overlays;
- ``readme REPORT.json...``: regenerate README.md's quality table between its markers.
Every run writes ``<suite>_<stamp>.json`` + ``.md`` (commit, model sha256s, dataset, counts, metrics,
seconds) under ``--out`` (default reports/eval, git-ignored).
"""
