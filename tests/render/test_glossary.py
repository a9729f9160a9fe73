"""The glossary: every term the default outputs use is in it, each entry plain words first."""

from __future__ import annotations

import pytest

from symgrad.errors import SymgradError
from symgrad.render.glossary import GLOSSARY, lookup

#: the precise terms that outputs print (the lead's list in issue 27, and what -v shows)
TERMS_PRINTED = (
    "tied subspace",
    "measure zero",
    "certificate",
    "re-check",
    "witness",
    "interval arithmetic",
    "stationary point",
    "almost everywhere",
    "almost surely",
    "exact rational arithmetic",
    "permutation invariance",
    "effective width",
    "structural equality",
    "CAS simplification",
    "tie group",
    "degenerate case",
    "invariant set",
    "rational normal form",
    "correct",
    "incorrect",
    "learning rate",
)


@pytest.mark.parametrize("term", TERMS_PRINTED)
def test_every_printed_term_has_an_entry(term):
    name, text = lookup(term)
    assert name == term and len(text) > 60


#: where each newer term is printed: a command whose output (at -v) uses it, so the list is
#: checked against what symgrad really prints, not only against the glossary
PRINTED_BY = {
    "structural equality": ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "-2*x*(y - w*x)"],
    "CAS simplification": ["check", "tanh(w*x)", "--wrt", "w", "--claim", "x/cosh(w*x)^2"],
    "tie group": ["prove", "(w0 + w1)*x", "--tie", "w0=w1"],
    "degenerate case": ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1"],
    "invariant set": ["collapse", "--model", "two-layer", "--inputs", "2", "--hidden", "2",
                      "--activation", "tanh", "--init", "zero"],
    "rational normal form": ["check", "w^3/3", "--wrt", "w", "--claim", "(w^3 - w^2)/(w - 1)"],
    "correct": ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "-2*x*(y - w*x)"],
    "incorrect": ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "2*x*(y - w*x)"],
    "learning rate": ["prove", "--model", "two-layer", "--inputs", "2", "--hidden", "1",
                      "--activation", "sigmoid", "--no-bias", "--init", "zero",
                      "--tie", "W1_0_0=W1_1_0"],
    "eta": ["prove", "--model", "two-layer", "--inputs", "2", "--hidden", "1",
            "--activation", "sigmoid", "--no-bias", "--init", "zero", "--tie", "W1_0_0=W1_1_0"],
}  # fmt: skip


@pytest.mark.parametrize("term", sorted(PRINTED_BY))
def test_a_term_the_outputs_print_is_explained(term):
    from typer.testing import CliRunner

    from symgrad.cli import app

    result = CliRunner().invoke(app, [*PRINTED_BY[term], "-v", "--no-timing"])
    assert result.exit_code in (0, 1), result.output
    assert term.lower() in result.stdout.lower(), (term, result.stdout[:400])
    name, text = lookup(term)
    assert len(text) > 60 and (name == term or term == "eta")


@pytest.mark.parametrize("name", list(GLOSSARY))
def test_an_entry_does_not_open_with_its_own_term(name):
    """Plain words first: the first sentence explains, it does not repeat the term."""
    first = GLOSSARY[name].split(". ")[0].lower()
    assert not first.startswith(name)


def test_refuted_explains_exit_code_1():
    assert "exits with code 1" in lookup("refuted")[1]


def test_an_unknown_term_is_an_error_with_a_suggestion():
    with pytest.raises(SymgradError, match="did you mean 'interval arithmetic'"):
        lookup("intervall arithmetic")
