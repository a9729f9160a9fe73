"""Characters students type on phones or paste from notebooks (symgrad/text/lexer.py, issue 22).

Fullwidth forms, mathematical letters, vulgar fractions, 𝟙, module prefixes of NumPy,
PyTorch and math, postfix factorial, ``.dot(``; each reading has a named test, a note the
student can check where the expression alone would not show it, and a property test that
the phone/fullwidth spelling of any expression reads as its ASCII spelling.
"""

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symgrad.errors import ParseError
from symgrad.exact.functions import Max, clip, relu, sigmoid, softplus
from symgrad.text.lexer import plain_characters
from symgrad.text.parse import parse_expression, read, real_symbol

w, x, y, z, a, b = (real_symbol(n) for n in "w x y z a b".split())


# ---------------------------------------------------------------- characters
@pytest.mark.parametrize(
    "text, expected",
    [
        ("（w + 1）＋w", 2 * w + 1),  # fullwidth brackets and plus
        ("２ｘ（ｗｘ－ｙ）", 2 * real_symbol("x") * (real_symbol("wx") - y)),  # letters too
        ("w\u3000+\u30001", w + 1),  # ideographic spaces
        ("𝑤𝑥", real_symbol("wx")),  # mathematical italic letters
        ("𝐰 + 𝐱", w + x),  # mathematical bold
        ("ℎ", real_symbol("h")),  # the Planck h of italic fonts
        ("ℓ", real_symbol("ell")),  # the script l of a loss
    ],
)
def test_phone_and_document_characters_read_as_ascii(text, expected):
    assert parse_expression(text) == expected


@pytest.mark.parametrize(
    "text, value, note",
    [
        ("½ w", w / 2, "½ is read as 1/2"),
        ("⅓x", x / 3, "⅓ is read as 1/3"),
        ("⅔x", 2 * x / 3, "⅔ is read as 2/3"),
        ("¼(w - y)^2", (w - y) ** 2 / 4, "¼ is read as 1/4"),
        ("¾ + w", sympy.Rational(3, 4) + w, "¾ is read as 3/4"),
    ],
)
def test_vulgar_fractions_are_exact_numbers(text, value, note):
    parsed = read(text)
    assert parsed.expr == value and note in parsed.notes


@pytest.mark.parametrize("text", ["2½", "1¼ w", "3⅓"])
def test_a_digit_glued_to_a_fraction_is_a_mixed_number_or_a_product(text):
    with pytest.raises(ParseError, match="no single reading"):
        parse_expression(text)


# ---------------------------------------------------------------- module prefixes
@pytest.mark.parametrize(
    "text, expected, source",
    [
        ("np.exp(w*x)", sympy.exp(w * x), "np.exp"),
        ("numpy.log(w)", sympy.log(w), "numpy.log"),
        ("torch.sigmoid(z)", sigmoid(z), "torch.sigmoid"),
        ("F.relu(w x)", relu(w * x), "F.relu"),
        ("torch.nn.functional.softplus(z)", softplus(z), "torch.nn.functional.softplus"),
        ("np.maximum(0, w)", Max(0, w), "np.maximum"),
        ("math.tanh(w)", sympy.tanh(w), "math.tanh"),
        ("scipy.special.expit(z)", sigmoid(z), "scipy.special.expit"),
        ("np.clip(w, 0, 1)", clip(w, 0, 1), "np.clip"),
        ("torch.clamp(w, min=0)", clip(w, 0), "torch.clamp"),
        ("np.square(w - y)", (w - y) ** 2, "np.square"),
        ("np.power(w, 3)", w**3, "np.power"),
        ("np.abs(w)", sympy.Abs(w), "np.abs"),
        ("np.sign(w)", sympy.sign(w), "np.sign"),
        ("math.pi * w", sympy.pi * w, "math.pi"),
        ("np.dot(x, w)", x * w, "np.dot"),
        ("np.multiply(2, w)", 2 * w, "np.multiply"),
    ],
)
def test_module_prefixes_name_the_function_and_the_reading_says_so(text, expected, source):
    parsed = read(text)
    assert parsed.expr == expected
    assert any(note.startswith(f"{source} is read as") for note in parsed.notes)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("np.linalg.inv(w)", "not a function symgrad knows"),
        ("np.foo(w)", "not a function symgrad knows"),
        ("torch.(w)", "'.' here is not part of a number"),
        ("w.real", "attribute access"),
    ],
)
def test_unknown_module_functions_are_refused_by_name(text, fragment):
    with pytest.raises(ParseError, match=fragment.replace("(", r"\(")):
        parse_expression(text)


# ---------------------------------------------------------------- factorial, indicator
@pytest.mark.parametrize(
    "text, expected",
    [("3!", 6), ("w^3/3!", w**3 / 6), ("4! w", 24 * w), ("x!", sympy.factorial(x))],
)
def test_postfix_factorial(text, expected):
    assert parse_expression(text) == expected


def test_not_equal_is_still_a_relation():
    assert read("x if w != 0 else 0").expr == sympy.Piecewise((x, sympy.Ne(w, 0)), (0, True))


@pytest.mark.parametrize(
    "text",
    ["𝟙[w x > 0]", "𝟙(w x > 0)", "[w x > 0]", "(w x > 0)", "[0 < w x]"],
)
def test_indicators_of_a_condition(text):
    expected = sympy.Piecewise((1, w * x > 0), (0, True))
    parsed = read(text)
    assert parsed.expr in (expected, sympy.Piecewise((1, 0 < w * x), (0, True)))
    assert any("indicator" in note for note in parsed.notes)


# ---------------------------------------------------------------- the property
_ASCII_TO_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "wxyb()+-*/^0123456789"}
_expressions = st.recursive(
    st.sampled_from(["w", "x", "y", "b", "2", "3"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({''.join(t)})"),
        inner.map(lambda e: f"({e})^2"),
    ),
    max_leaves=8,
)


@given(_expressions)
def test_fullwidth_spelling_reads_as_the_ascii_spelling(text):
    """Property (a grammar rule changed): any expression typed in fullwidth characters reads
    exactly as its ASCII spelling."""
    wide = "".join(_ASCII_TO_FULLWIDTH.get(c, c) for c in text)
    assert plain_characters(wide) == text
    assert _outcome(wide) == _outcome(text)


def _outcome(text):
    try:
        return parse_expression(text)
    except ParseError as error:
        return error.message
