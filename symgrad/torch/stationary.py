"""Parameters that never move: a gradient that is exactly zero for every input and step.

Suppose a set S of parameter tensors keeps its initial values. Then some tensors of
the graph are exactly zero whatever the data and the other parameters are (a zero
weight times anything, relu or tanh of zero, a sum of zeros), and some gradients are
exactly zero too (a zero weight passes no gradient back, relu'(0) = 0 in PyTorch,
the gradient of a weight is zero when its input is). If every trainable tensor of S
then has an exactly zero gradient, no step of SGD, momentum, Adam or weight decay
(all zero at zero) moves it, so S keeps its values forever, by induction on the
steps. S starts as the trainable tensors whose entries are all 0, plus the frozen
ones (``requires_grad=False``), and loses every tensor whose gradient is not shown
to be zero, until nothing changes. The rules only ever say "zero" when it is exact.
"""

from __future__ import annotations

import numpy as np

from symgrad.torch.graph import Graph, Op

KEEPS_ZERO = {"relu", "tanh", "neg", "abs", "sign", "silu", "gelu", "leaky_relu", "elu",
              "identity", "expm1", "erf", "pow"}  # fmt: skip
FLAT_AT_ZERO = {"relu", "abs", "sign"}
PASS_THROUGH = {"sum", "mean", "reshape", "permute", "expand", "slice", "select", "detach",
                "dropout", "avgpool", "maxpool", "flip"}  # fmt: skip


def never_moving(graph: Graph, values: dict[str, np.ndarray]) -> set[str]:
    """The parameter tensors that provably keep their initial values forever."""
    frozen = set(graph.frozen)
    kept = frozen | {
        name for name, array in values.items() if name not in frozen and _all_zero(array)
    }
    while True:
        zero = _zero_values(graph, values, kept)
        moving = {name for name in kept - frozen if not _zero_gradient(graph, zero, name)}
        if not moving:
            return kept
        kept -= moving


def _all_zero(array: np.ndarray) -> bool:
    return all(v == 0 for v in array.reshape(-1))


def _unary_zero(op: Op, source: bool) -> bool:
    function = op.attr("function")
    if function == "pow":
        return source and op.attr("exponent") >= 1
    if function in ("hardtanh", "clamp"):
        low, high = op.attr("low"), op.attr("high")
        return source and (low is None or low <= 0) and (high is None or high >= 0)
    return source and function in KEEPS_ZERO


def _zero_values(graph: Graph, values, kept: set[str]) -> dict[str, bool]:
    """Which tensors are exactly zero for every input while ``kept`` keeps its values."""
    zero: dict[str, bool] = {}
    for op in graph.ops:
        z = [zero.get(s, False) for s in op.inputs]
        kind = op.kind
        if kind == "param":
            name = op.attr("name")
            zero[op.name] = name in kept and _all_zero(values[name])
        elif kind == "const":
            zero[op.name] = _all_zero(np.asarray(op.attr("value"), dtype=object).reshape(-1))
        elif kind == "unary":
            zero[op.name] = _unary_zero(op, z[0])
        elif kind in PASS_THROUGH:
            zero[op.name] = z[0]
        elif kind in ("add", "sub", "minimum", "maximum", "cat"):
            zero[op.name] = all(z)
        elif kind in ("mul", "matmul"):
            zero[op.name] = any(z)
        elif kind == "embedding":
            zero[op.name] = z[0]
        elif kind in ("linear", "conv"):
            zero[op.name] = (z[0] or z[1]) and (len(z) < 3 or z[2])
        elif kind == "where":
            zero[op.name] = z[1] and z[2]
        elif kind in ("layernorm", "batchnorm"):
            zero[op.name] = _norm_zero(op, z)
        else:
            zero[op.name] = False
    return zero


def _norm_zero(op: Op, z: list[bool]) -> bool:
    roles = dict(zip(op.attr("roles"), z[1:]))
    centred = z[0] and (op.kind == "layernorm" or op.attr("training")
                        or roles.get("running_mean", False))  # fmt: skip
    scaled = centred or roles.get("weight", False)
    return scaled and roles.get("bias", True)


def _zero_gradient(graph: Graph, zero: dict[str, bool], parameter: str) -> bool:
    """The gradient of ``parameter`` is exactly zero (every path back to it is cut)."""
    gradient_zero: dict[str, bool] = {}
    output = graph.output
    gradient_zero[output.inputs[0]] = False
    for op in reversed(graph.ops):
        if op.kind in ("output", "input", "const", "param") or op.name not in gradient_zero:
            continue
        cut = gradient_zero[op.name]
        for index, source in enumerate(op.inputs):
            contribution = cut or _local_zero(op, index, zero)
            gradient_zero[source] = gradient_zero.get(source, True) and contribution
    nodes = [op.name for op in graph.ops if op.kind == "param" and op.attr("name") == parameter]
    return all(gradient_zero.get(n, True) for n in nodes)


def _local_zero(op: Op, index: int, zero: dict[str, bool]) -> bool:
    """The op's derivative with respect to input ``index`` is exactly zero."""
    z = [zero.get(s, False) for s in op.inputs]
    kind = op.kind
    if kind in ("detach", "compare", "logical", "reduce_bool"):
        return True
    if kind == "unary":
        function = op.attr("function")
        if function == "sign":
            return True
        if function == "pow":
            return z[0] and op.attr("exponent") >= 2
        if function == "hardtanh":
            return z[0] and (op.attr("low") == 0 or op.attr("high") == 0)
        return z[0] and function in FLAT_AT_ZERO
    if kind == "mul":
        return z[1 - index]
    if kind == "div":
        return index == 1 and z[0]
    if kind in ("linear", "conv"):
        return {0: z[1], 1: z[0]}.get(index, False)
    if kind == "matmul":
        return z[1 - index]
    if kind in ("layernorm", "batchnorm"):
        roles = dict(zip(("x", *op.attr("roles")), z))
        role = ("x", *op.attr("roles"))[index]
        if role == "x":
            return roles.get("weight", False)
        if role == "weight":
            return roles["x"] and (op.kind == "layernorm" or op.attr("training"))
        return role.startswith("running")
    if kind == "embedding":
        return index == 1
    if kind == "cross_entropy":
        return index == 1
    return False
