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


# ---------------------------------------------------------------- identical vs random
def test_the_same_seed_gives_the_same_data_whatever_the_init(monkeypatch):
    from symgrad.ties import simulate as module

    drawn = []
    original = module._dataset

    def recording(*args):
        rows = original(*args)
        drawn.append(rows)
        return rows

    monkeypatch.setattr(module, "_dataset", recording)
    net = model("two-layer", inputs=2, hidden=3, activation="identity")
    for init in ("identical", "random", "zero"):
        simulate(net, init=init, steps=1, lr="1/10", seed=4, exact=True)
    assert len(drawn) == 3 and drawn[0] == drawn[1] == drawn[2]


def test_a_random_init_watches_what_an_identical_init_would_tie():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    run = simulate(net, init="random", steps=20, lr=0.1, seed=1)
    assert run.groups == () and len(run.watched) == 4
    assert all(series[0] > 0 for series in run.group_spreads)  # they start apart
    assert set(run.watched[0]) == {"W1_0_0", "W1_0_1", "W1_0_2"}


def test_compare_runs_each_init_on_the_same_data():
    from symgrad.ties.simulate import compare

    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    both = compare(net, ["identical", "random"], steps=30, lr=0.1, seed=2)
    identical, random_run = both.runs
    assert identical.init == "identical" and random_run.init == "random"
    assert all(identical.exactly_equal) and max(max(s) for s in identical.group_spreads) == 0
    assert min(s[-1] for s in random_run.group_spreads) > 0
    with pytest.raises(ProblemError, match="2 to 4 different inits"):
        compare(net, ["random", "random"], steps=3)


@pytest.mark.slow
def test_cli_identical_and_random_side_by_side(tmp_path):
    png = tmp_path / "both.png"
    args = ["simulate", "--model", "two-layer", "--inputs", "2", "--hidden", "3",
            "--init", "identical,random", "--steps", "50", "--plot", str(png)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "From the identical init, every tie group stayed exactly equal for all 50 steps."
    )
    assert "From the random init, the parameters an identical init would tie" in result.stdout
    width, height = _png_size(png)  # 2 columns (inits) x 4 rows (groups)
    assert 900 < width < 1600 and 900 < height < 1400
    quiet = runner.invoke(app, [*args, "-q"])
    assert len(quiet.stdout.splitlines()) == 2
    data = __import__("json").loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert data["inits"] == ["identical", "random"] and len(data["runs"]) == 2
    assert data["runs"][1]["groups"] == [] and len(data["runs"][1]["watched"]) == 4


def test_cli_refuses_csv_for_two_runs(tmp_path):
    args = ["simulate", "--model", "two-layer", "--init", "identical,random",
            "--csv", str(tmp_path / "t.csv")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "--csv writes one run" in result.stderr


def test_a_tie_init_with_commas_is_still_one_init():
    from symgrad.cli.simulate import init_list

    assert init_list("identical,random") == ["identical", "random"]
    assert init_list("W1_0_0=W1_0_1,b1_0=b1_1") == ["W1_0_0=W1_0_1,b1_0=b1_1"]
    assert init_list("identical") == ["identical"]
