"""inference.photo.load: EXIF orientation, RGB order, bounded size, and clear errors for bad input."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from inference.errors import InputError
from inference.photo.load import load_image


def _jpeg(rgb: np.ndarray, orientation: int | None = None, quality: int = 95) -> bytes:
    pil = Image.fromarray(rgb)
    b = io.BytesIO()
    if orientation is None:
        pil.save(b, "JPEG", quality=quality)
    else:
        ex = Image.Exif()
        ex[0x0112] = orientation
        pil.save(b, "JPEG", exif=ex.tobytes(), quality=quality)
    return b.getvalue()


def _png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def _marked(h: int = 40, w: int = 80) -> np.ndarray:
    img = np.full((h, w, 3), 255, np.uint8)
    img[: h // 2, : w // 2] = (255, 0, 0)  # red top-left quarter
    return img


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(orientation):
    data = _jpeg(_marked(), orientation)
    loaded = load_image(data)
    ref = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert loaded.original.shape == ref.shape
    assert np.abs(loaded.original.astype(int) - ref).max() <= 2
    assert loaded.exif_orientation == orientation
    assert loaded.source_size == (ref.shape[1], ref.shape[0])


def test_rgb_order_and_sources(tmp_path):
    img = _marked()
    png = _png(img)
    p = tmp_path / "a.png"
    p.write_bytes(png)
    for src in (png, p, str(p), img):
        loaded = load_image(src)
        assert loaded.image.dtype == np.uint8 and loaded.image.shape == (40, 80, 3)
        assert tuple(loaded.image[5, 5]) == (255, 0, 0)
        assert tuple(loaded.image[30, 70]) == (255, 255, 255)
    assert load_image(p).path == p


def test_gray_and_rgba_arrays():
    assert load_image(np.zeros((10, 12), np.uint8)).image.shape == (10, 12, 3)
    rgba = np.zeros((10, 12, 4), np.uint8)  # fully transparent black: composited on white paper
    assert load_image(rgba).image.min() == 255


def test_transparent_png_is_composited_on_white():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[5:15, 5:15] = (0, 0, 0, 255)
    b = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(b, "PNG")
    img = load_image(b.getvalue()).image
    assert tuple(img[0, 0]) == (255, 255, 255) and tuple(img[10, 10]) == (0, 0, 0)


def test_working_copy_and_transform():
    img = np.full((1000, 3000, 3), 200, np.uint8)
    loaded = load_image(img, work_max_side=1000)
    assert loaded.image.shape[:2] == (333, 1000) or loaded.image.shape[:2] == (334, 1000)
    corners = np.array([[0, 0], [3000, 1000]], float)
    mapped = loaded.transform.apply(corners)
    assert np.allclose(mapped[1], [loaded.image.shape[1], loaded.image.shape[0]])
    back = loaded.transform.inverse().apply(mapped)
    assert np.allclose(back, corners)


def test_large_jpeg_is_decoded_reduced():
    rgb = np.full((400, 600, 3), 230, np.uint8)
    cv2.putText(rgb, "hi", (100, 250), cv2.FONT_HERSHEY_SIMPLEX, 5, (0, 0, 0), 12)
    loaded = load_image(_jpeg(rgb), original_max_pixels=70_000, work_max_side=100)
    # 240 000 px > 70 000 -> libjpeg decodes at 1/2 (60 000 px); the working copy is 100 px wide
    assert loaded.original.shape[:2] == (200, 300)
    assert loaded.original_scale == pytest.approx(0.5)
    assert loaded.source_size == (600, 400)
    assert max(loaded.image.shape[:2]) == 100
    # working px -> the file's own pixels
    assert np.allclose(loaded.to_source.apply(np.array([[100.0, 66.666]])), [[600, 400]], atol=2)


def test_hundred_megapixel_photo_is_bounded():
    gray = np.full((10_000, 10_000), 240, np.uint8)  # 100 MP
    gray[4000:6000, 2000:8000] = 20
    ok, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, 50])
    assert ok
    del gray
    loaded = load_image(buf.tobytes())
    assert loaded.original.shape[0] * loaded.original.shape[1] <= 50_000_000
    assert max(loaded.image.shape[:2]) == 2048
    assert loaded.source_size == (10_000, 10_000)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_header(w: int, h: int) -> bytes:
    """A PNG that claims w x h pixels but carries a few bytes of image data."""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


def test_decompression_bomb_refused_from_header():
    # 60000 x 60000 claimed in the header (3.6 GP); no pixel data at all: refused before decoding
    with pytest.raises(InputError, match="limit"):
        load_image(_png_header(60_000, 60_000))
    with pytest.raises(InputError, match="limit"):
        load_image(_png_header(20_000, 11_000), max_pixels=200_000_000)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"hello, this is a text file\n" * 10, "not an image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not an image"),
    ],
)
def test_bad_bytes(data, match):
    with pytest.raises(InputError, match=match):
        load_image(data)


def test_truncated_files():
    jpg = _jpeg(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="truncated|corrupt"):
        load_image(jpg[: len(jpg) // 2])
    png = _png(np.random.default_rng(1).integers(0, 255, (200, 200, 3), dtype=np.uint8))
    with pytest.raises(InputError, match="truncated|corrupt"):
        load_image(png[: len(png) // 2])


def test_missing_and_wrong_sources(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(InputError, match="not a file"):
        load_image(tmp_path)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_image(empty)
    with pytest.raises(InputError):
        load_image(12345)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="empty"):
        load_image(np.zeros((0, 10, 3), np.uint8))
    with pytest.raises(InputError, match="uint8"):
        load_image(np.zeros((10, 10, 3), np.float32))


def test_tiny_image():
    loaded = load_image(_png(np.full((1, 1, 3), 255, np.uint8)))
    assert loaded.image.shape == (1, 1, 3)
