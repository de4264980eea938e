"""desktop/smoke.py (the ``--smoke-test`` behind the frozen app) and the frozen entry script, from source."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import smoke

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "packaging" / "inklift_entry.py"


def _ocr_model() -> Path:
    """A real ONNX model that ships with the rapidocr package (the small text-direction classifier)."""
    import rapidocr

    models = sorted((Path(rapidocr.__file__).parent / "models").glob("*.onnx"), key=lambda p: p.stat().st_size)
    if not models:
        pytest.skip("rapidocr ships no ONNX models in this environment")
    return models[0]


def _models_dir(tmp_path: Path, sha: str | None = None, size: int | None = None) -> Path:
    src = _ocr_model()
    d = tmp_path / "models"
    d.mkdir()
    shutil.copy(src, d / "m.onnx")
    data = (d / "m.onnx").read_bytes()
    entry = {"file": "m.onnx", "sha256": sha or hashlib.sha256(data).hexdigest(),
             "bytes": len(data) if size is None else size}
    (d / "manifest.json").write_text(json.dumps({"format": 2, "models": {"cls": entry}}))
    return d


def test_check_models_opens_every_listed_model(tmp_path, capsys):
    d = _models_dir(tmp_path)
    (d / "stray.onnx").write_bytes(b"not listed")  # unlisted files are reported, not loaded
    report = smoke.Report()
    smoke.check_models(d, report)
    assert len(report.lines) == 1 and "cls" in report.lines[0] and "sha256 ok" in report.lines[0]
    assert "stray.onnx is not in the manifest" in capsys.readouterr().out


def test_sha256_mismatch_names_the_file(tmp_path):
    d = _models_dir(tmp_path, sha="0" * 64)
    with pytest.raises(smoke.SmokeFailure, match=r"sha256 mismatch for .*m\.onnx"):
        smoke.check_models(d, smoke.Report())


def test_size_mismatch_and_missing_file_fail(tmp_path):
    d = _models_dir(tmp_path, size=1)
    with pytest.raises(smoke.SmokeFailure, match="manifest says 1"):
        smoke.verify_model_files(d)
    (d / "m.onnx").unlink()
    with pytest.raises(smoke.SmokeFailure, match="listed in the manifest but missing"):
        smoke.verify_model_files(d)


def test_missing_or_empty_manifest_fails(tmp_path):
    with pytest.raises(smoke.SmokeFailure, match="manifest.json is missing"):
        smoke.verify_model_files(tmp_path)
    (tmp_path / "manifest.json").write_text('{"models": {}}')
    with pytest.raises(smoke.SmokeFailure, match="lists no models"):
        smoke.verify_model_files(tmp_path)


def test_network_is_refused_and_recorded():
    with smoke._NoNetwork() as net:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            with pytest.raises(OSError, match="network access refused"):
                s.connect(("127.0.0.1", 9))
        finally:
            s.close()
        with pytest.raises(OSError, match="network access refused"):
            socket.getaddrinfo("example.org", 443)
    assert len(net.attempts) == 2
    assert socket.getaddrinfo is not None and "refuse" not in socket.getaddrinfo.__name__


def test_bad_arguments_exit_2():
    assert smoke.main(["--no-such-option"]) == 2


def test_validate_output_rejects_broken_files(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(smoke.SmokeFailure, match="does not decode"):
        smoke.validate_output(bad, "png")
    empty = tmp_path / "x.svg"
    empty.write_bytes(b"")
    with pytest.raises(smoke.SmokeFailure, match="is empty"):
        smoke.validate_output(empty, "svg")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", INKLIFT_CONFIG_DIR=str(tmp_path / "cfg"), HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "xdg"), PYTHONPATH=str(ROOT))
    return env


def test_entry_smoke_test_from_source(tmp_path):
    """The real thing, from source: every shipped model, the sample photo, every export format."""
    try:
        import inference.pipeline  # noqa: F401
    except ImportError as e:
        pytest.skip(f"inference.pipeline is not there yet ({e})")
    manifest = ROOT / "resources" / "models" / "manifest.json"
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(ENTRY), "--smoke-test", "--keep", str(out)], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=600, check=False)
    log = proc.stdout + proc.stderr
    if not manifest.is_file():
        # Without shipped models the smoke test must refuse, saying why (not pass on the tracer alone).
        assert proc.returncode == 1, log
        assert "SMOKE TEST FAILED: models:" in log and "manifest.json is missing" in log, log
        pytest.skip("resources/models/manifest.json not there yet: checked the clear failure only")
    assert proc.returncode == 0, log
    assert "SMOKE TEST PASSED" in proc.stdout
    for fmt in smoke.export_formats():
        assert (out / f"sample-page.{fmt}").stat().st_size > 0


def test_entry_measure_startup_reports_shown_window(tmp_path):
    try:
        import desktop.mainwindow  # noqa: F401
    except ImportError as e:
        pytest.skip(f"desktop.mainwindow is not there yet ({e})")
    proc = subprocess.run([sys.executable, str(ENTRY), "--measure-startup"], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("startup: window shown"))
    assert "InkLift" in line and "platform offscreen" in line


def test_entry_cli_dispatch(tmp_path):
    try:
        import inference.cli  # noqa: F401
    except ImportError as e:
        pytest.skip(f"inference.cli is not there yet ({e})")
    proc = subprocess.run([sys.executable, str(ENTRY), "--cli", "--help"], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("usage: inklift")


def test_every_registered_export_format_is_covered():
    try:
        from inference.document.formats import EXPORTERS
    except ImportError as e:
        pytest.skip(f"inference.document.formats has no EXPORTERS registry ({e})")
    assert set(smoke.export_formats()) == set(EXPORTERS) >= {"inkml", "svg", "xopp", "png"}
