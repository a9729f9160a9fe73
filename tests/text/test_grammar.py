"""A word people write beside maths ('in' of 'y in {0, 1}') is named as a word, never as a
misspelt function ("unknown function 'in': did you mean sin?")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad.errors import ParseError
from symgrad.text.parse import parse_expression


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("y in {0, 1}", "a set of values is a constraint of its own"),
        ("y in {0, 1,", "a set of values is a constraint of its own"),
        ("x0 in {0, 1}", "such as 'y in {0, 1}'"),
        ("y in {1}", "a set of values is a constraint of its own"),
        ("y in {-1}", "a set of values is a constraint of its own"),
    ],
)
def test_a_word_is_named_as_a_word(text, fragment):
    with pytest.raises(ParseError) as error:
        parse_expression(text)
    assert fragment in str(error.value) and "did you mean sin" not in str(error.value)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["y", "x0", "w", "label", "t_1"]),
    values=st.lists(st.integers(-5, 5), min_size=1, max_size=4),
    closed=st.booleans(),
)
def test_membership_is_never_read_as_a_misspelt_function(name, values, closed):
    text = f"{name} in {{{', '.join(map(str, values))}{'}' if closed else ','}"
    with pytest.raises(ParseError) as error:
        parse_expression(text)
    assert "did you mean" not in str(error.value) and "'in'" in str(error.value)


def test_sin_misspelt_is_still_suggested():
    with pytest.raises(ParseError, match="did you mean sin"):
        parse_expression("sinn(x)")
