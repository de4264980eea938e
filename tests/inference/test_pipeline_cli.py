"""`inklift convert` on a generated photo goes through run_page and writes ink (the CLI contract's
engine side; the CLI's own tests cover its options and exit codes)."""

import json

import cv2
import numpy as np
from lxml import etree

from inference.cli import main
from tests.inference.synthpage import make_page


def test_cli_converts_a_generated_photo(tmp_path, capsys):
    sp = make_page(np.random.default_rng(5), paper="plain", perspective=False, rotation=0, shadow=False,
                   blur=0.0, noise=1.0, jpeg=0, n_lines=2, page_size=(600, 220), line_spacing=60)
    photo = tmp_path / "note.png"
    cv2.imwrite(str(photo), cv2.cvtColor(sp.image, cv2.COLOR_RGB2BGR))
    rc = main(["convert", str(photo), "-o", str(tmp_path / "out"), "--format", "inkml,svg", "--json",
               "--debug-dir", str(tmp_path / "dbg")])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary
    ink = etree.parse(str(tmp_path / "out" / "note.inkml"))
    traces = ink.getroot().findall(".//{http://www.w3.org/2003/InkML}trace")
    assert len(traces) >= len(sp.texts)  # at least one stroke per word
    assert (tmp_path / "out" / "note.svg").stat().st_size > 0
    assert (tmp_path / "dbg" / "note-ink.png").is_file()
