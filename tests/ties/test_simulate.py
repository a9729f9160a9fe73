"""Simulation: tie groups stay exactly equal from identical init and fan out from random init."""

import struct

import pytest
from typer.testing import CliRunner

from symgrad import model
from symgrad.cli import app
from symgrad.errors import ProblemError
from symgrad.ties.simulate import simulate

runner = CliRunner()


def test_identical_init_stays_exactly_equal_in_exact_mode():
    net = model("two-layer", inputs=2, hidden=3, activation="identity")
    run = simulate(net, init="identical", steps=6, lr="1/10", seed=3, exact=True)
    assert all(run.exactly_equal)


def test_identical_init_tanh_exact_few_steps():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    run = simulate(net, init="identical", steps=2, lr="1/10", seed=3, exact=True)
    assert all(run.exactly_equal)


def test_identical_init_float_mode_has_zero_difference():
    net = model("two-layer", inputs=2, hidden=4, activation="tanh")
    run = simulate(net, init="identical", steps=300, lr=0.1, seed=5)
    assert max(run.max_difference) == 0.0


def test_random_init_separates():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    run = simulate(net, init="W1_0_0=W1_0_1=W1_0_2;W1_1_0=W1_1_1=W1_1_2", steps=50, lr=0.1, seed=2)
    assert run.max_difference[0] == 0.0
    assert run.max_difference[-1] > 1e-6


def test_exact_mode_step_limit():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    with pytest.raises(ProblemError, match="at most 3 steps"):
        simulate(net, init="identical", steps=10, exact=True)


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_plot_and_csv(tmp_path):
    png, table = tmp_path / "p.png", tmp_path / "p.csv"
    result = runner.invoke(
        app,
        [
            "simulate",
            "--model",
            "two-layer",
            "--inputs",
            "2",
            "--hidden",
            "4",
            "--activation",
            "tanh",
            "--init",
            "random",
            "--steps",
            "200",
            "--lr",
            "0.1",
            "--plot",
            str(png),
            "--csv",
            str(table),
        ],
    )
    assert result.exit_code == 0, result.output
    # a random init ties nothing: the plot watches the 4 groups an identical init would tie
    # (each neuron's matching parameters), 3 panels to a row
    width, height = _png_size(png)
    assert 1500 < width < 2400 and 500 < height < 900
    lines = table.read_text().splitlines()
    assert lines[0].startswith("step,W1_0_0")
    assert len(lines) == 202


def test_missing_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    result = runner.invoke(
        app, ["simulate", "--model", "two-layer", "--steps", "3", "--plot", str(tmp_path / "x.png")]
    )
    assert result.exit_code == 2
    assert "symgrad[plot]" in result.stderr


def test_bad_learning_rate():
    result = runner.invoke(app, ["simulate", "--model", "two-layer", "--lr", "fast"])
    assert result.exit_code == 2 and "--lr" in result.stderr
