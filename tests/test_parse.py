"""The whitelist parser: accepted syntax, refused syntax, limits, and fuzzing."""

import time

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symgrad.errors import ParseError, SymgradError
from symgrad.functions import relu, sigmoid, softplus
from symgrad.parse import parse_expression, parse_relation, real_symbol

x, y, w = (real_symbol(n) for n in ("x", "y", "w"))


def test_basic_arithmetic_and_powers():
    assert parse_expression("(y - w*x)**2") == (y - w * x) ** 2
    assert parse_expression("-x + +y / 2") == -x + y / 2


def test_decimals_are_exact_rationals():
    assert parse_expression("0.1") == sympy.Rational(1, 10)
    assert parse_expression("1e-40") == sympy.Rational(1, 10**40)
    assert parse_expression("0.333") != sympy.Rational(1, 3)


def test_known_functions():
    e = parse_expression("exp(x) + log(x) + sqrt(x) + abs(x) + sin(x) + cos(x) + tanh(x) + cosh(x)")
    assert e.has(sympy.exp, sympy.log, sympy.Abs, sympy.sin, sympy.cos, sympy.tanh)
    e = parse_expression("sigmoid(x) + relu(x) + softplus(x) + max(x, y) + min(x, y)")
    assert e.has(sigmoid, relu, softplus, sympy.Max, sympy.Min)


def test_declared_function_stays_undefined():
    e = parse_expression("sigma(w*x)", functions=["sigma"])
    assert isinstance(e.func, sympy.core.function.UndefinedFunction)


def test_every_symbol_is_real():
    assert all(s.is_real for s in parse_expression("x*y + w").free_symbols)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("x^2", "write x**2"),
        ("2x", "write 2*x"),
        ("x y", "'*' between factors"),
        ("x!", "factorial"),
        ("", "empty"),
        ("x \u2212 y", "unicode minus"),
        ("x \u00d7 y", "multiplication sign"),
        ("sigma(x)", "unknown function 'sigma'"),
        ("x = y", "equation"),
        ("x == y", "equation"),
        ("exp", "is a function"),
        ("x.real", "attribute access"),
        ("lambda: 1", "lambda"),
        ("f'{x}'", "f-string"),
        ("__import__('os').system('id')", "only calls of known functions"),
        ("().__class__.__bases__[0].__subclasses__()", "only calls of known functions"),
        ("eval('1')", "unknown function 'eval'"),
        ("open('f')", "unknown function 'open'"),
        ("Symbol('x')", "unknown function 'Symbol'"),
        ("9**9**9", "exponent"),
        ("10**10**8", "exponent"),
        ("(y-w*x)**100000", "exponent"),
        ("factorial(10**9)", "unknown function 'factorial'"),
        ("1" * 5000, "digits"),
        ("(" * 300 + "x" + ")" * 300, "nested"),
        ("-" * 5000 + "x", "signs in a row"),
        ("**".join(["x"] * 2000), "powers"),
        ("a" * 1_000_000, "exceeds the limit"),
        ("1/0", "division by zero"),
        ("log(0)", "undefined"),
        ("x % 2", "'%'"),
        ("[x]", "list"),
    ],
)
def test_refused_with_a_clear_message_quickly(text, fragment):
    start = time.monotonic()
    with pytest.raises(ParseError) as error:
        parse_expression(text)
    assert time.monotonic() - start < 2
    assert fragment in str(error.value)
    assert "\n" not in error.value.one_line()


def test_parse_error_carries_position():
    with pytest.raises(ParseError) as error:
        parse_expression("w*x^2")
    assert error.value.position == 3
    assert error.value.caret().splitlines()[1] == "   ^"


def test_relations():
    assert parse_relation("x0 = x1")[1] == "="
    assert parse_relation("x >= 0")[1] == ">="
    with pytest.raises(ParseError):
        parse_relation("x + 1")


@given(st.text(max_size=60))
def test_random_text_only_raises_symgrad_errors(text):
    try:
        parse_expression(text)
    except SymgradError:
        pass


TOKENS = [
    "x",
    "y",
    "w0",
    "2",
    "0.5",
    "+",
    "-",
    "*",
    "/",
    "**",
    "(",
    ")",
    ",",
    "exp(",
    "tanh(",
    "max(",
    "sigma(",
    "^",
    "=",
    " ",
    "1e3",
    "relu(",
    "9",
    "__class__",
    ".",
    "[",
    "]",
]


@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_random_token_sequences_only_raise_symgrad_errors(tokens):
    try:
        result = parse_expression("".join(tokens))
    except SymgradError:
        return
    assert isinstance(result, sympy.Basic)
