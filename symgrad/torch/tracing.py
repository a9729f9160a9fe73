"""Tracing ``loss(model(x), y)`` with ``torch.export`` into a :class:`~symgrad.torch.graph.Graph`.

``torch.export`` runs the model's ``forward`` on symbolic tensors of the given shapes
(loops over a known length are unrolled, a branch on tensor values is refused) in
the model's own mode: in ``train()`` mode dropout draws masks and batch norm uses
batch statistics, in ``eval()`` mode neither. The exported aten graph is decomposed
to core operations (``nn.Linear`` and cross-entropy are kept whole), nodes that do
not depend on the input, the target or a parameter are folded into exact
constants, and every other node is lowered by :mod:`symgrad.torch.lowering`.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from symgrad.errors import ProblemError
from symgrad.runtime.budget import tick
from symgrad.torch.graph import (
    LOSSES,
    MAX_INPUT,
    Graph,
    ModelTraceError,
    exact_tensor,
    require_torch,
)
from symgrad.torch.lowering import SHAPE_ONLY, Lowering, packet

MAX_PARAMETERS = 5_000_000
PARAMETERS_PER_SECOND = 50_000
INDEX_KINDS = ("index",)


def parameter_limit(seconds: float) -> int:
    """How many parameter entries symgrad reads exactly within a budget of ``seconds``."""
    return int(min(MAX_PARAMETERS, max(200_000, PARAMETERS_PER_SECOND * seconds)))


def check_size(model, seconds: float) -> None:
    """Refuse, before reading a single value, a model too large for the budget."""
    count = sum(int(p.numel()) for p in model.parameters())
    limit = parameter_limit(seconds)
    if count > limit:
        raise ProblemError(
            f"the model has {count:,} parameters: too large to analyse exactly within the "
            f"{seconds:g} s budget (at most {limit:,}; every entry is read as an exact "
            "rational); analyse a smaller copy with the same structure"
        )


def trace(
    model,
    example_input,
    loss: str | Callable = "mse",
    target_shape: Sequence[int] | None = None,
    input_range: tuple[int, int] | None = None,
) -> Graph:
    """Export ``loss(model(x), y)`` and lower it into a :class:`Graph` (the model's own mode)."""
    torch = require_torch()
    if not isinstance(model, torch.nn.Module):
        raise ProblemError(f"from_torch needs an nn.Module, not {type(model).__name__}")
    x = _example(torch, example_input, model, input_range)
    output = _forward(torch, model, x)
    y, target_kind = _target(torch, output, loss, target_shape)
    wrapped = _with_loss(torch, model, loss)
    program = _export(torch, wrapped, x, y)
    tick("tracing the model")
    graph = _lower(torch, program, model, x, y, loss)
    graph.wrapped = wrapped
    graph.target_kind = target_kind
    graph.training = bool(model.training)
    graph.input_kind = "index" if not x.dtype.is_floating_point else "float"
    graph.input_range = _index_range(graph, input_range) if graph.input_kind == "index" else None
    graph.notes.extend(_mode_notes(torch, model, graph))
    graph.heads = {
        name: int(m.num_heads)
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.MultiheadAttention)
    }
    return graph


def _example(torch, example_input, model, input_range):
    if isinstance(example_input, torch.Tensor):
        if example_input.numel() > MAX_INPUT:
            raise ProblemError(f"an input with more than {MAX_INPUT} entries")
        return example_input.detach()
    if isinstance(example_input, (tuple, list)) and all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in example_input
    ):
        if int(np.prod(example_input, dtype=object)) > MAX_INPUT:
            raise ProblemError(
                f"an input of shape {tuple(example_input)} has more than {MAX_INPUT} entries"
            )
        embedded = any(
            isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag)) for m in model.modules()
        )
        if input_range is not None or embedded:
            return torch.zeros(*example_input, dtype=torch.long) + (input_range or (0, 1))[0]
        return torch.zeros(*example_input, dtype=_dtype(model, torch))
    raise ProblemError("example_input must be a tensor or a shape such as (1, 784)")


def _dtype(model, torch):
    for p in model.parameters():
        if p.dtype.is_floating_point:
            return p.dtype
    return torch.float32


def _forward(torch, model, x):
    """The model's output on the example (on a copy: batch norm in train mode updates its
    running statistics)."""
    try:
        probe = copy.deepcopy(model)
    except Exception:  # noqa: BLE001 - a model that cannot be copied is run as it is
        probe = model
    with torch.no_grad():
        try:
            output = probe(x)
        except Exception as error:  # noqa: BLE001 - the user's model failed on the input
            raise ModelTraceError(
                f"the model fails on an input of shape {tuple(x.shape)} ({x.dtype}): "
                f"{type(error).__name__}: {_first_line(error)}"
            ) from None
    if not isinstance(output, torch.Tensor):
        raise ModelTraceError(
            f"the model returns {type(output).__name__}, not a tensor: return the output the "
            "loss reads (for nn.LSTM, the output or the last hidden state)"
        )
    return output


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else ""


def _is_cross_entropy(torch, loss) -> bool:
    return loss == "cross-entropy" or isinstance(loss, torch.nn.CrossEntropyLoss)


def _target(torch, output, loss, target_shape):
    """An example target and its kind: ``float`` values or class ``index`` es."""
    if loss == "output":
        if output.numel() != 1:
            raise ProblemError(
                f"loss='output' needs a model that returns its loss (one number), not a tensor "
                f"of shape {tuple(output.shape)}"
            )
        return torch.zeros(()), "none"
    shape = tuple(target_shape) if target_shape else tuple(output.shape)
    if _is_cross_entropy(torch, loss) and output.dim() == 2 and shape == tuple(output.shape[:1]):
        return torch.zeros(shape, dtype=torch.long), "index"
    return torch.zeros(shape, dtype=output.dtype), "float"


def _with_loss(torch, model, loss):
    functional = torch.nn.functional
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ProblemError(f"loss={loss!r} is not one of {', '.join(LOSSES)} or a callable")
        function = {
            "mse": functional.mse_loss,
            "cross-entropy": functional.cross_entropy,
            "output": lambda output, target: output.reshape(()),
        }[loss]
    elif callable(loss):
        function = loss
    else:
        raise ProblemError(
            "loss must be 'mse', 'cross-entropy', 'output' (the model returns its loss) or a "
            "callable(output, target) such as nn.MSELoss()"
        )

    class WithLoss(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model
            if isinstance(function, torch.nn.Module):
                self.loss = function  # so that a refusal names the loss module

        def forward(self, x, y):
            return function(self.model(x), y)

    return WithLoss()


@contextlib.contextmanager
def _quiet():
    """torch.export's own warnings and graph dumps stay out of the output (the refusal says
    what went wrong in one line)."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):  # fmt: skip
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def _export(torch, wrapped, x, y):
    aten = torch.ops.aten
    try:
        with _quiet():
            program = torch.export.export(wrapped, (x, y), strict=False)
            table = torch.export.default_decompositions()
            for kept in (aten.linear.default, aten.cross_entropy_loss.default):
                table.pop(kept, None)
            return program.run_decompositions(table)
    except Exception as error:  # noqa: BLE001 - export's own message says what it cannot trace
        raise ModelTraceError(
            f"torch.export cannot trace the model: {type(error).__name__}: {_first_line(error)}"
        ) from None


# ---------------------------------------------------------------- lowering
def _lower(torch, program, model, x, y, loss) -> Graph:
    kinds = _placeholders(program)
    nodes = list(program.graph.nodes)
    output = _user_output(program, nodes)
    needed = _needed(output)
    dynamic = _dynamic(nodes, kinds)
    static = _fold(torch, program, nodes, kinds, needed, dynamic, x, y)
    shapes = {n.name: shape for n in nodes if (shape := _shape(n.meta.get("val"))) is not None}
    lowering = Lowering(shapes, _module_names(nodes))
    names = _canonical_names(model)
    constants: dict[str, np.ndarray] = {}
    for node in nodes:
        if node.name not in needed:
            continue
        tick("lowering the model")
        if node.name in static:
            _constant(lowering, node, static[node.name], constants)
        elif node.op == "placeholder":
            _placeholder(lowering, node, kinds[node.name], names, _first_user(kinds))
        elif node.op == "call_function":
            lowering.lower(node)
    lowering.emit("output", "output", (lowering.name(output),))
    parameters = {name: exact_tensor(p, name) for name, p in model.named_parameters()}
    read = {op.attr("name") for op in lowering.ops if op.kind == "param"}
    # a parameter the loss never reads never moves (torch leaves its gradient None)
    frozen = frozenset(
        n for n, p in model.named_parameters() if not p.requires_grad or n not in read
    )
    return Graph(
        lowering.ops, parameters, lowering.shapes, tuple(x.shape),
        tuple(y.shape), _loss_name(torch, loss, lowering.ops),
        frozen=frozen, constants=constants,
        modules=_module_types(nodes),
    )  # fmt: skip


def _shape(value) -> tuple[int, ...] | None:
    """A node's shape (the first output's, for an op with several)."""
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    if hasattr(value, "shape"):
        return tuple(int(s) for s in value.shape)
    return None


def _placeholders(program) -> dict[str, tuple[str, str | None]]:
    kinds = {}
    for spec in program.graph_signature.input_specs:
        kinds[spec.arg.name] = (spec.kind.name, spec.target)
    return kinds


def _user_output(program, nodes):
    specs = program.graph_signature.output_specs
    user = [s.arg.name for s in specs if s.kind.name == "USER_OUTPUT"]
    by_name = {n.name: n for n in nodes}
    if len(user) != 1 or user[0] not in by_name:
        raise ModelTraceError("the traced loss is not a single tensor")
    return by_name[user[0]]


def _needed(output) -> set[str]:
    """Nodes the loss depends on (buffer updates of batch norm, for one, are not)."""
    needed, stack = set(), [output]
    while stack:
        node = stack.pop()
        if node.name in needed:
            continue
        needed.add(node.name)
        stack.extend(node.all_input_nodes)
    return needed


def _dynamic(nodes, kinds) -> set[str]:
    """Nodes whose value depends on the input, the target or a parameter."""
    dynamic = set()
    for node in nodes:
        if node.op == "placeholder":
            if kinds[node.name][0] in ("USER_INPUT", "PARAMETER"):
                dynamic.add(node.name)
        elif node.op == "call_function" and packet(node) not in SHAPE_ONLY:
            if any(n.name in dynamic for n in node.all_input_nodes):
                dynamic.add(node.name)
    return dynamic


def _fold(torch, program, nodes, kinds, needed, dynamic, x, y) -> dict[str, object]:
    """The values of the nodes that depend on nothing that varies (masks, ranges, sizes)."""
    from torch.fx.node import map_arg

    state = program.state_dict
    env: dict[str, object] = {}
    for node in nodes:
        if node.op == "placeholder":
            kind, target = kinds[node.name]
            if kind == "USER_INPUT":
                env[node.name] = x if node.name == _first_user(kinds) else y
            elif kind == "CONSTANT_TENSOR":
                env[node.name] = program.constants[target]
            elif target in state:
                env[node.name] = state[target]
            elif target in program.constants:
                env[node.name] = program.constants[target]
    folded = {}
    for node in nodes:
        if node.op != "call_function" or node.name in dynamic or node.name not in needed:
            continue
        args = map_arg(node.args, lambda n: _value(torch, env, n))
        kwargs = map_arg(node.kwargs, lambda n: _value(torch, env, n))
        with torch.no_grad():
            env[node.name] = node.target(*args, **kwargs)
        folded[node.name] = env[node.name]
    for node in nodes:
        if node.op == "placeholder" and kinds[node.name][0] in ("BUFFER", "CONSTANT_TENSOR"):
            folded.setdefault(node.name, env.get(node.name))
    return folded


def _value(torch, env: dict, node):
    """A folded node's value; a varying tensor that a shape-only op (``full_like``) reads
    stands in as zeros of its shape."""
    if node.name in env:
        return env[node.name]
    value = node.meta.get("val")
    return torch.zeros(tuple(value.shape), dtype=value.dtype)


def _first_user(kinds) -> str:
    return next(name for name, (kind, _) in kinds.items() if kind == "USER_INPUT")


def _module_names(nodes) -> dict[str, str]:
    names = {}
    for node in nodes:
        stack = node.meta.get("nn_module_stack") or {}
        if stack:
            path = list(stack.values())[-1][0]
            names[node.name] = path.removeprefix("model.").removeprefix("model")
    return names


def _module_types(nodes) -> dict[str, str]:
    """Module path -> class name, for every module the trace went through."""
    types = {}
    for node in nodes:
        for path, kind in (node.meta.get("nn_module_stack") or {}).values():
            path = path.removeprefix("model.").removeprefix("model")
            if path:
                types[path] = kind.rsplit(".", 1)[-1]
    return types


def _canonical_names(model) -> dict[str, str]:
    """Exported parameter target ('model.fc1.weight') -> the model's name ('fc1.weight'); a
    parameter shared by several modules (weight tying) has the first of its names."""
    first = {id(p): name for name, p in model.named_parameters()}
    return {
        f"model.{name}": first[id(p)] for name, p in model.named_parameters(remove_duplicate=False)
    }


def _placeholder(lowering: Lowering, node, kind, names, first: str) -> None:
    role, target = kind
    if role == "USER_INPUT":
        which = "x" if node.name == first else "y"
        lowering.emit(node.name, "input", (), (("which", which),))
    elif role == "PARAMETER":
        name = names.get(target, str(target).removeprefix("model."))
        lowering.emit(node.name, "param", (), (("name", name),), name.rpartition(".")[0])
    else:
        raise AssertionError(role)  # buffers are folded into constants


def _constant(lowering: Lowering, node, value, constants) -> None:
    torch = require_torch()
    if not isinstance(value, torch.Tensor):
        return  # a size or a number used by a later op's arguments
    exact = exact_tensor(value, node.name, allow_masks=True)
    constants[node.name] = exact
    lowering.emit(node.name, "const", (), (("value", exact),), lowering.modules.get(node.name, ""),
                  tuple(value.shape))  # fmt: skip


def _loss_name(torch, loss, ops) -> str:
    if isinstance(loss, str):
        return loss
    if isinstance(loss, torch.nn.MSELoss):
        return "mse"
    if isinstance(loss, torch.nn.CrossEntropyLoss) or any(op.kind == "cross_entropy" for op in ops):
        return "cross-entropy"
    if isinstance(loss, torch.nn.Module):
        return type(loss).__name__
    return getattr(loss, "__name__", "custom")


def _index_range(graph: Graph, given) -> tuple[int, int]:
    """Integer inputs: the given range, else the rows of the embeddings they index."""
    if given is not None:
        return tuple(given)
    sizes = [
        graph.shapes[op.inputs[0]][0]
        for op in graph.ops
        if op.kind == "embedding" and _reaches_input(graph, op.inputs[1])
    ]
    return (0, min(sizes)) if sizes else (0, 2)


def _reaches_input(graph: Graph, name: str) -> bool:
    op = graph.op(name)
    while op.kind in ("select", "slice", "reshape", "permute", "expand"):
        op = graph.op(op.inputs[0])
    return op.kind == "input" and op.attr("which") == "x"


def _mode_notes(torch, model, graph: Graph) -> list[str]:
    notes = []
    dropout = any(isinstance(m, torch.nn.modules.dropout._DropoutNd) for m in model.modules())
    if dropout and not graph.training:
        notes.append("dropout is off: the model is in eval mode (as given)")
    if graph.random:
        notes.append(
            "the model is in train mode: dropout draws a new random mask in every step, so "
            "units that dropout masks are never claimed to stay equal (their masks differ)"
        )
    norms = [op for op in graph.ops if op.kind == "batchnorm"]
    if norms:
        mode = "batch statistics (train mode)" if graph.training else "running statistics"
        notes.append(f"batch norm uses {mode}, as the model's mode says")
    return notes
