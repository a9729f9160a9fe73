"""A corpus of answers as students type them, each with the reading it must produce.

Expected readings are built directly with SymPy (not with symgrad's parser);
refusals name a fragment of the message, which must offer the reading choices
or say what to type. Plain text first, then LaTeX.
"""

import pytest
import sympy
from sympy import E, Rational, cos, cosh, exp, log, pi, sech, sin, sinh, sqrt, tan, tanh

from symgrad.errors import ParseError
from symgrad.exact.functions import Max, Min, heaviside, relu, sigmoid, softplus
from symgrad.text.parse import parse_expression, read, real_symbol

(a, b, w, x, y, z, u, v, w0, w1, x0, x1, x2, lam, theta, y_hat, eta, sigma_s, wx, xy) = (
    real_symbol(n)
    for n in ("a b w x y z u v w0 w1 x0 x1 x2 lambda theta y_hat eta sigma wx xy".split())
)
x_bar, w_tilde, theta1, x_i, y_i, W1_2 = (
    real_symbol(n) for n in ("x_bar", "w_tilde", "theta1", "x_i", "y_i", "W1_2")
)
h = Rational(1, 2)

TEXT = [
    # powers
    ("x^2", x**2),
    ("x**2", x**2),
    ("x ^ 2", x**2),
    ("e^{-z}", exp(-z)),
    ("e^(-z)", exp(-z)),
    ("e^-z", exp(-z)),
    ("2^x", 2**x),
    ("x^-1", 1 / x),
    ("x^(1/2)", sqrt(x)),
    ("-x^2", -(x**2)),
    ("(-x)^2", x**2),
    ("x^2^3", x**8),
    ("x²", x**2),
    ("x³ + y²", x**3 + y**2),
    ("x⁻¹", 1 / x),
    # implicit multiplication
    ("2x", 2 * x),
    ("2 x", 2 * x),
    ("2(x + 1)", 2 * x + 2),
    ("(a)(b)", a * b),
    ("(x + 1)(x - 1)", (x + 1) * (x - 1)),
    ("x(y - w x)", x * (y - w * x)),
    ("w x", w * x),
    ("2wx", 2 * wx),
    ("-2x(y - w x)", -2 * x * (y - w * x)),
    ("3x^2", 3 * x**2),
    ("2 sin(x)", 2 * sin(x)),
    ("x sin(x)", x * sin(x)),
    ("0.5x", x / 2),
    ("1.5(w - y)", Rational(3, 2) * (w - y)),
    ("x y z", x * y * z),
    ("2(x)(y)", 2 * x * y),
    ("(y - w x)^2", (y - w * x) ** 2),
    ("x_1 x_2", real_symbol("x_1") * real_symbol("x_2")),
    ("w0 x0 + w1 x1", w0 * x0 + w1 * x1),
    # names students use
    ("ln(x)", log(x)),
    ("ln x", log(x)),
    ("log(x)", log(x)),
    ("log(1 + e^x)", log(1 + exp(x))),
    ("e", E),
    ("e^x", exp(x)),
    ("exp(x)", exp(x)),
    ("sqrt(x)", sqrt(x)),
    ("√x", sqrt(x)),
    ("√(x + 1)", sqrt(x + 1)),
    ("abs(x)", sympy.Abs(x)),
    ("|x - y|", sympy.Abs(x - y)),
    ("sign(x)", sympy.sign(x)),
    ("sgn(x)", sympy.sign(x)),
    ("sech(x)", sech(x)),
    ("sech(x)^2", sech(x) ** 2),
    ("cosh(x)", cosh(x)),
    ("sinh(x)", sinh(x)),
    ("tanh(w x)", tanh(w * x)),
    ("tan(x)", tan(x)),
    ("sin^2(x) + cos^2(x)", sin(x) ** 2 + cos(x) ** 2),
    ("tanh^2(z)", tanh(z) ** 2),
    ("1 - tanh²(z)", 1 - tanh(z) ** 2),
    ("σ(z)", sigmoid(z)),
    ("sigma(z)", sigmoid(z)),
    ("σ(z)(1 - σ(z))", sigmoid(z) * (1 - sigmoid(z))),
    ("sigmoid(w x)", sigmoid(w * x)),
    ("relu(z)", relu(z)),
    ("ReLU(z)", relu(z)),
    ("softplus(z)", softplus(z)),
    ("heaviside(z)", heaviside(z)),
    ("H(z)", heaviside(z)),
    ("max(0, z)", Max(0, z)),
    ("max(a, b, z)", Max(a, b, z)),
    ("min(a, b)", Min(a, b)),
    ("pi x", pi * x),
    ("π x", pi * x),
    # Greek letters and decorated names
    ("θ", theta),
    ("λ w^2", lam * w**2),
    ("lambda w^2", lam * w**2),
    ("ŷ - y", y_hat - y),
    ("(ŷ - y)^2/2", (y_hat - y) ** 2 / 2),
    ("η", eta),
    ("x̄", x_bar),
    # Unicode operators
    ("x·y", x * y),
    ("x × y", x * y),
    ("x − y", x - y),
    ("x ÷ 2", x / 2),
    ("−2x(y − w x)", -2 * x * (y - w * x)),
    # numbers
    ("0.1 w", w / 10),
    ("1e-3 x", x / 1000),
    (".5x", x / 2),
    # brackets
    ("[x + 1]^2", (x + 1) ** 2),
    ("{x + 1}^2", (x + 1) ** 2),
    # piecewise
    (
        "(w - y)^2/2 if abs(w - y) <= 1 else abs(w - y) - 1/2",
        sympy.Piecewise(((w - y) ** 2 / 2, sympy.Abs(w - y) <= 1), (sympy.Abs(w - y) - h, True)),
    ),
    (
        "piecewise((x, x > 0), (0, True))",
        sympy.Piecewise((x, x > 0), (0, True)),
    ),
    ("x if x > 0 else 0", sympy.Piecewise((x, x > 0), (0, True))),
]

LATEX = [
    (r"x^{2}_{1}", x1**2),
    (r"x_{1}^{2}", x1**2),
    (r"x_1^2", x1**2),
    (r"\frac{1}{2}(\hat{y} - y)^{2}", (y_hat - y) ** 2 / 2),
    (r"-(\hat{y} - y)", y - y_hat),
    (r"\hat{y}", y_hat),
    (r"\bar{x}", x_bar),
    (r"\tilde{w}", w_tilde),
    (r"\sigma(z)", sigmoid(z)),
    (r"\sigma(z)(1 - \sigma(z))", sigmoid(z) * (1 - sigmoid(z))),
    (r"\sigma", sigma_s),
    (r"\frac{1}{2} (y - w x)^{2}", (y - w * x) ** 2 / 2),
    (r"-x \cdot (y - w x)", -x * (y - w * x)),
    (r"2 x \cdot (y - w x)", 2 * x * (y - w * x)),
    (r"x\left(y - w x\right)", x * (y - w * x)),
    (r"x(y - w x)", x * (y - w * x)),
    (r"\operatorname{sech}^{2}(x)", sech(x) ** 2),
    (r"\cosh(x)", cosh(x)),
    (r"\sinh x", sinh(x)),
    (r"\tanh(w x)", tanh(w * x)),
    (r"1 - \tanh^2(w x)", 1 - tanh(w * x) ** 2),
    (r"\max(a, b)", Max(a, b)),
    (r"\min(a, 0)", Min(a, 0)),
    (r"\mathrm{e}^{x}", exp(x)),
    (r"e^{-z}", exp(-z)),
    (r"\exp\left(-\frac{x^2}{2}\right)", exp(-(x**2) / 2)),
    (r"\ln x", log(x)),
    (r"\ln(1 + e^{x})", log(1 + exp(x))),
    (r"\log x", log(x)),
    (r"\sqrt{x}", sqrt(x)),
    (r"\sqrt{x^2 + 1}", sqrt(x**2 + 1)),
    (r"\theta_1 x", theta1 * x),
    (r"\lambda w^{2}", lam * w**2),
    (r"x^{(i)}", x_i),
    (r"y_{i} - x_{i}", y_i - x_i),
    (r"W_{1,2}", W1_2),
    (r"\left| x \right|", sympy.Abs(x)),
    (r"|w - y|", sympy.Abs(w - y)),
    (r"\frac12 x", x / 2),
    (r"\dfrac{x}{y}", x / y),
    (r"\frac{\partial}{\partial}", None),
    (r"$x^2$", x**2),
    (r"w x", w * x),
    (r"wx", w * x),
    (r"x \times y", x * y),
    (r"\pi x", pi * x),
    (r"\operatorname{relu}(z)", relu(z)),
    (r"\operatorname{softplus}(z)", softplus(z)),
    (
        r"\begin{cases} (w - y)^2/2 & |w - y| \le 1 \\ |w - y| - 1/2 & \text{otherwise} \end{cases}",
        sympy.Piecewise(((w - y) ** 2 / 2, sympy.Abs(w - y) <= 1), (sympy.Abs(w - y) - h, True)),
    ),
]

REFUSED = [
    ("1/2x", "no single reading"),
    ("x/2y", "no single reading"),
    ("sin x y", "no single reading"),
    ("sin^-1(x)", "no single reading"),
    ("foo(x)", "no single reading"),
    ("tanhh(x)", "did you mean tanh"),
    ("sigmod(z)", "did you mean sigmoid"),
    ("x'", "prime"),
    ("w^T x", None),
    ("E x", "Euler"),
    ("w*x # loss", "'#'"),
    ("a & b", "'&'"),
    ("dJ/dw = 2x", "derivative operator"),
]

LATEX_REFUSED = [
    (r"w^T x", "transpose"),
    (r"w^{\top} x", "transpose"),
    (r"\frac{\partial J}{\partial w} = x", "derivative sign"),
    (r"\operatorname{exec}(x)", "not a known function"),
    (r"\write18", r"\write"),
    (r"\bmod", r"\bmod"),
    (r"\begin{matrix} a \end{matrix}", "matrix"),
    (r"\def\x{1}", r"\def"),
    (r"x^23", "no single reading"),
    (r"x_12", "no single reading"),
    (r"\sin^{-1}(x)", "no single reading"),
    (r"\infty", "infinity"),
    (r"\log_2 x", "natural"),
    (r"a \pm b", "two readings"),
    (r"sinx", "no single reading"),
]


@pytest.mark.parametrize("text, expected", TEXT, ids=[t for t, _ in TEXT])
def test_plain_text_reading(text, expected):
    assert parse_expression(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [c for c in LATEX if c[1] is not None],
    ids=[t for t, e in LATEX if e is not None],
)
def test_latex_reading(text, expected):
    assert parse_expression(text, latex=True) == expected


@pytest.mark.parametrize("text, fragment", REFUSED, ids=[t for t, _ in REFUSED])
def test_refused_plain_text(text, fragment):
    with pytest.raises(ParseError) as error:
        parse_expression(text)
    if fragment:
        assert fragment in str(error.value)


@pytest.mark.parametrize("text, fragment", LATEX_REFUSED, ids=[t for t, _ in LATEX_REFUSED])
def test_refused_latex(text, fragment):
    with pytest.raises(ParseError) as error:
        parse_expression(text, latex=True)
    assert fragment in str(error.value)


def test_the_corpus_is_large_enough():
    assert len(TEXT) + len(LATEX) + len(REFUSED) + len(LATEX_REFUSED) >= 100


def test_readings_are_shown():
    assert any("product" in n for n in read("x(y - w x)").notes)
    assert any("Euler" in n for n in read("e^x").notes)
    assert any("w*x" in n for n in read(r"wx", latex=True).notes)
    assert read("e^x", e_is_symbol=True).expr == real_symbol("e") ** x


# ---------------------------------------------------------------- issue 22: graded as a TA would
from symgrad.errors import UndefinedSymbolError  # noqa: E402
from symgrad.teaching.check import check  # noqa: E402
from tests.teaching.student_answers import CORRECT, UNDEFINED, WRONG  # noqa: E402


def _id(case):
    return case[2][:40]


@pytest.mark.parametrize("loss, wrt, claim, kwargs", CORRECT, ids=[_id(c) for c in CORRECT])
def test_a_correct_answer_is_never_marked_wrong(loss, wrt, claim, kwargs):
    result = check(loss, wrt, claim, **kwargs)
    assert result.verdict == "correct", (result.understood, result.codes, result.reason)


@pytest.mark.parametrize("loss, wrt, claim, kwargs, code", WRONG, ids=[_id(c) for c in WRONG])
def test_a_wrong_answer_is_diagnosed_by_name(loss, wrt, claim, kwargs, code):
    result = check(loss, wrt, claim, **kwargs)
    assert result.verdict == "incorrect"
    if code is not None:
        assert result.codes == (code,)


@pytest.mark.parametrize(
    "loss, wrt, claim, kwargs, name", UNDEFINED, ids=[_id(c) for c in UNDEFINED]
)
def test_an_answer_with_an_undefined_name_is_not_graded(loss, wrt, claim, kwargs, name):
    with pytest.raises(UndefinedSymbolError) as error:
        check(loss, wrt, claim, **kwargs)
    assert error.value.names == (name,)


def test_the_student_corpus_is_broad():
    assert len(CORRECT) >= 140 and len(WRONG) >= 20 and len(UNDEFINED) >= 5
    named = [c for c in WRONG if c[4] is not None]
    assert len(named) / len(WRONG) >= 0.9
