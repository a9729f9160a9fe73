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
    "their functional forms (F.linear, F.relu, torch.tanh, F.avg_pool2d, F.max_pool2d, ...)",
    "residual additions (+), concatenation (torch.cat), flatten, scalar multiplication",
)
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
    def transcendental(self) -> bool:
        """Some value of the network or its loss is not a rational function of the data."""
        return self.rational_until_loss is False or any(
            op.kind == "cross_entropy" for op in self.ops
        )

    @property
    def rational_until_loss(self) -> bool:
        """Every op before the loss keeps rationals rational (relu, linear, pooling, ...)."""
        kinds = {op.kind for op in self.ops}
        activations = {op.attr("function") for op in self.ops if op.kind == "activation"}
        return not (activations - {"relu", "identity"} or "layernorm" in kinds)


def exact(value: float) -> Fraction:
    """A float as the exact rational it is (a float is a dyadic rational)."""
    return Fraction(float(value))


def exact_tensor(tensor) -> np.ndarray:
    values = tensor.detach().to("cpu").double().numpy()
    result = np.empty(values.shape, dtype=object)
    flat_in, flat_out = values.reshape(-1), result.reshape(-1)
    for index, value in enumerate(flat_in):
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
    model = model.eval()
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
    shapes = _shapes(torch, traced, x, target)
    ops = _ops(traced, shapes)
    parameters = {name: exact_tensor(p) for name, p in model.named_parameters()}
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "custom")
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
        isinstance(s, int) and s > 0 for s in example_input
    ):
        return torch.zeros(*example_input)
    raise ProblemError("example_input must be a tensor or a shape such as (1, 784)")


def _with_loss(torch, model, loss):
    functional = torch.nn.functional
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ProblemError(f"loss={loss!r} is not one of {', '.join(LOSSES)} or a callable")
        function = functional.mse_loss if loss == "mse" else functional.cross_entropy
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


def _ops(traced, shapes) -> list[Op]:
    ops = []
    modules = dict(traced.named_modules())
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            ops.append(Op(node.name, "input", (), attrs=(("which", node.target),)))
        elif node.op == "output":
            ops.append(Op(node.name, "output", _sources(node.args[0])))
        elif node.op == "call_module":
            ops.append(_module_op(node, modules[node.target]))
        elif node.op in ("call_function", "call_method"):
            ops.append(_function_op(node))
        elif node.op == "get_attr":
            raise ModelTraceError(
                f"{node.target}: a tensor attribute read inside forward is not supported "
                f"(supported: {', '.join(SUPPORTED)})"
            )
    for op in ops:
        if op.kind not in ("output",) and op.name not in shapes and op.kind != "input":
            raise ModelTraceError(f"{op.name}: the output shape could not be determined")
    return ops


def _sources(value) -> tuple[str, ...]:
    from torch import fx

    if isinstance(value, fx.Node):
        return (value.name,)
    if isinstance(value, (tuple, list)):
        return tuple(s for v in value for s in _sources(v))
    return ()


def _module_name(target: str) -> str:
    return target.removeprefix("model.")


def _module_op(node, module) -> Op:
    kind_name = type(module).__name__
    kind = _MODULE_KINDS.get(kind_name)
    name = _module_name(node.target)
    if kind is None:
        raise ModelTraceError(
            f"{name} ({kind_name}) is not supported; supported: {', '.join(SUPPORTED)}"
        )
    inputs = _sources(node.args)
    params = tuple(
        (role, f"{name}.{role}")
        for role in ("weight", "bias")
        if getattr(module, role, None) is not None
        and isinstance(getattr(module, role), object)
        and hasattr(getattr(module, role), "shape")
    )
    if kind in ("relu", "tanh", "sigmoid", "softplus", "gelu", "silu", "identity"):
        attrs = [("function", kind)]
        if kind == "softplus":
            attrs += [("beta", float(module.beta)), ("threshold", float(module.threshold))]
        if kind == "gelu":
            attrs.append(("approximate", module.approximate))
        return Op(node.name, "activation", inputs, name, (), tuple(attrs))
    if kind == "conv":
        if module.groups != 1 or module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise ModelTraceError(f"{name}: only groups=1, zero padding given as numbers")
        attrs = (
            ("stride", tuple(module.stride)),
            ("padding", tuple(module.padding)),
            ("dilation", tuple(module.dilation)),
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
    ):
        raise ModelTraceError(f"{name}: pooling with padding, dilation or ceil_mode")
    return (("kernel", kernel), ("stride", stride))


def _function_op(node) -> Op:
    import torch
    import torch.nn.functional as F  # noqa: N812

    target = node.target
    inputs = _sources(node.args) + _sources(tuple(node.kwargs.values()))
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
        attrs = [("function", activations[target])]
        if activations[target] == "softplus":
            attrs += [
                ("beta", float(node.kwargs.get("beta", 1))),
                ("threshold", float(node.kwargs.get("threshold", 20))),
            ]
        if activations[target] == "gelu":
            attrs.append(("approximate", node.kwargs.get("approximate", "none")))
        return Op(node.name, "activation", inputs[:1], attrs=tuple(attrs))
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
        kernel = node.args[1] if len(node.args) > 1 else node.kwargs["kernel_size"]
        stride = node.args[2] if len(node.args) > 2 else node.kwargs.get("stride")

        def pair(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

        kind = "avgpool" if target is F.avg_pool2d else "maxpool"
        stride = pair(stride) if stride else pair(kernel)
        return Op(node.name, kind, inputs[:1], attrs=(("kernel", pair(kernel)), ("stride", stride)))
    if target is F.linear:
        raise ModelTraceError(
            f"{node.name}: F.linear with a weight passed in is not supported; use nn.Linear"
        )
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
