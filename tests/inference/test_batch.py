"""Batch conversion (inference.batch through ``inklift convert``): PDFs in and out with a searchable text
layer, folders on a process pool, bad inputs listed and skipped, interrupted batches resumed, and a Dask
cluster giving the same outputs. The engine runs tracer-only (``--no-model``) on small generated pages."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from inference import batch, cli
from inference.document.formats import read_inkml, write_inkml
from inference.document.formats.png import render_page
from inference.document.ink import Page, Stroke
from inference.errors import InputError
from tests.inference.external_tools import need_tool
from tests.inference.synthpdf import DPI, handwriting_page, handwriting_pdf, write_photo


def convert(capsys, *argv) -> tuple[int, list[dict], str]:
    code = cli.main(["convert", *[str(a) for a in argv], "--json"])
    out, err = capsys.readouterr()
    return code, [json.loads(x) for x in out.splitlines()], err


def lcs(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence: words found in the same order."""
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], prev + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


# --- PDF round trip: a 3-page handwriting PDF -> InkLift -> PDF -----------------------------------------
@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    d = tmp_path_factory.mktemp("roundtrip")
    pages = [handwriting_page(seed) for seed in (1, 2, 3)]
    src = handwriting_pdf(d / "notes.pdf", pages)
    code = cli.main(["convert", str(src), "-o", str(d / "out"), "--format", "pdf,inkml", "--no-model",
                     "--workers", "1", "--json"])
    return d, src, pages, code


def test_pdf_round_trip_text_is_searchable_in_reading_order(round_trip, tmp_path):
    d, _, pages, code = round_trip
    assert code == 0
    exe = need_tool("pdftotext", "poppler-utils")
    found = subprocess.run([exe, str(d / "out" / "notes.pdf"), "-"], capture_output=True, text=True,
                           check=True, timeout=60).stdout.split()
    recognised = [t for i in (1, 2, 3) for w in read_inkml(d / "out" / f"notes-p{i}.inkml").words
                  for t in w.text.split()]
    truth = [t for sp in pages for t in sp.texts]
    assert lcs(truth, recognised) >= 0.6 * len(truth)  # the engine did read the handwriting
    assert lcs(recognised, found) >= 0.9 * len(recognised), (recognised, found)


def test_pdf_round_trip_ink_renders_like_our_rasteriser(round_trip, tmp_path):
    d, src, _, _ = round_trip
    exe = need_tool("pdftoppm", "poppler-utils")
    out = d / "out" / "notes.pdf"
    doc, original = pdfium.PdfDocument(out), pdfium.PdfDocument(src)
    assert len(doc) == 3
    for i in range(3):
        assert doc[i].get_size() == pytest.approx(original[i].get_size(), abs=0.05)  # the input's page size
        page = read_inkml(d / "out" / f"notes-p{i + 1}.inkml")
        subprocess.run([exe, "-png", "-singlefile", "-f", str(i + 1), "-l", str(i + 1), "-scale-to-x",
                        str(page.width), "-scale-to-y", str(page.height), str(out), str(tmp_path / "r")],
                       check=True, timeout=60)
        got = cv2.imread(str(tmp_path / "r.png")).mean(axis=2) < 160
        want = render_page(page).mean(axis=2) < 160
        assert want.sum() > 1000
        iou = (got & want).sum() / (got | want).sum()
        assert iou > 0.85, (i, iou)


# --- folders, the process pool, bad inputs ------------------------------------------------------------
@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory):
    """Two photos and a two-page PDF (small pages), and their outputs converted one page at a time."""
    d = tmp_path_factory.mktemp("small")
    src = d / "in"
    src.mkdir()
    write_photo(src / "alpha.png", handwriting_page(11, (600, 260), 2))
    write_photo(src / "beta.png", handwriting_page(12, (600, 260), 2))
    handwriting_pdf(src / "gamma.pdf", [handwriting_page(13, (600, 260), 2), handwriting_page(14, (600, 260), 2)])
    serial = d / "serial"
    code = cli.main(["convert", str(src), "-o", str(serial), "--format", "inkml,pdf", "--no-model",
                     "--workers", "1", "--json"])
    assert code == 0
    return src, serial


EXPECTED = ["alpha.inkml", "alpha.pdf", "beta.inkml", "beta.pdf", "gamma-p1.inkml", "gamma-p2.inkml", "gamma.pdf"]


def _same_outputs(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        if name.endswith(".inkml"):
            # the same ink; image_path names where the input was, which differs between the runs
            assert replace(read_inkml(a / name), image_path=None) == replace(read_inkml(b / name), image_path=None), name
        else:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_folder_names_outputs_per_page_and_per_document(small_inputs):
    _, serial = small_inputs
    assert sorted(p.name for p in serial.iterdir()) == EXPECTED
    assert len(pdfium.PdfDocument(serial / "gamma.pdf")) == 2


def _encrypted_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("secret"))
    c.drawString(50, 50, "locked")
    c.showPage()
    c.save()


def test_bad_inputs_are_listed_with_reasons_and_the_rest_converts_on_all_cores(small_inputs, tmp_path,
                                                                               capsys):
    src, serial = small_inputs
    folder = tmp_path / "mixed"
    shutil.copytree(src, folder)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    (folder / "empty.pdf").write_bytes(b"")
    _encrypted_pdf(folder / "locked.pdf")
    (folder / "notes.jpg").write_text("a shopping list, not a photo")
    (folder / "readme.txt").write_text("not an input: folders skip unknown suffixes")
    code, lines, err = convert(capsys, folder, "-o", tmp_path / "out", "--format", "inkml,pdf", "--no-model",
                               "--workers", "2")
    assert code == cli.EXIT_INPUT == 3
    status = {Path(x["input"]).name: x for x in lines}
    assert sorted(status) == ["alpha.png", "beta.png", "corrupt.pdf", "empty.pdf", "gamma.pdf", "locked.pdf",
                              "notes.jpg"]  # input order is name order, every input reported once
    assert [Path(x["input"]).name for x in lines] == sorted(status)
    assert "corrupt" in status["corrupt.pdf"]["error"]
    assert "empty" in status["empty.pdf"]["error"]
    assert "encrypted" in status["locked.pdf"]["error"]
    assert "not an image" in status["notes.jpg"]["error"]
    assert all(status[n]["status"] == "ok" for n in ("alpha.png", "beta.png", "gamma.pdf"))
    assert status["gamma.pdf"]["pages"] == 2
    assert len([x for x in err.splitlines() if x.startswith("inklift: ")]) == 4
    _same_outputs(tmp_path / "out", serial)  # a pool gives what one process gives


def test_an_interrupted_batch_resumes_keeping_what_was_written(tmp_path):
    inputs = []
    for name in ("one", "two", "three"):
        inputs.append(str(write_inkml(Page(40, 40, (), (Stroke([[1, 1], [30, 20]]),)), tmp_path / f"{name}.inkml")))
    out = tmp_path / "out"
    options = batch.Options(("svg", "pdf"))
    docs = batch.plan(inputs, out, options.formats)

    def stop_after_first(res):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(docs, out, options, on_unit=stop_after_first)
    assert sorted(p.name for p in out.iterdir()) == ["one.pdf", "one.svg"]
    kept = (out / "one.svg").stat().st_mtime_ns
    again = batch.plan(inputs, out, options.formats, resume=True)
    assert [d.skipped for d in again] == [True, False, False]
    report = batch.run_batch(again, out, options)
    assert not report.failed and report.pages_converted == 2
    assert sorted(p.name for p in out.iterdir()) == ["one.pdf", "one.svg", "three.pdf", "three.svg", "two.pdf",
                                                     "two.svg"]
    assert (out / "one.svg").stat().st_mtime_ns == kept


def test_resume_redoes_only_missing_pages(small_inputs, tmp_path, capsys):
    _, serial = small_inputs
    out = tmp_path / "out"
    shutil.copytree(serial, out)
    src = small_inputs[0]
    (out / "gamma-p2.inkml").unlink()
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, lines, _ = convert(capsys, src, "-o", out, "--format", "inkml,pdf", "--no-model", "--resume",
                             "--workers", "1")
    assert code == 0
    assert [x["status"] for x in lines] == ["skipped", "skipped", "ok"]
    assert lines[2]["outputs"] == [str(out / "gamma-p2.inkml")]  # the combined PDF was already there
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert {n: t for n, t in after.items() if n != "gamma-p2.inkml"} == before
    _same_outputs(out, serial)


# --- a Dask cluster -----------------------------------------------------------------------------------
def test_a_dask_cluster_gives_the_same_outputs(small_inputs, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    src, serial = small_inputs
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  timeout=120) as cluster:
        code, lines, err = convert(capsys, src, tmp_path / "missing.png", "-o", tmp_path / "out",
                                   "--format", "inkml,pdf", "--no-model", "--scheduler",
                                   cluster.scheduler_address)
    assert code == 3, err
    assert [x["status"] for x in lines] == ["ok", "ok", "ok", "error"]
    assert "no such file" in lines[3]["error"]
    _same_outputs(tmp_path / "out", serial)


def test_unreachable_scheduler_is_one_clear_error(tmp_path):
    pytest.importorskip("distributed")
    src = write_inkml(Page(40, 40, (), (Stroke([[1, 1], [30, 20]]),)), tmp_path / "a.inkml")
    docs = batch.plan([str(src)], tmp_path / "out", ("svg",))
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        batch.run_batch(docs, tmp_path / "out", batch.Options(("svg",)), scheduler="tcp://127.0.0.1:9",
                        scheduler_timeout=2)
    assert not (tmp_path / "out").exists()


def test_pdf_pages_render_at_the_photo_bound(small_inputs):
    """PDF pages reach the engine as images no larger than a photo's working copy."""
    from inference.photo.load import WORK_MAX_SIDE
    from inference.photo.pdf import render_pdf_page

    img = render_pdf_page(small_inputs[0] / "gamma.pdf", 1).image
    assert max(img.shape[:2]) <= WORK_MAX_SIDE
    assert img.shape[1] == pytest.approx(600 * 200 / DPI, abs=1)  # 200 dpi of a 150-dpi page image
    assert np.asarray(img).dtype == np.uint8
