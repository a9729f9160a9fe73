"""The functions a formula may use (symgrad/text/vocabulary.py, issue 22): each new reading,
its domain and its note, and derivatives that agree with an engine we did not write."""

import pytest
import sympy

from symgrad.errors import ParseError
from symgrad.exact.functions import clip
from symgrad.teaching.check import check
from symgrad.text.parse import parse_expression, read, real_symbol

w, x, y, z0, z1, z2, a, b, c = (real_symbol(n) for n in "w x y z0 z1 z2 a b c".split())


@pytest.mark.parametrize(
    "text, expected, note",
    [
        ("sec(w)", 1 / sympy.cos(w), "sec(u) is read as 1/cos(u)"),
        ("csc(w)", 1 / sympy.sin(w), "csc(u) is read as 1/sin(u)"),
        ("cot(w)", sympy.cos(w) / sympy.sin(w), "cot(u) is read as cos(u)/sin(u)"),
        ("asinh(w)", sympy.log(w + sympy.sqrt(w**2 + 1)), "asinh(u) is read as"),
        ("arcsinh(w)", sympy.log(w + sympy.sqrt(w**2 + 1)), "arcsinh(u) is read as"),
        ("acosh(w)", sympy.log(w + sympy.sqrt(w**2 - 1)), "acosh(u) is read as"),
        ("atanh(w)", sympy.log((1 + w) / (1 - w)) / 2, "atanh(u) is read as"),
        ("log1p(w)", sympy.log(1 + w), "log1p(u) is read as log(1 + u)"),
        ("expm1(w)", sympy.exp(w) - 1, "expm1(u) is read as exp(u) - 1"),
        ("mean(a, b, c)", (a + b + c) / 3, "mean(a, b, ...) is read as"),
        ("logsumexp(a, b)", sympy.log(sympy.exp(a) + sympy.exp(b)), "logsumexp"),
    ],
)
def test_functions_built_from_others_say_how(text, expected, note):
    parsed = read(text)
    assert parsed.expr == expected
    assert any(n.startswith(note) for n in parsed.notes)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("atan2(w, x)", sympy.atan2(w, x)),
        ("binomial(5, 2)", 10),
        ("comb(4, 2) w", 6 * w),
        ("factorial(4)", 24),
        ("sum(a, b, c)", a + b + c),
        ("mean(w)", w),
        ("softmax(z0, z1, z2)[1]", sympy.exp(z1) / (sympy.exp(z0) + sympy.exp(z1) + sympy.exp(z2))),
        ("log_softmax(z0, z1)[0]", z0 - sympy.log(sympy.exp(z0) + sympy.exp(z1))),
        ("where(w > 0, w, 0)", sympy.Piecewise((w, w > 0), (0, True))),
        ("clip(w, 0, 1)", clip(w, 0, 1)),
        ("clamp(w, min=0, max=1)", clip(w, 0, 1)),
        ("clamp(w, max=1)", -clip(-w, -1)),
        ("square(w)", w**2),
        ("pow(w, 3)", w**3),
        ("heaviside(w, 1/2)", sympy.Heaviside(w)),
    ],
)
def test_ml_functions_read_as_what_they_are(text, expected):
    assert parse_expression(text) == expected


@pytest.mark.parametrize(
    "text, domain",
    [
        ("acosh(w)", "w - 1 >= 0"),
        ("atanh(w)", "1 - w**2 > 0"),
        ("log1p(w)", "w + 1 > 0"),
        ("csc(w)", "sin(w) != 0"),
        ("atan2(w, x)", "w**2 + x**2 != 0"),
    ],
)
def test_new_functions_record_where_they_are_real(text, domain):
    assert domain in [c.text for c in read(text).domain]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("softmax(z0, z1)", "pick a component"),
        ("softmax(z0, z1)[2]", "out of range"),
        ("factorial(1/2)", "nonnegative whole number"),
        ("factorial(600)", "beyond the limit"),
        ("where(w, 1, 0)", "comparison"),
        ("clip(w, low=0)", "no argument named"),
        ("acosh(0)", "not a real number"),
        ("pow(w)", "two arguments"),
    ],
)
def test_misuses_are_refused_clearly(text, fragment):
    with pytest.raises(ParseError, match=fragment):
        parse_expression(text)


@pytest.mark.parametrize(
    "loss, wrt, claim",
    [
        ("sec(w)", "w", "sec(w) tan(w)"),
        ("asinh(w)", "w", "1/sqrt(w^2 + 1)"),
        ("acosh(w)", "w", "1/sqrt(w^2 - 1)"),
        ("atanh(w)", "w", "1/(1 - w^2)"),
        ("atan2(w, x)", "w", "x/(w^2 + x^2)"),
        ("atan2(w, x)", "x", "-w/(w^2 + x^2)"),
        ("cot(w)", "w", "-csc(w)^2"),
        ("logsumexp(w, x)", "w", "softmax(w, x)[0]"),
        ("log1p(exp(w))", "w", "sigmoid(w)"),
        ("w^3/3!", "w", "w^2/2"),
    ],
)
def test_derivatives_of_the_new_functions_are_checked_exactly(loss, wrt, claim):
    assert check(loss, wrt, claim).verdict == "correct"


def test_clip_follows_pytorch_at_the_bounds():
    """torch.clamp's gradient is 1 for x in [lo, hi] (bounds included), for lo where x < lo
    and for hi where x > hi: measured, not assumed."""
    torch = pytest.importorskip("torch")
    for value in (-1.0, 0.0, 0.5, 1.0, 2.0):
        t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        lo = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        hi = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        torch.clamp(t, lo, hi).backward()
        ours = [
            sympy.diff(clip(w, a, b), s).subs({w: sympy.nsimplify(value), a: 0, b: 1})
            for s in (w, a, b)
        ]
        assert [float(v) for v in ours] == [t.grad.item(), lo.grad.item(), hi.grad.item()]
