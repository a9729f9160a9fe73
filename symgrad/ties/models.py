"""Model presets: symbolic losses of small networks with documented symbol names.

Names: ``W{l}_{i}_{j}`` is the weight from unit i of layer l-1 to unit j of
layer l, ``b{l}_{j}`` the bias of unit j of layer l (layer 0 is the input).
Data are ``x{i}`` and ``y`` (or ``y{o}`` with several outputs); with n > 1
samples, ``x{s}_{i}`` and ``y{s}`` (or ``y{s}_{o}``). A dataset loss is the sum
over samples.

>>> model = build("two-layer", inputs=1, hidden=2, activation="identity", bias=False)
>>> model.loss
(-W1_0_0*W2_0_0*x0 - W1_0_1*W2_1_0*x0 + y)**2
>>> [str(p) for p in model.parameters]
['W1_0_0', 'W1_0_1', 'W2_0_0', 'W2_1_0']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from symgrad.errors import ModelError
from symgrad.exact.functions import relu, sigmoid, softplus
from symgrad.exact.graph import ExprGraph, LossField, graph_of
from symgrad.runtime.budget import tick
from symgrad.runtime.heap import collector_paused
from symgrad.text.parse import real_symbol
from symgrad.text.suggest import did_you_mean

ACTIVATIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "identity": lambda z: z,
    "tanh": sympy.tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "softplus": softplus,
    "generic": sympy.Function("sigma", real=True),
}
# the same activations as heads of an expression graph (the presets build their losses there)
ACTIVATION_HEADS: dict[str, type | None] = {
    "identity": None,
    "tanh": sympy.tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "softplus": softplus,
    "generic": ACTIVATIONS["generic"],
}
LOSSES = ("mse", "cross-entropy", "linear")
MAX_SIZE = 4096
# weight-times-input products over all samples: about 4 million is 2 GiB of expression
# graph (the 8-256-256-1 MLP over 8 samples has 0.55 million); beyond it a preset is refused
# before anything is built, instead of filling the memory within the time budget
MAX_PRODUCTS = 4_000_000


@dataclass(frozen=True)
class Model:
    """A preset's loss with its parameters, data and neuron structure.

    ``neurons[l]`` lists, for hidden layer l (or for the output layer of a
    model without hidden layer), each neuron's parameters in the same order,
    so that swapping two neurons maps their lists onto each other.
    """

    name: str
    options: Mapping[str, object]
    loss: sympy.Expr = LossField()  # given as SymPy or as an ExprGraph (see LossField)
    parameters: tuple[sympy.Symbol, ...]
    data: tuple[sympy.Symbol, ...]
    neurons: tuple[tuple[tuple[sympy.Symbol, ...], ...], ...]
    has_hidden: bool  # whether the model has a hidden layer (its widths: ``hidden``)
    functions: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        """``Model('two-layer', inputs=2, hidden=3, ...: 13 parameters, 3 data symbols)``."""
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return (
            f"Model({self.name!r}{', ' + options if options else ''}: "
            f"{len(self.parameters)} parameters, {len(self.data)} data symbols)"
        )

    @property
    def inputs(self) -> int | None:
        """The number of inputs (an int), None for a preset without one."""
        return self.options.get("inputs")

    @property
    def hidden(self) -> int | list[int] | None:
        """The hidden width as given: an int (two-layer), a list of ints (mlp), or None."""
        return self.options.get("hidden")

    @property
    def outputs(self) -> int | None:
        """The number of outputs (an int), None for a preset without one."""
        return self.options.get("outputs")

    def symmetries(self) -> tuple[dict[sympy.Symbol, sympy.Symbol], ...]:
        """Neuron swaps of each hidden layer: a transposition and a cycle generate them all."""
        if not self.has_hidden:
            return ()
        result = []
        for layer in self.neurons:
            width = len(layer)
            if width < 2:
                continue
            generators = [[1, 0, *range(2, width)]]
            if width > 2:
                generators.append([*range(1, width), 0])
            for image in generators:
                mapping = {}
                for j, k in enumerate(image):
                    mapping.update(zip(layer[j], layer[k]))
                result.append({a: b for a, b in mapping.items() if a is not b})
        return tuple(result)

    def identical_groups(self) -> list[tuple[sympy.Symbol, ...]]:
        """Parameters that the identical init sets equal: position-wise across neurons."""
        index = {p: k for k, p in enumerate(self.parameters)}
        parent = list(range(len(self.parameters)))

        def find(k: int) -> int:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for layer in self.neurons:
            if len(layer) < 2:
                continue
            for position in range(len(layer[0])):
                tick("grouping the identical init")
                first = find(index[layer[0][position]])
                for neuron in layer[1:]:
                    other = find(index[neuron[position]])
                    if other != first:
                        parent[other] = first
        groups: dict[int, list[sympy.Symbol]] = {}
        for k, p in enumerate(self.parameters):
            groups.setdefault(find(k), []).append(p)
        return [tuple(g) for g in groups.values()]

    def init_values(self, preset: str) -> dict[sympy.Symbol, sympy.Expr]:
        """Initial values for ``identical``, ``zero`` or ``constant``."""
        if preset == "zero":
            return {p: sympy.S.Zero for p in self.parameters}
        if preset == "constant":
            return {p: real_symbol("c") for p in self.parameters}
        if preset == "identical":
            values = {}
            for index, group in enumerate(self.identical_groups()):
                tick("setting the identical init")
                symbol = real_symbol(f"a{index}")
                for p in group:
                    values[p] = symbol
            return values
        raise ModelError(
            f"init={str(preset)[:40]!r} is not a preset: use identical, zero, constant or ties "
            f"like a=b{did_you_mean(str(preset), ('identical', 'zero', 'constant'))}"
        )

    @property
    def graph(self) -> ExprGraph:
        """The loss as a hash-consed expression graph (the presets build it directly)."""
        return graph_of(self)

    def hidden_layers(self) -> tuple[tuple[tuple[sympy.Symbol, ...], ...], ...]:
        return self.neurons if self.has_hidden else ()

    def describe(self) -> str:
        opts = ", ".join(f"{k}={v}" for k, v in self.options.items())
        return f"{self.name}({opts})"


def _check_size(name: str, value: object, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise ModelError(
                f"{name}={value!r} is not a whole number (for a symbolic size such as k use "
                "symgrad.prove_parametric, or the CLI, which accepts names)"
            ) from None
    if value < low or value > MAX_SIZE:
        raise ModelError(f"{name}={value} is out of range ({low}..{MAX_SIZE})")
    return value


def _check_products(widths: list[int], samples: int) -> None:
    products = samples * sum(a * b for a, b in zip(widths, widths[1:]))
    if products > MAX_PRODUCTS:
        shape = "-".join(map(str, widths))
        raise ModelError(
            f"the network {shape} over {samples} sample(s) has {products:,} weight-input "
            f"products, more than {MAX_PRODUCTS:,}: too large to build exactly; use fewer "
            "samples or narrower layers (symbolic sizes prove every width at once)"
        )


def _activation(name: str, option: str) -> type | None:
    """The activation as a graph head (None for the identity)."""
    if name not in ACTIVATIONS:
        raise ModelError(
            f"{option}={str(name)[:40]!r} is not one of {', '.join(ACTIVATIONS)}"
            f"{did_you_mean(str(name), ACTIVATIONS)}"
        )
    return ACTIVATION_HEADS[name]


def _data_names(samples: int, inputs: int, outputs: int, targets: bool):
    xs, ys = [], []
    for s in range(samples):
        prefix = "x" if samples == 1 else f"x{s}_"
        xs.append([real_symbol(f"{prefix}{i}") for i in range(inputs)])
        if not targets:
            ys.append([])
        elif outputs == 1:
            ys.append([real_symbol("y" if samples == 1 else f"y{s}")])
        else:
            prefix = "y" if samples == 1 else f"y{s}_"
            ys.append([real_symbol(f"{prefix}{o}") for o in range(outputs)])
    return xs, ys


def _sample_loss(
    graph: ExprGraph,
    logits: Sequence[int],
    outputs: Sequence[int],
    targets: Sequence[int],
    loss: str,
    output_activation: str = "identity",
) -> int:
    """One sample's loss, as a node of ``graph``.

    Cross-entropy takes the network's outputs as they are: with a sigmoid output
    layer they are probabilities and the loss is binary cross-entropy per output
    (``-y log p - (1 - y) log(1 - p)``, written ``softplus(z) - y*z`` on the
    pre-activation z); otherwise they are logits: softmax cross-entropy for
    several outputs, binary cross-entropy with logits for one.
    """
    g = graph
    if loss == "mse":
        two = g.leaf(sympy.Integer(2))
        return g.add(*(g.power(g.add(y, g.negate(f)), two) for y, f in zip(targets, outputs)))
    if loss == "linear":
        return g.add(*outputs)
    if output_activation == "sigmoid":
        return g.add(
            *(g.add(g.apply(softplus, z), g.negate(g.mul(y, z))) for y, z in zip(targets, logits))
        )
    if len(outputs) == 1:
        a, y = outputs[0], targets[0]
        return g.add(g.apply(softplus, a), g.negate(g.mul(y, a)))
    lse = g.apply(sympy.log, g.add(*(g.apply(sympy.exp, a) for a in outputs)))
    return g.add(*(g.mul(y, g.add(lse, g.negate(a))) for y, a in zip(targets, outputs)))


def describe_loss(loss: str, outputs: int, output_activation: str) -> str:
    """The loss a preset builds, in words and a formula."""
    if loss == "mse":
        return "MSE: the sum over samples and outputs of (y - f(x))**2"
    if loss == "linear":
        return "linear: the sum over samples of the network outputs f(x)"
    if output_activation == "sigmoid":
        return (
            "binary cross-entropy of the sigmoid outputs p = sigmoid(z), per output: "
            "-y*log(p) - (1 - y)*log(1 - p) = softplus(z) - y*z"
        )
    scores = "z" if output_activation == "identity" else f"{output_activation}(z)"
    if outputs == 1:
        return f"binary cross-entropy with logits a = {scores}: softplus(a) - y*a"
    return f"softmax cross-entropy with logits a = {scores}: sum_o y_o*(log(sum_k exp(a_k)) - a_o)"


def _network(
    name: str,
    inputs: int,
    hidden: Sequence[int],
    outputs: int,
    activation: str,
    output_activation: str,
    bias: bool,
    loss: str,
    samples: int,
) -> Model:
    """An MLP ``inputs -> hidden... -> outputs`` with ``loss`` summed over ``samples``."""
    if loss not in LOSSES:
        raise ModelError(
            f"loss={loss!r} is not one of {', '.join(LOSSES)}{did_you_mean(str(loss), LOSSES)}"
        )
    inputs = _check_size("inputs", inputs)
    outputs = _check_size("outputs", outputs)
    samples = _check_size("samples", samples)
    hidden = [_check_size("hidden", h) for h in hidden]
    _check_products([inputs, *hidden, outputs], samples)
    act = _activation(activation, "activation")
    out_act = _activation(output_activation, "output-activation")
    graph = ExprGraph()
    xs, ys = _data_names(samples, inputs, outputs, loss != "linear")
    with collector_paused():
        layers = _Layers([inputs, *hidden, outputs], bias, graph)
        total = []
        for s in range(samples):
            logits, values = layers.forward([graph.leaf(x) for x in xs[s]], act, out_act)
            targets = [graph.leaf(y) for y in ys[s]]
            total.append(_sample_loss(graph, logits, values, targets, loss, output_activation))
        graph.root = graph.add(*total)
    notes = []
    if loss == "cross-entropy":
        notes.append("loss: " + describe_loss(loss, outputs, output_activation))
    if "relu" in (activation, output_activation):
        notes.append("relu'(0) = 0, as in PyTorch and JAX")
    options = {
        "inputs": inputs,
        "hidden": (hidden[0] if name == "two-layer" else list(hidden)) if hidden else None,
        "outputs": outputs,
        "activation": activation,
        "output_activation": output_activation,
        "bias": bias,
        "loss": loss,
        "samples": samples,
    }
    return Model(
        name=name,
        options={k: v for k, v in options.items() if v is not None},
        loss=graph,
        parameters=tuple(layers.parameters),
        data=tuple([s for row in xs for s in row] + [s for row in ys for s in row]),
        neurons=layers.neurons(),
        has_hidden=bool(hidden),
        functions=("sigma",) if "generic" in (activation, output_activation) else (),
        notes=tuple(notes),
    )


class _Layers:
    """The weights ``W{l}_{i}_{j}`` (from unit i to unit j) and biases ``b{l}_{j}`` of an MLP."""

    def __init__(self, widths: list[int], bias: bool, graph: ExprGraph) -> None:
        self.widths, self.bias, self.graph = widths, bias, graph
        self.weights: list[list[list[sympy.Symbol]]] = []
        self.biases: list[list[sympy.Symbol]] = []
        self.parameters: list[sympy.Symbol] = []
        for layer in range(1, len(widths)):
            matrix = [
                [real_symbol(f"W{layer}_{i}_{j}") for j in range(widths[layer])]
                for i in range(widths[layer - 1])
            ]
            self.weights.append(matrix)
            self.parameters.extend(s for row in matrix for s in row)
            if bias:
                vector = [real_symbol(f"b{layer}_{j}") for j in range(widths[layer])]
                self.biases.append(vector)
                self.parameters.extend(vector)
        # each layer's weights and biases as leaves of the graph, made once
        self.nodes = [
            (
                [[graph.leaf(w) for w in row] for row in matrix],
                [graph.leaf(b) for b in self.biases[k]] if bias else [],
            )
            for k, matrix in enumerate(self.weights)
        ]

    def forward(self, inputs: list[int], act, out_act) -> tuple[list[int], list[int]]:
        """The output layer's pre-activations (logits) and activations for one sample."""
        g = self.graph
        values, logits = inputs, []
        for layer in range(1, len(self.widths)):
            matrix, biases = self.nodes[layer - 1]
            pre = []
            for j in range(self.widths[layer]):
                tick("building the model")
                terms = [g.mul(values[i], matrix[i][j]) for i in range(self.widths[layer - 1])]
                pre.append(g.add(*terms, *biases[j : j + 1]))
            head = out_act if layer == len(self.widths) - 1 else act
            logits = pre
            values = pre if head is None else [g.apply(head, z) for z in pre]
        return logits, values

    def incoming(self, layer: int, j: int) -> list[sympy.Symbol]:
        """Unit j of ``layer``: its incoming weights and its bias."""
        params = [self.weights[layer - 1][i][j] for i in range(self.widths[layer - 1])]
        if self.bias:
            params.append(self.biases[layer - 1][j])
        return params

    def neurons(self) -> tuple:
        """Per hidden layer, each unit's parameters (incoming, bias, outgoing): the units a
        permutation may swap; without a hidden layer, the output units' incoming ones."""
        widths = self.widths
        if len(widths) == 2:
            return (tuple(tuple(self.incoming(1, j)) for j in range(widths[1])),)
        return tuple(
            tuple(
                tuple(
                    self.incoming(layer, j)
                    + [self.weights[layer][j][o] for o in range(widths[layer + 1])]
                )
                for j in range(widths[layer])
            )
            for layer in range(1, len(widths) - 1)
        )


def _linear(inputs: int = 2, samples: int = 1, mse: bool = False) -> Model:
    inputs = _check_size("inputs", inputs)
    samples = _check_size("samples", samples)
    _check_products([inputs, 1], samples)
    w = [real_symbol(f"w{i}") for i in range(inputs)]
    xs, ys = _data_names(samples, inputs, 1, mse)
    terms = []
    for s in range(samples):
        z = sympy.Add(*(wi * xi for wi, xi in zip(w, xs[s])))
        terms.append((ys[s][0] - z) ** 2 if mse else z)
    data = [s for row in xs for s in row] + [s for row in ys for s in row]
    return Model(
        name="mse-linear" if mse else "linear",
        options={"inputs": inputs, "samples": samples},
        loss=sympy.Add(*terms),
        parameters=tuple(w),
        data=tuple(data),
        neurons=(tuple((wi,) for wi in w),),
        has_hidden=False,
    )


def _rows(rows: int = 2, dimension: int = 2, loss: str = "linear", samples: int = 1) -> Model:
    rows = _check_size("rows", rows)
    dimension = _check_size("dimension", dimension)
    samples = _check_size("samples", samples)
    if loss not in ("linear", "cross-entropy"):
        raise ModelError(f"loss={loss!r} for rows is linear or cross-entropy")
    _check_products([dimension, rows], samples)
    theta = [[real_symbol(f"t{r}_{e}") for e in range(dimension)] for r in range(rows)]
    g = ExprGraph()
    terms = []
    data: list[sympy.Symbol] = []
    for s in range(samples):
        prefix = "" if samples == 1 else f"{s}_"
        if loss == "linear":
            x = [[real_symbol(f"x{prefix}{r}_{e}") for e in range(dimension)] for r in range(rows)]
            data.extend(v for row in x for v in row)
            terms.append(
                g.add(
                    *(
                        g.mul(g.leaf(theta[r][e]), g.leaf(x[r][e]))
                        for r in range(rows)
                        for e in range(dimension)
                    )
                )
            )
        else:
            x = [real_symbol(f"x{prefix}{e}") for e in range(dimension)]
            y = [real_symbol(f"y{prefix}{r}") for r in range(rows)]
            data.extend(x + y)
            logits = [
                g.add(*(g.mul(g.leaf(theta[r][e]), g.leaf(x[e])) for e in range(dimension)))
                for r in range(rows)
            ]
            targets = [g.leaf(v) for v in y]
            terms.append(_sample_loss(g, logits, logits, targets, "cross-entropy"))
    g.root = g.add(*terms)
    return Model(
        name="rows",
        options={"rows": rows, "dimension": dimension, "loss": loss, "samples": samples},
        loss=g,
        parameters=tuple(v for row in theta for v in row),
        data=tuple(data),
        neurons=(tuple(tuple(row) for row in theta),),
        has_hidden=False,
    )


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    options: Mapping[str, object]
    names: str
    builder: Callable[..., Model]


def _two_layer(**options) -> Model:
    hidden = options.pop("hidden", 2)
    if isinstance(hidden, str):
        hidden = _check_size("hidden", hidden)
    return _network("two-layer", hidden=[hidden], **{**_NETWORK_DEFAULTS, **options})


def _mlp(**options) -> Model:
    hidden = options.pop("hidden", "3,3")
    if isinstance(hidden, str):
        try:
            hidden = [int(h) for h in hidden.split(",") if h.strip()]
        except ValueError:
            raise ModelError(
                f"hidden={hidden!r} must be a comma list of widths, e.g. 8,8"
            ) from None
    elif isinstance(hidden, int):
        hidden = [hidden]
    if not hidden:
        raise ModelError("mlp needs at least one hidden width, e.g. hidden=8,8")
    return _network("mlp", hidden=list(hidden), **{**_NETWORK_DEFAULTS, **options})


def _single_layer(**options) -> Model:
    options.setdefault("outputs", 2)
    options.setdefault("activation", "identity")
    options["output_activation"] = options.pop("activation")
    return _network("single-layer", hidden=[], **{**_NETWORK_DEFAULTS, **options})


def _softmax(**options) -> Model:
    options.setdefault("outputs", 3)
    options.setdefault("bias", False)
    options["loss"] = "cross-entropy"
    options["output_activation"] = "identity"
    options.pop("activation", None)
    return _network("softmax", hidden=[], **{**_NETWORK_DEFAULTS, **options})


_NETWORK_DEFAULTS = {
    "inputs": 2,
    "outputs": 1,
    "activation": "tanh",
    "output_activation": "identity",
    "bias": True,
    "loss": "mse",
    "samples": 1,
}

PRESETS: dict[str, Preset] = {
    "linear": Preset(
        "linear",
        "J = sum_i w_i*x_i (the counterexample of the Q&A threads)",
        {"inputs": 2, "samples": 1},
        "parameters w0..w{k-1}; data x0..x{k-1} (x{s}_{i} with samples)",
        lambda **o: _linear(mse=False, **o),
    ),
    "mse-linear": Preset(
        "mse-linear",
        "J = (y - sum_i w_i*x_i)**2",
        {"inputs": 2, "samples": 1},
        "parameters w0..; data x0.., y (x{s}_{i}, y{s} with samples)",
        lambda **o: _linear(mse=True, **o),
    ),
    "single-layer": Preset(
        "single-layer",
        "m output neurons s(x W1 + b1), each with its own target, MSE",
        {
            "inputs": 2,
            "outputs": 2,
            "activation": "identity",
            "bias": True,
            "loss": "mse",
            "samples": 1,
        },
        "parameters W1_{i}_{o}, b1_{o}; data x{i}, y{o}",
        _single_layer,
    ),
    "two-layer": Preset(
        "two-layer",
        "f = s2(s1(x W1 + b1) W2 + b2), the network of the Q&A threads",
        {"hidden": 2, **_NETWORK_DEFAULTS},
        "parameters W1_{i}_{j}, b1_{j}, W2_{j}_{o}, b2_{o}; data x{i}, y (y{o})",
        _two_layer,
    ),
    "mlp": Preset(
        "mlp",
        "any list of hidden widths, e.g. hidden=8,8",
        {"hidden": "3,3", **_NETWORK_DEFAULTS},
        "parameters W{l}_{i}_{j}, b{l}_{j}; data x{i}, y (y{o})",
        _mlp,
    ),
    "softmax": Preset(
        "softmax",
        "softmax regression / word2vec output layer with cross-entropy",
        {"inputs": 2, "outputs": 3, "bias": False, "samples": 1},
        "parameters W1_{i}_{o} (b1_{o}); data x{i}, targets y{o}",
        _softmax,
    ),
    "rows": Preset(
        "rows",
        "parameters as vector rows t{r} (as in the third Q&A thread); loss linear (J = sum_r t_r . x_r) "
        "or cross-entropy (softmax over rows)",
        {"rows": 2, "dimension": 2, "loss": "linear", "samples": 1},
        "parameters t{r}_{e}; data x{r}_{e} (linear) or x{e}, y{r} (cross-entropy)",
        _rows,
    ),
}


def build(name: str, **options: object) -> Model:
    """Build preset ``name`` with ``options`` (unknown options are an error)."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ModelError(
            f"unknown model {str(name)[:40]!r}: choose one of {', '.join(PRESETS)}"
            f"{did_you_mean(str(name), PRESETS)}"
        )
    preset = PRESETS[name]
    options = {k.replace("-", "_"): v for k, v in options.items() if v is not None}
    allowed = {k.replace("-", "_") for k in preset.options}
    if name == "single-layer":
        allowed.add("activation")
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ModelError(
            f"model {name} has no option {', '.join(unknown)} "
            f"(its options: {', '.join(sorted(allowed))})"
        )
    return preset.builder(**options)


def catalogue(name: str | None = None) -> list[dict]:
    """The presets as plain dicts: summary, options with defaults, names, and an example."""
    if name is not None and name not in PRESETS:
        raise ModelError(
            f"unknown model {str(name)[:40]!r}: choose one of {', '.join(PRESETS)}"
            f"{did_you_mean(str(name), PRESETS)}"
        )
    entries = []
    for preset in PRESETS.values():
        if name is not None and preset.name != name:
            continue
        example = build(preset.name)
        entries.append(
            {
                "name": preset.name,
                "summary": preset.summary,
                "options": dict(preset.options),
                "names": preset.names,
                "example_loss": str(example.loss),
                "loss_description": describe_loss(
                    example.options.get("loss", "linear" if preset.name == "linear" else "mse"),
                    int(example.options.get("outputs", 1)),
                    str(example.options.get("output_activation", "identity")),
                ),
                "example_parameters": [str(p) for p in example.parameters],
                "example_data": [str(s) for s in example.data],
                "identical_ties": [
                    [str(p) for p in group]
                    for group in example.identical_groups()
                    if len(group) > 1
                ],
            }
        )
    return entries
