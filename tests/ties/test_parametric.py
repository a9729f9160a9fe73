"""Symbolic sizes: the general gradient agrees with concrete instances, and so do verdicts."""

import functools
import json
import random
from fractions import Fraction

import pytest
import sympy
from typer.testing import CliRunner

from symgrad import gradients, model, prove, prove_parametric
from symgrad.cli import app
from symgrad.exact.evaluate import as_float, evaluate
from symgrad.text.parse import real_symbol


@functools.cache
def _general(activation, bias):
    return prove_parametric(
        "two-layer", inputs="k", hidden="d", samples="n", activation=activation, bias=bias
    )


def _instantiate(expr, sizes, generic):
    """Substitute concrete sizes and generic indices, then expand the sums."""
    return expr.subs({**sizes, **generic}).doit()


def _concrete_to_indexed(name):
    """Concrete symbol name -> the indexed object of the parametric model, on the tie."""
    x, y, a = (sympy.IndexedBase(n, real=True) for n in ("x", "y", "a"))
    parts = name.split("_")
    if name.startswith("x"):
        if len(parts) == 1:
            return x[0, int(name[1:])]
        return x[int(parts[0][1:]), int(parts[1])]
    if name.startswith("y"):
        return y[int(name[1:] or 0)]
    if name.startswith("W1"):
        return a[int(parts[1])]
    if name.startswith("b1"):
        return sympy.Symbol("c1", real=True)
    if name.startswith("W2"):
        return sympy.Symbol("v", real=True)
    return sympy.Symbol("b2", real=True)


@pytest.mark.parametrize(
    "activation, bias",
    [
        ("identity", False),
        pytest.param("tanh", True, marks=pytest.mark.slow),
        pytest.param("sigmoid", True, marks=pytest.mark.slow),
    ],
)
@pytest.mark.parametrize("k, d, n", [(1, 2, 1), (2, 3, 2)])
def test_general_gradient_matches_concrete_instances(activation, bias, k, d, n):
    general = prove_parametric(
        "two-layer", inputs="k", hidden="d", samples="n", activation=activation, bias=bias
    )
    assert general.verdict == "proven"
    sizes = {
        sympy.Symbol(s, integer=True, positive=True): v for s, v in (("k", k), ("d", d), ("n", n))
    }
    net = model("two-layer", inputs=k, hidden=d, samples=n, activation=activation, bias=bias)
    tie = {p: group[0] for group in net.identical_groups() for p in group[1:]}
    concrete = gradients(net.loss, net.parameters, at=tie)
    rng = random.Random(k * 100 + d * 10 + n)
    rename = {s: _concrete_to_indexed(s.name) for s in net.loss.free_symbols}
    point_values = {}
    for target in rename.values():
        point_values.setdefault(target, Fraction(rng.randint(-9, 9), 7))
    p_, q_ = sympy.symbols("p q", integer=True, nonnegative=True)
    for family, concrete_name in (
        ("W1[p, q]", "W1_{p}_{q}"),
        ("W2[q]", "W2_{q}_0"),
        ("b1[q]", "b1_{q}"),
    ):
        if family not in general.gradients:
            continue
        for p in range(k):
            for q in range(d):
                parametric = _instantiate(general.gradients[family], sizes, {p_: p, q_: q})
                mine = concrete[real_symbol(concrete_name.format(p=p, q=q))].xreplace(rename)
                atoms = {
                    a: sympy.Symbol(f"_v{m}", real=True)
                    for m, a in enumerate(sorted(point_values, key=str))
                }
                values = {atoms[a]: v for a, v in point_values.items()}
                difference = (parametric - mine).xreplace(atoms)
                value = evaluate(difference, values)
                assert abs(as_float(value)) < 1e-40


@pytest.mark.parametrize(
    "activation",
    ["relu", *(pytest.param(a, marks=pytest.mark.slow) for a in ("tanh", "sigmoid", "generic"))],
)
def test_verdicts_agree_with_concrete(activation):
    general = _general(activation, True)
    concrete = prove(
        model("two-layer", inputs=2, hidden=3, samples=2, activation=activation), init="identical"
    )
    assert general.verdict == concrete.verdict == "proven"
    assert general.scope == "for all d >= 1, k >= 1, n >= 1"


def test_linear_zero_init_refuted_with_all_inputs_equal():
    result = prove_parametric("linear", init="zero", inputs="k")
    assert result.verdict == "refuted"
    assert "all inputs equal" in result.condition
    assert result.witness.point["w0"] == 0
    assert prove(model("linear", inputs=3), init="zero").verdict == "refuted"


def test_mse_linear_general_condition():
    result = prove_parametric("mse-linear", init="zero", inputs="k")
    assert result.verdict == "refuted"
    assert "all inputs equal" in result.condition and "y[0] = 0" in result.condition


@pytest.mark.slow
def test_mlp_with_symbolic_widths_is_proven():
    result = prove_parametric("mlp", inputs="k", hidden="d1,d2", samples="n", timeout=5)
    assert result.verdict == "proven"
    assert result.scope == "for all d1 >= 1, d2 >= 1, k >= 1, n >= 1"


@pytest.mark.slow
def test_cli_symbolic_sizes():
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "prove",
            "--model",
            "two-layer",
            "--inputs",
            "k",
            "--hidden",
            "d",
            "--samples",
            "n",
            "--activation",
            "generic",
            "--init",
            "identical",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "proven" and data["scope"] == "for all d >= 1, k >= 1, n >= 1"
    assert "W1[p, q]" in data["gradients"]
    refuted = runner.invoke(app, ["prove", "--model", "linear", "--inputs", "k", "--init", "zero"])
    assert refuted.exit_code == 1
    assert "all inputs equal" in refuted.stdout
