"""Evaluation items: labelled true pen trajectories (UNIPEN val words, or synthetic Hershey words for the
self-test), and the real-photo manifest."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.model.models import sha256_file  # noqa: F401  (re-exported for the report)

REPO = Path(__file__).resolve().parents[2]
UNIPEN_VAL = REPO.parent / "shared" / "data" / "unipen" / "unipen_val.npz"
REAL_DIR = REPO.parent / "shared" / "eval" / "real"
WORD_CATEGORIES = ("6", "7")
LINE_CATEGORIES = ("8",)
LINE_MIN_ASPECT = 6.0  # a one-line text: wider than the canvas (4:1) with room to spare
_BAD_FLAGS = 1 | 32  # truncated recording; glitch or stray line


@dataclass(frozen=True)
class TrajectoryItem:
    key: str  # stable id, e.g. "unipen_val:12345"
    label: str
    strokes: list[np.ndarray]  # float64 (n, 2), y down, any units; writing order and direction


def load_unipen_words(path: Path | str = UNIPEN_VAL, n: int = 200, seed: int = 0,
                      min_points: int = 8, lines: bool = False) -> list[TrajectoryItem]:
    """``n`` word items (categories 6/7, not flagged truncated/glitched) drawn at random (``seed``) from
    the validation writers: a fixed, writer-disjoint sample for every system.

    ``lines``: one-line free texts instead (category 8, two or more words on one line, ink at least
    :data:`LINE_MIN_ASPECT` times as wide as it is tall): the items that need a word wider than the model's
    canvas to be decoded in pieces."""
    z = np.load(path)
    dxy, so, io = z["dxy"], z["stroke_offsets"], z["item_offsets"]
    lo, lab, cat = z["label_offsets"], z["labels_utf8"], z["category"]
    ppi = z["points_per_inch"]
    flags = z["flags"] if "flags" in z.files else np.zeros(len(cat), np.int64)
    cats = LINE_CATEGORIES if lines else WORD_CATEGORIES
    cand = np.nonzero(np.isin(cat, cats) & ((flags & _BAD_FLAGS) == 0))[0]
    rng = np.random.default_rng(seed)
    out: list[TrajectoryItem] = []
    for i in rng.permutation(cand):
        s0, s1 = io[i], io[i + 1]
        p0, p1 = so[s0], so[s1]
        if p1 - p0 < min_points:
            continue
        xy = np.cumsum(dxy[p0:p1].astype(np.int64), axis=0).astype(np.float64)
        px, py = ppi[i]
        if np.isfinite(px) and np.isfinite(py) and py > 0 and abs(px / py - 1) > 0.02:
            xy[:, 1] *= px / py  # square units, as the renderer expects
        if np.ptp(xy[:, 0]) <= 0 and np.ptp(xy[:, 1]) <= 0:
            continue
        label = bytes(lab[lo[i]:lo[i + 1]]).decode("utf-8")
        if lines and ("\n" in label or len(label.split()) < 2 or np.ptp(xy[:, 0]) < LINE_MIN_ASPECT * np.ptp(xy[:, 1])):
            continue
        strokes = [s for s in np.split(xy, so[s0 + 1:s1] - p0) if len(s)]
        out.append(TrajectoryItem(f"unipen_val:{int(i)}", label, strokes))
        if len(out) >= n:
            break
    return out


def hershey_strokes(text: str, font: str = "futural") -> list[np.ndarray]:
    """Single-stroke font strokes of ``text`` (PyPI hershey-fonts), y down, font units (~100 = cap)."""
    from HersheyFonts import HersheyFonts

    f = HersheyFonts()
    f.load_default_font(font)
    f.normalize_rendering(100)
    strokes = [np.asarray(s, np.float64) for s in f.strokes_for_text(text)]
    return [np.column_stack([s[:, 0], -s[:, 1]]) for s in strokes if len(s)]  # font y points up


def hershey_words(n: int = 12, seed: int = 0, font: str = "futural") -> list[TrajectoryItem]:
    """Synthetic words from a single-stroke Hershey font: exact trajectories for the harness's own
    end-to-end test, no shared data needed."""
    words = ["ink", "lift", "pen", "word", "note", "hello", "quick", "stroke", "paper", "glyph", "zebra",
             "moon", "tree", "river", "cloud", "apple"]
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        text = words[int(rng.integers(len(words)))]
        out.append(TrajectoryItem(f"hershey:{font}:{k}", text, hershey_strokes(text, font)))
    return out


@dataclass(frozen=True)
class RealItem:
    file: str  # relative to the manifest's folder
    kind: str  # word | line | page
    transcription: str  # lines joined with " | "; may be empty (fidelity only)
    notes: str


def load_manifest(root: Path | str) -> list[RealItem]:
    root = Path(root)
    with open(root / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [RealItem(r["file"], r["kind"].strip(), (r.get("transcription") or "").strip(), r.get("notes") or "")
            for r in rows if r.get("file")]


