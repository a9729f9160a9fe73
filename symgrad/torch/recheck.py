"""Independent re-checks in torch's own float64: the permutations leave the forward pass unchanged, and autograd agrees with each exact witness."""

from __future__ import annotations

import math
import re

import numpy as np
import sympy

from symgrad.results import SplitWitness
from symgrad.runtime.budget import tick
from symgrad.torch.graph import Graph, require_torch
from symgrad.torch.models import (
    ETA,
    Analysis,
    TorchModel,
)
from symgrad.torch.symmetry import UnitSymmetry


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


def float_point(torch, x: np.ndarray, y: np.ndarray):
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
    y = torch.tensor(float_target(model.graph, rng))
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


def float_target(graph: Graph, rng) -> np.ndarray:
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
    tx, ty = float_point(torch, x, y)
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
