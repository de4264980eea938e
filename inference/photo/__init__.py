"""The photo stage: pixels in, page and word boxes out.

Owns loading (decode, orient, bound the size), the page (sheet, perspective, upright turn, lighting), the
ink mask, segmentation into lines and words (PP-OCR via rapidocr, reading order), ruling removal, drawings
outside the words and the segmentation debug overlay. Imports :mod:`inference.document` and the base modules
(errors, jobs, resources); never the stroke or model stages.
"""
