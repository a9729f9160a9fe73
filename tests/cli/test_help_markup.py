"""Every help text is shown as written: rich's markup must not eat ``[dask]`` or ``[,COLS]``."""

from __future__ import annotations

import re

import typer
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
