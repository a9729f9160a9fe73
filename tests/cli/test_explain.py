"""``symgrad explain``: the glossary from the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.render.glossary import GLOSSARY

runner = CliRunner()


@pytest.mark.parametrize(
    "words, name",
    [
        (["measure", "zero"], "measure zero"),
        (["measure-zero"], "measure zero"),
        (["Tied", "Subspace"], "tied subspace"),
        (["re-checked"], "re-check"),
        (["witnesses"], "witness"),
        (["interval", "arithmetic"], "interval arithmetic"),
        (["stationary"], "stationary point"),
        (["almost", "everywhere"], "almost everywhere"),
        (["certificate"], "certificate"),
    ],
)
def test_a_term_is_explained(words, name):
    result = runner.invoke(app, ["explain", *words])
    assert result.exit_code == 0
    assert result.stdout == f"{name}: {GLOSSARY[name]}\n"


def test_without_a_term_every_entry_is_listed():
    result = runner.invoke(app, ["explain"])
    assert result.exit_code == 0
    for name in GLOSSARY:
        assert f"{name}: " in result.stdout


def test_json_gives_the_entries():
    data = json.loads(runner.invoke(app, ["explain", "witness", "--json"]).stdout)
    assert data == {"terms": {"witness": GLOSSARY["witness"]}}


def test_an_unknown_term_is_bad_input_with_a_suggestion():
    result = runner.invoke(app, ["explain", "mesure", "zer"])
    assert result.exit_code == 2
    assert "did you mean 'measure zero'?" in result.stderr and "Traceback" not in result.output
    as_json = runner.invoke(app, ["explain", "qwertyuiop", "--json"])
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["exit"] == 2
