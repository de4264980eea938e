"""Handwriting-like words from single-stroke (Hershey) fonts, for text, digits and punctuation that UNIPEN
has few of. Only single-line faces are used. Each word gets per-letter jitter (scale, offset, rotation,
spacing), a slant, a drifting baseline, a smooth elastic warp, Chaikin rounding, cursive joins for the script
faces, and part of the time the i-dots / j-dots / t-bars are written at the end of the word, as people do.
"""

from __future__ import annotations

import string

import numpy as np

SINGLE_LINE_FACES = ("futural", "rowmans", "scripts", "cursive")
_SCRIPT = {"scripts", "cursive"}
_LATE = {"i": "dot", "j": "dot", "t": "bar", "f": "bar"}


def _chaikin(p: np.ndarray, it: int) -> np.ndarray:
    for _ in range(it):
        if len(p) < 3:
            return p
        q = 0.75 * p[:-1] + 0.25 * p[1:]
        r = 0.25 * p[:-1] + 0.75 * p[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        p = np.vstack([p[:1], mid, p[-1:]])
    return p


def _resample(p: np.ndarray, step: float) -> np.ndarray:
    if len(p) < 2:
        return p
    seg = np.hypot(*np.diff(p, axis=0).T)
    cum = np.r_[0, np.cumsum(seg)]
    if cum[-1] < 1e-9:
        return p[:1]
    n = max(2, int(np.ceil(cum[-1] / step)) + 1)
    s = np.linspace(0, cum[-1], n)
    return np.c_[np.interp(s, cum, p[:, 0]), np.interp(s, cum, p[:, 1])]


def random_text(rng: np.random.Generator, words: list[str] | None = None) -> str:
    k = rng.random()
    if k < 0.35 and words:
        w = words[rng.integers(len(words))]
        c = rng.random()
        w = w.upper() if c < 0.1 else (w.capitalize() if c < 0.3 else w)
        if rng.random() < 0.25:
            w = w + rng.choice(list(".,;:!?'\")"))
        return w
    if k < 0.55:  # numbers, dates, times, money, phone numbers
        kind = rng.integers(6)
        d = lambda n: "".join(rng.choice(list(string.digits), n))
        return [d(int(rng.integers(1, 7))), f"{d(2)}/{d(2)}/{d(2)}", f"{d(1)}:{d(2)}", f"${d(2)}.{d(2)}",
                f"{d(3)}-{d(4)}", f"{d(1)}.{d(int(rng.integers(1, 4)))}%"][kind]
    if k < 0.7:  # formula-ish and punctuation-heavy tokens
        ops = [*"+-=*/<>()[]{}#&@%", "->", "=>", "<-", "<=", ">="]  # arrows as a writer draws them: shaft, then head
        a = "".join(rng.choice(list(string.ascii_letters + string.digits), int(rng.integers(1, 4))))
        b = "".join(rng.choice(list(string.ascii_lowercase + string.digits), int(rng.integers(1, 4))))
        return f"{a}{rng.choice(ops)}{b}" if rng.random() < 0.7 else f"({a})"
    n = int(rng.integers(1, 10))  # random letters: no language prior
    alphabet = string.ascii_lowercase if rng.random() < 0.6 else string.ascii_letters + string.digits
    return "".join(rng.choice(list(alphabet), n))


class FontSource:
    """Callable source: rng -> (strokes, text) in font units, y down."""

    def __init__(self, words: list[str] | None = None):
        from HersheyFonts import HersheyFonts

        self.fonts = {}
        for name in SINGLE_LINE_FACES:
            f = HersheyFonts()
            f.load_default_font(name)
            self.fonts[name] = f
        self.words = words
        self._cache: dict[tuple[str, str], tuple[list[np.ndarray], float, float] | None] = {}

    def glyph(self, face: str, ch: str):
        key = (face, ch)
        if key not in self._cache:
            gl = list(self.fonts[face].glyphs_for_text(ch))
            self._cache[key] = None if not gl else (
                [np.array(s, np.float64) for s in gl[0].strokes if len(s)], float(gl[0].left_offset),
                float(gl[0].char_width))
        return self._cache[key]

    def __call__(self, rng: np.random.Generator):
        text = random_text(rng, self.words)
        face = SINGLE_LINE_FACES[rng.integers(len(SINGLE_LINE_FACES))]
        strokes = self.render(text, face, rng)
        if not strokes:
            return self(rng)
        return strokes, text

    def render(self, text: str, face: str, rng: np.random.Generator) -> list[np.ndarray]:
        x = 0.0
        slant = rng.uniform(-0.35, 0.15)
        drift = rng.uniform(-0.08, 0.08)  # baseline slope
        wave = rng.uniform(0, 1.5)
        phase = rng.uniform(0, 2 * np.pi)
        spacing = rng.uniform(-1.5, 2.5)
        main: list[np.ndarray] = []
        late: list[np.ndarray] = []
        prev_end_letter = False
        for ch in text:
            g = self.glyph(face, ch)
            if g is None:
                continue
            strokes, left, advance = g
            sc = rng.uniform(0.9, 1.1)
            ang = np.deg2rad(rng.uniform(-5, 5))
            rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
            dy = rng.uniform(-0.8, 0.8) + drift * x + wave * np.sin(phase + x / 20.0)
            ox = x - left * sc
            placed = [(s @ rot.T) * sc + np.array([ox, dy]) for s in strokes]
            x += advance * sc + spacing + rng.uniform(-0.6, 0.6)
            if not placed:
                prev_end_letter = False
                continue
            move_late = ch in _LATE and len(placed) >= 2 and rng.random() < 0.5
            if move_late:
                ext = [max(np.ptp(p[:, 0]), np.ptp(p[:, 1])) if _LATE[ch] == "dot" else -np.ptp(p[:, 0])
                       for p in placed]
                k = int(np.argmin(ext))
                late.append(placed.pop(k))
            # cursive joins: script faces end a letter near where the next begins
            if face in _SCRIPT and prev_end_letter and main and ch.isalpha() and \
                    np.hypot(*(placed[0][0] - main[-1][-1])) < 5.0:
                main[-1] = np.vstack([main[-1], placed[0]])
                placed = placed[1:]
            main.extend(placed)
            prev_end_letter = ch.isalpha()
        strokes = main + late
        if not strokes:
            return []
        out = []
        warp_a = rng.uniform(0, 1.2, 2)
        warp_f = rng.uniform(0.05, 0.2, 2)
        warp_p = rng.uniform(0, 2 * np.pi, 2)
        for s in strokes:
            s = _chaikin(_resample(s, 1.5), 1 if rng.random() < 0.7 else 2)
            s = s + np.c_[warp_a[0] * np.sin(warp_f[0] * s[:, 1] + warp_p[0]),
                          warp_a[1] * np.sin(warp_f[1] * s[:, 0] + warp_p[1])]
            s[:, 0] += slant * (s[:, 1] - 9.0)
            out.append(s + rng.normal(0, 0.08, s.shape))
        return out
