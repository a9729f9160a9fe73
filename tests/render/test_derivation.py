"""A derivation's text: plain marks by default, how each line was shown with -v."""

from __future__ import annotations

import pytest

from symgrad.render.levels import text_at
from symgrad.teaching.line_by_line import check_derivation

METHODS = ("(structural equality)", "(CAS simplification", "(rational normal form")

DERIVATIONS = [
    "J = (p - y)^2\nwhere p = σ(w x)\ndJ/dw = 2(p - y) p (1 - p) x\n= 2 x p (1 - p)(p - y)\n",
    "J = (y - w x)^2\ndJ/dw = -2x(y - w x)\n= 2x(w x - y)\n",
    "J = tanh(w x)\ndJ/dw = x (1 - tanh(w x)^2)\n= x/cosh(w x)^2\n",
    "J = w^3/3\ndJ/dw = (w^3 - w^2)/(w - 1)\n",
]


@pytest.mark.parametrize("text", DERIVATIONS)
def test_the_default_marks_lines_in_plain_words_and_verbose_says_how(text):
    result = check_derivation(text)
    assert result.verdict == "correct"
    normal, verbose = text_at(result, "normal", False), text_at(result, "verbose", False)
    assert not any(method in normal for method in METHODS), normal
    assert any(method in verbose for method in METHODS), verbose
    stripped = verbose
    for line in result.lines:
        if line.method:
            stripped = stripped.replace(f" ({line.method})", "")
    assert stripped == normal
