"""The engine's warnings in words a note-taker understands.

The engine (inference.pipeline) writes its warnings for engineers and the command line. The window shows
the few that change what the user should do, in plain words, and leaves out the ones about its own
internals (which ink source won, decoder guards): those words are flagged in the Review panel anyway.
"""

from __future__ import annotations

import re

# (pattern, plain text or None to leave the warning out); the first match wins
_PLAIN: tuple[tuple[re.Pattern, str | None], ...] = tuple((re.compile(p), t) for p, t in (
    (r"hit the token cap|repetition guard|unusable model output", None),
    (r"model ink far from|geometric tracer's ink|model's output was near the ink", None),
    (r"^no words found|^no handwriting found", "No handwriting was found on this page."),
    (r"^(\d+) words found; only the first (\d+)", r"Only the first \2 of \1 words were converted."),
    (r"^no derender model installed|^model disabled",
     "The handwriting model is not installed: the ink follows the outlines in the photo."),
    (r"using the geometric tracer instead|remaining words use the geometric tracer",
     "The handwriting model could not run: the ink follows the outlines in the photo."),
    (r"^(\d+) word boxes contained no ink", r"\1 words had no visible ink."),
    (r"^(\d+) word boxes lay outside", r"\1 words lay outside the page and were skipped."),
    (r"^(\d+) regions outside the words look like background",
     r"\1 patches that looked like the table or background were left out."),
    (r"^word text not recognised", "The words' text could not be read; their ink was still converted."),
))


def plain_warnings(warnings) -> list[str]:
    out: list[str] = []
    for w in warnings:
        w = str(w)
        for pattern, text in _PLAIN:
            m = pattern.search(w)
            if m:
                if text is not None:
                    out.append(m.expand(text) if "\\" in text else text)
                break
        else:
            out.append(w[:1].upper() + w[1:] + ("" if w.endswith(".") else "."))
    return list(dict.fromkeys(out))
