"""Load a photo: decode with EXIF orientation applied, RGB, bounded in memory, plus a working-size copy.

Bounds (why): a phone photo is 12-50 MP; a hostile or absurd file can claim gigapixels. We read the size
from the header first (Pillow opens lazily and parses only the header) and refuse anything over
``max_pixels`` before decoding a single pixel. Photos over ``original_max_pixels`` are decoded already
reduced by 2, 4 or 8 (libjpeg scales in the DCT domain, so a 100-MP JPEG never exists in memory at full
size); ``original_scale`` records that factor so exports can still map back to the file's pixels.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..document.transforms import Transform
from ..errors import InputError

MAX_PIXELS = 200_000_000  # refuse beyond this (header check, before decoding)
ORIGINAL_MAX_PIXELS = 50_000_000  # decode larger photos reduced by 2/4/8 (<= 150 MB RGB)
WORK_MAX_SIDE = 2048  # the working copy every later stage sees
MAX_FILE_BYTES = 512 * 1024 * 1024

# EXIF orientation tag -> (transpose?, then k for np.rot90 clockwise quarter turns) as numpy ops
_ORIENT_OPS = {
    1: (False, 0),
    2: ("flip_lr", 0),
    3: (False, 2),
    4: ("flip_ud", 0),
    5: ("transpose", 0),
    6: (False, 1),
    7: ("transverse", 0),
    8: (False, 3),
}


@dataclass(frozen=True, eq=False)
class LoadedImage:
    original: np.ndarray  # RGB uint8, EXIF-upright, at most ORIGINAL_MAX_PIXELS (see original_scale)
    image: np.ndarray  # RGB uint8 working copy, longest side <= work_max_side
    transform: Transform  # original pixels -> working pixels
    path: Path | None = None
    source_size: tuple[int, int] = (0, 0)  # (width, height) of the file's pixels after EXIF orientation
    original_scale: float = 1.0  # original = file pixels * original_scale (1, 1/2, 1/4 or 1/8)
    exif_orientation: int = 1

    @property
    def to_source(self) -> Transform:
        """Working pixels -> the file's own (upright) pixels."""
        return self.transform.inverse().then(Transform.scale(1.0 / self.original_scale))


def _apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    op, k = _ORIENT_OPS.get(orientation, (False, 0))
    if op == "flip_lr":
        img = img[:, ::-1]
    elif op == "flip_ud":
        img = img[::-1]
    elif op == "transpose":
        img = img.transpose(1, 0, 2)
    elif op == "transverse":
        img = img[::-1, ::-1].transpose(1, 0, 2)
    if k:
        img = np.rot90(img, -k)  # np.rot90 turns counter-clockwise; EXIF 6 needs a clockwise turn
    return np.ascontiguousarray(img)


def _jpeg_is_truncated(data: bytes) -> bool:
    """A JPEG whose main image has no end-of-image marker after its first scan was cut off.

    libjpeg pads a truncated scan with grey and only warns, so check the markers ourselves: walk the
    segments to the first SOS (skipping APPn segments, which may hold an EXIF thumbnail with its own EOI).
    """
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return True
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        seg_len = int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return data.rfind(b"\xff\xd9", i + 2 + seg_len) < 0
        i += 2 + seg_len
    return True


def _read_source(source: str | Path | bytes | bytearray | memoryview) -> tuple[bytes, Path | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), None
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise InputError(f"{path}: file not found")
        if not path.is_file():
            raise InputError(f"{path}: not a file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: file is {size / 1e6:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MiB limit")
        try:
            return path.read_bytes(), path
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    raise InputError(f"cannot load an image from a {type(source).__name__}")


def _from_array(arr: np.ndarray, max_pixels: int) -> np.ndarray:
    """Caller-supplied pixels: RGB/RGBA/gray uint8 (channels are taken as RGB, not BGR)."""
    if arr.dtype != np.uint8:
        raise InputError(f"image array must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise InputError(f"image array must be HxW, HxWx3 or HxWx4, got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError("image is empty (zero width or height)")
    if arr.shape[0] * arr.shape[1] > max_pixels:
        raise InputError(f"image has {arr.shape[0] * arr.shape[1] / 1e6:.0f} MP, more than {max_pixels / 1e6:.0f} MP")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 4:
        a = arr[..., 3:4].astype(np.float32) / 255.0
        arr = (arr[..., :3] * a + 255.0 * (1 - a) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(arr)


def _decode(data: bytes, name: str, max_pixels: int, original_max_pixels: int) -> tuple[np.ndarray, int, float]:
    """Header check, then a bounded decode. Returns (RGB upright, exif orientation, scale)."""
    if len(data) == 0:
        raise InputError(f"{name}: the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            pil = Image.open(io.BytesIO(data))  # lazy: parses the header only
            fmt, (w, h), mode = pil.format, pil.size, pil.mode
            try:
                orientation = int(pil.getexif().get(0x0112, 1) or 1)
            except Exception:  # noqa: BLE001 - a broken EXIF block must not make a good image unreadable
                orientation = 1
    except Image.DecompressionBombError as exc:
        raise InputError(f"{name}: image is larger than the {max_pixels / 1e6:.0f} MP limit") from exc
    except Exception as exc:
        raise InputError(f"{name}: not an image (or a format InkLift cannot read)") from exc
    if w <= 0 or h <= 0:
        raise InputError(f"{name}: image is empty (zero width or height)")
    if w * h > max_pixels:
        raise InputError(f"{name}: image is {w}x{h} ({w * h / 1e6:.0f} MP), more than the "
                         f"{max_pixels / 1e6:.0f} MP limit")
    if fmt == "JPEG" and _jpeg_is_truncated(data):
        raise InputError(f"{name}: the JPEG file is truncated or corrupt")

    reduce = 1
    while w * h / (reduce * reduce) > original_max_pixels and reduce < 8:
        reduce *= 2
    has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in pil.info)
    if has_alpha and reduce == 1:
        flags = cv2.IMREAD_UNCHANGED  # (-1: keeps alpha, never applies EXIF orientation)
    else:
        flags = cv2.IMREAD_IGNORE_ORIENTATION | {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}[reduce]
    buf = np.frombuffer(data, np.uint8)
    img = cv2.imdecode(buf, flags)
    if img is None:  # a format Pillow knows but OpenCV does not (e.g. GIF): small enough here
        try:
            pil = Image.open(io.BytesIO(data))
            if reduce > 1:
                pil.draft("RGB", (w // reduce, h // reduce))
            pil.load()
            rgba = np.asarray(pil.convert("RGBA"))
        except Exception as exc:
            raise InputError(f"{name}: the {fmt or 'image'} file is corrupt or truncated") from exc
        rgb = _from_array(rgba, max_pixels)
    else:
        if img.dtype != np.uint8:
            img = (img >> 8).astype(np.uint8) if img.dtype == np.uint16 else img.astype(np.uint8)
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        if img.shape[2] == 4:
            rgb = _from_array(cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA), max_pixels)
        else:
            rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise InputError(f"{name}: image is empty (zero width or height)")
    rgb = _apply_orientation(rgb, orientation)
    scale = rgb.shape[1] / (h if orientation in (5, 6, 7, 8) else w)
    return rgb, orientation, scale


def _working_copy(rgb: np.ndarray, work_max_side: int) -> tuple[np.ndarray, Transform]:
    h, w = rgb.shape[:2]
    s = min(1.0, work_max_side / max(h, w))
    if s >= 1.0:
        return rgb, Transform.identity()
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    small = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    return small, Transform.scale(nw / w, nh / h)


def load_image(
    source: str | Path | bytes | np.ndarray,
    max_pixels: int = MAX_PIXELS,
    work_max_side: int = WORK_MAX_SIDE,
    original_max_pixels: int = ORIGINAL_MAX_PIXELS,
) -> LoadedImage:
    """Decode ``source`` (a path, the file's bytes, or an RGB/RGBA/gray uint8 array) into a LoadedImage.

    Raises InputError (with a message meant for people) for a missing, empty, corrupt, truncated,
    non-image or over-large input.
    """
    if isinstance(source, np.ndarray):
        rgb, path, orientation, scale = _from_array(source, max_pixels), None, 1, 1.0
        if rgb.shape[0] * rgb.shape[1] > original_max_pixels:
            f = math.sqrt(original_max_pixels / (rgb.shape[0] * rgb.shape[1]))
            rgb = cv2.resize(rgb, (max(1, int(rgb.shape[1] * f)), max(1, int(rgb.shape[0] * f))),
                             interpolation=cv2.INTER_AREA)
            scale = rgb.shape[1] / source.shape[1]
        src_size = (source.shape[1], source.shape[0])
    else:
        data, path = _read_source(source)
        name = str(path) if path is not None else "image data"
        rgb, orientation, scale = _decode(data, name, max_pixels, original_max_pixels)
        src_size = (round(rgb.shape[1] / scale), round(rgb.shape[0] / scale))
    work, tf = _working_copy(rgb, work_max_side)
    return LoadedImage(original=rgb, image=work, transform=tf, path=path, source_size=src_size,
                       original_scale=scale, exif_orientation=orientation)
