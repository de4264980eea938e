"""``inklift``: the command line.

    inklift convert INPUT... -o OUTDIR [--format inkml,svg,xopp,png,pdf] [--layout auto|page|line|word]
                    [--workers N | --scheduler tcp://HOST:PORT] [--resume] [--json]
                    [--frame source|page]
    inklift --version

Inputs are photos and PDFs (every page run through the engine, ``inference.pipeline.run_page``), folders of
them, InkML files or SVGs that InkLift wrote (format conversion). Outputs are ``OUTDIR/<input stem>.<format>``
(see :mod:`inference.batch` for folders and multi-page PDFs). Pages convert on all cores, or on a Dask
cluster. InkML is written in the source photo's pixels unless ``--frame page``. ``--json`` prints one JSON
object per input on stdout; otherwise a progress bar and a summary go to
stderr. Exit codes (a contract other tools rely on): 0 every input
converted, 2 usage error, 3 some input could not be read or converted (the others still were). Errors are
one clear line each on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import InkLiftError
from .jobs import CancelToken, Progress

EXIT_OK, EXIT_USAGE, EXIT_INPUT = 0, 2, 3
FORMATS = ("inkml", "svg", "xopp", "png", "pdf")
DEFAULT_FORMATS = ("inkml", "svg", "xopp")
LAYOUTS = ("auto", "page", "line", "word")


class _Parser(argparse.ArgumentParser):
    """argparse that exits with our usage code and a one-line message."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _formats(value: str) -> list[str]:
    out = []
    for f in value.split(","):
        f = f.strip().lower()
        if not f:
            continue
        if f not in FORMATS:
            raise argparse.ArgumentTypeError(f"unknown format {f!r} (choose from {', '.join(FORMATS)})")
        if f not in out:
            out.append(f)
    if not out:
        raise argparse.ArgumentTypeError("no format given")
    return out


def _count(option: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} needs a whole number, got {value!r}") from None
        if not 1 <= n <= 256:
            raise argparse.ArgumentTypeError(f"{option} must be between 1 and 256")
        return n

    return parse


def _scheduler(value: str) -> str:
    if "://" not in value:
        raise argparse.ArgumentTypeError(f"--scheduler needs an address like tcp://HOST:PORT, got {value!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="inklift", description="Turn photos of handwriting into editable digital ink.")
    p.add_argument("--version", action="version", version=f"inklift {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    c = sub.add_parser("convert", help="convert photos, PDFs or InkML files to InkML, SVG, Xournal++, PNG or PDF",
                       description="Convert photos and PDFs (through the engine), folders of them, or InkML "
                                   "files. Outputs are named after each input: OUTDIR/<stem>.<format>; a PDF "
                                   "of several pages gives <stem>-p<N>.<format> per page and one <stem>.pdf.")
    c.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="photo (jpg, png, ...), PDF, folder (walked for photos, PDFs and .inkml), .inkml file, "
                        "or an .svg that InkLift wrote")
    c.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", type=Path,
                   help="folder for the outputs (created if missing)")
    c.add_argument("--format", type=_formats, default=list(DEFAULT_FORMATS), metavar="FMT[,FMT...]",
                   help=f"output formats, comma-separated: {', '.join(FORMATS)} "
                        f"(default {','.join(DEFAULT_FORMATS)})")
    c.add_argument("--layout", choices=LAYOUTS, default="auto",
                   help="what the photo shows: a page, one line, one word, or auto-detect (default)")
    c.add_argument("--json", action="store_true", help="one JSON summary line per input on stdout")
    c.add_argument("--debug-dir", type=Path, metavar="DIR", help="write intermediate images here")
    c.add_argument("--threads", type=_count("--threads"), metavar="N",
                   help="CPU threads for the models (per worker)")
    c.add_argument("--workers", type=_count("--workers"), metavar="N",
                   help="pages converted at once, one process each (default: all cores)")
    c.add_argument("--scheduler", type=_scheduler, metavar="ADDRESS",
                   help="send pages to the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:PORT); "
                        "its workers need InkLift installed, not these files")
    c.add_argument("--resume", action="store_true",
                   help="skip inputs whose outputs already exist (go on with an interrupted batch)")
    c.add_argument("--no-model", action="store_true",
                   help="geometric tracer only, no derender model (faster)")
    c.add_argument("--photo", action="store_true",
                   help="put the photo under the ink in svg, xopp and png outputs")
    c.add_argument("--frame", choices=("source", "page"), default="source",
                   help="InkML coordinates: the source photo's pixels (default) or InkLift's upright, "
                        "rectified page; svg, xopp, png and pdf always use the page")
    return p


def _doc_summary(doc) -> dict:
    results = [doc.results[k] for k in sorted(doc.results)]
    status = "error" if doc.error else "skipped" if doc.skipped and not results else "ok"
    out = {"input": doc.input, "status": status}
    if doc.error:
        out["error"] = doc.error
    out.update({
        "kind": doc.kind,
        "pages": doc.pages,
        "outputs": list(doc.written),
        "words": sum(r.words for r in results),
        "strokes": sum(r.strokes for r in results),
        "needs_review": sum(r.needs_review for r in results),
        "text": "\n".join(r.text for r in results if r.text),
        "warnings": [w for r in results for w in r.warnings],
        "seconds": round(sum(r.seconds for r in results), 3),
    })
    return out


def _progress_printer(name: str, index: int, total: int) -> Callable[[Progress], None]:
    last = {"stage": None, "t": 0.0}

    def show(p: Progress) -> None:
        now = time.monotonic()
        # one line per stage change, and at most a few per second within a stage
        if p.stage == last["stage"] and now - last["t"] < 0.5 and p.done < p.total:
            return
        last["stage"], last["t"] = p.stage, now
        counts = f" {p.done}/{p.total}" if p.total > 1 else ""
        msg = f" {p.message}" if p.message else ""
        print(f"[{index}/{total}] {name}: {p.stage}{counts}{msg}", file=sys.stderr, flush=True)

    return show


def _convert(args) -> int:
    from tqdm import tqdm

    from .batch import Options, default_workers, plan, run_batch

    cancel = CancelToken()
    try:
        docs = plan(args.inputs, args.output_dir, args.format, resume=args.resume)
    except KeyboardInterrupt:
        return 130
    options = Options(tuple(args.format), args.layout, args.photo, args.threads, not args.no_model,
                      str(args.debug_dir) if args.debug_dir is not None else None, args.frame)
    n_units = sum(len(d.units) for d in docs)
    bar = tqdm(total=n_units, unit="page", file=sys.stderr, disable=True if args.json else None,
               dynamic_ncols=True, leave=False)

    def say(msg: str) -> None:
        if bar.disable:
            print(msg, file=sys.stderr, flush=True)
        else:
            bar.write(msg, file=sys.stderr)

    printers: dict = {}

    def on_progress(unit, p: Progress) -> None:
        if args.json:
            return
        if not bar.disable:
            bar.set_postfix_str(f"{Path(unit.input).name}: {p.stage}", refresh=False)
            return
        key = (unit.doc, unit.page)
        if key not in printers:
            name = Path(unit.input).name + (f" page {unit.page + 1}" if unit.page is not None else "")
            printers[key] = _progress_printer(name, unit.doc + 1, len(docs))
        printers[key](p)

    def on_document(doc) -> None:
        summary = _doc_summary(doc)
        if doc.error:
            say(f"inklift: {doc.error}")
        if args.json:
            print(json.dumps(summary, ensure_ascii=False), flush=True)
        elif summary["status"] == "skipped":
            say(f"{doc.input}: already converted, skipped (--resume)")
        elif summary["status"] == "ok":
            for w in summary["warnings"]:
                say(f"inklift: warning: {doc.input}: {w}")
            say(f"{doc.input}: {summary['words']} words, {summary['strokes']} strokes -> "
                f"{', '.join(summary['outputs'])}")

    workers = args.workers or default_workers()
    try:
        report = run_batch(docs, args.output_dir, options, workers=workers, scheduler=args.scheduler,
                           on_progress=on_progress, on_unit=lambda r: bar.update(1), on_document=on_document,
                           cancel=cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        bar.close()
        print("inklift: cancelled; the outputs written so far are kept (--resume goes on from there)",
              file=sys.stderr)
        return 130
    except InkLiftError as exc:  # the cluster could not be reached
        bar.close()
        print(f"inklift: {exc}", file=sys.stderr)
        return EXIT_INPUT
    bar.close()
    failed = report.failed
    if not args.json and (len(docs) > 1 or failed):
        pages = report.pages_converted
        rate = f", {pages / report.seconds:.2f} pages/s" if report.seconds > 0 and pages else ""
        skipped = sum(1 for d in docs if d.skipped and not d.results)
        print(f"inklift: {pages} pages from {len(docs) - len(failed) - skipped} of {len(docs)} inputs converted "
              f"in {report.seconds:.1f} s ({report.where}{rate})"
              + (f"; {skipped} already converted" if skipped else "")
              + (f"; {len(failed)} failed:" if failed else ""), file=sys.stderr)
        for d in failed:
            print(f"  {d.error}", file=sys.stderr)
    return EXIT_INPUT if failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("inklift: error: a command is required (try: inklift convert photo.jpg -o out/)",
              file=sys.stderr)
        return EXIT_USAGE
    if args.command == "convert":
        if args.output_dir.exists() and not args.output_dir.is_dir():
            print(f"inklift: error: {args.output_dir} exists and is not a folder", file=sys.stderr)
            return EXIT_USAGE
        return _convert(args)
    parser.print_usage(sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":  # python -m inference.cli
    sys.exit(main())
