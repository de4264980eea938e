"""Traced Hershey-font words render back onto their own ink (the tracer's fidelity at pen widths 2-8)."""

import numpy as np
import pytest

from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.strokes.fidelity import fidelity
from inference.strokes.style import estimate_width
from inference.strokes.tracer import trace_mask

pytest.importorskip("HersheyFonts")  # dev dependency
from .synthpage import hershey_word

WORDS = ["minimum", "boxing", "Tiger", "quick"]


def word_strokes(text, font, height):
    """The word 10 px in from the top-left, and the (h, w) of a crop with 10 px to spare around it."""
    strokes = hershey_word(text, font, height)
    size = np.vstack([s.xy for s in strokes]).max(axis=0) - 10
    return strokes, (int(size[1]) + 20, int(size[0]) + 20)


def word_mask(text, font, width, with_strokes=False):
    # letters grow with the pen a little, as a word crop of a thick marker is taller
    strokes, (h, w) = word_strokes(text, font, max(40.0, 8.0 * width))
    mask = draw_strokes_mask(strokes, h, w, width_px=width) > 0.5
    return (mask, strokes) if with_strokes else mask


@pytest.mark.parametrize("font", ["futural", "timesr", "scripts"])
@pytest.mark.parametrize("width", [2, 3, 4, 6, 8])
def test_traced_words_cover_their_ink_at_the_estimated_width(font, width):
    """As the engine checks a word: render at the width measured on the photo's ink."""
    for text in WORDS[:2] if font == "scripts" else WORDS[2:]:
        mask = word_mask(text, font, width)
        strokes = trace_mask(mask)
        f = fidelity([Stroke(s) for s in strokes], mask, estimate_width(mask))
        assert f.precision >= 0.95 and f.recall >= 0.95, (text, f)


# Single-line fonts, where the pen width is the ink's width (timesr doubles its stems, so its ink is
# wider than the pen and only the estimated width above is meaningful for it)
@pytest.mark.parametrize("font", ["futural", "scripts"])
@pytest.mark.parametrize("width", [2, 4, 8])
def test_traced_words_cover_their_ink_at_the_pen_width(font, width):
    for text in WORDS:
        mask, source = word_mask(text, font, width, with_strokes=True)
        strokes = trace_mask(mask)
        f = fidelity([Stroke(s) for s in strokes], mask, width)
        assert f.precision >= 0.95 and f.recall >= 0.95, (text, f)
        # a pen trace, not a scribble: strokes of the order of the font's own (a blobby thick-pen word
        # gets a few extra rim strokes), not a heap of crumbs
        assert len(text) // 2 <= len(strokes) <= 2 * len(source) + len(text), (text, len(strokes))


@pytest.mark.parametrize("width", [2.5, 4, 6])
def test_trace_image_on_a_synthetic_photo(width):
    """Blue pen on uneven paper, blurred, noisy and JPEG-compressed: the traced strokes render back onto
    the true ink, with the pen's width and (a close) colour."""
    import cv2

    from inference.strokes.tracer import trace_image

    strokes, (h, w) = word_strokes("handwriting", "scripts", max(40.0, 8.0 * width))
    cover = draw_strokes_mask(strokes, h, w, width_px=width, supersample=4)
    yy, xx = np.mgrid[0:h, 0:w]
    paper = 225 + 20 * (xx / w) - 15 * (yy / h)
    img = np.stack([paper * 0.98, paper * 0.97, paper * 0.92], -1)
    a = cover[..., None] * 0.92
    img = img * (1 - a) + np.array([30.0, 45.0, 140.0]) * a
    rng = np.random.default_rng(3)
    img = np.clip(cv2.GaussianBlur(img, (0, 0), 0.7) + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    _, enc = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 70])
    img = cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1]

    out = trace_image(img)
    f = fidelity(out, cover > 0.5, width)
    assert f.precision >= 0.95 and f.recall >= 0.95, f
    assert abs(out[0].width - width) <= 0.75
    rgb = np.array([int(out[0].color[i:i + 2], 16) for i in (1, 3, 5)])
    assert rgb[2] > rgb[0] + 40 and np.abs(rgb - [30, 45, 140]).max() <= 70  # a blue pen, not paper grey
