"""Every aten operation of an exported model as an :class:`~symgrad.torch.graph.Op`.

The kinds below are all that the exact passes (:mod:`.exact_ops`) and the symmetry
rules (:mod:`.axes`) know; an aten operation outside this table is refused with its
name and the module it came from. Arguments are read through the operation's own
schema, so an option that changes the maths (a padding, a divisor, a rounding mode)
is either read or refused, never ignored.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction

from symgrad.torch.graph import NEG_INF, SUPPORTED_SHORT, ModelTraceError, Op, exact

UNARY = {
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "exp": "exp",
    "log": "log",
    "log1p": "log1p",
    "expm1": "expm1",
    "sqrt": "sqrt",
    "rsqrt": "rsqrt",
    "neg": "neg",
    "abs": "abs",
    "reciprocal": "reciprocal",
    "sign": "sign",
    "silu": "silu",
    "erf": "erf",
}
RANDOM = {
    "rand", "randn", "rand_like", "randn_like", "randint", "randint_like", "bernoulli",
    "normal", "randperm", "multinomial", "uniform", "exponential", "poisson",
}  # fmt: skip
ALIASES = {"clone", "alias", "contiguous", "lift_fresh_copy", "_to_copy", "view_as", "to"}
SHAPE_ONLY = {"full_like", "zeros_like", "ones_like", "empty_like", "new_zeros", "new_ones",
              "new_full", "new_empty", "scalar_tensor", "sym_size", "sym_numel"}  # fmt: skip
COMPARE = {"eq", "ne", "lt", "le", "gt", "ge"}


def bind(node) -> dict:
    """The call's arguments by schema name, defaults filled in."""
    schema = node.target._schema
    given = dict(zip((a.name for a in schema.arguments), node.args))
    given.update(node.kwargs)
    for argument in schema.arguments:
        if argument.name not in given and argument.has_default_value():
            given[argument.name] = argument.default_value
    return given


def packet(node) -> str:
    target = node.target
    if target is operator.getitem:
        return "getitem"
    return getattr(getattr(target, "_overloadpacket", None), "__name__", str(target))


class Lowering:
    """Builds the op list; ``alias`` maps fx names whose value is another node's."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], modules: dict[str, str]) -> None:
        self.ops: list[Op] = []
        self.shapes = shapes
        self.modules = modules
        self.alias: dict[str, str] = {}
        self.pending: dict[str, tuple] = {}
        self.counter = 0

    # ------------------------------------------------------------ helpers
    def name(self, value) -> str:
        """The IR node of an fx node argument."""
        return self.alias.get(value.name, value.name)

    def emit(self, name: str, kind: str, inputs=(), attrs=(), module: str = "", shape=None):
        if shape is not None:
            self.shapes[name] = tuple(shape)
        self.ops.append(Op(name, kind, tuple(inputs), module, tuple(attrs)))
        return name

    def constant(self, value, module: str = "") -> str:
        """A scalar constant as a 0-d const node."""
        import numpy as np

        self.counter += 1
        name = f"_scalar_{self.counter}"
        array = np.empty((), dtype=object)
        if isinstance(value, float) and value == float("-inf"):
            array[()] = NEG_INF
        elif isinstance(value, float) and not math.isfinite(value):
            raise ModelTraceError(f"{module or 'the model'}: a constant {value} is not supported")
        else:
            array[()] = value if isinstance(value, (bool, int, Fraction)) else exact(value)
        return self.emit(name, "const", (), (("value", array),), module, ())

    def operand(self, value, module: str) -> str:
        from torch import fx

        if isinstance(value, fx.Node):
            return self.name(value)
        if isinstance(value, (bool, int, float)):
            return self.constant(value, module)
        raise ModelTraceError(f"{module or 'the model'}: an argument {value!r} is not supported")

    def refuse(self, node, what: str = "") -> None:
        module = self.modules.get(node.name, "")
        label = f"{module} ({self.module_type(node)})" if module else "the model"
        text = what or f"{packet(node)} is not supported"
        message = f"{label}: {text}"
        if len(message) + len(SUPPORTED_SHORT) < 196:
            message += f"; {SUPPORTED_SHORT}"
        raise ModelTraceError(message[:199])

    def module_type(self, node) -> str:
        stack = node.meta.get("nn_module_stack") or {}
        if not stack:
            return "forward"
        return list(stack.values())[-1][1].rsplit(".", 1)[-1]

    # ------------------------------------------------------------ dispatch
    def lower(self, node) -> None:
        """Lower one call_function node (constants were folded before)."""
        kind = packet(node)
        module = self.modules.get(node.name, "")
        if kind in RANDOM:
            self.refuse(
                node,
                f"{kind} draws random numbers in every step (per-unit randomness such as "
                "noise injection): no proof covers it",
            )
        handler = _HANDLERS.get(kind)
        if handler is None:
            if kind in ALIASES:
                return self._alias(node)
            if kind in UNARY:
                return self.unary(node, UNARY[kind])
            self.refuse(node)
        handler(self, node, module)

    def unary(self, node, function: str, extra=()) -> None:
        module = self.modules.get(node.name, "")
        self.emit(node.name, "unary", (self.name(node.args[0]),),
                  (("function", function), *extra), module)  # fmt: skip

    def _alias(self, node) -> None:
        args = bind(node) if hasattr(node.target, "_schema") else {}
        dtype = args.get("dtype")
        source = node.args[0]
        source_dtype = getattr(source.meta.get("val"), "dtype", None)
        if dtype is not None and source_dtype is not None:
            if source_dtype.is_floating_point != dtype.is_floating_point:
                self.refuse(node, f"a cast from {source_dtype} to {dtype} is not supported")
        self.alias[node.name] = self.name(source)


# ---------------------------------------------------------------- handlers
def _arithmetic(kind: str):
    def handle(lowering: Lowering, node, module: str) -> None:
        args = bind(node)
        first, second = node.args[0], node.args[1]
        alpha = args.get("alpha", 1)
        a, b = lowering.operand(first, module), lowering.operand(second, module)
        if alpha != 1:
            b = lowering.emit(f"{node.name}_alpha", "mul", (b, lowering.constant(alpha, module)),
                              module=module, shape=lowering.shapes.get(b, ()))  # fmt: skip
        if kind == "rsub":
            a, b = b, a
        base = "sub" if kind == "rsub" else kind
        if args.get("rounding_mode") is not None:
            lowering.refuse(node, "division with a rounding mode is not supported")
        lowering.emit(node.name, base, (a, b), module=module)

    return handle


def _minmax(kind: str):
    def handle(lowering: Lowering, node, module: str) -> None:
        a, b = (lowering.operand(v, module) for v in node.args[:2])
        lowering.emit(node.name, kind, (a, b), module=module)

    return handle


def _compare(lowering: Lowering, node, module: str) -> None:
    a, b = (lowering.operand(v, module) for v in node.args[:2])
    lowering.emit(node.name, "compare", (a, b), (("op", packet(node)),), module)


def _logical(lowering: Lowering, node, module: str) -> None:
    inputs = [lowering.operand(v, module) for v in node.args[:2]]
    lowering.emit(node.name, "logical", inputs, (("op", packet(node)),), module)


def _reduce_bool(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    dims = _dims(args.get("dim"), len(node.args[0].meta["val"].shape))
    lowering.emit(node.name, "reduce_bool", (lowering.name(node.args[0]),),
                  (("op", packet(node)), ("dims", dims), ("keepdim", bool(args.get("keepdim")))),
                  module)  # fmt: skip


def _where(lowering: Lowering, node, module: str) -> None:
    inputs = [lowering.operand(v, module) for v in node.args[:3]]
    lowering.emit(node.name, "where", inputs, module=module)


def _pow(lowering: Lowering, node, module: str) -> None:
    exponent = node.args[1]
    named = {0.5: "sqrt", -0.5: "rsqrt", -1: "reciprocal", 1: "identity"}
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
        lowering.refuse(node, "a power with a tensor exponent is not supported")
    if exponent in named:
        return lowering.unary(node, named[exponent])
    if float(exponent) != int(exponent) or not 0 <= exponent <= 16:
        lowering.refuse(node, f"the power {exponent} is not supported (whole powers 0..16 are)")
    lowering.unary(node, "pow", (("exponent", int(exponent)),))


def _activation(lowering: Lowering, node, module: str) -> None:
    kind, args = packet(node), bind(node)
    if kind == "gelu":
        if args.get("approximate", "none") not in ("none", "tanh"):
            lowering.refuse(node, f"GELU(approximate={args['approximate']!r}) is not supported")
        return lowering.unary(node, "gelu", (("approximate", args.get("approximate", "none")),))
    if kind == "softplus":
        extra = (("beta", exact(args["beta"])), ("threshold", exact(args["threshold"])))
        return lowering.unary(node, "softplus", extra)
    if kind == "leaky_relu":
        return lowering.unary(node, "leaky_relu", (("slope", exact(args["negative_slope"])),))
    if kind == "elu":
        if args["scale"] != 1 or args["input_scale"] != 1:
            lowering.refuse(node, "ELU with scale or input_scale (SELU) is not supported")
        return lowering.unary(node, "elu", (("alpha", exact(args["alpha"])),))
    if kind == "hardtanh":
        bounds = (("low", exact(args["min_val"])), ("high", exact(args["max_val"])))
        return lowering.unary(node, "hardtanh", bounds)
    low = args.get("min") if kind != "clamp_max" else None
    high = args.get("max") if kind != "clamp_min" else None
    if kind == "clamp_min":
        low = node.args[1]
    if kind == "clamp_max":
        high = node.args[1]
    if any(b is not None and not isinstance(b, (int, float)) for b in (low, high)):
        lowering.refuse(node, "clamp with tensor bounds is not supported")
    bounds = (("low", None if low is None else exact(low)),
              ("high", None if high is None else exact(high)))  # fmt: skip
    lowering.unary(node, "clamp", bounds)


def _linear(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    inputs = [lowering.name(node.args[0]), lowering.name(args["weight"])]
    if args.get("bias") is not None:
        inputs.append(lowering.name(args["bias"]))
    lowering.emit(node.name, "linear", inputs, module=module)


def _matmul(lowering: Lowering, node, module: str) -> None:
    kind = packet(node)
    if kind in ("mm", "bmm", "matmul"):
        a, b = (lowering.name(v) for v in node.args[:2])
        lowering.emit(node.name, "matmul", (a, b), module=module)
        return
    args = bind(node)  # addmm / baddbmm: beta * input + alpha * (a @ b)
    if args.get("beta", 1) != 1 or args.get("alpha", 1) != 1:
        lowering.refuse(node, f"{kind} with beta or alpha is not supported")
    product = f"{node.name}_product"
    a, b = (
        lowering.name(args["mat1" if kind == "addmm" else "batch1"]),
        lowering.name(args["mat2" if kind == "addmm" else "batch2"]),
    )
    lowering.emit(product, "matmul", (a, b), module=module, shape=node.meta["val"].shape)
    lowering.emit(node.name, "add", (product, lowering.name(args["self"])), module=module)


def _convolution(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    if args["transposed"] or args["groups"] != 1:
        lowering.refuse(node, "transposed or grouped convolutions are not supported (groups=1 is)")
    rank = len(node.args[0].meta["val"].shape)
    if rank not in (3, 4) or len(args["stride"]) != rank - 2:
        lowering.refuse(
            node,
            f"an input with {rank} axes: give --input-shape with a batch dimension (batch, "
            "channels, ...); unbatched and 3-d convolutions are not supported",
        )
    inputs = [lowering.name(node.args[0]), lowering.name(args["weight"])]
    if args.get("bias") is not None:
        inputs.append(lowering.name(args["bias"]))
    attrs = (
        ("stride", tuple(args["stride"])),
        ("padding", tuple(args["padding"])),
        ("dilation", tuple(args["dilation"])),
        ("rank", rank),
    )
    lowering.emit(node.name, "conv", inputs, attrs, module)


def _dims(dims, rank: int) -> tuple[int, ...]:
    if dims is None or dims == []:
        return tuple(range(rank))
    if isinstance(dims, int):
        dims = [dims]
    return tuple(sorted(d % max(rank, 1) for d in dims))


def _reduce(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    if args.get("dtype") is not None:
        lowering.refuse(node, f"{packet(node)} with a dtype is not supported")
    rank = len(node.args[0].meta["val"].shape)
    dims = _dims(args.get("dim"), rank)
    attrs = (("dims", dims), ("keepdim", bool(args.get("keepdim", False))))
    lowering.emit(node.name, packet(node), (lowering.name(node.args[0]),), attrs, module)


def _softmax(lowering: Lowering, node, module: str) -> None:
    rank = len(node.args[0].meta["val"].shape)
    kind = "log_softmax" if "log" in packet(node) else "softmax"
    dim = node.args[1] % max(rank, 1)
    lowering.emit(node.name, kind, (lowering.name(node.args[0]),), (("dim", dim),), module)


def _reshape(lowering: Lowering, node, module: str) -> None:
    shape = tuple(node.meta["val"].shape)
    lowering.emit(node.name, "reshape", (lowering.name(node.args[0]),), (("shape", shape),),
                  module)  # fmt: skip


def _permute(lowering: Lowering, node, module: str) -> None:
    rank = len(node.args[0].meta["val"].shape)
    kind = packet(node)
    if kind == "permute":
        dims = tuple(d % rank for d in node.args[1])
    else:  # t, transpose, swapaxes
        first, second = (node.args[1], node.args[2]) if kind != "t" else (0, 1)
        dims = list(range(rank))
        if rank >= 2 or kind != "t":
            a, b = first % max(rank, 1), second % max(rank, 1)
            dims[a], dims[b] = dims[b], dims[a]
        dims = tuple(dims)
    lowering.emit(node.name, "permute", (lowering.name(node.args[0]),), (("dims", dims),),
                  module)  # fmt: skip


def _expand(lowering: Lowering, node, module: str) -> None:
    shape = tuple(node.meta["val"].shape)
    lowering.emit(node.name, "expand", (lowering.name(node.args[0]),), (("shape", shape),),
                  module)  # fmt: skip


def _slice(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    size = node.args[0].meta["val"].shape[args["dim"]]
    rank = len(node.args[0].meta["val"].shape)
    start, stop, step = slice(args.get("start"), args.get("end"), args.get("step", 1)).indices(
        int(size)
    )
    attrs = (("dim", args["dim"] % rank), ("start", start), ("stop", max(stop, start)),
             ("step", step))  # fmt: skip
    lowering.emit(node.name, "slice", (lowering.name(node.args[0]),), attrs, module)


def _select(lowering: Lowering, node, module: str) -> None:
    shape = node.args[0].meta["val"].shape
    dim = node.args[1] % len(shape)
    index = node.args[2] % int(shape[dim])
    lowering.emit(node.name, "select", (lowering.name(node.args[0]),),
                  (("dim", dim), ("index", index)), module)  # fmt: skip


def _split(lowering: Lowering, node, module: str) -> None:
    """split/chunk: nothing is emitted here; each getitem becomes a slice."""
    args = bind(node)
    shape = node.args[0].meta["val"].shape
    dim = args.get("dim", 0) % len(shape)
    sizes = args.get("split_sizes")
    if sizes is None:
        step = args["split_size"]
        sizes = [min(step, int(shape[dim]) - k) for k in range(0, int(shape[dim]), step)]
    starts = [sum(sizes[:k]) for k in range(len(sizes))]
    lowering.pending[node.name] = ("split", lowering.name(node.args[0]), dim, starts, sizes)


def _cat(lowering: Lowering, node, module: str) -> None:
    tensors = [t for t in node.args[0] if 0 not in tuple(t.meta["val"].shape)]
    rank = len(node.meta["val"].shape)
    dim = (node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)) % rank
    lowering.emit(node.name, "cat", [lowering.name(t) for t in tensors], (("dim", dim),), module)


def _embedding(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    if args.get("scale_grad_by_freq"):
        lowering.refuse(node, "Embedding(scale_grad_by_freq=True) is not supported")
    inputs = (lowering.name(args["weight"]), lowering.name(args["indices"]))
    lowering.emit(node.name, "embedding", inputs, (("padding_idx", int(args["padding_idx"])),),
                  module)  # fmt: skip


def _pool(lowering: Lowering, node, module: str) -> None:
    args, kind = bind(node), packet(node)
    kernel = tuple(args["kernel_size"]) * (2 // len(args["kernel_size"]))
    stride = tuple(args.get("stride") or kernel) * (2 // max(len(args.get("stride") or kernel), 1))
    options = (args.get("padding") not in (0, [0, 0], [0], (0, 0)) or args.get("ceil_mode")
               or args.get("dilation") not in (None, 1, [1, 1], [1], (1, 1))
               or args.get("divisor_override") is not None)  # fmt: skip
    if options:
        lowering.refuse(node, "pooling with padding, dilation, ceil_mode or divisor_override is "
                        "not supported")  # fmt: skip
    if len(node.args[0].meta["val"].shape) != 4:
        lowering.refuse(node, "2-d pooling needs (batch, channels, height, width) inputs")
    target = "maxpool" if kind.startswith("max_pool") else "avgpool"
    if target == "maxpool":
        lowering.pending[node.name] = ("first", target)
    lowering.emit(node.name, target, (lowering.name(node.args[0]),),
                  (("kernel", kernel), ("stride", stride)), module)  # fmt: skip


def _adaptive(lowering: Lowering, node, module: str) -> None:
    shape = tuple(node.args[0].meta["val"].shape)
    out = tuple(node.meta["val"].shape)
    if len(shape) != 4 or any(s % o for s, o in zip(shape[2:], out[2:])):
        lowering.refuse(node, "adaptive pooling to a size that does not divide the input is not "
                        "supported")  # fmt: skip
    kernel = tuple(s // o for s, o in zip(shape[2:], out[2:]))
    lowering.emit(node.name, "avgpool", (lowering.name(node.args[0]),),
                  (("kernel", kernel), ("stride", kernel)), module)  # fmt: skip


def _layer_norm(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    inputs = [lowering.name(node.args[0])]
    roles = []
    for role in ("weight", "bias"):
        if args.get(role) is not None:
            inputs.append(lowering.name(args[role]))
            roles.append(role)
    attrs = (("normalized", tuple(args["normalized_shape"])), ("eps", exact(args["eps"])),
             ("roles", tuple(roles)))  # fmt: skip
    lowering.pending[node.name] = ("first", "layernorm")
    lowering.emit(node.name, "layernorm", inputs, attrs, module)


def _batch_norm(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    training = bool(args.get("training", False))
    inputs, roles = [lowering.name(node.args[0])], []
    for role in ("weight", "bias", "running_mean", "running_var"):
        value = args.get(role)
        if value is not None and not (training and role.startswith("running")):
            inputs.append(lowering.name(value))
            roles.append(role)
    if not training and len([r for r in roles if r.startswith("running")]) != 2:
        lowering.refuse(node, "batch norm in eval mode without running statistics")
    attrs = (("eps", exact(args["eps"])), ("training", training), ("roles", tuple(roles)))
    lowering.pending[node.name] = ("first", "batchnorm")
    lowering.emit(node.name, "batchnorm", inputs, attrs, module)


def _dropout(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    lowering.pending[node.name] = ("first", "dropout")
    if not args.get("train", True) or args["p"] == 0:
        lowering.alias[node.name] = lowering.name(node.args[0])
        return
    if args["p"] >= 1:
        lowering.refuse(node, "dropout with p=1 drops everything")
    lowering.emit(node.name, "dropout", (lowering.name(node.args[0]),),
                  (("p", exact(args["p"])),), module)  # fmt: skip


def _cross_entropy(lowering: Lowering, node, module: str) -> None:
    args = bind(node)
    if (
        args.get("weight") is not None
        or args.get("label_smoothing", 0)
        or (args.get("ignore_index", -100) != -100)
    ):
        lowering.refuse(node, "cross-entropy with class weights, label smoothing or ignore_index "
                        "is not supported")  # fmt: skip
    reduction = {0: "none", 1: "mean", 2: "sum"}[args.get("reduction", 1)]
    if reduction == "none":
        lowering.refuse(node, "cross-entropy with reduction='none' is not a scalar loss")
    logits = node.args[0].meta["val"].shape
    if len(logits) != 2:
        lowering.refuse(node, "cross-entropy needs logits of shape (N, C)")
    inputs = (lowering.name(node.args[0]), lowering.name(node.args[1]))
    lowering.emit(node.name, "cross_entropy", inputs, (("reduction", reduction),), module)


def _flip(lowering: Lowering, node, module: str) -> None:
    rank = len(node.args[0].meta["val"].shape)
    dims = tuple(sorted(d % rank for d in node.args[1]))
    lowering.emit(node.name, "flip", (lowering.name(node.args[0]),), (("dims", dims),), module)


def _detach(lowering: Lowering, node, module: str) -> None:
    lowering.emit(node.name, "detach", (lowering.name(node.args[0]),), module=module)


def _getitem(lowering: Lowering, node, module: str) -> None:
    source, index = node.args
    pending = lowering.pending.get(source.name)
    if pending is None:
        lowering.refuse(node, f"indexing the result of {packet(source)} is not supported")
    if pending[0] == "first":
        if index != 0:
            if node.users:
                lowering.refuse(node, f"the auxiliary outputs of {pending[1]} are not supported")
            return
        lowering.alias[node.name] = lowering.alias.get(source.name, source.name)
        return
    _, tensor, dim, starts, sizes = pending
    attrs = (("dim", dim), ("start", starts[index]), ("stop", starts[index] + sizes[index]),
             ("step", 1))  # fmt: skip
    lowering.emit(node.name, "slice", (tensor,), attrs, module)


_HANDLERS = {
    **{k: _arithmetic(k) for k in ("add", "sub", "mul", "div", "rsub")},
    "minimum": _minmax("minimum"),
    "maximum": _minmax("maximum"),
    **{k: _compare for k in COMPARE},
    **{k: _logical for k in ("logical_not", "logical_and", "logical_or", "logical_xor")},
    "any": _reduce_bool,
    "all": _reduce_bool,
    "where": _where,
    "pow": _pow,
    **{
        k: _activation
        for k in (
            "gelu",
            "softplus",
            "leaky_relu",
            "elu",
            "hardtanh",
            "clamp",
            "clamp_min",
            "clamp_max",
        )
    },  # fmt: skip
    "linear": _linear,
    **{k: _matmul for k in ("mm", "bmm", "matmul", "addmm", "baddbmm")},
    "convolution": _convolution,
    "sum": _reduce,
    "mean": _reduce,
    "_softmax": _softmax,
    "_log_softmax": _softmax,
    **{
        k: _reshape
        for k in ("view", "_unsafe_view", "reshape", "unsqueeze", "squeeze", "flatten", "unflatten")
    },  # fmt: skip
    **{k: _permute for k in ("permute", "t", "transpose", "swapaxes")},
    "expand": _expand,
    "slice": _slice,
    "select": _select,
    "split_with_sizes": _split,
    "split": _split,
    "cat": _cat,
    "embedding": _embedding,
    "max_pool2d_with_indices": _pool,
    "avg_pool2d": _pool,
    "_adaptive_avg_pool2d": _adaptive,
    "native_layer_norm": _layer_norm,
    "_native_batch_norm_legit_no_training": _batch_norm,
    "_native_batch_norm_legit_functional": _batch_norm,
    "_native_batch_norm_legit": _batch_norm,
    "native_dropout": _dropout,
    "cross_entropy_loss": _cross_entropy,
    "detach": _detach,
    "flip": _flip,
    "getitem": _getitem,
}
