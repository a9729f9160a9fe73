"""Exact forward and backward passes over a traced graph, for witnesses.

Tensors are numpy arrays of Python objects: exact rationals (``Fraction`` or gmpy2
``mpq``) for networks that keep rationals rational, 200-bit enclosures (Arb balls, or
mpmath intervals without python-flint) where a transcendental function appears. A comparison an interval cannot decide
(``relu`` at an enclosure that contains 0, a max-pool tie between overlapping
enclosures) raises :class:`Undecided`, so no value is ever guessed. PyTorch's
conventions are kept (relu'(0) = 0, the first maximal entry of a max-pool window
takes the gradient, ``minimum``/``maximum`` split a tie's gradient in halves).

The arithmetic sits behind a few small functions (:func:`as_interval`,
:func:`sign`, :func:`interval_function`, :func:`hull`, :func:`enclosure_ends`) of
:mod:`symgrad.torch.exact_numbers`, which picks the interval engine; the rules per operation are
in :mod:`symgrad.torch.exact_ops` and :mod:`symgrad.torch.exact_layers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from symgrad.errors import ProblemError
from symgrad.runtime.budget import tick
from symgrad.torch.exact_layers import BACKWARD, FORWARD
from symgrad.torch.exact_numbers import (  # noqa: F401 - re-exported for the bridge's users
    BITS,
    RATIONALS,
    Undecided,
    all_rational,
    apply,
    as_array,
    as_fraction,
    as_interval,
    centre,
    compare,
    enclosure_bounds,
    enclosure_ends,
    fast_rationals,
    greater,
    hull,
    interval_function,
    interval_method,
    intervals,
    is_rational,
    rational,
    scalar_array,
    shown,
    sign,
    split_enclosures,
    working_precision,
)
from symgrad.torch.graph import Graph, Op


# ---------------------------------------------------------------- the passes
class Pass:
    """One forward pass (values and what the backward pass needs), then gradients.

    ``masks`` gives, per dropout op, the mask of this pass (1 keeps a unit, 0 drops it):
    a dropout mask is data, chosen with the witness.
    """

    def __init__(
        self,
        graph: Graph,
        parameters: Mapping[str, np.ndarray],
        interval: bool,
        masks: Mapping[str, np.ndarray] | None = None,
    ):
        self.graph = graph
        self.interval = interval
        self.parameters = {k: (intervals(v) if interval else v) for k, v in parameters.items()}
        self.values: dict[str, np.ndarray] = {}
        self.saved: dict[str, object] = {}
        self.absolute = False
        self.seed_radius: tuple[str, np.ndarray] | None = None
        self.masks = dict(masks or {})

    def number(self, value):
        return as_interval(value) if self.interval else value

    def numbers(self, array: np.ndarray) -> np.ndarray:
        return intervals(array) if self.interval else array

    def forward(self, x: np.ndarray, y: np.ndarray):
        if self.interval and self.graph.input_kind == "float":
            x = intervals(x)
        if self.interval and self.graph.target_kind != "index":
            y = intervals(y)
        data = {"x": x, "y": y}
        for op in self.graph.ops:
            tick("exact forward pass")
            if op.kind == "input":
                value = data[op.attr("which")]
            elif op.kind == "param":
                value = self.parameters[op.attr("name")]
            elif op.kind == "const":
                value = self.numbers(op.attr("value"))
            else:
                value = _rule(FORWARD, op)(self, op, [self.values[s] for s in op.inputs])
            self.values[op.name] = as_array(value)
        loss = self.values[self.graph.output.name]
        if loss.size != 1:
            raise ProblemError("the loss must be a single number (reduction 'mean' or 'sum')")
        return loss.reshape(-1)[0]

    def backward(self, seeds: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """dJ/dθ for every parameter tensor (after :meth:`forward`); with ``seeds``, the
        backward pass of those node gradients instead of the loss's."""
        grads: dict[str, np.ndarray] = dict(seeds or {})
        if seeds is None:
            output = self.graph.output
            seed = np.empty(self.values[output.inputs[0]].shape, dtype=object)
            seed.fill(rational(1))
            grads[output.inputs[0]] = self.numbers(seed)
        parameter_grads: dict[str, np.ndarray] = {}
        for op in reversed(self.graph.ops):
            tick("exact backward pass")
            if op.name not in grads or op.kind in ("output", "input", "const"):
                continue
            if op.kind == "param":
                _accumulate(parameter_grads, op.attr("name"), grads[op.name])
                continue
            inputs = [self.values[s] for s in op.inputs]
            rule = _rule(BACKWARD, op)
            for source, gradient in zip(op.inputs, rule(self, op, as_array(grads[op.name]),
                                                        inputs)):  # fmt: skip
                if gradient is None:
                    continue
                gradient = as_array(gradient)
                if self.absolute:
                    gradient = np.abs(gradient)
                grads[source] = grads[source] + gradient if source in grads else gradient
        for name, value in self.parameters.items():
            parameter_grads.setdefault(name, np.zeros(value.shape, dtype=object) * 0)
        for name in self.graph.frozen:
            parameter_grads[name] = np.zeros(self.parameters[name].shape, dtype=object) * 0
        return parameter_grads


def _rule(table: dict, op: Op):
    try:
        return table[op.kind]
    except KeyError:
        raise ProblemError(f"{op.name}: no exact evaluation of {op.kind}") from None


def _absolute(value):
    """|value| through the containers a pass saves (arrays, tuples, numbers)."""
    if isinstance(value, np.ndarray):
        if value.dtype == object or value.dtype.kind in "if":
            return as_array(np.abs(value))
        return value
    if isinstance(value, tuple):
        return tuple(_absolute(v) for v in value)
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return abs(value)
    if is_rational(value):
        return abs(value)
    return value


def _absolute_copy(run: Pass) -> Pass:
    """The same pass with every parameter, forward value and saved coefficient replaced by
    its absolute value: its backward pass of a nonnegative seed bounds |backward(seed)|
    entrywise (every backward rule is linear in the seed, with those coefficients)."""
    copy = Pass(
        run.graph, {k: as_array(np.abs(v)) for k, v in run.parameters.items()}, interval=False
    )
    copy.absolute = True
    copy.masks = run.masks
    copy.values = {k: _absolute(v) for k, v in run.values.items()}
    copy.saved = {k: _absolute(v) for k, v in run.saved.items()}
    return copy


def _accumulate(grads: dict, name: str, value: np.ndarray) -> None:
    grads[name] = grads[name] + value if name in grads else value


def rational_pass(graph: Graph, parameters) -> bool:
    """The whole pass stays in exact rationals (with one cross-entropy at the end at most)."""
    if not graph.rational_until_loss:
        return False
    if sum(1 for op in graph.ops if op.kind == "cross_entropy") > 1:
        return False
    return all(all_rational(v) for v in parameters.values())


def gradients(
    graph: Graph, parameters, x: np.ndarray, y: np.ndarray, masks=None
) -> tuple[object, dict]:
    """(J, dJ/dθ) at one input and target, exactly or with intervals (frozen parameters get
    0: they never move)."""
    parameters = {k: fast_rationals(v) for k, v in parameters.items()}
    x, y = fast_rationals(x), fast_rationals(y)
    run = Pass(graph, parameters, interval=not rational_pass(graph, parameters), masks=masks)
    with working_precision():
        loss = run.forward(x, y)
        grads = run.backward()
        if run.seed_radius is None:
            return loss, grads
        return loss, _enclosed(run, grads)


def _enclosed(run: Pass, centres: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A network that is rational up to its loss: the loss's gradient seed g = c + e with c
    rational and |e| <= r entrywise; the backward pass B is linear in the seed, so
    B(g) lies within B(c) +- B_abs(r), both computed in exact rationals."""
    source, radius = run.seed_radius
    bounds = _absolute_copy(run).backward({source: radius})
    enclosed = {}
    for name, middle in centres.items():
        bound = bounds.get(name)
        out = np.empty(middle.shape, dtype=object)
        for index, value in np.ndenumerate(middle):
            width = bound[index] if bound is not None else 0
            out[index] = value if width == 0 else hull(value - width, value + width)
        enclosed[name] = out
    for name in run.graph.frozen:
        enclosed[name] = np.zeros(centres[name].shape, dtype=object) * 0
    return enclosed


def op_input(run: Pass, op: Op, index: int = 0) -> np.ndarray:
    return run.values[op.inputs[index]]
