"""Photos without writing give an empty page and say so; drawings keep pen strokes and drop what no pen
draws (blobs, the image's edges); unsurely read words are flagged for review."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference import cli
from inference.document.ink import Quad, Stroke, Word
from inference.document.render import draw_strokes_mask
from inference.document.transforms import Transform
from inference.jobs import run_job
from inference.photo.drawings import find_drawings, stroke_width
from inference.photo.page import PageImage
from inference.photo.segment import Segmentation
from inference.pipeline import NO_HANDWRITING, PipelineConfig, _flag_unsure, run_page
from tests.inference.synthpage import make_page

NO_MODEL = PipelineConfig(use_model=False)


def coffee_cup(rng: np.random.Generator, w: int = 1200, h: int = 900) -> np.ndarray:
    """A cup of coffee on a wooden table seen from above: edges, a shadow, a highlight, no writing."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    wood = 110 + 25 * np.sin(xx / 17 + 3 * np.sin(yy / 90)) + rng.normal(0, 6, (h, w))
    img = np.stack([wood, wood * 0.75, wood * 0.5], -1)
    cx, cy = int(w * 0.55), int(h * 0.5)
    cv2.ellipse(img, (cx + 40, cy + 30), (260, 200), 0, 0, 360, (60, 50, 40), -1)  # its shadow
    cv2.ellipse(img, (cx, cy), (240, 180), 0, 0, 360, (235, 235, 230), -1)  # the cup
    cv2.ellipse(img, (cx, cy), (200, 150), 0, 0, 360, (90, 55, 30), -1)  # the coffee
    cv2.ellipse(img, (cx - 60, cy - 50), (50, 25), -20, 0, 360, (200, 170, 140), -1)  # a reflection
    cv2.ellipse(img, (cx + 240, cy), (60, 40), 0, -90, 90, (225, 225, 220), 18)  # the handle
    return np.clip(cv2.GaussianBlur(img, (0, 0), 1.2), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("kind", ["cup", "blank ruled sheet", "blank grid sheet"])
def test_a_photo_without_writing_gives_no_words_and_says_so(kind):
    rng = np.random.default_rng(0)
    if kind == "cup":
        img = coffee_cup(rng)
    else:
        img = make_page(rng, paper=kind.split()[1], blank=True, perspective=True, shadow=True, rotation=0).image
    res = run_job(run_page(img, NO_MODEL))
    assert res.page.words == () and res.page.all_strokes() == []
    assert res.warnings[0].startswith(NO_HANDWRITING)  # first: the GUI's status bar shows the first few


def test_a_page_with_writing_is_not_called_blank():
    sp = make_page(np.random.default_rng(5), paper="ruled", perspective=False, rotation=0, shadow=False,
                   blur=0.0, noise=1.0, jpeg=0, n_lines=2, page_size=(600, 220), line_spacing=60)
    res = run_job(run_page(sp.image, NO_MODEL))
    assert res.page.words and not any(w.startswith(NO_HANDWRITING) for w in res.warnings)


def test_the_cli_prints_the_warning(tmp_path, capsys):
    photo = tmp_path / "cup.png"
    cv2.imwrite(str(photo), cv2.cvtColor(coffee_cup(np.random.default_rng(1)), cv2.COLOR_RGB2BGR))
    assert cli.main(["convert", str(photo), "-o", str(tmp_path / "out"), "--format", "inkml"]) == 0
    err = capsys.readouterr().err
    assert f"warning: {photo}: {NO_HANDWRITING}" in err and "0 words, 0 strokes" in err


def _page_image(ink: np.ndarray) -> PageImage:
    img = np.where(ink[..., None], 30, 250).astype(np.uint8).repeat(3, axis=2)
    return PageImage(image=img, transform=Transform.identity(), to_original=Transform.identity(), rotation=0,
                     sheet_quad=None, warped=False, normalized=ink.astype(np.float32))


def test_drawings_keep_pen_strokes_and_drop_blobs_and_edge_slivers():
    h, w = 600, 800
    arrow = [Stroke(np.array([[100, 300], [400, 320]], np.float32), width=3.0),
             Stroke(np.array([[380, 300], [400, 320], [378, 338]], np.float32), width=3.0)]
    ink = draw_strokes_mask(arrow, h, w) > 0.5
    cv2.ellipse(ink.view(np.uint8), (600, 150), (60, 40), 0, 0, 360, 1, 30)  # a ring 30 px thick
    ink[200:420, 0:12] = True  # the table's edge down the left border
    ink[18:120, 780:783] = True  # the sheet's own edge, a few px in from the right border (a loose crop)
    tick = [Stroke(np.array([[12, 500], [20, 515], [36, 482]], np.float32), width=3.0)]  # in the left margin
    ink |= draw_strokes_mask(tick, h, w) > 0.5
    regions = find_drawings(_page_image(ink), Segmentation(ink=ink), pen_px=3.0)
    assert len(regions) == 2
    x0, y0, x1, y1 = regions[0].bbox
    assert x0 < 110 and x1 > 395 and 280 < y0 and y1 < 345  # the arrow, whole
    assert 2.0 < regions[0].pen_px < 4.5
    assert regions[1].bbox[0] < 15 and regions[1].bbox[3] > 510  # the tick stays


def test_stroke_width_of_bands_and_blobs():
    band = np.zeros((100, 300), bool)
    band[40:46, 20:280] = True
    assert stroke_width(band) == pytest.approx(6.0, rel=0.1)
    disc = np.zeros((200, 200), np.uint8)
    cv2.circle(disc, (100, 100), 80, 1, -1)
    assert stroke_width(disc.astype(bool)) > 60  # a filled blob is as "wide" as it is big


def test_unsurely_read_words_with_ink_are_flagged():
    s = (Stroke(np.array([[0, 0], [5, 5]], np.float32)),)
    q = Quad.from_rect(0, 0, 10, 10)
    words = [Word(s, q, "sure", 0.95), Word(s, q, "unsure", 0.3), Word((), q, "inkless", 0.3),
             Word(s, q, "checked", 0.3, reviewed=True)]
    assert [w.needs_review for w in _flag_unsure(words)] == [False, True, False, False]
