"""PyTorch models: ties of an ``nn.Module`` proven by unit permutations, refuted exactly.

A model is traced (:mod:`symgrad.torch.tracing`) with its loss. Its parameter
entries that start with exactly equal values form the tie groups (or the ties
the user names). **Proof**: every free dimension class (:mod:`symgrad.torch.symmetry`,
units that may be permuted, possibly across several layers) whose units hold equal
values at the init gives swaps that fix the init; entries in one orbit of the group
they generate have equal gradients at every point of the orbit's fixed set, so they
stay equal for every input, target and step of every optimizer that treats
coordinates alike; and parameters whose gradient is exactly zero as long as they
keep their values never move (:mod:`symgrad.torch.stationary`). **Refutation**:
two tied entries whose exact gradients (rationals, or 200-bit intervals where a
transcendental function appears) differ at a rational input separate after one
step of SGD on that input (or within k steps when the first gradients agree).
Before a verdict is printed it is re-checked on an independent path: torch's own
float64 forward pass must be unchanged by the permutations, and torch's autograd
must agree with the exact witness gradients.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from symgrad.errors import ProblemError, TieError
from symgrad.runtime.budget import tick
from symgrad.text.suggest import did_you_mean
from symgrad.torch.graph import Graph, exact_tensor
from symgrad.torch.stationary import never_moving
from symgrad.torch.symmetry import (
    Orbits,
    Symmetries,
    UnitSymmetry,
    collapsed,
    contracted_axes,
    contracted_pairs,
    joined_links,
    symmetries,
    unit_classes,
)
from symgrad.torch.tracing import trace

OPTIMIZERS = ("SGD", "SGD with momentum", "Adam", "weight decay")
INITS = ("from-model", "zero", "constant", "identical")
CONSTANT = Fraction(1, 10)
ETA = Fraction(1, 10)
MAX_WITNESSES = 24
WITNESS_POINTS = 2


@dataclass(frozen=True)
class TorchModel:
    """A traced PyTorch model with its loss, ready for :func:`symgrad.prove`,
    :func:`symgrad.collapse` and :func:`symgrad.simulate`."""

    name: str
    graph: Graph = field(repr=False)
    module: object = field(repr=False)
    samples: tuple[tuple[np.ndarray, np.ndarray], ...] = field(default=(), repr=False)
    seeded: int = WITNESS_POINTS

    def describe(self) -> str:
        count = sum(v.size for v in self.graph.parameters.values())
        shape = "x".join(str(s) for s in self.graph.input_shape)
        mode = ", train mode" if self.graph.training and self.graph.random else ""
        return (
            f"{self.name} (PyTorch, {count} parameters, input {shape}, loss "
            f"{self.graph.loss}{mode})"
        )


def from_torch(
    model,
    example_input,
    loss: str | Callable = "mse",
    samples: Sequence | int | None = None,
    target_shape: Sequence[int] | None = None,
    name: str | None = None,
    input_range: tuple[int, int] | None = None,
) -> TorchModel:
    """Trace ``model`` (an ``nn.Module``) with ``loss`` ("mse", "cross-entropy", "output" for a
    model that returns its own loss, or a callable ``loss(output, target)``) on inputs shaped
    like ``example_input`` (a tensor or a shape; integer inputs for embeddings).

    ``samples`` are optional (input, target) pairs (a list, or a dataset that yields them),
    or a number of seeded rational samples; witnesses and simulations then use them;
    proofs hold for every input and target anyway. The model's parameter values are read as
    exact rationals (a float is a dyadic rational), in the model's own mode (train or eval).
    """
    from symgrad.runtime.budget import current_seconds
    from symgrad.torch.tracing import check_size

    check_size(model, current_seconds())
    graph = trace(model, example_input, loss, target_shape, input_range)
    if not any(op.kind == "param" for op in graph.ops):
        raise ProblemError(
            f"{name or type(model).__name__} has no parameters that reach the loss: nothing "
            "can be tied"
        )
    if isinstance(samples, bool) or isinstance(samples, float):
        raise ProblemError("samples must be (input, target) pairs or a whole number")
    if isinstance(samples, int):
        if not 1 <= samples <= 64:
            raise ProblemError(f"samples={samples}: a number of seeded samples from 1 to 64")
        return TorchModel(name or type(model).__name__, graph, model, (), samples)
    try:
        listed = list(samples or ())
    except TypeError:
        raise ProblemError("samples must be (input, target) pairs or a whole number") from None
    if len(listed) > 10_000:
        raise ProblemError(f"{len(listed)} samples: at most 10000")
    pairs = tuple(_sample(graph, pair, k) for k, pair in enumerate(listed))
    return TorchModel(name or type(model).__name__, graph, model, pairs)


def _sample(graph: Graph, pair, index: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, y = pair
    except (TypeError, ValueError):
        raise ProblemError(f"samples[{index}] must be an (input, target) pair") from None
    arrays = []
    for value, shape, what in ((x, graph.input_shape, "input"), (y, graph.target_shape, "target")):
        array = exact_tensor(value) if hasattr(value, "detach") else _exact_array(value)
        if what == "target" and graph.loss == "cross-entropy" and graph.target_kind == "float":
            array = _one_hot(array, shape, index)
        if array.shape != tuple(shape):
            raise ProblemError(
                f"samples[{index}]: the {what} has shape {array.shape}, the model needs {shape}"
            )
        arrays.append(array)
    return arrays[0], arrays[1]


def _one_hot(target: np.ndarray, shape: tuple[int, ...], index: int) -> np.ndarray:
    """Class indices (N,) as one-hot rows (N, C), as cross-entropy reads them."""
    if target.shape != tuple(shape[:-1]) or len(shape) != 2:
        return target
    rows = filled(shape, Fraction(0))
    for row, label in enumerate(target):
        if Fraction(label).denominator != 1 or not 0 <= label < shape[1]:
            raise ProblemError(f"samples[{index}]: class {label} is not one of 0..{shape[1] - 1}")
        rows[row, int(label)] = Fraction(1)
    return rows


def _exact_array(value) -> np.ndarray:
    array = np.asarray(value, dtype=object)
    out = np.empty(array.shape, dtype=object)
    for index, v in np.ndenumerate(array):
        if isinstance(v, bool) or not isinstance(v, (int, float, Fraction)):
            raise ProblemError(f"a sample holds {type(v).__name__} values, not numbers")
        out[index] = Fraction(v)
    return out


class Layout(Orbits):
    """Every parameter entry as one flat index; names such as ``fc1.weight[3, 0]``."""

    def names(self, indices) -> list[str]:
        """``name`` for many indices at once."""
        indices = np.asarray(indices, dtype=np.int64)
        out = [""] * len(indices)
        for tensor, base in self.offsets.items():
            size = int(np.prod(self.shapes[tensor]))
            mask = np.nonzero((indices >= base) & (indices < base + size))[0]
            if not len(mask):
                continue
            positions = np.unravel_index(indices[mask] - base, self.shapes[tensor])
            for k, where in enumerate(mask):
                out[where] = f"{tensor}[{', '.join(str(int(p[k])) for p in positions)}]"
        return out

    def name(self, index: int) -> str:
        tensor, local = self.entry(index)
        position = np.unravel_index(local, self.shapes[tensor])
        return f"{tensor}[{', '.join(str(int(p)) for p in position)}]"


_SELECTOR = re.compile(r"\s*(\w[\w.]*)\s*(?:\[([\d\s,]*)\])?\s*\Z")


def _selected(text: str, layout: Layout) -> np.ndarray:
    """Flat indices of ``name``, ``name[i]`` (a row or a unit) or ``name[i, j]``."""
    match = _SELECTOR.match(text)
    if not match:
        raise TieError(
            f"cannot read {text[:80]!r} as a parameter entry: write fc1.weight[3, 0], "
            "fc1.weight[3] (a row) or fc1.bias"
        )
    tensor, index = match.group(1), match.group(2)
    if tensor not in layout.shapes:
        raise TieError(
            f"{tensor[:80]} is not a parameter of the model"
            f"{did_you_mean(tensor, layout.shapes)}; parameters: {', '.join(layout.shapes)}"[:400]
        )
    shape = layout.shapes[tensor]
    grid = np.arange(int(np.prod(shape))).reshape(shape) + layout.offsets[tensor]
    if index is None:
        return grid.reshape(-1)
    try:
        position = tuple(int(i) for i in index.split(","))
    except ValueError:
        raise TieError(f"{text[:80]}: indices must be whole numbers") from None
    if len(position) > len(shape):
        raise TieError(f"{text[:80]}: {len(position)} indices for {tensor} of shape {shape}")
    if any(not 0 <= p < s for p, s in zip(position, shape)):
        raise TieError(f"{text[:80]}: index out of range for {tensor} of shape {shape}")
    return np.asarray(grid[position]).reshape(-1)


def initial_values(model: TorchModel, init: str | None) -> tuple[dict[str, np.ndarray], str]:
    """The exact initial parameter values for ``init`` and a phrase that says what they are."""
    params = model.graph.parameters
    if init in (None, "", "from-model", "model"):
        return {k: v.copy() for k, v in params.items()}, "the model's own parameter values"
    if not isinstance(init, str):
        raise ProblemError("init for a PyTorch model is from-model, zero, constant or identical")
    frozen = model.graph.frozen
    if init == "zero":
        values = {k: v.copy() if k in frozen else filled(v.shape, Fraction(0))
                  for k, v in params.items()}  # fmt: skip
        return values, "every entry 0" + _frozen_note(frozen)
    if init == "constant" or init.startswith("constant="):
        value = _constant(init)
        values = {k: v.copy() if k in frozen else filled(v.shape, value)
                  for k, v in params.items()}  # fmt: skip
        return values, f"every entry {value}" + _frozen_note(frozen)
    if init == "identical":
        return _identical(model), "the units of every layer made identical (copies of unit 0)"
    if "=" in init:
        raise ProblemError(
            f"init={init[:40]!r}: name ties with --tie fc1.weight[0]=fc1.weight[1] (the init "
            "of a PyTorch model is from-model, zero, constant or identical)"
        )
    raise ProblemError(
        f"init={init[:40]!r} is not one of {', '.join(INITS)} for a PyTorch model"
        f"{did_you_mean(init, INITS)}; name ties with --tie fc1.weight[0]=fc1.weight[1]"
    )


def _frozen_note(frozen) -> str:
    return " (frozen parameters keep their own values)" if frozen else ""


def filled(shape, value) -> np.ndarray:
    array = np.empty(shape, dtype=object)
    array.fill(value)
    return array


def _constant(init: str) -> Fraction:
    if init == "constant":
        return CONSTANT
    text = init.split("=", 1)[1].strip()
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise ProblemError(f"constant={text[:40]!r} is not a number such as 0.1 or 1/10") from None
    if abs(value) > 10**6 or (value and abs(value) < Fraction(1, 10**12)):
        raise ProblemError(f"constant={text[:40]!r}: use a value between 1e-12 and 1e6 in size")
    return value


def _identical(model: TorchModel) -> dict[str, np.ndarray]:
    """Every free class's units copies of its unit 0 (incoming weights, bias, the next
    layer's columns: every slice a unit permutation moves)."""
    values = {k: v.copy() for k, v in model.graph.parameters.items()}
    found = symmetries(model.graph)
    for symmetry in found.free:
        if any(name in model.graph.frozen for name in symmetry.tensors):
            continue
        values = collapsed(found, symmetry, values)
    return values


def tie_groups(
    ties: Sequence[str], values: dict[str, np.ndarray], layout: Layout
) -> list[list[int]]:
    """Ties ``a=b=c`` (entries or whole rows, elementwise), joined across all the ties given;
    every member of a group then takes the value of the group's first entry. Returns the tie
    groups as flat indices."""
    joined = Layout(layout.shapes)
    for tie in ties:
        members = [_selected(part, layout) for part in str(tie).split("=")]
        if len(members) < 2:
            raise TieError(
                f"a tie needs two sides, as in fc1.weight[0]=fc1.weight[1]: {str(tie)[:80]!r}"
            )
        if len({m.size for m in members}) != 1:
            raise TieError(f"{str(tie)[:80]}: the tied parts have different sizes")
        for other in members[1:]:
            for a, b in zip(members[0], other):
                joined.union(int(a), int(b))
    groups = joined.groups()
    for group in groups:
        tensor, local = layout.entry(group[0])
        value = values[tensor].reshape(-1)[local]
        for index in group[1:]:
            tensor, local = layout.entry(index)
            values[tensor].reshape(-1)[local] = value
    return groups


def start_classes(values: dict[str, np.ndarray], layout: Layout) -> list[list[int]]:
    """Entries with exactly equal initial values (classes of two or more)."""
    by_value: dict[Fraction, list[int]] = {}
    for name, base in layout.offsets.items():
        tick("grouping equal initial values")
        for k, v in enumerate(values[name].reshape(-1)):
            by_value.setdefault(v, []).append(base + k)
    return [g for g in by_value.values() if len(g) > 1]


@dataclass
class Analysis:
    """Orbits of the unit permutations that fix the init, and the entries that never move."""

    layout: Layout
    orbits: Layout
    used: list[tuple[UnitSymmetry, list[list[int]]]]
    refused: dict[str, str]
    found: Symmetries | None = None
    still: frozenset[str] = frozenset()

    def root(self, index: int) -> int:
        return self.orbits.find(index)


def analyse(graph: Graph, values: dict[str, np.ndarray]) -> Analysis:
    """Merge, for every free class, the units that a swap exchanges without changing the
    init, and the entries that never move and hold equal values."""
    found = symmetries(graph, values)
    used = [(symmetry, unit_classes(found, symmetry, values)) for symmetry in found.free]
    still = frozenset(never_moving(graph, values))
    return merged(graph, values, found, used, still)


def merged(graph: Graph, values, found: Symmetries, used, still) -> Analysis:
    """The orbits of the swaps in ``used`` joined with the equal entries that never move."""
    shapes = {k: v.shape for k, v in graph.parameters.items()}
    layout, orbits = Layout(shapes), Layout(shapes)
    contracted = contracted_axes(graph)
    links = []
    for symmetry, classes in used:
        for units in classes:
            for other in units[1:]:
                links.append(orbits.swap_links(found, symmetry, units[0], other))
                for a, sources, b, targets in contracted_pairs(found, symmetry, units[0], other,
                                                               contracted):  # fmt: skip
                    links.append((sources + orbits.offsets[a], targets + orbits.offsets[b]))
    orbits.union_many(*joined_links(links))
    _merge_still(orbits, values, still)
    return Analysis(layout, orbits, list(used), {}, found, frozenset(still))


def withdrawn(analysis: Analysis, groups) -> Analysis:
    """The analysis without the given groups of entries (a float64 veto): their members are
    no longer joined, and a tensor among them is no longer claimed never to move."""
    dropped = {i for group in groups for i in group}
    orbits = Layout(analysis.layout.shapes)
    for group in analysis.orbits.groups():
        if group[0] in dropped:
            continue
        for index in group[1:]:
            orbits.union(group[0], index)
    still = frozenset(
        name for name in analysis.still if analysis.orbits.offsets[name] not in dropped
    )
    return Analysis(analysis.layout, orbits, analysis.used, analysis.refused, analysis.found,
                    still)  # fmt: skip


def _merge_still(orbits: Layout, values: dict[str, np.ndarray], still) -> None:
    """Entries that never move and start equal stay equal."""
    first: dict[object, int] = {}
    for name in sorted(still):
        base = orbits.offsets[name]
        for k, value in enumerate(values[name].reshape(-1)):
            if k % 65536 == 0:
                tick("merging entries that never move")
            index = first.setdefault(value, base + k)
            if index != base + k:
                orbits.union(index, base + k)


def unchecked(analysis: Analysis, reason: str) -> Analysis:
    """The analysis with no layer certified (after a failed re-check)."""
    refused = {s.layer: reason for s, _ in analysis.used} | dict(analysis.refused)
    return Analysis(analysis.layout, Layout(analysis.layout.shapes), [], refused, None,
                    frozenset())  # fmt: skip


FLOAT_NOTE = (
    "the proof is about exact arithmetic: in floating point, identical units' sums can be "
    "rounded in different orders, which may drift them apart slowly over long runs (float32 "
    "far more than float64)"
)
