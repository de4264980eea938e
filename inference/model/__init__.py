"""The derender model runtime: word crops in, pen-token sequences and strokes out.

Owns the model bundle on disk (:mod:`.models`: manifest, checksums, ONNX sessions), the token layout
(:mod:`.tokens`), the model canvas (:mod:`.canvas`: how a crop is fitted and normalised, as in training),
batched greedy decoding with its KV cache and guards (:mod:`.derender`) and the hoisted decoder step
(:mod:`.hoist`). Imports :mod:`inference.document` and :mod:`inference.photo`'s ink normalisation; never
the stroke stage.
"""
