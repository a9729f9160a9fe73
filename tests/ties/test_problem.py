"""A set of values in an assumption (``y in {0, 1}``): a malformed one is named precisely."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.ties.constraints import split_constraints
from symgrad.ties.problem import membership_shape_error

NEVER_CLOSED = "is never closed: add '}' after the last value"


@pytest.mark.parametrize(
    "text, message",
    [
        ("y in {0, 1", "the '{' at column 6 " + NEVER_CLOSED),
        ("y in {0, 1,", "the '{' at column 6 " + NEVER_CLOSED),
        ("y ∈ {0, 1", "the '{' at column 5 " + NEVER_CLOSED),
        ("y in {0 1}", "separate the values inside the braces with commas"),
        ("y in 0, 1", "write the values in braces"),
        ("y in {0, 1} x", "write one name, 'in', and the values in braces"),
    ],
)
def test_a_malformed_set_is_named(text, message):
    assert message in membership_shape_error(text)
    result = CliRunner().invoke(app, ["prove", "w0*y + w1*y", "--tie", "w0=w1", "--assume", text])
    assert result.exit_code == 2 and message in result.stderr
    assert "did you mean" not in result.stderr and "'in' is not maths" not in result.stderr
    with pytest.raises(Exception, match="constraint"):
        split_constraints([text])


@pytest.mark.parametrize("text", ["y in {0, 1}", "y ∈ {-1, 1/2, 3}", "x > 0", "y = 1"])
def test_a_well_formed_assumption_is_left_alone(text):
    assert membership_shape_error(text) is None


values = st.lists(
    st.fractions(min_value=-9, max_value=9, max_denominator=5).map(str), min_size=1, max_size=5
)


@settings(max_examples=60, deadline=None)
@given(values=values)
def test_dropping_the_closing_brace_is_always_named(values):
    whole = "y in {" + ", ".join(values) + "}"
    assert membership_shape_error(whole) is None
    assert NEVER_CLOSED in membership_shape_error(whole[:-1])
    if len(values) > 1:
        assert "commas" in membership_shape_error("y in {" + " ".join(values) + "}")
