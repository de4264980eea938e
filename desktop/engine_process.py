"""Run conversions in a child process, so the engine can never stall the GUI thread.

Measured: with the engine in a thread, parts of it hold the GIL for ~100 ms at a time (the page stage),
which freezes the window for that long. In a separate process (spawned once, reused for every page) the
GUI thread only receives small progress messages and, at the end, the pickled PageResult.

This module is imported by the child: keep it free of Qt.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import threading
import time
import traceback
from collections.abc import Generator
from typing import Any

import numpy as np

from inference.errors import Cancelled, InkLiftError
from inference.jobs import CancelToken, Progress

CHILD_NICE = 5
CANCEL_GRACE_S = 1.5  # after this, a job that does not stop is ended by restarting the engine process
_PROGRESS_INTERVAL_S = 0.05


def pack_result(result: Any) -> tuple:
    """PageResult -> plain tuples and a few big arrays. Unpickling thousands of Stroke objects holds the
    GIL in one C call (measured ~80 ms stall for 1,300 strokes); this unpacks in Python, in slices."""
    page = result.page
    strokes = page.all_strokes()
    pts = np.concatenate([s.points for s in strokes]) if strokes else np.zeros((0, 3), np.float32)
    meta = [(len(s), s.color, s.width, s.time_measured) for s in strokes]
    words = [(len(w.strokes), w.quad.corners, w.text, w.confidence, w.source.value, w.fidelity, w.needs_review,
              w.reviewed) for w in page.words]
    return (page.width, page.height, page.image_path, dict(page.meta), pts, meta, words, len(page.drawings),
            np.ascontiguousarray(result.image), tuple(result.warnings), dict(result.timings))


def _frozen(word: Any) -> Any:
    for s in getattr(word, "strokes", ()):
        s.points.setflags(write=False)
    return word


def unpack_result(packed: tuple) -> Any:
    from inference.document.ink import Page, Quad, Stroke, Word
    from inference.pipeline import PageResult

    width, height, image_path, meta, pts, smeta, words, _n_drawings, image, warnings, timings = packed
    strokes, at = [], 0
    for n, color, w, measured in smeta:
        strokes.append(Stroke(pts[at:at + n], color=color, width=w, time_measured=measured))
        at += n
    out_words, k = [], 0
    for n, corners, text, conf, source, fid, needs, reviewed in words:
        out_words.append(Word(tuple(strokes[k:k + n]), Quad(corners), text=text, confidence=conf, source=source,
                              fidelity=fid, needs_review=needs, reviewed=reviewed))
        k += n
    page = Page(width, height, tuple(out_words), tuple(strokes[k:]), image_path=image_path, meta=meta)
    return PageResult(page=page, image=image, warnings=warnings, timings=timings)


def _child_main(conn, cancel_id) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the GUI's business
    try:
        os.nice(CHILD_NICE)  # the window gets the CPU first; the conversion uses what is left
    except OSError:
        pass
    from inference.jobs import run_job
    from inference.pipeline import PipelineConfig, derender_word_image, run_page

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] not in ("convert", "word"):
            return
        kind, job_id, source, kwargs = msg
        token, stop = CancelToken(), threading.Event()

        def watch(job_id=job_id, token=token, stop=stop) -> None:
            while not stop.wait(0.02):
                if cancel_id.value == job_id:
                    token.cancel()
                    return

        threading.Thread(target=watch, daemon=True).start()
        last = [0.0]

        def progress(p: Progress, last=last, job_id=job_id) -> None:
            now = time.monotonic()
            if now - last[0] >= _PROGRESS_INTERVAL_S or p.done >= p.total:
                last[0] = now
                conn.send(("progress", job_id, p))

        try:
            if kind == "word":  # one word crop -> Word (small: pickled as it is)
                text = kwargs.pop("text", None)
                conn.send(("done", job_id, derender_word_image(source, text, PipelineConfig(layout="word", **kwargs))))
                continue
            result = run_job(run_page(source, PipelineConfig(**kwargs), token), progress, token)
            conn.send(("done", job_id, pack_result(result)))
        except Cancelled:
            conn.send(("cancelled", job_id))
        except InkLiftError as e:
            conn.send(("error", job_id, str(e)))
        except MemoryError:
            conn.send(("error", job_id, "Not enough memory for this page."))
        except Exception as e:  # noqa: BLE001 - reported to the GUI as a message, logged here
            traceback.print_exc()
            conn.send(("error", job_id, f"Unexpected error in the engine ({type(e).__name__}): {e}"))
        finally:
            stop.set()


class EngineProcess:
    """One persistent engine child process; conversions run one at a time."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.cancel_id = self.ctx.Value("q", 0, lock=False)
        self.proc = None
        self.conn = None
        self.lock = threading.Lock()
        self._next = 1

    def start(self) -> None:
        """Start the child ahead of time (at app start): spawning forks the GUI process, a visible hitch."""
        with self.lock:
            self._ensure()

    def _ensure(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            return
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_child_main, args=(child, self.cancel_id), daemon=True,
                                     name="inklift-engine")
        self.proc.start()
        child.close()
        self.conn = parent

    def _restart(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.join(2)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(2)
        self.proc, self.conn = None, None

    def run(self, source: Any, config: dict, token: CancelToken, kind: str = "convert"
            ) -> Generator[Progress, None, Any]:
        """Job: convert ``source`` in the child; yields its Progress, returns its PageResult.
        ``kind="word"``: derender one word crop (config: text, use_model), returns a Word."""
        with self.lock:
            job_id, self._next = self._next, self._next + 1
            self._ensure()
            self.conn.send((kind, job_id, source, dict(config)))
            cancelled_at = None
            while True:
                if token.cancelled and cancelled_at is None:
                    self.cancel_id.value = job_id
                    cancelled_at = time.monotonic()
                if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                    self._restart()  # the engine is inside a long step; stop it the hard way
                    raise Cancelled("cancelled")
                try:
                    ready = self.conn.poll(0.05)
                    msg = self.conn.recv() if ready else None
                except (EOFError, OSError):
                    msg = ("lost",)
                if msg is None:
                    if not self.proc.is_alive():
                        msg = ("lost",)
                    else:
                        continue
                kind = msg[0]
                if kind != "lost" and msg[1] != job_id:
                    continue  # the late answer of an earlier job this side stopped waiting for
                if kind == "progress":
                    if cancelled_at is None:
                        try:
                            yield msg[2]
                        except GeneratorExit:  # the caller stopped (cancelled): make the child stop too
                            self.cancel_id.value = job_id
                            raise
                elif kind == "done":
                    return unpack_result(msg[2]) if isinstance(msg[2], tuple) else _frozen(msg[2])
                elif kind == "cancelled":
                    raise Cancelled("cancelled")
                elif kind == "error":
                    raise InkLiftError(msg[2])
                else:
                    code = self.proc.exitcode if self.proc is not None else None
                    self._restart()
                    if cancelled_at is not None:
                        raise Cancelled("cancelled")
                    raise InkLiftError(f"The conversion engine stopped unexpectedly (exit code {code}). "
                                       "The page may be too large for this computer's memory.")

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(("quit",))
            except OSError:
                pass
            self.proc.join(1)
        self._restart()


_ENGINE: EngineProcess | None = None


def engine() -> EngineProcess:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = EngineProcess()
        atexit.register(_ENGINE.close)
    return _ENGINE


def use_thread() -> bool:
    """INKLIFT_ENGINE_THREAD=1 runs the engine in a thread of the GUI process (debugging, profiling)."""
    return os.environ.get("INKLIFT_ENGINE_THREAD", "") not in ("", "0")
