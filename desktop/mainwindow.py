"""InkLift's main window: page list | ink canvas | review panel, menus, tools, background jobs."""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QToolBar,
    QWidget,
)

from inference.errors import Cancelled, InkLiftError
from inference.jobs import Progress
from inference.resources import resources_dir

from . import engine
from .about import AboutDialog
from .autosave import Autosaver, Recoverable, discard, find_recoverable
from .canvas import COLOR_MODES, InkView
from .commands import AddPagesCommand, MovePageCommand, RemovePageCommand, SetPageCommand
from .document import Document, PageDoc, load_photo, page_from_loaded, page_from_qimage, page_to_record
from .export_dialog import ExportDialog, ExportItem, export_job
from .jobs import JobManager
from .messages import plain_warnings
from .pagelist import PageList
from .pdfpages import PDF_SUFFIX, load_pdf_pages
from .progress import ProgressWidget, StatusNote
from .project import SUFFIX, read_project, write_project
from .review import ReviewPanel
from .search import SearchBar
from .settings import DEFAULTS, Settings, SettingsDialog
from .tools import TOOLS

PALETTE = (("Black", "#1a1a1a"), ("Blue", "#1565c0"), ("Red", "#c62828"), ("Green", "#2e7d32"),
           ("Orange", "#ef6c00"), ("Purple", "#6a1b9a"))
WIDTHS = (("Fine", 1.5), ("Medium", 2.5), ("Bold", 4.5))
ERASER_SIZES = (("Small", 8), ("Medium", 16), ("Large", 32))  # screen px
COMPACT_BELOW = 1000  # window width (px) under which the page list shrinks to small thumbnails
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".pbm", ".pgm", ".ppm"}
INK_SUFFIXES = {".inkml", ".svg"}  # InkML from any tool; SVG as InkLift writes it
PDF_SUFFIXES = {PDF_SUFFIX}  # every page becomes a page (desktop.pdfpages)
IMPORT_FILTER = ("Photos, PDFs and ink (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.webp *.pdf *.inkml *.svg *.inklift);;"
                 "PDF documents (*.pdf);;InkLift projects (*.inklift);;All files (*)")


def _pages_from_file(path: Path, token=None):
    """Job: the pages one file gives (a PDF one per page, anything else one); Progress within the file."""
    from inference.photo.pdf import is_pdf

    if is_pdf(path):  # the suffix, or a PDF's signature in a file without one
        return (yield from load_pdf_pages(path, token))
    return [_page_from_file(path)]


def _page_from_file(path: Path) -> PageDoc:
    if path.suffix.lower() in INK_SUFFIXES:
        import numpy as np

        from inference.document.formats import import_page

        ink = import_page(path)
        img = np.full((ink.height, ink.width, 3), 255, np.uint8)
        return PageDoc(name=path.stem, image=img, ink=ink, source_path=str(path))
    return load_photo(path)


def _warmup_job(_token):
    from .engine_process import engine

    yield from ()
    engine().start()


class DropOverlay(QLabel):
    """Feedback while files are dragged over the window."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Drop photos, PDFs, folders or InkML files to add pages", parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: rgba(30,136,229,60); border: 3px dashed #1e88e5; color: #0d47a1;"
                           "font-size: 20px; font-weight: 600; border-radius: 12px;")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()


class EmptyHint(QLabel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setText("<div style='font-size:22px;font-weight:600'>No pages yet</div>"
                     "<p style='font-size:14px'>Drop photos of handwritten notes here,<br>"
                     "or use <b>File ▸ Open…</b> (Ctrl+O), <b>Paste</b> (Ctrl+V) or <b>Camera</b>.</p>")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("color: #e8eaed; background: transparent;")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)


class MainWindow(QMainWindow):
    conversionFinished = Signal(str, str)  # page id, outcome ("done", "failed", "cancelled", "dropped")
    exportFinished = Signal(str, object)  # outcome, written paths or message
    importFinished = Signal(int)  # pages added
    saveFinished = Signal(str)  # "done" | "failed"

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.doc = Document(self)
        self.convert_jobs = JobManager(self, threads=1)  # one page at a time; pages queue
        self.io_jobs = JobManager(self, threads=1)  # save, export, autosave
        self.view = InkView(self.doc)
        self.view.color_mode = self.settings.get("color_mode")
        # a photo hidden last time (slider at 0) is shown again: a blank page reads as "my photo is gone"
        self.view.photo_opacity = self.settings.get("photo_opacity") or DEFAULTS["photo_opacity"]
        self.view.pen_width = self.settings.get("pen_width")
        self.view.pen_color = self.settings.get("pen_color")
        self.view.highlight_color = self.settings.get("highlight_color")
        self.view.eraser_size = float(self.settings.get("eraser_size"))
        self.view.eraser_partial = self.settings.get("eraser_partial")
        self.setCentralWidget(self.view)
        self.empty_hint = EmptyHint(self.view)
        self.drop_overlay = DropOverlay(self)
        self.setAcceptDrops(True)
        self.view.setAcceptDrops(False)
        self.view.viewport().setAcceptDrops(False)

        self.pages = PageList(self.doc)
        self.pages.pageSelected.connect(self._show_page)
        self.view.pageInView.connect(self._page_in_view)
        self.pages.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.pages.customContextMenuRequested.connect(self._page_menu)
        dock = QDockWidget("Pages", self)
        dock.setObjectName("pages")
        dock.setWidget(self.pages)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.pages_dock = dock

        self.review = ReviewPanel(self.view)
        self.review.error.connect(self.show_error)
        rdock = QDockWidget("Review", self)
        rdock.setObjectName("review")
        rdock.setWidget(self.review)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, rdock)
        self.review_dock = rdock
        rdock.hide()
        rdock.visibilityChanged.connect(self._refresh_review)

        self.progress = ProgressWidget([self.convert_jobs, self.io_jobs, self.review.jobs])
        # our own message line in the bar's layout: it never runs under the progress label, shortens to
        # fit (the whole text in its tooltip) and keeps a result until the next message
        self.status_note = StatusNote()
        self._selection_note = ""
        self.statusBar().addWidget(self.status_note, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.zoom_label = QLabel("")
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.view.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z:.0%}"))
        self.view.message.connect(lambda m: self.note(m, 6000))
        self.view.selectionChanged.connect(self._update_actions)
        self.view.selectionChanged.connect(self._selection_message)

        self.autosaver = Autosaver(self.doc, self.io_jobs, self.settings.get("autosave_minutes"), self)
        self.autosaver.saved.connect(lambda _p: self.note("Autosaved", 2000))

        self.search = SearchBar(self.doc, self.view, self)
        self.search.goToPage.connect(self.pages.select_page)
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        # bound methods, not lambdas: Qt drops these connections when the window goes away
        self.doc.modifiedChanged.connect(self._update_title)
        self.doc.pathChanged.connect(self._update_title)
        self.doc.pageInserted.connect(self._update_actions)
        self.doc.pageRemoved.connect(self._update_actions)
        self.doc.pageChanged.connect(self._update_actions)
        self.doc.undo_stack.indexChanged.connect(self._update_actions)
        self.convert_jobs.finished.connect(self._conversion_finished)
        self.convert_jobs.started.connect(self._conversion_started)
        self.set_tool("select")
        QTimer.singleShot(200, self._warm_engine)
        # the start-up objects (modules, Qt wrappers) never die: keep them out of the cyclic GC's full scans,
        # which otherwise cost 30 ms pauses on the GUI thread (measured in benchmarks/bench_gui.py)
        gc.freeze()
        self._update_title()
        self._update_actions()
        self.resize(1280, 820)

    # --- actions ------------------------------------------------------------------------------------
    def _act(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(f"{tip} ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                         if shortcut else tip)
        a.setCheckable(checkable)
        if slot is not None:
            a.triggered.connect(lambda *_: slot())
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.a_new = self._act("&New", self.new_document, K.New, "Start an empty notebook")
        self.a_open = self._act("&Open…", self.open_dialog, K.Open, "Open photos, InkML files or a project")
        self.a_paste = self._act("&Paste Image", self.paste, K.Paste, "Add the image on the clipboard as a page")
        self.a_camera = self._act("Take &Photo…", self.camera, "Ctrl+Shift+C", "Capture a page with a camera")
        self.a_save = self._act("&Save", lambda: self.save(wait=False), K.Save, "Save the project")
        self.a_save_as = self._act("Save &As…", lambda: self.save_as(wait=False), K.SaveAs,
                                   "Save the project under a new name")
        self.a_export = self._act("&Export…", self.export_dialog, "Ctrl+E", "Export SVG, InkML, .xopp, PNG and/or PDF")
        self.a_settings = self._act("Se&ttings…", self.settings_dialog, "Ctrl+,", "Preferences")
        # Preferences has no key on most Linux desktops: Ctrl+, everywhere, plus the platform's own
        comma = QKeySequence("Ctrl+,")
        self.a_settings.setShortcuts([comma, *(k for k in QKeySequence.keyBindings(K.Preferences) if k != comma)])
        self.a_quit = self._act("&Quit", self.close, K.Quit, "Quit InkLift")
        self.a_undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.a_undo.setShortcut(QKeySequence(K.Undo))
        self.a_redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.a_redo.setShortcuts([QKeySequence(K.Redo), QKeySequence("Ctrl+Y")])
        self.a_delete = self._act("&Delete", self.view.delete_selection, K.Delete, "Delete the selected strokes")
        self.a_delete.setShortcuts([QKeySequence(K.Delete), QKeySequence("Backspace")])
        self.a_find = self._act("&Find…", self.search.open_bar, "Ctrl+F", "Find words in the notebook")
        self.a_find_next = self._act("Find &Next", self.search.next, "F3", "Go to the next word found")
        self.a_find_prev = self._act("Find Pre&vious", self.search.previous, "Shift+F3",
                                     "Go to the previous word found")
        self.a_select_all = self._act("Select &All", self.view.select_all, K.SelectAll, "Select all strokes")
        self.a_smooth = self._act("S&mooth", self.view.smooth_selection, "Ctrl+Shift+M",
                                  "Smooth the selected strokes")
        self.a_join = self._act("&Join Strokes", self.view.join_selection, "Ctrl+J",
                                "Join the two selected strokes into one")
        self.a_zoom_in = self._act("Zoom &In", lambda: self.view.zoom_by(1.25), K.ZoomIn, "Zoom in")
        self.a_zoom_out = self._act("Zoom &Out", lambda: self.view.zoom_by(0.8), K.ZoomOut, "Zoom out")
        self.a_fit = self._act("&Fit Page", self.view.fit, "Ctrl+0", "Fit the page in the window")
        self.a_actual = self._act("Actual &Size", lambda: self.view.set_zoom(1.0), "Ctrl+1", "100 % zoom")
        self.a_convert = self._act("&Convert Page", self.convert_current, "Ctrl+R", "Turn the page's photo into ink")
        self.a_convert_all = self._act("Convert &All Pages", self.convert_all, "Ctrl+Shift+R",
                                       "Convert every page that has no ink yet")
        self.a_cancel = self._act("Ca&ncel", self.cancel_jobs, "Esc", "Cancel conversion / export")
        self.a_cancel.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.a_remove_page = self._act("&Remove Page", self.remove_current_page, None, "Remove this page")
        self.a_page_up = self._act("Move Page &Up", lambda: self.move_current_page(-1), "Ctrl+Shift+Up",
                                   "Move this page earlier in the notebook")
        self.a_page_down = self._act("Move Page &Down", lambda: self.move_current_page(1), "Ctrl+Shift+Down",
                                     "Move this page later in the notebook")
        self.a_review = self.review_dock.toggleViewAction()
        self.a_review.setText("&Review Panel")
        self.a_review.setShortcut(QKeySequence("Ctrl+Shift+V"))
        self.a_review.setIconText("Review")
        self.a_pages = self.pages_dock.toggleViewAction()
        self.a_pages.setText("&Page List")
        self.a_about = self._act("&About InkLift", self.about, None, "Version, licences and attributions")
        self.a_marks = self._act("Mark &Words to Review", None, "Ctrl+Shift+W",
                                 "Outline the words the engine was unsure about", checkable=True)
        self.a_marks.setChecked(True)
        self.a_marks.toggled.connect(self.view.set_show_review_marks)
        self.a_photo = self._act("Show &Photo", None, "Ctrl+Shift+P", "Show or hide the photo under the ink",
                                 checkable=True)
        self.a_photo.setChecked(True)
        self.a_photo.setIconText("Photo")
        self.a_photo.toggled.connect(self._photo_toggled)
        self.a_pen_color = self._act("Pen &Colour…", self.choose_pen_color, None, "Colour of new pen strokes")
        self.tool_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for cls in TOOLS:
            a = self._act(cls.label, None, cls.shortcut, cls.hint.split(".")[0], checkable=True)
            a.triggered.connect(lambda _c=False, n=cls.name: self.set_tool(n))
            a.setData(cls.name)
            group.addAction(a)
            self.tool_actions[cls.name] = a
        self.color_group = QActionGroup(self)
        self.color_actions = {}
        for mode, label in zip(COLOR_MODES, ("Ink Colours", "Colour by Word", "Colour by Stroke Order")):
            a = self._act(label, None, None, "", checkable=True)
            a.triggered.connect(lambda _c=False, m=mode: self.set_color_mode(m))
            self.color_group.addAction(a)
            self.color_actions[mode] = a
        self.color_actions.get(self.view.color_mode, self.color_actions["ink"]).setChecked(True)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        for a in (self.a_new, self.a_open, self.a_paste, self.a_camera):
            f.addAction(a)
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        f.addSeparator()
        for a in (self.a_save, self.a_save_as, self.a_export):
            f.addAction(a)
        f.addSeparator()
        f.addAction(self.a_settings)
        f.addSeparator()
        f.addAction(self.a_quit)
        e = mb.addMenu("&Edit")
        for a in (self.a_undo, self.a_redo):
            e.addAction(a)
        e.addSeparator()
        for a in (self.a_delete, self.a_select_all, self.a_smooth, self.a_join):
            e.addAction(a)
        e.addSeparator()
        for a in (self.a_find, self.a_find_next, self.a_find_prev):
            e.addAction(a)
        t = mb.addMenu("&Tools")
        for a in self.tool_actions.values():
            t.addAction(a)
        t.addSeparator()
        t.addAction(self.a_pen_color)
        v = mb.addMenu("&View")
        for a in (self.a_zoom_in, self.a_zoom_out, self.a_fit, self.a_actual):
            v.addAction(a)
        v.addSeparator()
        for a in self.color_actions.values():
            v.addAction(a)
        v.addSeparator()
        v.addAction(self.a_photo)
        v.addAction(self.a_marks)
        v.addAction(self.a_pages)
        v.addAction(self.a_review)
        p = mb.addMenu("&Page")
        for a in (self.a_convert, self.a_convert_all, self.a_cancel):
            p.addAction(a)
        p.addSeparator()
        for a in (self.a_page_up, self.a_page_down, self.a_remove_page):
            p.addAction(a)
        h = mb.addMenu("&Help")
        h.addAction(self.a_about)

    def _build_toolbars(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("main-toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # the page's main actions first: a half-screen window cuts the toolbar's end off
        for a in (self.a_open, self.a_save, self.a_export):
            tb.addAction(a)
        tb.addSeparator()
        for a in (self.a_convert, self.a_review, self.a_photo):
            tb.addAction(a)
        tb.addSeparator()
        # short, fixed labels on the toolbar (the menu entries say what will be undone)
        self.tb_undo = self._act("Undo", self.doc.undo_stack.undo, None, "Undo the last edit")
        self.tb_redo = self._act("Redo", self.doc.undo_stack.redo, None, "Redo")
        self.tb_undo.setEnabled(False)
        self.tb_redo.setEnabled(False)
        self.doc.undo_stack.canUndoChanged.connect(self.tb_undo.setEnabled)
        self.doc.undo_stack.canRedoChanged.connect(self.tb_redo.setEnabled)
        self.doc.undo_stack.undoTextChanged.connect(self._undo_tips)
        self.doc.undo_stack.redoTextChanged.connect(self._undo_tips)
        for a in (self.tb_undo, self.tb_redo):
            tb.addAction(a)
        tb.addSeparator()
        for name, a in self.tool_actions.items():
            tb.addAction(a)
            icon = resources_dir() / "icons" / f"{name}.svg"
            if icon.exists():  # drawing tools read best as icons (name and key in the tooltip)
                a.setIcon(QIcon(str(icon)))
                tb.widgetForAction(a).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
                a.setToolTip(f"{a.text()} ({a.shortcut().toString()}) — {a.statusTip()}")
        tb.addSeparator()
        for a in (self.a_delete, self.a_smooth, self.a_join):
            tb.addAction(a)
        tb.addSeparator()
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(self.view.photo_opacity * 100))
        self.opacity.setMaximumWidth(120)
        self.opacity.setToolTip("Opacity of the photo under the ink (Ctrl+Shift+P shows or hides it)")
        self.opacity.valueChanged.connect(self._opacity_changed)
        tb.addWidget(self.opacity)
        self.color_combo = QComboBox()
        self.color_combo.addItem("Ink colours", "ink")
        self.color_combo.addItem("By word", "word")
        self.color_combo.addItem("By stroke order", "order")
        self.color_combo.setCurrentIndex(max(0, self.color_combo.findData(self.view.color_mode)))
        self.color_combo.currentIndexChanged.connect(lambda _i: self.set_color_mode(self.color_combo.currentData()))
        self.color_combo.setToolTip("How to colour the ink")
        tb.addWidget(self.color_combo)
        self.addToolBar(tb)
        self.addToolBarBreak()
        self.addToolBar(self._build_pen_bar())
        self.addToolBarBreak()  # the find bar gets a row of its own: in a narrow window it was cut off
        self.addToolBar(self.search)

    def _build_pen_bar(self) -> QToolBar:
        """Colours, pen widths and the eraser's kind and size, one click away (note-app style)."""
        from PySide6.QtGui import QColor, QPainter, QPixmap

        bar = QToolBar("Pen", self)
        bar.setObjectName("pen-toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        def swatch(color: str, width: float | None = None) -> QIcon:
            pm = QPixmap(20, 20)
            pm.fill(Qt.GlobalColor.transparent)
            p = QPainter(pm)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            if width is None:
                p.setBrush(QColor(color))
                p.setPen(QColor("#607d8b"))
                p.drawEllipse(2, 2, 16, 16)
            else:
                from PySide6.QtGui import QPen

                p.setPen(QPen(QColor(color), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawLine(4, 16, 16, 4)
            p.end()
            return QIcon(pm)

        def choices(title: str, entries, current, slot) -> dict:
            """One exclusive row of buttons: entries are (key, icon, name, tooltip)."""
            bar.addWidget(QLabel(f" {title} "))
            group, out = QActionGroup(self), {}
            for key, icon, name, tip in entries:
                a = QAction(icon, name, self)
                a.setCheckable(True)
                a.setChecked(key == current)
                a.setToolTip(tip)
                a.triggered.connect(lambda _c=False, k=key: slot(k))
                group.addAction(a)
                bar.addAction(a)
                out[key] = a
            return out

        self.color_swatches = choices(
            "Colour", [(c, swatch(c), n, f"{n} pen (a light {n.lower()} for the highlighter)") for n, c in PALETTE],
            self.view.pen_color, self.set_pen_color)
        bar.addSeparator()
        self.width_actions = choices(
            "Width", [(w, swatch("#263238", w * 1.2), n, f"{n} pen ({w:g} px)") for n, w in WIDTHS],
            self.view.pen_width, self.set_pen_width)
        bar.addSeparator()
        bar.addWidget(QLabel(" Eraser "))
        self.a_partial = QAction("Partial", self)
        self.a_partial.setCheckable(True)
        self.a_partial.setChecked(self.view.eraser_partial)
        self.a_partial.setToolTip("Erase only what the eraser touches (off: whole strokes)")
        self.a_partial.toggled.connect(self.set_eraser_partial)
        bar.addAction(self.a_partial)
        bar.widgetForAction(self.a_partial).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.eraser_combo = QComboBox()
        for label, size in ERASER_SIZES:
            self.eraser_combo.addItem(label, size)
        self.eraser_combo.setCurrentIndex(max(0, self.eraser_combo.findData(int(self.view.eraser_size))))
        self.eraser_combo.setToolTip("Eraser size")
        self.eraser_combo.currentIndexChanged.connect(
            lambda _i: self.set_eraser_size(self.eraser_combo.currentData()))
        bar.addWidget(self.eraser_combo)
        return bar

    def set_pen_color(self, color: str) -> None:
        """A swatch: the pen's colour, or a light tint of it while the highlighter is in hand."""
        from PySide6.QtGui import QColor

        if self.view.tool is not None and self.view.tool.name == "highlight":
            c = QColor(color)
            light = QColor.fromRgbF(*(0.35 * v + 0.65 for v in (c.redF(), c.greenF(), c.blueF())))
            self.view.highlight_color = light.name()
            self.settings.set("highlight_color", light.name())
            return
        self.view.pen_color = color
        self.settings.set("pen_color", color)
        if self.view.tool is None or self.view.tool.name != "pen":
            self.set_tool("pen")

    def set_pen_width(self, width: float) -> None:
        self.view.pen_width = width
        self.settings.set("pen_width", width)
        if self.view.tool is None or self.view.tool.name not in ("pen", "highlight"):
            self.set_tool("pen")

    def set_eraser_partial(self, on: bool) -> None:
        self.view.eraser_partial = on
        self.settings.set("eraser_partial", on)
        self.set_tool("erase")

    def set_eraser_size(self, size: int) -> None:
        self.view.eraser_size = float(size)
        self.settings.set("eraser_size", int(size))
        self.set_tool("erase")

    # --- state ----------------------------------------------------------------------------------------
    def _update_title(self, *_args) -> None:
        name = Path(self.doc.path).name if self.doc.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — InkLift")
        self.setWindowModified(self.doc.modified)

    def title_shows_unsaved(self) -> bool:
        return self.isWindowModified()

    def _update_actions(self, *_args) -> None:
        page = self.view.page
        has_page = page is not None
        has_ink = has_page and page.ink is not None
        nsel = len(self.view.selected)
        self.a_delete.setEnabled(nsel > 0)
        self.a_smooth.setEnabled(nsel > 0)
        self.a_join.setEnabled(nsel == 2)
        self.a_select_all.setEnabled(has_ink)
        self.a_convert.setEnabled(has_page and page.photo_image is not None)
        self.a_convert_all.setEnabled(len(self.doc.pages) > 0)
        self.a_remove_page.setEnabled(has_page)
        idx = self.doc.index_of(self.view.page_id or "")
        self.a_page_up.setEnabled(idx > 0)
        self.a_page_down.setEnabled(0 <= idx < len(self.doc.pages) - 1)
        self.a_export.setEnabled(any(p.ink is not None for p in self.doc.pages))
        self.a_save.setEnabled(len(self.doc.pages) > 0)
        self.a_save_as.setEnabled(len(self.doc.pages) > 0)
        self.empty_hint.setVisible(not self.doc.pages)
        self._place_overlays()

    def _undo_tips(self, *_args) -> None:
        st = self.doc.undo_stack
        self.tb_undo.setToolTip(f"Undo {st.undoText()} (Ctrl+Z)" if st.canUndo() else "Nothing to undo")
        self.tb_redo.setToolTip(f"Redo {st.redoText()} (Ctrl+Shift+Z)" if st.canRedo() else "Nothing to redo")

    def _page_menu(self, pos) -> None:
        from PySide6.QtWidgets import QMenu

        item = self.pages.itemAt(pos)
        if item is None:
            return
        self.pages.setCurrentItem(item)
        menu = QMenu(self)
        for a in (self.a_convert, self.a_export, self.a_page_up, self.a_page_down, self.a_remove_page):
            menu.addAction(a)
        menu.exec(self.pages.viewport().mapToGlobal(pos))

    def _selection_message(self) -> None:
        refs = self.view.selected_refs()
        if refs:
            words = len({r.word for r in refs if r.word >= 0})
            n = len(refs)
            self._selection_note = (
                f"{n} stroke{'s' * (n != 1)} selected" + (f" in {words} word{'s' * (words != 1)}" if words else "")
                + " — Delete removes, Ctrl+Shift+M smooths, drag to move")
            self.note(self._selection_note)
        elif self.status_note.full_text() == self._selection_note:
            self.note("")  # only the selection's own message goes with it

    def _place_overlays(self) -> None:
        self.empty_hint.setGeometry(self.view.rect())
        self.drop_overlay.setGeometry(self.rect().adjusted(12, 12, -12, -12))

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        compact = self.width() < COMPACT_BELOW
        if compact != self.pages.compact:
            self.pages.set_compact(compact)
        self._place_overlays()

    def _status_changed(self, page_id: str) -> None:
        """A page's conversion state changed: its entry in the list and the page itself say so."""
        self.pages.refresh(page_id, icon=False)
        self.view.show_status(page_id)

    def _page_in_view(self, page_id: str) -> None:
        """Scrolling (or drawing on another page) changed the current page: the list and panels follow,
        without scrolling the view back."""
        self.pages.follow(page_id)
        self._refresh_review()
        self._update_actions()

    def _refresh_review(self, *_args) -> None:
        """The review list is rebuilt only while it shows (a few hundred rows cost tens of ms per page
        scrolled past); showing the panel rebuilds it."""
        if self.review_dock.isVisible():
            self.review.refresh()

    def _show_page(self, page_id: str) -> None:
        self.view.set_page(page_id or None)
        self.search.refresh_highlights(zoom=True)
        self._refresh_review()
        self._update_actions()

    def set_tool(self, name: str) -> None:
        cls = next(c for c in TOOLS if c.name == name)
        self.view.set_tool(cls(self.view))
        self.tool_actions[name].setChecked(True)

    def choose_pen_color(self) -> None:
        from PySide6.QtGui import QColor
        from PySide6.QtWidgets import QColorDialog

        c = QColorDialog.getColor(QColor(self.view.pen_color), self, "Pen colour")
        if c.isValid():
            self.set_pen_color(c.name())

    def set_color_mode(self, mode: str) -> None:
        self.view.set_color_mode(mode)
        self.color_actions[mode].setChecked(True)
        i = self.color_combo.findData(mode)
        if self.color_combo.currentIndex() != i:
            self.color_combo.setCurrentIndex(i)
        self.settings.set("color_mode", mode)

    def _opacity_changed(self, v: int) -> None:
        self.view.set_photo_opacity(v / 100)  # moving the slider shows the photo again
        if v > 0:
            self.settings.set("photo_opacity", v / 100)  # 0 is "hidden", which is not kept
        self.a_photo.blockSignals(True)
        self.a_photo.setChecked(v > 0)
        self.a_photo.blockSignals(False)

    def _photo_toggled(self, show: bool) -> None:
        if show and self.opacity.value() == 0:
            self.opacity.setValue(round(100 * (self.settings.get("photo_opacity") or DEFAULTS["photo_opacity"])))
        self.view.set_photo_opacity(self.opacity.value() / 100 if show else 0.0)

    def note(self, text: str, timeout_ms: int = 0) -> None:
        """A status-bar message; 0 keeps it until the next one."""
        self.status_note.show_note(text, timeout_ms)

    def show_error(self, message: str, title: str = "InkLift") -> None:
        QMessageBox.warning(self, title, message)

    # --- bringing pages in -----------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = self.settings.q.value("last_dir", QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.PicturesLocation))
        paths, _ = QFileDialog.getOpenFileNames(self, "Open photos, ink or a project", str(start), IMPORT_FILTER)
        if paths:
            self.settings.set("last_dir", str(Path(paths[0]).parent))
            self.import_paths(paths)

    def _split_paths(self, paths) -> tuple[list[Path], list[Path]]:
        """(projects, page files): folders expand to the photos and ink files in them, sorted."""
        paths = [Path(p) for p in paths]
        projects = [p for p in paths if p.suffix.lower() == SUFFIX]
        files: list[Path] = []
        for p in paths:
            if p.suffix.lower() == SUFFIX:
                continue
            if p.is_dir():
                files.extend(sorted(f for f in p.iterdir()
                                    if f.suffix.lower() in IMAGE_SUFFIXES | INK_SUFFIXES | PDF_SUFFIXES))
            else:
                files.append(p)
        return projects, files

    @staticmethod
    def _load_files(files: list[Path], token=None):
        """Job: decode photos / render PDF pages / read ink files (thread-safe: QImage, PDFium, numpy, lxml).
        Returns (pages, errors): a bad file is one error and the others still load."""
        pages, errors = [], []
        n = len(files)
        for i, f in enumerate(files):
            if token is not None:
                token.raise_if_cancelled()
            yield Progress("import", i, n, f"Reading {f.name}")
            job = _pages_from_file(f, token)
            try:
                while True:  # a file's own steps (PDF pages) as a share of this file's slot in the bar
                    step = next(job)
                    yield Progress("import", i * step.total + step.done, n * step.total, step.message)
            except StopIteration as stop:
                pages.extend(stop.value)
            except Cancelled:
                raise
            except InkLiftError as e:
                errors.append(str(e))
        return pages, errors

    def _finish_import(self, files: list[Path], pages: list[PageDoc], errors: list[str], projects) -> None:
        if pages:
            self.add_pages(pages)
            for f in files:
                self.settings.add_recent(str(f))
        if errors:
            self.show_error("Some files could not be opened:\n\n" + "\n".join(errors[:12]))
        elif not pages and not projects:
            self.note("Nothing to open there.", 4000)
        self.importFinished.emit(len(pages))

    def open_paths(self, paths) -> list[PageDoc]:
        """Open files now (on this thread): projects open; photos/InkML/folders become new pages."""
        from inference.jobs import run_job

        projects, files = self._split_paths(paths)
        if projects:
            self.open_project(projects[0])
        pages, errors = run_job(self._load_files(files))
        self._finish_import(files, pages, errors, projects)
        return pages

    def import_paths(self, paths) -> None:
        """What the UI uses (open dialog, drop, recent files): decoding big photos happens off the GUI thread,
        so the window stays responsive while a stack of 12 MP photos comes in."""
        projects, files = self._split_paths(paths)
        if projects:
            self.open_project(projects[0])
        if not files:
            if not projects:
                self.note("Nothing to open there.", 4000)
            return

        def done(result) -> None:
            self._finish_import(files, result[0], result[1], projects)

        n = len(files)
        self.io_jobs.start("import", lambda token: self._load_files(files, token), done,
                           label=f"Importing {n} file{'s' * (n != 1)}", on_error=self.show_error)

    def add_pages(self, pages: list[PageDoc], convert: bool | None = None) -> None:
        self.doc.undo_stack.push(AddPagesCommand(self.doc, pages))
        self.pages.select_page(pages[0].id)
        if convert is None:
            convert = self.settings.get("auto_convert")
        if convert:
            todo = [p.id for p in pages if p.ink is None and p.photo_image is not None]
            if todo:
                self.convert(todo, quiet=True)

    def paste(self) -> None:
        cb = QApplication.clipboard()
        md = cb.mimeData()
        if md is not None and md.hasUrls():
            local = [u.toLocalFile() for u in md.urls() if u.isLocalFile()]
            if local:
                self.import_paths(local)
                return
        img = cb.image()
        if img.isNull():
            self.note("The clipboard holds no image.", 4000)
            return
        self.add_pages([page_from_qimage(img, f"Pasted {len(self.doc.pages) + 1}")])

    def camera(self) -> None:
        from .camera import capture_photo

        img = capture_photo(self)
        if img is not None:
            self.add_pages([page_from_qimage(img, f"Photo {len(self.doc.pages) + 1}")])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in self.settings.get("recent") if Path(p).exists()]
        for p in recent:
            a = self.recent_menu.addAction(Path(p).name)
            a.setToolTip(p)
            a.triggered.connect(lambda _c=False, path=p: self.import_paths([path]))
        if not recent:
            a = self.recent_menu.addAction("No recent files")
            a.setEnabled(False)

    # drag and drop ---------------------------------------------------------------------------------------
    def _droppable(self, md) -> list[str]:
        if md is None or not md.hasUrls():
            return []
        out = []
        for u in md.urls():
            if not u.isLocalFile():
                continue
            p = Path(u.toLocalFile())
            if p.is_dir() or p.suffix.lower() in IMAGE_SUFFIXES | INK_SUFFIXES | PDF_SUFFIXES | {SUFFIX}:
                out.append(str(p))
        return out

    def dragEnterEvent(self, e) -> None:
        if self._droppable(e.mimeData()) or (e.mimeData() and e.mimeData().hasImage()):
            e.acceptProposedAction()
            self._place_overlays()
            self.drop_overlay.show()
            self.drop_overlay.raise_()
        else:
            e.ignore()

    def dragMoveEvent(self, e) -> None:
        e.acceptProposedAction()

    def dragLeaveEvent(self, e) -> None:
        self.drop_overlay.hide()

    def dropEvent(self, e) -> None:
        self.drop_overlay.hide()
        paths = self._droppable(e.mimeData())
        if paths:
            e.acceptProposedAction()
            self.import_paths(paths)
        elif e.mimeData().hasImage():
            e.acceptProposedAction()
            self.add_pages([page_from_qimage(e.mimeData().imageData(), f"Dropped {len(self.doc.pages) + 1}")])

    def _warm_engine(self) -> None:
        """Start the engine's child process in the background so the first conversion starts at once."""
        if engine.engine_available()[0]:
            from . import engine_process

            if not engine_process.use_thread():
                self.io_jobs.start("_warmup", _warmup_job, lambda _r: None, "Starting engine")

    # --- conversion -------------------------------------------------------------------------------------
    def convert_current(self) -> None:
        if self.view.page_id:
            self.convert([self.view.page_id])

    def convert_all(self) -> None:
        self.convert([p.id for p in self.doc.pages if p.ink is None and p.photo_image is not None])

    def convert(self, page_ids: list[str], quiet: bool = False) -> bool:
        """Queue a conversion job per page. ``quiet``: an unavailable engine is a status message, not a box."""
        ok, why = engine.engine_available()
        if not ok:
            if quiet:
                self.note(why, 0)
            else:
                self.show_error(why, "Conversion not available")
            return False
        threads, layout = self.settings.get("threads"), self.settings.get("layout")
        for pid in page_ids:
            page = self.doc.page(pid)
            if page is None or page.photo_image is None:
                continue
            source = page.source_path if page.source_path and Path(page.source_path).exists() \
                and Path(page.source_path).suffix.lower() in IMAGE_SUFFIXES else page.photo_image
            try:
                factory = engine.convert_job(source, layout=layout, threads=threads)
            except InkLiftError as e:
                self.show_error(str(e))
                return False
            page.status = "queued"
            self.convert_jobs.start(pid, factory, lambda res, pid=pid: self._apply_result(pid, res),
                                    label=f"Converting {page.name}",
                                    on_error=lambda msg, pid=pid: self._conversion_failed(pid, msg))
            self._status_changed(pid)
        return True

    def _apply_result(self, page_id: str, result) -> None:
        page = self.doc.page(page_id)
        if page is None:
            return  # the page was removed while converting
        page.status = ""
        new_ink = result.page
        mine = tuple(s for s in (page.ink.drawings if page.ink is not None else ()) if s.time_measured)
        lost_pen = False
        if mine:
            same_geometry = page.image is not None and page.image.shape == result.image.shape
            if same_geometry:  # the user's pen strokes stay where they were drawn
                from dataclasses import replace

                new_ink = replace(new_ink, drawings=new_ink.drawings + mine)
            else:  # the engine straightened the page: old coordinates no longer fit; Undo brings them back
                lost_pen = True
        self.doc.undo_stack.push(SetPageCommand(self.doc, page_id, new_ink, f"Convert {page.name}",
                                                after_image=result.image, change_image=True))
        warnings = list(getattr(result, "warnings", []) or [])
        n = len(result.page.words)
        msg = f"{page.name}: {n} word{'s' * (n != 1)} converted"
        todo = sum(1 for w in result.page.words if w.needs_review)
        if todo:
            msg += f" — {todo} need{'s' * (todo == 1)} review (Review panel: Ctrl+Shift+V)"
        if lost_pen:
            msg += " — pen strokes drawn on the photo were not carried over (Undo restores them)"
        plain = plain_warnings(warnings)
        if plain:
            msg += " — " + " ".join(plain[:3])
        self.note(msg)
        if self.view.page_id == page_id:
            self.view.fit()

    def _conversion_started(self, _job_id: int, page_id: str) -> None:
        page = self.doc.page(page_id)
        if page is not None:
            page.status = "converting…"
            self._status_changed(page_id)

    def _conversion_failed(self, page_id: str, message: str) -> None:
        page = self.doc.page(page_id)
        if page is not None:
            page.status = "conversion failed"
            self._status_changed(page_id)
        name = page.name if page else "the page"
        self.show_error(f"Could not convert {name}:\n\n{message}", "Conversion failed")

    def _conversion_finished(self, _job_id: int, page_id: str, outcome: str) -> None:
        page = self.doc.page(page_id)
        if page is not None and outcome in ("cancelled", "dropped") and page_id not in self.convert_jobs.current:
            page.status = ""
            self._status_changed(page_id)
            if outcome == "cancelled":
                self.note(f"Conversion of {page.name} cancelled", 4000)
        self.conversionFinished.emit(page_id, outcome)

    def cancel_jobs(self) -> None:
        if self.convert_jobs.is_busy() or any(not j.key.startswith("_") for j in self.io_jobs.active()):
            self.progress.cancel()
        elif self.view.tool is not None:
            self.view.tool.cancel()
            self.view.clear_selection()
            self.view.clear_highlight()

    def move_current_page(self, step: int) -> None:
        i = self.doc.index_of(self.view.page_id or "")
        j = i + step
        if i >= 0 and 0 <= j < len(self.doc.pages):
            self.doc.undo_stack.push(MovePageCommand(self.doc, i, j))

    def remove_current_page(self) -> None:
        pid = self.view.page_id
        if pid:
            self.convert_jobs.cancel(pid)
            self.doc.undo_stack.push(RemovePageCommand(self.doc, pid))

    # --- project files ----------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if not self.doc.modified:
            return True
        r = QMessageBox.question(
            self, "Unsaved changes", "Save your changes to this notebook first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if r == QMessageBox.StandardButton.Save:
            return self.save(wait=True)
        return r == QMessageBox.StandardButton.Discard

    def new_document(self) -> None:
        if self.maybe_save():
            self.convert_jobs.cancel()
            self.doc.clear()
            self.view.set_page(None)
            self._update_actions()

    def open_project(self, path, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        try:
            loaded, current = read_project(path)
            pages = [page_from_loaded(lp) for lp in loaded]
        except InkLiftError as e:
            self.show_error(str(e), "Cannot open project")
            return False
        self.convert_jobs.cancel()
        self.doc.clear()
        for i, p in enumerate(pages):
            self.doc.insert_page(i, p)
        self.doc.mark_saved(str(path))
        self.settings.add_recent(str(path))
        if pages:
            self.pages.select_page(pages[max(0, min(current, len(pages) - 1))].id)
        self._update_actions()
        return True

    def save(self, wait: bool = False) -> bool:
        """File > Save. In the background unless ``wait`` (closing the window waits for it)."""
        if not self.doc.path:
            return self.save_as(wait)
        return self.save_to(self.doc.path, wait)

    def save_as(self, wait: bool = False) -> bool:
        start = self.doc.path or str(Path(QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)) / f"Notes{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self, "Save notebook", start, f"InkLift project (*{SUFFIX})")
        if not path:
            return False
        if not path.endswith(SUFFIX):
            path += SUFFIX
        return self.save_to(path, wait)

    def save_to(self, path: str, wait: bool = True) -> bool:
        """Write the project. The snapshot is taken now; if the user edits while a background save runs,
        the document stays marked modified (the file holds the state from when Save was chosen)."""
        records = [page_to_record(p) for p in self.doc.pages]
        current = max(0, self.doc.index_of(self.view.page_id or ""))
        index = self.doc.undo_stack.index()

        def saved(_result=None) -> None:
            if self.doc.undo_stack.index() == index:
                self.doc.mark_saved(path)
            else:
                self.doc.set_path(path)
            self.settings.add_recent(path)
            self.note(f"Saved {Path(path).name}")
            self.saveFinished.emit("done")

        def failed(msg: str) -> None:
            self.show_error(f"Could not save {Path(path).name}:\n\n{msg}", "Save failed")
            self.saveFinished.emit("failed")

        if not wait:
            self.io_jobs.start("save", lambda token: write_project(path, records, current, token), saved,
                               label=f"Saving {Path(path).name}", on_error=failed)
            return True
        from inference.jobs import run_job

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            run_job(write_project(path, records, current))
        except (InkLiftError, OSError) as e:
            failed(str(e))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        saved()
        return True

    # --- export -----------------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        folder = self.settings.q.value("export_dir", QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation))
        cur = self.view.page
        dlg = ExportDialog(str(folder), cur is not None and cur.ink is not None,
                           sum(1 for p in self.doc.pages if p.ink is not None), self,
                           formats=self.settings.get("export_formats"))
        self._export_dialog = dlg  # reachable for tests and screenshots
        if dlg.exec() != ExportDialog.DialogCode.Accepted:
            return
        formats, all_pages, folder, with_image = dlg.choice()
        self.settings.set("export_dir", str(folder))
        self.settings.set("export_formats", formats)  # the next export starts from the same choice
        self.export(formats, folder, all_pages, with_image, one_pdf=dlg.pdf_in_one_file())

    def export(self, formats: str | list[str], folder: Path, all_pages: bool = True,
               with_image: bool = False, one_pdf: bool = False) -> int:
        """``one_pdf``: all pages in one PDF named after the notebook (otherwise a PDF per page)."""
        pages = self.doc.pages if all_pages else [p for p in self.doc.pages if p.id == self.view.page_id]
        items = [ExportItem(p.name, p.ink, p.image, p.pdf_size_pt) for p in pages if p.ink is not None]
        if not items:
            self.show_error("There is no ink to export yet: convert a page or draw on it first.")
            return 0

        def done(paths) -> None:
            self.note(f"Exported {len(paths)} file{'s' * (len(paths) != 1)} to {folder}")
            self.exportFinished.emit("done", paths)

        def failed(msg: str) -> None:
            self.show_error(f"Export failed:\n\n{msg}", "Export failed")
            self.exportFinished.emit("failed", msg)

        names = ", ".join(f.upper() for f in ([formats] if isinstance(formats, str) else formats))
        stem = (Path(self.doc.path).stem if self.doc.path else "Notes") if one_pdf else None
        return self.io_jobs.start("export", export_job(items, Path(folder), formats, with_image, stem), done,
                                  label=f"Exporting {names}", on_error=failed)

    # --- dialogs ----------------------------------------------------------------------------------------
    def settings_dialog(self) -> None:
        dlg = SettingsDialog(self.settings, self)
        if dlg.exec():
            self.autosaver.set_interval(self.settings.get("autosave_minutes"))
            self.view.pen_width = self.settings.get("pen_width")
            self.set_color_mode(self.settings.get("color_mode"))

    def about(self) -> None:
        AboutDialog(self).exec()

    # --- recovery ---------------------------------------------------------------------------------------
    def start_up(self, files: list[str]) -> None:
        """Launch: offer crash recovery first, then open the files named on the command line (added to the
        recovered notebook, never dropped in favour of it)."""
        self.offer_recovery()
        if files:
            self.import_paths(files)

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest autosave. Returns True when a document was recovered."""
        found = find_recoverable()
        if not found:
            return False
        rec: Recoverable = max(found, key=lambda r: r.saved_at)
        from datetime import datetime

        when = datetime.fromtimestamp(rec.saved_at).strftime("%Y-%m-%d %H:%M")
        what = Path(rec.original).name if rec.original else "an unsaved notebook"
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work?",
                          f"InkLift did not close properly last time. An autosaved copy of {what} "
                          f"({rec.pages} page{'s' * (rec.pages != 1)}, {when}) can be restored.", parent=self)
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(recover)
        box.exec()
        if box.clickedButton() is not recover:
            for r in found:
                discard(r)
            return False
        try:
            loaded, _current = read_project(rec.path)
        except InkLiftError as e:
            self.show_error(f"The autosaved copy could not be read:\n\n{e}")
            return False
        pages = [page_from_loaded(lp) for lp in loaded]
        self.doc.undo_stack.push(AddPagesCommand(self.doc, pages, 0))
        self.doc.set_path(rec.original)
        for r in found:
            discard(r)
        if pages:
            self.pages.select_page(pages[0].id)
        self.note("Recovered the autosaved notebook — save it to keep it.")
        return True

    # --- closing ----------------------------------------------------------------------------------------
    def closeEvent(self, e) -> None:
        if not self.maybe_save():
            e.ignore()
            return
        for jm in (self.convert_jobs, self.io_jobs, self.review.jobs, self.pages.thumbs):
            jm.cancel()
        for jm in (self.convert_jobs, self.io_jobs, self.review.jobs, self.pages.thumbs):
            jm.wait(3000)
        self.autosaver.timer.stop()
        self.autosaver.remove()
        e.accept()
