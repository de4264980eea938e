"""The shipped derender models: read ``manifest.json``, check every file's sha256, open onnxruntime lazily.

Nothing is loaded at import time; :func:`load_models` only reads the manifest and hashes the files, and the
:class:`ModelSet` creates its CPU :class:`onnxruntime.InferenceSession` objects on first use so that a CLI
run without ink derendering (or a GUI that never converts) pays nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelError
from ..resources import models_dir
from .tokens import TokenSpec

MANIFEST = "manifest.json"
ENCODER = "derender-encoder"
DECODER = "derender-decoder"
DEFAULT_THREADS = 2
_REQUIRED_INPUTS = {ENCODER: {"image"}, DECODER: {"tokens", "memory", "position", "bias", "k0", "v0"}}
FORMAT = 2  # 2: the decoder step reads an in-place KV cache (k0, v0, ...) and returns only the new keys/values


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class DecoderShape:
    layers: int
    heads: int
    head_dim: int
    max_len: int


@dataclass(frozen=True)
class Manifest:
    directory: Path
    files: dict  # model name -> Path (checked)
    spec: TokenSpec
    input_height: int
    input_width: int
    decoder: DecoderShape
    raw: dict = field(compare=False, repr=False)


def _fail(directory: Path, msg: str) -> ModelError:
    return ModelError(f"derender model in {directory}: {msg}")


def read_manifest(directory: Path | str | None = None, verify: bool = True) -> Manifest:
    """Parse and check ``manifest.json`` (and, with ``verify``, every model file's size and sha256)."""
    directory = Path(directory) if directory is not None else models_dir()
    path = directory / MANIFEST
    if not path.is_file():
        raise _fail(directory, f"{MANIFEST} is missing")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _fail(directory, f"{MANIFEST} cannot be read ({e})") from e
    if isinstance(raw, dict) and raw.get("format") == 1:
        raise _fail(directory, f"{MANIFEST} is format 1 (a past -> present decoder step), which this InkLift no longer "
                               f"runs; export the model again with `python -m training.export`")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise _fail(directory, f"{MANIFEST} has an unknown format {raw.get('format') if isinstance(raw, dict) else raw!r}")
    try:
        spec = TokenSpec.from_dict(raw["tokens"])
        inp = raw.get("input", {})
        ih, iw = int(inp.get("height", spec.height)), int(inp.get("width", spec.width))
        d = raw["decoder"]
        dec = DecoderShape(int(d["layers"]), int(d["heads"]), int(d["head_dim"]), int(d.get("max_len", 512)))
        models = raw["models"]
    except (KeyError, TypeError, ValueError) as e:
        raise _fail(directory, f"{MANIFEST} is incomplete or inconsistent ({e})") from e
    files: dict[str, Path] = {}
    for name in (ENCODER, DECODER):
        entry = models.get(name) if isinstance(models, dict) else None
        if not isinstance(entry, dict) or "file" not in entry or "sha256" not in entry:
            raise _fail(directory, f"{MANIFEST} has no entry for {name}")
        f = directory / str(entry["file"])
        if Path(entry["file"]).name != str(entry["file"]):
            raise _fail(directory, f"{name}: file name {entry['file']!r} must not contain a path")
        if not f.is_file():
            raise _fail(directory, f"{name}: file {f.name} is missing")
        if verify:
            if "bytes" in entry and int(entry["bytes"]) not in (0, f.stat().st_size):
                raise _fail(directory, f"{name}: {f.name} has {f.stat().st_size} bytes, the manifest says "
                                       f"{entry['bytes']} (incomplete download or wrong file?)")
            digest = sha256_file(f)
            if digest != str(entry["sha256"]).lower():
                raise _fail(directory, f"{name}: sha256 of {f.name} is {digest[:12]}..., the manifest says "
                                       f"{str(entry['sha256'])[:12]}... (corrupt or replaced file)")
        files[name] = f
    return Manifest(directory, files, spec, ih, iw, dec, raw)


class ModelSet:
    """Encoder + decoder sessions for one manifest, created on first use (thread-safe).

    ``threads`` is how many runs go side by side (the :class:`~inference.model.derender.Derenderer`'s
    streams); each run uses one thread."""

    def __init__(self, manifest: Manifest, threads: int = DEFAULT_THREADS, hoist: bool = True) -> None:
        self.manifest = manifest
        self.threads = max(1, int(threads))
        self.hoist = hoist  # run the decoder's memory-only work once per batch (inference.model.hoist)
        self._sessions: dict = {}
        self._hoisted: object = None  # HoistedDecoder, False (not possible), or None (not tried yet)
        self.notes: list[str] = []
        self._lock = threading.RLock()  # decoder_step builds sessions while holding it

    @property
    def spec(self) -> TokenSpec:
        return self.manifest.spec

    def _options(self):
        import onnxruntime as ort  # heavy import, only when a model is really used

        opts = ort.SessionOptions()
        # one thread per run, the cores used by runs side by side: a decoder step is many tiny ops that a second
        # thread hardly speeds up (a word alone: 72 vs 75 ms), and two 2-thread runs on 2 cores beside the tracer
        # contend (155-word page, warm, alternated: 7.9 / 6.7 s vs 8.7 / 7.7 s, 15% less CPU time)
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.log_severity_level = 3
        # no busy-waiting between ops: the decoder is many tiny steps, and on a shared or busy laptop CPU
        # spinning threads burn the time the other thread (and the GUI) needs (measured 1.7x faster here)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # the arena keeps the largest batch's buffers for the life of the session; the page's peak RSS matters
        # more here than the allocator's speed
        opts.enable_cpu_mem_arena = False
        return opts

    def _open(self, name: str):
        import onnxruntime as ort

        opts = self._options()
        path = self.manifest.files[name]
        try:
            sess = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types
            raise _fail(self.manifest.directory, f"{name}: onnxruntime cannot open {path.name} ({e})") from e
        names = {i.name for i in sess.get_inputs()}
        missing = _REQUIRED_INPUTS[name] - names
        if missing:
            raise _fail(self.manifest.directory, f"{name}: inputs {sorted(missing)} missing from {path.name} "
                                                 f"(see docs/model-interface.md)")
        return sess

    def session(self, name: str):
        with self._lock:
            if name not in self._sessions:
                self._sessions[name] = self._open(name)
            return self._sessions[name]

    @property
    def encoder(self):
        return self.session(ENCODER)

    @property
    def decoder(self):
        return self.session(DECODER)

    def decoder_step(self):
        """(step session, prepare) for :func:`inference.model.derender.greedy_decode`: the hoisted decoder
        (see :mod:`inference.model.hoist`) when it can be built and agrees with the plain one, else
        (plain decoder, None)."""
        plain = self.decoder
        if not self.hoist:
            return plain, None
        with self._lock:
            if self._hoisted is None:
                self._hoisted = self._build_hoisted(plain) or False
        h = self._hoisted
        return (h.step, h.prepare) if h else (plain, None)

    def _build_hoisted(self, plain):
        import numpy as np
        import onnxruntime as ort

        from . import hoist

        try:
            split = hoist.split_decoder(self.manifest.files[DECODER].read_bytes())
            if split is None:
                self.notes.append("decoder step runs unsplit (nothing to hoist, or the onnx package is missing)")
                return None
            opts = self._options()
            h = hoist.build(split, lambda b: ort.InferenceSession(b, sess_options=opts,
                                                                  providers=["CPUExecutionProvider"]))
            enc = self.encoder
            shape = [2, 1, self.manifest.input_height, self.manifest.input_width]
            (memory,) = enc.run(["memory"], {"image": np.random.default_rng(0).random(shape, np.float32)})
            d = self.manifest.decoder
            if not hoist.agrees(plain, h, memory, d.layers, d.heads, d.head_dim, self.spec.vocab_size):
                self.notes.append("hoisted decoder step disagreed with the plain one; using the plain one")
                return None
            return h
        except Exception as e:  # noqa: BLE001  (any surprise: the plain decoder always works)
            self.notes.append(f"decoder step runs unsplit ({type(e).__name__}: {e})")
            return None


def load_models(directory: Path | str | None = None, threads: int = DEFAULT_THREADS,
                verify: bool = True, hoist: bool = True) -> ModelSet:
    """Checked models (raises :class:`ModelError` with a clear message when missing or corrupt)."""
    return ModelSet(read_manifest(directory, verify=verify), threads, hoist)


def models_available(directory: Path | str | None = None) -> bool:
    """True when a manifest is present (it may still fail verification)."""
    directory = Path(directory) if directory is not None else models_dir()
    return (directory / MANIFEST).is_file()
