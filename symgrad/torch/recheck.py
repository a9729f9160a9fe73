"""Independent re-checks in torch's own float64: the permutations leave the forward pass
unchanged, and autograd agrees with each exact witness.

Both run the user's own module (a float64 copy, in the model's own mode), not the
traced graph: they check the tracing as well as the exact arithmetic. A dropout
layer in train mode is given the witness's mask (``torch.nn.functional.dropout`` is
replaced by the mask for the duration of the re-check).
"""

from __future__ import annotations

import contextlib
import math
import re

import numpy as np
import sympy

from symgrad.results import SplitWitness
from symgrad.runtime.budget import tick
from symgrad.torch.exact_numbers import as_floats, centre, is_interval
from symgrad.torch.graph import Graph, require_torch
from symgrad.torch.models import ETA, Analysis, TorchModel
from symgrad.torch.symmetry import swapped


@contextlib.contextmanager
def one_thread():
    """torch on one thread for the small float64 runs here (a thread pool costs far more than
    it saves on small tensors, and the host may be busy); the caller's setting is restored."""
    torch = require_torch()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class FloatModel:
    """A float64 copy of the model with its loss, for torch's own (independent) computations."""

    def __init__(self, model: TorchModel) -> None:
        import copy

        self.torch = require_torch()
        self.graph = model.graph
        self.module = copy.deepcopy(model.graph.wrapped).double()
        self.module.train(model.graph.training)
        self.params = dict(self.module.model.named_parameters())
        self._cached: tuple[dict, dict] | None = None

    def load(self, values: dict[str, np.ndarray]) -> FloatModel:
        torch = self.torch
        if self._cached is None or self._cached[0] is not values:
            floats = {k: torch.from_numpy(as_floats(v)) for k, v in values.items()}
            self._cached = (values, floats)
        with torch.no_grad():
            for name, parameter in self.params.items():
                if name in self._cached[1]:
                    parameter.copy_(self._cached[1][name].reshape(parameter.shape))
        return self

    def loss(self, x, y, masks=None) -> float:
        with self.torch.no_grad(), self.masked(masks):
            return float(self.module(x, y))

    @contextlib.contextmanager
    def masked(self, masks):
        """Dropout draws the given masks (in the order the graph calls it)."""
        if not self.graph.random:
            yield
            return
        functional = self.torch.nn.functional
        original = functional.dropout
        queue = [self.torch.tensor(np.asarray(m, dtype=np.float64)) for m in (masks or {}).values()]

        def fixed(input, p=0.5, training=True, inplace=False):
            if not training or p == 0:
                return input
            if not queue:
                raise RuntimeError("more dropout calls than masks")
            return input * queue.pop(0).reshape(input.shape) / (1 - p)

        functional.dropout = fixed
        try:
            yield
        finally:
            functional.dropout = original


def float_point(torch, x: np.ndarray, y: np.ndarray, graph: Graph | None = None):
    def tensor(a, integer):
        values = [int(v) if integer else float(v) for v in np.asarray(a, dtype=object).reshape(-1)]
        dtype = torch.long if integer else torch.float64
        return torch.tensor(values, dtype=dtype).reshape(np.shape(a))

    index_x = graph is not None and graph.input_kind == "index"
    index_y = graph is not None and graph.target_kind == "index"
    return tensor(x, index_x), tensor(y, index_y)


def random_point(torch, graph: Graph, rng):
    """A float input and target for a re-check (integers in range for indices)."""
    if graph.input_kind == "index":
        low, high = graph.input_range or (0, 2)
        x = torch.tensor(rng.integers(low, high, graph.input_shape))
    else:
        x = torch.tensor(rng.standard_normal(graph.input_shape))
    return x, torch.tensor(float_target(graph, rng))


def recheck_permutations(model: TorchModel, analysis: Analysis, seed: int = 7) -> str:
    """Torch's own float64 loss at a random point is unchanged by each merged unit swap."""
    torch = require_torch()
    rng = np.random.default_rng(seed)
    shapes = analysis.layout.shapes
    values = {k: rng.standard_normal(s) for k, s in shapes.items()}
    floats = FloatModel(model).load(values)
    x, y = random_point(torch, model.graph, rng)
    masks = _ones(model.graph)
    reference = floats.loss(x, y, masks)
    checked = 0
    for symmetry, classes in analysis.used:
        merged = next((c for c in classes if len(c) > 1), None)
        if merged is None:
            continue
        tick("re-checking a permutation")
        moved = swapped(analysis.found, symmetry, values, merged[0], merged[1])
        value = floats.load(moved).loss(x, y, masks)
        if not math.isclose(value, reference, rel_tol=1e-9, abs_tol=1e-9):
            layers = ", ".join(symmetry.layers)
            return (
                f"failed: swapping units {merged[0]} and {merged[1]} of {layers} "
                f"changes torch's loss ({reference!r} vs {value!r})"
            )
        checked += 1
    return f"torch's float64 loss is unchanged by {checked} unit swap{'s' if checked != 1 else ''}"


def _ones(graph: Graph) -> dict[str, np.ndarray]:
    return {op.name: np.ones(graph.shapes[op.name]) for op in graph.random}


def float_target(graph: Graph, rng) -> np.ndarray:
    if graph.target_kind == "none":
        return np.zeros(())
    if graph.target_kind == "index":
        from symgrad.torch.witnesses import _classes

        return rng.integers(0, _classes(graph), graph.target_shape)
    if graph.loss == "cross-entropy" and len(graph.target_shape) == 2:
        target = np.zeros(graph.target_shape)
        target[
            np.arange(graph.target_shape[0]),
            rng.integers(0, graph.target_shape[1], graph.target_shape[0]),
        ] = 1
        return target
    return rng.standard_normal(graph.target_shape)


def recheck_witness(floats: FloatModel, values, witness: SplitWitness, x, y, masks=None) -> bool:
    """torch's autograd (float64, same steps) agrees with the exact gradients of the witness."""
    return recheck_gradients(floats, values, witness.gradients, witness.steps, x, y, masks)


def recheck_gradients(floats: FloatModel, values, exact: dict, steps: int, x, y, masks=None):
    """torch's autograd (float64, after steps - 1 SGD steps) agrees with every exact gradient
    in ``exact`` (entry name -> value: a rational, an interval or their sympy forms)."""
    torch = floats.torch
    floats.load(values)
    tx, ty = float_point(torch, x, y, floats.graph)
    last = {}
    for _ in range(steps):
        floats.module.zero_grad()
        with floats.masked(masks):
            floats.module(tx, ty).backward()
        last = {k: p.grad.clone() for k, p in floats.params.items() if p.grad is not None}
        with torch.no_grad():
            for p in floats.params.values():
                if p.grad is not None and p.requires_grad:
                    p -= float(ETA) * p.grad
    for name, exact_value in exact.items():
        tensor, index = re.match(r"(.+)\[(.*)\]\Z", name).groups()
        position = tuple(int(i) for i in index.split(",") if i.strip())
        measured = float(last[tensor][position]) if tensor in last else 0.0
        expected = float(_centre(exact_value))
        if not (math.isfinite(measured) and math.isfinite(expected)):
            return False  # torch's float64 overflows here: nothing to re-check against
        if abs(measured - expected) > 1e-6 * (1 + abs(expected)):
            return False
    return True


def _centre(value):
    if isinstance(value, sympy.Interval):
        return (value.start + value.end) / 2
    if is_interval(value):
        return centre(value)
    return value
