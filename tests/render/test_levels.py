"""The levels of detail: what the default text may claim about how a verdict is known."""

from __future__ import annotations

import dataclasses

import pytest

from symgrad import check, prove
from symgrad.render.levels import text_at

RECHECK = "re-checked independently"


def _undecided(result):
    return dataclasses.replace(
        result,
        verdict="unknown",
        reason="the independent certificate check failed (a test)",
        certificate="failed: a test",
    )


def test_an_unknown_check_claims_no_recheck():
    result = _undecided(check("(y - w*x)**2", wrt="w", claim="-2*x*(y - w*x)"))
    shown = text_at(result, "normal", False)
    assert shown.startswith("UNKNOWN: ")
    assert RECHECK not in shown and "exact, and" not in shown
    assert shown.splitlines()[-1].startswith("What we know: no exact verdict was established")


@pytest.mark.parametrize(
    "result",
    [
        check("(y - w*x)**2", wrt="w", claim="-2*x*(y - w*x)"),
        check("(y - w*x)**2", wrt="w", claim="2*x*(y - w*x)"),
        prove("w0*x0 + w1*x1", ties=["w0=w1"]),
        prove("(w0 + w1)*x", ties=["w0=w1"]),
    ],
    ids=["correct", "incorrect", "refuted", "proven"],
)
def test_only_an_established_verdict_says_it_was_rechecked(result):
    assert result.verdict in ("correct", "incorrect", "refuted", "proven")
    assert RECHECK in text_at(result, "normal", False)
    assert RECHECK not in text_at(_undecided(result), "normal", False)
