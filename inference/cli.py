"""``inklift``: the command line.

    inklift convert INPUT... -o OUTDIR [--format inkml,svg,xopp] [--layout auto|page|line|word] [--json]
                    [--frame source|page]
    inklift --version

Inputs are photos (run through the engine, ``inference.pipeline.run_page``), InkML files or SVGs that
InkLift wrote (format conversion). InkML is written in the source photo's pixels unless ``--frame page``. Outputs are ``OUTDIR/<input stem>.<format>``. ``--json`` prints one JSON object per input on
stdout; otherwise progress goes to stderr. Exit codes (a contract other tools rely on): 0 every input
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

import numpy as np

from . import __version__
from .document.ink import Page
from .errors import InkLiftError, InputError
from .jobs import CancelToken, Progress

EXIT_OK, EXIT_USAGE, EXIT_INPUT = 0, 2, 3
FORMATS = ("inkml", "svg", "xopp", "png")
DEFAULT_FORMATS = ("inkml", "svg", "xopp")
LAYOUTS = ("auto", "page", "line", "word")
INK_SUFFIXES = {".inkml", ".xml"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".jp2", ".pbm", ".pgm",
                  ".ppm", ".heic", ".heif"}


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


def _threads(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threads needs a whole number, got {value!r}") from None
    if not 1 <= n <= 256:
        raise argparse.ArgumentTypeError("--threads must be between 1 and 256")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="inklift", description="Turn photos of handwriting into editable digital ink.")
    p.add_argument("--version", action="version", version=f"inklift {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    c = sub.add_parser("convert", help="convert photos or InkML files to InkML, SVG, Xournal++ or PNG",
                       description="Convert photos (through the engine) or InkML files. Outputs are named "
                                   "after each input: OUTDIR/<stem>.<format>.")
    c.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="photo (jpg, png, ...), .inkml file, or an .svg that InkLift wrote")
    c.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR", type=Path,
                   help="folder for the outputs (created if missing)")
    c.add_argument("--format", type=_formats, default=list(DEFAULT_FORMATS), metavar="FMT[,FMT...]",
                   help=f"output formats, comma-separated: {', '.join(FORMATS)} "
                        f"(default {','.join(DEFAULT_FORMATS)})")
    c.add_argument("--layout", choices=LAYOUTS, default="auto",
                   help="what the photo shows: a page, one line, one word, or auto-detect (default)")
    c.add_argument("--json", action="store_true", help="one JSON summary line per input on stdout")
    c.add_argument("--debug-dir", type=Path, metavar="DIR", help="write intermediate images here")
    c.add_argument("--threads", type=_threads, metavar="N", help="CPU threads for the models")
    c.add_argument("--photo", action="store_true",
                   help="put the photo under the ink in svg, xopp and png outputs")
    c.add_argument("--frame", choices=("source", "page"), default="source",
                   help="InkML coordinates: the source photo's pixels (default) or InkLift's upright, "
                        "rectified page; svg, xopp and png always use the page")
    return p


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in INK_SUFFIXES:
        return "inkml"
    if suffix == ".svg":
        return "svg"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    try:
        with open(path, "rb") as fh:
            head = fh.read(512).lstrip()
    except OSError:
        return "image"  # let the reader give the proper error
    return "inkml" if head.startswith((b"<", b"\xef\xbb\xbf<")) else "image"


def _run_image(path: Path, args, on_progress: Callable[[Progress], None],
               cancel: CancelToken) -> tuple[Page, np.ndarray | None, list[str]]:
    try:
        from . import pipeline  # lazy: the engine pulls in the models
    except ImportError as exc:
        missing = getattr(exc, "name", "") or ""
        if missing in ("inference.pipeline", "pipeline"):
            raise InputError(f"{path}: photos need the InkLift engine (inference.pipeline), which is not "
                             "part of this build; InkML inputs still convert") from None
        raise InputError(f"{path}: the InkLift engine cannot start (missing module {missing or exc})") \
            from None
    options = {"layout": args.layout, "debug_dir": args.debug_dir}
    if args.threads is not None:  # otherwise the engine's own default
        options["threads"] = args.threads
    config = pipeline.PipelineConfig(**options)
    job = pipeline.run_page(path, config, cancel)
    while True:
        cancel.raise_if_cancelled()
        try:
            on_progress(next(job))
        except StopIteration as stop:
            result = stop.value
            break
    return result.page, getattr(result, "image", None), [str(w) for w in getattr(result, "warnings", ())]


def _convert_one(path: Path, args, on_progress: Callable[[Progress], None],
                 cancel: CancelToken) -> dict:
    from .document.formats import EXPORTERS, export_page, read_inkml, read_svg

    t0 = time.perf_counter()
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    targets = [(fmt, args.output_dir / f"{path.stem}{EXPORTERS[fmt].suffix}") for fmt in args.format]
    for fmt, out in targets:  # checked before any work: a refused input writes nothing
        if out.resolve() == path.resolve():
            raise InputError(f"{path}: writing {fmt} would overwrite the input; choose another -o")
    kind = _kind(path)
    if kind in ("inkml", "svg"):
        on_progress(Progress("read", 0, 1, f"reading {kind}"))
        page, image, warnings = (read_inkml if kind == "inkml" else read_svg)(path), None, []
        on_progress(Progress("read", 1, 1, "read"))
    else:
        page, image, warnings = _run_image(path, args, on_progress, cancel)
    outputs: list[str] = []
    try:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{args.output_dir}: cannot create the output folder ({exc.strerror or exc})") \
            from None
    for i, (fmt, out) in enumerate(targets):
        on_progress(Progress("write", i, len(args.format), out.name))
        export_page(page, out, fmt, image=image if args.photo else None, frame=args.frame)
        outputs.append(str(out))
    on_progress(Progress("write", len(args.format), len(args.format), "done"))
    return {
        "input": str(path),
        "status": "ok",
        "kind": kind,
        "outputs": outputs,
        "words": len(page.words),
        "strokes": len(page.all_strokes()),
        "needs_review": sum(1 for w in page.words if w.needs_review),
        "text": page.text,
        "warnings": warnings,
        "seconds": round(time.perf_counter() - t0, 3),
    }


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
    cancel = CancelToken()
    failed = 0
    n = len(args.inputs)
    stems: dict[str, Path] = {}
    for i, raw in enumerate(args.inputs, 1):
        path = Path(raw)
        show = (lambda p: None) if args.json else _progress_printer(path.name, i, n)
        t0 = time.perf_counter()
        try:
            if path.stem in stems:  # outputs are named after the stem: never overwrite an earlier input's
                raise InputError(f"{path}: has the same name as {stems[path.stem]}, so its outputs would "
                                 "overwrite those; convert it into another folder")
            stems[path.stem] = path
            summary = _convert_one(path, args, show, cancel)
        except KeyboardInterrupt:
            cancel.cancel()
            print(f"inklift: {path}: cancelled", file=sys.stderr)
            return 130
        except InkLiftError as exc:
            failed += 1
            summary = {"input": str(path), "status": "error", "error": str(exc), "outputs": [],
                       "seconds": round(time.perf_counter() - t0, 3)}
            print(f"inklift: {exc}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - a bug: still one line, and the other inputs go on
            failed += 1
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            msg = f"{path}: internal error ({exc.__class__.__name__}: {first})"
            summary = {"input": str(path), "status": "error", "error": msg, "outputs": [],
                       "seconds": round(time.perf_counter() - t0, 3)}
            print(f"inklift: {msg}", file=sys.stderr)
        if args.json:
            print(json.dumps(summary, ensure_ascii=False), flush=True)
        elif summary["status"] == "ok":
            for w in summary["warnings"]:
                print(f"inklift: warning: {path}: {w}", file=sys.stderr)
            print(f"{path}: {summary['words']} words, {summary['strokes']} strokes -> "
                  f"{', '.join(summary['outputs'])}", file=sys.stderr)
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
