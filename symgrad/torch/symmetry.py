"""Unit permutations of a traced network that leave its computation unchanged.

For a layer that produces units (the rows of a linear layer's weight, the output
channels of a convolution), a permutation of its units is followed through the
graph: elementwise activations, pooling, flatten (a unit becomes a block of
features), layer norm (whose own weight and bias are permuted along), scalar
arithmetic and concatenation carry it; the next linear layer or convolution
absorbs it by permuting its input columns or channels. If every path that
carries the permutation is absorbed before the loss, and no parameter involved
is used twice, permuting the units (with the slices of parameters listed in
:class:`UnitSymmetry`) leaves the loss unchanged for every input and target.
Units whose slices hold equal initial values can then be swapped without
changing the init, so by the permutation argument they stay equal under every
optimizer that treats coordinates alike (SGD, momentum, Adam, weight decay):
this is the graph-level certificate, checked structurally here.
"""

from __future__ import annotations

import bisect
import functools
from collections import Counter
from dataclasses import dataclass

import numpy as np

from symgrad.runtime.budget import tick
from symgrad.torch.graph import Graph, Op

PRODUCERS = ("linear", "conv")


@dataclass(frozen=True)
class Carried:
    """How unit u of the producer sits along ``axis``: positions offset + u*block + (0..block-1)."""

    axis: int
    block: int = 1
    offset: int = 0


@dataclass(frozen=True)
class Slice:
    """The entries of parameter ``name`` that move with unit u (same layout as :class:`Carried`)."""

    name: str
    axis: int
    block: int = 1
    offset: int = 0

    def indices(self, shape: tuple[int, ...], unit: int) -> np.ndarray:
        """Flat indices of unit ``unit``'s entries, in a fixed order."""
        start = self.offset + unit * self.block
        return (
            _grid(tuple(shape)).take(range(start, start + self.block), axis=self.axis).reshape(-1)
        )


@functools.lru_cache(maxsize=64)
def _grid(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(int(np.prod(shape))).reshape(shape)


@dataclass(frozen=True)
class UnitSymmetry:
    """A layer whose units may be permuted: its name, unit count and the slices that move."""

    layer: str
    op: str
    units: int
    unit_name: str
    slices: tuple[Slice, ...]


def _shared_parameters(graph: Graph) -> set[str]:
    counts = Counter(name for op in graph.ops for _, name in op.params)
    return {name for name, count in counts.items() if count > 1}


def symmetries(graph: Graph) -> tuple[list[UnitSymmetry], dict[str, str]]:
    """Every producing layer whose unit permutations are symmetries, and why others are not."""
    shared = _shared_parameters(graph)
    found, refused = [], {}
    for op in graph.ops:
        if op.kind not in PRODUCERS:
            continue
        tick("following unit permutations")
        reason, slices = _follow(graph, op, shared)
        layer = op.module or op.name
        if reason:
            refused[layer] = reason
            continue
        units = graph.parameters[op.param("weight")].shape[0]
        unit_name = "channels" if op.kind == "conv" else "neurons"
        found.append(UnitSymmetry(layer, op.name, units, unit_name, tuple(slices)))
    return found, refused


def _follow(graph: Graph, producer: Op, shared: set[str]) -> tuple[str, list[Slice]]:
    """('', slices) when the producer's unit permutation is absorbed; else (reason, [])."""
    own = [producer.param("weight"), producer.param("bias")]
    if any(name in shared for name in own if name):
        return "its parameters are used more than once", []
    slices = [Slice(producer.param("weight"), 0)]
    if producer.param("bias"):
        slices.append(Slice(producer.param("bias"), 0))
    shape = graph.shapes[producer.name]
    carried: dict[str, Carried] = {
        producer.name: Carried(axis=1 if producer.kind == "conv" else len(shape) - 1)
    }
    for op in graph.ops[graph.ops.index(producer) + 1 :]:
        states = {s: carried[s] for s in op.inputs if s in carried}
        if not states:
            continue
        outcome = _step(graph, op, states, shared)
        if isinstance(outcome, str):
            where = (
                ""
                if outcome.startswith("its units reach the loss")
                else f"{op.module or op.name}: "
            )
            return f"{where}{outcome}", []
        state, absorbed = outcome
        slices += absorbed
        if state is not None:
            carried[op.name] = state
    return "", slices


def _step(graph: Graph, op: Op, states: dict[str, Carried], shared: set[str]):
    """(state of the output or None when absorbed, slices absorbed) or a reason string."""
    kind = op.kind
    state = next(iter(states.values()))
    tensor_inputs = [s for s in op.inputs]
    if kind in ("activation", "square") or kind.endswith("_constant"):
        return state, []
    if kind in ("avgpool", "maxpool"):
        return (state, []) if state.axis == 1 else "pooling across the units"
    if kind == "flatten":
        return _flatten(graph, op, state)
    if kind in ("linear", "conv"):
        return _absorb(graph, op, state, shared)
    if kind == "layernorm":
        return _layernorm(graph, op, state, shared)
    if kind in ("add", "sub", "mul", "div"):
        if len(states) == len(tensor_inputs) and len(set(states.values())) == 1:
            return state, []
        return "a residual path mixes permuted and unpermuted units"
    if kind == "cat":
        return _cat(graph, op, states)
    if kind in ("mse", "cross_entropy", "mean", "sum", "output"):
        return "its units reach the loss directly (each output meets its own target)"
    return f"the units reach {kind} unabsorbed"


def _flatten(graph: Graph, op: Op, state: Carried):
    source_shape = graph.shapes[op.inputs[0]]
    start = op.attr("start", 1) % len(source_shape)
    end = op.attr("end", -1) % len(source_shape)
    if state.axis < start:
        return state, []
    if state.axis > end:
        return Carried(state.axis - (end - start), state.block, state.offset), []
    if state.axis != start:
        return "flatten splits a unit"
    inner = int(np.prod(source_shape[state.axis + 1 : end + 1]))
    return Carried(start, state.block * inner, state.offset * inner), []


def _absorb(graph: Graph, op: Op, state: Carried, shared: set[str]):
    weight = op.param("weight")
    if weight in shared:
        return "a consuming layer's weight is used more than once"
    source_shape = graph.shapes[op.inputs[0]]
    if op.kind == "linear" and state.axis != len(source_shape) - 1:
        return "a linear layer reads the units along another axis"
    if op.kind == "conv" and (state.axis != 1 or state.block != 1):
        return "a convolution reads the units along another axis"
    return None, [Slice(weight, 1, state.block, state.offset)]


def _layernorm(graph: Graph, op: Op, state: Carried, shared: set[str]):
    shape = graph.shapes[op.inputs[0]]
    normalized = op.attr("normalized")
    if len(normalized) != 1 or state.axis != len(shape) - 1:
        return "layer norm over several axes"
    slices = []
    for role in ("weight", "bias"):
        name = op.param(role)
        if name:
            if name in shared:
                return "a layer norm parameter is used more than once"
            slices.append(Slice(name, 0, state.block, state.offset))
    return state, slices


def _cat(graph: Graph, op: Op, states: dict[str, Carried]):
    if len(states) != 1:
        return "several permuted inputs concatenated"
    if len(set(op.inputs)) != len(op.inputs):
        return "the same tensor concatenated more than once"
    ((source, state),) = states.items()
    dim = op.attr("dim") % len(graph.shapes[op.name])
    if state.axis != dim:
        return "concatenation along another axis"
    offset = sum(graph.shapes[s][dim] for s in op.inputs[: op.inputs.index(source)])
    return Carried(state.axis, state.block, state.offset + offset), []


# ---------------------------------------------------------------- classes and orbits
def unit_classes(
    graph: Graph, symmetry: UnitSymmetry, values: dict[str, np.ndarray]
) -> list[list[int]]:
    """Units whose moving slices hold exactly equal values (swapping them keeps the init)."""
    signatures: dict[tuple, list[int]] = {}
    for unit in range(symmetry.units):
        tick("comparing units")
        signature = tuple(
            tuple(values[s.name].reshape(-1)[s.indices(values[s.name].shape, unit)])
            for s in symmetry.slices
        )
        signatures.setdefault(signature, []).append(unit)
    return list(signatures.values())


class Orbits:
    """Union-find over parameter entries (name, flat index)."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]) -> None:
        self.offsets, total = {}, 0
        for name, shape in shapes.items():
            self.offsets[name] = total
            total += int(np.prod(shape))
        self.parent = np.arange(total)
        self.shapes = dict(shapes)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def merge_units(self, symmetry: UnitSymmetry, units: list[int]) -> None:
        for s in symmetry.slices:
            base = self.offsets[s.name]
            first = s.indices(self.shapes[s.name], units[0]) + base
            for unit in units[1:]:
                tick("merging orbits")
                for a, b in zip(first, s.indices(self.shapes[s.name], unit) + base):
                    self.union(int(a), int(b))

    def groups(self) -> list[list[int]]:
        by_root: dict[int, list[int]] = {}
        for index in range(len(self.parent)):
            by_root.setdefault(self.find(index), []).append(index)
        return [g for g in by_root.values() if len(g) > 1]

    def entry(self, index: int) -> tuple[str, int]:
        """(tensor name, flat index inside it) of a global flat index."""
        if not hasattr(self, "_starts"):
            ordered = sorted(self.offsets.items(), key=lambda item: item[1])
            self._names = [n for n, _ in ordered]
            self._starts = [o for _, o in ordered]
        position = bisect.bisect_right(self._starts, index) - 1
        name = self._names[position]
        return name, index - self.offsets[name]
