"""The systems under test, each as ``image RGB uint8 -> list of (n, 2) strokes in image px`` (word mode).

- ``inklift``: the full engine in word mode (inference.pipeline.derender_word_image);
- ``tracer``: InkLift's geometric tracer alone (inference.strokes.tracer.trace_image);
- ``autotrace``: an off-the-shelf centre-line tracer, AutoTrace via PyPI ``pyautotrace`` (centerline=True)
  on our binary ink mask, strokes in its output order (eval-only dependency);
- ``skeleton``: scikit-image ``skeletonize`` of the same mask, walked pixel by pixel, components left to
  right (a naive hand-made baseline, not an off-the-shelf tracer).
A system whose module is missing is reported as unavailable instead of failing the run.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from inference.photo.inkmask import ink_mask

StrokeList = list[np.ndarray]
ALL_SYSTEMS = ("inklift", "tracer", "autotrace", "skeleton")
_DESCRIPTIONS = {
    "inklift": "InkLift word mode (inference.pipeline.derender_word_image)",
    "tracer": "InkLift geometric tracer alone (inference.strokes.tracer.trace_image)",
    "autotrace": "AutoTrace centre-line (PyPI pyautotrace) on the ink mask, its stroke order",
    "skeleton": "skimage skeletonize + naive walk, components left to right (hand-made baseline)",
}


@dataclass(frozen=True)
class System:
    name: str
    description: str
    run: Callable[[np.ndarray], StrokeList]
    # what the system reports about itself per call, e.g. InkLift's word sources (model / tracer)
    stats: Counter = field(default_factory=Counter)
    last: dict = field(default_factory=dict)  # about the latest call (InkLift: the word's ink source)


def _strokes_xy(strokes) -> StrokeList:
    out = []
    for s in strokes:
        xy = np.asarray(getattr(s, "xy", s), np.float64)[:, :2]
        if len(xy):
            out.append(xy)
    return out


def clean_mask(image: np.ndarray, min_area: int = 6) -> np.ndarray:
    """Our classical ink mask without specks: the shared input of both off-the-shelf baselines."""
    m = ink_mask(image).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[lab]


def _inklift(stats: Counter, last: dict, text: str | None = None,
             models_dir=None) -> Callable[[np.ndarray], StrokeList]:
    pipeline = importlib.import_module("inference.pipeline")
    config = pipeline.PipelineConfig(models_dir=models_dir) if models_dir else pipeline.PipelineConfig()

    def run(image: np.ndarray, label: str | None = None) -> StrokeList:
        # label: the word's text for the model's recognised-text mode (None = vanilla mode, no prefix)
        word = pipeline.derender_word_image(image, text=label if label is not None else text, config=config)
        last["source"] = str(getattr(word.source, "value", word.source))
        stats[f"source={last['source']}"] += 1
        stats["needs_review"] += int(bool(word.needs_review))
        return _strokes_xy(word.strokes)
    return run


def _inklift_line(stats: Counter, last: dict, models_dir=None) -> Callable[[np.ndarray], StrokeList]:
    """InkLift on a photo of one line, as a user gets it: the text detector's word boxes, each word derendered
    (with its recognised text when the recogniser is sure of it)."""
    pipeline = importlib.import_module("inference.pipeline")
    jobs = importlib.import_module("inference.jobs")
    transforms = importlib.import_module("inference.document.transforms")
    config = pipeline.PipelineConfig(layout="line", **({"models_dir": models_dir} if models_dir else {}))

    def run(image: np.ndarray, label: str | None = None) -> StrokeList:  # label unused: the recogniser reads
        page = jobs.run_job(pipeline.run_page(image, config)).page
        # page px -> the photo's px (a long line is scaled down on loading, a tilted one turned upright)
        to_photo = transforms.Transform(np.asarray(page.meta["to_source"], np.float64))
        sources = Counter(str(getattr(w.source, "value", w.source)) for w in page.words if w.strokes)
        stats.update({f"words, source={k}": v for k, v in sources.items()})
        stats["needs_review"] += sum(int(bool(w.needs_review)) for w in page.words)
        # a line's source: the one most of its words' ink came from
        last["source"] = sources.most_common(1)[0][0] if sources else "tracer"
        stats[f"source={last['source']}"] += 1
        return [to_photo.apply(xy) for xy in _strokes_xy(page.all_strokes())]
    return run


def _tracer() -> Callable[[np.ndarray], StrokeList]:
    tracer = importlib.import_module("inference.strokes.tracer")
    return lambda image: _strokes_xy(tracer.trace_image(image))


def _autotrace() -> Callable[[np.ndarray], StrokeList]:
    from autotrace import Bitmap

    def run(image: np.ndarray) -> StrokeList:
        m = clean_mask(image)
        if not m.any():
            return []
        bw = np.where(m[..., None], 0, 255).astype(np.uint8).repeat(3, axis=2)
        vec = Bitmap(np.ascontiguousarray(bw)).trace(centerline=True, background_color=(255, 255, 255))
        out = []
        for path in vec.paths:
            pts = []
            for sp in path.splines:
                c = np.asarray([(q[0], q[1]) for q in sp.points], np.float64)
                if sp.degree == 1:
                    pts.extend([c[0], c[3]])
                else:  # cubic Bezier control points (AutoTrace's splines)
                    t = np.linspace(0.0, 1.0, 9)[:, None]
                    pts.extend((1 - t) ** 3 * c[0] + 3 * (1 - t) ** 2 * t * c[1] + 3 * (1 - t) * t ** 2 * c[2]
                               + t ** 3 * c[3])
            if pts:
                a = np.asarray(pts, np.float64)
                keep = np.concatenate([[True], np.any(np.abs(np.diff(a, axis=0)) > 1e-9, axis=1)])
                # AutoTrace gives pixel indices with y counted up from the bottom row
                a = a[keep]
                a[:, 0] += 0.5
                a[:, 1] = vec.height - 0.5 - a[:, 1]
                out.append(a)
        return out
    return run


_NB = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def skeleton_strokes(mask: np.ndarray) -> StrokeList:
    """Walk a one-pixel skeleton into polylines: per component (left to right) start at its leftmost end
    point, follow unvisited neighbours, start a new stroke where the walk gets stuck."""
    from skimage.morphology import skeletonize

    sk = skeletonize(mask.astype(bool))
    h, w = sk.shape
    ys, xs = np.nonzero(sk)
    if not len(ys):
        return []
    pad = np.pad(sk, 1).astype(np.uint8)
    nbcount = sum(pad[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in _NB)
    n, lab = cv2.connectedComponents(sk.astype(np.uint8), connectivity=8)
    visited = np.zeros_like(sk)
    comps = sorted(range(1, n), key=lambda c: xs[lab[ys, xs] == c].min())
    out: StrokeList = []
    for c in comps:
        cy, cx = np.nonzero(lab == c)
        while True:
            free = ~visited[cy, cx]
            if not free.any():
                break
            fy, fx = cy[free], cx[free]
            deg = nbcount[fy, fx]
            ends = deg <= 1
            cand = np.nonzero(ends)[0] if ends.any() else np.arange(len(fy))
            k = cand[np.argmin(fx[cand] * (h + 1) + fy[cand])]
            y, x = int(fy[k]), int(fx[k])
            path = [(x, y)]
            visited[y, x] = True
            while True:
                nxt = None
                for dy, dx in _NB:  # an unvisited neighbour, 4-connected ones first
                    yy, xx = y + dy, x + dx
                    free = 0 <= yy < h and 0 <= xx < w and sk[yy, xx] and not visited[yy, xx]
                    if free and (nxt is None or abs(dy) + abs(dx) < abs(nxt[0] - y) + abs(nxt[1] - x)):
                        nxt = (yy, xx)
                if nxt is None:
                    break
                y, x = nxt
                visited[y, x] = True
                path.append((x, y))
            out.append(np.asarray(path, np.float64) + 0.5)  # pixel centres, continuous coordinates
    return out


def _skeleton() -> Callable[[np.ndarray], StrokeList]:
    importlib.import_module("skimage.morphology")
    return lambda image: skeleton_strokes(clean_mask(image))


_FACTORIES = {"inklift": _inklift, "tracer": _tracer, "autotrace": _autotrace, "skeleton": _skeleton}


def load_system(name: str, text: str | None = None, models_dir=None, lines: bool = False) -> System:
    """The named system; raises ImportError (with the reason) when its module cannot be imported.
    ``models_dir``: InkLift's derender models from there instead of resources/models (candidate models).
    ``lines``: photos of one line of text (InkLift runs its line layout: word boxes, then words)."""
    if name not in _FACTORIES:
        raise ValueError(f"unknown system {name!r}; choose from {', '.join(ALL_SYSTEMS)}")
    stats: Counter = Counter()
    last: dict = {}
    if name != "inklift":
        run = _FACTORIES[name]()
    elif lines:
        run = _inklift_line(stats, last, models_dir)
    else:
        run = _inklift(stats, last, text, models_dir)
    description = _DESCRIPTIONS[name] if not (lines and name == "inklift") else \
        "InkLift line layout (inference.pipeline.run_page, layout='line': text detector's word boxes, then words)"
    return System(name, description, run, stats, last)


def load_systems(names, models_dir=None, lines: bool = False) -> tuple[list[System], dict[str, str]]:
    """Loadable systems and, for the rest, why not."""
    ok, missing = [], {}
    for n in names:
        try:
            ok.append(load_system(n, models_dir=models_dir, lines=lines))
        except ImportError as e:
            missing[n] = f"{type(e).__name__}: {e}"
    return ok, missing
