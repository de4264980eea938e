"""Ink tokens, shared by training and run time (InkSight's layout on a rectangular canvas).

For a canvas of ``width`` x ``height`` model pixels:
  * ``0 .. width-1``                 x coordinate (pixel index, point at its centre)
  * ``width .. width+height-1``      y coordinate
  * ``STROKE`` = width+height        start of a stroke (InkSight's 450 for N=224)
  * ``BOS``, ``EOS``, ``PAD``, ``SEP`` then one token per printable ASCII character and ``UNK``.

A target sequence is ``BOS [text chars] SEP  STROKE x y x y ... STROKE x y ...  EOS``; "vanilla" mode
(no text: drawings, unreadable words) is ``BOS SEP STROKE ...``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHARSET = "".join(chr(c) for c in range(32, 127))


@dataclass(frozen=True)
class TokenSpec:
    width: int = 256
    height: int = 64
    max_text: int = 32

    @property
    def stroke(self) -> int:
        return self.width + self.height

    @property
    def bos(self) -> int:
        return self.stroke + 1

    @property
    def eos(self) -> int:
        return self.stroke + 2

    @property
    def pad(self) -> int:
        return self.stroke + 3

    @property
    def sep(self) -> int:
        return self.stroke + 4

    @property
    def char0(self) -> int:
        return self.stroke + 5

    @property
    def unk(self) -> int:
        return self.char0 + len(CHARSET)

    @property
    def vocab_size(self) -> int:
        return self.unk + 1

    # --- encoding ----------------------------------------------------------------------------------
    def text_prefix(self, text: str | None) -> list[int]:
        out = [self.bos]
        for ch in (text or "")[: self.max_text]:
            i = CHARSET.find(ch)
            out.append(self.char0 + i if i >= 0 else self.unk)
        out.append(self.sep)
        return out

    def quantize(self, xy: np.ndarray) -> np.ndarray:
        """Canvas coordinates (continuous, canvas spans [0,W]x[0,H]) -> integer pixel indices."""
        q = np.floor(np.asarray(xy, np.float64)).astype(np.int64)
        q[:, 0] = np.clip(q[:, 0], 0, self.width - 1)
        q[:, 1] = np.clip(q[:, 1], 0, self.height - 1)
        return q

    def encode_ink(self, strokes: list[np.ndarray]) -> list[int]:
        """Strokes in canvas coordinates -> ink tokens (no BOS/EOS). Consecutive duplicates dropped."""
        out: list[int] = []
        for s in strokes:
            q = self.quantize(np.asarray(s)[:, :2])
            if len(q) > 1:
                keep = np.ones(len(q), bool)
                keep[1:] = np.any(q[1:] != q[:-1], axis=1)
                q = q[keep]
            out.append(self.stroke)
            for x, y in q:
                out.append(int(x))
                out.append(int(self.width + y))
        return out

    def encode(self, strokes: list[np.ndarray], text: str | None = None) -> list[int]:
        return self.text_prefix(text) + self.encode_ink(strokes) + [self.eos]

    # --- decoding ----------------------------------------------------------------------------------
    def decode_ink(self, tokens) -> list[np.ndarray]:
        """Ink tokens (anything after SEP, up to EOS) -> strokes as float32 (n, 2) at pixel centres.

        Tolerant of malformed output: a y without an x, an x without a y and coordinates before the first
        STROKE are dropped rather than guessed.
        """
        strokes: list[list[tuple[float, float]]] = []
        cur: list[tuple[float, float]] | None = None
        pending_x: int | None = None
        for t in tokens:
            t = int(t)
            if t == self.eos:
                break
            if t == self.stroke:
                if cur:
                    strokes.append(cur)
                cur, pending_x = [], None
            elif 0 <= t < self.width:
                pending_x = t
            elif self.width <= t < self.stroke:
                if cur is not None and pending_x is not None:
                    cur.append((pending_x + 0.5, t - self.width + 0.5))
                pending_x = None
            # BOS/SEP/PAD/text tokens inside ink are ignored
        if cur:
            strokes.append(cur)
        return [np.asarray(s, np.float32) for s in strokes]

    def allowed_next(self, prev: int) -> np.ndarray:
        """Grammar mask for greedy decoding: after x comes y; after STROKE comes x; after y comes x, STROKE or
        EOS; after SEP, STROKE or EOS (a word box with no writing in it: the model may stop at once)."""
        m = np.zeros(self.vocab_size, bool)
        if 0 <= prev < self.width:
            m[self.width:self.stroke] = True
        elif prev == self.sep:
            m[self.stroke] = True
            m[self.eos] = True
        elif prev == self.stroke:
            m[: self.width] = True
        else:  # after y
            m[: self.width] = True
            m[self.stroke] = True
            m[self.eos] = True
        return m

    def to_dict(self) -> dict:
        return {"width": self.width, "height": self.height, "max_text": self.max_text,
                "vocab_size": self.vocab_size, "layout": "inksight-rect-v1"}

    @classmethod
    def from_dict(cls, d: dict) -> TokenSpec:
        spec = cls(int(d["width"]), int(d["height"]), int(d.get("max_text", 32)))
        if "vocab_size" in d and int(d["vocab_size"]) != spec.vocab_size:
            raise ValueError("token layout in the manifest does not match this version of InkLift")
        return spec
