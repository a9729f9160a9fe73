"""Exact forward and backward rules of the elementwise, shape, reduction and loss operations.

Each rule works on numpy object arrays of exact rationals or 200-bit intervals
(:mod:`symgrad.torch.exact_tensor`); a backward rule returns one gradient per
input (``None`` where no gradient flows: integer data, a detached tensor, a
boolean mask). Layers with more structure (convolution, pooling, norms, embedding)
are in :mod:`symgrad.torch.exact_layers`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from symgrad.errors import ProblemError
from symgrad.torch.exact_numbers import (
    Undecided,
    all_rational,
    apply,
    as_array,
    as_interval,
    compare,
    interval_function,
    interval_pi,
    intervals,
    is_rational,
    rational,
    scalar_array,
    sign,
    split_enclosures,
)
from symgrad.torch.graph import NEG_INF, Op

FORWARD: dict[str, object] = {}
BACKWARD: dict[str, object] = {}
Pass = object  # a pass of :mod:`symgrad.torch.exact_tensor` (its values, saved terms, masks)


def rule(kind: str, registry: dict):
    def register(function):
        registry[kind] = function
        return function

    return register


def unbroadcast(gradient: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape``."""
    gradient = as_array(gradient)
    while gradient.ndim > len(shape):
        gradient = np.sum(gradient, axis=0)
        gradient = as_array(gradient)
    for axis, size in enumerate(shape):
        if size == 1 and gradient.shape[axis] != 1:
            gradient = np.sum(gradient, axis=axis, keepdims=True)
    return as_array(gradient)


def zeros_like(run: Pass, shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(run.number(rational(0)))
    return out


# ---------------------------------------------------------------- unary functions
def _relu(v):
    return (v, 1) if sign(v) > 0 else (0 * v, 0)


def _clamp(v, low, high):
    value = v
    if low is not None and compare(v, low) < 0:
        value = low
    if high is not None and compare(v, high) > 0:
        value = high
    inside = (low is None or compare(v, low) >= 0) and (high is None or compare(v, high) <= 0)
    return value, (1 if inside else 0)


def _hardtanh(v, low, high):
    value, _ = _clamp(v, low, high)
    return value, (1 if compare(v, low) > 0 and compare(v, high) < 0 else 0)


def _transcendental(name: str, v):
    f = interval_function
    if name == "exp":
        e = f("exp", v)
        return e, e
    if name in ("log", "log1p"):
        return f(name, v), 1 / (as_interval(v) + (1 if name == "log1p" else 0))
    if name == "expm1":
        e = f("exp", v)
        return e - 1, e
    if name == "sqrt":
        r = f("sqrt", v)
        return r, 1 / (2 * r)
    if name == "rsqrt":
        r = f("rsqrt", v)
        return r, -r * r * r / 2
    if name == "sigmoid":
        s = f("sigmoid", v)
        return s, s * (1 - s)
    if name == "tanh":
        t = f("tanh", v)
        return t, 1 - t * t
    if name == "silu":
        s = f("sigmoid", v)
        return as_interval(v) * s, s + as_interval(v) * s * (1 - s)
    if name == "erf":
        density = f("exp", -(as_interval(v) ** 2)) / f("sqrt", interval_pi())
        return f("erf", v), 2 * density
    raise ProblemError(f"the function {name} is not supported")


def _gelu(v, approximate: str):
    x = as_interval(v)
    if approximate == "tanh":
        k = interval_function("sqrt", 2 / interval_pi())
        c = as_interval(Fraction(44715, 10**6))
        t = interval_function("tanh", k * (x + c * x**3))
        slope = (1 + t) / 2 + x * (1 - t * t) * k * (1 + 3 * c * x**2) / 2
        return x * (1 + t) / 2, slope
    phi = (1 + interval_function("erf", x / interval_function("sqrt", 2))) / 2
    density = interval_function("exp", -x * x / 2) / interval_function("sqrt", 2 * interval_pi())
    return x * phi, phi + x * density


def _softplus(v, beta, threshold):
    scaled = v if beta == 1 else (beta * v if is_rational(v) else as_interval(beta) * v)
    if compare(scaled, threshold) > 0:
        return v, 1
    z = as_interval(v) * as_interval(beta)
    softplus = interval_function("log", 1 + interval_function("exp", z))
    return softplus / as_interval(beta), interval_function("sigmoid", z)


def _elu(v, alpha):
    if sign(v) > 0:
        return v, 1
    e = interval_function("exp", v)
    return as_interval(alpha) * (e - 1), as_interval(alpha) * e


def unary_value(op: Op, v):
    """(f(v), f'(v)) for the op's function, with PyTorch's conventions at kinks."""
    name = op.attr("function")
    if name == "identity":
        return v, 1
    if name == "relu":
        return _relu(v)
    if name == "leaky_relu":
        slope = op.attr("slope") if is_rational(v) else as_interval(op.attr("slope"))
        return (v, 1) if sign(v) > 0 else (slope * v, slope)
    if name == "neg":
        return -v, -1
    if name == "abs":
        s = sign(v)
        return s * v, s
    if name == "sign":
        return sign(v), 0
    if name == "reciprocal":
        if sign(v) == 0:
            raise Undecided("a division by zero")
        return 1 / v, -1 / (v * v)
    if name == "pow":
        n = op.attr("exponent")
        return (v**n, n * v ** (n - 1)) if n else (1 + 0 * v, 0)
    if name == "clamp":
        return _clamp(v, op.attr("low"), op.attr("high"))
    if name == "hardtanh":
        return _hardtanh(v, op.attr("low"), op.attr("high"))
    if name == "gelu":
        return _gelu(v, op.attr("approximate", "none"))
    if name == "softplus":
        return _softplus(v, op.attr("beta"), op.attr("threshold"))
    if name == "elu":
        return _elu(v, op.attr("alpha"))
    return _transcendental(name, v)


@rule("unary", FORWARD)
def _unary_forward(run: Pass, op: Op, inputs):
    (a,) = inputs
    value, slope = np.empty(a.shape, dtype=object), np.empty(a.shape, dtype=object)
    flat_a, flat_v, flat_s = a.reshape(-1), value.reshape(-1), slope.reshape(-1)
    for index, entry in enumerate(flat_a):
        if entry is NEG_INF:
            raise ProblemError(f"{op.attr('function')} of a masked (-inf) entry")
        flat_v[index], flat_s[index] = unary_value(op, entry)
    if run.interval:
        value, slope = intervals(value), intervals(slope)
    run.saved[op.name] = slope
    return value


@rule("unary", BACKWARD)
def _unary_backward(run: Pass, op: Op, g, inputs):
    return [g * run.saved[op.name]]


# ---------------------------------------------------------------- binary
def _combine(a: np.ndarray, b: np.ndarray, function) -> np.ndarray:
    """``function`` with broadcasting; masks (-inf) go through their own rules."""
    return as_array(np.frompyfunc(function, 2, 1)(a, b))


def _masked(array: np.ndarray) -> bool:
    return array.dtype == object and any(v is NEG_INF for v in array.reshape(-1))


def _divide(a, b):
    if sign(b) == 0:
        raise Undecided("a division by zero")
    return a / b


@rule("add", FORWARD)
def _add(run, op, inputs):
    a, b = inputs
    if _masked(a) or _masked(b):
        return _combine(a, b, lambda u, v: NEG_INF if u is NEG_INF or v is NEG_INF else u + v)
    return a + b


@rule("sub", FORWARD)
def _sub(run, op, inputs):
    return inputs[0] - inputs[1]


@rule("mul", FORWARD)
def _mul(run, op, inputs):
    return inputs[0] * inputs[1]


@rule("div", FORWARD)
def _div(run, op, inputs):
    a, b = inputs
    return _combine(a, b, _divide)


@rule("add", BACKWARD)
def _add_back(run, op, g, inputs):
    return [unbroadcast(g, inputs[0].shape), unbroadcast(g, inputs[1].shape)]


@rule("sub", BACKWARD)
def _sub_back(run, op, g, inputs):
    return [unbroadcast(g, inputs[0].shape), unbroadcast(-g, inputs[1].shape)]


@rule("mul", BACKWARD)
def _mul_back(run, op, g, inputs):
    a, b = inputs
    return [unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)]


@rule("div", BACKWARD)
def _div_back(run, op, g, inputs):
    a, b = inputs
    return [unbroadcast(_combine(g, b, _divide), a.shape),
            unbroadcast(-_combine(g * a, b * b, _divide), b.shape)]  # fmt: skip


def _pick(a, b, smaller: bool):
    order = compare(a, b)
    if order == 0:
        return a, rational(1, 2)
    take_a = (order < 0) == smaller
    return (a, 1) if take_a else (b, 0)


def _minmax_forward(smaller: bool):
    def forward(run, op, inputs):
        a, b = np.broadcast_arrays(*inputs)
        value, share = np.empty(a.shape, dtype=object), np.empty(a.shape, dtype=object)
        for index in np.ndindex(a.shape):
            value[index], share[index] = _pick(a[index], b[index], smaller)
        run.saved[op.name] = run.numbers(share)
        return value

    return forward


def _minmax_backward(run, op, g, inputs):
    share = run.saved[op.name]
    return [unbroadcast(g * share, inputs[0].shape),
            unbroadcast(g * (1 - share), inputs[1].shape)]  # fmt: skip


FORWARD["minimum"] = _minmax_forward(True)
FORWARD["maximum"] = _minmax_forward(False)
BACKWARD["minimum"] = BACKWARD["maximum"] = _minmax_backward


@rule("where", FORWARD)
def _where(run, op, inputs):
    condition, a, b = np.broadcast_arrays(*inputs)
    out = np.empty(condition.shape, dtype=object)
    for index in np.ndindex(condition.shape):
        out[index] = a[index] if truth(condition[index]) else b[index]
    return out


def truth(value) -> bool:
    """A condition's value: a boolean, or a number that is certainly (non)zero."""
    if isinstance(value, bool) or is_rational(value):
        return bool(value)
    return sign(value) != 0


@rule("where", BACKWARD)
def _where_back(run, op, g, inputs):
    condition = np.broadcast_to(inputs[0], g.shape)
    chosen = run.numbers(apply(condition, lambda c: 1 if truth(c) else 0))
    return [None, unbroadcast(g * chosen, inputs[1].shape),
            unbroadcast(g * (1 - chosen), inputs[2].shape)]  # fmt: skip


_COMPARISONS = {
    "eq": lambda c: c == 0,
    "ne": lambda c: c != 0,
    "lt": lambda c: c < 0,
    "le": lambda c: c <= 0,
    "gt": lambda c: c > 0,
    "ge": lambda c: c >= 0,
}


@rule("compare", FORWARD)
def _compare(run, op, inputs):
    test = _COMPARISONS[op.attr("op")]
    return _combine(inputs[0], inputs[1], lambda u, v: test(compare(u, v)))


@rule("logical", FORWARD)
def _logical(run, op, inputs):
    name = op.attr("op")
    if name == "logical_not":
        return apply(inputs[0], lambda v: not v)
    functions = {"logical_and": lambda u, v: bool(u) and bool(v),
                 "logical_or": lambda u, v: bool(u) or bool(v),
                 "logical_xor": lambda u, v: bool(u) != bool(v)}  # fmt: skip
    return _combine(inputs[0], inputs[1], functions[name])


@rule("reduce_bool", FORWARD)
def _reduce_bool(run, op, inputs):
    truth = apply(inputs[0], bool).astype(bool)
    function = np.any if op.attr("op") == "any" else np.all
    out = function(truth, axis=op.attr("dims"), keepdims=op.attr("keepdim"))
    return as_array(np.asarray(out, dtype=object))


def _no_gradient(run, op, g, inputs):
    return [None for _ in inputs]


for _kind in ("compare", "logical", "reduce_bool", "detach_backward"):
    BACKWARD[_kind] = _no_gradient


@rule("output", FORWARD)
def _output(run, op, inputs):
    return inputs[0]


@rule("detach", FORWARD)
def _detach(run, op, inputs):
    return inputs[0]


BACKWARD["detach"] = _no_gradient


# ---------------------------------------------------------------- products
@rule("linear", FORWARD)
def _linear(run, op, inputs):
    a, weight = inputs[0], inputs[1]
    out = np.matmul(a, weight.T)
    return out + inputs[2] if len(inputs) > 2 else out


@rule("linear", BACKWARD)
def _linear_back(run, op, g, inputs):
    a, weight = inputs[0], inputs[1]
    batch = g.reshape(-1, g.shape[-1]) if g.ndim else g.reshape(1, 1)
    rows = a.reshape(-1, a.shape[-1])
    grads = [np.matmul(g, weight), np.matmul(batch.T, rows)]
    if len(inputs) > 2:
        grads.append(np.sum(batch, axis=0))
    return grads


def _promoted(a: np.ndarray, b: np.ndarray):
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


@rule("matmul", FORWARD)
def _matmul(run, op, inputs):
    return as_array(np.matmul(inputs[0], inputs[1]))


@rule("matmul", BACKWARD)
def _matmul_back(run, op, g, inputs):
    a, b = _promoted(*inputs)
    out_shape = np.matmul(a[..., :1, :], b[..., :, :1]).shape[:-2] + (a.shape[-2], b.shape[-1])
    g = g.reshape(out_shape)
    grad_a = np.matmul(g, np.swapaxes(b, -1, -2))
    grad_b = np.matmul(np.swapaxes(a, -1, -2), g)
    return [unbroadcast(grad_a, a.shape).reshape(inputs[0].shape),
            unbroadcast(grad_b, b.shape).reshape(inputs[1].shape)]  # fmt: skip


# ---------------------------------------------------------------- reductions
@rule("sum", FORWARD)
def _sum(run, op, inputs):
    return as_array(np.sum(inputs[0], axis=op.attr("dims"), keepdims=op.attr("keepdim")))


@rule("mean", FORWARD)
def _mean(run, op, inputs):
    a = inputs[0]
    count = int(np.prod([a.shape[d] for d in op.attr("dims")]))
    total = np.sum(a, axis=op.attr("dims"), keepdims=op.attr("keepdim"))
    return as_array(total) / count


def _spread(g, shape, dims, keepdim) -> np.ndarray:
    if not keepdim:
        g = g.reshape([1 if k in dims else s for k, s in enumerate(shape)])
    return np.broadcast_to(g, shape).copy()


@rule("sum", BACKWARD)
def _sum_back(run, op, g, inputs):
    return [_spread(g, inputs[0].shape, op.attr("dims"), op.attr("keepdim"))]


@rule("mean", BACKWARD)
def _mean_back(run, op, g, inputs):
    a = inputs[0]
    count = int(np.prod([a.shape[d] for d in op.attr("dims")]))
    return [_spread(g, a.shape, op.attr("dims"), op.attr("keepdim")) / count]


# ---------------------------------------------------------------- softmax
def _softmax_values(run: Pass, a: np.ndarray, dim: int) -> np.ndarray:
    """softmax along ``dim`` in intervals; masked (-inf) entries get exactly 0."""
    out = np.empty(a.shape, dtype=object)
    moved, target = np.moveaxis(a, dim, -1), np.moveaxis(out, dim, -1)
    for index in np.ndindex(moved.shape[:-1]):
        row = moved[index]
        finite = [v for v in row if v is not NEG_INF]
        if not finite:
            raise ProblemError("softmax over a row that is entirely masked (-inf)")
        if all_rational(np.array(finite, dtype=object)) and len(set(finite)) == 1:
            share = rational(1, len(finite))  # equal logits: exactly uniform
            target[index] = [0 if v is NEG_INF else share for v in row]
            continue
        shift = as_interval(finite[0])
        exps = [
            0 if v is NEG_INF else interval_function("exp", as_interval(v) - shift) for v in row
        ]
        total = sum(exps)
        target[index] = [e / total if not (isinstance(e, int) and e == 0) else 0 for e in exps]
    return intervals(out) if run.interval else out


@rule("softmax", FORWARD)
def _softmax(run, op, inputs):
    s = _softmax_values(run, inputs[0], op.attr("dim"))
    run.saved[op.name] = s
    return s


@rule("softmax", BACKWARD)
def _softmax_back(run, op, g, inputs):
    s = run.saved[op.name]
    inner = np.sum(g * s, axis=op.attr("dim"), keepdims=True)
    return [s * (g - inner)]


@rule("log_softmax", FORWARD)
def _log_softmax(run, op, inputs):
    a = inputs[0]
    if _masked(a):
        raise ProblemError("log_softmax of a masked (-inf) entry")
    s = _softmax_values(run, a, op.attr("dim"))
    run.saved[op.name] = s
    return apply(s, lambda v: interval_function("log", v))


@rule("log_softmax", BACKWARD)
def _log_softmax_back(run, op, g, inputs):
    s = run.saved[op.name]
    return [g - s * np.sum(g, axis=op.attr("dim"), keepdims=True)]


# ---------------------------------------------------------------- shapes
@rule("reshape", FORWARD)
def _reshape(run, op, inputs):
    return inputs[0].reshape(op.attr("shape"))


@rule("reshape", BACKWARD)
def _reshape_back(run, op, g, inputs):
    return [g.reshape(inputs[0].shape)]


@rule("permute", FORWARD)
def _permute(run, op, inputs):
    return np.transpose(inputs[0], op.attr("dims"))


@rule("permute", BACKWARD)
def _permute_back(run, op, g, inputs):
    return [np.transpose(g, np.argsort(op.attr("dims")))]


@rule("expand", FORWARD)
def _expand(run, op, inputs):
    return np.broadcast_to(inputs[0], op.attr("shape")).copy()


@rule("expand", BACKWARD)
def _expand_back(run, op, g, inputs):
    return [unbroadcast(g, inputs[0].shape)]


def _slice_index(op: Op, rank: int) -> tuple:
    index = [slice(None)] * rank
    index[op.attr("dim")] = slice(op.attr("start"), op.attr("stop"), op.attr("step"))
    return tuple(index)


@rule("slice", FORWARD)
def _slice(run, op, inputs):
    return inputs[0][_slice_index(op, inputs[0].ndim)].copy()


@rule("slice", BACKWARD)
def _slice_back(run, op, g, inputs):
    grad = zeros_like(run, inputs[0].shape)
    grad[_slice_index(op, inputs[0].ndim)] = g
    return [grad]


@rule("select", FORWARD)
def _select(run, op, inputs):
    return as_array(np.take(inputs[0], op.attr("index"), axis=op.attr("dim")))


@rule("select", BACKWARD)
def _select_back(run, op, g, inputs):
    grad = zeros_like(run, inputs[0].shape)
    index = [slice(None)] * inputs[0].ndim
    index[op.attr("dim")] = op.attr("index")
    grad[tuple(index)] = g
    return [grad]


@rule("flip", FORWARD)
def _flip(run, op, inputs):
    return np.flip(inputs[0], axis=op.attr("dims")).copy()


@rule("flip", BACKWARD)
def _flip_back(run, op, g, inputs):
    return [np.flip(g, axis=op.attr("dims")).copy()]


@rule("cat", FORWARD)
def _cat(run, op, inputs):
    return np.concatenate(inputs, axis=op.attr("dim"))


@rule("cat", BACKWARD)
def _cat_back(run, op, g, inputs):
    parts, start, axis = [], 0, op.attr("dim")
    for tensor in inputs:
        index = [slice(None)] * g.ndim
        index[axis] = slice(start, start + tensor.shape[axis])
        parts.append(g[tuple(index)])
        start += tensor.shape[axis]
    return parts


# ---------------------------------------------------------------- losses
@rule("mse", FORWARD)
def _mse(run, op, inputs):
    difference = inputs[0] - inputs[1]
    total = np.sum(difference * difference)
    reduced = total / difference.size if op.attr("reduction") == "mean" else total
    return scalar_array(reduced)


@rule("mse", BACKWARD)
def _mse_back(run, op, g, inputs):
    difference = inputs[0] - inputs[1]
    scale = 2 * g.reshape(-1)[0]
    if op.attr("reduction") == "mean":
        scale = scale / difference.size
    return [difference * scale, -difference * scale]


def one_hot(target: np.ndarray, classes: int) -> np.ndarray:
    rows = np.empty(target.shape + (classes,), dtype=object)
    rows.fill(rational(0))
    for index, label in np.ndenumerate(target):
        label = int(label)
        if not 0 <= label < classes:
            raise ProblemError(f"class {label} is not one of 0..{classes - 1}")
        rows[index + (label,)] = rational(1)
    return rows


@rule("cross_entropy", FORWARD)
def _cross_entropy(run, op, inputs):
    logits, target = inputs
    if target.shape != logits.shape:
        target = one_hot(target, logits.shape[1])
        target = intervals(target) if run.interval else target
        run.saved[op.name + ":target"] = target
    uniform = [all_rational(row) and len(set(row)) == 1 for row in logits]
    logits_iv, target_iv = intervals(logits), intervals(target)
    shift = logits_iv[:, :1]
    exps = apply(logits_iv - shift, lambda v: interval_function("exp", v))
    total = np.sum(exps, axis=1, keepdims=True)
    probabilities = exps / total
    log_sum = apply(total, lambda v: interval_function("log", v)) + shift
    losses = np.sum(target_iv * (log_sum - logits_iv), axis=1)
    for row, equal in enumerate(uniform):
        if equal:
            share = rational(1, logits.shape[1])
            probabilities[row] = as_interval(share) if run.interval else share
    run.saved[op.name] = probabilities
    loss = np.sum(losses)
    if op.attr("reduction") == "mean":
        loss = loss / logits.shape[0]
    return scalar_array(loss)


@rule("cross_entropy", BACKWARD)
def _cross_entropy_back(run, op, g, inputs):
    logits, target = inputs
    target = run.saved.get(op.name + ":target", target)
    scale = g.reshape(-1)[0]
    if op.attr("reduction") == "mean":
        scale = scale / logits.shape[0]
    mass = np.sum(target, axis=1, keepdims=True)
    if run.interval:
        return [(run.saved[op.name] * mass - target) * scale, None]
    seed = np.empty(logits.shape, dtype=object)
    for row, p in enumerate(run.saved[op.name]):
        if all_rational(p):
            seed[row] = (p * mass[row] - target[row]) * scale
        else:
            seed[row] = (p * as_interval(mass[row][0]) - intervals(target[row])) * as_interval(
                scale
            )
    centre, radius = split_enclosures(seed)
    run.seed_radius = (op.inputs[0], radius)
    return [centre, None]


@rule("dropout", FORWARD)
def _dropout(run, op, inputs):
    keep = 1 / (1 - op.attr("p"))
    mask = run.masks.get(op.name)
    scale = (mask * keep) if mask is not None else keep
    run.saved[op.name] = run.numbers(as_array(scale)) if run.interval else as_array(scale)
    return inputs[0] * run.saved[op.name]


@rule("dropout", BACKWARD)
def _dropout_back(run, op, g, inputs):
    return [g * run.saved[op.name]]
