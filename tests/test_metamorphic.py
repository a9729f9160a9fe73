"""Metamorphic properties: losses whose answer is known by construction.

- a loss symmetric in the tied pair (the same summand for each, or a symmetric
  function of both) is never refuted, whatever else it contains: partial
  inits, an arbitrary function, kinks at the tie;
- adding w0*exp(r(x)) (a term whose gradient difference exp(r(x)) never
  vanishes) to a symmetric loss makes it never proven, and the witness passes
  the independent certificate check (strict mode, see conftest.py);
- assumptions whose real solution sets are known give the verdict the solution
  set implies.
"""

import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symgrad import prove
from symgrad.exact.functions import Max, Min, relu, sigmoid
from symgrad.exact.printing import to_str
from symgrad.text.parse import real_symbol

w0, w1, b, x, y, z = (real_symbol(n) for n in ("w0", "w1", "b", "x", "y", "z"))
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_UNARY = [sympy.tanh, sympy.exp, sigmoid, sympy.sin, lambda u: u**2, lambda u: u**3 + u]


def _data_expressions():
    leaves = st.sampled_from([x, y, z, sympy.Integer(2), sympy.Rational(1, 3)])
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.tuples(children, children).map(lambda t: t[0] + t[1]),
            st.tuples(children, children).map(lambda t: t[0] * t[1]),
            st.tuples(st.sampled_from(_UNARY), children).map(lambda t: t[0](t[1])),
        ),
        max_leaves=4,
    )


def _summand(w, shape, data, other):
    """One parameter's part of a symmetric loss: g(w, data, other)."""
    return [
        lambda: data * w,
        lambda: sympy.tanh(w * data + other),
        lambda: sigmoid(w + data) * other,
        lambda: (y - w * data) ** 2,
        lambda: relu(w * data),
        lambda: sympy.exp(w) * data + w**2 * other,
    ][shape]()


@SETTINGS
@given(_data_expressions(), st.integers(0, 5), st.integers(0, 3))
def test_symmetric_by_construction_is_never_refuted(data, shape, coupling):
    other = [sympy.S.Zero, b, b * x, sympy.S.One][coupling]
    loss = _summand(w0, shape, data, other) + _summand(w1, shape, data, other)
    joint = [0, (w0 - w1) ** 2 * z, Max(w0, w1) * x + Min(w0, w1), sympy.Abs(w0 - w1)][coupling]
    loss = loss + joint
    assume(loss.has(w0))  # sigmoid(w + x)*0 leaves nothing to train
    params = "w0,w1,b" if loss.has(b) else "w0,w1"
    result = prove(to_str(loss), ties=["w0=w1"], params=params, timeout=20)
    assert result.verdict != "refuted", to_str(loss)


@SETTINGS
@given(_data_expressions(), st.integers(0, 5), st.fractions(-3, 3, max_denominator=4))
def test_symmetric_with_a_partial_init_is_never_refuted(data, shape, value):
    loss = _summand(w0, shape, data, b) + _summand(w1, shape, data, b) + b * z
    result = prove(to_str(loss), params="w0,w1,b", init=f"w0={value},w1={value}", timeout=20)
    assert result.verdict != "refuted", to_str(loss)


@SETTINGS
@given(_data_expressions(), st.integers(0, 5))
def test_symmetric_with_an_arbitrary_function_is_never_refuted(data, shape):
    f = sympy.Function("f", real=True)
    loss = f(_summand(w0, shape, data, 1)) + f(_summand(w1, shape, data, 1))
    result = prove(to_str(loss), ties=["w0=w1"], functions=["f"], timeout=20)
    assert result.verdict != "refuted", to_str(loss)


@SETTINGS
@given(_data_expressions(), st.integers(0, 5), _data_expressions(), st.booleans())
def test_an_asymmetric_term_is_never_proven_and_its_witness_rechecks(data, shape, r, with_init):
    loss = _summand(w0, shape, data, 1) + _summand(w1, shape, data, 1) + w0 * sympy.exp(r)
    init = "w0=1/2,w1=1/2" if with_init else None
    result = prove(to_str(loss), ties=["w0=w1"], init=init, timeout=20)
    assert result.verdict != "proven", to_str(loss)
    if result.verdict == "refuted":
        assert result.certificate.startswith("the witness was re-checked")


@SETTINGS
@given(st.integers(0, 5), _data_expressions())
def test_an_asymmetric_arbitrary_function_is_refuted(shape, data):
    f = sympy.Function("f", real=True)
    loss = f(_summand(w0, shape, data, 1)) + f(_summand(w1, shape, data, 1) + x)
    result = prove(to_str(loss), ties=["w0=w1"], functions=["f"], timeout=20)
    assert result.verdict != "proven", to_str(loss)


KNOWN_SETS = [
    # (assumption, loss, verdict): the solution set makes the loss symmetric or not
    ("x = y", "w0*x + w1*y", "proven"),
    ("x - y = 0", "tanh(w0*x) + tanh(w1*y)", "proven"),
    ("x**2 + (y - 1)**2 = 0", "w0*x + w1*(y - 1)", "proven"),
    ("tan(x) = 0", "w0*sin(x) + w1*sin(2*x)", "proven"),
    ("tan(x) = 0", "w0*cos(x) + w1", "refuted"),
    ("cos(x) = 1", "w0*cos(x) + w1", "proven"),
    ("sin(x) = sin(y)", "w0*sin(x) + w1*sin(y)", "proven"),
    ("sin(x) = sin(y)", "w0*cos(x) + w1*cos(y)", "refuted"),
    ("exp(x) = exp(y)", "w0*x + w1*y", "proven"),
    ("x*y = 0", "w0*x*y + w1*x*y*z", "proven"),
    ("x*y = 0", "w0*x + w1*y", "refuted"),
]


def test_assumptions_with_known_solution_sets():
    for condition, loss, verdict in KNOWN_SETS:
        result = prove(loss, ties=["w0=w1"], assume=condition, timeout=20)
        assert result.verdict == verdict, (condition, loss, result.reason)


# ---------------------------------------------------------------- issue 22: three doors agree
import re  # noqa: E402

import pytest  # noqa: E402

from symgrad.errors import SymgradError, UndefinedSymbolError  # noqa: E402
from symgrad.teaching.check import check  # noqa: E402
from symgrad.teaching.grade import grade_answer, load_key  # noqa: E402
from symgrad.teaching.line_by_line import check_derivation  # noqa: E402
from tests.teaching.student_answers import CORRECT, UNDEFINED, WRONG  # noqa: E402

_PREFIX = re.compile(r"^(\\frac\{[^}]*\}\{[^}]*\}|∂J/∂w|dJ/dw|J'\(w\))\s*=")


def _lets(kwargs) -> list[str]:
    let = kwargs.get("let")
    if isinstance(let, dict):
        return [f"{k} = {v}" for k, v in let.items()]
    return [let] if isinstance(let, str) else list(let or [])


def _single(loss, wrt, claim, kwargs) -> str:
    try:
        return check(loss, wrt, claim, **kwargs).verdict
    except UndefinedSymbolError:
        return "undefined_symbol"
    except SymgradError:
        return "syntax"


def _derivation(loss, wrt, claim, kwargs) -> str:
    latex = kwargs.get("latex_input", False)
    claim = _PREFIX.sub("", claim).strip()
    if latex:
        rows = [f"J &= {loss}", *(rf"\text{{let}} {d}" for d in _lets(kwargs))]
        text = " \\\\\n".join([*rows, rf"\frac{{\partial J}}{{\partial {wrt}}} &= {claim}"])
    else:
        text = "\n".join(
            [f"J = {loss}", *(f"let {d}" for d in _lets(kwargs)), f"dJ/d{wrt} = {claim}"]
        )
    options = {k: kwargs[k] for k in ("assume", "constraints", "functions") if k in kwargs}
    try:
        return (
            check_derivation(text, latex_input=True if latex else None, **options).lines[-1].verdict
        )
    except UndefinedSymbolError:
        return "undefined_symbol"
    except SymgradError:
        return "syntax"


def _graded(loss, wrt, claim, kwargs) -> str:
    question = {"id": "q", "loss": loss, "wrt": [wrt]}
    question["format"] = "latex" if kwargs.get("latex_input") else "text"
    question.update(
        {k: kwargs[k] for k in ("assume", "constraints", "functions", "let") if k in kwargs}
    )
    [loaded] = load_key({"question": [question]})
    return grade_answer(loaded, [claim], question["format"], 30, False)["verdict"]


_SHARED = [c[:4] for c in CORRECT] + [c[:4] for c in WRONG] + [c[:4] for c in UNDEFINED]


def _agree(case):
    verdicts = (_single(*case), _derivation(*case), _graded(*case))
    assert len(set(verdicts)) == 1, (case[2], verdicts)


@pytest.mark.parametrize("case", _SHARED[::12], ids=lambda c: c[2][:30])
def test_check_derivation_and_grade_agree_on_a_sample(case):
    """Single check, a derivation line dJ/dw = claim (with the same lets, assumptions and
    constraints) and grade agree: the same domain, conventions and readings."""
    _agree(case)


@pytest.mark.slow
def test_check_derivation_and_grade_agree_on_the_whole_corpus():
    for case in _SHARED:
        _agree(case)
