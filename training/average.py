"""Average the weights of several checkpoints of one run (its last few, saved along the end of the schedule)
into one checkpoint, for export like any other.

    python -m training.average --ckpts runs/NAME/s4000.pt runs/NAME/s4600.pt runs/NAME/last.pt \
        --out runs/NAME/avg.pt

Why: on this CPU a fine-tune's checkpoints ten minutes apart differ in the engine by as much as they differ from
the shipped model (UNIPEN val words, local order 0.90 vs 0.85 a checkpoint later); the mean of the weights along
the end of one schedule (stochastic weight averaging) is one more candidate that does not hang on one checkpoint's
luck (on r11 it measured level with the last checkpoint: model card). Only a run
whose BatchNorm statistics were frozen (``--freeze-bn``) or settled gives a meaningful mean; integer buffers
(BatchNorm's batch counter) come from the last checkpoint. The optimizer state is dropped: an averaged model is
for export (or ``--init``), not ``--resume``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def average_checkpoints(paths: list[str | Path]) -> dict:
    """One checkpoint whose floating-point weights are the mean of ``paths``' (same config, same tensors); its
    ``state`` is the last one's with ``averaged`` (each source's path and step) added."""
    if len(paths) < 2:
        raise ValueError("averaging needs at least two checkpoints")
    cks = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    first = cks[0]
    for p, c in zip(paths[1:], cks[1:]):
        if c["config"] != first["config"] or c["model"].keys() != first["model"].keys():
            raise ValueError(f"{p}: not the same model as {paths[0]} (config or tensors differ)")
    model = {}
    for name, last in cks[-1]["model"].items():
        if last.is_floating_point():
            model[name] = torch.stack([c["model"][name].double() for c in cks]).mean(0).to(last.dtype)
        else:
            model[name] = last.clone()
    state = {**cks[-1]["state"], "averaged": [{"path": str(p), "step": c["state"]["step"]}
                                              for p, c in zip(paths, cks)]}
    return {"model": model, "state": state, "config": first["config"], "tokens": first["tokens"],
            "args": cks[-1].get("args", {})}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpts", nargs="+", required=True, help="checkpoints of one run, oldest first")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(average_checkpoints(a.ckpts), out)
    print(f"wrote {out}: mean of {len(a.ckpts)} checkpoints")


if __name__ == "__main__":
    main()
