"""Batch conversion: files, folders and PDFs -> outputs, on one core, all cores, or a Dask cluster.

    plan(inputs)   -> documents (one per input file), each with its units (one page of work each)
    convert_unit() -> a UnitResult: the page's outputs as bytes (made where the page was converted, so
                      cluster workers need no shared disk), plus the Page when a multi-page output needs it
    run_batch()    -> runs the units in this process, in a process pool (one engine per worker: the models
                      and the text detector are loaded once per worker process and kept), or on a Dask
                      cluster; writes every output here, atomically; reports each document in input order

Output names: ``OUTDIR/<path below the folder given>/<stem>.<format>``; a PDF of several pages gives
``<stem>-p<N>.<format>`` per page and one ``<stem>.pdf`` with every page. Bad inputs are reported (with the
reason) and skipped; the others still convert. ``resume`` skips inputs whose outputs all exist (outputs are
written atomically, so an existing file is complete).
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .document.formats import EXPORTERS, atomic_write, export_bytes, pdf_document_bytes, read_inkml, read_svg
from .document.formats.pdf import META_SIZE
from .document.ink import Page
from .errors import Cancelled, InkLiftError, InputError
from .jobs import CancelToken, Progress
from .photo.pdf import is_pdf, pdf_page_bytes, pdf_page_count, render_pdf_page

INK_SUFFIXES = {".inkml", ".xml"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".jp2", ".pbm", ".pgm",
                  ".ppm", ".heic", ".heif"}
# what a folder contributes (no .svg/.xml there: a folder of earlier outputs must not convert its own SVGs)
FOLDER_SUFFIXES = IMAGE_SUFFIXES | {".pdf", ".inkml"}
ENGINE_KINDS = ("image", "pdf")
WINDOW_PER_WORKER = 2  # units in flight per worker: keeps every worker busy, bounds memory in this process


@dataclass(frozen=True)
class Options:
    """What every worker needs to convert a page (picklable: it travels to worker processes)."""

    formats: tuple[str, ...]
    layout: str = "auto"
    photo: bool = False  # photo underlay in svg, xopp, png and pdf
    threads: int | None = None  # CPU threads for the models per worker (None: the engine's default)
    use_model: bool = True  # False: the geometric tracer only
    debug_dir: str | None = None
    frame: str = "source"  # InkML's coordinates: the source photo's pixels or InkLift's page


@dataclass(frozen=True)
class Unit:
    """One page of work."""

    doc: int  # index of its document
    input: str
    kind: str  # image | pdf | inkml | svg
    page: int | None  # 0-based page of a PDF
    stem: str  # output path without suffix, relative to the output folder ("/"-separated)
    formats: tuple[str, ...]  # formats this unit writes itself
    want_page: bool = False  # return the Page: a multi-page output is assembled from it
    data: bytes | None = None  # the input itself, for workers that cannot read this machine's disk


@dataclass
class UnitResult:
    unit: Unit
    ok: bool
    error: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # relative output path -> contents
    page: Page | None = None
    image: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
    words: int = 0
    strokes: int = 0
    needs_review: int = 0
    text: str = ""
    seconds: float = 0.0
    worker: str = ""  # host:pid that converted it
    peak_rss_mb: float = 0.0  # that worker's peak memory so far


@dataclass
class Document:
    """One input file: its units, the outputs it assembles here, and its result."""

    index: int
    input: str
    kind: str = ""
    pages: int = 0
    units: list[Unit] = field(default_factory=list)
    assembled: dict[str, str] = field(default_factory=dict)  # format -> relative path (multi-page pdf)
    error: str = ""
    skipped: bool = False  # resume: every output was already there
    results: dict[int, UnitResult] = field(default_factory=dict)  # by page number (0 when not a PDF)
    written: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return bool(self.error) or self.skipped or len(self.results) == len(self.units)


# --- planning ----------------------------------------------------------------------------------------
def input_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in INK_SUFFIXES:
        return "inkml"
    if suffix == ".svg":
        return "svg"
    if suffix == ".pdf":
        return "pdf"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    try:
        with open(path, "rb") as fh:
            head = fh.read(512).lstrip()
    except OSError:
        return "image"  # let the reader give the proper error
    if head.startswith((b"<", b"\xef\xbb\xbf<")):
        return "inkml"
    return "pdf" if is_pdf(path) else "image"


def _expand(raw: str, outdir: Path) -> Iterator[tuple[Path, str]]:
    """(file, output path below OUTDIR without suffix) for an input; folders are walked in name order,
    skipping hidden entries and the output folder itself."""
    path = Path(raw)
    if not path.is_dir():
        yield path, path.stem
        return
    out = outdir.resolve()
    for folder, dirs, files in os.walk(path):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() != out)
        for name in sorted(files):
            f = here / name
            if not name.startswith(".") and f.suffix.lower() in FOLDER_SUFFIXES:
                yield f, f.relative_to(path).with_suffix("").as_posix()


def plan(inputs: Sequence[str], outdir: Path, formats: Sequence[str], resume: bool = False) -> list[Document]:
    """Documents in input order; a document that cannot be converted carries its ``error``."""
    docs: list[Document] = []
    taken: dict[str, str] = {}  # output stem -> the input that writes it
    for raw in inputs:
        if Path(raw).is_dir() and not any(True for _ in _expand(raw, outdir)):
            docs.append(Document(len(docs), raw, error=f"{raw}: the folder holds no images, PDFs or InkML"))
            continue
        for path, stem in _expand(raw, outdir):
            doc = Document(len(docs), str(path))
            docs.append(doc)
            try:
                _plan_one(doc, path, stem, outdir, tuple(formats), taken, resume)
            except InkLiftError as exc:
                doc.error, doc.units = str(exc), []
    return docs


def _plan_one(doc: Document, path: Path, stem: str, outdir: Path, formats: tuple[str, ...],
              taken: dict[str, str], resume: bool) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if stem in taken:  # outputs are named after the stem: never overwrite an earlier input's
        raise InputError(f"{path}: has the same name as {taken[stem]}, so its outputs would overwrite "
                         "those; convert it into another folder")
    doc.kind = input_kind(path)
    doc.pages = pdf_page_count(path) if doc.kind == "pdf" else 1
    multi = doc.pages > 1
    per_page = tuple(f for f in formats if not (multi and f == "pdf"))
    if multi and "pdf" in formats:
        doc.assembled["pdf"] = f"{stem}{EXPORTERS['pdf'].suffix}"
    width = len(str(doc.pages))
    stems = [f"{stem}-p{i + 1:0{width}d}" if multi else stem for i in range(doc.pages)]
    all_out = [f"{s}{EXPORTERS[f].suffix}" for s in stems for f in per_page] + list(doc.assembled.values())
    for rel in all_out:  # checked before any work: a refused input writes nothing
        if (outdir / rel).resolve() == path.resolve():
            raise InputError(f"{path}: writing {Path(rel).suffix.lstrip('.')} would overwrite the input; "
                             "choose another -o")
    taken[stem] = str(path)
    if resume and all((outdir / rel).is_file() for rel in all_out):
        doc.skipped, doc.written = True, [str(outdir / rel) for rel in all_out]
        return
    # the multi-page PDF is made from every page: when it is to be written, every page runs
    assemble = bool(doc.assembled) and (not resume or any(not (outdir / rel).is_file()
                                                           for rel in doc.assembled.values()))
    if not assemble:
        doc.assembled = {}
    for i, s in enumerate(stems):
        mine = [f"{s}{EXPORTERS[f].suffix}" for f in per_page]
        if resume and not assemble and all((outdir / rel).is_file() for rel in mine):
            continue
        doc.units.append(Unit(doc.index, str(path), doc.kind, i if doc.kind == "pdf" else None, s, per_page,
                              want_page=assemble))
    if not doc.units:
        doc.skipped = True


# --- one unit (runs in a worker) ---------------------------------------------------------------------
def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)  # bytes on macOS, KiB on Linux


def _engine(source, unit: Unit, options: Options, on_progress: Callable[[Progress], None],
            cancel: CancelToken) -> tuple[Page, np.ndarray | None, list[str]]:
    try:
        from . import pipeline  # lazy: the engine pulls in the models
    except ImportError as exc:
        missing = getattr(exc, "name", "") or ""
        if missing in ("inference.pipeline", "pipeline"):
            raise InputError(f"{unit.input}: photos need the InkLift engine (inference.pipeline), which is "
                             "not part of this build; InkML inputs still convert") from None
        raise InputError(f"{unit.input}: the InkLift engine cannot start (missing module {missing or exc})") \
            from None
    settings: dict = {"layout": options.layout}
    if options.debug_dir is not None:  # pages without a file name of their own get a folder each
        d = Path(options.debug_dir)
        settings["debug_dir"] = d if isinstance(source, Path) else d / unit.stem
    else:
        settings["debug_dir"] = None
    if options.threads is not None:  # otherwise the engine's own default
        settings["threads"] = options.threads
    if not options.use_model:
        settings["use_model"] = False
    job = pipeline.run_page(source, pipeline.PipelineConfig(**settings), cancel)
    while True:
        cancel.raise_if_cancelled()
        try:
            on_progress(next(job))
        except StopIteration as stop:
            result = stop.value
            break
    return result.page, getattr(result, "image", None), [str(w) for w in getattr(result, "warnings", ())]


def convert_unit(unit: Unit, options: Options, on_progress: Callable[[Progress], None] | None = None,
                 cancel: CancelToken | None = None) -> UnitResult:
    """Convert one page and export it to bytes; never raises for a bad input (the result says why)."""
    import socket

    on_progress = on_progress or (lambda p: None)
    cancel = cancel or CancelToken()
    t0 = time.perf_counter()
    res = UnitResult(unit, ok=False, worker=f"{socket.gethostname()}:{os.getpid()}")
    where = f"{unit.input} page {unit.page + 1}" if unit.page is not None else unit.input
    try:
        if unit.kind in ("inkml", "svg"):
            on_progress(Progress("read", 0, 1, f"reading {unit.kind}"))
            reader = read_inkml if unit.kind == "inkml" else read_svg
            page, image, warnings = reader(unit.data if unit.data is not None else unit.input), None, []
            on_progress(Progress("read", 1, 1, "read"))
        elif unit.kind == "pdf":
            on_progress(Progress("load", 0, 1, f"rendering page {unit.page + 1}"))
            rendered = render_pdf_page(unit.data if unit.data is not None else unit.input,
                                       0 if unit.data is not None else unit.page)
            page, image, warnings = _engine(rendered.image, unit, options, on_progress, cancel)
            meta = {**page.meta, META_SIZE: rendered.size_pt, "pdf_page": unit.page + 1}
            page = replace(page, image_path=f"{unit.input}#page={unit.page + 1}", meta=meta)
        else:
            source = unit.data if unit.data is not None else Path(unit.input)
            page, image, warnings = _engine(source, unit, options, on_progress, cancel)
            if unit.data is not None:
                page = replace(page, image_path=unit.input)
        underlay = image if options.photo else None
        for i, fmt in enumerate(unit.formats):
            rel = f"{unit.stem}{EXPORTERS[fmt].suffix}"
            on_progress(Progress("write", i, len(unit.formats), Path(rel).name))
            res.files[rel] = export_bytes(page, fmt, underlay, options.frame)
        on_progress(Progress("write", len(unit.formats), len(unit.formats), "done"))
        if unit.want_page:
            res.page, res.image = page, underlay
        res.ok, res.warnings = True, warnings
        res.words, res.strokes = len(page.words), len(page.all_strokes())
        res.needs_review, res.text = sum(1 for w in page.words if w.needs_review), page.text
    except Cancelled:
        raise
    except InkLiftError as exc:
        msg = str(exc)
        res.error = msg if unit.input in msg else f"{where}: {msg}"
        if unit.page is not None and unit.input in msg and "page" not in msg:
            res.error = f"{where}: {msg.replace(unit.input + ': ', '', 1)}"
    except Exception as exc:  # noqa: BLE001 - a bug: still one line, and the other inputs go on
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        res.error = f"{where}: internal error ({exc.__class__.__name__}: {first})"
    res.seconds = round(time.perf_counter() - t0, 3)
    res.peak_rss_mb = round(_peak_rss_mb(), 1)
    return res


def _init_worker() -> None:
    """Pool workers leave Ctrl-C to the parent, which cancels the batch."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _with_data(unit: Unit) -> Unit:
    """The unit with its input inside, for cluster workers (a PDF page travels alone as a small PDF)."""
    if unit.data is not None:
        return unit
    if unit.kind == "pdf":
        return replace(unit, data=pdf_page_bytes(unit.input, unit.page))
    try:
        return replace(unit, data=Path(unit.input).read_bytes())
    except OSError:
        return unit  # the worker reports the proper error


# --- running -----------------------------------------------------------------------------------------
def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _windowed(executor: cf.Executor, units: Iterable[Unit], options: Options, window: int,
              prepare: Callable[[Unit], Unit]) -> Iterator[UnitResult]:
    """Results as they complete, with at most ``window`` units submitted at a time."""
    todo = iter(units)
    running: dict[cf.Future, Unit] = {}

    def fill() -> None:
        for unit in todo:
            running[executor.submit(convert_unit, prepare(unit), options)] = unit
            if len(running) >= window:
                return

    fill()
    while running:
        finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
        for fut in finished:
            unit = running.pop(fut)
            try:
                yield fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory): that page fails
                where = f"{unit.input} page {unit.page + 1}" if unit.page is not None else unit.input
                yield UnitResult(unit, ok=False, error=f"{where}: the worker converting it failed "
                                                       f"({exc.__class__.__name__}: {exc})")
        fill()


@dataclass
class BatchReport:
    documents: list[Document]
    seconds: float
    workers: int
    where: str  # "this process", "N local processes" or the scheduler address

    @property
    def failed(self) -> list[Document]:
        return [d for d in self.documents if d.error]

    @property
    def pages_converted(self) -> int:
        return sum(1 for d in self.documents for r in d.results.values() if r.ok)


def _finish(doc: Document, outdir: Path) -> None:
    """Write what a document assembles from its pages (a multi-page PDF) once all of them are in."""
    bad = [r for r in doc.results.values() if not r.ok]
    if bad:
        doc.error = bad[0].error if len(bad) == 1 else \
            f"{bad[0].error} (and {len(bad) - 1} more of its {doc.pages} pages failed)"
        return
    ordered = [doc.results[k] for k in sorted(doc.results)]
    for rel in doc.assembled.values():
        if len(ordered) != doc.pages or any(r.page is None for r in ordered):
            doc.error = f"{doc.input}: internal error (not every page came back for {rel})"
            return
        data = pdf_document_bytes([r.page for r in ordered], [r.image for r in ordered],
                                  title=Path(doc.input).stem)
        doc.written.append(str(atomic_write(outdir / rel, data)))
        for r in ordered:
            r.page = r.image = None  # memory: pages are no longer needed


def run_batch(docs: list[Document], outdir: Path, options: Options, workers: int = 1,
              scheduler: str | None = None,
              on_progress: Callable[[Unit, Progress], None] | None = None,
              on_unit: Callable[[UnitResult], None] | None = None,
              on_document: Callable[[Document], None] | None = None,
              cancel: CancelToken | None = None, scheduler_timeout: float = 30.0) -> BatchReport:
    """Convert every unit of ``docs`` and write the outputs under ``outdir``.

    ``on_document`` is called once per document, in input order, when it is complete (converted, failed
    or skipped). Units run here when ``workers`` is 1 (or there is at most one engine page), else in a
    pool of ``workers`` processes, or on the Dask cluster at ``scheduler``.
    """
    t0 = time.perf_counter()
    cancel = cancel or CancelToken()
    units = [u for d in docs for u in d.units]
    local = [u for u in units if u.kind not in ENGINE_KINDS]
    engine = [u for u in units if u.kind in ENGINE_KINDS]
    next_doc = 0

    def flush() -> None:
        nonlocal next_doc
        while next_doc < len(docs) and docs[next_doc].done:
            if on_document is not None:
                on_document(docs[next_doc])
            next_doc += 1

    def take(res: UnitResult) -> None:
        doc = docs[res.unit.doc]
        doc.results[res.unit.page or 0] = res
        if res.ok:
            try:
                for rel, data in res.files.items():
                    doc.written.append(str(atomic_write(outdir / rel, data)))
            except InkLiftError as exc:
                res.ok, res.error = False, str(exc)
        res.files = {}
        if on_unit is not None:
            on_unit(res)
        if len(doc.results) == len(doc.units):
            _finish(doc, outdir)
        flush()

    flush()
    where = "this process"
    if scheduler is not None:
        where = scheduler
        _run_on_cluster(scheduler, engine + local, options, take, scheduler_timeout)
    elif workers <= 1 or len(engine) <= 1:
        for u in units:
            show = (lambda p, u=u: on_progress(u, p)) if on_progress is not None else None
            take(convert_unit(u, options, show, cancel))
        workers = 1
    else:
        for u in local:  # InkML/SVG conversions are cheap: no need to ship them
            take(convert_unit(u, options))
        workers = min(workers, len(engine))
        where = f"{workers} local processes"
        if options.threads is None:  # the cores shared out: two 2-thread engines on 2 cores only contend
            options = replace(options, threads=max(1, (os.cpu_count() or 1) // workers))
        import multiprocessing

        # spawn: a clean interpreter per worker on every OS (forking a process that holds ONNX Runtime
        # sessions or threads is unsafe); each worker then loads its own engine once and keeps it
        pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_init_worker)
        try:
            for res in _windowed(pool, engine, options, WINDOW_PER_WORKER * workers, lambda u: u):
                take(res)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    flush()
    return BatchReport(docs, round(time.perf_counter() - t0, 3), workers, where)


def _run_on_cluster(address: str, units: list[Unit], options: Options, take: Callable[[UnitResult], None],
                    connect_timeout: float = 30.0) -> None:
    """Pages to an existing Dask distributed cluster (``dask.distributed.Client``); results come back
    here. Every worker needs InkLift installed (the same version); none needs this machine's files."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'inklift[cluster]' (dask[distributed])") \
            from None
    try:
        client = Client(address, timeout=connect_timeout)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
    try:
        n = max(1, sum(int(w.get("nthreads", 1)) for w in client.scheduler_info()["workers"].values()))
        # pure=False: every page is new work, never deduplicated against an earlier batch's results
        executor = client.get_executor(pure=False)
        for res in _windowed(executor, units, options, WINDOW_PER_WORKER * n, _with_data):
            take(res)
    finally:
        client.close()
