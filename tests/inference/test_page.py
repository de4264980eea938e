"""inference.photo.page without the OCR engine: sheet finding and warp, lighting, transforms back to the photo.
(Upright detection needs the recogniser and is tested with segmentation in test_segment.py.)"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.photo.load import load_image
from inference.photo.page import even_out_lighting, find_sheet, prepare_page
from tests.inference.synthpage import corner_error, make_page

SEEDS = [11, 12, 13, 14]


@pytest.mark.parametrize("seed", SEEDS)
def test_sheet_corners_within_two_percent(seed):
    sp = make_page(np.random.default_rng(seed), perspective=True, rotation=0, shadow=seed % 2 == 0)
    quad = find_sheet(sp.image)
    assert quad is not None
    assert corner_error(quad, sp.page_corners) <= 0.02


@pytest.mark.parametrize("seed", [21, 22])
def test_no_sheet_when_the_page_fills_the_photo(seed):
    sp = make_page(np.random.default_rng(seed), perspective=False, rotation=0)
    assert find_sheet(sp.image) is None


def test_no_sheet_on_uniform_or_tiny_images():
    assert find_sheet(np.full((300, 400, 3), 128, np.uint8)) is None
    assert find_sheet(np.full((5, 5, 3), 255, np.uint8)) is None
    noise = np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8)
    assert find_sheet(noise) is None


def test_small_sheet_is_not_trusted():
    img = np.full((1000, 1000, 3), 60, np.uint8)
    img[400:600, 400:600] = 250  # 4% of the photo
    assert find_sheet(img) is None


def test_warp_transforms_map_back_to_the_photo():
    sp = make_page(np.random.default_rng(31), perspective=True, rotation=0, shadow=False)
    loaded = load_image(sp.image, work_max_side=1200)  # the working copy is smaller than the photo
    page = prepare_page(loaded, detect_upright=False)
    assert page.warped and page.rotation == 0
    h, w = page.image.shape[:2]
    corners_page = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    in_photo = page.to_original.apply(corners_page)
    diag = np.hypot(*sp.image.shape[:2])
    assert np.abs(in_photo - sp.page_corners).max() <= 0.02 * diag
    # a word's box on the page lands on the word in the photo
    gt_page = sp.page_word_boxes[0]
    x0, y0, x1, y1 = gt_page * np.array([w / sp.page_size[0], h / sp.page_size[1]] * 2)
    quad = page.to_original.apply(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    assert np.abs(quad - sp.word_quads[0]).max() <= 0.02 * diag


def test_lighting_evened_out_under_a_shadow():
    img = np.full((600, 800, 3), 245, np.float32)
    img[:, 400:] *= 0.55  # a hard-edged cast shadow over the right half
    img[300:304, 100:700] = 30  # a pen line crossing the shadow
    flat = even_out_lighting(np.clip(img, 0, 255).astype(np.uint8))
    paper_left = flat[100:200, 100:300].mean()
    paper_right = flat[100:200, 500:700].mean()
    assert abs(paper_left - paper_right) < 12
    assert flat[301, 200].max() < 120 and flat[301, 600].max() < 120  # ink stays ink on both sides


def test_page_without_sheet_is_not_warped():
    sp = make_page(np.random.default_rng(41), perspective=False, rotation=0, shadow=True)
    page = prepare_page(load_image(sp.image), detect_upright=False)
    assert not page.warped and page.sheet_quad is None
    assert page.image.shape == sp.image.shape
    assert page.normalized.dtype == np.float32 and page.normalized.shape == sp.image.shape[:2]
    assert 0.0 <= float(page.normalized.min()) and float(page.normalized.max()) <= 1.0


def test_sheet_under_a_light_gradient_next_to_glare():
    """No single brightness cut works: the sheet darkens to one side and the table has glare as
    bright as the paper touching the sheet; the sheet's edges still give its outline."""
    h, w = 900, 700
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = (200, 120, 60)  # orange wood
    glare = np.exp(-(((xx - 640) / 80) ** 2 + ((yy - 450) / 200) ** 2))[..., None]
    img = img * (1 - glare) + 250 * glare
    corners = np.array([[90, 80], [600, 95], [590, 840], [100, 830]], np.float32)
    sheet = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(sheet, corners.astype(np.int32), 1)
    light = (0.55 + 0.45 * (xx / w + yy / h) / 2)[..., None]  # dark top-left, bright bottom-right
    paper = np.full((h, w, 3), 250, np.float32) * light
    img = np.where(sheet[..., None] > 0, paper, img)
    quad = find_sheet(np.clip(img, 0, 255).astype(np.uint8))
    assert quad is not None
    assert corner_error(quad, corners.astype(float)) <= 0.02


class _ScriptedReader:
    """Reads every line crop as ``upright`` and every crop turned by 180 degrees as ``turned`` (text, conf)."""

    def __init__(self, upright, turned):
        self.upright, self.turned = upright, turned

    def crop_line(self, image, quad):
        x0, y0 = np.floor(quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
        return image[y0:y1, x0:x1].copy()

    def recognize(self, crops):
        # the test line's left half is dark: a crop turned over has its dark half on the right
        return [(*(self.upright if c[:, : c.shape[1] // 2].mean() < c[:, c.shape[1] // 2:].mean() else self.turned),
                 None) for c in crops]


def test_a_page_is_turned_over_only_when_the_turned_reading_is_better_both_ways():
    from inference.photo.page import detect_rotation

    image = np.full((40, 200, 3), 255, np.uint8)
    image[:, :100] = 0
    lines = np.float32([[[0, 0], [200, 0], [200, 40], [0, 40]]])
    # upright cursive read poorly; turned over it yields more characters, each less sure: stays upright
    assert detect_rotation(image, lines, _ScriptedReader(("thousand", 0.7), ("cprusedl pereuryt", 0.6)))[0] == 0
    # turned over it reads more and surer: turned
    assert detect_rotation(image, lines, _ScriptedReader(("pnoJ", 0.5), ("found it", 0.95)))[0] == 180
    # a confident upright reading is not checked at all
    assert detect_rotation(image, lines, _ScriptedReader(("found it", 0.95), ("x", 0.99)))[0] == 0
