"""The simulate plot: one panel per tie group with its spread (max - min) over the steps."""

from __future__ import annotations

import struct

import pytest

import symgrad
from symgrad.render.trajectory import MAX_PANELS, group_spreads

pytest.importorskip("matplotlib")


def _png_size(path) -> tuple[int, int]:
    with open(path, "rb") as handle:
        header = handle.read(24)
    return struct.unpack(">II", header[16:24])


def test_identical_init_has_one_flat_panel_per_group(tmp_path):
    net = symgrad.model("two-layer", inputs=2, hidden=3, activation="tanh")
    run = symgrad.simulate(net, init="identical", steps=30, lr=0.1)
    spreads = group_spreads(run)
    assert len(spreads) == len(run.groups) == 4
    assert all(max(series) == 0 for _, series, _ in spreads)  # identical neurons stay identical
    run.plot(tmp_path / "groups.png")
    width, height = _png_size(tmp_path / "groups.png")
    assert width > 1500 and height > 500  # 3 columns, 2 rows


def test_a_group_that_separates_has_a_growing_spread():
    net = symgrad.model("two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False)
    run = symgrad.simulate(net, init="zero", steps=30, lr=0.5)
    (label, series, _), *_ = group_spreads(run)
    assert series[0] == 0 and series[-1] > 0
    assert "=" in label


@pytest.mark.slow
def test_a_torch_model_shows_the_spread_inside_its_proven_subgroups(tmp_path):
    pytest.importorskip("torch")
    from torch import nn

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    for p in model.parameters():
        nn.init.constant_(p, 0.1)
    run = symgrad.simulate(symgrad.from_torch(model, (1, 3)), steps=20, lr=0.1)
    (_, series, proven), *_ = group_spreads(run)
    assert series[-1] > 0  # the whole constant group separates (weights vs biases)
    assert max(proven) <= 1e-12  # the proven subgroups do not
    run.plot(tmp_path / "torch.png")
    assert _png_size(tmp_path / "torch.png")[0] > 400
    assert MAX_PANELS == 12


# ---------------------------------------------------------------- which steps a table shows
def _step_rows(text: str, header: str) -> list[int]:
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 1 :]:
        words = line.replace(":", " ").split()
        if words and words[0] == "step":
            words = words[1:]
            if not words or not words[0].isdigit():
                continue
        if not words or not words[0].isdigit():
            break
        rows.append(int(words[0]))
    return rows


@pytest.mark.parametrize("steps", [1, 3, 6, 11])
def test_a_short_run_shows_every_step(steps):
    from symgrad import model
    from symgrad.ties.simulate import simulate

    text = str(simulate(model("two-layer", inputs=2, hidden=2), steps=steps))
    assert _step_rows(text, "largest difference") == list(range(steps + 1))
    assert _step_rows(text, "hidden layer 1") == list(range(steps + 1))
    assert " shown)" not in text


@pytest.mark.parametrize("steps", [12, 40, 200])
def test_a_long_run_says_which_steps_it_shows(steps):
    from symgrad import model
    from symgrad.ties.simulate import simulate

    text = str(simulate(model("two-layer", inputs=2, hidden=2), steps=steps))
    rows = _step_rows(text, "largest difference")
    assert rows[0] == 0 and rows[-1] == steps and len(rows) < steps + 1
    said = f"({len(rows)} of the {steps + 1} steps 0..{steps} shown)"
    assert said in text.splitlines()[2] and said in text
