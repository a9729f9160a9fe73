"""The command line, driven with typer's CliRunner, plus a smoke test of the installed script."""

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from symgrad.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_prove_refutes_the_linear_tie_with_witness_and_condition():
    result = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "REFUTED: w0 and w1 get different gradients at the first step (1 and 2 at "
        "w0 = w1 = 0, x0 = 1, x1 = 2)"
    )
    assert "every data point needs x0 = x1; random data almost surely does not" in result.stdout
    assert "exactly when x0 = x1" in result.stdout


def test_prove_with_assumption_proves():
    result = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--assume", "x0=x1")
    assert result.exit_code == 0
    assert result.stdout.startswith("PROVEN")


def test_prove_model_identical_init():
    result = run(
        "prove",
        "--model",
        "two-layer",
        "--inputs",
        "2",
        "--hidden",
        "3",
        "--activation",
        "identity",
        "--loss",
        "mse",
        "--init",
        "identical",
    )
    assert result.exit_code == 0, result.output
    assert "PROVEN" in result.stdout


def test_prove_json_keys():
    result = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    for key in (
        "verdict",
        "parameters",
        "data",
        "ties",
        "differences",
        "condition",
        "witness",
        "stationary",
        "method",
        "optimizers",
        "elapsed_s",
    ):
        assert key in data
    assert data["verdict"] == "refuted"
    assert data["ties"] == [["w0", "w1"]]
    assert data["condition"]["text"] == "x0 = x1"
    assert data["witness"]["point"]["x0"] == "1"


@pytest.mark.parametrize(
    "fmt, marker", [("markdown", "**Refuted.**"), ("latex", r"\begin{align*}")]
)
def test_prove_formats(fmt, marker):
    result = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--format", fmt)
    assert marker in result.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["prove", "x^2*w0 + w1 #", "--tie", "w0=w1"], "#"),
        (["prove", "w0*x0 + w1*x1", "--tie", "w0=w2"], "w2"),
        (["prove", "", "--tie", "w0=w1"], "empty"),
        (["prove", "w0 = w1", "--tie", "w0=w1"], "equation"),
        (["prove", "foo(w0) + w1", "--tie", "w0=w1"], "no single reading"),
        (["prove", "tanhh(w0) + w1", "--tie", "w0=w1"], "did you mean tanh"),
        (["prove", "--model", "nope", "--init", "zero"], "unknown model"),
        (["prove"], "missing LOSS"),
        (["grad", "w*x", "--wrt", "v"], "does not use"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert "Traceback" not in result.output


def test_bad_input_with_json_prints_one_json_object():
    result = run("prove", "x^^2", "--tie", "w0=w1", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["exit"] == 2


def test_dataset_modes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x0,x1\n1,2\n2,1\n")
    full = run(
        "prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--dataset", str(path), "--mode", "full-batch"
    )
    sgd = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--dataset", str(path), "--mode", "sgd")
    assert full.exit_code == 0 and sgd.exit_code == 1


@pytest.mark.parametrize(
    "content, fragment",
    [("x0,x2\n1,2\n", "column 'x2'"), ("x0,x1\n1,zz\n", "row 1, column 'x1'"), ("x0\n1\n", "x1")],
)
def test_dataset_errors_name_row_and_column(tmp_path, content, fragment):
    path = tmp_path / "d.csv"
    path.write_text(content)
    result = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--dataset", str(path))
    assert result.exit_code == 2
    assert fragment in result.stderr


def test_timeout_exits_3():
    # building this network alone takes longer than the budget
    result = run(
        "prove",
        "--model",
        "mlp",
        "--hidden",
        "64,64",
        "--samples",
        "8",
        "--init",
        "zero",
        "--activation",
        "sigmoid",
        "--timeout",
        "0.1",
    )
    assert result.exit_code == 3
    assert "budget" in result.stderr
    assert result.stdout.startswith("UNKNOWN: not decided within the time budget: ")


MLP_OVER_BUDGET = ["--model", "mlp", "--hidden", "64,64", "--samples", "8", "--init", "zero",
                   "--activation", "sigmoid", "--timeout", "0.1"]  # fmt: skip
BUDGET_RUNS = [["prove", *MLP_OVER_BUDGET], ["collapse", *MLP_OVER_BUDGET]]


@pytest.mark.parametrize("level", [["-q"], [], ["-v"]])
@pytest.mark.parametrize("args", BUDGET_RUNS, ids=["prove", "collapse"])
def test_out_of_budget_prints_the_unknown_verdict_line_at_every_level(args, level):
    result = run(*args, *level)
    assert result.exit_code == 3
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("UNKNOWN: not decided within the time budget")
    assert "raise it with --timeout)" in lines[0] and "timeout=" not in lines[0]
    assert len(result.stderr.splitlines()) == 1 and "budget" in result.stderr


@pytest.mark.parametrize("args", BUDGET_RUNS, ids=["prove", "collapse"])
def test_out_of_budget_json_is_the_error_object_as_before(args):
    result = run(*args, "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert set(data) == {"error", "kind", "exit"} and data["kind"] == "unknown"
    assert data["exit"] == 3 and "UNKNOWN" not in result.stdout


def test_grad_with_exact_values():
    result = run("grad", "(y - w*x)**2", "--wrt", "w", "--at", "w=0,x=1,y=2", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["values"] == {"w": "-4"}
    assert "w" in data["gradients"]


def test_grad_transcendental_value_is_exact_text():
    result = run("grad", "tanh(w*x)", "--wrt", "w", "--at", "w=1,x=1", "--json")
    assert json.loads(result.stdout)["values"]["w"] == "1 - tanh(1)**2"


def test_grad_latex():
    result = run("grad", "w**2", "--wrt", "w", "--latex")
    assert r"\frac{\partial J}{\partial w} &= 2 w" in result.stdout


def test_models_lists_presets_and_names():
    result = run("models")
    assert result.exit_code == 0
    for name in ("linear", "mse-linear", "single-layer", "two-layer", "mlp", "softmax", "rows"):
        assert name in result.stdout
    detail = json.loads(run("models", "two-layer", "--json").stdout)
    assert "W1_0_0" in detail["models"][0]["example_parameters"]


def test_help_shows_examples():
    for command in ("prove", "grad", "models"):
        assert "Example" in run(command, "--help").stdout


def test_console_script_and_module_entry_point():
    script = shutil.which("symgrad")
    assert script, "the symgrad console script is not installed"
    done = subprocess.run(
        [script, "prove", "w0*x0 + w1*x1", "--tie", "w0=w1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "REFUTED" in done.stdout
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "symgrad",
            "prove",
            "w0*x0 + w1*x1",
            "--tie",
            "w0=w1",
            "--assume",
            "x0=x1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "PROVEN" in done.stdout


def test_api_and_cli_agree_on_seed_examples():
    from symgrad import prove

    cases = [
        (("w0*x0 + w1*x1",), {"ties": ["w0=w1"]}, ["--tie", "w0=w1"]),
        (("(y - w0*x0 - w1*x1)**2",), {"ties": ["w0=w1"]}, ["--tie", "w0=w1"]),
        (
            ("w0*x0 + w1*x1",),
            {"ties": ["w0=w1"], "init": "zero"},
            ["--tie", "w0=w1", "--init", "zero"],
        ),
    ]
    for args, kwargs, flags in cases:
        api = prove(*args, **kwargs).verdict
        cli = json.loads(run("prove", *args, *flags, "--json").stdout)["verdict"]
        assert api == cli


def test_model_init_as_ties():
    result = run(
        "prove",
        "--model",
        "two-layer",
        "--inputs",
        "2",
        "--hidden",
        "2",
        "--init",
        "W1_0_0=W1_0_1,W1_1_0=W1_1_1",
        "--json",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["ties"] == [["W1_0_0", "W1_0_1"], ["W1_1_0", "W1_1_1"]]


def test_a_loss_or_claim_starting_with_minus_is_maths():
    result = run(
        "check",
        "-y*log(sigmoid(w*x)) - (1 - y)*log(1 - sigmoid(w*x))",
        "--wrt",
        "w",
        "--claim",
        "-(y - sigmoid(w*x))*x",
    )
    assert result.exit_code == 0, result.output
    assert "CORRECT" in result.stdout
    refuted = run("prove", "-w0*x0 + w1*x1", "--tie", "w0=w1")
    assert refuted.exit_code == 1
    assert run("prove", "--tie", "w0=w1", "-w0*x0 - w1*x1", "--json").exit_code == 1


def test_wrt_accepts_latex_names():
    result = run("check", r"w_{0} x + w_1 y", "--wrt", "w_0", "--claim", "x", "--latex")
    assert result.exit_code == 0, result.output
    result = run("check", r"\theta_1^2", "--wrt", r"\theta_1", "--claim", r"2\theta_1", "--latex")
    assert result.exit_code == 0, result.output


def test_check_explains_the_readings():
    result = run("check", "(y - wx)^2", "--wrt", "w", "--claim", "-2x(y - wx)")
    assert result.exit_code == 2
    assert "wx is read as one symbol" in result.stderr and "w*x" in result.stderr
    result = run("check", "(y - w x)^2", "--wrt", "w", "--claim", "-2x(y - w x)")
    assert result.exit_code == 0 and "CORRECT" in result.stdout


def test_signal_handlers_are_left_alone_inside_a_host_process():
    """CliRunner runs the CLI inside pytest: SIGTERM, SIGHUP and SIGALRM stay pytest's."""
    import signal

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)}
    result = runner.invoke(app, ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--timeout", "5"])
    assert result.exit_code == 1
    assert {s: signal.getsignal(s) for s in before} == before


# ---------------------------------------------------------------- issue 22
def test_check_let_is_repeatable_and_shown_in_the_understood_line():
    result = run(
        "check",
        "-y*log(sigmoid(w*x + b)) - (1 - y)*log(1 - sigmoid(w*x + b))",
        "--wrt",
        "w",
        "--claim",
        "(a - y) x",
        "--let",
        "z = w*x + b",
        "--let",
        "a = sigmoid(z)",
    )
    assert result.exit_code == 0, result.output
    assert "with z = b + w*x, a = sigmoid(b + w*x)" in result.stdout


def test_check_hint_names_the_mistake_without_the_answer():
    result = run("check", "(y - w x)^2", "--wrt", "w", "--claim", "2x(y - w x)", "--hint")
    assert result.exit_code == 1
    assert "Hint:" in result.stdout and "sign error" in result.stdout
    assert "True derivative" not in result.stdout and "dJ/dw = -" not in result.stdout
    data = json.loads(
        run("check", "(y - w x)^2", "--wrt", "w", "--claim", "2x", "--hint", "--json").stdout
    )
    assert data["derivative"] is None and data["witness"]["true"] is None


def test_check_derivation_takes_let_and_assume():
    result = runner.invoke(
        app,
        ["check", "--derivation", "-", "--let", "p = exp(w x)", "--assume", "x > 0"],
        input="J = exp(w x)\ndJ/dw = x p\n= abs(x) p",
    )
    assert result.exit_code == 0, result.output


def test_derivation_from_a_closed_standard_input_is_one_line():
    import os

    done = subprocess.run(
        [sys.executable, "-m", "symgrad", "check", "--derivation", "-"],
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.close(0),  # noqa: PLW1509 - the child closes its stdin
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "standard input" in done.stderr
    assert "Traceback" not in done.stderr


def test_large_numeric_shapes_stop_by_the_budget_inside_the_library():
    result = run(
        "check",
        "norm(X@w - y)**2",
        "--wrt",
        "w",
        "--claim",
        "2*X.T@(X@w - y)",
        "--shape",
        "X=1000,1000",
        "--shape",
        "w=1000",
        "--shape",
        "y=1000",
        "--timeout",
        "10",
    )
    assert result.exit_code == 3 and "exact entries" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_a_wide_preset_is_proven_without_writing_its_loss_out(fmt):
    """mlp 8-64-64-1 over 8 samples (P3): the permutation route on the loss graph; the loss
    is too large to print and is never written out in SymPy, in any format."""
    args = ["prove", "--model", "mlp", "--inputs", "8", "--hidden", "64,64", "--samples", "8"]
    result = run(*args, "--init", "identical", "--format", fmt, "-v")
    assert result.exit_code == 0, result.output
    assert "2 neuron permutations leave J unchanged" in result.stdout
    assert "too large to print" in result.stdout
    assert "node by node on the loss's graph" in result.stdout or fmt != "text"


def test_a_wide_preset_as_json_keeps_every_key():
    args = ["prove", "--model", "mlp", "--inputs", "8", "--hidden", "64,64", "--samples", "8"]
    result = run(*args, "--init", "identical", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["verdict"] == "proven" and data["loss"].startswith("<expression of more than")
    assert len(data["ties"]) == 12 and data["certificate"].startswith("each permutation's node map")
    for key in ("parameters", "data", "differences", "condition", "witness", "stationary",
                "method", "optimizers", "elapsed_s"):  # fmt: skip
        assert key in data


def test_a_preset_too_large_to_build_exits_2_at_once():
    result = run("collapse", "--model", "mlp", "--hidden", "2048,2048", "--samples", "8", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["exit"] == 2 and "too large to build exactly" in error["error"]
