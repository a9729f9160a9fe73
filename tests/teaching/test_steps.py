"""A step of a derivation judged under the question's setting (symgrad/teaching/steps.py)."""

import pytest

from symgrad.errors import UndefinedSymbolError
from symgrad.teaching.steps import compare_expressions, step_context


def test_steps_read_run_together_names_through_the_function():
    context = step_context("(y - w x)^2", wrt="w")
    assert compare_expressions("-2x(y - wx)", "2x(wx - y)", context=context).verdict == "correct"


def test_steps_refuse_names_the_function_lacks():
    context = step_context("(y - w x)^2", wrt="w")
    with pytest.raises(UndefinedSymbolError, match="uses q"):
        compare_expressions("2x(wx - y)", "2x(wx - q)", context=context)


def test_steps_know_the_function_by_its_name_and_its_definitions():
    context = step_context("exp(w x)", let="p = exp(w x)", wrt="w")
    assert compare_expressions("x exp(w x)", "x J", context=context).verdict == "correct"
    assert compare_expressions("x p", "x exp(w x)", context=context).verdict == "correct"


def test_steps_hold_on_the_domain_under_assumptions_and_in_every_data_case():
    assert compare_expressions("x/w", "x/abs(w)").verdict == "incorrect"
    context = step_context("x log(w)", wrt="w")
    assert compare_expressions("x/w", "x/abs(w)", context=context).verdict == "correct"
    context = step_context("(w - y)^2", constraints=["y in {0, 1}"], wrt="w")
    assert compare_expressions("2w - 2y", "2w - 2y^2", context=context).verdict == "correct"
    context = step_context("w^2 x", assume="x > 0", wrt="w")
    assert compare_expressions("2 w x", "2 w abs(x)", context=context).verdict == "correct"


def test_steps_in_a_chain_are_equal_almost_everywhere_off_the_kinks():
    context = step_context("max(0, w x)", wrt="w")
    step = compare_expressions("x*Heaviside(w*x, 1/2)", "x if w x > 0 else 0", context=context)
    assert step.verdict == "correct" and step.exceptional is not None
