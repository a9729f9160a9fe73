"""Reliability: budgets bind in the library, limits hold through every door, nothing leaks.

Budgets are measured here with generous bounds (timeout=2 must return within
10 s); the orphan test kills the symgrad process alone and finds no worker left.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import symgrad
from symgrad.cli import app
from symgrad.errors import BudgetError, DatasetError, ParseError, ProblemError, SymgradError

runner = CliRunner()
HEAVY = "(w0*x0 + w1*x1 + w2*x2 + 1)**60*(w0 - w1) + sin(w0*x0)**30*cos(w1*x1)**30"


def _timed(function, *args, **kwargs):
    start = time.monotonic()
    try:
        outcome = function(*args, **kwargs)
    except BudgetError as error:
        outcome = error
    return time.monotonic() - start, outcome


@pytest.mark.parametrize(
    "call",
    [
        lambda: symgrad.prove(HEAVY, ties=["w0=w1=w2"], init="zero", timeout=2),
        lambda: symgrad.prove(
            "sin(w0*x)**40*tanh(w1*y)**40 - sin(w1*x)**40*tanh(w0*y)**40", ties=["w0=w1"], timeout=2
        ),
        lambda: symgrad.check("sin(w)**200*cos(w)**100*tanh(w)**50", "w", "0", timeout=2),
        lambda: symgrad.collapse(
            symgrad.model("mlp", inputs=8, hidden="32,32", samples=4, activation="sigmoid"),
            init="zero",
            timeout=2,
        ),
    ],
)
def test_library_budget_binds(call):
    seconds, _ = _timed(call)
    assert seconds < 10


def test_library_budget_binds_off_the_main_thread():
    box = {}

    def work():
        box["time"], box["outcome"] = _timed(
            symgrad.collapse,
            symgrad.model("mlp", inputs=8, hidden="32,32", samples=4, activation="sigmoid"),
            init="zero",
            timeout=2,
        )

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert box["time"] < 10


@pytest.mark.parametrize("value", ["inf", "1e308", "1e9"])
def test_huge_timeouts_mean_no_practical_limit(value):
    result = runner.invoke(app, ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--timeout", value])
    assert result.exit_code == 1, result.output
    assert symgrad.prove("w0*w1", ties=["w0=w1"], timeout=float(value)).verdict == "proven"


def test_a_found_refutation_is_reported_although_the_condition_is_expensive():
    seconds, result = _timed(symgrad.prove, "(w0*x0 + w1*x1 + 1)**100", ties=["w0=w1"], timeout=5)
    assert result.verdict == "refuted" and seconds < 5


def test_merged_exponents_and_flat_sums():
    with pytest.raises(ParseError, match="after combining"):
        symgrad.parse_expression("((x + 1)**100)**100")
    loss = " + ".join(f"(y{i} - w0*x{i} - w1*x{i})**2" for i in range(500))
    assert symgrad.prove(loss, ties=["w0=w1"], timeout=60).verdict == "proven"


def test_exact_numbers_are_bounded():
    result = symgrad.prove("(w0 + 7/3)**7000*x + (w1 + 7/3)**7000*y", ties=["w0=w1"], timeout=20)
    assert result.verdict in ("refuted", "unknown")


# ---------------------------------------------------------------- files and echoes
@pytest.mark.parametrize(
    "path", ["/dev/zero", "/dev/urandom", "/proc/self/environ", "/tmp", "/nope"]
)
def test_datasets_from_special_files(path):
    start = time.monotonic()
    result = runner.invoke(app, ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--dataset", path])
    assert time.monotonic() - start < 5
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and len(line) < 400
    assert "PATH=" not in line


def test_csv_field_limit(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x0,x1\n" + "1" * 200_000 + ",1\n")
    with pytest.raises(DatasetError):
        from symgrad.ties.dataset import read_csv

        read_csv(path)


def test_long_inputs_are_quoted_short():
    ties = "=".join(f"w{i}" for i in range(30_000))
    result = runner.invoke(app, ["prove", "w0*x0 + w1*x1", "--tie", ties])
    assert result.exit_code == 2 and len(result.stderr) < 500


# ---------------------------------------------------------------- plausible input, clear answers
@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--model", "two-layer", "--rows", "0"],
        ["simulate", "--model", "two-layer", "--plot", "/nonexistent/folder/p.png"],
        ["simulate", "--model", "two-layer", "--plot", "/tmp"],
        ["simulate", "--model", "two-layer", "--plot", "plot.gif"],
        ["simulate", "--model", "two-layer", "--csv", "/nonexistent/x.csv"],
        ["simulate", "--model", "two-layer", "--lr", "1e999"],
        ["grad", "min(-1, 3/w0)", "--wrt", "w0", "--at", "w0=0"],
        ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--assume", "x0 > 0", "--assume", "x0 < 0"],
        ["prove", "--model", "two-layer", "--init", "identicle"],
        ["prove", "--model", "two_layer"],
        ["prove", "--model", "two-layer", "--activation", "ReLU"],
        ["prove", "--model", "two-layer", "--loss", "crossentropy"],
    ],
)
def test_plausible_input_is_a_clear_exit_2(args, tmp_path):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_did_you_mean_for_option_values():
    for args, guess in [
        (["prove", "--model", "two-layer", "--init", "identicle"], "identical"),
        (["prove", "--model", "two_layer"], "two-layer"),
        (["prove", "--model", "two-layer", "--activation", "ReLU"], "relu"),
        (["prove", "--model", "two-layer", "--loss", "crossentropy"], "cross-entropy"),
    ]:
        assert f"did you mean {guess}" in runner.invoke(app, args).stderr


def test_numbers_beyond_float_range_are_exact():
    assert symgrad.prove("1e400*w0*x0 + 1e400*w1*x0", ties=["w0=w1"]).verdict == "proven"
    assert symgrad.check("1e999*w", "w", "10**999").verdict == "correct"


def test_nan_inf_and_friends_are_refused_alike():
    for text in ("nan", "inf", "oo", "E*x", "I*x"):
        with pytest.raises(ParseError):
            symgrad.parse_expression(text)
    for text in (r"\infty", "E x", "I x"):
        with pytest.raises(ParseError):
            symgrad.parse_expression(text, latex=True)


# ---------------------------------------------------------------- output for scripts
def test_errors_with_json_print_one_object():
    result = runner.invoke(app, ["prove", "w0*x0 +", "--tie", "w0=w1", "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["exit"] == 2 and data["kind"] == "ParseError" and data["error"]
    usage = runner.invoke(app, ["prove", "--frobnicate", "--json"])
    assert usage.exit_code == 2 and json.loads(usage.stdout)["exit"] == 2


@pytest.mark.slow
def test_text_output_is_deterministic_without_timing():
    outputs = set()
    for seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "symgrad",
                "prove",
                "(y - w0*x0 - w1*x1)**2",
                "--tie",
                "w0=w1",
                "--no-timing",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        outputs.add(completed.stdout)
    assert len(outputs) == 1


def test_cli_conventions():
    from symgrad import __version__

    assert runner.invoke(app, ["--version"]).stdout.strip() == f"symgrad {__version__}"
    assert "Usage" in runner.invoke(app, ["prove", "-h"]).stdout
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout
    assert not symgrad.prove("w0*x0 + w1*x1", ties=["w0=w1"])
    assert symgrad.prove("w0*w1", ties=["w0=w1"])
    assert not symgrad.check("w*x", "w", "w")


# ---------------------------------------------------------------- signals and orphans
def _hard(x: str) -> str:
    """A correct claim whose zero test runs long in the worker: the bracket is exactly 2."""
    return f"w*((sin({x}) + cos(y))**2 + (cos({x}) - sin(y))**2 - 2*sin({x} - y))**30"


def _workers_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="ignore")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("which", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_killing_the_parent_leaves_no_worker(which):
    marker = f"marker{int(which)}x{os.getpid()}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "symgrad",
            "check",
            _hard(marker),
            "--wrt",
            "w",
            "--claim",
            "2**30",
            "--timeout",
            "300",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_workers_with(marker)) < 2:
        time.sleep(0.1)
    assert len(_workers_with(marker)) >= 2, "no worker process was started"
    process.send_signal(which)
    process.wait(30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _workers_with(marker):
        time.sleep(0.1)
    assert _workers_with(marker) == []


@pytest.mark.slow
def test_ctrl_c_exits_130():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "symgrad",
            "check",
            _hard("x"),
            "--wrt",
            "w",
            "--claim",
            "2**30",
            "--timeout",
            "300",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 130


@pytest.mark.slow
def test_sigterm_ends_the_program_with_143():
    """The entry point installs the handler: SIGTERM ends the run with 128 + 15."""
    process = subprocess.Popen(
        [sys.executable, "-m", "symgrad", "check", _hard("x"), "--wrt", "w", "--claim",
         "2**30", "--timeout", "300"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 128 + signal.SIGTERM


def test_library_errors_are_symgrad_errors():
    for call in (
        lambda: symgrad.prove(123),
        lambda: symgrad.prove("w0*x", ties=[("w0", 5)]),
        lambda: symgrad.check("w", 5, "1"),
        lambda: symgrad.collapse("w0*w1", init=5),
    ):
        with pytest.raises((SymgradError, ProblemError)):
            call()
