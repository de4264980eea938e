"""The evaluation harness end to end on a dozen synthetic items (no shared data): both suites, their
JSON and markdown, and the README table regeneration."""

import csv
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from training.evaluate.__main__ import main
from training.evaluate.data import hershey_strokes
from training.evaluate.report import README_END, README_START, replace_between_markers
from training.evaluate.systems import load_systems

pytest.importorskip("HersheyFonts", reason="hershey-fonts (dev extra) makes the synthetic words")
render = pytest.importorskip("training.render", reason="training.render (the word renderer) is missing")


def _available(names):
    ok, _ = load_systems(names)
    if not ok:
        pytest.skip(f"none of {names} can be imported here")
    return [s.name for s in ok]


def _check_unit(v):
    assert v is None or 0.0 <= v <= 1.0 + 1e-9


def test_trajectory_suite_end_to_end(tmp_path):
    names = _available(["tracer", "inklift"])
    out = tmp_path / "eval"
    assert main(["trajectories", "--synthetic", "--n", "4", "--levels", "clean,phone,hard",
                 "--systems", ",".join(names), "--out", str(out)]) == 0
    rep = json.loads((out / "trajectories_latest.json").read_text())
    md = (out / "trajectories_latest.md").read_text()
    assert rep["suite"] == "trajectories" and rep["counts"]["renders"] == 12
    assert rep["git"]["commit"] is None or len(rep["git"]["commit"]) == 40
    assert (out / "trajectories_sheet.png").is_file()
    rows = {(r["system"], r["level"]): r for r in rep["summary"]}
    for n in names:
        assert rows[(n, "all")]["n"] == 12
        assert f"| {n} | clean | 4 |" in md
    for r in rep["items"]:
        for k in ("coverage", "precision", "direction", "matched"):
            _check_unit(r[k])
        assert r["stroke_ratio"] >= 0 and r["n_true"] > 0
    for n in set(names) & {"tracer"}:
        clean = rows[(n, "clean")]
        # a centre-line tracer on a clean scan of a single-stroke font finds nearly all the ink
        assert clean["failures"] == 0
        assert clean["coverage"] > 0.8 and clean["precision"] > 0.8
        assert clean["dtw"] < 0.3


def test_trajectory_suite_reads_the_ink_back(tmp_path):
    names = _available(["tracer"])
    out = tmp_path / "eval"
    assert main(["trajectories", "--synthetic", "--n", "4", "--levels", "clean", "--systems", ",".join(names),
                 "--readback", "--out", str(out)]) == 0
    rep = json.loads((out / "trajectories_latest.json").read_text())
    md = (out / "trajectories_latest.md").read_text()
    rows = {(r["system"], r["level"]): r for r in rep["summary"]}
    truth, photo, tracer = rows[("truth", "clean")], rows[("photo", "clean")], rows[("tracer", "clean")]
    assert truth["n"] == photo["n"] == 4 and len(rep["readback_references"]) == 8
    # clean renderings of a plain font, and the true ink drawn again, come back mostly right
    assert photo["readback_cer"] < 0.3 and truth["readback_cer"] < 0.3
    assert 0.0 <= tracer["readback"] <= 1.0 and math.isfinite(tracer["readback_cer"])
    assert all(r["ocr"] for r in rep["readback_references"])
    assert all("char_edits" in r for r in rep["items"])
    assert "readback ↑" in md and "| true ink (OCR reference) | clean | 4 |" in md


def test_readback_of_no_strokes_is_all_wrong():
    from training.evaluate.readback import InkReadback, pooled

    class Blind:  # never called: no strokes means nothing to read
        def read_line(self, image):
            raise AssertionError("read without ink")

        read = read_line

    rec = InkReadback(Blind()).of_strokes([], (40, 120), 2.0, "two words")
    assert rec["ocr"] == "" and rec["words_correct"] == 0 and rec["char_edits"] == len("two words")
    assert pooled([rec]) == (0.0, 1.0)
    assert all(math.isnan(v) for v in pooled([]))


def test_readback_reads_lines_with_the_detector():
    from training.evaluate.readback import InkReadback

    class Recorder:  # which reading each kind of render gets
        def read_line(self, image):
            return "word"

        def read(self, image):
            return "a line"

    img = np.full((20, 60, 3), 255, np.uint8)
    assert InkReadback(Recorder()).of_image(img, "word")["ocr"] == "word"
    assert InkReadback(Recorder(), lines=True).of_image(img, "a line")["ocr"] == "a line"


def _write_real_set(root):
    """Three 'photos' of font handwriting in the manifest layout, rendered by the training renderer."""
    rows = [("words/a.png", "word", "hello"), ("lines/c.png", "line", "quick note")]
    for k, (f, kind, text) in enumerate(rows):
        rw = render.render_word_photo(hershey_strokes(text), np.random.default_rng(k), "clean")
        p = root / f
        p.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(p), cv2.cvtColor(rw.image, cv2.COLOR_RGB2BGR))
    with open(root / "MANIFEST.tsv", "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["file", "source_repo", "path_in_repo", "commit", "license", "kind", "transcription", "notes"])
        for f, kind, text in rows:
            w.writerow([f, "-", "-", "-", "-", kind, text, "synthetic"])


def test_real_suite_end_to_end_and_readme(tmp_path):
    # the tracer baseline carries the sanity checks; InkLift (run_page) runs along when present, and must
    # produce a well-formed record (its quality is the suite's output, not this test's business)
    names = _available(["tracer", "inklift"])
    root = tmp_path / "real"
    _write_real_set(root)
    out = tmp_path / "eval"
    assert main(["real", str(root), "--systems", ",".join(names), "--out", str(out)]) == 0
    rep = json.loads((out / "real_latest.json").read_text())
    assert rep["counts"]["images"] == 2
    assert (out / "real_sheet.png").is_file()
    for r in rep["items"]:
        assert r["error"] is None or r["system"] == "inklift"
        if r["system"] != "photo (OCR reference)":
            assert Path(r["overlay"]).is_file()
            _check_unit(r["ink_precision"])
            _check_unit(r["ink_recall"])
        assert r["cer"] >= 0 and 0 <= r["word_accuracy"] <= 1
    summ = {(r["system"], r["kind"]): r for r in rep["summary"]}
    ref = summ[("photo (OCR reference)", "all")]
    assert ref["read_images"] == 2
    assert ref["cer"] < 0.5  # PP-OCR reads a clean rendering of a plain font
    if "tracer" in names:
        tr = summ[("tracer", "all")]
        assert tr["failures"] == 0 and tr["ink_precision"] > 0.7 and tr["ink_recall"] > 0.7
        # the readback must actually read: clean renderings of a plain font come back mostly right
        assert tr["cer"] < 0.6
        assert all(r["ocr"] for r in rep["items"] if r["system"] in ("tracer", "photo (OCR reference)"))
    for n in names:
        assert summ[(n, "all")]["images"] == 2 and math.isfinite(summ[(n, "all")]["cer"])

    # README regeneration touches only the text between the markers
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\nbefore\n{README_START}\nold table\n{README_END}\nafter\n")
    assert main(["readme", str(out / "real_latest.json"), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# Title\nbefore\n" + README_START) and text.endswith(README_END + "\nafter\n")
    assert "old table" not in text and "| photo (OCR reference) | word |" in text


def test_readme_markers_required():
    with pytest.raises(ValueError):
        replace_between_markers("no markers here", "x")
    assert replace_between_markers(f"a{README_START}b{README_END}c", "new") == \
        f"a{README_START}\nnew\n{README_END}c"


@pytest.mark.parametrize("name", ["skeleton", "autotrace"])
def test_off_the_shelf_baselines_follow_a_drawn_line(name):
    ok, missing = load_systems([name])
    if not ok:
        pytest.skip(f"{name}: {missing[name]}")
    img = np.full((60, 160, 3), 250, np.uint8)
    cv2.line(img, (20, 30), (140, 30), (20, 20, 20), 5)
    strokes = ok[0].run(img)
    assert len(strokes) >= 1
    pts = np.concatenate(strokes)
    # the centre line in continuous coordinates: y = 30.5, x from ~20 to ~140
    assert np.abs(pts[:, 1] - 30.5).max() < 1.5
    assert pts[:, 0].min() < 25 and pts[:, 0].max() > 135


def test_inklift_on_a_line_runs_the_line_layout():
    from training.evaluate.metrics import score_trajectory
    from training.evaluate.systems import load_system

    sysm = load_system("inklift", lines=True)
    assert "layout='line'" in sysm.description
    # a long line: wider than the 2,048 px the loader keeps, so the page's strokes must be mapped back to the photo
    text = "the quick brown fox jumps over the lazy dog and writes more words"
    rw = render.render_word_photo(hershey_strokes(text), np.random.default_rng(1), "clean", line=True)
    assert rw.image.shape[1] > 2048
    pred = sysm.run(rw.image)
    s = score_trajectory(rw.strokes, pred, speck_px=rw.stroke_width, line=True)
    assert s.coverage > 0.8 and s.precision > 0.8  # every word found and written, nothing beside them
    assert sysm.stats["source=model"] + sysm.stats["source=tracer"] == 1 and sysm.last["source"] in ("model", "tracer")
