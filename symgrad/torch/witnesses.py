"""Separation witnesses: two tied entries whose exact gradients (rationals, or 200-bit enclosures) differ at a rational input."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy

from symgrad.results import SplitWitness
from symgrad.runtime.budget import Budget, tick
from symgrad.torch.exact_tensor import (
    Undecided,
    all_rational,
    as_interval,
    enclosure_bounds,
    fast_rationals,
    gradients,
    interval_method,
    intervals,
    is_rational,
    shown,
    working_precision,
)
from symgrad.torch.graph import Graph
from symgrad.torch.models import (
    ETA,
    MAX_WITNESSES,
    WITNESS_POINTS,
    Layout,
    TorchModel,
    filled,
)


def witness_points(
    model: TorchModel, count: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Rational inputs and targets: the user's samples, else seeded dyadic rationals whose
    entries are pairwise distinct (the first input positive, so relu units are active);
    integer inputs (embedding indices) and class targets are drawn from their ranges."""
    if model.samples:
        return [(x, y, f"sample {k}") for k, (x, y) in enumerate(model.samples)]
    graph = model.graph
    count = max(count, model.seeded, _mask_points(graph))
    return [
        (
            _input(graph, random.Random(seed + k), positive=k == 0),
            _target(graph, random.Random(seed + k + 1000)),
            f"seeded input {seed + k}",
        )
        for k in range(count)
    ]


def _input(graph: Graph, rng: random.Random, positive: bool) -> np.ndarray:
    if graph.input_kind == "index":
        low, high = graph.input_range or (0, 2)
        return _integers(graph.input_shape, rng, low, high)
    return _distinct(graph.input_shape, rng, positive)


def _integers(shape, rng: random.Random, low: int, high: int) -> np.ndarray:
    size = int(np.prod(shape))
    choices = list(range(low, high))
    rng.shuffle(choices)
    values = np.empty(size, dtype=object)
    for index in range(size):
        values[index] = choices[index % len(choices)]
    return values.reshape(shape)


def _distinct(shape: tuple[int, ...], rng: random.Random, positive: bool) -> np.ndarray:
    size = int(np.prod(shape))
    order = list(range(size))
    rng.shuffle(order)
    scale = 1 << max(size.bit_length() + 1, 3)
    # signed values whose sum is not 0 (a mean over the batch of zero-sum targets would make
    # an output bias's gradient vanish by accident)
    numerators = [k + 1 for k in order] if positive else [2 * k - size + 2 for k in order]
    values = np.empty(size, dtype=object)
    for index, numerator in enumerate(numerators):
        values[index] = Fraction(numerator * 8, scale)
    return values.reshape(shape)


def _classes(graph: Graph) -> int:
    for op in graph.ops:
        if op.kind == "cross_entropy":
            return graph.shapes[op.inputs[0]][-1]
    return 2


def _target(graph: Graph, rng: random.Random) -> np.ndarray:
    if graph.target_kind == "none":
        target = np.empty((), dtype=object)
        target[()] = Fraction(0)
        return target
    if graph.target_kind == "index":
        return _integers(graph.target_shape, rng, 0, _classes(graph))
    if graph.loss == "cross-entropy" and len(graph.target_shape) == 2:
        y = filled(graph.target_shape, Fraction(0))
        for row in range(graph.target_shape[0]):
            y[row, rng.randrange(graph.target_shape[1])] = Fraction(1)
        return y
    return _distinct(graph.target_shape, rng, positive=False)


def _mask_points(graph: Graph) -> int:
    """Enough points that every two units of a dropout mask are dropped apart at one of them."""
    if not graph.random:
        return 0
    size = max(int(np.prod(graph.shapes[op.name])) for op in graph.random)
    return min(8, max(2, (size + 1).bit_length()))


def point_masks(graph: Graph, label: str) -> dict[str, np.ndarray]:
    """The dropout masks that go with a witness point (dropout in train mode): at the k-th
    point, unit i is kept when bit k of i + 1 is set, so any two units are kept apart at some
    point (each mask has probability > 0; unit 0 of the first point is always kept)."""
    masks = {}
    last = label.rsplit(" ", 1)[-1]
    index = int(last) - 1 if last.isdigit() else 0
    for op in graph.random:
        shape = graph.shapes[op.name]
        codes = np.arange(1, int(np.prod(shape)) + 1)
        keep = (codes >> (max(index, 0) % 8)) & 1
        masks[op.name] = keep.astype(object).reshape(shape)
    return masks


def _clusters(values: list) -> list[int]:
    """Cluster ids: values in different clusters are certainly different."""
    if all(is_rational(v) for v in values):
        ids: dict = {}
        return [ids.setdefault(v, len(ids)) for v in values]  # mpq and Fraction hash alike
    boxes = [enclosure_bounds(v) for v in values]
    order = sorted(range(len(values)), key=lambda k: boxes[k][0])
    result, cluster, reach = [0] * len(values), -1, None
    for k in order:
        low, high = boxes[k]
        if reach is None or low > reach:
            cluster += 1
            reach = high
        else:
            reach = max(reach, high)
        result[k] = cluster
    return result


def _array_text(array: np.ndarray) -> str:
    return np.array2string(array, separator=", ", threshold=10**9, formatter={"all": str})


@dataclass
class Separation:
    """For tied sets of orbit representatives: which are certainly separated, with witnesses."""

    witnesses: list[SplitWitness] = field(default_factory=list)
    keys: dict[int, tuple] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    used: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)


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
    values = {k: fast_rationals(v) for k, v in values.items()}  # once, not per pass
    for x, y, label in witness_points(model, WITNESS_POINTS, seed=1):
        theta, grads = values, None
        for step in range(1, steps + 1):
            if budget.remaining() <= 0 or not _open(found, candidates):
                return found
            if grads is not None:
                theta = {k: _stepped(v, grads.get(k)) for k, v in theta.items()}
            try:
                _, grads = gradients(model.graph, theta, x, y, point_masks(model.graph, label))
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
    with working_precision():
        return intervals(theta) - intervals(grad) * as_interval(ETA)


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
        x, y, label, step = where
        used = found.used.setdefault((label, step), {})
        for r, value in zip(candidate, values):
            used[layout.name(r)] = value
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
        gradients={layout.name(a): shown(ga), layout.name(b): shown(gb)},
        certified_by=(
            "exact rational arithmetic"
            if is_rational(ga) and is_rational(gb)
            else interval_method("disjoint enclosures")
        ),
        steps=step,
        eta=sympy.Rational(ETA.numerator, ETA.denominator) if step > 1 else None,
    )
