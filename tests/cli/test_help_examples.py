"""Every example in every command's help runs as printed: exit 0, 1 or 3, never 2.

In a fresh folder, as a reader following the help would: a help that says to write the
example models (``python -m symgrad.examples.nets > nets.py``) has that line run as printed
first; a help that says answers.csv and key.toml are the reader's own files gets the
example class's files under those names. Nothing else is written. ``serve`` would serve
until stopped, so its example is parsed, not run.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.teaching.grade import example_files

runner = CliRunner()
WRITE_NETS = "python -m symgrad.examples.nets > nets.py"
YOUR_FILES = "answers.csv and key.toml are your files"


def _help(name: str) -> str:
    return typer.main.get_command(app).commands[name].help or ""


def _examples() -> list[tuple[str, str]]:
    group = typer.main.get_command(app)
    found = []
    for name, command in sorted(group.commands.items()):
        lines = [line.strip() for line in (command.help or "").splitlines()]
        found += [(name, line) for line in lines if line.startswith("symgrad ")]
    return found


EXAMPLES = _examples()


def _prepare(command: str, folder) -> None:
    """What the command's help tells the reader to do before its examples."""
    text = " ".join(_help(command).split())
    if WRITE_NETS in text:
        program, *arguments = WRITE_NETS.split(" > ")[0].split()
        assert program == "python"
        with open(folder / "nets.py", "w") as out:
            subprocess.run([sys.executable, *arguments], stdout=out, check=True, cwd=folder)
    if YOUR_FILES in text:
        key, answers = example_files()
        shutil.copy(key, folder / "key.toml")
        shutil.copy(answers, folder / "answers.csv")


def test_every_example_names_only_files_its_help_explains():
    for command, example in EXAMPLES:
        text = " ".join(_help(command).split())
        if "nets.py" in example:
            assert WRITE_NETS in text, example
        if "answers.csv" in example or "key.toml" in example:
            assert YOUR_FILES in text, example
        assert "net.py:" not in example and "make_model" not in example, example


def test_every_command_has_an_example():
    group = typer.main.get_command(app)
    with_examples = {name for name, _ in EXAMPLES}
    assert with_examples == set(group.commands), set(group.commands) - with_examples


@pytest.fixture
def folder(tmp_path, monkeypatch):
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
    _prepare(command, folder)
    result = runner.invoke(app, words)
    assert result.exit_code in (0, 1, 3), (example, result.exit_code, result.output)
    assert "Traceback" not in result.output
