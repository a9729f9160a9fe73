"""One answer judged: what cannot be judged as mathematics gets its own code, by one rule.

``too_long``: the TEXT is over a length limit (characters, lines, parts, terms, digits
typed), told by the error's structured ``limit``, never by its wording; ``unreadable``
(with the reason): a value too large or nesting too deep, or text that is no formula.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad.errors import ParseError, ProblemError, over_length
from symgrad.teaching.answer import grade_answer, reading_verdict
from symgrad.teaching.key import load_key

[QUESTION] = load_key({"question": [{"id": "q", "loss": "(y - w x)^2", "wrt": ["w"]}]})
RIGHT_LINE = "= -2x(y - w x)\n"


def _verdict(text: str, fmt: str = "text") -> tuple[str, str]:
    outcome = grade_answer(QUESTION, [text], fmt, 10, False)
    return outcome["verdict"], outcome["components"][0]["feedback"][0]


@pytest.mark.parametrize(
    "name, text, verdict, says",
    [
        ("201 lines", "dJ/dw = -2x(y - w x)\n" + RIGHT_LINE * 200, "too_long", "200 lines"),
        ("5,000 digits typed", "1" * 5000 + " w", "too_long", "limit of 60"),
        ("61 digits typed", "1" * 61 + " w", "too_long", "limit of 60"),
        ("a line over 20,000 characters", "w + " * 5001, "too_long", "at most 20000"),
        ("a derivation over 100,000", "dJ/dw = " + "w + " * 25001 + "\n= 1", "too_long", ""),
        ("a sum of 500 terms", r"\sum_{i=1}^{500} w", "too_long", "more than 100 terms"),
        ("a value too large", "9**9**9**9", "unreadable", "more than 2000 digits"),
        ("a number too large", "1e999999 w", "unreadable", "more than 2000 digits"),
        ("brackets too deep", "(" * 70 + "w" + ")" * 70, "unreadable", "nested deeper"),
        ("not a formula", "-2x(y - w x", "unreadable", "closing bracket"),
    ],
)
def test_too_long_is_text_over_a_length_limit_and_unreadable_the_rest(name, text, verdict, says):
    got, feedback = _verdict(text)
    assert got == verdict, (name, got, feedback)
    assert says in feedback, feedback


def test_a_latex_derivation_of_201_lines_is_too_long():
    line = r"= -2x(y - w x) \\ "
    got, _ = _verdict(r"\frac{\partial J}{\partial w} = -2x(y - w x) \\ " + line * 200, "latex")
    assert got == "too_long"


@settings(max_examples=15, deadline=None)
@given(st.integers(201, 260))
def test_every_derivation_over_200_lines_is_too_long(lines):
    assert _verdict("dJ/dw = -2x(y - w x)\n" + RIGHT_LINE * (lines - 1))[0] == "too_long"


@settings(max_examples=25, deadline=None)
@given(st.integers(61, 4000))
def test_every_number_typed_with_more_than_60_digits_is_too_long(digits):
    assert _verdict("1" * digits + " w")[0] == "too_long"


def test_the_code_follows_the_structured_limit_never_the_wording():
    worded = ParseError("a sum of more than 100 terms that are longer than you think")
    assert reading_verdict(worded)[0] == "unreadable"  # the words alone decide nothing
    assert reading_verdict(over_length(ParseError("anything")))[0] == "too_long"
    assert reading_verdict(over_length(ProblemError("anything")))[0] == "too_long"


# ---------------------------------------------------------------- parts named twice or missing
[TWO_PARTS] = load_key({"question": [{"id": "q", "loss": "(y - w x - b)^2", "wrt": ["w", "b"]}]})


@pytest.mark.parametrize(
    "answer, says",
    [
        ("dJ/dw = -2x(y - wx - b)\ndJ/dw = -2x(y - wx - b)",
         "it names dJ/dw twice; dJ/db is missing"),
        ("dJ/dw = -2x(y - wx - b)\n= -2x(y-wx-b)\ndJ/db = -2(y - wx - b)\ndJ/dw = 0",
         "it names dJ/dw twice:"),
        ("dJ/dw = 1, dJ/dw = 2", "it names dJ/dw twice; dJ/db is missing"),
        ("dJ/dw = -2x(y - wx - b)\ndJ/dv = 1", "it names dJ/dv, which is not asked for"),
        ("dJ/dw = -2x(y - wx - b)", "dJ/db is missing"),
        ("-2x(y - wx - b)", "separated by ';', the answer has 1"),
    ],
)  # fmt: skip
def test_a_wrong_shape_says_which_part_is_named_twice_missing_or_not_asked(answer, says):
    outcome = grade_answer(TWO_PARTS, [answer], "text", 10, False)
    assert outcome["verdict"] == "wrong_shape"
    feedback = outcome["components"][0]["feedback"][0]
    assert says in feedback


# ---------------------------------------------------------------- derivations: grade x check
DERIVATIONS = [
    "dJ/dw = 2(y - w x)(-x)\n= 2x(y - w x)\n= -2x(y - w x)",  # a wrong middle line
    "dJ/dw = 2(y - w x)(-x)\n= 2x(y - w x)",  # the last line wrong too
    "dJ/dw = 2(y - w x)(-x)\n= -2x(y - w x)\n= 2w x^2 - 2x y",  # every line right
    "J = (y + w x)^2\ndJ/dw = -2x(y - w x)",  # the loss restated wrongly
    "dJ/dw = -2x(y - w x)\n= -2xy + 2wx^2 + 1\n= -2x(y - w x)",
    r"\frac{\partial J}{\partial w} = -2x(y - wx) \\ = 2x(y - wx) \\ = -2x(y - wx)",
]


@pytest.mark.parametrize("text", DERIVATIONS)
def test_grade_says_of_a_derivation_what_check_derivation_says(text):
    """The same derivation through the two doors: incorrect for one is incorrect for the
    other, and a derivation check finds right is correct when graded."""
    from symgrad.teaching.line_by_line import check_derivation

    checked = check_derivation(text, loss="(y - w x)^2")
    latex = "latex" if text.startswith("\\") else "text"
    graded = grade_answer(QUESTION, [text], latex, 20, False)
    assert checked.verdict in ("correct", "incorrect")
    assert graded["verdict"] == checked.verdict, (checked.first_wrong, graded)
    assert ("wrong_line" in graded["components"][0]["codes"]) == (checked.first_wrong is not None)
