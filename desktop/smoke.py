"""``InkLift --smoke-test``: prove an installed (frozen) InkLift works end to end, offline, without a display.

It checks what a user's first conversion needs, in order, and stops at the first failure with a message
that names the step and the file:

1. every model listed in ``resources/models/manifest.json`` is present, matches its sha256 and byte count,
   and opens in onnxruntime; the PP-OCR models shipped inside rapidocr open too;
2. the bundled sample photo ``resources/samples/sample-page.jpg`` converts through the real pipeline
   (``inference.pipeline.run_page``) into a page with ink;
3. every export format is written (``inference.document.formats.export_page``) and read back (XML formats parsed,
   PNG decoded);
4. Qt works offscreen: the image-format plugins read the sample photo, QtSvg renders our SVG export and the
   desktop module imports.

The run uses a throwaway home/settings folder and the ``offscreen`` Qt platform, and refuses every
network connection made from Python (an attempt fails the test: the app must work without a network).
Exit status: 0 when everything passed, 1 on the first failure (message on stderr), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from inference.model.models import sha256_file

# Fallback list; inference.document.formats.EXPORTERS (the formats owner's registry) wins, so new formats are covered.
DEFAULT_FORMATS = ("inkml", "svg", "xopp", "png")
SAMPLE_NAME = "sample-page.jpg"


class SmokeFailure(Exception):
    """A check failed; the message says which file or step, for the person reading the CI log."""


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, line: str) -> None:
        self.lines.append(line)
        print(f"  ok  {line}", flush=True)


# ---------------------------------------------------------------- environment


def isolate_environment(root: Path) -> None:
    """Point every per-user folder at ``root`` and force the offscreen Qt platform.

    Must run before Qt is imported: QStandardPaths and QSettings read these variables when first used.
    """
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state"), ("APPDATA", "appdata"),
                     ("LOCALAPPDATA", "localappdata")):
        p = root / sub
        p.mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(p)
    os.environ["INKLIFT_CONFIG_DIR"] = str(root / "inklift")  # desktop/settings.py: settings + recovery
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # Keep rapidocr/onnxruntime from trying anything clever with a network or a GPU.
    os.environ.setdefault("OMP_NUM_THREADS", "2")


class _NoNetwork:
    """Replace socket connect calls: a connection attempt is recorded and refused."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._saved: list[tuple[object, str, object]] = []

    def _refuse(self, what: str) -> Callable:
        def refuse(*args, **kwargs):
            self.attempts.append(f"{what}{args[1:] if what == 'socket.connect' else args}")
            raise OSError(f"InkLift smoke test: network access refused ({what})")
        return refuse

    def __enter__(self):
        orig_connect = socket.socket.connect
        refuse_connect = self._refuse("socket.connect")

        def connect(sock, address):  # unix sockets (dbus, X11 from Python) are local, allow them
            if getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX:
                return orig_connect(sock, address)
            return refuse_connect(sock, address)

        for owner, name, repl in ((socket.socket, "connect", connect),
                                  (socket.socket, "connect_ex", connect),
                                  (socket, "create_connection", self._refuse("socket.create_connection")),
                                  (socket, "getaddrinfo", self._refuse("socket.getaddrinfo"))):
            self._saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, repl)
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, orig in reversed(self._saved):
            setattr(owner, name, orig)


@contextmanager
def step(report: Report, name: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    except SmokeFailure:
        raise
    except Exception as e:  # any other error is a failure of this step, with its traceback for the log
        traceback.print_exc(file=sys.stderr)
        raise SmokeFailure(f"{name}: {type(e).__name__}: {e}") from e
    finally:
        report.timings[name] = time.perf_counter() - t0


# ---------------------------------------------------------------- models


def load_manifest(models_dir: Path) -> dict:
    path = models_dir / "manifest.json"
    if not path.is_file():
        raise SmokeFailure(f"models: {path} is missing (the bundle ships no model manifest)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SmokeFailure(f"models: {path} is not valid JSON: {e}") from e
    models = manifest.get("models") if isinstance(manifest, dict) else None
    if not isinstance(models, dict) or not models:
        raise SmokeFailure(f"models: {path} lists no models (expected a non-empty 'models' object)")
    return manifest


def verify_model_files(models_dir: Path) -> list[tuple[str, Path, int]]:
    """Check presence, size and sha256 of every manifest entry; returns (name, path, bytes)."""
    manifest = load_manifest(models_dir)
    checked = []
    for name, entry in sorted(manifest["models"].items()):
        if not isinstance(entry, dict) or "file" not in entry or "sha256" not in entry:
            raise SmokeFailure(f"models: manifest entry {name!r} needs 'file' and 'sha256'")
        path = models_dir / entry["file"]
        if not path.is_file():
            raise SmokeFailure(f"models: {name}: {path} is listed in the manifest but missing")
        size = path.stat().st_size
        if "bytes" in entry and int(entry["bytes"]) != size:
            raise SmokeFailure(f"models: {name}: {path} has {size} bytes, manifest says {entry['bytes']}")
        digest = sha256_file(path)
        if digest != str(entry["sha256"]).lower():
            raise SmokeFailure(f"models: {name}: sha256 mismatch for {path}: file {digest}, "
                               f"manifest {entry['sha256']}")
        checked.append((name, path, size))
    return checked


def open_onnx(path: Path) -> tuple[list[str], list[str]]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    return [i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()]


def check_models(models_dir: Path, report: Report) -> None:
    for name, path, size in verify_model_files(models_dir):
        inputs, outputs = open_onnx(path)
        report.add(f"model {name}: {path.name} {size / 1e6:.1f} MB sha256 ok, "
                   f"inputs {inputs} outputs {outputs}")
    listed = {e["file"] for e in load_manifest(models_dir)["models"].values()}
    for extra in sorted(p.name for p in models_dir.glob("*.onnx") if p.name not in listed):
        print(f"  warn model file {extra} is not in the manifest (not verified)", flush=True)


def check_engine_models(models_dir: Path, report: Report) -> None:
    """Load the shipped set through the engine's own loader, as a conversion does: a manifest the engine
    rejects would otherwise only show as a quiet fallback to the tracer."""
    try:
        from inference.model.models import load_models
    except ImportError as e:
        raise SmokeFailure(f"models: the engine's model loader is not in this build (inference.model.models: {e})") from e
    from inference.errors import ModelError

    try:
        models = load_models(models_dir, threads=1)
        sessions = [models.encoder, models.decoder]
    except ModelError as e:
        raise SmokeFailure(f"models: the engine rejects the shipped models: {e}") from e
    decoder = "decoder step"
    if hasattr(models, "decoder_step"):  # inference/model/hoist.py: needs the onnx package at run time
        if getattr(sys, "frozen", False):
            try:
                import onnx.shape_inference  # noqa: F401
            except ImportError as e:
                raise SmokeFailure(f"models: onnx (a run-time dependency of inference/model/hoist.py) is missing "
                                   f"from the bundle: {e}") from e
        _step, prepare = models.decoder_step()
        notes = "; ".join(getattr(models, "notes", []) or [])
        decoder = "hoisted decoder step" if prepare is not None else f"plain decoder step ({notes or 'no note'})"
    report.add(f"engine loads the derender model set ({len(sessions)} sessions, "
               f"{models.spec.width}x{models.spec.height} token canvas, {decoder})")


def check_ocr_models(report: Report) -> None:
    import rapidocr

    ocr_dir = Path(rapidocr.__file__).resolve().parent / "models"
    files = sorted(ocr_dir.glob("*.onnx"))
    if not files:
        raise SmokeFailure(f"ocr: no PP-OCR ONNX models in {ocr_dir} (rapidocr package data not bundled)")
    for path in files:
        open_onnx(path)
    report.add(f"ocr models: {', '.join(p.name for p in files)} open")


# ---------------------------------------------------------------- conversion and export


def convert_sample(sample: Path, report: Report):
    if not sample.is_file():
        raise SmokeFailure(f"convert: sample photo {sample} is missing")
    try:
        from inference.pipeline import PipelineConfig, run_page
    except ImportError as e:
        raise SmokeFailure(f"convert: the engine is not in this build (inference.pipeline: {e})") from e
    from inference.jobs import run_job

    stages: list[str] = []

    def on_progress(p) -> None:
        if not stages or stages[-1] != p.stage:
            stages.append(p.stage)

    via = "in this process"
    try:  # the GUI converts in a spawned child process: in a frozen app that path must work too
        from desktop import engine_process
    except ImportError:
        engine_process = None
    if engine_process is not None and not engine_process.use_thread():
        from inference.jobs import CancelToken

        eng = engine_process.EngineProcess()
        try:
            result = run_job(eng.run(str(sample), {}, CancelToken()), on_progress=on_progress)
        finally:
            eng.close()
        via = "in the engine child process"
    else:
        result = run_job(run_page(sample, PipelineConfig()), on_progress=on_progress)
    page = getattr(result, "page", None)
    if page is None:
        raise SmokeFailure(f"convert: run_page returned {type(result).__name__} without a page")
    words = list(page.words)
    strokes = sum(len(w.strokes) for w in words)
    if not words or strokes == 0:
        raise SmokeFailure(f"convert: {sample.name} gave {len(words)} words and {strokes} strokes "
                           "(expected ink: the sample is a handwritten page)")
    sources = Counter(getattr(w.source, "value", str(w.source)) for w in words)
    by_source = ", ".join(f"{n} {src}" for src, n in sorted(sources.items()))
    report.add(f"convert {sample.name}: {page.width}x{page.height} px, {len(words)} words ({by_source}), "
               f"{strokes} strokes {via} (stages: {' > '.join(stages) or 'none reported'})")
    for warning in getattr(result, "warnings", ()) or ():
        print(f"  warn {warning}", flush=True)
    return result


def export_formats() -> tuple[str, ...]:
    from inference.document import formats

    names = (getattr(formats, "EXPORTERS", None) or getattr(formats, "FORMATS", None)
             or getattr(formats, "EXPORT_FORMATS", None))
    if isinstance(names, dict):
        names = tuple(names)
    return tuple(names) if names else DEFAULT_FORMATS


def validate_output(path: Path, fmt: str) -> str:
    data = path.read_bytes()
    if not data:
        raise SmokeFailure(f"export: {path} is empty")
    if fmt in ("svg", "inkml", "xopp"):
        from lxml import etree

        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
        return f"<{etree.QName(root).localname}>"
    if fmt == "png":
        import cv2
        import numpy as np

        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise SmokeFailure(f"export: {path} does not decode as an image")
        return f"{img.shape[1]}x{img.shape[0]}"
    return ""


def export_all(result, out_dir: Path, report: Report) -> dict[str, Path]:
    try:
        from inference.document.formats import export_page
    except ImportError as e:
        raise SmokeFailure(f"export: inference.document.formats.export_page is not in this build ({e})") from e
    written = {}
    for fmt in export_formats():
        path = out_dir / f"sample-page.{fmt}"
        export_page(result.page, path, fmt, image=getattr(result, "image", None))
        if not path.is_file():
            raise SmokeFailure(f"export: export_page(..., {fmt!r}) wrote no file at {path}")
        what = validate_output(path, fmt)
        report.add(f"export {fmt}: {path.name} {path.stat().st_size} bytes {what}".rstrip())
        written[fmt] = path
    return written


# ---------------------------------------------------------------- Qt


def check_qt(sample: Path, svg: Path | None, settings_dir: Path, report: Report) -> None:
    from PySide6.QtCore import QSettings, QSize
    from PySide6.QtGui import QImage, QImageReader, QPainter
    from PySide6.QtWidgets import QApplication

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(settings_dir))
    app = QApplication.instance() or QApplication([sys.argv[0], "-platform", "offscreen"])
    platform = app.platformName()
    formats = sorted(bytes(f).decode() for f in QImageReader.supportedImageFormats())
    for need in ("jpeg", "png"):
        if need not in formats:
            raise SmokeFailure(f"qt: image format plugin for {need} missing (have {formats})")
    img = QImage(str(sample))
    if img.isNull():
        raise SmokeFailure(f"qt: QImage cannot read {sample}")
    rendered = ""
    if svg is not None:
        from PySide6.QtSvg import QSvgRenderer

        renderer = QSvgRenderer(str(svg))
        if not renderer.isValid():
            raise SmokeFailure(f"qt: QtSvg cannot read our own export {svg}")
        canvas = QImage(QSize(256, 256), QImage.Format.Format_ARGB32)
        canvas.fill(0)
        painter = QPainter(canvas)
        renderer.render(painter)
        painter.end()
        rendered = ", svg export renders"
    gui = open_main_window(app)
    report.add(f"qt {platform}: jpeg/png plugins, sample {img.width()}x{img.height()}{rendered}; {gui}")
    report.add(check_camera_support())


def open_main_window(app) -> str:
    """Build and show the real main window offscreen: a frozen build missing a GUI module or plugin fails
    here rather than on a user's desk."""
    try:
        from desktop.mainwindow import MainWindow
    except ModuleNotFoundError as e:
        if e.name in ("desktop.mainwindow", "desktop.app"):
            return "desktop main window not in this build yet"
        raise SmokeFailure(f"qt: the desktop app fails to import: {e}") from e
    win = MainWindow()
    win.show()
    app.processEvents()
    title = win.windowTitle()
    if not win.isVisible():
        raise SmokeFailure("qt: the main window did not show")
    win.hide()
    win.deleteLater()
    app.processEvents()
    return f"main window {title!r} shows"


def bundle_features() -> dict:
    """What packaging/inklift.spec put in this bundle (bundle.json); empty when running from source."""
    base = getattr(sys, "_MEIPASS", None)
    try:
        return json.loads((Path(base) / "bundle.json").read_text()) if base else {}
    except (OSError, ValueError):
        return {}


def check_camera_support() -> str:
    """QtMultimedia must be in a frozen bundle (the camera dialog needs it); a camera itself need not be."""
    wanted = bundle_features().get("camera", True)
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as e:
        if getattr(sys, "frozen", False) and wanted:
            raise SmokeFailure(f"camera: QtMultimedia is missing from the bundle ({e})") from e
        if not wanted:
            return "camera: left out of this bundle on purpose (INKLIFT_BUNDLE_CAMERA=0)"
        return f"camera: QtMultimedia not installed in this environment ({e}); the camera dialog is disabled"
    cameras = QMediaDevices.videoInputs()
    return f"camera: QtMultimedia loads, {len(cameras)} camera(s) found"


# ---------------------------------------------------------------- main


def run(out_dir: Path, home: Path, report: Report) -> None:
    from inference.resources import models_dir, resources_dir, samples_dir

    frozen = bool(getattr(sys, "frozen", False))
    print(f"InkLift smoke test ({'frozen bundle' if frozen else 'source tree'}; resources {resources_dir()})",
          flush=True)
    with _NoNetwork() as net:
        with step(report, "models"):
            check_models(models_dir(), report)
            check_engine_models(models_dir(), report)
            check_ocr_models(report)
        sample = samples_dir() / SAMPLE_NAME
        with step(report, "convert"):
            result = convert_sample(sample, report)
        with step(report, "export"):
            written = export_all(result, out_dir, report)
        with step(report, "qt"):
            check_qt(sample, written.get("svg"), home / "qsettings", report)
    if net.attempts:
        raise SmokeFailure(f"network: the app tried to reach the network: {net.attempts[:3]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="InkLift --smoke-test", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", type=Path, help="write the exports here and keep them (default: temp dir)")
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    t0 = time.perf_counter()
    report = Report()
    with tempfile.TemporaryDirectory(prefix="inklift-smoke-") as tmp:
        home = Path(tmp) / "user"
        isolate_environment(home)
        out_dir = args.keep or Path(tmp) / "out"
        out_dir.mkdir(parents=True, exist_ok=True)
        try:
            run(out_dir, home, report)
        except SmokeFailure as e:
            print(f"SMOKE TEST FAILED: {e}", file=sys.stderr, flush=True)
            return 1
        except Exception as e:  # noqa: BLE001  (outside a step: still a clear one-line verdict)
            traceback.print_exc(file=sys.stderr)
            print(f"SMOKE TEST FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            return 1
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
    print(f"SMOKE TEST PASSED: {len(report.lines)} checks in {time.perf_counter() - t0:.1f}s ({steps})",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
