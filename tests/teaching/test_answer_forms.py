"""How answers are handed in: blanks, pasted LaTeX, named parts, messages for students."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symgrad.teaching.answer_forms import (
    for_students,
    is_blank,
    looks_like_latex,
    named_parts,
    unwrap_latex,
)


@pytest.mark.parametrize("text", ["", "   ", "-", "—", "?", "??", "...", "n/a", "N/A", "idk", "$$"])
def test_non_answers_are_blank(text):
    assert is_blank(text)


@pytest.mark.parametrize("text", ["0", "x", "2w", "-1", "none of x", "na"])
def test_answers_are_not_blank(text):
    assert not is_blank(text)


@given(st.text(alphabet=" \t-–—?._/", max_size=20))
def test_punctuation_alone_is_blank(text):
    assert is_blank(text)


@pytest.mark.parametrize(
    "text", [r"\frac{1}{2}", r"x \left( y \right)", r"\sigma(wx)", r"2\,x", "$x$", r"\[x\]"]
)
def test_pasted_latex_is_recognised(text):
    assert looks_like_latex(text)


@pytest.mark.parametrize("text", ["x sigma(wx)", "2*x*(y - w*x)", "σ(wx) - y", "x^{2}"])
def test_plain_text_is_not_latex(text):
    assert not looks_like_latex(text)


@pytest.mark.parametrize(
    "wrapped, inner",
    [
        ("$-2x$", "-2x"),
        ("$$ -2x $$", "-2x"),
        (r"\[-2x\]", "-2x"),
        (r"\(-2x\)", "-2x"),
        (r"\begin{equation}-2x\end{equation}", "-2x"),
        (r"$\displaystyle -2x \,.$", "-2x"),
        (r"\partial J / \partial w = 2w", r"\frac{\partial J}{\partial w} = 2w"),
    ],
)
def test_delimiters_and_spacing_are_taken_off(wrapped, inner):
    assert unwrap_latex(wrapped) == inner


@given(st.from_regex(r"[a-z0-9+*() -]{1,30}", fullmatch=True))
def test_unwrapping_is_idempotent_and_keeps_the_maths(body):
    body = body.strip()
    once = unwrap_latex(f"$${body}$$")
    assert unwrap_latex(once) == once
    assert once.replace(" ", "") in body.replace(" ", "") or not body.strip(".,; ")


def test_parts_named_on_one_line_in_any_order():
    named = named_parts("dJ/db = s - y, dJ/dw = x(s - y)", ["w", "b"], False)
    assert named == {"b": "dJ/db = s - y", "w": "dJ/dw = x(s - y)"}
    latex = r"\frac{\partial J}{\partial w} = x \quad \frac{\partial J}{\partial b} = 1"
    assert set(named_parts(latex, ["w", "b"], True)) == {"w", "b"}


def test_a_derivation_is_split_where_it_names_its_parts():
    text = "J = (y - w x - b)^2\ndJ/dw = -2x(y - wx - b)\n= 2x(wx + b - y)\ndJ/db = -2(y - wx - b)"
    named = named_parts(text, ["w", "b"], False)
    assert named["w"].splitlines() == [
        "J = (y - w x - b)^2",
        "dJ/dw = -2x(y - wx - b)",
        "= 2x(wx + b - y)",
    ]
    assert named["b"].splitlines() == ["J = (y - w x - b)^2", "dJ/db = -2(y - wx - b)"]


@pytest.mark.parametrize(
    "text",
    [
        "dJ/dw = x",  # one part only
        "dJ/dw = x, dJ/dw = 2x",  # the same part twice
        "dJ/dw = x, dJ/dz = 1",  # a parameter the question does not ask for
        "x(s - y), s - y",  # parts not named
    ],
)
def test_parts_that_are_not_named_clearly_are_not_split(text):
    assert named_parts(text, ["w", "b"], False) is None


@pytest.mark.parametrize(
    "message",
    [
        "the claim for dJ/dw: '\\' starts a LaTeX command: use --latex for LaTeX input",
        "a transpose (^T) needs shapes: declare them with --shape (e.g. --shape w=k)",
        "'$' is LaTeX: use --latex (or remove the dollar signs)",
        "'@' is a matrix product: give shapes with --shape (e.g. --shape X=n,k)",
        "foo(x) (known: abs, exp; declare others with --function)",
        "the claim is a derivative with respect to b, but --wrt is w: give the right-hand "
        "side only, or the matching --wrt",
    ],
)
def test_messages_for_students_name_no_command_line_option(message):
    told = for_students(message)
    assert "--" not in told and told and "\n" not in told


@given(st.text(max_size=400))
def test_messages_for_students_are_short_and_optionless(message):
    told = for_students(message)
    assert len(told) <= 300 and " --" not in " " + told.replace("\n", " ")
