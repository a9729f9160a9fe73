"""The presets build their losses as expression graphs; the SymPy loss made from the graph
must be exactly the loss written out in plain SymPy (the reference below, which builds it
the way the presets did before they had a graph)."""

import itertools

import pytest
import sympy

from symgrad import model
from symgrad.exact.functions import relu, sigmoid, softplus
from symgrad.exact.graph import ExprGraph, is_materialized
from symgrad.text.parse import real_symbol

REFERENCE_ACTIVATIONS = {
    "identity": lambda z: z,
    "tanh": sympy.tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "softplus": softplus,
    "generic": sympy.Function("sigma", real=True),
}


def _reference_loss(inputs, hidden, outputs, activation, output_activation, bias, loss, samples):
    """The network's loss in plain SymPy, layer by layer (names as documented in models.py)."""
    widths = [inputs, *hidden, outputs]
    act = REFERENCE_ACTIVATIONS[activation]
    out = REFERENCE_ACTIVATIONS[output_activation]
    total = []
    for s in range(samples):
        prefix = "x" if samples == 1 else f"x{s}_"
        values = [real_symbol(f"{prefix}{i}") for i in range(inputs)]
        if outputs == 1:
            targets = [real_symbol("y" if samples == 1 else f"y{s}")]
        else:
            targets = [
                real_symbol(f"y{o}" if samples == 1 else f"y{s}_{o}") for o in range(outputs)
            ]
        for layer in range(1, len(widths)):
            pre = []
            for j in range(widths[layer]):
                z = sympy.Add(
                    *(
                        values[i] * real_symbol(f"W{layer}_{i}_{j}")
                        for i in range(widths[layer - 1])
                    )
                )
                pre.append(z + real_symbol(f"b{layer}_{j}") if bias else z)
            logits = pre
            values = [(out if layer == len(widths) - 1 else act)(z) for z in pre]
        if loss == "mse":
            total.append(sympy.Add(*((y - f) ** 2 for y, f in zip(targets, values))))
        elif loss == "linear":
            total.append(sympy.Add(*values))
        elif output_activation == "sigmoid":
            total.append(sympy.Add(*(softplus(z) - y * z for y, z in zip(targets, logits))))
        elif len(values) == 1:
            total.append(softplus(values[0]) - targets[0] * values[0])
        else:
            lse = sympy.log(sympy.Add(*(sympy.exp(a) for a in values)))
            total.append(sympy.Add(*(y * (lse - a) for y, a in zip(targets, values))))
    return sympy.Add(*total)


CASES = [
    dict(
        inputs=i,
        hidden=h,
        outputs=o,
        activation=a,
        output_activation=oa,
        bias=b,
        loss=loss,
        samples=n,
    )
    for (i, h, o, n), a, oa, b, loss in itertools.product(
        [(1, [2], 1, 1), (2, [3], 2, 2), (2, [2, 2], 1, 1), (3, [], 3, 2)],
        ["identity", "tanh", "relu", "generic"],
        ["identity", "sigmoid", "softplus"],
        [True, False],
        ["mse", "linear", "cross-entropy"],
    )
]


def _build(case):
    options = {k: v for k, v in case.items() if k != "hidden"}
    if case["hidden"]:
        return model("mlp", hidden=",".join(map(str, case["hidden"])), **options)
    options["activation"] = options.pop("output_activation")
    return model("single-layer", **options)


@pytest.mark.parametrize("case", CASES[::5] + CASES[1::17])
def test_the_graph_of_a_preset_is_the_loss_written_out(case):
    net = _build(case)
    expected = _reference_loss(**case)
    assert net.loss == expected
    # and the graph made from the written-out loss has as many distinct subexpressions
    # (a linear loss over samples is not compared: SymPy collects b + b into 2*b there)
    graph = net.graph
    if case["loss"] != "linear":
        assert ExprGraph.from_sympy(expected).size == len(graph.below(graph.root))


def test_model_options_are_ints_or_lists_of_ints():
    """``inputs`` and ``hidden`` have one type each: an int, or a list of ints per layer."""
    assert model("two-layer", inputs=2, hidden="3").options["hidden"] == 3
    assert model("two-layer", inputs=2, hidden=3).options["inputs"] == 2
    assert model("mlp", inputs=2, hidden="3,2").options["hidden"] == [3, 2]
    assert model("mlp", inputs=2, hidden=[3, 2]).options["hidden"] == [3, 2]
    assert model("mlp", inputs=2, hidden=4).options["hidden"] == [4]


def test_model_repr_is_one_readable_line():
    text = repr(model("two-layer", inputs=2, hidden=3, activation="identity"))
    assert text.startswith("Model('two-layer', inputs=2, hidden=3, outputs=1,")
    assert text.endswith(": 13 parameters, 3 data symbols)") and "\n" not in text


@pytest.mark.parametrize("name", ["two-layer", "mlp", "softmax", "single-layer"])
def test_every_network_preset_matches_its_reference(name):
    net = model(name)
    o = net.options
    hidden = o.get("hidden", [])
    hidden = [hidden] if isinstance(hidden, int) else hidden
    activation = o.get("activation", "identity")
    expected = _reference_loss(
        o["inputs"],
        hidden,
        o["outputs"],
        activation,
        o["output_activation"],
        o["bias"],
        o["loss"],
        o["samples"],
    )
    assert net.loss == expected


def test_a_preset_is_not_written_out_in_sympy_until_asked():
    net = model("mlp", inputs=8, hidden="64,64", samples=8, activation="tanh")
    assert not is_materialized(net)
    assert net.graph.size > 40_000
    assert {str(s) for s in net.graph.symbols()} == {str(s) for s in net.parameters + net.data}
    assert not is_materialized(net)


def test_a_graph_shares_equal_subexpressions_once():
    net = model("mlp", inputs=2, hidden="3,3", samples=2, activation="tanh")
    rebuilt = ExprGraph.from_sympy(net.loss)
    # the same distinct subexpressions (the built graph also holds the unnegated sums
    # it made on the way, which the loss does not reach)
    assert rebuilt.size == len(net.graph.below(net.graph.root)) < net.graph.size


@pytest.mark.parametrize("loss", ["linear", "cross-entropy"])
@pytest.mark.parametrize("rows,dimension,samples", [(2, 2, 1), (3, 2, 2), (1, 3, 1)])
def test_the_rows_preset_is_its_loss_written_out(loss, rows, dimension, samples):
    theta = [[real_symbol(f"t{r}_{e}") for e in range(dimension)] for r in range(rows)]
    total = []
    for s in range(samples):
        prefix = "" if samples == 1 else f"{s}_"
        if loss == "linear":
            x = [[real_symbol(f"x{prefix}{r}_{e}") for e in range(dimension)] for r in range(rows)]
            total.append(
                sympy.Add(*(theta[r][e] * x[r][e] for r in range(rows) for e in range(dimension)))
            )
            continue
        x = [real_symbol(f"x{prefix}{e}") for e in range(dimension)]
        y = [real_symbol(f"y{prefix}{r}") for r in range(rows)]
        logits = [sympy.Add(*(theta[r][e] * x[e] for e in range(dimension))) for r in range(rows)]
        if rows == 1:
            total.append(softplus(logits[0]) - y[0] * logits[0])
        else:
            lse = sympy.log(sympy.Add(*(sympy.exp(a) for a in logits)))
            total.append(sympy.Add(*(v * (lse - a) for v, a in zip(y, logits))))
    net = model("rows", rows=rows, dimension=dimension, loss=loss, samples=samples)
    assert net.loss == sympy.Add(*total)
