"""packaging/inklift.spec, evaluated with PyInstaller's build classes replaced by recorders (no bundle built)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "inklift.spec"


class Recorder:
    calls: ClassVar[list[tuple[str, tuple, dict]]] = []

    def __init__(self, *args, **kwargs):
        Recorder.calls.append((type(self).__name__, args, kwargs))
        self.args, self.kwargs = args, kwargs


class Analysis(Recorder):
    def __init__(self, scripts, **kwargs):
        super().__init__(scripts, **kwargs)
        self.scripts = [("inklift_entry", scripts[0], "PYSOURCE")]
        self.pure = [("numpy", "x", "PYMODULE"), ("PySide6.QtCore", "x", "PYMODULE")]
        self.binaries = []  # nothing for the Linux library pruning to ask ldd about
        self.datas = [(dest + "/" + Path(src).name, src, "DATA") for src, dest in kwargs["datas"]]
        # plugins the spec must drop (offline, English-only, X11/Wayland)
        self.datas += [("PySide6/Qt/translations/qtbase_de.qm", "x", "DATA"),
                       ("PySide6/Qt/plugins/tls/libqopensslbackend.so", "x", "DATA")]


class PYZ(Recorder):
    pass


class EXE(Recorder):
    pass


class BUNDLE(Recorder):
    pass


class COLLECT(Recorder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        (Path(DIST[0]) / kwargs["name"] / "_internal" / "licenses").mkdir(parents=True, exist_ok=True)


DIST: list[str] = []


def run_spec(tmp_path: Path, platform: str, monkeypatch, quick: bool = False) -> tuple[dict, list]:
    pytest.importorskip("PyInstaller", reason="PyInstaller is in the `bundle` extra; not installed here")
    if quick:  # module discovery runs subprocesses; the platform-only tests do not need it
        from PyInstaller.utils import hooks

        monkeypatch.setattr(hooks, "collect_submodules", lambda *_a, **_k: [])
    monkeypatch.setattr(sys, "platform", platform)
    Recorder.calls = []
    DIST[:] = [str(tmp_path / "dist")]
    ns = {"SPECPATH": str(SPEC.parent), "DISTPATH": DIST[0], "workpath": str(tmp_path / "work"),
          "Analysis": Analysis, "PYZ": PYZ, "EXE": EXE, "COLLECT": COLLECT, "BUNDLE": BUNDLE,
          "__file__": str(SPEC)}
    exec(compile(SPEC.read_text(), str(SPEC), "exec"), ns)  # noqa: S102  (what PyInstaller does with a spec)
    return ns, Recorder.calls


def _call(calls, kind):
    return [SimpleNamespace(args=a, kwargs=k) for name, a, k in calls if name == kind]


def test_linux_spec_carries_resources_ocr_data_and_licences(tmp_path, monkeypatch):
    ns, calls = run_spec(tmp_path, "linux", monkeypatch)
    (analysis,) = _call(calls, "Analysis")
    assert analysis.args[0] == [str(ROOT / "packaging" / "inklift_entry.py")]
    dests = {(Path(src).name, dest) for src, dest in analysis.kwargs["datas"]}
    assert ("sample-page.jpg", "resources/samples") in dests
    assert ("inklift.svg", "resources/icons") in dests  # window icon (ours when resources/icons has none)
    assert ("config.yaml", "rapidocr") in dests and ("default_models.yaml", "rapidocr") in dests
    ocr = [n for n, d in dests if d == "rapidocr/models" and n.endswith(".onnx")]
    assert any("det" in n for n in ocr) and any("rec" in n for n in ocr)
    assert ("NOTICE", ".") in dests and ("bundle.json", ".") in dests
    manifest = ROOT / "resources" / "models" / "manifest.json"
    if manifest.is_file():
        import json

        listed = {e["file"] for e in json.loads(manifest.read_text())["models"].values()}
        assert listed | {"manifest.json"} <= {n for n, d in dests if d == "resources/models"}
    excludes = set(analysis.kwargs["excludes"])
    assert {"torch", "training", "tests", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore", "PySide6.QtQml"} \
        <= excludes
    assert "PySide6.QtNetwork" not in excludes  # QtMultimedia imports it
    assert "onnx" not in excludes  # a run-time dependency since inference/model/hoist.py
    assert "inference.pipeline" in analysis.kwargs["hiddenimports"] or not (ROOT / "inference/pipeline.py").exists()

    a = ns["a"]
    names = [d[0] for d in a.datas]
    assert not any("translations" in n or "/tls/" in n for n in names)
    lic = [n for n in names if n.startswith("licenses/")]
    assert "licenses/INDEX.txt" in lic and "licenses/Qt/LGPL-3.0.txt" in lic
    assert any(n.startswith("licenses/numpy/") for n in lic)
    assert any(n.startswith("licenses/pyinstaller/") for n in lic)  # bootloader: GPL with exception
    index = (tmp_path / "work" / "licenses" / "INDEX.txt").read_text()
    assert "numpy" in index and "PySide6" in index and "LGPL" in index

    (exe,) = _call(calls, "EXE")
    assert exe.kwargs["name"] == "InkLift"
    assert not _call(calls, "BUNDLE")
    assert (tmp_path / "dist" / "InkLift" / "NOTICE").read_text() == (ROOT / "NOTICE").read_text()


def test_macos_spec_builds_an_app_with_camera_usage_text(tmp_path, monkeypatch):
    _ns, calls = run_spec(tmp_path, "darwin", monkeypatch, quick=True)
    (bundle,) = _call(calls, "BUNDLE")
    plist = bundle.kwargs["info_plist"]
    assert bundle.kwargs["name"] == "InkLift.app"
    assert "camera" in plist["NSCameraUsageDescription"].lower()
    assert plist["CFBundleShortVersionString"] == bundle.kwargs["version"]


def test_windows_spec_adds_a_console_twin(tmp_path, monkeypatch):
    _ns, calls = run_spec(tmp_path, "win32", monkeypatch, quick=True)
    exes = {e.kwargs["name"]: e.kwargs["console"] for e in _call(calls, "EXE")}
    assert exes == {"InkLift": False, "inklift-cli": True}


def test_camera_can_be_left_out(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("INKLIFT_BUNDLE_CAMERA", "0")
    ns, calls = run_spec(tmp_path, "linux", monkeypatch, quick=True)
    (analysis,) = _call(calls, "Analysis")
    assert {"PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets"} <= set(analysis.kwargs["excludes"])
    assert json.loads((tmp_path / "work" / "bundle.json").read_text())["camera"] is False
    assert ns["_DROP"].search("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so")
