"""Round trip through the photo's own pixels: a photo that InkLift downscales, turns upright and rectifies
-> `inklift convert` -> InkML -> its ink drawn on the original photo lands on the photo's ink."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from lxml import etree

from inference import cli
from inference.document.formats import read_inkml
from inference.document.ink import Stroke
from inference.document.render import draw_strokes_mask
from inference.photo.load import WORK_MAX_SIDE
from tests.inference.synthpage import make_page

NS = "{http://www.w3.org/2003/InkML}"


def _inkml_strokes(data: bytes) -> list[Stroke]:
    """The traces as they are in the file (no InkLift reader in between), each with its brush width."""
    root = etree.fromstring(data)
    widths = {}
    for b in root.iter(NS + "brush"):
        for p in b.iter(NS + "brushProperty"):
            if p.get("name") == "width":
                widths[b.get("{http://www.w3.org/XML/1998/namespace}id")] = float(p.get("value"))
    out = []
    for t in root.iter(NS + "trace"):
        xy = np.array([[float(v) for v in p.split()[:2]] for p in t.text.split(",")], np.float32)
        out.append(Stroke(xy, width=widths[t.get("brushRef").lstrip("#")]))
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    sp = make_page(np.random.default_rng(11), paper="plain", perspective=True, rotation=90, shadow=False,
                   blur=0.4, noise=1.5, jpeg=0, n_lines=4, page_size=(1500, 1900), line_spacing=110)
    d = tmp_path_factory.mktemp("frame")
    photo = d / "IMG_0042.png"
    assert cv2.imwrite(str(photo), cv2.cvtColor(sp.image, cv2.COLOR_RGB2BGR))
    assert cli.main(["convert", str(photo), "-o", str(d / "out"), "--format", "inkml"]) == 0
    return sp, (d / "out" / "IMG_0042.inkml").read_bytes()


def _true_ink(sp) -> np.ndarray:
    h, w = sp.image.shape[:2]
    tf = sp.page_to_photo
    c = np.array(sp.page_size, float) / 2
    scale = float(np.linalg.norm(tf.apply([c + [1, 0]]) - tf.apply([c])))
    strokes = [Stroke(tf.apply(p).astype(np.float32), width=sp.pen_width * scale) for p in sp.strokes]
    return draw_strokes_mask(strokes, h, w) > 0.5


def test_inkml_ink_lands_on_the_original_photos_ink(converted):
    sp, data = converted
    h, w = sp.image.shape[:2]
    assert max(h, w) > WORK_MAX_SIDE  # the engine worked on a reduced, turned, rectified copy
    true = _true_ink(sp)
    drawn = draw_strokes_mask(_inkml_strokes(data), h, w) > 0.5
    iou = _iou(drawn, true)
    # measured: IoU 0.71, 99.5% of the drawn ink within 2 px of the true ink, 99.7% of that ink covered
    near_true = cv2.distanceTransform((~true).astype(np.uint8), cv2.DIST_L2, 5) <= 2
    near_drawn = cv2.distanceTransform((~drawn).astype(np.uint8), cv2.DIST_L2, 5) <= 2
    precision, recall = float(near_true[drawn].mean()), float(near_drawn[true].mean())
    assert iou >= 0.6 and precision >= 0.95 and recall >= 0.95, (iou, precision, recall)


def test_the_page_frame_would_miss_it_and_the_reader_restores_the_page(converted):
    sp, data = converted
    h, w = sp.image.shape[:2]
    page = read_inkml(data)  # back in the page frame, through the transform kept in the file
    assert page.image_path == "IMG_0042.png"
    on_page = draw_strokes_mask(page.all_strokes(), h, w) > 0.5
    assert _iou(on_page, _true_ink(sp)) < 0.1  # page px are not photo px: the frame is what makes it land
    assert (page.width, page.height) != (w, h)
