"""A PyTorch model (with its loss) as a small graph of known tensor operations.

:mod:`symgrad.torch.tracing` exports ``loss(model(x), y)`` with ``torch.export`` and
:mod:`symgrad.torch.lowering` turns every aten operation into an :class:`Op` of a kind
listed in :data:`KINDS`; anything else is refused by name. Parameters, buffers and
constants are leaves of the graph, read as exact rationals (a float is a dyadic
rational, so nothing is rounded). torch is an optional dependency: without it
:func:`require_torch` says how to install it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from symgrad.errors import ProblemError
from symgrad.runtime.budget import tick

SUPPORTED = (
    "nn.Linear, nn.Conv1d/2d (groups=1), pooling (max, average, adaptive average), nn.Flatten",
    "activations (ReLU, LeakyReLU, Tanh, Sigmoid, Softplus, GELU, SiLU, ELU, Hardtanh, Softmax)",
    "nn.LayerNorm, nn.BatchNorm1d/2d (eval mode: running statistics; train mode: batch "
    "statistics), nn.Dropout (eval mode; in train mode its mask is random data)",
    "nn.Embedding, nn.MultiheadAttention, hand-written attention, nn.LSTM/GRU/RNN and their cells",
    "torch.matmul/bmm/einsum, view/reshape/transpose/permute, cat/stack/split/chunk, "
    "sum/mean over dims, residual additions, weight tying",
)
SUPPORTED_SHORT = (
    "supported: Linear, Conv1d/2d, pooling, norms, Embedding, attention, LSTM/GRU, "
    "elementwise activations, matmul/einsum, reshapes"
)
MAX_INPUT = 10**6
RATIONAL_UNARY = {
    "relu", "neg", "abs", "reciprocal", "sign", "identity", "pow", "leaky_relu", "hardtanh",
    "clamp",
}  # fmt: skip
RATIONAL_KINDS = {
    "input", "param", "const", "output", "add", "sub", "mul", "div", "minimum", "maximum",
    "where", "compare", "logical", "reduce_bool", "linear", "matmul", "conv", "sum", "mean",
    "reshape", "permute", "expand", "slice", "select", "cat", "embedding", "avgpool", "maxpool",
    "detach", "mse", "cross_entropy", "dropout", "flip",
}  # fmt: skip

LOSSES = ("mse", "cross-entropy", "output")


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
    """One node: ``kind`` from the lowering table, its input node names, the module it came
    from (``fc1``, ``encoder.layers.0.self_attn``) and static attributes."""

    name: str
    kind: str
    inputs: tuple[str, ...] = ()
    module: str = ""
    attrs: tuple[tuple[str, object], ...] = ()

    def attr(self, key: str, default=None):
        for name, value in self.attrs:
            if name == key:
                return value
        return default


@dataclass
class Graph:
    """The traced computation: ops in order, the parameter tensors (exact), their flags and
    every node's shape.

    ``parameters`` maps a parameter's name (``fc1.weight``) to its exact values;
    ``frozen`` names the parameters with ``requires_grad=False`` (they never move);
    ``constants`` holds the exact values of buffers and constant tensors (const nodes).
    """

    ops: list[Op]
    parameters: dict[str, np.ndarray]
    shapes: dict[str, tuple[int, ...]]
    input_shape: tuple[int, ...]
    target_shape: tuple[int, ...]
    loss: str
    notes: list[str] = field(default_factory=list)
    wrapped: object = field(default=None, repr=False)
    frozen: frozenset[str] = frozenset()
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    input_kind: str = "float"
    target_kind: str = "float"
    input_range: tuple[int, int] | None = None
    training: bool = False
    modules: dict[str, str] = field(default_factory=dict)
    heads: dict[str, int] = field(default_factory=dict)

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
    def output(self) -> Op:
        return next(op for op in self.ops if op.kind == "output")

    @property
    def random(self) -> list[Op]:
        """Ops that draw random numbers in every step (dropout in train mode)."""
        return [op for op in self.ops if op.kind == "dropout"]

    def parameter_nodes(self) -> dict[str, list[str]]:
        """Parameter name -> the param nodes that read it."""
        nodes: dict[str, list[str]] = {}
        for op in self.ops:
            if op.kind == "param":
                nodes.setdefault(op.attr("name"), []).append(op.name)
        return nodes

    @property
    def rational_until_loss(self) -> bool:
        """Every op before the loss keeps rationals rational (relu, linear, pooling, ...)."""
        for op in self.ops:
            if op.kind == "unary" and op.attr("function") not in RATIONAL_UNARY:
                return False
            if op.kind != "unary" and op.kind not in RATIONAL_KINDS:
                return False
        return True


def exact(value: float) -> Fraction:
    """A float as the exact rational it is (a float is a dyadic rational)."""
    return Fraction(float(value))


class NegativeInfinity:
    """-inf in a constant tensor (an attention mask): only adding it, comparing it and the
    softmax over it are defined (exp(-inf) = 0); anything else refuses."""

    _instance: NegativeInfinity | None = None

    def __new__(cls) -> NegativeInfinity:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "-inf"

    def __reduce__(self):
        return (NegativeInfinity, ())

    def __add__(self, other):
        return self

    __radd__ = __add__

    def __sub__(self, other):
        if other is self:
            raise ProblemError("-inf - (-inf) in a masked tensor is undefined")
        return self

    def __mul__(self, other):
        if isinstance(other, (int, Fraction)) and other > 0:
            return self
        raise ProblemError("a masked (-inf) entry is multiplied: only adding a mask is supported")

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self.__mul__(1 / other if isinstance(other, (int, Fraction)) and other else -1)

    def __hash__(self) -> int:
        return hash("-inf")

    def __eq__(self, other) -> bool:
        return other is self

    def __lt__(self, other) -> bool:
        return other is not self

    def __gt__(self, other) -> bool:
        return False


NEG_INF = NegativeInfinity()


def exact_tensor(tensor, name: str = "", allow_masks: bool = False) -> np.ndarray:
    """The tensor's values as exact rationals (numpy object array); integers stay integers,
    booleans become 0/1 and -inf (in constant masks only) becomes :data:`NEG_INF`."""
    values = tensor.detach().to("cpu")
    kind = "bool" if values.dtype.is_floating_point is False and values.dtype == _bool() else ""
    if not values.dtype.is_floating_point:
        integers = values.to(_long()).numpy()
        out = np.empty(integers.shape, dtype=object)
        flat_in, flat_out = integers.reshape(-1), out.reshape(-1)
        for index, value in enumerate(flat_in):
            flat_out[index] = bool(value) if kind else int(value)
        return out
    values = values.double().numpy()
    masked = np.isneginf(values) if allow_masks else np.zeros(values.shape, dtype=bool)
    if not np.isfinite(values[~masked]).all():
        raise ModelTraceError(f"{name or 'a tensor'} holds NaN or infinite values")
    result = np.empty(values.shape, dtype=object)
    flat_out, flat_masked = result.reshape(-1), masked.reshape(-1).tolist()
    shared: dict[float, Fraction] = {}  # equal entries share one object (cheap to compare)
    for index, value in enumerate(values.reshape(-1).tolist()):
        if index % 65536 == 0:
            tick("reading the parameters")
        if flat_masked[index]:
            flat_out[index] = NEG_INF
            continue
        exact = shared.get(value)
        if exact is None:
            exact = shared[value] = Fraction(value)
        flat_out[index] = exact
    return result


def _bool():
    import torch

    return torch.bool


def _long():
    import torch

    return torch.long
