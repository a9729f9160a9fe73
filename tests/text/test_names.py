"""A claim's names read through the loss's names (symgrad/text/names.py, issue 22).

Run-together names (``wx``), spelling variants (``w_0`` for ``w0``, ``lam`` for ``lambda``)
and their refusals when two readings exist; a property test builds names from known parts
and reads them back.
"""

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symgrad.errors import ParseError
from symgrad.exact.functions import sigmoid
from symgrad.text.names import resolve, splits, variant_of
from symgrad.text.parse import read, real_symbol

w, x, y, b, w0, x0, w1, x1, lam, y_hat = (
    real_symbol(n) for n in "w x y b w0 x0 w1 x1 lambda y_hat".split()
)


@pytest.mark.parametrize(
    "name, known, parts",
    [
        ("wx", {"w", "x", "y"}, ("w", "x")),
        ("xw", {"w", "x"}, ("x", "w")),
        ("xy", {"x", "y", "w"}, ("x", "y")),
        ("wxy", {"w", "x", "y"}, ("w", "x", "y")),
        ("w0x0", {"w0", "x0"}, ("w0", "x0")),
        ("w_1x_1", {"w1", "x1", "y"}, ("w1", "x1")),
        ("lambdaw", {"lambda", "w"}, ("lambda", "w")),
    ],
)
def test_run_together_names_split_into_known_names(name, known, parts):
    assert resolve(name, known) == parts


@pytest.mark.parametrize(
    "name, known, variant",
    [
        ("w_0", {"w0", "x0"}, "w0"),
        ("x1", {"x_1", "y"}, "x_1"),
        ("yhat", {"y_hat", "y"}, "y_hat"),
        ("lam", {"lambda", "w"}, "lambda"),
        ("lmbda", {"lambda"}, "lambda"),
        ("lambd", {"lambda"}, "lambda"),
    ],
)
def test_spelling_variants_of_one_known_name(name, known, variant):
    assert variant_of(name, known) == variant
    assert resolve(name, known) == (variant,)


@pytest.mark.parametrize(
    "name, known",
    [
        ("p", {"w", "x"}),  # nothing known in it
        ("wz", {"w", "x"}),  # z is unknown
        ("w", {"w", "x"}),  # known itself
        ("lam", {"w"}),  # an alias of a name the loss does not have
    ],
)
def test_names_that_stand_for_nothing_known_stay_names(name, known):
    assert resolve(name, known) is None


def test_two_readings_are_refused_with_the_choices():
    with pytest.raises(ParseError) as error:
        resolve("abc", {"a", "ab", "bc", "c"})
    assert "a*bc" in error.value.message and "ab*c" in error.value.message


def test_splits_are_bounded():
    assert splits("a" * 200, {"a"}) == []
    assert len(splits("ab" * 5, {"a", "b", "ab", "ba"}, limit=3)) == 3


@pytest.mark.parametrize(
    "text, expected, note",
    [
        ("2wx", 2 * w * x, "wx is read as w*x"),
        ("-2x(y - wx)", -2 * x * (y - w * x), "wx is read as w*x"),
        ("w_0 x0", w0 * x0, "w_0 is read as w0"),
        ("2 lam w", 2 * lam * w, "lam is read as lambda"),
        ("(yhat - y)", y_hat - y, "yhat is read as y_hat"),
    ],
)
def test_a_claim_reads_through_the_known_names_and_says_so(text, expected, note):
    known = {"w", "x", "y", "w0", "x0", "lambda", "y_hat"}
    parsed = read(text, symbols=known, resolve_names=True)
    assert parsed.expr == expected
    assert note in parsed.notes


def test_the_loss_itself_is_read_without_guessing():
    assert read("wx").expr == real_symbol("wx")


@given(st.lists(st.sampled_from(["w", "x", "y", "b", "w0", "x1"]), min_size=2, max_size=4))
def test_names_written_together_read_back_as_their_product(parts):
    """Property: known names glued together read as the product of one split of them into
    known names (refused when there are several), and the split spells the glued name."""
    known = {"w", "x", "y", "b", "w0", "x1"}
    name = "".join(parts)
    readings = splits(name, known)
    assert tuple(parts) in readings or len(readings) == 3  # at most `limit` are listed
    if len(readings) > 1:
        with pytest.raises(ParseError):
            resolve(name, known)
        return
    assert resolve(name, known) == tuple(parts)
    product = 1
    for part in parts:
        product *= real_symbol(part)
    assert read(name, symbols=known, resolve_names=True).expr == product


def test_a_name_with_no_split_is_answered_without_exploring_every_prefix():
    """39 letters a and a final b with a, aa, aaa known: no split, found at once (the search
    without the suffix table took 2**39 steps)."""
    assert splits("a" * 39 + "b", {"a", "aa", "aaa"}) == []
    assert resolve("a" * 39 + "b", {"a", "aa", "aaa"}) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2wx^2", 2 * w * x**2),  # the power belongs to the last name, as written
        ("wx²", w * x**2),
        ("(wx)^2", w**2 * x**2),  # brackets hold the product as a whole
        ("(wx)²", w**2 * x**2),
    ],
)
def test_a_power_after_run_together_names_binds_to_the_last_name(text, expected):
    assert read(text, symbols={"w", "x", "y"}, resolve_names=True).expr == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("xsigmoid(w)", x * sigmoid(w)),
        ("xexp(wx)", x * sympy.exp(w * x)),
        ("wxtanh(y)", w * x * sympy.tanh(y)),
    ],
)
def test_known_names_glued_to_a_function_call(text, expected):
    parsed = read(text, symbols={"w", "x", "y"}, resolve_names=True)
    assert parsed.expr == expected
    assert any("(...) is read as" in note for note in parsed.notes)


def test_euler_e_may_be_glued_to_a_known_name():
    parsed = read("xe^(wx)", symbols={"w", "x"}, resolve_names=True)
    assert parsed.expr == x * sympy.exp(w * x)
