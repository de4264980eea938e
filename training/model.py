"""Derender net: CNN encoder (stride 16) + Transformer decoder writing ink tokens.

The decoder is written twice over the same weights: ``forward`` (teacher forcing, whole sequences, causal
mask) for training and ``step`` (one token, explicit KV cache) for export. The cross-attention keys and
values of every layer are computed once by the encoder (``encode``), so the exported "memory" is
[B, S, L*2*D]: the decoder step never re-projects the image memory (docs/model-interface.md lets D be
any width; the engine passes memory through unchanged).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from inference.model.tokens import TokenSpec


@dataclass
class ModelConfig:
    vocab: int = TokenSpec().vocab_size  # 421 for the 256x64 layout
    d: int = 256
    heads: int = 4
    layers: int = 4
    ff: int = 1024
    enc_layers: int = 1  # transformer layers over the 4x16 memory (global context)
    max_len: int = 512
    img_h: int = 64
    img_w: int = 256
    dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _Res(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.a = _conv(c, c)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        ch = (32, 64, 128, cfg.d)
        self.stem = _conv(1, ch[0], 2)  # 32 x 128
        self.s1 = nn.Sequential(_Res(ch[0]), _conv(ch[0], ch[1], 2))  # 16 x 64
        self.s2 = nn.Sequential(_Res(ch[1]), _conv(ch[1], ch[2], 2))  # 8 x 32
        self.s3 = nn.Sequential(_Res(ch[2]), _conv(ch[2], ch[3], 2), _Res(ch[3]))  # 4 x 16
        self.hs, self.ws = cfg.img_h // 16, cfg.img_w // 16
        self.pos = nn.Parameter(torch.randn(1, self.hs * self.ws, cfg.d) * 0.02)
        self.layers = nn.ModuleList(_EncLayer(cfg) for _ in range(cfg.enc_layers))
        self.norm = nn.LayerNorm(cfg.d)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = self.s3(self.s2(self.s1(self.stem(img))))
        x = x.flatten(2).transpose(1, 2) + self.pos  # [B, S, D]
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class _EncLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.h = cfg.heads
        self.n1, self.n2 = nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d)
        self.qkv = nn.Linear(cfg.d, 3 * cfg.d)
        self.o = nn.Linear(cfg.d, cfg.d)
        self.ff = nn.Sequential(nn.Linear(cfg.d, cfg.ff), nn.GELU(), nn.Linear(cfg.ff, cfg.d))

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.n1(x)).view(b, s, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        a = _attend(q, k, v, None)
        x = x + self.o(a.transpose(1, 2).reshape(b, s, d))
        return x + self.ff(self.n2(x))


def _attend(q, k, v, mask):
    """Plain softmax attention (exports to ONNX as MatMul/Softmax); mask: additive, broadcastable."""
    w = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    if mask is not None:
        w = w + mask
    return torch.matmul(torch.softmax(w, dim=-1), v)


class DecLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.h, self.d = cfg.heads, cfg.d
        self.n1, self.n2, self.n3 = nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d)
        self.qkv = nn.Linear(cfg.d, 3 * cfg.d)
        self.o = nn.Linear(cfg.d, cfg.d)
        self.cq = nn.Linear(cfg.d, cfg.d)
        self.ckv = nn.Linear(cfg.d, 2 * cfg.d)  # applied to the memory once (in the encoder at export)
        self.co = nn.Linear(cfg.d, cfg.d)
        self.ff = nn.Sequential(nn.Linear(cfg.d, cfg.ff), nn.GELU(), nn.Linear(cfg.ff, cfg.d))
        self.drop = nn.Dropout(cfg.dropout)

    def heads(self, x):  # [B, T, D] -> [B, H, T, hd]
        b, t, _ = x.shape
        return x.view(b, t, self.h, self.d // self.h).transpose(1, 2)

    def cross_kv(self, memory):  # -> [2, B, H, S, hd]
        k, v = self.ckv(memory).chunk(2, dim=-1)
        return torch.stack([self.heads(k), self.heads(v)])

    def _rest(self, x, a, ckv):
        b, t, _ = x.shape
        x = x + self.drop(self.o(a.transpose(1, 2).reshape(b, t, self.d)))
        q = self.heads(self.cq(self.n2(x)))
        c = _attend(q, ckv[0], ckv[1], None)
        x = x + self.drop(self.co(c.transpose(1, 2).reshape(b, t, self.d)))
        return x + self.drop(self.ff(self.n3(x)))

    def forward(self, x, ckv, causal):
        q, k, v = self.qkv(self.n1(x)).chunk(3, dim=-1)
        a = F.scaled_dot_product_attention(self.heads(q), self.heads(k), self.heads(v), attn_mask=causal)
        return self._rest(x, a, ckv)

    def step(self, x, ckv, past_k, past_v):
        """x [B, 1, D]; past_k/v [B, H, T, hd] -> (x, k, v) with T+1 keys."""
        q, k, v = self.qkv(self.n1(x)).chunk(3, dim=-1)
        k = torch.cat([past_k, self.heads(k)], dim=2)
        v = torch.cat([past_v, self.heads(v)], dim=2)
        a = _attend(self.heads(q), k, v, None)
        return self._rest(x, a, ckv), k, v

    def step_cached(self, x, ckv, cache_k, cache_v, bias):
        """x [B, 1, D]; cache_k [B, H, hd, Tc] (keys stored transposed), cache_v [B, H, Tc, hd], bias
        [1, 1, 1, Tc] (0 where a position is filled, -1e9 where not) -> (x, k, v) with k, v [B, H, hd] of this
        token only. Same numbers as :meth:`step`; the caller writes k, v into its buffers, so no step copies
        the whole cache (with past -> present that copy was half of a decoder step)."""
        q, k, v = self.qkv(self.n1(x)).chunk(3, dim=-1)
        q, k, v = self.heads(q), self.heads(k), self.heads(v)  # [B, H, 1, hd]
        scale = q.shape[-1] ** -0.5
        scores = torch.cat([torch.matmul(q, cache_k) * scale + bias, (q * k).sum(-1, keepdim=True) * scale], -1)
        p = torch.softmax(scores, dim=-1)
        tc = cache_k.shape[-1]
        a = torch.matmul(p[..., :tc], cache_v) + p[..., tc:] * v
        return self._rest(x, a, ckv), k[:, :, 0], v[:, :, 0]


class Derender(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.emb = nn.Embedding(cfg.vocab, cfg.d)
        self.pos = nn.Embedding(cfg.max_len, cfg.d)
        self.layers = nn.ModuleList(DecLayer(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.d)
        self.head = nn.Linear(cfg.d, cfg.vocab, bias=False)
        self.head.weight = self.emb.weight  # tied
        nn.init.normal_(self.emb.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    # --- memory with every layer's cross-attention K/V, flattened to [B, S, L*2*D] ------------------
    def encode(self, img: torch.Tensor) -> torch.Tensor:
        mem = self.encoder(img)
        _b, _s, _ = mem.shape
        kv = [torch.cat(layer.ckv(mem).chunk(2, dim=-1), dim=-1) for layer in self.layers]  # [B, S, 2D] each
        return torch.cat(kv, dim=-1)

    def _ckv(self, memory: torch.Tensor, i: int) -> torch.Tensor:
        d = self.cfg.d
        chunk = memory[:, :, i * 2 * d:(i + 1) * 2 * d]
        k, v = chunk[..., :d], chunk[..., d:]
        layer = self.layers[i]
        return torch.stack([layer.heads(k), layer.heads(v)])

    def forward(self, img: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits [B, T, V] for next-token prediction at every position."""
        return self.decode(self.encoder(img), tokens)

    def decode(self, features: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` from the encoder's output ``features`` [B, S, D] (one encoder pass can serve a
        student and a teacher that share it)."""
        t = tokens.shape[1]
        x = self.emb(tokens) + self.pos(torch.arange(t, device=tokens.device))[None]
        causal = torch.ones(t, t, dtype=torch.bool, device=tokens.device).tril()
        for layer in self.layers:
            x = layer(x, layer.cross_kv(features), causal)
        return self.head(self.norm(x))

    def step(self, tokens: torch.Tensor, memory: torch.Tensor, position: torch.Tensor, past: torch.Tensor):
        """One decoding step. tokens [B, 1] int64, memory [B, S, L*2*D], position [B] int64,
        past [L, 2, B, H, T, hd] -> logits [B, V], present [L, 2, B, H, T+1, hd]."""
        x = self.emb(tokens) + self.pos(position)[:, None, :]
        pres = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer.step(x, self._ckv(memory, i), past[i, 0], past[i, 1])
            pres.append(torch.stack([k, v]))
        logits = self.head(self.norm(x))[:, 0]
        return logits, torch.stack(pres)

    def step_cached(self, tokens: torch.Tensor, memory: torch.Tensor, position: torch.Tensor, bias: torch.Tensor,
                    *caches: torch.Tensor):
        """The exported decoder step (docs/model-interface.md): tokens [B, 1], memory [B, S, L*2*D], position
        [B], bias [1, 1, 1, Tc], caches k0, v0, k1, v1, ... -> logits [B, V], new_k and new_v [L, B, H, hd]."""
        x = self.emb(tokens) + self.pos(position)[:, None, :]
        new_k, new_v = [], []
        for i, layer in enumerate(self.layers):
            x, k, v = layer.step_cached(x, self._ckv(memory, i), caches[2 * i], caches[2 * i + 1], bias)
            new_k.append(k)
            new_v.append(v)
        return self.head(self.norm(x))[:, 0], torch.stack(new_k), torch.stack(new_v)

    def empty_past(self, b: int) -> torch.Tensor:
        c = self.cfg
        return torch.zeros(c.layers, 2, b, c.heads, 0, c.d // c.heads)


def param_count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
