"""Exact forward and backward passes over a traced graph, for witnesses.

Tensors are numpy arrays of Python objects: exact ``Fraction`` values for
piecewise-linear networks, ``mpmath`` intervals (200 bits) where a
transcendental function appears. A comparison an interval cannot decide
(``relu`` at an enclosure that contains 0, a max-pool tie between overlapping
enclosures) raises :class:`Undecided`, so no value is ever guessed. PyTorch's
conventions are kept: relu'(0) = 0, a max-pool window routes its gradient to its
first maximal entry, softplus is linear above its threshold.
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
from symgrad.torch.graph import Graph, Op

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
    if is_rational(value):
        return iv.mpf(int(value.numerator)) / int(value.denominator)
    return value


def intervals(array: np.ndarray) -> np.ndarray:
    return np.vectorize(as_interval, otypes=[object])(array) if array.size else array


def sign(value) -> int:
    """-1, 0 or 1, exactly (a Fraction) or when an interval decides it."""
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


def _erf(v):
    """An enclosure of erf on an interval: erf is increasing, so its values at the ends,
    computed with 60 guard bits and widened by far more than their error, enclose it."""
    with mpmath.workprec(BITS + 60):
        low, high = mpmath.erf(v.a), mpmath.erf(v.b)
    pad = mpmath.mpf(2) ** -(BITS + 20)
    return iv.mpf([low - pad, high + pad])


def _sigmoid(v):
    return 1 / (1 + iv.exp(-v))


def _tanh(v):
    return 1 - 2 / (iv.exp(2 * v) + 1)


def _apply(array: np.ndarray, function) -> np.ndarray:
    out = np.empty(array.shape, dtype=object)
    flat_in, flat_out = array.reshape(-1), out.reshape(-1)
    for index, value in enumerate(flat_in):
        flat_out[index] = function(value)
    return out


# ---------------------------------------------------------------- activations
def activation(op: Op, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), f'(x)) elementwise."""
    name = op.attr("function")
    if name == "identity":
        return x, _apply(x, lambda v: 1)
    if name == "relu":
        value = _apply(x, lambda v: v if sign(v) > 0 else 0 * v)
        return value, _apply(x, lambda v: 1 if sign(v) > 0 else 0)
    if name == "sigmoid":
        s = _apply(x, _sigmoid)
        return s, _apply(s, lambda v: v * (1 - v))
    if name == "tanh":
        t = _apply(x, _tanh)
        return t, _apply(t, lambda v: 1 - v * v)
    if name == "silu":
        s = _apply(x, _sigmoid)
        return x * s, s + x * s * (1 - s)
    if name == "softplus":
        beta = op.attr("beta", 1.0)
        threshold = op.attr("threshold", 20.0)
        return _softplus(x, Fraction(beta), Fraction(threshold))
    if name == "gelu":
        if op.attr("approximate", "none") != "none":
            raise ProblemError("GELU with approximate='tanh' is not supported exactly")
        root = iv.sqrt(iv.mpf(2))
        phi = _apply(x, lambda v: (1 + _erf(v / root)) / 2)
        density = _apply(x, lambda v: iv.exp(-v * v / 2) / iv.sqrt(2 * iv.pi))
        return x * phi, phi + x * density
    raise ProblemError(f"activation {name} is not supported")


def _softplus(x, beta, threshold):
    interval = x.size and not is_rational(x.reshape(-1)[0])
    if interval:
        beta, threshold = as_interval(beta), as_interval(threshold)

    def value(v):
        if greater(beta * v, threshold):
            return v
        return iv.log(1 + iv.exp(beta * v)) / beta

    def slope(v):
        if greater(beta * v, threshold):
            return 1
        return _sigmoid(beta * v)

    return _apply(x, value), _apply(x, slope)


# ---------------------------------------------------------------- the passes
class Pass:
    """One forward pass (values and what the backward pass needs), then gradients."""

    def __init__(self, graph: Graph, parameters: Mapping[str, np.ndarray], interval: bool):
        self.graph = graph
        self.interval = interval
        self.parameters = {k: (intervals(v) if interval else v) for k, v in parameters.items()}
        self.values: dict[str, object] = {}
        self.saved: dict[str, object] = {}
        self.absolute = False
        self.seed_radius: tuple[str, np.ndarray] | None = None

    def number(self, value):
        return as_interval(value) if self.interval else value

    def forward(self, x: np.ndarray, y: np.ndarray):
        if self.interval:
            x, y = intervals(x), intervals(y)
        for op in self.graph.ops:
            tick("exact forward pass")
            self.values[op.name] = self._forward(op, x, y)
        output = next(op for op in self.graph.ops if op.kind == "output")
        loss = self.values[output.name]
        if not isinstance(loss, np.ndarray) or loss.size != 1:
            raise ProblemError("the loss must be a scalar (reduction 'mean' or 'sum')")
        return loss.reshape(-1)[0]

    def _input(self, op: Op, index: int = 0):
        return self.values[op.inputs[index]]

    def _forward(self, op: Op, x, y):
        kind = op.kind
        if kind == "input":
            return x if op.attr("which") == "x" else y
        if kind == "output":
            return self._input(op)
        a = self._input(op)
        if kind == "linear":
            weight = self.parameters[op.param("weight")]
            out = np.matmul(a, weight.T)
            bias = op.param("bias")
            return out + self.parameters[bias] if bias else out
        if kind == "conv":
            return self._conv(op, a)
        if kind == "activation":
            value, slope = activation(op, a)
            self.saved[op.name] = slope
            return value
        if kind == "flatten":
            return _flatten(a, op.attr("start", 1), op.attr("end", -1))
        if kind == "avgpool":
            return _avgpool(a, op.attr("kernel"), op.attr("stride"))
        if kind == "maxpool":
            value, where = _maxpool(a, op.attr("kernel"), op.attr("stride"))
            self.saved[op.name] = where
            return value
        if kind == "layernorm":
            return self._layernorm(op, a)
        if kind in ("add", "sub", "mul", "div"):
            b = self._input(op, 1)
            return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[kind]
        if kind.endswith("_constant"):
            c = self.number(op.attr("constant"))
            first = op.attr("node_first")
            base = kind.removesuffix("_constant")
            if base == "add":
                return a + c
            if base == "sub":
                return a - c if first else c - a
            if base == "mul":
                return a * c
            return a / c if first else c / a
        if kind == "cat":
            return np.concatenate([self.values[s] for s in op.inputs], axis=op.attr("dim"))
        if kind == "mse":
            difference = a - self._input(op, 1)
            total = np.sum(difference * difference)
            reduced = total / difference.size if op.attr("reduction") == "mean" else total
            return np.array([reduced], dtype=object)
        if kind == "cross_entropy":
            return self._cross_entropy(op, a, self._input(op, 1))
        if kind == "mean":
            return np.array([np.sum(a) / a.size], dtype=object)
        if kind == "sum":
            return np.array([np.sum(a)], dtype=object)
        if kind == "square":
            return a * a
        raise ProblemError(f"{op.name}: no exact evaluation of {kind}")

    # ------------------------------------------------------------ layers
    def _conv(self, op: Op, a):
        weight = self.parameters[op.param("weight")]
        one_d = weight.ndim == 3
        if one_d:
            a, weight = a[:, :, None, :], weight[:, :, None, :]
        stride, padding, dilation = (
            _pair2(op.attr(k), one_d, 0 if k == "padding" else 1)
            for k in ("stride", "padding", "dilation")
        )
        padded = _pad(a, padding, self.number(Fraction(0)))
        n, _, h, w = padded.shape
        o, _, kh, kw = weight.shape
        ho = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (w - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        out = np.empty((n, ho, wo, o), dtype=object)
        out.fill(self.number(Fraction(0)))
        for p in range(kh):
            for q in range(kw):
                tick("exact convolution")
                patch = _patch(padded, p, q, ho, wo, stride, dilation)
                out = out + np.tensordot(patch, weight[:, :, p, q], axes=([1], [1]))
        out = out.transpose(0, 3, 1, 2)
        bias = op.param("bias")
        if bias:
            out = out + self.parameters[bias][None, :, None, None]
        self.saved[op.name] = (padded, stride, dilation, padding, one_d, (ho, wo))
        return out[:, :, 0, :] if one_d else out

    def _layernorm(self, op: Op, a):
        dims = tuple(range(a.ndim - len(op.attr("normalized")), a.ndim))
        count = int(np.prod([a.shape[d] for d in dims]))
        a = intervals(a)
        mean = np.sum(a, axis=dims, keepdims=True) / count
        centred = a - mean
        variance = np.sum(centred * centred, axis=dims, keepdims=True) / count
        eps = as_interval(Fraction(op.attr("eps")))
        inverse = _apply(variance + eps, lambda v: 1 / iv.sqrt(v))
        normal = centred * inverse
        self.saved[op.name] = (normal, inverse, dims, count)
        weight, bias = op.param("weight"), op.param("bias")
        out = normal * self.parameters[weight] if weight else normal
        return out + self.parameters[bias] if bias else out

    def _cross_entropy(self, op: Op, logits, target):
        if logits.ndim != 2 or target.shape != logits.shape:
            raise ProblemError(
                "cross-entropy needs logits of shape (N, C) and class probabilities of the "
                "same shape as the target"
            )
        uniform = [all_rational(row) and len(set(row)) == 1 for row in logits]
        logits, target = intervals(logits), intervals(target)
        shift = logits[:, :1]  # any shift gives the same softmax; this one is exact
        exps = _apply(logits - shift, iv.exp)
        total = np.sum(exps, axis=1, keepdims=True)
        probabilities = exps / total
        log_sum = _apply(total, iv.log) + shift
        losses = np.sum(target * (log_sum - logits), axis=1)
        for row, equal in enumerate(uniform):
            if equal:  # equal logits: the softmax is exactly uniform
                probabilities[row] = Fraction(1, logits.shape[1])
        self.saved[op.name] = probabilities
        loss = np.sum(losses)
        if op.attr("reduction") == "mean":
            loss = loss / logits.shape[0]
        return np.array([loss], dtype=object)

    # ------------------------------------------------------------ backward
    def backward(self, seeds: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """dJ/dθ for every parameter tensor (after :meth:`forward`); with ``seeds``, the
        backward pass of those node gradients instead of the loss's."""
        grads: dict[str, object] = dict(seeds or {})
        if seeds is None:
            output = next(op for op in self.graph.ops if op.kind == "output")
            grads[output.inputs[0]] = np.array([self.number(Fraction(1))], dtype=object)
        parameter_grads: dict[str, np.ndarray] = {}
        for op in reversed(self.graph.ops):
            tick("exact backward pass")
            if op.kind in ("output", "input") or op.name not in grads:
                continue
            for source, gradient in self._backward(op, grads[op.name], parameter_grads):
                if self.absolute:
                    gradient = np.abs(gradient)
                if source in grads:
                    grads[source] = grads[source] + gradient
                else:
                    grads[source] = gradient
        for name, value in self.parameters.items():
            parameter_grads.setdefault(name, np.zeros(value.shape, dtype=object) * 0)
        return parameter_grads

    def _backward(self, op: Op, g, parameter_grads):
        kind = op.kind
        a = self._input(op) if op.inputs else None
        if kind == "linear":
            weight = self.parameters[op.param("weight")]
            batch = g.reshape(-1, g.shape[-1])
            inputs = a.reshape(-1, a.shape[-1])
            _accumulate(parameter_grads, op.param("weight"), np.matmul(batch.T, inputs))
            if op.param("bias"):
                _accumulate(parameter_grads, op.param("bias"), np.sum(batch, axis=0))
            return [(op.inputs[0], np.matmul(g, weight))]
        if kind == "conv":
            return self._conv_backward(op, g, parameter_grads)
        if kind == "activation":
            return [(op.inputs[0], g * self.saved[op.name])]
        if kind == "flatten":
            return [(op.inputs[0], g.reshape(a.shape))]
        if kind == "avgpool":
            return [
                (op.inputs[0], _avgpool_backward(g, a.shape, op.attr("kernel"), op.attr("stride")))
            ]
        if kind == "maxpool":
            return [(op.inputs[0], _maxpool_backward(g, a, self.saved[op.name]))]
        if kind == "layernorm":
            return self._layernorm_backward(op, g, parameter_grads)
        if kind in ("add", "sub", "mul", "div"):
            b = self._input(op, 1)
            if kind == "add":
                pairs = [(op.inputs[0], g), (op.inputs[1], g)]
            elif kind == "sub":
                pairs = [(op.inputs[0], g), (op.inputs[1], -g)]
            elif kind == "mul":
                pairs = [(op.inputs[0], g * b), (op.inputs[1], g * a)]
            else:
                pairs = [(op.inputs[0], g / b), (op.inputs[1], -g * a / (b * b))]
            return [(s, _unbroadcast(v, self.values[s].shape)) for s, v in pairs]
        if kind.endswith("_constant"):
            c = self.number(op.attr("constant"))
            first, base = op.attr("node_first"), kind.removesuffix("_constant")
            if base == "add" or (base == "sub" and first):
                return [(op.inputs[0], g)]
            if base == "sub":
                return [(op.inputs[0], -g)]
            if base == "mul":
                return [(op.inputs[0], g * c)]
            return [(op.inputs[0], g / c if first else -g * c / (a * a))]
        if kind == "cat":
            parts, start = [], 0
            axis = op.attr("dim")
            for source in op.inputs:
                size = self.values[source].shape[axis]
                index = [slice(None)] * g.ndim
                index[axis] = slice(start, start + size)
                parts.append((source, g[tuple(index)]))
                start += size
            return parts
        if kind == "mse":
            difference = a - self._input(op, 1)
            scale = 2 * g.reshape(-1)[0]
            if op.attr("reduction") == "mean":
                scale = scale / difference.size
            return [(op.inputs[0], difference * scale), (op.inputs[1], -difference * scale)]
        if kind == "cross_entropy":
            target = self._input(op, 1)
            scale = g.reshape(-1)[0]
            if op.attr("reduction") == "mean":
                scale = scale / a.shape[0]
            mass = np.sum(target, axis=1, keepdims=True)
            if self.interval:
                return [(op.inputs[0], (self.saved[op.name] * mass - target) * scale)]
            centre, radius = _split(self._seed(self.saved[op.name], mass, target, scale))
            self.seed_radius = (op.inputs[0], radius)
            return [(op.inputs[0], centre)]
        if kind == "mean":
            return [(op.inputs[0], np.full(a.shape, g.reshape(-1)[0] / a.size, dtype=object))]
        if kind == "sum":
            return [(op.inputs[0], np.full(a.shape, g.reshape(-1)[0], dtype=object))]
        if kind == "square":
            return [(op.inputs[0], 2 * a * g)]
        raise ProblemError(f"{op.name}: no exact gradient of {kind}")

    @staticmethod
    def _seed(probabilities, mass, target, scale) -> np.ndarray:
        """(p * mass - target) * scale: exact in rows whose softmax is exact, else enclosed."""
        seed = np.empty(probabilities.shape, dtype=object)
        for row, p in enumerate(probabilities):
            if all_rational(p):
                seed[row] = (p * mass[row] - target[row]) * scale
            else:
                seed[row] = (p * as_interval(mass[row][0]) - intervals(target[row])) * as_interval(
                    scale
                )
        return seed

    def _conv_backward(self, op, g, parameter_grads):
        weight = self.parameters[op.param("weight")]
        padded, stride, dilation, padding, one_d, (ho, wo) = self.saved[op.name]
        if one_d:
            g, weight = g[:, :, None, :], weight[:, :, None, :]
        _, _, kh, kw = weight.shape
        grad_weight = np.empty(weight.shape, dtype=object)
        grad_padded = np.empty(padded.shape, dtype=object)
        grad_padded.fill(self.number(Fraction(0)))
        for p in range(kh):
            for q in range(kw):
                tick("exact convolution gradient")
                patch = _patch(padded, p, q, ho, wo, stride, dilation)
                grad_weight[:, :, p, q] = np.tensordot(g, patch, axes=([0, 2, 3], [0, 2, 3]))
                back = np.tensordot(g, weight[:, :, p, q], axes=([1], [0])).transpose(0, 3, 1, 2)
                rows = slice(p * dilation[0], p * dilation[0] + stride[0] * (ho - 1) + 1, stride[0])
                cols = slice(q * dilation[1], q * dilation[1] + stride[1] * (wo - 1) + 1, stride[1])
                grad_padded[:, :, rows, cols] = grad_padded[:, :, rows, cols] + back
        if one_d:
            grad_weight = grad_weight[:, :, 0, :]
        _accumulate(parameter_grads, op.param("weight"), grad_weight)
        if op.param("bias"):
            _accumulate(parameter_grads, op.param("bias"), np.sum(g, axis=(0, 2, 3)))
        grad = grad_padded[
            :,
            :,
            padding[0] : padded.shape[2] - padding[0],
            padding[1] : padded.shape[3] - padding[1],
        ]
        return [(op.inputs[0], grad[:, :, 0, :] if one_d else grad)]

    def _layernorm_backward(self, op, g, parameter_grads):
        normal, inverse, dims, count = self.saved[op.name]
        weight, bias = op.param("weight"), op.param("bias")
        batch_axes = tuple(range(g.ndim - len(dims)))
        if bias:
            _accumulate(parameter_grads, bias, np.sum(g, axis=batch_axes))
        if weight:
            _accumulate(parameter_grads, weight, np.sum(g * normal, axis=batch_axes))
            g = g * self.parameters[weight]
        mean_g = np.sum(g, axis=dims, keepdims=True) / count
        mean_gn = np.sum(g * normal, axis=dims, keepdims=True) / count
        return [(op.inputs[0], inverse * (g - mean_g - normal * mean_gn))]


def exact_endpoint(raw) -> Fraction:
    """An interval's raw endpoint as the exact rational it is."""
    numerator, denominator = to_rational(raw)
    return Fraction(int(numerator), int(denominator))


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
        low, high = (exact_endpoint(end) for end in value._mpi_)
        middle = (low + high) / 2
        snapped = Fraction(round(middle * SNAP), SNAP)
        reach = max(high - snapped, snapped - low)
        centre[index], radius[index] = snapped, Fraction(math.ceil(reach * SNAP), SNAP)
    return fast_rationals(centre), fast_rationals(radius)


def _absolute_copy(run: Pass) -> Pass:
    """The same pass with every parameter and forward value replaced by its absolute value:
    its backward pass of a nonnegative seed bounds |backward(seed)| entrywise."""
    copy = Pass(run.graph, {k: np.abs(v) for k, v in run.parameters.items()}, interval=False)
    copy.absolute = True
    copy.values = {k: np.abs(v) if isinstance(v, np.ndarray) else v for k, v in run.values.items()}
    for op in run.graph.ops:
        saved = run.saved.get(op.name)
        if op.kind == "activation":
            copy.saved[op.name] = np.abs(saved)
        elif op.kind == "conv":
            copy.saved[op.name] = (np.abs(saved[0]), *saved[1:])
        elif saved is not None:
            copy.saved[op.name] = saved
    return copy


def _accumulate(grads: dict, name: str, value: np.ndarray) -> None:
    grads[name] = grads[name] + value if name in grads else value


def _unbroadcast(gradient: np.ndarray, shape: tuple) -> np.ndarray:
    while gradient.ndim > len(shape):
        gradient = np.sum(gradient, axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and gradient.shape[axis] != 1:
            gradient = np.sum(gradient, axis=axis, keepdims=True)
    return gradient


def _pair2(value, one_d: bool, neutral: int) -> tuple[int, int]:
    """A 2-d (height, width) setting; a 1-d convolution runs as height 1."""
    value = tuple(value)
    return (neutral, value[0]) if one_d else (value[0], value[-1])


def _pad(a: np.ndarray, padding: tuple[int, int], zero) -> np.ndarray:
    if padding == (0, 0):
        return a
    n, c, h, w = a.shape
    out = np.empty((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=object)
    out.fill(zero)
    out[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w] = a
    return out


def _patch(padded, p, q, ho, wo, stride, dilation):
    rows = slice(p * dilation[0], p * dilation[0] + stride[0] * (ho - 1) + 1, stride[0])
    cols = slice(q * dilation[1], q * dilation[1] + stride[1] * (wo - 1) + 1, stride[1])
    return padded[:, :, rows, cols]


def _flatten(a: np.ndarray, start: int, end: int) -> np.ndarray:
    start, end = start % a.ndim, end % a.ndim
    shape = a.shape[:start] + (int(np.prod(a.shape[start : end + 1])),) + a.shape[end + 1 :]
    return a.reshape(shape)


def _windows(shape, kernel, stride):
    h, w = shape[-2:]
    ho, wo = (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1
    return ho, wo


def _avgpool(a, kernel, stride):
    ho, wo = _windows(a.shape, kernel, stride)
    out = None
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            part = a[
                ...,
                p : p + stride[0] * (ho - 1) + 1 : stride[0],
                q : q + stride[1] * (wo - 1) + 1 : stride[1],
            ]
            out = part if out is None else out + part
    return out / (kernel[0] * kernel[1])


def _avgpool_backward(g, shape, kernel, stride):
    ho, wo = g.shape[-2:]
    grad = np.empty(shape, dtype=object)
    grad.fill(0 * g.reshape(-1)[0])
    share = g / (kernel[0] * kernel[1])
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            rows = slice(p, p + stride[0] * (ho - 1) + 1, stride[0])
            cols = slice(q, q + stride[1] * (wo - 1) + 1, stride[1])
            grad[..., rows, cols] = grad[..., rows, cols] + share
    return grad


def _maxpool(a, kernel, stride):
    """Max over each window; the first maximal entry (row-major) receives the gradient."""
    ho, wo = _windows(a.shape, kernel, stride)
    lead = a.shape[:-2]
    out = np.empty(lead + (ho, wo), dtype=object)
    where = np.empty(lead + (ho, wo), dtype=object)
    for index in np.ndindex(*lead, ho, wo):
        *batch, i, j = index
        best, best_at = None, None
        for p in range(kernel[0]):
            for q in range(kernel[1]):
                at = (*batch, i * stride[0] + p, j * stride[1] + q)
                value = a[at]
                if best is None or _strictly_greater(value, best):
                    best, best_at = value, at
        out[index], where[index] = best, best_at
    return out, where


def _strictly_greater(a, b) -> bool:
    if is_rational(a) and is_rational(b):
        return a > b
    a, b = as_interval(a), as_interval(b)
    if a._mpi_ == b._mpi_ and a._mpi_[0] == a._mpi_[1]:
        return False  # the same exact value: a tie, the first one wins (PyTorch's convention)
    return sign(a - b) > 0


def _maxpool_backward(g, a, where):
    grad = np.empty(a.shape, dtype=object)
    grad.fill(0 * g.reshape(-1)[0])
    for index in np.ndindex(*g.shape):
        at = where[index]
        grad[at] = grad[at] + g[index]
    return grad


def gradients(graph: Graph, parameters, x: np.ndarray, y: np.ndarray) -> tuple[object, dict]:
    """(J, dJ/dθ) at one input and target, exactly or with intervals."""
    parameters = {k: fast_rationals(v) for k, v in parameters.items()}
    x, y = fast_rationals(x), fast_rationals(y)
    rational = graph.rational_until_loss and all(all_rational(v) for v in parameters.values())
    run = Pass(graph, parameters, interval=not rational)
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
            out[index] = value if width == 0 else _interval(value - width, value + width)
        enclosed[name] = out
    return enclosed


def _interval(low, high):
    """The hull of the enclosures of two rationals (outward rounded, so it contains [low, high])."""
    return iv.make_mpf((as_interval(low)._mpi_[0], as_interval(high)._mpi_[1]))
