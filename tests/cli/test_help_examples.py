"""Every example in every command's help runs: exit 0, 1 or 3, never 2 (bad input).

The examples name files (answers.csv, key.toml, net.py); the test writes them first, in
a fresh folder, as a reader following the help would. ``serve`` would serve until stopped,
so its example is parsed, not run.
"""

from __future__ import annotations

import shlex
import shutil

import pytest
import typer.main
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.teaching.grade import example_files

runner = CliRunner()

NET = """\
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Linear(784, 4), nn.Tanh(), nn.Linear(4, 1))
"""


def _examples() -> list[tuple[str, str]]:
    group = typer.main.get_command(app)
    found = []
    for name, command in sorted(group.commands.items()):
        lines = [line.strip() for line in (command.help or "").splitlines()]
        found += [(name, line) for line in lines if line.startswith("symgrad ")]
    return found


EXAMPLES = _examples()


def test_every_command_has_an_example():
    group = typer.main.get_command(app)
    with_examples = {name for name, _ in EXAMPLES}
    assert with_examples == set(group.commands), set(group.commands) - with_examples


@pytest.fixture
def folder(tmp_path, monkeypatch):
    key, answers = example_files()
    shutil.copy(key, tmp_path / "key.toml")
    shutil.copy(answers, tmp_path / "answers.csv")
    (tmp_path / "net.py").write_text(NET)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("command, example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_the_example_runs(command, example, folder):
    words = shlex.split(example)[1:]
    if command == "serve":
        group = typer.main.get_command(app)
        group.commands["serve"].make_context("serve", words[1:])  # parses, does not serve
        return
    result = runner.invoke(app, words)
    assert result.exit_code in (0, 1, 3), (example, result.exit_code, result.output)
    assert "Traceback" not in result.output
