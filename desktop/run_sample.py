"""``make run``: open InkLift with the bundled sample page loaded and converting.

With no display (no DISPLAY / WAYLAND_DISPLAY and no QT_QPA_PLATFORM=offscreen), convert the sample
headless instead and say where the files went.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from inference.resources import samples_dir

SAMPLE_PHOTO = "sample-page.jpg"
SAMPLE_INK = "sample.inkml"


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal", "vnc")):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _engine():
    try:
        from inference import pipeline
    except ImportError:
        return None
    return pipeline


def run_headless(out_dir: Path | None = None, use_engine: bool = True) -> int:
    from inference.errors import InkLiftError
    from inference.jobs import CancelToken, run_job

    out = Path(out_dir or Path(tempfile.gettempdir()) / "inklift-sample")
    out.mkdir(parents=True, exist_ok=True)
    photo, ink_file = samples_dir() / SAMPLE_PHOTO, samples_dir() / SAMPLE_INK
    try:
        from inference.document.formats import export_page
    except ImportError:
        print("InkLift (headless): the exporters (inference.document.formats) are not available in this build.",
              file=sys.stderr)
        return 1
    pl = _engine() if use_engine else None
    try:
        if pl is not None and photo.exists():
            print(f"No display: converting {photo} headless…")

            last = {"stage": None, "step": -1}

            def show(p) -> None:
                step = int(5 * p.fraction)  # a line per stage and per fifth of it, not one per word
                if p.stage != last["stage"] or step != last["step"]:
                    last.update(stage=p.stage, step=step)
                    print(f"  {p.stage:<10} {p.done}/{p.total} {p.message}".rstrip(), flush=True)

            result = run_job(pl.run_page(photo, pl.PipelineConfig(layout="auto", threads=2), CancelToken()),
                             show)
            page, image, warnings = result.page, result.image, list(result.warnings)
        elif ink_file.exists():
            from inference.document.formats.inkml import read_inkml

            why = "the conversion engine is not available" if pl is None else f"{photo.name} is missing"
            print(f"No display and {why}: converting the sample ink {ink_file} instead.")
            page, image, warnings = read_inkml(ink_file), None, []
        else:
            print(f"InkLift (headless): no sample found in {samples_dir()} ({SAMPLE_PHOTO} or {SAMPLE_INK}).",
                  file=sys.stderr)
            return 1
        written = []
        for fmt in ("svg", "xopp", "inkml"):
            path = out / f"sample.{fmt}"
            export_page(page, path, fmt, image=image)
            written.append(path)
    except InkLiftError as e:
        print(f"InkLift (headless): {e}", file=sys.stderr)
        return 1
    print(f"Ran headless (no display found): {len(page.words)} words, "
          f"{len(page.all_strokes())} strokes. Wrote:")
    for p in written:
        print(f"  {p}")
    for w in warnings:
        print(f"note: {w}")
    return 0


def run_gui() -> int:
    from PySide6.QtCore import QTimer

    from .app import create_app, install_excepthook
    from .mainwindow import MainWindow

    app = create_app(sys.argv)
    install_excepthook()
    win = MainWindow()
    win.show()
    photo, ink_file = samples_dir() / SAMPLE_PHOTO, samples_dir() / SAMPLE_INK

    def load() -> None:
        if win.offer_recovery():
            return
        if photo.exists():
            win.import_paths([photo])  # converts once imported (auto-convert), or says the engine is missing
        elif ink_file.exists():
            win.import_paths([ink_file])
            win.statusBar().showMessage(f"{SAMPLE_PHOTO} is missing: opened the sample ink instead.", 0)
        else:
            win.statusBar().showMessage(f"No sample found in {samples_dir()}.", 0)

    QTimer.singleShot(0, load)
    return app.exec()


def main() -> int:
    return run_gui() if has_display() else run_headless()


if __name__ == "__main__":
    sys.exit(main())
