"""PyTorch models: ties of an ``nn.Module`` proven by unit permutations, refuted exactly.

A model is traced (:mod:`symgrad.torch.graph`) with its loss. Its parameter
entries that start with exactly equal values form the tie groups (or the ties
the user names). **Proof**: every layer whose units can be permuted without
changing the loss (:mod:`symgrad.torch.symmetry`) and whose units hold equal
values at the init gives a symmetry that fixes the init; entries in one orbit
of the group these generate have equal gradients at every point of the orbit's
fixed set, so they stay equal for every input, target and step of every
optimizer that treats coordinates alike. **Refutation**: two tied entries whose
exact gradients (rationals, or 200-bit intervals where a transcendental
function appears) differ at a rational input separate after one step of SGD on
that input (or within k steps when the first gradients agree). Before a verdict
is printed it is re-checked on an independent path: torch's own float64
forward pass must be unchanged by the permutations, and torch's autograd must
agree with the exact witness gradients.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy
from mpmath import iv

from symgrad.errors import BudgetError, ProblemError, TieError
from symgrad.results import CollapseResult, ModelProofResult, SplitWitness, Trajectory
from symgrad.runtime.budget import Budget, binds_timeout, tick
from symgrad.text.suggest import did_you_mean
from symgrad.torch.exact_tensor import (
    BITS,
    Undecided,
    all_rational,
    as_fraction,
    as_interval,
    exact_endpoint,
    gradients,
    intervals,
    is_rational,
)
from symgrad.torch.graph import Graph, exact_tensor, require_torch, trace
from symgrad.torch.symmetry import Orbits, UnitSymmetry, symmetries, unit_classes

OPTIMIZERS = ("SGD", "SGD with momentum", "Adam", "weight decay")
INITS = ("from-model", "zero", "constant", "identical")
CONSTANT = Fraction(1, 10)
ETA = Fraction(1, 10)
MAX_WITNESSES = 24
WITNESS_POINTS = 2


@dataclass(frozen=True)
class TorchModel:
    """A traced PyTorch model with its loss, ready for :func:`symgrad.ties.prove`,
    :func:`symgrad.ties.collapse` and :func:`symgrad.ties.simulate`."""

    name: str
    graph: Graph = field(repr=False)
    module: object = field(repr=False)
    samples: tuple[tuple[np.ndarray, np.ndarray], ...] = field(default=(), repr=False)
    seeded: int = WITNESS_POINTS

    def describe(self) -> str:
        count = sum(v.size for v in self.graph.parameters.values())
        shape = "x".join(str(s) for s in self.graph.input_shape)
        return f"{self.name} (PyTorch, {count} parameters, input {shape}, loss {self.graph.loss})"


def from_torch(
    model,
    example_input,
    loss: str | Callable = "mse",
    samples: Sequence | int | None = None,
    target_shape: Sequence[int] | None = None,
    name: str | None = None,
) -> TorchModel:
    """Trace ``model`` (an ``nn.Module``) with ``loss`` ("mse", "cross-entropy" or a callable
    ``loss(output, target)``) on inputs shaped like ``example_input`` (a tensor or a shape).

    ``samples`` are optional (input, target) pairs (a list, or a dataset that yields them),
    or a number of seeded rational samples; witnesses and simulations then use them;
    proofs hold for every input and target anyway. The model's parameter values are read as
    exact rationals (a float is a dyadic rational).
    """
    graph = trace(model, example_input, loss, target_shape)
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
        if what == "target" and graph.loss == "cross-entropy":
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
    rows = _filled(shape, Fraction(0))
    for row, label in enumerate(target):
        if label.denominator != 1 or not 0 <= label < shape[1]:
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


# ---------------------------------------------------------------- names and layout
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
            f"{did_you_mean(tensor, layout.shapes)}; parameters: {', '.join(layout.shapes)}"
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


# ---------------------------------------------------------------- init and ties
def initial_values(model: TorchModel, init: str | None) -> tuple[dict[str, np.ndarray], str]:
    """The exact initial parameter values for ``init`` and a phrase that says what they are."""
    params = model.graph.parameters
    if init in (None, "", "from-model", "model"):
        return {k: v.copy() for k, v in params.items()}, "the model's own parameter values"
    if not isinstance(init, str):
        raise ProblemError("init for a PyTorch model is from-model, zero, constant or identical")
    if init == "zero":
        return {k: _filled(v.shape, Fraction(0)) for k, v in params.items()}, "every entry 0"
    if init == "constant" or init.startswith("constant="):
        value = _constant(init)
        return {k: _filled(v.shape, value) for k, v in params.items()}, f"every entry {value}"
    if init == "identical":
        return _identical(model), "the units of every layer made identical (copies of unit 0)"
    if init.startswith("constant") is False and "=" in init:
        raise ProblemError(
            f"init={init[:40]!r}: name ties with --tie fc1.weight[0]=fc1.weight[1] (the init "
            "of a PyTorch model is from-model, zero, constant or identical)"
        )
    raise ProblemError(
        f"init={init[:40]!r} is not one of {', '.join(INITS)} for a PyTorch model"
        f"{did_you_mean(init, INITS)}; name ties with --tie fc1.weight[0]=fc1.weight[1]"
    )


def _filled(shape, value) -> np.ndarray:
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
    """Every interchangeable layer's units copies of its unit 0: incoming weights, bias and
    the next layer's columns (the slices a unit permutation moves)."""
    values = {k: v.copy() for k, v in model.graph.parameters.items()}
    shapes = {k: v.shape for k, v in values.items()}
    found, _ = symmetries(model.graph)
    for symmetry in found:
        for piece in symmetry.slices:
            flat = values[piece.name].reshape(-1)
            first = flat[piece.indices(shapes[piece.name], 0)]
            for unit in range(1, symmetry.units):
                flat[piece.indices(shapes[piece.name], unit)] = first
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


# ---------------------------------------------------------------- orbits
@dataclass
class Analysis:
    """Orbits of the unit permutations that fix the init, layer by layer."""

    layout: Layout
    orbits: Layout
    used: list[tuple[UnitSymmetry, list[list[int]]]]
    refused: dict[str, str]

    def root(self, index: int) -> int:
        return self.orbits.find(index)


def analyse(graph: Graph, values: dict[str, np.ndarray]) -> Analysis:
    """Merge, for every permutable layer, the units whose moving slices are equal at the init."""
    shapes = {k: v.shape for k, v in graph.parameters.items()}
    layout, orbits = Layout(shapes), Layout(shapes)
    found, refused = symmetries(graph)
    used = []
    for symmetry in found:
        classes = unit_classes(graph, symmetry, values)
        for units in classes:
            if len(units) > 1:
                orbits.merge_units(symmetry, units)
        used.append((symmetry, classes))
    return Analysis(layout, orbits, used, refused)


def _layer_report(graph: Graph, analysis: Analysis) -> tuple[dict, list[str]]:
    layers, lines = {}, []
    by_layer = {s.layer: (s, classes) for s, classes in analysis.used}
    for op in graph.ops:
        if op.kind not in ("linear", "conv") or (op.module or op.name) in layers:
            continue
        layer = op.module or op.name
        units = graph.parameters[op.param("weight")].shape[0]
        unit = (
            ("channels" if op.kind == "conv" else "neurons")
            if units != 1
            else ("channel" if op.kind == "conv" else "neuron")
        )
        if layer in by_layer:
            effective = len(by_layer[layer][1])
            argument = "permutations of its units leave the loss unchanged"
        else:
            effective = units
            reason = analysis.refused.get(layer, "unknown")
            prefix = "not permutable" if _to_the_loss(reason) else "no unit permutation found"
            argument = f"{prefix}: {reason}"
        layers[layer] = {
            "units": units,
            "effective_width": effective,
            "unit": unit,
            "argument": argument,
        }
        label = _label(layer, op.kind)
        reason = analysis.refused.get(layer, "")
        lines.append(_layer_line(label, units, effective, unit, layer in by_layer, reason))
    return layers, lines


FLOAT_NOTE = (
    "the proof is about exact arithmetic: in floating point, identical units' sums can be "
    "rounded in different orders, which may drift them apart slowly over long runs (float32 "
    "far more than float64)"
)


def _unchecked(analysis: Analysis, reason: str) -> Analysis:
    """The analysis with no layer certified (after a failed re-check)."""
    refused = {s.layer: reason for s, _ in analysis.used} | dict(analysis.refused)
    return Analysis(analysis.layout, Layout(analysis.layout.shapes), [], refused)


def _label(layer: str, kind: str) -> str:
    """``fc1``, or ``layer 0 (Linear)`` for the numbered layers of an ``nn.Sequential``."""
    if layer.split(".")[-1].isdigit():
        return f"layer {layer} ({'Linear' if kind == 'linear' else 'Conv'})"
    return layer


def _layer_line(
    layer: str, units: int, effective: int, unit: str, permutable: bool, reason: str
) -> str:
    if not permutable and _to_the_loss(reason):
        return f"{layer}: {units} {unit}, not interchangeable: {reason}"
    if not permutable:
        return (
            f"{layer}: {units} {unit}, no permutation of its units alone is a symmetry "
            f"({reason}): nothing is claimed about them"
        )
    if effective == 1 and units > 1:
        return (
            f"{layer}: {units} {unit} behave as 1: they start identical, and swapping any two "
            f"leaves the loss unchanged, so they can never separate under {_optimizers()} "
            "(in exact arithmetic)"
        )
    return f"{layer}: {units} {unit} behave as at most {effective}"


def _to_the_loss(reason: str) -> bool:
    return reason.startswith("its units reach the loss directly")


def _optimizers() -> str:
    return ", ".join(OPTIMIZERS[:-1]) + " or " + OPTIMIZERS[-1]


def _method(analysis: Analysis) -> str:
    merged = [
        f"{_label(s.layer, 'linear' if s.unit_name == 'neurons' else 'conv')} "
        f"({sum(len(c) for c in classes if len(c) > 1)} of {s.units} {s.unit_name})"
        for s, classes in analysis.used
        if any(len(c) > 1 for c in classes)
    ]
    if not merged:
        return "no layer has interchangeable units at this init"
    return (
        "permutation of units: swapping equal units of " + ", ".join(merged) + " (with their "
        "bias entries and the next layer's columns or channels) leaves the traced computation "
        "unchanged and fixes the init, checked structurally on the graph"
    )


# ---------------------------------------------------------------- witnesses
def _points(model: TorchModel, count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Rational inputs and targets: the user's samples, else seeded dyadic rationals whose
    entries are pairwise distinct (the first input positive, so relu units are active)."""
    if model.samples:
        return [(x, y, f"sample {k}") for k, (x, y) in enumerate(model.samples)]
    graph = model.graph
    count = max(count, model.seeded)
    return [
        (
            _distinct(graph.input_shape, random.Random(seed + k), positive=k == 0),
            _target(graph, random.Random(seed + k + 1000)),
            f"seeded input {seed + k}",
        )
        for k in range(count)
    ]


def _distinct(shape: tuple[int, ...], rng: random.Random, positive: bool) -> np.ndarray:
    size = int(np.prod(shape))
    order = list(range(size))
    rng.shuffle(order)
    scale = 1 << max(size.bit_length() + 1, 3)
    numerators = [k + 1 for k in order] if positive else [2 * k - size + 1 for k in order]
    values = np.empty(size, dtype=object)
    for index, numerator in enumerate(numerators):
        values[index] = Fraction(numerator * 8, scale)
    return values.reshape(shape)


def _target(graph: Graph, rng: random.Random) -> np.ndarray:
    if graph.loss == "cross-entropy" and len(graph.target_shape) == 2:
        y = _filled(graph.target_shape, Fraction(0))
        for row in range(graph.target_shape[0]):
            y[row, rng.randrange(graph.target_shape[1])] = Fraction(1)
        return y
    return _distinct(graph.target_shape, rng, positive=False)


def _enclosure(value):
    return as_interval(value) if is_rational(value) else value


def _clusters(values: list) -> list[int]:
    """Cluster ids: values in different clusters are certainly different."""
    if all(is_rational(v) for v in values):
        ids: dict = {}
        return [ids.setdefault(v, len(ids)) for v in values]  # mpq and Fraction hash alike
    boxes = [_enclosure(v) for v in values]
    order = sorted(range(len(values)), key=lambda k: boxes[k].a)
    result, cluster, reach = [0] * len(values), -1, None
    for k in order:
        if reach is None or boxes[k].a > reach:
            cluster += 1
            reach = boxes[k].b
        else:
            reach = max(reach, boxes[k].b)
        result[k] = cluster
    return result


def _shown(value) -> sympy.Expr:
    if is_rational(value):
        value = as_fraction(value)
        return sympy.Rational(value.numerator, value.denominator)
    low, high = (exact_endpoint(end) for end in value._mpi_)
    if low == high:
        return sympy.Rational(low.numerator, low.denominator)
    return sympy.Interval(
        sympy.Float(sympy.Rational(low.numerator, low.denominator), 60),
        sympy.Float(sympy.Rational(high.numerator, high.denominator), 60),
    )


def _array_text(array: np.ndarray) -> str:
    return np.array2string(array, separator=", ", threshold=10**9, formatter={"all": str})


@dataclass
class Separation:
    """For tied sets of orbit representatives: which are certainly separated, with witnesses."""

    witnesses: list[SplitWitness] = field(default_factory=list)
    keys: dict[int, tuple] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def separate(
    model: TorchModel,
    values: dict[str, np.ndarray],
    candidates: list[list[int]],
    layout: Layout,
    steps: int,
    budget: Budget,
    first_only: bool = False,
) -> Separation:
    """Exact gradients at rational points (and after exact SGD steps) split the candidates."""
    found = Separation(keys={r: () for c in candidates for r in c})
    for x, y, label in _points(model, WITNESS_POINTS, seed=1):
        theta, grads = values, None
        for step in range(1, steps + 1):
            if budget.remaining() <= 0 or not _open(found, candidates):
                return found
            if grads is not None:
                theta = {k: _stepped(v, grads.get(k)) for k, v in theta.items()}
            try:
                _, grads = gradients(model.graph, theta, x, y)
            except Undecided as error:
                found.notes.append(f"{label}: {error} (tried the next input)")
                break
            _record(found, candidates, grads, layout, (x, y, label, step))
            if first_only and found.witnesses:
                return found
    return found


def _stepped(theta: np.ndarray, grad: np.ndarray | None) -> np.ndarray:
    """theta - eta * grad, exactly (in intervals when the gradient is an enclosure)."""
    if grad is None or not grad.size:
        return theta
    if all_rational(grad) and all_rational(theta):
        return theta - grad * ETA
    saved, iv.prec = iv.prec, BITS
    try:
        return intervals(theta) - intervals(grad) * as_interval(ETA)
    finally:
        iv.prec = saved


def _open(found: Separation, candidates: list[list[int]]) -> bool:
    return any(len({found.keys[r] for r in c}) < len(c) for c in candidates)


def _record(found, candidates, grads, layout, where) -> None:
    for candidate in candidates:
        tick("comparing exact gradients")
        values = [_gradient_at(grads, layout, r) for r in candidate]
        clusters = _clusters(values)
        before = {r: found.keys[r] for r in candidate}
        for r, c in zip(candidate, clusters):
            found.keys[r] = (*found.keys[r], c)
        first = candidate[0]
        for r, value in zip(candidate[1:], values[1:]):
            separated_now = found.keys[r] != found.keys[first] and before[r] == before[first]
            if separated_now and len(found.witnesses) < MAX_WITNESSES:
                found.witnesses.append(_witness(layout, first, r, values[0], value, where))


def _gradient_at(grads, layout: Layout, index: int):
    tensor, local = layout.entry(index)
    if tensor not in grads:
        return Fraction(0)
    return grads[tensor].reshape(-1)[local]


def _witness(layout, a, b, ga, gb, where) -> SplitWitness:
    x, y, label, step = where
    return SplitWitness(
        pair=(layout.name(a), layout.name(b)),
        point={"input": label, "x": _array_text(x), "y": _array_text(y)},
        gradients={layout.name(a): _shown(ga), layout.name(b): _shown(gb)},
        certified_by=(
            "exact rational arithmetic"
            if is_rational(ga) and is_rational(gb)
            else "200-bit interval arithmetic (disjoint enclosures)"
        ),
        steps=step,
        eta=sympy.Rational(ETA.numerator, ETA.denominator) if step > 1 else None,
    )


# ---------------------------------------------------------------- independent re-checks
class FloatModel:
    """A float64 copy of the model with its loss, for torch's own (independent) computations."""

    def __init__(self, model: TorchModel) -> None:
        import copy

        self.torch = require_torch()
        self.module = copy.deepcopy(model.graph.wrapped).double().eval()
        self.params = dict(self.module.model.named_parameters())
        self._cached: tuple[dict, dict] | None = None

    def load(self, values: dict[str, np.ndarray]) -> FloatModel:
        torch = self.torch
        if self._cached is None or self._cached[0] is not values:
            floats = {k: torch.from_numpy(np.asarray(v.astype(np.float64), dtype=np.float64))
                      for k, v in values.items()}  # fmt: skip
            self._cached = (values, floats)
        with torch.no_grad():
            for name, parameter in self.params.items():
                parameter.copy_(self._cached[1][name].reshape(parameter.shape))
        return self

    def loss(self, x, y) -> float:
        with self.torch.no_grad():
            return float(self.module(x, y))


def _float_point(torch, x: np.ndarray, y: np.ndarray):
    def tensor(a):
        return torch.tensor([float(v) for v in a.reshape(-1)], dtype=torch.float64).reshape(a.shape)

    return tensor(x), tensor(y)


def recheck_permutations(model: TorchModel, analysis: Analysis, seed: int = 7) -> str:
    """Torch's own float64 loss at a random point is unchanged by each merged unit swap."""
    torch = require_torch()
    rng = np.random.default_rng(seed)
    shapes = analysis.layout.shapes
    values = {k: rng.standard_normal(s) for k, s in shapes.items()}
    floats = FloatModel(model).load(values)
    x = torch.tensor(rng.standard_normal(model.graph.input_shape))
    y = torch.tensor(_float_target(model.graph, rng))
    reference = floats.loss(x, y)
    checked = 0
    for symmetry, classes in analysis.used:
        merged = next((c for c in classes if len(c) > 1), None)
        if merged is None:
            continue
        tick("re-checking a permutation")
        value = floats.load(_swap(values, symmetry, merged[0], merged[1], shapes)).loss(x, y)
        if abs(value - reference) > 1e-9 * (1 + abs(reference)):
            return (
                f"failed: swapping units {merged[0]} and {merged[1]} of {symmetry.layer} "
                f"changes torch's loss ({reference!r} vs {value!r})"
            )
        checked += 1
    return f"torch's float64 loss is unchanged by {checked} unit swap{'s' if checked != 1 else ''}"


def _float_target(graph: Graph, rng) -> np.ndarray:
    if graph.loss == "cross-entropy" and len(graph.target_shape) == 2:
        target = np.zeros(graph.target_shape)
        target[
            np.arange(graph.target_shape[0]),
            rng.integers(0, graph.target_shape[1], graph.target_shape[0]),
        ] = 1
        return target
    return rng.standard_normal(graph.target_shape)


def _swap(values, symmetry: UnitSymmetry, u: int, v: int, shapes) -> dict:
    swapped = {k: a.copy() for k, a in values.items()}
    for piece in symmetry.slices:
        flat = swapped[piece.name].reshape(-1)
        first = piece.indices(shapes[piece.name], u)
        second = piece.indices(shapes[piece.name], v)
        flat[first], flat[second] = flat[second].copy(), flat[first].copy()
    return swapped


def recheck_witness(floats: FloatModel, values, witness: SplitWitness, x, y) -> bool:
    """torch's autograd (float64, same steps) agrees with the exact gradients of the witness."""
    torch = floats.torch
    floats.load(values)
    tx, ty = _float_point(torch, x, y)
    for _ in range(witness.steps):
        floats.module.zero_grad()
        floats.module(tx, ty).backward()
        last = {k: p.grad.clone() for k, p in floats.params.items() if p.grad is not None}
        with torch.no_grad():
            for p in floats.params.values():
                if p.grad is not None:
                    p -= float(ETA) * p.grad
    for name, exact_value in witness.gradients.items():
        tensor, index = re.match(r"(.+)\[(.*)\]\Z", name).groups()
        position = tuple(int(i) for i in index.split(","))
        measured = float(last[tensor][position]) if tensor in last else 0.0
        expected = float(_centre(exact_value))
        if not (math.isfinite(measured) and math.isfinite(expected)):
            return False  # torch's float64 overflows here: nothing to re-check against
        if abs(measured - expected) > 1e-6 * (1 + abs(expected)):
            return False
    return True


def _centre(value: sympy.Expr) -> sympy.Expr:
    if isinstance(value, sympy.Interval):
        return (value.start + value.end) / 2
    return value


# ---------------------------------------------------------------- the verdicts
@dataclass
class _Setup:
    values: dict[str, np.ndarray]
    init_text: str
    groups: list[list[int]]
    analysis: Analysis
    named: bool = False


def _setup(model: TorchModel, init, ties) -> _Setup:
    if not isinstance(model, TorchModel):
        raise ProblemError("expected a model from symgrad.from_torch(...)")
    values, init_text = initial_values(model, init)
    layout = Layout({k: v.shape for k, v in values.items()})
    if ties:
        groups = tie_groups(ties, values, layout)
        init_text += " with the ties " + "; ".join(str(t)[:60] for t in ties)
    else:
        groups = start_classes(values, layout)
    return _Setup(values, init_text, groups, analyse(model.graph, values), named=bool(ties))


def _split_groups(setup: _Setup) -> list[list[int]]:
    """Per tie group that spans several orbits, one representative of each orbit; groups that
    follow a pattern (the same units tied in many entries, as a duplicated row) come first."""
    split = []
    for group in setup.groups:
        representatives: dict[int, int] = {}
        for index in group:
            representatives.setdefault(setup.analysis.root(index), index)
        if len(representatives) > 1:
            split.append(_interleaved(setup.analysis.layout, list(representatives.values())))
    pattern = {id(c): _units(setup.analysis.layout, c) for c in split}
    counts = Counter(pattern.values())
    return sorted(split, key=lambda c: (-len(c), -counts[pattern[id(c)]]))


def _interleaved(layout: Layout, representatives: list[int]) -> list[int]:
    """Representatives taken from each tensor in turn (so witnesses cover every tensor)."""
    by_tensor: dict[str, list[int]] = {}
    for index in representatives:
        by_tensor.setdefault(layout.entry(index)[0], []).append(index)
    queues = list(by_tensor.values())
    if not queues:
        return []
    return [q[k] for k in range(max(map(len, queues))) for q in queues if k < len(q)]


def _units(layout: Layout, candidate: list[int]) -> tuple:
    """The (tensor, first index) of each entry: the units a tie joins."""
    units = []
    for index in candidate:
        tensor, local = layout.entry(index)
        shape = layout.shapes[tensor]
        units.append((tensor, local // int(np.prod(shape[1:])) if len(shape) > 1 else local))
    return tuple(units)


def _lone_pairs(setup: _Setup, split: list[list[int]]) -> int:
    """Tie groups of two entries that share their units with no other group: equal by chance."""
    pattern = [_units(setup.analysis.layout, c) for c in split]
    counts = Counter(pattern)
    return sum(1 for c, p in zip(split, pattern) if len(c) == 2 and counts[p] == 1)


def _checked_witnesses(model, setup, separation, points) -> tuple[list[SplitWitness], int]:
    kept, dropped = [], 0
    if not separation.witnesses:
        return kept, dropped
    floats = FloatModel(model)
    by_label = {label: (x, y) for x, y, label in points}
    for witness in separation.witnesses:
        tick("re-checking a witness")
        x, y = by_label[witness.point["input"]]
        if recheck_witness(floats, setup.values, witness, x, y):
            kept.append(witness)
        else:
            dropped += 1
    return kept, dropped


@binds_timeout
def prove_torch(
    model: TorchModel,
    init: str | None = None,
    ties: Sequence[str] | None = None,
    steps: int = 3,
    timeout: float = 60.0,
) -> ModelProofResult:
    """Do the tie groups of the model (equal initial entries, or ``ties``) stay equal forever?"""
    budget = Budget(timeout)
    setup = _setup(model, init, ties)
    if not setup.groups:
        raise TieError(
            "nothing is tied: every parameter entry of the model starts with its own value; "
            "name ties with --tie fc1.weight[0]=fc1.weight[1] or use --init constant"
        )
    check = recheck_permutations(model, setup.analysis)
    failed = check.startswith("failed")
    if failed:
        setup.analysis = _unchecked(setup.analysis, "the permutation re-check failed")
    layers, _ = _layer_report(model.graph, setup.analysis)
    common = dict(
        model=model.describe(),
        init=setup.init_text,
        groups=len(setup.groups),
        entries=sum(len(g) for g in setup.groups),
        layers=layers,
        notes=tuple(model.graph.notes) + ((check,) if failed else ()),
    )
    split = _split_groups(setup)
    if not split:
        return ModelProofResult(
            verdict="proven",
            method=_method(setup.analysis),
            certificate=check,
            optimizers=OPTIMIZERS,
            elapsed_s=round(budget.elapsed(), 4),
            **{**common, "notes": common["notes"] + (FLOAT_NOTE,)},
        )
    return _refute(model, setup, split, steps, budget, common)


def _refute(model, setup, split, steps, budget, common) -> ModelProofResult:
    points = _points(model, WITNESS_POINTS, seed=1)
    separation = separate(
        model, setup.values, split, setup.analysis.layout, steps, budget, first_only=True
    )
    witnesses, dropped = _checked_witnesses(model, setup, separation, points)
    notes = list(common.pop("notes")) + separation.notes
    lone = _lone_pairs(setup, split) if not setup.named else 0
    if lone:
        notes.append(
            f"{lone} tie group(s) are lone pairs of entries that are equal by chance (float "
            "values that happen to coincide); they count as ties: name the ties you mean with "
            "--tie (e.g. fc1.weight[3]=fc1.weight[5]) to ask about those only"
        )
    if dropped:
        notes.append(f"{dropped} witness(es) dropped: torch's autograd disagreed")
    if witnesses:
        witness = witnesses[0]
        why = _why_units_differ(model.graph, setup, witness)
        if why:
            notes.insert(0, why)
        return ModelProofResult(
            verdict="refuted",
            method="exact witness: two tied entries have different gradients",
            witness=witness,
            certificate="torch's float64 autograd agrees with the exact gradients",
            notes=tuple(notes),
            elapsed_s=round(budget.elapsed(), 4),
            **common,
        )
    names = [setup.analysis.layout.name(r) for r in split[0][:2]]
    return ModelProofResult(
        verdict="unknown",
        method="",
        reason=(
            f"{' and '.join(names)} start equal but no permutation of units maps one to the other, "
            f"and their exact gradients agree at the inputs tried ({steps} step(s) each)"
        ),
        notes=tuple(notes),
        elapsed_s=round(budget.elapsed(), 4),
        **common,
    )


def _why_units_differ(graph: Graph, setup: _Setup, witness: SplitWitness) -> str:
    """For a witness pair in two units of one layer: the parameters in which those units differ."""
    layout = setup.analysis.layout
    entries = [re.match(r"(.+)\[(\d+)", name) for name in witness.pair]
    if not all(entries) or entries[0].group(1) != entries[1].group(1):
        return ""
    tensor, (u, v) = entries[0].group(1), (int(e.group(2)) for e in entries)
    for symmetry, _ in setup.analysis.used:
        if symmetry.slices[0].name != tensor or u == v:
            continue
        for piece in symmetry.slices:
            flat = setup.values[piece.name].reshape(-1)
            first = flat[piece.indices(layout.shapes[piece.name], u)]
            second = flat[piece.indices(layout.shapes[piece.name], v)]
            if list(first) != list(second):
                role = "outgoing weights" if piece.name != tensor and piece.axis == 1 else "values"
                return (
                    f"units {u} and {v} of {symmetry.layer} are not interchangeable: their "
                    f"{role} in {piece.name} differ, so their gradients differ"
                )
    return ""


@binds_timeout
def collapse_torch(
    model: TorchModel,
    init: str | None = None,
    ties: Sequence[str] | None = None,
    steps: int = 3,
    timeout: float = 60.0,
) -> CollapseResult:
    """The groups of entries that provably stay equal forever, per layer, with split witnesses."""
    budget = Budget(timeout)
    setup = _setup(model, init, ties)
    check = recheck_permutations(model, setup.analysis)
    if check.startswith("failed"):
        setup.analysis = _unchecked(setup.analysis, "the permutation re-check failed")
    layout, analysis = setup.analysis.layout, setup.analysis
    groups = analysis.orbits.groups()
    layers, lines = _layer_report(model.graph, analysis)
    witnesses, notes = _collapse_witnesses(model, setup, steps, budget)
    verdict = "unknown" if check.startswith("failed") else "proven"
    return CollapseResult(
        groups=tuple(tuple(layout.names(g)) for g in groups),
        effective_width=[v["effective_width"] for v in layers.values()],
        widths=[v["units"] for v in layers.values()],
        method=_method(analysis) if groups else "nothing is tied beyond single entries",
        stationary=None,
        witnesses=tuple(witnesses),
        model=model.describe(),
        notes=tuple(model.graph.notes) + tuple(notes) + ((FLOAT_NOTE,) if groups else ()),
        verdict=verdict,
        reason=check if verdict == "unknown" else "",
        layers=layers,
        certificate=check,
        names={str(k): name for k, name in enumerate(layers, 1)},
        layer_lines=tuple(lines),
        elapsed_s=round(budget.elapsed(), 4),
    )


def _collapse_witnesses(model, setup, steps, budget) -> tuple[list[SplitWitness], list[str]]:
    split = _split_groups(setup)
    if not split:
        return [], []
    share = budget.share(0.6, floor=0.05)
    try:
        separation = separate(model, setup.values, split, setup.analysis.layout, steps, share)
    except BudgetError:
        return [], ["the search for split witnesses ran out of its share of the budget"]
    points = _points(model, WITNESS_POINTS, seed=1)
    witnesses, dropped = _checked_witnesses(model, setup, separation, points)
    notes = list(separation.notes)
    pending = sum(len(c) - len({separation.keys[r] for r in c}) for c in split)
    total = sum(len(c) - 1 for c in split)
    if pending:
        notes.append(
            f"{pending} of {total} groups that start equal with another group were not shown to "
            "separate (their exact gradients agree at the inputs tried): they may stay equal "
            "for a reason other than a permutation of units"
        )
    else:
        notes.append(
            f"no coarser grouping persists: of the {total + len(split)} groups that start equal "
            "with others, every two are certified to separate (their exact gradients differ)"
        )
    if dropped:
        notes.append(f"{dropped} witness(es) dropped: torch's autograd disagreed")
    return witnesses, notes


# ---------------------------------------------------------------- simulation
def simulate_torch(
    model: TorchModel,
    init: str | None = None,
    steps: int = 100,
    lr: float = 0.1,
    seed: int = 0,
    optimizer: str = "sgd",
    rows: int = 4,
    progress: Callable[[int], None] | None = None,
    timeout: float = 600.0,
) -> Trajectory:
    """Train a float64 copy with torch (SGD or Adam, full batch over the samples) and record the
    spread within each group of equal initial entries."""
    budget = Budget(timeout)
    if optimizer not in ("sgd", "adam"):
        raise ProblemError(f"optimizer={optimizer!r}: use sgd or adam")
    values, init_text = initial_values(model, init)
    layout = Layout({k: v.shape for k, v in values.items()})
    classes = start_classes(values, layout)
    proven = [np.asarray(g) for g in analyse(model.graph, values).orbits.groups()]
    floats = FloatModel(model).load(values)
    torch, module = floats.torch, floats.module
    data = _float_samples(torch, model, rows, seed)
    params = list(module.model.parameters())
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(params, lr=float(lr))
    shown = _tracked(proven, classes, layout)
    recorded, spreads, equal, record_steps, within = [], [], [], [], 0.0
    diverged = None
    for step in range(steps + 1):
        if step in _record_steps(steps):
            flat = torch.cat([p.detach().reshape(-1) for p in params]).numpy()
            if not np.isfinite(flat).all():
                diverged = step
                break
            spread = max((float(np.ptp(flat[c])) for c in classes), default=0.0)
            within = max([within] + [float(np.ptp(flat[g])) for g in proven])
            record_steps.append(step)
            recorded.append(tuple(float(flat[i]) for i in shown))
            spreads.append(spread)
            equal.append(spread == 0.0)
        if step == steps:
            break
        budget.check("simulating")
        opt.zero_grad()
        sum(module(x, y) for x, y in data).backward()
        opt.step()
        if progress:
            progress(1)
    return Trajectory(
        model=model.describe(),
        parameters=tuple(layout.name(i) for i in shown),
        groups=tuple(tuple(layout.name(i) for i in c[:50]) for c in classes[:50]),
        steps=tuple(record_steps),
        values=tuple(recorded),
        max_difference=tuple(spreads),
        exactly_equal=tuple(equal),
        hidden=(),
        lr=lr,
        exact=False,
        rows=len(data),
        init=init_text,
        notes=(
            f"torch {optimizer} in float64 from {init_text}",
            f"within the {len(proven)} groups that collapse proves stay equal, the largest "
            f"difference over the run is {within:.3g} (float64 rounding, which can grow "
            "slowly over long runs)",
        )
        + (
            (f"the run diverged: parameters are NaN or infinite at step {diverged}; lower --lr",)
            if diverged is not None
            else ()
        ),
    )


def _tracked(proven: list, classes: list, layout: Layout) -> list[int]:
    """Entries to record: two of one proven group, and one of each other group from every
    tensor in turn (so the table shows what stays together and what separates)."""
    groups = [list(g) for g in proven] or [list(c) for c in classes]
    if not groups:
        return []
    picked = [int(i) for i in groups[0][:2]]
    firsts = _interleaved(layout, [int(g[0]) for g in groups[1:]])
    return picked + firsts[:6]


def _record_steps(steps: int) -> set[int]:
    return {0, steps} | {round(steps * k / 10) for k in range(1, 10)}


def _float_samples(torch, model: TorchModel, rows: int, seed: int):
    if model.samples:
        return [_float_point(torch, x, y) for x, y in model.samples]
    if model.seeded != WITNESS_POINTS:
        rows = model.seeded
    rng = np.random.default_rng(seed)
    return [
        (
            torch.tensor(rng.standard_normal(model.graph.input_shape)),
            torch.tensor(_float_target(model.graph, rng)),
        )
        for _ in range(rows)
    ]


__all__ = [
    "TorchModel",
    "collapse_torch",
    "from_torch",
    "prove_torch",
    "simulate_torch",
    "load_model",
]


# ---------------------------------------------------------------- the user's model file
def load_model(
    spec: str,
    input_shape: Sequence[int],
    loss: str = "mse",
    target_shape: Sequence[int] | None = None,
) -> TorchModel:
    """Build the model with ``FACTORY()`` from ``FILE.py:FACTORY``.

    This runs the user's own file (and only that file): it is their model. Anything it
    raises is reported as bad input with its cause.
    """
    import importlib.util
    from pathlib import Path

    path_text, _, factory = str(spec).rpartition(":")
    if not path_text or not factory.isidentifier():
        raise ProblemError(
            f"--torch {spec[:80]!r}: write FILE.py:FACTORY, e.g. model.py:make_model"
        )
    path = Path(path_text)
    if path.suffix != ".py" or not path.is_file():
        raise ProblemError(f"--torch: {path_text[:80]} is not a Python file (.py) that exists")
    require_torch()
    module_spec = importlib.util.spec_from_file_location(f"symgrad_user_model_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    _user_code(f"running {path.name}", lambda: module_spec.loader.exec_module(module))
    build = getattr(module, factory, None)
    if not callable(build):
        names = [n for n in vars(module) if callable(vars(module)[n]) and not n.startswith("_")]
        raise ProblemError(f"{path.name} has no function {factory}{did_you_mean(factory, names)}")
    model = _user_code(f"{factory}()", build)
    return from_torch(model, tuple(input_shape), loss, None, target_shape, name=factory)


def _user_code(what: str, run: Callable[[], object]) -> object:
    try:
        return run()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - the user's code may raise anything
        message = str(error).splitlines()[0][:160] if str(error) else ""
        raise ProblemError(f"{what} raised {type(error).__name__}: {message}") from None
