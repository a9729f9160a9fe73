"""The --torch door: the user's factory runs in a worker killed at the budget, models too large
for the budget are refused with their size, integer inputs, --full, one-line refusals."""

from __future__ import annotations

import json
import textwrap
import time

import pytest

pytest.importorskip("torch")
from typer.testing import CliRunner  # noqa: E402

from symgrad.cli import app  # noqa: E402

runner = CliRunner()

MODELS = """
import torch
from torch import nn

def endless():
    while True:
        pass

def stubborn():
    while True:
        try:
            while True:
                pass
        except:  # the user's own bare except swallows whatever is raised here
            pass

def huge():
    return nn.Linear(10000, 10000)

def constant_mlp():
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    for p in model.parameters():
        nn.init.constant_(p, 0.1)
    return model

class SkipGram(nn.Module):
    def __init__(self):
        super().__init__()
        self.centre = nn.Embedding(10, 4)
        self.out = nn.Linear(4, 10, bias=False)

    def forward(self, words):
        return self.out(self.centre(words))

def skip_gram_zero():
    model = SkipGram()
    for p in model.parameters():
        nn.init.zeros_(p)
    return model

class Loss(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return torch.tanh(self.fc(x)).pow(2).sum()

def returns_its_loss():
    model = Loss()
    for p in model.parameters():
        nn.init.constant_(p, 0.1)
    return model

def upsampled():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2))

def chatty():
    print("building the model...")
    return constant_mlp()

def exits():
    import os
    os._exit(0)

class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x) if x.sum() > 0 else -self.fc(x)

def branchy():
    return Branchy()
"""


@pytest.fixture()
def models(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(textwrap.dedent(MODELS))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("factory", ["endless", "stubborn"])
def test_user_code_stops_at_the_budget(models, factory):
    start = time.monotonic()
    result = runner.invoke(app, ["collapse", "--torch", f"{models}:{factory}",
                                 "--input-shape", "1,4", "--timeout", "2"])  # fmt: skip
    elapsed = time.monotonic() - start
    assert result.exit_code == 3, result.output
    assert "time budget of 2 s" in result.output
    assert elapsed < 2 + 2.0
    assert "Traceback" not in result.output


def test_a_model_too_large_for_the_budget_is_refused_with_its_size(models):
    result = runner.invoke(app, ["prove", "--torch", f"{models}:huge", "--input-shape", "1,10000",
                                 "--timeout", "5", "--json"])  # fmt: skip
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["exit"] == 2 and "100,010,000 parameters" in payload["error"]


@pytest.mark.slow
def test_full_lists_every_entry(models):
    arguments = ["collapse", "--torch", f"{models}:constant_mlp", "--input-shape", "1,4", "--json"]
    compact = json.loads(runner.invoke(app, arguments).stdout)
    full = json.loads(runner.invoke(app, [*arguments, "--full"]).stdout)
    assert compact["groups"][0] == ["0.weight[0..5, 0]"]
    assert full["groups"][0][:2] == ["0.weight[0, 0]", "0.weight[1, 0]"]
    assert full["groups_full"] is True and compact["groups_full"] is False


@pytest.mark.slow
def test_integer_inputs_for_embeddings(models):
    result = runner.invoke(app, ["prove", "--torch", f"{models}:skip_gram_zero", "--input-shape",
                                 "4:long", "--target-shape", "4", "--loss", "cross-entropy",
                                 "--no-timing"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "never move" in result.stdout
    ranged = runner.invoke(app, ["collapse", "--torch", f"{models}:skip_gram_zero",
                                 "--input-shape", "4", "--input-range", "0:10", "--target-shape",
                                 "4", "--loss", "cross-entropy", "--json"])  # fmt: skip
    assert ranged.exit_code == 0, ranged.output
    bad = runner.invoke(app, ["collapse", "--torch", f"{models}:skip_gram_zero", "--input-shape",
                              "4", "--input-range", "10:0"])  # fmt: skip
    assert bad.exit_code == 2 and "LOW:HIGH" in bad.output


@pytest.mark.slow
def test_a_model_that_returns_its_loss(models):
    result = runner.invoke(app, ["collapse", "--torch", f"{models}:returns_its_loss",
                                 "--input-shape", "2,4", "--loss", "output", "--no-timing"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "fc: 3 neurons behave as 1" in result.stdout


@pytest.mark.slow
def test_an_unsupported_module_is_one_short_line(models):
    result = runner.invoke(app, ["collapse", "--torch", f"{models}:upsampled",
                                 "--input-shape", "1,1,6,6"])  # fmt: skip
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and len(line) < 230 and "Upsample" in line


@pytest.mark.slow
def test_what_the_factory_prints_stays_off_the_json(models):
    result = runner.invoke(app, ["collapse", "--torch", f"{models}:chatty", "--input-shape",
                                 "1,4", "--json"])  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verdict"] == "proven"


def test_a_factory_that_exits_is_reported_as_such(models):
    result = runner.invoke(app, ["prove", "--torch", f"{models}:exits", "--input-shape", "1,4"])
    assert result.exit_code == 3
    assert "stopped without an answer (the code exited" in result.output


@pytest.mark.slow
def test_a_branch_on_tensor_values_is_one_line(models):
    result = runner.invoke(app, ["prove", "--torch", f"{models}:branchy", "--input-shape", "2,4"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "cannot trace" in result.output
