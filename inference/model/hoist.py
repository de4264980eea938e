"""Run the decoder step's memory-only work once per batch instead of once per token.

The exported decoder step (docs/model-interface.md) takes the encoder ``memory`` at every step and, inside
the graph, splits it per layer and rearranges it into attention heads. That work depends on ``memory``
alone, yet it ran for every token: profiled on the shipped architecture it was 70 % of the step's time
(Split 36 %, Concat 19 %, Transpose 15 %; the MatMuls 20 %). :func:`split_decoder` cuts the graph in two:

* ``prep``: every node whose inputs are ``memory`` or constants, run once per batch (and again when the
  batch shrinks, on the remaining rows' memory, so no tensor's batch axis has to be guessed);
* ``step``: the rest, fed the tensors ``prep`` made.

Same ops, same weights, same numbers (checked against the unsplit step when the sessions are built; any
mismatch or failure keeps the plain decoder). It needs the ``onnx`` package to edit the graph; without it
the plain decoder runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .derender import StepCache


@dataclass(frozen=True)
class SplitGraphs:
    prep: bytes  # ONNX model: memory -> boundary tensors
    step: bytes  # ONNX model: tokens, position, bias, caches (+ boundary, + memory if still used) -> logits, new_k, new_v
    boundary: tuple[str, ...]
    step_uses_memory: bool


def split_decoder(model_bytes: bytes) -> SplitGraphs | None:
    """The two halves of a decoder step, or None when there is nothing to hoist (or onnx is missing)."""
    try:
        import onnx
        from onnx import helper, shape_inference
    except ImportError:
        return None
    m = onnx.load_from_string(model_bytes)
    g = m.graph
    if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for n in g.node for a in n.attribute):
        return None  # control flow: keep it simple and safe
    try:
        types = {vi.name: vi.type.tensor_type.elem_type
                 for vi in shape_inference.infer_shapes(m).graph.value_info}
    except Exception:  # noqa: BLE001  (shape inference is best effort; float is the usual type)
        types = {}
    types.update({vi.name: vi.type.tensor_type.elem_type for vi in list(g.input) + list(g.output)})

    const = {i.name for i in g.initializer}
    static = {"memory"}
    const_nodes, static_nodes, step_nodes = [], [], []
    for n in g.node:  # ONNX graphs are topologically sorted
        ins = [i for i in n.input if i]
        if all(i in const for i in ins):
            const_nodes.append(n)
            const.update(n.output)
        elif all(i in const or i in static for i in ins):
            static_nodes.append(n)
            static.update(n.output)
        else:
            step_nodes.append(n)
    if not static_nodes:
        return None
    outputs = {o.name for o in g.output}
    if outputs & static:
        return None
    used_by_step = {i for n in step_nodes for i in n.input}
    boundary = tuple(t for n in static_nodes for t in n.output if t in used_by_step)
    if not boundary:
        return None

    def with_constants(nodes):
        need = {i for n in nodes for i in n.input}
        pre = []
        for n in reversed(const_nodes):
            if any(o in need for o in n.output):
                pre.insert(0, n)
                need.update(n.input)
        return pre + nodes, need

    def value(name):
        return helper.make_tensor_value_info(name, types.get(name, onnx.TensorProto.FLOAT), None)

    prep_nodes, prep_need = with_constants(static_nodes)
    step_all, step_need = with_constants(step_nodes)
    memory_in = next(i for i in g.input if i.name == "memory")
    prep = helper.make_graph(prep_nodes, "decoder_prep", [memory_in], [value(b) for b in boundary],
                             [i for i in g.initializer if i.name in prep_need])
    uses_memory = "memory" in used_by_step
    step_inputs = [i for i in g.input if i.name != "memory" or uses_memory] + [value(b) for b in boundary]
    step = helper.make_graph(step_all, "decoder_step", step_inputs, list(g.output),
                             [i for i in g.initializer if i.name in step_need])
    kw = {"opset_imports": m.opset_import, "ir_version": m.ir_version}
    return SplitGraphs(helper.make_model(prep, **kw).SerializeToString(),
                       helper.make_model(step, **kw).SerializeToString(), boundary, uses_memory)


@dataclass(frozen=True)
class HoistedDecoder:
    """A decoder step session plus ``prepare(memory) -> extra feeds`` (run once per batch)."""

    step: object  # onnxruntime.InferenceSession
    prepare: Callable[[np.ndarray], dict]


def build(split: SplitGraphs, make_session: Callable[[bytes], object]) -> HoistedDecoder:
    prep = make_session(split.prep)
    step = make_session(split.step)
    names = list(split.boundary)

    def prepare(memory: np.ndarray) -> dict:
        feeds = dict(zip(names, prep.run(names, {"memory": memory})))
        if split.step_uses_memory:
            feeds["memory"] = memory
        return feeds

    return HoistedDecoder(step, prepare)


def agrees(plain, hoisted: HoistedDecoder, memory: np.ndarray, layers: int, heads: int, head_dim: int,
           vocab: int, steps: int = 3) -> bool:
    """Same logits and new keys/values as the plain step for a few steps on this memory (within float noise)."""
    b = memory.shape[0]
    cache_a, cache_b = StepCache(layers, b, heads, head_dim, 4), StepCache(layers, b, heads, head_dim, 4)
    extra = hoisted.prepare(memory)
    rng = np.random.default_rng(0)
    names = ["logits", "new_k", "new_v"]
    for pos in range(steps):
        tok = rng.integers(0, vocab, (b, 1)).astype(np.int64)
        feeds = {"tokens": tok, "position": np.full(b, pos, np.int64)}
        outs_a = plain.run(names, {**feeds, "memory": memory, **cache_a.feeds()})
        outs_b = hoisted.step.run(names, {**feeds, **extra, **cache_b.feeds()})
        for a, c in zip(outs_a, outs_b):
            # dynamic int8 quantization may round a shared activation a hair differently
            if a.shape != c.shape or float(np.abs(a - c).max()) > 1e-2 * (1.0 + float(np.abs(a).max())):
                return False
        cache_a.append(*outs_a[1:])
        cache_b.append(*outs_b[1:])
    return True
