"""The rule of every operation kind: which of its axes must be permuted alike.

A rule gets the dimension nodes of its inputs' axes and returns its output's. It
unifies the axes that must move together (for the operation to commute with the
permutation) and pins the ones whose order it needs as it is; see
:mod:`symgrad.torch.axes` for why this proves that the loss is unchanged.
"""

from __future__ import annotations

import numpy as np

from symgrad.runtime.budget import tick
from symgrad.torch.axes import (
    DATA,
    DROPOUT,
    EMBEDDING_ROWS,
    SPATIAL,
    TO_THE_LOSS,
    AxisClasses,
    Dims,
)
from symgrad.torch.graph import Graph, Op

REGROUPED = "a reshape regroups its units"
SLICED = "a slice with a step mixes its units"


def _sizes(dims: Dims, nodes: list[int]) -> list[int]:
    return [dims.size[n] for n in nodes]


def _same(dims: Dims, graph: Graph, op: Op, inputs, shape):
    return list(inputs[0])


def _input(dims: Dims, graph: Graph, op: Op, inputs, shape):
    reason = DATA if op.attr("which") == "x" else TO_THE_LOSS
    return [dims.pinned_new(s, reason) for s in shape]


def _const(dims: Dims, graph: Graph, op: Op, inputs, shape):
    return [dims.new(s) for s in shape]


def broadcast(dims: Dims, inputs, shape) -> list[int]:
    """Aligned axes (from the right) of equal size move together; a broadcast axis of size 1
    is constant along the other operand's axis and constrains nothing."""
    out: list[int | None] = [None] * len(shape)
    for k, size in enumerate(shape):
        for nodes in inputs:
            j = len(nodes) - len(shape) + k
            if j < 0 or dims.size[nodes[j]] != size:
                continue
            if out[k] is None:
                out[k] = nodes[j]
            else:
                dims.unify(out[k], nodes[j])
        if out[k] is None:
            out[k] = dims.new(size)
    return out


def _elementwise(dims: Dims, graph: Graph, op: Op, inputs, shape):
    return broadcast(dims, inputs, shape)


def _dropout(dims: Dims, graph: Graph, op: Op, inputs, shape):
    for node in inputs[0]:
        dims.pin(node, DROPOUT)
    return list(inputs[0])


def _reduce(dims: Dims, graph: Graph, op: Op, inputs, shape):
    reduced = set(op.attr("dims"))
    out = []
    for k, node in enumerate(inputs[0]):
        if k not in reduced:
            out.append(node)
        elif op.attr("keepdim"):
            out.append(dims.new(1))
    return out


def _linear(dims: Dims, graph: Graph, op: Op, inputs, shape):
    x, weight = inputs[0], inputs[1]
    dims.unify(x[-1], weight[1])
    if len(inputs) > 2:
        dims.unify(inputs[2][0], weight[0])
    return list(x[:-1]) + [weight[0]]


def _matmul(dims: Dims, graph: Graph, op: Op, inputs, shape):
    a, b = list(inputs[0]), list(inputs[1])
    promoted_a, promoted_b = len(a) == 1, len(b) == 1
    if promoted_a:
        a = [dims.new(1)] + a
    if promoted_b:
        b = b + [dims.new(1)]
    batch_shape = np.broadcast_shapes(tuple(_sizes(dims, a[:-2])), tuple(_sizes(dims, b[:-2])))
    batch = broadcast(dims, [a[:-2], b[:-2]], batch_shape)
    dims.unify(a[-1], b[-2])
    out = batch + ([] if promoted_a else [a[-2]]) + ([] if promoted_b else [b[-1]])
    return out


def _conv(dims: Dims, graph: Graph, op: Op, inputs, shape):
    x, weight = inputs[0], inputs[1]
    dims.unify(x[1], weight[1])
    for node in list(x[2:]) + list(weight[2:]):
        dims.pin(node, SPATIAL)
    if len(inputs) > 2:
        dims.unify(inputs[2][0], weight[0])
    return [x[0], weight[0]] + [dims.pinned_new(s, SPATIAL) for s in shape[2:]]


def _pool(dims: Dims, graph: Graph, op: Op, inputs, shape):
    x = inputs[0]
    for node in x[-2:]:
        dims.pin(node, SPATIAL)
    return list(x[:-2]) + [dims.pinned_new(s, SPATIAL) for s in shape[-2:]]


def _boundaries(sizes: list[int]) -> list[int]:
    out, total = [], 1
    for s in sizes:
        total *= s
        out.append(total)
    return out


def _reshape(dims: Dims, graph: Graph, op: Op, inputs, shape):
    """The common refinement of the two shapes: each axis is a product of factors."""
    source = [n for n in inputs[0] if dims.size[n] != 1]
    sizes = _sizes(dims, source)
    wanted = [s for s in shape if s != 1]
    marks = sorted(set([1] + _boundaries(sizes) + _boundaries(wanted)))
    if marks[-1] != int(np.prod(sizes)) or any(b % a for a, b in zip(marks, marks[1:])):
        for node in source:
            dims.pin(node, REGROUPED)
        return [dims.pinned_new(s, REGROUPED) for s in shape]
    factors = [dims.new(b // a) for a, b in zip(marks, marks[1:])]
    position = {b: k + 1 for k, b in enumerate(marks[1:])}

    def covering(sequence: list[int]) -> list[list[int]]:
        ranges, start = [], 0
        for end in _boundaries(sequence):
            ranges.append(factors[start : position[end]])
            start = position[end]
        return ranges

    for node, group in zip(source, covering(sizes)):
        dims.unify(node, dims.product(group), REGROUPED)
    grouped = iter(covering(wanted))
    return [dims.new(1) if s == 1 else dims.product(next(grouped)) for s in shape]


def _permute(dims: Dims, graph: Graph, op: Op, inputs, shape):
    return [inputs[0][d] for d in op.attr("dims")]


def _expand(dims: Dims, graph: Graph, op: Op, inputs, shape):
    return broadcast(dims, [inputs[0]], shape)


def _slice(dims: Dims, graph: Graph, op: Op, inputs, shape):
    out = list(inputs[0])
    axis = op.attr("dim")
    node = out[axis]
    size = dims.size[node]
    start, stop, step = op.attr("start"), op.attr("stop"), op.attr("step")
    if step != 1:
        dims.pin(node, SLICED)
        out[axis] = dims.pinned_new(shape[axis], SLICED)
        return out
    parts = dims.split(node, [start, stop - start, size - stop], "sum", REGROUPED)
    out[axis] = parts[1]
    return out


def _select(dims: Dims, graph: Graph, op: Op, inputs, shape):
    out = list(inputs[0])
    axis, index = op.attr("dim"), op.attr("index")
    size = dims.size[out[axis]]
    dims.split(out[axis], [index, 1, size - index - 1], "sum", REGROUPED)
    return out[:axis] + out[axis + 1 :]


def _flip(dims: Dims, graph: Graph, op: Op, inputs, shape):
    """Reversing an axis commutes only with the identity on it: the axis is pinned."""
    out = list(inputs[0])
    for axis in op.attr("dims"):
        dims.pin(out[axis], "a flip reverses the order of its positions")
    return out


def _cat(dims: Dims, graph: Graph, op: Op, inputs, shape):
    axis = op.attr("dim")
    others = [[n for k, n in enumerate(nodes) if k != axis] for nodes in inputs]
    rest = broadcast(dims, others, [s for k, s in enumerate(shape) if k != axis])
    parts = [nodes[axis] for nodes in inputs]
    if op.name in dims.branch_cats:
        parts = _branch_blocks(dims, op, parts)
    return rest[:axis] + [dims.sum(parts)] + rest[axis:]


def _branch_blocks(dims: Dims, op: Op, parts: list[int]) -> list[int]:
    """The blocks of identical branches, side by side, as (branch x unit): exchanging two
    branches permutes whole blocks."""
    branch, node = dims.branch_cats[op.name]
    positions = [op.inputs.index(root) for root in branch.roots]
    for k in positions[1:]:
        dims.unify(parts[k], parts[positions[0]])
    block = dims.product([node, parts[positions[0]]])
    return parts[: positions[0]] + [block] + parts[positions[-1] + 1 :]


def _embedding(dims: Dims, graph: Graph, op: Op, inputs, shape):
    weight, indices = inputs
    dims.pin(weight[0], EMBEDDING_ROWS)
    return list(indices) + [weight[1]]


def _layernorm(dims: Dims, graph: Graph, op: Op, inputs, shape):
    x = inputs[0]
    count = len(op.attr("normalized"))
    for nodes in inputs[1:]:
        for j, node in enumerate(nodes):
            dims.unify(node, x[len(x) - count + j])
    return list(x)


def _batchnorm(dims: Dims, graph: Graph, op: Op, inputs, shape):
    x = inputs[0]
    for nodes in inputs[1:]:
        dims.unify(nodes[0], x[1])
    return list(x)


def _cross_entropy(dims: Dims, graph: Graph, op: Op, inputs, shape):
    logits, target = inputs
    if len(target) == len(logits):
        broadcast(dims, [logits, target], _sizes(dims, logits))
    else:
        dims.unify(logits[0], target[0])
        dims.pin(logits[1], TO_THE_LOSS)
    return []


def _mse(dims: Dims, graph: Graph, op: Op, inputs, shape):
    broadcast(dims, inputs, _sizes(dims, inputs[0]))
    return []


def _output(dims: Dims, graph: Graph, op: Op, inputs, shape):
    return []


RULES = {
    "input": _input,
    "const": _const,
    "output": _output,
    "unary": _same,
    "detach": _same,
    "softmax": _same,
    "log_softmax": _same,
    "dropout": _dropout,
    **{
        k: _elementwise
        for k in ("add", "sub", "mul", "div", "minimum", "maximum", "where", "compare", "logical")
    },  # fmt: skip
    "mse": _mse,
    "sum": _reduce,
    "mean": _reduce,
    "reduce_bool": _reduce,
    "linear": _linear,
    "matmul": _matmul,
    "conv": _conv,
    "avgpool": _pool,
    "maxpool": _pool,
    "reshape": _reshape,
    "permute": _permute,
    "expand": _expand,
    "slice": _slice,
    "select": _select,
    "cat": _cat,
    "flip": _flip,
    "embedding": _embedding,
    "layernorm": _layernorm,
    "batchnorm": _batchnorm,
    "cross_entropy": _cross_entropy,
}


def classify(graph: Graph, branch_sets=()) -> AxisClasses:
    """Run every operation's rule over the graph; ``branch_sets`` (identical branches,
    :mod:`symgrad.torch.branches`) move together and may be exchanged."""
    dims = Dims()
    axes: dict[str, list[int]] = {}
    params: dict[str, list[int]] = {}
    branches = [(b, dims.new(b.count)) for b in branch_sets]
    dims.branch_cats = {b.combine: (b, node) for b, node in branches if b.kind == "cat"}
    for op in graph.ops:
        tick("following unit permutations")
        shape = graph.shapes.get(op.name, ())
        if op.kind == "param":
            name = op.attr("name")
            if name not in params:
                params[name] = [dims.new(s) for s in graph.parameters[name].shape]
            axes[op.name] = params[name]
            continue
        inputs = [axes[s] for s in op.inputs]
        axes[op.name] = _rule(dims, graph, op, inputs, tuple(shape))
    for branch, _ in branches:
        for mapping in branch.nodes[1:]:
            for node, base in mapping:
                for a, b in zip(axes[node], axes[base]):
                    dims.unify(a, b)
    return AxisClasses(dims, axes, params, branches)


def _rule(dims: Dims, graph: Graph, op: Op, inputs, shape) -> list[int]:
    rule = RULES.get(op.kind)
    if rule is None:
        return [dims.pinned_new(s, f"{op.kind} is not followed") for s in shape]
    return rule(dims, graph, op, inputs, shape)
