"""Train the derender net.

    python -m training.train --out runs/NAME [--steps N] [--batch B] [--resume] [--seed S] [--device cpu|cuda]

Runs on the CPU (2 threads by default) or CUDA; checkpoints every ``--ckpt-min`` minutes and on
SIGTERM/SIGINT to ``OUT/last.pt``; ``--resume`` continues from it (the data stream is reseeded from the
step so a resumed run does not replay the same samples). Logs JSON lines to ``OUT/log.jsonl``: training
loss, samples/s, and validation on the UNIPEN val writers (loss, token accuracy, greedy-decode coverage
and precision at 2% of the word box diagonal).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from inference.model.tokens import TokenSpec

from .data import Sample, make_sample
from .metrics import coverage_precision
from .model import Derender, ModelConfig, param_count
from .sources import Mixture, UnipenSource, add_line_mark
from .unipen import Unipen

LEVELS = ("train", "phone", "clean", "hard")
LEVEL_P = (0.65, 0.14, 0.09, 0.12)  # hard 5% until r7: its coverage lagged (r5 0.86 vs 0.90+)
VANILLA_P = 0.2
BLANK_P = 0.08  # word boxes with no writing in them: the model must stop at once (r4 never did; 3% until r5 step 1,549, 5% until r7)
LINE_MARK_P = 0.04  # underlined or struck-through words (r5 on)


def build_sources(split: str, fonts: float) -> Mixture:
    up = Unipen.load(split)
    parts = [(1.0 - fonts, UnipenSource(up))]
    if fonts > 0:
        from .fonts import FontSource
        words = sorted({up.label(i) for i in up.indices(("6", "7")) if 2 <= len(up.label(i)) <= 16})
        parts.append((fonts, FontSource(words)))
    return Mixture(parts)


def draw_sample(src, rng: np.random.Generator, spec: TokenSpec, level: str | None = None,
                vanilla_p: float = VANILLA_P, blank_p: float = BLANK_P, line_mark_p: float = LINE_MARK_P) -> Sample:
    while True:
        strokes, label = src(rng)
        if line_mark_p > 0 and rng.random() < line_mark_p:
            strokes = add_line_mark(strokes, rng)
        lvl = level or LEVELS[rng.choice(len(LEVELS), p=LEVEL_P)]
        text = label if (label and rng.random() >= vanilla_p) else None
        blank = blank_p > 0 and rng.random() < blank_p
        try:
            s = make_sample(strokes, None if blank else text, rng, spec, lvl, blank=blank)
        except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
            s = None
        if s is not None:
            return s


def collate(samples: list[Sample], pad: int) -> dict[str, torch.Tensor]:
    t = max(len(s.tokens) for s in samples) - 1
    inp = np.full((len(samples), t), pad, np.int64)
    tgt = np.full((len(samples), t), -100, np.int64)
    for i, s in enumerate(samples):
        n = len(s.tokens) - 1
        inp[i, :n] = s.tokens[:-1]
        tgt[i, :n] = s.tokens[1:]
        tgt[i, : s.n_prefix - 1] = -100  # the text prefix is given, not predicted
    first = np.array([s.n_prefix - 1 for s in samples], np.int64)  # where the input is SEP: write or stop?
    return {"image": torch.from_numpy(np.stack([s.image for s in samples])), "inp": torch.from_numpy(inp),
            "first": torch.from_numpy(first),
            "tgt": torch.from_numpy(tgt)}


def is_blank(s: Sample) -> bool:
    return len(s.tokens) == s.n_prefix + 1  # the prefix, then EOS


def length_batches(pool: list[Sample], batch: int) -> list[list[Sample]]:
    """Batches of words of similar length (little padding), with the blank boxes spread over all of them.
    Sorting blanks in with the words put them all in one batch of their own, and the encoder's BatchNorm then
    normalised them by blank-only statistics: in training mode r7 stopped on 100% of such a batch of val blanks,
    in eval mode (the shipped function) on 46%. A blank needs to be learnt among words, as it is seen at run time."""
    blanks = [s for s in pool if is_blank(s)]
    words = sorted((s for s in pool if not is_blank(s)), key=lambda s: len(s.tokens))
    n = max(1, len(pool) // batch)
    out, w = [], 0
    for i in range(n):
        b = blanks[i::n]
        take = len(words) - w if i == n - 1 else max(0, batch - len(b))
        out.append(words[w:w + take] + b)
        w += take
    return [b for b in out if b]


class Stream(torch.utils.data.IterableDataset):
    """Endless batches, bucketed by length (a pool of ``pool`` batches sorted, then shuffled)."""

    def __init__(self, seed: int, start_step: int, batch: int, fonts: float, pool: int = 8,
                 blank_p: float = BLANK_P):
        self.seed, self.start, self.batch, self.fonts, self.pool = seed, start_step, batch, fonts, pool
        self.blank_p = blank_p

    def __iter__(self):
        cv2.setNumThreads(1)  # the machine has 2 cores; threads of cv2 only fight the trainer
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        rng = np.random.default_rng([self.seed, self.start, wid])
        spec = TokenSpec()
        src = build_sources("train", self.fonts)
        while True:
            pool = [draw_sample(src, rng, spec, blank_p=self.blank_p) for _ in range(self.batch * self.pool)]
            batches = length_batches(pool, self.batch)
            for j in rng.permutation(len(batches)):
                yield collate(batches[j], spec.pad)


def _ignore_stop_signals(_worker_id: int) -> None:
    """Ctrl-C or a kill of the process group reaches the data workers too: they ignore it, so the trainer
    finishes its step and saves (a dead worker used to crash the run without a checkpoint)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def first_token_loss(logits: torch.Tensor, tgt: torch.Tensor, first: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of each sample's first decision (a stroke, or EOS for a blank box), one weight per sample.
    The token-mean loss gives a blank box's single EOS 1/2,400 of a batch; this term gives it 1/16."""
    rows = torch.arange(len(first), device=logits.device)
    return F.cross_entropy(logits[rows, first].float(), tgt[rows, first])


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    """KL(teacher || student) over every predicted position of the rows that hold a word, so a fine-tune keeps
    what its teacher writes on words while the hard targets teach it something new (blank boxes: a row whose
    only target is the first decision is left to the hard targets, since the teacher's hesitation there is
    what the fine-tune corrects)."""
    keep = tgt != -100
    keep &= (keep.sum(dim=1, keepdim=True) > 1)
    if not bool(keep.any()):
        return student.sum() * 0.0
    s = F.log_softmax(student[keep].float(), dim=-1)
    t = F.log_softmax(teacher[keep].float(), dim=-1)
    return F.kl_div(s, t, log_target=True, reduction="batchmean")


def val_set(n: int, seed: int = 1234) -> list[Sample]:
    """Fixed validation samples from the val writers (phone-level renders, text prefix as at run time)."""
    rng = np.random.default_rng(seed)
    src = UnipenSource(Unipen.load("val"), {"word": 1.0})
    spec = TokenSpec()
    return [draw_sample(src, rng, spec, level="phone", vanilla_p=0.0, blank_p=0.0,
                        line_mark_p=0.0) for _ in range(n)]


@torch.no_grad()
def greedy(model: Derender, images: torch.Tensor, prefixes: list[list[int]], spec: TokenSpec,
           max_len: int = 400) -> list[list[int]]:
    """Batched greedy decoding with the KV-cache step; each item's prefix is forced while it lasts."""
    b = images.shape[0]
    mem = model.encode(images)
    past = model.empty_past(b).to(images.device)
    allowed = torch.from_numpy(np.stack([spec.allowed_next(t) for t in range(spec.vocab_size)]))
    out: list[list[int]] = [[] for _ in range(b)]
    done = [False] * b
    cur = torch.tensor([p[0] for p in prefixes], dtype=torch.long)
    for pos in range(max_len):
        logits, past = model.step(cur[:, None].to(images.device), mem,
                                  torch.full((b,), pos, dtype=torch.long, device=images.device), past)
        logits = logits.cpu().masked_fill(~allowed[cur], -1e9)
        nxt = logits.argmax(-1)
        for i in range(b):
            if pos + 1 < len(prefixes[i]):
                nxt[i] = prefixes[i][pos + 1]
            elif not done[i]:
                out[i].append(int(nxt[i]))
                done[i] = int(nxt[i]) == spec.eos
        if all(done):
            break
        cur = nxt
    return out


def same_encoder(a: Derender, b: Derender) -> bool:
    """True when both models' encoders hold the same weights and statistics."""
    sa, sb = a.encoder.state_dict(), b.encoder.state_dict()
    return sa.keys() == sb.keys() and all(sa[k].shape == sb[k].shape and torch.equal(sa[k], sb[k]) for k in sa)


def train_mode(model: torch.nn.Module, freeze_bn: bool = False, freeze_encoder: bool = False) -> None:
    """Training mode; with ``freeze_bn`` the BatchNorm layers keep to their running statistics (and do not update
    them), so every sample is normalised as at run time whatever its batch holds. Batches are bucketed by length,
    and a batch of short items alone is normalised unlike run time: r7 reads the shortest val words (single
    letters, digits, short words) at token accuracy 0.49 in such batches and at 0.41 as shipped (longer words
    0.47 either way)."""
    model.train()
    if freeze_encoder:
        model.encoder.eval()  # kept as it is: BatchNorm on its running statistics, no dropout
    if freeze_bn:
        for mod in model.modules():
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                mod.eval()


def evaluate(model: Derender, vs: list[Sample], device: str, spec: TokenSpec, n_decode: int) -> dict:
    modes = {mod: mod.training for mod in model.modules()}  # restored after: a frozen BatchNorm stays frozen
    model.eval()
    tot, n, correct, cnt = 0.0, 0, 0, 0
    with torch.no_grad():
        for i in range(0, len(vs), 32):
            bt = collate(vs[i:i + 32], spec.pad)
            logits = model(bt["image"].to(device), bt["inp"].to(device))
            tgt = bt["tgt"].to(device)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100,
                                   reduction="sum")
            m = tgt != -100
            tot += float(loss)
            n += int(m.sum())
            correct += int(((logits.argmax(-1) == tgt) & m).sum())
            cnt += int(m.sum())
        covs, precs, exact_len = [], [], []
        dec = vs[:n_decode]
        for i in range(0, len(dec), 32):
            chunk = dec[i:i + 32]
            imgs = torch.from_numpy(np.stack([s.image for s in chunk])).to(device)
            outs = greedy(model, imgs, [list(s.tokens[: s.n_prefix]) for s in chunk], spec)
            for s, o in zip(chunk, outs):
                ref = spec.decode_ink(s.tokens[s.n_prefix:])
                pred = spec.decode_ink(o)
                c, p = coverage_precision(ref, pred)
                covs.append(c)
                precs.append(p)
                exact_len.append(len(pred) / max(len(ref), 1))
    for mod, training in modes.items():
        mod.train(training)
    return {"val_loss": tot / max(n, 1), "val_tok_acc": correct / max(cnt, 1),
            "val_coverage": float(np.mean(covs)), "val_precision": float(np.mean(precs)),
            "val_stroke_ratio": float(np.median(exact_len)), "val_decoded": len(covs)}


def coord_soft_loss(logits: torch.Tensor, tgt: torch.Tensor, spec: TokenSpec, sigma: float,
                    radius: int = 3) -> torch.Tensor:
    """Cross-entropy against a Gaussian over neighbouring coordinate tokens of the same axis.

    A point one canvas pixel off is nearly right; plain cross-entropy punishes it like a point across the canvas.
    Soft targets (sigma in tokens) teach that order, which the tolerance metric rewards."""
    logp = logits.float().log_softmax(-1)
    t = tgt.clamp(min=0)
    is_x = (tgt >= 0) & (tgt < spec.width)
    is_y = (tgt >= spec.width) & (tgt < spec.width + spec.height)
    lo = torch.where(is_x, torch.zeros_like(t), torch.full_like(t, spec.width))
    hi = torch.where(is_x, torch.full_like(t, spec.width - 1), torch.full_like(t, spec.width + spec.height - 1))
    offs = torch.arange(-radius, radius + 1, device=tgt.device)
    idx = t.unsqueeze(-1) + offs
    valid = (idx >= lo.unsqueeze(-1)) & (idx <= hi.unsqueeze(-1))
    w = torch.exp(-(offs.float() ** 2) / (2 * sigma**2)).expand(idx.shape) * valid
    w = w / w.sum(-1, keepdim=True).clamp(min=1e-9)
    lp = logp.gather(-1, idx.clamp(0, logits.shape[-1] - 1))
    per = -(w * lp).sum(-1)
    mask = is_x | is_y
    return (per * mask).sum() / mask.sum().clamp(min=1)


def select_decoder_layers(weights: dict, keep: list[int]) -> dict:
    """A state dict whose decoder layer ``i`` is ``weights``' decoder layer ``keep[i]`` (the encoder's own
    layers, named ``encoder.layers.*``, stay as they are)."""
    out = {}
    for k, v in weights.items():
        if k.startswith("layers."):
            j, rest = k[len("layers."):].split(".", 1)
            if int(j) in keep:
                out[f"layers.{keep.index(int(j))}.{rest}"] = v
        else:
            out[k] = v
    return out


def end_timestamp(hh_mm: str, now: float) -> float:
    """The next time (epoch seconds) the UTC clock reads ``hh_mm`` after ``now``: tomorrow's when today's has
    passed (a run started at 23:40 with --end-at 01:05 trains until 01:05 the next morning)."""
    hh, mm = (int(v) for v in hh_mm.split(":"))
    day = now - now % 86400.0  # UTC midnight
    end = day + (hh * 60 + mm) * 60.0
    return end if end > now else end + 86400.0


def lr_at(step: int, base: float, warmup: int, total: int) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=4000, help="schedule length (cosine decay to 10%%); ignored with --end-at")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=2,
                    help="torch threads; on a shared, oversubscribed 2-core machine 1 is faster (measured 3x)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--fonts", type=float, default=0.15, help="share of single-stroke font words")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                    help="bfloat16 autocast (2x faster on CPUs with avx512_bf16; weights stay fp32)")
    ap.add_argument("--ckpt-min", type=float, default=10.0)
    ap.add_argument("--val-min", type=float, default=20.0)
    ap.add_argument("--val-n", type=int, default=64)
    ap.add_argument("--val-decode", type=int, default=24)
    ap.add_argument("--coord-sigma", type=float, default=0.0,
                    help="add a soft-target loss over neighbouring coordinate tokens (sigma in tokens; 0 = off)")
    ap.add_argument("--first-weight", type=float, default=0.0,
                    help="weight of the per-sample first-decision loss (stroke or EOS; r5 on: 0.5)")
    ap.add_argument("--blank-p", type=float, default=BLANK_P, help="share of blank word boxes (target: EOS at once)")
    ap.add_argument("--teacher", default="", help="a last.pt whose outputs on words the run is held to (with --distill)")
    ap.add_argument("--distill", type=float, default=0.0,
                    help="weight of KL(teacher || model) on the rows that hold a word (0 = off)")
    ap.add_argument("--freeze-bn", action="store_true",
                    help="BatchNorm on its running statistics (fine-tunes: a length-bucketed batch of short items or "
                         "blanks is otherwise normalised unlike run time)")
    ap.add_argument("--init", default="", help="start from these weights (a last.pt) with a fresh optimiser and schedule")
    ap.add_argument("--keep-layers", default="",
                    help="with --init: a smaller decoder made of these of its decoder layers, e.g. 0,3 (each layer "
                         "is a share of every token's cost: two of four halve a decoder step's reads)")
    ap.add_argument("--freeze-encoder", action="store_true",
                    help="with --init: train the decoder alone on the initial model's encoder, kept as it is (a "
                         "smaller decoder learns to read the memory its teacher reads: with a --teacher of the same "
                         "encoder, one encoder pass serves both, and no encoder gradients are computed; give it again with --resume)")
    ap.add_argument("--max-min", type=float, default=0.0, help="stop after this many minutes (0 = no limit)")
    ap.add_argument("--end-at", default="", help="UTC HH:MM: the LR schedule runs by wall time from the run's first "
                    "start to this time, and training stops there (for a fixed time budget on a shared CPU)")
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    cv2.setNumThreads(1)
    torch.manual_seed(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    spec = TokenSpec()
    cfg = ModelConfig(vocab=spec.vocab_size)
    ck = out / "last.pt"
    keep = [int(v) for v in a.keep_layers.split(",") if v.strip()]
    if keep and not a.init:
        ap.error("--keep-layers needs --init")
    if a.distill > 0 and not a.teacher:
        ap.error("--distill needs --teacher")
    if a.freeze_encoder and not (a.init or a.resume):
        ap.error("--freeze-encoder needs --init (or --resume of a run that had it)")
    c = torch.load(ck, map_location=a.device, weights_only=False) if a.resume and ck.exists() else None
    c0 = torch.load(a.init, map_location=a.device, weights_only=False) if c is None and a.init else None
    if c is not None:  # the run's own shape (a smaller decoder stays smaller)
        cfg = ModelConfig(**c["config"])
    elif keep:
        cfg = ModelConfig(**{**c0["config"], "layers": len(keep)})
    model = Derender(cfg).to(a.device)
    if a.freeze_encoder:
        for p in model.encoder.parameters():
            p.requires_grad_(False)
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in trained if p.ndim >= 2 and "pos" not in n]
    no_decay = [p for n, p in trained if not (p.ndim >= 2 and "pos" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98))
    state = {"step": 0, "samples": 0, "train_s": 0.0}
    if c is not None:
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        state = c["state"]
    elif c0 is not None:
        model.load_state_dict(select_decoder_layers(c0["model"], keep) if keep else c0["model"])
        state["init"] = {"path": str(a.init), **c0["state"]}  # the lineage, for the model card's totals
        if keep:
            state["init"]["kept_decoder_layers"] = keep
    teacher = None
    if a.distill > 0:
        ct = torch.load(a.teacher, map_location=a.device, weights_only=False)
        teacher = Derender(ModelConfig(**ct["config"])).to(a.device)
        teacher.load_state_dict(ct["model"])
        teacher.eval()  # BatchNorm on its running statistics: the function that was shipped
        for p in teacher.parameters():
            p.requires_grad_(False)
        state.setdefault("teacher", {"path": str(a.teacher), **ct["state"]})
    # the student's frozen encoder is its teacher's: one encoder pass serves both
    shared = a.freeze_encoder and teacher is not None and same_encoder(model, teacher)
    state.setdefault("sched_t0", time.time())
    end_ts = 0.0
    if a.end_at:
        end_ts = end_timestamp(a.end_at, time.time())
    log = open(out / "log.jsonl", "a")  # noqa: SIM115 - open for the whole run

    def emit(rec: dict) -> None:
        rec = {"time": time.strftime("%H:%M:%S"), **rec}
        log.write(json.dumps(rec) + "\n")
        log.flush()
        print(json.dumps(rec), flush=True)

    def save() -> None:
        tmp = out / "last.pt.tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state,
                    "config": cfg.to_dict(), "tokens": spec.to_dict(), "args": vars(a)}, tmp)
        os.replace(tmp, ck)

    stop = {"now": False}

    def on_signal(signum, frame):  # finish the current step, then save and exit
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    emit({"event": "start", "params": param_count(model), "config": cfg.to_dict(), "args": vars(a),
          "resumed_step": state["step"]})
    vs = val_set(a.val_n)
    loader = torch.utils.data.DataLoader(Stream(a.seed, state["step"], a.batch, a.fonts, blank_p=a.blank_p), batch_size=None,
                                         num_workers=a.workers, prefetch_factor=4 if a.workers else None,
                                         persistent_workers=False, worker_init_fn=_ignore_stop_signals)
    t_start = time.time()
    last_ck = last_val = time.time()
    run_samples, run_t0 = 0, time.time()
    losses: list[float] = []
    train_mode(model, a.freeze_bn, a.freeze_encoder)
    for bt in loader:
        if (state["step"] >= a.steps and not end_ts) or stop["now"]:  # --end-at sets the budget instead
            break
        if end_ts:
            if time.time() >= end_ts:
                break
            frac = (time.time() - state["sched_t0"]) / max(1.0, end_ts - state["sched_t0"])
            lr = lr_at(state["step"], a.lr, a.warmup, a.warmup + 1) if state["step"] < a.warmup else \
                a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))
        else:
            lr = lr_at(state["step"], a.lr, a.warmup, a.steps)
        for g in opt.param_groups:
            g["lr"] = lr
        t0 = time.time()
        with torch.autocast(a.device, dtype=torch.bfloat16, enabled=a.bf16):
            img, inp = bt["image"].to(a.device), bt["inp"].to(a.device)
            if a.freeze_encoder:
                with torch.no_grad():
                    features = model.encoder(img)
                logits = model.decode(features, inp)
            else:
                logits = model(img, inp)
            if teacher is not None:
                with torch.no_grad():
                    t_logits = teacher.decode(features, inp) if shared else teacher(img, inp)
        tgt = bt["tgt"].to(a.device)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100)
        if a.coord_sigma > 0:
            loss = 0.5 * loss + 0.5 * coord_soft_loss(logits, tgt, spec, a.coord_sigma)
        if a.first_weight > 0:
            loss = loss + a.first_weight * first_token_loss(logits, tgt, bt["first"].to(a.device))
        if teacher is not None:
            loss = loss + a.distill * distill_loss(logits, t_logits, tgt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["samples"] += bt["image"].shape[0]
        state["train_s"] += time.time() - t0
        run_samples += bt["image"].shape[0]
        losses.append(float(loss.detach()))
        if state["step"] % 20 == 0:
            el = time.time() - run_t0
            emit({"step": state["step"], "loss": float(np.mean(losses)), "lr": opt.param_groups[0]["lr"],
                  "gnorm": float(gn), "samples": state["samples"], "samples_per_s": run_samples / el,
                  "seq": int(bt["inp"].shape[1])})
            losses = []
        now = time.time()
        if now - last_ck > a.ckpt_min * 60:
            save()
            last_ck = now
        if now - last_val > a.val_min * 60:
            emit({"step": state["step"], **evaluate(model, vs, a.device, spec, a.val_decode)})
            last_val = time.time()
        if a.max_min and now - t_start > a.max_min * 60:
            break
    save()
    emit({"event": "saved", "step": state["step"], "samples": state["samples"]})
    if not stop["now"]:
        emit({"step": state["step"], **evaluate(model, vs, a.device, spec, a.val_decode)})


if __name__ == "__main__":
    main()
