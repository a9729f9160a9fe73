"""Exact forward and backward passes over a traced graph, for witnesses.

Tensors are numpy arrays of Python objects: exact rationals (``Fraction`` or gmpy2
``mpq``) for networks that keep rationals rational, ``mpmath`` intervals (200 bits)
where a transcendental function appears. A comparison an interval cannot decide
(``relu`` at an enclosure that contains 0, a max-pool tie between overlapping
enclosures) raises :class:`Undecided`, so no value is ever guessed. PyTorch's
conventions are kept (relu'(0) = 0, the first maximal entry of a max-pool window
takes the gradient, ``minimum``/``maximum`` split a tie's gradient in halves).

The arithmetic sits behind a few small functions (:func:`as_interval`,
:func:`sign`, :func:`interval_function`, :func:`hull`, :func:`enclosure_ends`) so
that another interval library can replace mpmath's; the rules per operation are
in :mod:`symgrad.torch.exact_ops` and :mod:`symgrad.torch.exact_layers`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import mpmath
import numpy as np
from mpmath import iv
from mpmath.libmp import to_rational

from symgrad.errors import ProblemError
from symgrad.runtime.budget import tick
from symgrad.torch.graph import NEG_INF, Graph, Op

BITS = 200

try:  # gmpy2's rationals are several times faster than Fraction (an optional speed-up)
    from gmpy2 import mpq as _mpq

    RATIONALS: tuple[type, ...] = (Fraction, int, type(_mpq(0)))
except ImportError:  # pragma: no cover - depends on the environment
    _mpq = None
    RATIONALS = (Fraction, int)


def is_rational(value: object) -> bool:
    """An exact rational (Fraction, int or gmpy2 mpq), not an interval."""
    return isinstance(value, RATIONALS)


_IS_RATIONAL = np.frompyfunc(lambda v: isinstance(v, RATIONALS), 1, 1)


def all_rational(array: np.ndarray) -> bool:
    """Every entry is an exact rational (no interval)."""
    return bool(np.all(_IS_RATIONAL(array))) if array.size else True


def as_fraction(value) -> Fraction:
    return (
        value
        if isinstance(value, Fraction)
        else Fraction(int(value.numerator), int(value.denominator))
    )


def fast_rationals(array: np.ndarray) -> np.ndarray:
    """The same exact values as gmpy2 rationals when gmpy2 is there."""
    if _mpq is None or not array.size:
        return array
    return np.vectorize(lambda v: _mpq(v) if isinstance(v, Fraction) else v, otypes=[object])(array)


class Undecided(Exception):
    """An interval comparison (or function) that cannot be decided at this precision."""


# ---------------------------------------------------------------- numbers
def as_interval(value) -> object:
    """An enclosure of ``value`` (a rational becomes the tightest 200-bit interval)."""
    if isinstance(value, bool):
        return value  # a mask stays a mask
    if is_rational(value):
        return iv.mpf(int(value.numerator)) / int(value.denominator)
    return value


def intervals(array: np.ndarray) -> np.ndarray:
    if not isinstance(array, np.ndarray):
        return as_interval(array)
    return np.vectorize(as_interval, otypes=[object])(array) if array.size else array


def sign(value) -> int:
    """-1, 0 or 1, exactly (a rational) or when an interval decides it."""
    if value is NEG_INF:
        return -1
    if isinstance(value, bool):
        return int(value)
    if is_rational(value):
        return (value > 0) - (value < 0)
    if value.a > 0:
        return 1
    if value.b < 0:
        return -1
    if value.a == 0 and value.b == 0:
        return 0
    raise Undecided("the sign of a value near 0")


def greater(a, b) -> bool:
    if is_rational(a) and is_rational(b):
        return a > b
    return sign(as_interval(a) - as_interval(b)) > 0


def compare(a, b) -> int:
    """-1, 0 or 1: the sign of a - b, decided exactly or by disjoint enclosures."""
    if a is NEG_INF or b is NEG_INF:
        return (b is NEG_INF) - (a is NEG_INF)
    if is_rational(a) and is_rational(b):
        return (a > b) - (a < b)
    a, b = as_interval(a), as_interval(b)
    if a._mpi_ == b._mpi_ and a._mpi_[0] == a._mpi_[1]:
        return 0
    return sign(a - b)


def _erf(v):
    """An enclosure of erf on an interval: erf is increasing, so its values at the ends,
    computed with 60 guard bits and widened by far more than their error, enclose it."""
    with mpmath.workprec(BITS + 60):
        low, high = mpmath.erf(v.a), mpmath.erf(v.b)
    pad = mpmath.mpf(2) ** -(BITS + 20)
    return iv.mpf([low - pad, high + pad])


def _positive(v):
    if sign(v) <= 0:
        raise Undecided("a logarithm or root of a value that is not certainly positive")
    return v


def _exp(v):
    return 0 if v is NEG_INF else iv.exp(v)


INTERVAL_FUNCTIONS = {
    "exp": _exp,
    "log": lambda v: iv.log(_positive(v)),
    "log1p": lambda v: iv.log(_positive(1 + v)),
    "expm1": lambda v: iv.exp(v) - 1,
    "sqrt": lambda v: iv.sqrt(_positive(v)),
    "rsqrt": lambda v: 1 / iv.sqrt(_positive(v)),
    "sigmoid": lambda v: 1 / (1 + iv.exp(-v)),
    "tanh": lambda v: 1 - 2 / (iv.exp(2 * v) + 1),
    "erf": _erf,
}


def interval_function(name: str, value):
    """``name`` (exp, log, sqrt, tanh, sigmoid, erf, ...) of an enclosure, enclosed."""
    return INTERVAL_FUNCTIONS[name](as_interval(value))


def enclosure_ends(value) -> tuple[Fraction, Fraction]:
    """The ends of an enclosure as exact rationals."""
    return tuple(exact_endpoint(end) for end in value._mpi_)


def exact_endpoint(raw) -> Fraction:
    """An interval's raw endpoint as the exact rational it is."""
    numerator, denominator = to_rational(raw)
    return Fraction(int(numerator), int(denominator))


def hull(low, high):
    """The hull of the enclosures of two rationals (outward rounded, so it contains [low, high])."""
    return iv.make_mpf((as_interval(low)._mpi_[0], as_interval(high)._mpi_[1]))


def apply(array: np.ndarray, function) -> np.ndarray:
    """``function`` entry by entry (an object array of the same shape)."""
    out = np.empty(array.shape, dtype=object)
    flat_in, flat_out = array.reshape(-1), out.reshape(-1)
    for index, value in enumerate(flat_in):
        flat_out[index] = function(value)
    return out


def scalar_array(value) -> np.ndarray:
    array = np.empty((), dtype=object)
    array[()] = value
    return array


def as_array(value) -> np.ndarray:
    return value if isinstance(value, np.ndarray) else scalar_array(value)


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
        from symgrad.torch.exact_ops import forward_rule

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
                value = forward_rule(op.kind)(self, op, [self.values[s] for s in op.inputs])
            self.values[op.name] = as_array(value)
        loss = self.values[self.graph.output.name]
        if loss.size != 1:
            raise ProblemError("the loss must be a single number (reduction 'mean' or 'sum')")
        return loss.reshape(-1)[0]

    def backward(self, seeds: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """dJ/dθ for every parameter tensor (after :meth:`forward`); with ``seeds``, the
        backward pass of those node gradients instead of the loss's."""
        from symgrad.torch.exact_ops import backward_rule

        grads: dict[str, np.ndarray] = dict(seeds or {})
        if seeds is None:
            output = self.graph.output
            seed = np.empty(self.values[output.inputs[0]].shape, dtype=object)
            seed.fill(Fraction(1))
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
            rule = backward_rule(op.kind)
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


SNAP = 1 << 256


def _split(enclosures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each interval [a, b] as a centre c on the grid 2**-256 and a radius r on that grid
    with [a, b] inside [c - r, c + r] (so the numbers stay small whatever a and b are)."""
    centre = np.empty(enclosures.shape, dtype=object)
    radius = np.empty(enclosures.shape, dtype=object)
    for index, value in np.ndenumerate(enclosures):
        if is_rational(value):
            centre[index], radius[index] = value, 0
            continue
        low, high = enclosure_ends(value)
        middle = (low + high) / 2
        snapped = Fraction(round(middle * SNAP), SNAP)
        reach = max(high - snapped, snapped - low)
        centre[index], radius[index] = snapped, Fraction(math.ceil(reach * SNAP), SNAP)
    return fast_rationals(centre), fast_rationals(radius)


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
    saved = iv.prec
    iv.prec = BITS
    try:
        with mpmath.workprec(BITS):
            loss = run.forward(x, y)
            grads = run.backward()
            if run.seed_radius is None:
                return loss, grads
            return loss, _enclosed(run, grads)
    finally:
        iv.prec = saved


def _enclosed(run: Pass, centres: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A network that is rational up to its loss: the loss's gradient seed g = c + e with c
    rational and |e| <= r entrywise; the backward pass B is linear in the seed, so
    B(g) lies within B(c) +- B_abs(r), both computed in exact rationals."""
    source, radius = run.seed_radius
    bounds = _absolute_copy(run).backward({source: radius})
    enclosed = {}
    for name, centre in centres.items():
        bound = bounds.get(name)
        out = np.empty(centre.shape, dtype=object)
        for index, value in np.ndenumerate(centre):
            width = bound[index] if bound is not None else 0
            out[index] = value if width == 0 else hull(value - width, value + width)
        enclosed[name] = out
    for name in run.graph.frozen:
        enclosed[name] = np.zeros(centres[name].shape, dtype=object) * 0
    return enclosed


def op_input(run: Pass, op: Op, index: int = 0) -> np.ndarray:
    return run.values[op.inputs[index]]
