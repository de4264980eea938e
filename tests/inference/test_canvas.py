import numpy as np
import pytest

from inference.model.canvas import fit_crop
from inference.model.tokens import TokenSpec


def _crop_with_dot(w, h, x, y):
    img = np.full((h, w, 3), 235, np.uint8)
    img[y - 2:y + 3, x - 2:x + 3] = 20
    return img


@pytest.mark.parametrize("w,h", [(300, 80), (90, 120), (40, 10), (1000, 60)])
def test_fit_crop_shape_and_round_trip(w, h):
    spec = TokenSpec()
    x, y = int(w * 0.7), int(h * 0.4)
    canvas, t = fit_crop(_crop_with_dot(w, h, x, y), spec)
    assert canvas.shape == (spec.height, spec.width) and canvas.dtype == np.float32
    assert 0.0 <= canvas.min() and canvas.max() <= 1.0
    # crop corners land inside the canvas, and the inverse maps back exactly
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    c = t.apply(corners)
    assert c[:, 0].min() >= 0 and c[:, 0].max() <= spec.width
    assert c[:, 1].min() >= 0 and c[:, 1].max() <= spec.height
    np.testing.assert_allclose(t.inverse().apply(c), corners, atol=1e-9)
    # aspect ratio kept (up to one canvas pixel of rounding)
    cw, ch = c[:, 0].max() - c[:, 0].min(), c[:, 1].max() - c[:, 1].min()
    assert abs(cw / ch - w / h) <= (w / h) * (1.0 / min(cw, ch)) + 1e-6
    # the dark dot shows up where the transform says it should
    px, py = t.apply(np.array([[x + 0.5, y + 0.5]]))[0]
    ys, xs = np.nonzero(canvas > 0.5 * canvas.max())
    assert abs(xs.mean() + 0.5 - px) <= 1.5 and abs(ys.mean() + 0.5 - py) <= 1.5


def test_fit_crop_centred():
    spec = TokenSpec()
    _, t = fit_crop(np.full((50, 50, 3), 255, np.uint8), spec)
    c = t.apply(np.array([[25.0, 25.0]]))[0]
    assert abs(c[0] - spec.width / 2) <= 1 and abs(c[1] - spec.height / 2) <= 1
