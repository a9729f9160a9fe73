"""The typer app: help that reads right, unknown options named as such, maths after dashes."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.cli.app import _maths_after_dashes

runner = CliRunner()
COMMANDS = sorted(typer.main.get_command(app).commands)


def run(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "120", "TERM": "dumb"})


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_no_bool_type_on_flags(command):
    result = run(*([command] if command else []), "--help")
    assert result.exit_code == 0
    assert "<bool>" not in result.stdout


def test_brackets_in_help_are_shown_literally():
    assert "symgrad[dask]" in " ".join(run("grade", "--help").stdout.split())


def test_the_root_help_points_to_the_quick_start_explain_and_the_exit_codes():
    text = " ".join(run("--help").stdout.split())
    assert 'symgrad prove "w0*x0 + w1*x1" --tie w0=w1' in text
    assert "symgrad explain TERM" in text and "-q prints the verdict line only" in text
    assert "1 it fails (a refutation is a successful answer)" in text


def test_a_help_paragraph_is_not_cut_by_the_docstring_line_breaks():
    text = run("--help").stdout
    assert "a report, a gradebook" in " ".join(text.split())
    assert not re.search(r"a report, a\s+│\s*\n", text)


@pytest.mark.parametrize("option", ["--quite", "--verbos", "--bogus", "--plot-file"])
def test_an_unknown_long_option_is_named_as_such(option):
    result = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1", option)
    assert result.exit_code == 2
    assert f"No such option: {option}" in result.stderr
    assert "unexpected extra argument" not in result.stderr


def test_an_unknown_option_with_json_is_one_json_object():
    result = run("prove", "w0*x0", "--tie", "w0=w1", "--json", "--bogus")
    assert result.exit_code == 2
    assert result.stdout.startswith('{"error": "No such option: --bogus')


@pytest.mark.parametrize(
    "args, expected",
    [
        # a loss with a leading minus is maths, unless it is a short option of the command
        (["check", "-y*log(p)", "--wrt", "p"], ["check", "--wrt", "p", "--", "-y*log(p)"]),
        (["check", "-x", "--wrt", "x"], ["check", "--wrt", "x", "--", "-x"]),
        (["prove", "w0", "-q"], ["prove", "w0", "-q"]),
        (["prove", "w0", "-v"], ["prove", "w0", "-v"]),
        (["prove", "w0", "--quiet"], ["prove", "w0", "--quiet"]),
        # a --word is an option, known or not
        (["prove", "w0", "--quite"], ["prove", "w0", "--quite"]),
        (["prove", "w0", "--tie=w0=w1"], ["prove", "w0", "--tie=w0=w1"]),
        # --x is a word after two dashes: an option (click names it), never maths
        (["prove", "--x"], ["prove", "--x"]),
        # a double minus before something that is not a word stays maths
        (["prove", "--1*w"], ["prove", "--", "--1*w"]),
        # short flags written together are flags; letters that are not all flags are maths
        (["prove", "w0", "-qv"], ["prove", "w0", "-qv"]),
        (["check", "-qx", "--wrt", "x"], ["check", "--wrt", "x", "--", "-qx"]),
    ],
)
def test_maths_after_dashes(args, expected):
    group = typer.main.get_command(app)
    assert _maths_after_dashes(group, args) == expected


def test_a_leading_minus_loss_still_checks():
    result = run("check", "-y*log(p)", "--wrt", "p", "--claim", "-y/p", "-q")
    assert result.exit_code == 0 and result.stdout.startswith("CORRECT")


def test_quiet_and_verbose_written_together_are_both_flags():
    result = run("prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "-qv")
    assert result.exit_code == 2 and "give -q/--quiet or -v/--verbose, not both" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["check", "-q", "--wrt", "q", "--claim", "-1"], ["prove", "-v", "--tie", "v=w"]],
)
def test_a_missing_loss_that_looked_like_an_option_says_how_to_write_it(args):
    result = run(*args)
    assert result.exit_code == 2 and "goes last, after --: ... -- -q" in result.stderr
    fixed = run("check", "--wrt", "q", "--claim", "-1", "-q", "--", "-q")
    assert fixed.exit_code == 0 and fixed.stdout.startswith("CORRECT")


# ---------------------------------------------------------------- unknown short options
@pytest.mark.parametrize(
    "args, option",
    [
        (["prove", "w0*x + w1*x", "-x", "--tie", "w0=w1"], "-x"),
        (["prove", "-Q", "w0*x + w1*x", "--tie", "w0=w1"], "-Q"),
        (["prove", "w0*x + w1*x", "--tie", "w0=w1", "-Q"], "-Q"),
        (["simulate", "-x", "--model", "two-layer"], "-x"),
        (["grade", "-Q", "--example"], "-Q"),
        (["collapse", "-Q", "--model", "two-layer"], "-Q"),
    ],
)
def test_an_unknown_short_option_is_named_as_click_does(args, option):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert f"No such option: {option}" in result.stderr
    assert "unexpected extra argument" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "-x", "--wrt", "x", "--claim", "-1"],
        ["check", "-x*w", "--wrt", "w", "--claim", "-x"],
        ["prove", "-x*w0 - x*w1", "--tie", "w0=w1"],
        ["prove", "-w0*x - w1*x", "--tie", "w0=w1", "-q"],
    ],
)
def test_a_loss_that_starts_with_a_dash_is_still_maths(args):
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    assert "No such option" not in result.stderr
