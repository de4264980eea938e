"""PDF in and out of the window: a PDF's pages become notebook pages (drop or open, off the GUI thread, bad
files reported), PDF export (searchable, the source's page size, optionally all pages in one file), and
projects that keep PDF pages."""

from __future__ import annotations

import io
import subprocess
import warnings
import zipfile

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from .conftest import make_ink, photo_file

SIZES = ((400.0, 500.0), (500.0, 400.0), (300.0, 600.0))  # a different size per page shows the order


def _pdf_bytes(sizes=SIZES, encrypt: str | None = None) -> bytes:
    """A PDF whose pages carry a few pen-like strokes (curves and loops, dark ink on white)."""
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    enc = pdfencrypt.StandardEncryption(encrypt, strength=128) if encrypt else None
    c = canvas.Canvas(buf, encrypt=enc)
    for k, (w, h) in enumerate(sizes):
        c.setPageSize((w, h))
        c.setLineWidth(2.5)
        c.setLineCap(1)
        c.setStrokeColorRGB(0.1, 0.1, 0.15)
        for line in range(k + 2):  # one more line of "writing" per page
            y = h - 60 - 50 * line
            p = c.beginPath()
            p.moveTo(30, y)
            for x in range(30, int(w) - 60, 40):
                p.curveTo(x + 10, y + 25, x + 25, y - 20, x + 40, y)
            c.drawPath(p, stroke=1, fill=0)
            c.circle(w - 40, y, 8, stroke=1, fill=0)
        c.showPage()
    c.save()
    return buf.getvalue()


def _pdf(tmp_path, name="notes.pdf", **kw):
    p = tmp_path / name
    p.write_bytes(_pdf_bytes(**kw))
    return p


def _drop(win, qtbot, paths):
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    with warnings.catch_warnings():  # the QPoint constructor is the one PySide6 offers; it is "deprecated"
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, enter)
    assert enter.isAccepted()  # the window takes PDFs
    drop = QDropEvent(QPoint(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(win.importFinished, timeout=30000) as sig:
        QApplication.sendEvent(win, drop)  # rendering runs in the background import job
    return sig.args[0]


def _give_ink(win, page):
    """What a conversion leaves (words with text on the page image), without running the engine."""
    from desktop.commands import SetPageCommand

    h, w = page.image.shape[:2]
    win.doc.undo_stack.push(SetPageCommand(win.doc, page.id, make_ink(w, h), "Convert"))


def test_dropped_pdf_gives_a_page_per_pdf_page_in_order(win, qtbot, tmp_path, messages):
    pdf = _pdf(tmp_path)
    assert _drop(win, qtbot, [pdf]) == 3
    pages = win.doc.pages
    assert [p.name for p in pages] == ["notes p1", "notes p2", "notes p3"]
    assert [p.pdf_size_pt for p in pages] == list(SIZES)
    for p, (w, h) in zip(pages, SIZES):
        ih, iw = p.photo_image.shape[:2]
        assert abs(iw / ih - w / h) < 0.01  # rendered upright at the page's own shape
        assert (p.photo_image.min(axis=2) < 100).sum() > 200  # the strokes came through
        assert p.image is p.photo_image and p.ink is None  # ready to convert like a photo
    assert win.doc.undo_stack.count() == 1  # one drop, one undo step
    assert win.a_convert_all.isEnabled()
    assert not messages


def test_open_dialog_offers_pdfs(win, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from desktop.mainwindow import IMPORT_FILTER

    assert "*.pdf" in IMPORT_FILTER.split(";;")[0]
    pdf = _pdf(tmp_path, sizes=SIZES[:2])
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(pdf)], ""))
    with qtbot.waitSignal(win.importFinished, timeout=30000):
        win.open_dialog()
    assert [p.name for p in win.doc.pages] == ["notes p1", "notes p2"]


def test_bad_pdfs_are_clear_errors_and_the_photo_in_the_same_drop_loads(win, qtbot, tmp_path, messages):
    locked = _pdf(tmp_path, "locked.pdf", encrypt="secret")
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    photo = photo_file(tmp_path)
    assert _drop(win, qtbot, [locked, corrupt, photo, empty]) == 1
    assert [p.name for p in win.doc.pages] == ["page"]
    [(kind, text)] = messages
    assert kind == "warning" and "Traceback" not in text
    assert "locked.pdf" in text and "encrypted" in text
    assert "corrupt.pdf" in text and "corrupt or truncated" in text
    assert "empty.pdf" in text and "empty" in text


def test_pdf_import_reports_each_page_and_cancels_between_pages(tmp_path):
    from desktop.mainwindow import MainWindow
    from inference.errors import Cancelled
    from inference.jobs import CancelToken

    pdf = _pdf(tmp_path)
    token = CancelToken()
    job = MainWindow._load_files([photo_file(tmp_path), pdf], token)
    seen = []
    with pytest.raises(Cancelled):
        for step in job:
            seen.append((step.fraction, step.message))
            if "page 2 of 3" in step.message:
                token.cancel()
    fractions = [f for f, _m in seen]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0  # one bar across files and pages
    assert [m for _f, m in seen if "notes.pdf: page" in m] == ["Reading notes.pdf: page 1 of 3",
                                                               "Reading notes.pdf: page 2 of 3"]


def _pdftotext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _pdf_pages_pt(path) -> list[tuple[float, float]]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return [tuple(round(v, 1) for v in doc[i].get_size()) for i in range(len(doc))]
    finally:
        doc.close()


def test_converted_pdf_page_exports_as_searchable_pdf_of_its_own_size(win, qtbot, tmp_path):
    win.open_paths([_pdf(tmp_path, sizes=[(612.0, 792.0)])])
    _give_ink(win, win.doc.pages[0])
    with qtbot.waitSignal(win.exportFinished, timeout=30000) as sig:
        win.export("pdf", tmp_path / "out", all_pages=True, with_image=True)
    assert sig.args[0] == "done", sig.args
    [out] = sig.args[1]
    assert out.name == "notes p1.pdf"
    assert _pdftotext(out).split() == ["alpha", "beta", "gamma"]
    assert _pdf_pages_pt(out) == [(612.0, 792.0)]  # Letter in, Letter out (not A4)


def test_all_pages_in_one_pdf(win, qtbot, tmp_path):
    from desktop.export_dialog import ExportDialog

    win.open_paths([_pdf(tmp_path)])
    for p in win.doc.pages:
        _give_ink(win, p)
    dlg = ExportDialog(str(tmp_path), True, 3, win, formats=["svg"])
    assert not dlg.one_pdf.isEnabled()  # only for PDF of several pages
    dlg.formats["pdf"].setChecked(True)
    dlg.all.setChecked(True)
    dlg.one_pdf.setChecked(True)
    assert dlg.pdf_in_one_file()
    dlg.current.setChecked(True)
    assert not dlg.one_pdf.isEnabled() and not dlg.pdf_in_one_file()

    with qtbot.waitSignal(win.exportFinished, timeout=30000) as sig:
        win.export(["svg", "pdf"], tmp_path / "out", all_pages=True, one_pdf=True)
    assert sig.args[0] == "done", sig.args
    names = sorted(p.name for p in sig.args[1])
    assert names == ["Notes.pdf", "notes p1.svg", "notes p2.svg", "notes p3.svg"]
    book = tmp_path / "out" / "Notes.pdf"
    assert _pdf_pages_pt(book) == list(SIZES)
    assert _pdftotext(book).split() == ["alpha", "beta", "gamma"] * 3


def test_project_keeps_pdf_pages(win, qtbot, tmp_path):
    win.open_paths([_pdf(tmp_path)])
    before = [(p.name, p.pdf_size_pt, p.photo_image) for p in win.doc.pages]
    _give_ink(win, win.doc.pages[1])
    path = tmp_path / "book.inklift"
    assert win.save_to(str(path))
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert not any(n.endswith(".pdf") for n in names)  # the renderings, not the PDF per page
        assert sum(n.startswith("photos/") for n in names) == 3
        assert sum(z.getinfo(n).file_size for n in names) < len(_pdf_bytes()) * 100

    win.new_document()
    assert win.open_project(path)
    after = win.doc.pages
    assert [(p.name, p.pdf_size_pt) for p in after] == [(n, s) for n, s, _ in before]
    for p, (_n, _s, img) in zip(after, before):
        assert p.photo_image is not None and p.photo_image.shape == img.shape
        assert np.abs(p.photo_image.astype(int) - img).mean() < 1.0
    assert after[1].ink is not None and [w.text for w in after[1].ink.words] == ["alpha", "beta", "gamma"]
    assert after[0].ink is None and win.a_convert_all.isEnabled()  # still convertible after reloading

    with qtbot.waitSignal(win.exportFinished, timeout=30000) as sig:
        win.export("pdf", tmp_path / "out", all_pages=True)
    assert [p.name for p in sig.args[1]] == ["notes p2.pdf"]
    assert _pdf_pages_pt(sig.args[1][0]) == [SIZES[1]]  # the size survived the project


def test_pdf_page_converts_with_the_engine_and_exports_what_it_read(win, qtbot, tmp_path, messages):
    """End to end: a scanned page inside a PDF -> engine -> a PDF whose text layer holds the words read."""
    from reportlab.pdfgen import canvas

    from desktop import engine

    from .test_desktop_jobs import _engine_or_skip, handwriting_photo

    _engine_or_skip()
    ok, why = engine.engine_available()
    if not ok:
        pytest.skip(why)
    scan = handwriting_photo(tmp_path / "words.png")
    pdf = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(pdf), pagesize=(420.0, 160.0))
    c.drawImage(str(scan), 0, 0, 420.0, 160.0)
    c.save()
    win.open_paths([pdf])
    [page] = win.doc.pages
    with qtbot.waitSignal(win.conversionFinished, timeout=120000) as sig:
        assert win.convert([page.id])
    assert sig.args == [page.id, "done"], messages
    read = [w.text.strip() for w in page.ink.words if w.text.strip()]
    assert read, "the engine read no words"
    assert win.doc.undo_stack.count() == 2  # the import, then the conversion
    with qtbot.waitSignal(win.exportFinished, timeout=30000) as sig:
        win.export("pdf", tmp_path / "out", all_pages=False, with_image=True)
    [out] = sig.args[1]
    assert _pdftotext(out).split() == " ".join(read).split()
    assert _pdf_pages_pt(out) == [(420.0, 160.0)]
