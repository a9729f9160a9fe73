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
)


@pytest.mark.parametrize("term", TERMS_PRINTED)
def test_every_printed_term_has_an_entry(term):
    name, text = lookup(term)
    assert name == term and len(text) > 60


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
