"""Every help text is shown as written: rich's markup must not eat ``[dask]`` or ``[,COLS]``."""

from __future__ import annotations

import re

import typer
from rich.text import Text
from typer.testing import CliRunner

from symgrad.cli import app

COMMANDS = typer.main.get_command(app).commands


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def _unescaped(help_text: str) -> str:
    return help_text.replace("\\[", "[")


def test_every_option_help_with_brackets_is_shown_whole():
    checked = []
    for name, command in sorted(COMMANDS.items()):
        options = [p for p in command.params if p.help and "[" in p.help]
        if not options:
            continue
        shown = _plain(CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "400"}).output)
        for option in options:
            assert _plain(_unescaped(option.help)) in shown, (name, option.help)
            checked.append(option.name)
    assert "scheduler" in checked and "shape" in checked


def test_the_scheduler_help_names_the_dask_extra():
    shown = _plain(CliRunner().invoke(app, ["grade", "--help"], env={"COLUMNS": "400"}).output)
    assert "(needs symgrad[dask])" in shown


def _emoji_characters() -> set[str]:
    from rich._emoji_codes import EMOJI

    return {char for emoji in EMOJI.values() for char in emoji if ord(char) > 0x2000}


def test_no_help_text_turns_into_emoji():
    emoji = _emoji_characters()
    for name in sorted(COMMANDS):
        shown = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "400"}).output
        assert not emoji & set(shown), (name, sorted(emoji & set(shown)))


def test_every_torch_help_shows_file_py_factory():
    shown_in = []
    for name, command in sorted(COMMANDS.items()):
        if not any(p.name == "torch_model" for p in command.params):
            continue
        shown = _plain(CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "400"}).output)
        assert "FILE.py:FACTORY: your PyTorch model" in shown, name
        shown_in.append(name)
    assert {"prove", "collapse", "simulate"} <= set(shown_in)


def test_an_emoji_code_in_any_option_help_is_shown_as_written():
    from symgrad.cli.app import _plain_text

    for text in ("FILE.py:FACTORY: model", "a :smile: and :thumbs_up:", "x:heart:y:cat:", "1:2:3"):
        rendered = Text.from_markup(_plain_text(text)).plain
        assert rendered == text


def test_choices_wrap_at_80_columns_and_are_never_cut():
    for name in ("prove", "collapse", "simulate"):
        shown = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "80"}).output
        assert "…" not in shown, name
        plain = _plain(shown)
        assert "Activation: identity, tanh, sigmoid, relu, softplus or generic." in plain
        assert "Loss: mse, cross-entropy or linear." in plain


def test_no_help_text_is_cut_at_80_columns():
    for name in sorted(COMMANDS):
        shown = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "80"}).output
        assert "…" not in shown, (name, [line for line in shown.splitlines() if "…" in line])
