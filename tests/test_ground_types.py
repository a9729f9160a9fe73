"""symgrad under each of SymPy's ground types.

SymPy picks its integer type at import (``SYMPY_GROUND_TYPES``: gmpy2 when installed,
python-flint's when that is installed, else Python's), and mpmath uses gmpy2 whenever it
is there. A Fraction that holds a gmpy2 ``mpz`` made SymPy fail under the other ground
types (``TypeError: invalid input: 0.0`` grading a class); every rational symgrad builds
holds Python ints. These runs use a fresh process per ground type. The torch extra
installs python-flint (Arb balls for the interval witnesses), which makes flint SymPy's
default: representative checks and proofs must print the same JSON under every ground
type this environment has.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from symgrad.exact.evaluate import Evaluator, bounds
from symgrad.text.parse import real_symbol

GROUND_TYPES = ["python"]
if importlib.util.find_spec("gmpy2"):
    GROUND_TYPES.append("gmpy")
if importlib.util.find_spec("flint"):
    GROUND_TYPES.append("flint")
TORCH = importlib.util.find_spec("torch") is not None


def _run(ground_types: str, *args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYMPY_GROUND_TYPES": ground_types}
    return subprocess.run(
        [sys.executable, "-m", "symgrad", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_interval_ends_are_fractions_of_python_ints():
    from fractions import Fraction

    import sympy

    x = real_symbol("x")
    value = Evaluator({x: Fraction(1, 3)})(sympy.tanh(x))
    for end in bounds(value):
        assert type(end.numerator) is int and type(end.denominator) is int


@pytest.mark.slow
@pytest.mark.parametrize("ground_types", GROUND_TYPES)
def test_a_diagnosis_from_interval_values_under_each_ground_type(ground_types):
    done = _run(
        ground_types,
        "check",
        "(y - v*tanh(w*x))**2/2",
        "--wrt",
        "v",
        "--claim",
        "-2*tanh(w*x)*(y - v*tanh(w*x))",
    )
    assert done.returncode == 1, done.stderr
    assert "constant factor: the claim is exactly 2 times" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("ground_types", GROUND_TYPES)
def test_the_example_class_grades_under_each_ground_type(ground_types, tmp_path):
    done = _run(ground_types, "grade", "--example", "--json", "--no-timing", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- the same JSON everywhere
SCRIPT = r"""
import json, sys
from typer.testing import CliRunner
from sympy.external.gmpy import GROUND_TYPES
from symgrad.cli import app

runner = CliRunner()
commands = [
    ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1"],
    ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--assume", "x0=x1"],
    ["prove", "tanh(w0*x0) + tanh(2*w1*x1)", "--tie", "w0=w1", "--init", "w0=1/3,w1=1/3"],
    ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "-2*x*(y - w*x)"],
    ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "-x*(y - w*x)"],
    ["check", "log(1 + exp(w*x))", "--wrt", "w", "--claim", "x*sigmoid(w*x)/2"],
]
out = {"ground_types": GROUND_TYPES, "runs": []}
for command in commands:
    result = runner.invoke(app, command + ["--json", "--no-timing"])
    data = json.loads(result.stdout)
    data.pop("elapsed_s", None)
    out["runs"].append({"exit": result.exit_code, "json": data})
if "torch" in sys.argv:
    import torch
    from torch import nn
    import symgrad
    from symgrad.torch.exact_numbers import engine_name

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    for p in model.parameters():
        nn.init.constant_(p, 0.25)
    result = symgrad.collapse(symgrad.from_torch(model, (2, 3)), timeout=60)
    out["torch"] = {
        "engine": engine_name(),
        "verdict": result.verdict,
        "groups": [list(g) for g in result.groups],
        "pairs": [list(w.pair) for w in result.witnesses],
    }
print(json.dumps(out, sort_keys=True, default=str))
"""


def _answers(ground_types: str) -> dict:
    env = dict(os.environ, SYMPY_GROUND_TYPES=ground_types, OMP_NUM_THREADS="1")
    arguments = [sys.executable, "-c", SCRIPT] + (["torch"] if TORCH else [])
    done = subprocess.run(arguments, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def answers() -> dict[str, dict]:
    return {kind: _answers(kind) for kind in GROUND_TYPES}


@pytest.mark.slow
def test_each_ground_type_is_the_one_in_force(answers):
    for kind, answer in answers.items():
        assert answer["ground_types"] == kind


@pytest.mark.slow
def test_verdicts_worked_out_by_hand_under_every_ground_type(answers):
    for kind, answer in answers.items():
        runs = answer["runs"]
        # dJ/dw0 - dJ/dw1 = x0 - x1: refuted at once, proven when x0 = x1
        assert (runs[0]["exit"], runs[0]["json"]["verdict"]) == (1, "refuted"), kind
        assert (runs[1]["exit"], runs[1]["json"]["verdict"]) == (0, "proven"), kind
        # x0*sech(w x0)**2 vs 2*x1*sech(2 w x1)**2 at w = 1/3: apart, with intervals
        assert (runs[2]["exit"], runs[2]["json"]["verdict"]) == (1, "refuted"), kind
        # d/dw (y - w x)^2 = -2 x (y - w x): right; half of it is wrong by a factor 2
        assert (runs[3]["exit"], runs[3]["json"]["verdict"]) == (0, "correct"), kind
        assert (runs[4]["exit"], runs[4]["json"]["verdict"]) == (1, "incorrect"), kind
        assert "exactly 1/2 times" in " ".join(runs[4]["json"]["diagnosis"]), kind
        # d/dw softplus(w x) = x sigmoid(w x): the claim is half of it
        assert (runs[5]["exit"], runs[5]["json"]["verdict"]) == (1, "incorrect"), kind


@pytest.mark.slow
def test_every_ground_type_prints_the_same_answers(answers):
    reference = answers["python"]
    for kind, answer in answers.items():
        assert answer["runs"] == reference["runs"], kind
        assert answer.get("torch") == reference.get("torch"), kind


@pytest.mark.slow
@pytest.mark.skipif(not TORCH, reason="the torch extra is not installed")
def test_a_constant_tanh_network_collapses_under_every_ground_type(answers):
    """Linear(3, 4) -> tanh -> Linear(4, 2) at 0.25 everywhere: the four hidden units stay
    one unit (each tensor's rows, or columns, move together) and the witnesses are
    interval ones (tanh)."""
    for kind, answer in answers.items():
        torch_answer = answer["torch"]
        assert torch_answer["verdict"] == "proven", kind
        assert torch_answer["engine"] == ("arb" if importlib.util.find_spec("flint") else "mpmath")
        assert any(len(group) == 4 for group in torch_answer["groups"]), kind
