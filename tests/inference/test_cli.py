"""The ``inklift`` command line: conversion, JSON summaries, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import numpy as np
import pytest

from inference import __version__, cli
from inference.document.formats import read_inkml, write_inkml
from inference.document.ink import Page, Quad, Stroke, Word
from inference.jobs import Progress
from inference.resources import samples_dir

SAMPLE = samples_dir() / "sample.inkml"


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_converts_the_sample_to_every_default_format_with_json(tmp_path, capsys):
    code, out, err = run(capsys, "convert", SAMPLE, "-o", tmp_path, "--format", "svg,xopp,inkml", "--json")
    assert code == 0, err
    (line,) = out.splitlines()
    summary = json.loads(line)
    page = read_inkml(SAMPLE)
    assert summary["status"] == "ok" and summary["input"] == str(SAMPLE)
    assert summary["words"] == len(page.words) and summary["strokes"] == len(page.all_strokes())
    assert [p.rsplit("/", 1)[-1] for p in summary["outputs"]] == ["sample.svg", "sample.xopp", "sample.inkml"]
    assert isinstance(summary["seconds"], float)
    assert (tmp_path / "sample.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert (tmp_path / "sample.xopp").read_bytes()[:2] == b"\x1f\x8b"  # gzip
    assert read_inkml(tmp_path / "sample.inkml") == page  # conversion keeps the ink exactly
    assert err == ""  # --json: no progress chatter


def test_our_svg_converts_back(tmp_path, capsys):
    code, _, _ = run(capsys, "convert", SAMPLE, "-o", tmp_path / "a", "--format", "svg")
    assert code == 0
    code, out, err = run(capsys, "convert", tmp_path / "a" / "sample.svg", "-o", tmp_path / "b",
                         "--format", "inkml", "--json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "svg"
    assert read_inkml(tmp_path / "b" / "sample.inkml") == read_inkml(SAMPLE)


def test_progress_goes_to_stderr_without_json(tmp_path, capsys):
    code, out, err = run(capsys, "convert", SAMPLE, "-o", tmp_path, "--format", "svg")
    assert code == 0 and out == ""
    assert "sample.inkml" in err and str(tmp_path / "sample.svg") in err
    assert (tmp_path / "sample.svg").exists()


def test_one_bad_input_does_not_stop_the_others(tmp_path, capsys):
    bad = tmp_path / "bad.inkml"
    bad.write_text("<ink><trace>1 2, nan 3</trace></ink>")
    code, out, err = run(capsys, "convert", tmp_path / "missing.inkml", bad, SAMPLE, "-o", tmp_path / "o",
                         "--format", "svg", "--json")
    assert code == cli.EXIT_INPUT == 3
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["status"] for x in lines] == ["error", "error", "ok"]
    assert "no such file" in lines[0]["error"]
    assert (tmp_path / "o" / "sample.svg").exists() and not (tmp_path / "o" / "bad.svg").exists()
    err_lines = err.strip().splitlines()
    assert len(err_lines) == 2 and all(x.startswith("inklift: ") for x in err_lines)
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [
    [],
    ["convert"],
    ["convert", "x.inkml"],  # no -o
    ["convert", "x.inkml", "-o", "out", "--format", "docx"],
    ["convert", "x.inkml", "-o", "out", "--layout", "poster"],
    ["convert", "x.inkml", "-o", "out", "--threads", "0"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        code = cli.main(argv)
        raise SystemExit(code)
    assert exc.value.code == cli.EXIT_USAGE == 2
    assert "Traceback" not in capsys.readouterr().err


def test_output_dir_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    code, _, err = run(capsys, "convert", SAMPLE, "-o", f)
    assert code == 2 and "not a folder" in err


def test_never_overwrites_its_input(tmp_path, capsys):
    src = tmp_path / "note.inkml"
    write_inkml(Page(10, 10, (), (Stroke([[1, 1], [5, 5]]),)), src)
    before = src.read_bytes()
    code, _, err = run(capsys, "convert", src, "-o", tmp_path, "--format", "svg,inkml")
    assert code == 3 and "overwrite" in err and src.read_bytes() == before
    assert not (tmp_path / "note.svg").exists()  # refused before anything was written


def test_inputs_with_the_same_name_do_not_overwrite_each_other(tmp_path, capsys):
    other = tmp_path / "elsewhere" / "sample.inkml"
    other.parent.mkdir()
    write_inkml(Page(10, 10, (), (Stroke([[1, 1], [5, 5]]),)), other)
    code, out, err = run(capsys, "convert", SAMPLE, other, "-o", tmp_path / "o", "--format", "inkml", "--json")
    assert code == 3 and "same name" in err
    assert [json.loads(x)["status"] for x in out.splitlines()] == ["ok", "error"]
    assert read_inkml(tmp_path / "o" / "sample.inkml") == read_inkml(SAMPLE)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"inklift {__version__}"


def test_console_entry_point_runs_as_a_module(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "inference.cli", "convert", str(SAMPLE), "-o", str(tmp_path),
                           "--format", "inkml", "--json"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "ok"


# --- image inputs go through the engine (faked here: the CLI's contract with inference.pipeline) ----------
class _FakeConfig:
    def __init__(self, layout="auto", threads=2, debug_dir=None):
        self.layout, self.threads, self.debug_dir = layout, threads, debug_dir


def _fake_pipeline(seen: dict) -> types.ModuleType:
    mod = types.ModuleType("inference.pipeline")

    def run_page(path, config, cancel):
        seen.update(path=path, layout=config.layout, threads=config.threads, debug_dir=config.debug_dir)
        yield Progress("load", 0, 1)
        yield Progress("derender", 1, 2, "word 1")
        s = Stroke([[10, 10], [50, 30]], width=3.0)
        page = Page(64, 48, (Word((s,), Quad.from_rect(5, 5, 55, 35), text="hi"),))
        return types.SimpleNamespace(page=page, image=np.full((48, 64, 3), (0, 200, 0), np.uint8),
                                     warnings=("a warning",))

    mod.PipelineConfig = _FakeConfig
    mod.run_page = run_page
    return mod


def test_image_inputs_run_the_engine_with_the_options(tmp_path, capsys, monkeypatch):
    import inference

    seen: dict = {}
    fake = _fake_pipeline(seen)
    monkeypatch.setitem(sys.modules, "inference.pipeline", fake)
    monkeypatch.setattr(inference, "pipeline", fake, raising=False)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"not really a jpeg: the fake engine does not read it")
    code, out, err = run(capsys, "convert", photo, "-o", tmp_path / "o", "--format", "png,svg",
                         "--layout", "line", "--threads", "3", "--debug-dir", tmp_path / "dbg", "--photo",
                         "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["kind"] == "image" and summary["words"] == 1 and summary["warnings"] == ["a warning"]
    assert seen["layout"] == "line" and seen["threads"] == 3 and str(seen["debug_dir"]).endswith("dbg")
    import cv2

    png = cv2.imread(str(tmp_path / "o" / "photo.png"))[..., ::-1]
    assert tuple(png[45, 2]) == (0, 200, 0)  # --photo put the engine's page image under the ink
    assert b"data:image/jpeg;base64," in (tmp_path / "o" / "photo.svg").read_bytes()


def test_image_input_without_the_engine_is_one_clear_error(tmp_path, capsys, monkeypatch):
    import inference

    monkeypatch.setitem(sys.modules, "inference.pipeline", None)  # import fails as if the module were absent
    monkeypatch.delattr(inference, "pipeline", raising=False)
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG")
    code, _, err = run(capsys, "convert", photo, SAMPLE, "-o", tmp_path, "--format", "svg")
    assert code == 3
    first = err.strip().splitlines()[0]
    assert first.startswith("inklift: ") and "engine" in first and "Traceback" not in err
    assert (tmp_path / "sample.svg").exists()  # the InkML input still converted
