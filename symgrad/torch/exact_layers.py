"""Exact forward and backward rules of convolution, pooling, the norms and embedding.

Same conventions as :mod:`symgrad.torch.exact_ops`: numpy object arrays of exact
rationals or 200-bit intervals; a max-pool window routes its gradient to its first
maximal entry (PyTorch's convention), a tie that intervals cannot decide raises
:class:`~symgrad.torch.exact_tensor.Undecided`.
"""

from __future__ import annotations

import numpy as np

from symgrad.errors import ProblemError
from symgrad.runtime.budget import tick
from symgrad.torch.exact_numbers import (
    apply,
    as_interval,
    compare,
    interval_function,
    intervals,
    rational,
)
from symgrad.torch.exact_ops import BACKWARD, FORWARD, Pass, rule, zeros_like
from symgrad.torch.graph import Op


# ---------------------------------------------------------------- convolution
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


@rule("conv", FORWARD)
def _conv(run: Pass, op: Op, inputs):
    a, weight = inputs[0], inputs[1]
    one_d = weight.ndim == 3
    if one_d:
        a, weight = a[:, :, None, :], weight[:, :, None, :]
    stride, padding, dilation = (
        _pair2(op.attr(k), one_d, 0 if k == "padding" else 1)
        for k in ("stride", "padding", "dilation")
    )
    padded = _pad(a, padding, run.number(rational(0)))
    n, _, h, w = padded.shape
    o, _, kh, kw = weight.shape
    ho = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = zeros_like(run, (n, ho, wo, o))
    for p in range(kh):
        for q in range(kw):
            tick("exact convolution")
            patch = _patch(padded, p, q, ho, wo, stride, dilation)
            out = out + np.tensordot(patch, weight[:, :, p, q], axes=([1], [1]))
    out = out.transpose(0, 3, 1, 2)
    if len(inputs) > 2:
        out = out + inputs[2][None, :, None, None]
    run.saved[op.name] = (padded, stride, dilation, padding, one_d, (ho, wo))
    return out[:, :, 0, :] if one_d else out


@rule("conv", BACKWARD)
def _conv_back(run: Pass, op: Op, g, inputs):
    weight = inputs[1]
    padded, stride, dilation, padding, one_d, (ho, wo) = run.saved[op.name]
    if one_d:
        g, weight = g[:, :, None, :], weight[:, :, None, :]
    _, _, kh, kw = weight.shape
    grad_weight = np.empty(weight.shape, dtype=object)
    grad_padded = zeros_like(run, padded.shape)
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
    grad = grad_padded[
        :, :, padding[0] : padded.shape[2] - padding[0], padding[1] : padded.shape[3] - padding[1]
    ]
    grads = [grad[:, :, 0, :] if one_d else grad, grad_weight]
    if len(inputs) > 2:
        grads.append(np.sum(g, axis=(0, 2, 3)))
    return grads


# ---------------------------------------------------------------- pooling
def _windows(shape, kernel, stride):
    h, w = shape[-2:]
    return (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1


@rule("avgpool", FORWARD)
def _avgpool(run: Pass, op: Op, inputs):
    a, kernel, stride = inputs[0], op.attr("kernel"), op.attr("stride")
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


@rule("avgpool", BACKWARD)
def _avgpool_back(run: Pass, op: Op, g, inputs):
    kernel, stride = op.attr("kernel"), op.attr("stride")
    ho, wo = g.shape[-2:]
    grad = zeros_like(run, inputs[0].shape)
    share = g / (kernel[0] * kernel[1])
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            rows = slice(p, p + stride[0] * (ho - 1) + 1, stride[0])
            cols = slice(q, q + stride[1] * (wo - 1) + 1, stride[1])
            grad[..., rows, cols] = grad[..., rows, cols] + share
    return [grad]


@rule("maxpool", FORWARD)
def _maxpool(run: Pass, op: Op, inputs):
    """Max over each window; the first maximal entry (row-major) receives the gradient."""
    a, kernel, stride = inputs[0], op.attr("kernel"), op.attr("stride")
    ho, wo = _windows(a.shape, kernel, stride)
    lead = a.shape[:-2]
    out = np.empty(lead + (ho, wo), dtype=object)
    where = np.empty(lead + (ho, wo), dtype=np.int64)
    for index in np.ndindex(*lead, ho, wo):
        *batch, i, j = index
        best, best_at = None, None
        for p in range(kernel[0]):
            for q in range(kernel[1]):
                at = (*batch, i * stride[0] + p, j * stride[1] + q)
                if best is None or compare(a[at], best) > 0:
                    best, best_at = a[at], at
        out[index], where[index] = best, np.ravel_multi_index(best_at, a.shape)
    run.saved[op.name] = where
    return out


@rule("maxpool", BACKWARD)
def _maxpool_back(run: Pass, op: Op, g, inputs):
    grad = zeros_like(run, inputs[0].shape)
    flat, where = grad.reshape(-1), run.saved[op.name]
    for index in np.ndindex(*g.shape):
        at = int(where[index])
        flat[at] = flat[at] + g[index]
    return [grad]


# ---------------------------------------------------------------- norms
def _normalise(a: np.ndarray, dims: tuple[int, ...], eps):
    """(x - mean) / sqrt(var + eps) over ``dims`` (biased variance), in intervals."""
    count = int(np.prod([a.shape[d] for d in dims]))
    a = intervals(a)
    mean = np.sum(a, axis=dims, keepdims=True) / count
    centred = a - mean
    variance = np.sum(centred * centred, axis=dims, keepdims=True) / count
    inverse = apply(variance + as_interval(eps), lambda v: interval_function("rsqrt", v))
    return centred * inverse, inverse, count


def _normalise_back(g, normal, inverse, dims, count):
    mean_g = np.sum(g, axis=dims, keepdims=True) / count
    mean_gn = np.sum(g * normal, axis=dims, keepdims=True) / count
    return inverse * (g - mean_g - normal * mean_gn)


def _affine(op: Op, inputs, normal, shape_of):
    """normal * weight + bias, each broadcast as ``shape_of`` says."""
    roles = dict(zip(op.attr("roles"), inputs[1:]))
    out = normal
    if "weight" in roles:
        out = out * roles["weight"].reshape(shape_of(roles["weight"]))
    if "bias" in roles:
        out = out + roles["bias"].reshape(shape_of(roles["bias"]))
    return out, roles


def _affine_back(op: Op, g, normal, roles, axes, shape_of):
    grads = {}
    if "bias" in roles:
        grads["bias"] = np.sum(g, axis=axes).reshape(roles["bias"].shape)
    if "weight" in roles:
        grads["weight"] = np.sum(g * normal, axis=axes).reshape(roles["weight"].shape)
        g = g * roles["weight"].reshape(shape_of(roles["weight"]))
    return g, grads


@rule("layernorm", FORWARD)
def _layernorm(run: Pass, op: Op, inputs):
    a = inputs[0]
    dims = tuple(range(a.ndim - len(op.attr("normalized")), a.ndim))
    normal, inverse, count = _normalise(a, dims, op.attr("eps"))
    run.saved[op.name] = (normal, inverse, dims, count)
    out, _ = _affine(op, inputs, normal, lambda t: t.shape)
    return out


@rule("layernorm", BACKWARD)
def _layernorm_back(run: Pass, op: Op, g, inputs):
    normal, inverse, dims, count = run.saved[op.name]
    roles = dict(zip(op.attr("roles"), inputs[1:]))
    batch_axes = tuple(range(g.ndim - len(dims)))
    g, grads = _affine_back(op, g, normal, roles, batch_axes, lambda t: t.shape)
    result = [_normalise_back(g, normal, inverse, dims, count)]
    return result + [grads[role] for role in op.attr("roles")]


def _channel_shape(a: np.ndarray):
    return lambda t: (1, t.shape[0]) + (1,) * (a.ndim - 2)


@rule("batchnorm", FORWARD)
def _batchnorm(run: Pass, op: Op, inputs):
    a = inputs[0]
    if a.ndim < 2:
        raise ProblemError("batch norm needs (batch, channels, ...) inputs")
    shape_of = _channel_shape(a)
    dims = (0,) + tuple(range(2, a.ndim))
    if op.attr("training"):
        normal, inverse, count = _normalise(a, dims, op.attr("eps"))
    else:
        roles = dict(zip(op.attr("roles"), inputs[1:]))
        mean = roles["running_mean"].reshape(shape_of(roles["running_mean"]))
        variance = intervals(roles["running_var"].reshape(shape_of(roles["running_var"])))
        inverse = apply(variance + as_interval(op.attr("eps")),
                        lambda v: interval_function("rsqrt", v))  # fmt: skip
        normal, count = (intervals(a) - mean) * inverse, None
    run.saved[op.name] = (normal, inverse, dims, count)
    affine_inputs = [a] + [v for r, v in zip(op.attr("roles"), inputs[1:])]
    out, _ = _affine(op, affine_inputs, normal, shape_of)
    return out


@rule("batchnorm", BACKWARD)
def _batchnorm_back(run: Pass, op: Op, g, inputs):
    normal, inverse, dims, count = run.saved[op.name]
    shape_of = _channel_shape(inputs[0])
    roles = dict(zip(op.attr("roles"), inputs[1:]))
    g, grads = _affine_back(op, g, normal, roles, dims, shape_of)
    if op.attr("training"):
        grad_x = _normalise_back(g, normal, inverse, dims, count)
    else:
        grad_x = g * inverse
    return [grad_x] + [grads.get(role) for role in op.attr("roles")]


# ---------------------------------------------------------------- embedding
def _indices(array: np.ndarray, rows: int) -> np.ndarray:
    out = np.empty(array.shape, dtype=np.int64)
    for index, value in np.ndenumerate(array):
        if getattr(value, "denominator", 1) != 1:
            raise ProblemError(f"an embedding index {value} is not a whole number")
        out[index] = int(value)
        if not 0 <= out[index] < rows:
            raise ProblemError(f"an embedding index {out[index]} is not one of 0..{rows - 1}")
    return out


@rule("embedding", FORWARD)
def _embedding(run: Pass, op: Op, inputs):
    weight, indices = inputs
    rows = _indices(indices, weight.shape[0])
    run.saved[op.name] = rows
    return weight[rows]


@rule("embedding", BACKWARD)
def _embedding_back(run: Pass, op: Op, g, inputs):
    weight = inputs[0]
    rows = run.saved[op.name]
    grad = zeros_like(run, weight.shape)
    padding = op.attr("padding_idx")
    flat_rows = rows.reshape(-1)
    flat_g = g.reshape(len(flat_rows), -1)
    for k, row in enumerate(flat_rows):
        if row != padding:
            grad[row] = grad[row] + flat_g[k]
    return [grad, None]


__all__ = ["FORWARD", "BACKWARD"]
