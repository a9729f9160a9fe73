"""A PyTorch model (with its loss) traced by ``torch.fx`` into a small graph of known ops.

Every node of the traced module becomes an :class:`Op` with a kind from
:data:`SUPPORTED` (an unsupported module or function is named in a clear error,
with the list); parameters are read as exact rationals (a float is a dyadic
rational, so nothing is rounded). torch is an optional dependency: without it
:func:`require_torch` says how to install it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from symgrad.errors import ProblemError
from symgrad.runtime.budget import tick

SUPPORTED = (
    "nn.Linear",
    "nn.Conv1d",
    "nn.Conv2d",
    "nn.Flatten",
    "nn.AvgPool2d",
    "nn.MaxPool2d",
    "nn.Sequential",
    "nn.ReLU",
    "nn.Tanh",
    "nn.Sigmoid",
    "nn.Softplus",
    "nn.GELU",
    "nn.SiLU",
    "nn.LayerNorm",
    "nn.Identity",
    "nn.Dropout (as in eval mode)",
    "their functional forms (F.linear, F.conv2d, F.layer_norm with the model's parameters, "
    "F.relu, torch.tanh, F.avg_pool2d, F.max_pool2d, F.dropout, ...)",
    "residual additions (+), concatenation (torch.cat), flatten (or a flattening view/reshape), "
    "scalar multiplication",
)
MAX_INPUT = 10**6
ACTIVATIONS = ("relu", "tanh", "sigmoid", "softplus", "gelu", "silu", "identity")
LOSSES = ("mse", "cross-entropy")


class ModelTraceError(ProblemError):
    """The model (or its file) cannot be traced into supported operations."""


def require_torch():
    """The torch module, or a clear error that says how to install it."""
    try:
        import torch
    except ModuleNotFoundError:
        raise ProblemError(
            "PyTorch models need torch: pip install 'symgrad[torch]' (a CPU build such as "
            "torch==2.13.0 is enough)"
        ) from None
    return torch


@dataclass(frozen=True)
class Op:
    """One node: ``kind`` from the supported list, its input node names, the module name it
    came from, its parameter tensors (role -> parameter name) and static attributes."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    module: str = ""
    params: tuple[tuple[str, str], ...] = ()
    attrs: tuple[tuple[str, object], ...] = ()

    def attr(self, key: str, default=None):
        return dict(self.attrs).get(key, default)

    def param(self, role: str) -> str | None:
        return dict(self.params).get(role)


@dataclass
class Graph:
    """The traced computation: ops in order, the parameter tensors (exact) and the shapes."""

    ops: list[Op]
    parameters: dict[str, np.ndarray]
    shapes: dict[str, tuple[int, ...]]
    input_shape: tuple[int, ...]
    target_shape: tuple[int, ...]
    loss: str
    notes: list[str] = field(default_factory=list)
    wrapped: object = field(default=None, repr=False)

    def op(self, name: str) -> Op:
        return self._by_name[name]

    def __post_init__(self) -> None:
        self._by_name = {op.name: op for op in self.ops}
        users: dict[str, list[str]] = {op.name: [] for op in self.ops}
        for op in self.ops:
            for source in op.inputs:
                users.setdefault(source, []).append(op.name)
        self.users = users

    @property
    def rational_until_loss(self) -> bool:
        """Every op before the loss keeps rationals rational (relu, linear, pooling, ...)."""
        kinds = {op.kind for op in self.ops}
        activations = {op.attr("function") for op in self.ops if op.kind == "activation"}
        return not (activations - {"relu", "identity"} or "layernorm" in kinds)


def exact(value: float) -> Fraction:
    """A float as the exact rational it is (a float is a dyadic rational)."""
    return Fraction(float(value))


def exact_tensor(tensor, name: str = "") -> np.ndarray:
    """The tensor's values as exact rationals (numpy object array)."""
    values = tensor.detach().to("cpu").double().numpy()
    if not np.isfinite(values).all():
        raise ModelTraceError(f"{name or 'a tensor'} holds NaN or infinite values")
    result = np.empty(values.shape, dtype=object)
    flat_in, flat_out = values.reshape(-1), result.reshape(-1)
    for index, value in enumerate(flat_in):
        if index % 65536 == 0:
            tick("reading the parameters")
        flat_out[index] = Fraction(float(value))
    return result


# ---------------------------------------------------------------- tracing
def trace(
    model,
    example_input,
    loss: str | Callable = "mse",
    target_shape: Sequence[int] | None = None,
) -> Graph:
    """Trace ``loss(model(x), y)`` with torch.fx into a :class:`Graph`."""
    torch = require_torch()
    from torch import fx

    if not isinstance(model, torch.nn.Module):
        raise ProblemError(f"from_torch needs an nn.Module, not {type(model).__name__}")
    was_training = model.training
    try:
        return _trace(torch, fx, model.eval(), example_input, loss, target_shape)
    finally:
        model.train(was_training)


def _trace(torch, fx, model, example_input, loss, target_shape) -> Graph:
    x = _example(torch, example_input)
    with torch.no_grad():
        try:
            output = model(x.double() if _is_double(model) else x.float())
        except Exception as error:  # noqa: BLE001 - the user's model failed on the input
            raise ModelTraceError(
                f"the model fails on an input of shape {tuple(x.shape)}: "
                f"{type(error).__name__}: {str(error)[:160]}"
            ) from None
    target = tuple(target_shape) if target_shape else tuple(output.shape)
    wrapped = _with_loss(torch, model, loss)
    try:
        traced = fx.symbolic_trace(wrapped)
    except Exception as error:  # noqa: BLE001 - fx's own message says what is not traceable
        raise ModelTraceError(
            f"torch.fx cannot trace the model: {type(error).__name__}: {str(error)[:200]}"
        ) from None
    tick("tracing the model")
    shapes = _shapes(torch, traced, x, target)
    canonical = {id(p): f"{name}" for name, p in model.named_parameters()}
    ops = _ops(traced, shapes, canonical)
    parameters = {name: exact_tensor(p, name) for name, p in model.named_parameters()}
    kinds = {op.kind for op in ops}
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "custom")
    if "cross_entropy" in kinds:
        loss_name = "cross-entropy"
    elif "mse" in kinds and not isinstance(loss, str):
        loss_name = "mse"
    graph = Graph(ops, parameters, shapes, tuple(x.shape), target, loss_name, wrapped=wrapped)
    if any(isinstance(m, torch.nn.Dropout) for m in model.modules()):
        graph.notes.append("dropout is read as in eval mode (the identity)")
    return graph


def _is_double(model) -> bool:
    return any(p.dtype.is_floating_point and p.dtype.itemsize == 8 for p in model.parameters())


def _example(torch, example_input):
    if isinstance(example_input, torch.Tensor):
        return example_input.detach()
    if isinstance(example_input, (tuple, list)) and all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in example_input
    ):
        if int(np.prod(example_input, dtype=object)) > MAX_INPUT:
            raise ProblemError(
                f"an input of shape {tuple(example_input)} has more than {MAX_INPUT} entries"
            )
        return torch.zeros(*example_input)
    raise ProblemError("example_input must be a tensor or a shape such as (1, 784)")


def _with_loss(torch, model, loss):
    functional = torch.nn.functional
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ProblemError(f"loss={loss!r} is not one of {', '.join(LOSSES)} or a callable")
        function = functional.mse_loss if loss == "mse" else functional.cross_entropy
    elif isinstance(loss, torch.nn.Module):
        function = _loss_module(torch, loss)
    elif callable(loss):
        function = loss
    else:
        raise ProblemError("loss must be 'mse', 'cross-entropy' or a callable(output, target)")

    class WithLoss(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x, y):
            return function(self.model(x), y)

    return WithLoss()


def _loss_module(torch, loss):
    """nn.MSELoss / nn.CrossEntropyLoss as the functional call they make."""
    functional = torch.nn.functional
    reduction = getattr(loss, "reduction", "mean")
    if isinstance(loss, torch.nn.MSELoss):
        return lambda output, target: functional.mse_loss(output, target, reduction=reduction)
    if isinstance(loss, torch.nn.CrossEntropyLoss):
        if loss.weight is not None or loss.label_smoothing or loss.ignore_index != -100:
            raise ModelTraceError(
                "nn.CrossEntropyLoss with class weights, label smoothing or ignore_index is not "
                "supported"
            )
        return lambda output, target: functional.cross_entropy(output, target, reduction=reduction)
    raise ModelTraceError(
        f"the loss {type(loss).__name__} is not supported: use 'mse', 'cross-entropy', "
        "nn.MSELoss(), nn.CrossEntropyLoss() or a function of (output, target)"
    )


def _shapes(torch, traced, x, target) -> dict[str, tuple[int, ...]]:
    """Every node's output shape, by running the traced module once (float64)."""
    from torch.fx.passes.shape_prop import ShapeProp

    probe = traced
    y = torch.zeros(*target, dtype=torch.float64)
    if traced.model is not None:
        probe = traced.double()
    try:
        ShapeProp(probe).propagate(x.double(), y)
    except Exception as error:  # noqa: BLE001
        raise ModelTraceError(
            f"the traced model fails with a target of shape {target}: "
            f"{type(error).__name__}: {str(error)[:160]}"
        ) from None
    shapes = {}
    for node in traced.graph.nodes:
        meta = node.meta.get("tensor_meta")
        if meta is not None and hasattr(meta, "shape"):
            shapes[node.name] = tuple(int(s) for s in meta.shape)
    return shapes


_MODULE_KINDS = {
    "Linear": "linear",
    "Conv1d": "conv",
    "Conv2d": "conv",
    "Flatten": "flatten",
    "AvgPool2d": "avgpool",
    "MaxPool2d": "maxpool",
    "ReLU": "relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "Softplus": "softplus",
    "GELU": "gelu",
    "SiLU": "silu",
    "LayerNorm": "layernorm",
    "Identity": "identity",
    "Dropout": "identity",
}


def _ops(traced, shapes, canonical: dict[int, str]) -> list[Op]:
    ops = []
    modules = dict(traced.named_modules())
    attributes: dict[str, str] = {}
    numbers: set[str] = set()
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            ops.append(Op(node.name, "input", (), attrs=(("which", node.target),)))
        elif node.op == "output":
            ops.append(Op(node.name, "output", _sources(node.args[0])))
        elif node.op == "call_module":
            ops.append(_module_op(node, modules[node.target], canonical))
        elif node.op == "get_attr":
            attributes[node.name] = _parameter_name(traced, node.target, canonical)
        elif _is_number(node, numbers):
            numbers.add(node.name)  # a size for a later view/reshape, not a tensor
        elif node.op in ("call_function", "call_method"):
            ops.append(_function_op(node, attributes, shapes))
    names = {op.name for op in ops}
    for op in ops:
        if op.kind not in ("output",) and op.name not in shapes and op.kind != "input":
            raise ModelTraceError(f"{op.name}: the output shape could not be determined")
        for source in op.inputs:
            if source not in names:
                raise ModelTraceError(
                    f"{op.name}: uses {attributes.get(source, source)} directly; parameters are "
                    "supported as weights of nn.Linear/nn.Conv/nn.LayerNorm or of F.linear/"
                    "F.conv1d/F.conv2d/F.layer_norm"
                )
        _check_rank(op, shapes)
    return ops


def _is_number(node, numbers: set[str]) -> bool:
    """x.size(0), x.dim(), x.shape, x.shape[0], x.size()[0]: numbers, not tensors."""
    import builtins

    from torch import fx

    if node.op == "call_method" and node.target in ("size", "dim"):
        return True
    if node.op != "call_function":
        return False
    if node.target is builtins.getattr and node.args[1:2] == ("shape",):
        return True
    first = node.args[0] if node.args else None
    return node.target is operator.getitem and isinstance(first, fx.Node) and first.name in numbers


def _parameter_name(traced, target: str, canonical: dict[int, str]) -> str:
    """The model's name of a parameter read inside forward (a buffer is not supported)."""
    try:
        value = traced.get_parameter(target)
    except AttributeError:
        raise ModelTraceError(
            f"{_module_name(target)}: a tensor attribute (not a parameter) read inside forward "
            f"is not supported (supported: {', '.join(SUPPORTED)})"
        ) from None
    return canonical.get(id(value), _module_name(target))


def _check_rank(op: Op, shapes) -> None:
    """Convolutions and 2-d pooling need batched input: (N, C, L) / (N, C, H, W)."""
    if op.kind not in ("conv", "avgpool", "maxpool"):
        return
    rank = len(shapes[op.inputs[0]])
    wanted = op.attr("rank", 4)
    if rank != wanted:
        layer = op.module or op.name
        raise ModelTraceError(
            f"{layer}: an input with {rank} axes where {wanted} are needed (batch, channels, "
            "...): give --input-shape with a batch dimension (unbatched inputs, and 2-d "
            "pooling of a 1-d signal, are not supported)"
        )


def _sources(value) -> tuple[str, ...]:
    from torch import fx

    if isinstance(value, fx.Node):
        return (value.name,)
    if isinstance(value, (tuple, list)):
        return tuple(s for v in value for s in _sources(v))
    return ()


def _module_name(target: str) -> str:
    return target.removeprefix("model.")


def _module_op(node, module, canonical: dict[int, str]) -> Op:
    kind_name = type(module).__name__
    kind = _MODULE_KINDS.get(kind_name)
    name = _module_name(node.target)
    if kind is None:
        raise ModelTraceError(
            f"{name} ({kind_name}) is not supported; supported: {', '.join(SUPPORTED)}"
        )
    inputs = _sources(node.args)
    params = tuple(
        (role, canonical.get(id(getattr(module, role)), f"{name}.{role}"))
        for role in ("weight", "bias")
        if getattr(module, role, None) is not None and hasattr(getattr(module, role), "shape")
    )
    if kind in ACTIVATIONS:
        attrs = [("function", kind)]
        if kind == "softplus":
            attrs += [("beta", float(module.beta)), ("threshold", float(module.threshold))]
        if kind == "gelu":
            attrs.append(("approximate", _gelu_mode(module.approximate, name)))
        return Op(node.name, "activation", inputs, name, (), tuple(attrs))
    if kind == "conv":
        if module.groups != 1 or module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise ModelTraceError(f"{name}: only groups=1, zero padding given as numbers")
        attrs = (
            ("stride", tuple(module.stride)),
            ("padding", tuple(module.padding)),
            ("dilation", tuple(module.dilation)),
            ("rank", 3 if kind_name == "Conv1d" else 4),
        )
        return Op(node.name, "conv", inputs, name, params, attrs)
    if kind in ("avgpool", "maxpool"):
        return Op(node.name, kind, inputs, name, (), _pool_attrs(module, name))
    if kind == "flatten":
        return Op(
            node.name,
            "flatten",
            inputs,
            name,
            (),
            (("start", module.start_dim), ("end", module.end_dim)),
        )
    if kind == "layernorm":
        return Op(
            node.name,
            "layernorm",
            inputs,
            name,
            params,
            (("normalized", tuple(module.normalized_shape)), ("eps", float(module.eps))),
        )
    return Op(node.name, kind, inputs, name, params)


def _pool_attrs(module, name) -> tuple:
    def pair(value):
        return tuple(value) if isinstance(value, (tuple, list)) else (value, value)

    kernel, stride = pair(module.kernel_size), pair(module.stride or module.kernel_size)
    padding = pair(getattr(module, "padding", 0))
    if (
        padding != (0, 0)
        or getattr(module, "ceil_mode", False)
        or pair(getattr(module, "dilation", 1)) != (1, 1)
        or getattr(module, "divisor_override", None) is not None
        or getattr(module, "return_indices", False)
    ):
        raise ModelTraceError(
            f"{name}: pooling with padding, dilation, ceil_mode, divisor_override or "
            "return_indices is not supported"
        )
    return (("kernel", kernel), ("stride", stride))


def _gelu_mode(mode: str, where: str) -> str:
    if mode != "none":
        raise ModelTraceError(
            f"{where}: GELU(approximate={mode!r}) is not supported (the exact GELU is)"
        )
    return mode


def _function_op(node, attributes: dict[str, str], shapes) -> Op:
    import torch
    import torch.nn.functional as F  # noqa: N812

    target = node.target
    inputs = _sources(node.args) + _sources(tuple(node.kwargs.values()))
    layers = {F.linear: "linear", F.conv1d: "conv", F.conv2d: "conv", F.layer_norm: "layernorm"}
    if target in layers:
        return _functional_layer(node, layers[target], attributes)
    if target in ("view", "reshape", torch.reshape):
        return _reshape(node, shapes)
    if target in (F.dropout,):
        _options(node, ("p", "training", "inplace"), {"training": False})
        return Op(node.name, "activation", inputs[:1], attrs=(("function", "identity"),))
    activations = {
        torch.relu: "relu",
        F.relu: "relu",
        "relu": "relu",
        torch.tanh: "tanh",
        F.tanh: "tanh",
        "tanh": "tanh",
        torch.sigmoid: "sigmoid",
        F.sigmoid: "sigmoid",
        "sigmoid": "sigmoid",
        F.softplus: "softplus",
        F.gelu: "gelu",
        F.silu: "silu",
    }
    if target in activations:
        return _activation_op(node, activations[target], inputs)
    if target in (operator.add, torch.add, "add"):
        return _arithmetic(node, "add", inputs)
    if target in (operator.sub, torch.sub, "sub"):
        return _arithmetic(node, "sub", inputs)
    if target in (operator.mul, torch.mul, "mul"):
        return _arithmetic(node, "mul", inputs)
    if target in (operator.truediv, torch.div, "div"):
        return _arithmetic(node, "div", inputs)
    if target in (torch.flatten, "flatten"):
        start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
        end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
        return Op(node.name, "flatten", inputs, attrs=(("start", start), ("end", end)))
    if target in (torch.cat, torch.concat):
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        return Op(node.name, "cat", inputs, attrs=(("dim", dim),))
    if target in (F.avg_pool2d, F.max_pool2d):
        return _pool_op(node, "avgpool" if target is F.avg_pool2d else "maxpool", inputs)
    losses = {F.mse_loss: "mse", F.cross_entropy: "cross_entropy"}
    if target in losses:
        return _loss_op(node, losses[target], inputs)
    if target in (torch.mean, "mean", torch.sum, "sum") and len(node.args) == 1 and not node.kwargs:
        return Op(node.name, "mean" if target in (torch.mean, "mean") else "sum", inputs)
    if target in ("pow", operator.pow, torch.pow) and node.args[1] == 2:
        return Op(node.name, "square", inputs[:1])
    name = getattr(target, "__name__", str(target))
    raise ModelTraceError(
        f"{node.name}: {name} is not supported; supported: {', '.join(SUPPORTED)}"
    )


def _options(node, names: Sequence[str], defaults: dict) -> dict:
    """The call's arguments by name (positional ones after the tensor), refusing any option
    that is neither read by symgrad nor at its default value."""
    given = dict(zip(names, node.args[1:]))
    if len(node.args) - 1 > len(names):
        raise ModelTraceError(f"{node.name}: too many arguments")
    given.update(node.kwargs)
    for key, value in given.items():
        if key not in names and key not in defaults:
            raise ModelTraceError(f"{node.name}: the option {key} is not supported")
        if key in defaults and value != defaults[key]:
            raise ModelTraceError(f"{node.name}: {key}={value!r} is not supported")
    return given


def _activation_op(node, function: str, inputs: tuple[str, ...]) -> Op:
    names = {"softplus": ("beta", "threshold"), "gelu": ("approximate",)}.get(function, ())
    given = _options(node, (*names, "inplace"), {})
    attrs = [("function", function)]
    if function == "softplus":
        attrs += [
            ("beta", float(given.get("beta", 1))),
            ("threshold", float(given.get("threshold", 20))),
        ]
    if function == "gelu":
        attrs.append(("approximate", _gelu_mode(given.get("approximate", "none"), node.name)))
    return Op(node.name, "activation", inputs[:1], attrs=tuple(attrs))


def _pool_op(node, kind: str, inputs: tuple[str, ...]) -> Op:
    if kind == "avgpool":
        names = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                 "divisor_override")  # fmt: skip
        defaults = {"padding": 0, "ceil_mode": False, "divisor_override": None}
    else:
        names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
        defaults = {"padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False}
    given = _options(node, names, defaults)

    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    kernel = pair(given["kernel_size"])
    stride = pair(given["stride"]) if given.get("stride") else kernel
    return Op(node.name, kind, inputs[:1], attrs=(("kernel", kernel), ("stride", stride)))


def _functional_layer(node, kind: str, attributes: dict[str, str]) -> Op:
    """F.linear / F.conv1d / F.conv2d / F.layer_norm with the model's own parameters."""
    import torch.nn.functional as F  # noqa: N812
    from torch import fx

    names = {
        "linear": ("weight", "bias"),
        "conv": ("weight", "bias", "stride", "padding", "dilation", "groups"),
        "layernorm": ("normalized_shape", "weight", "bias", "eps"),
    }[kind]
    defaults = {"groups": 1} if kind == "conv" else {}
    given = _options(node, names, defaults)
    params = []
    for role in ("weight", "bias"):
        value = given.get(role)
        if value is None:
            continue
        if not isinstance(value, fx.Node) or value.name not in attributes:
            raise ModelTraceError(f"{node.name}: the {role} must be a parameter of the model")
        params.append((role, attributes[value.name]))
    if kind == "linear" and not params:
        raise ModelTraceError(f"{node.name}: F.linear needs a weight parameter")
    weight = dict(params).get("weight", node.name)
    layer = weight.rsplit(".", 1)[0] if weight.endswith(".weight") else weight
    source = (node.args[0].name,)
    if kind == "linear":
        return Op(node.name, "linear", source, layer, tuple(params))
    if kind == "layernorm":
        shape = given["normalized_shape"]
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        eps = float(given.get("eps", 1e-5))
        return Op(node.name, "layernorm", source, layer, tuple(params),
                  (("normalized", shape), ("eps", eps)))  # fmt: skip
    one_d = node.target is F.conv1d
    padding = given.get("padding", 0)
    if isinstance(padding, str):
        raise ModelTraceError(f"{node.name}: padding={padding!r} is not supported (give numbers)")

    def tupled(value, default):
        value = default if value is None else value
        return tuple(value) if isinstance(value, (tuple, list)) else (value,) * (1 if one_d else 2)

    attrs = (
        ("stride", tupled(given.get("stride"), 1)),
        ("padding", tupled(padding, 0)),
        ("dilation", tupled(given.get("dilation"), 1)),
        ("rank", 3 if one_d else 4),
    )
    return Op(node.name, "conv", source, layer, tuple(params), attrs)


def _reshape(node, shapes) -> Op:
    """view / reshape that flattens all but the batch axis (or changes nothing)."""
    source = node.args[0].name
    before, after = shapes.get(source), shapes.get(node.name)
    if before is not None and after == before:
        return Op(node.name, "activation", (source,), attrs=(("function", "identity"),))
    if before is not None and len(before) >= 2 and after == (before[0], int(np.prod(before[1:]))):
        return Op(node.name, "flatten", (source,), attrs=(("start", 1), ("end", -1)))
    raise ModelTraceError(
        f"{node.name}: a view/reshape from {before} to {after} is supported only as a flatten of "
        "all but the batch axis"
    )


def _loss_op(node, kind: str, inputs: tuple[str, ...]) -> Op:
    reduction = node.kwargs.get("reduction", "mean")
    defaults = {
        "size_average": None,
        "reduce": None,
        "weight": None,
        "ignore_index": -100,
        "label_smoothing": 0.0,
    }
    extra = {
        k
        for k, v in node.kwargs.items()
        if k != "reduction" and defaults.get(k, v) != v or k not in defaults and k != "reduction"
    }
    if reduction not in ("mean", "sum") or extra or len(node.args) > 2:
        raise ModelTraceError(
            f"{node.name}: the loss must be {kind} with reduction 'mean' or 'sum' and no other "
            "options"
        )
    return Op(node.name, kind, inputs[:2], attrs=(("reduction", reduction),))


def _arithmetic(node, kind: str, inputs: tuple[str, ...]) -> Op:
    from torch import fx

    if any(key != "alpha" or value != 1 for key, value in node.kwargs.items()):
        raise ModelTraceError(
            f"{node.name}: {kind} with options {dict(node.kwargs)} is not supported"
        )
    constants = [a for a in node.args if not isinstance(a, fx.Node)]
    if len(inputs) == 2 and not constants:
        return Op(node.name, kind, inputs)
    if len(inputs) == 1 and len(constants) == 1 and isinstance(constants[0], (int, float)):
        first_is_node = isinstance(node.args[0], fx.Node)
        return Op(
            node.name,
            f"{kind}_constant",
            inputs,
            attrs=(("constant", exact(constants[0])), ("node_first", first_is_node)),
        )
    raise ModelTraceError(f"{node.name}: {kind} of these arguments is not supported")
