"""symgrad under each of SymPy's ground types.

SymPy picks its integer type at import (``SYMPY_GROUND_TYPES``: gmpy2 when installed,
python-flint's when that is installed, else Python's), and mpmath uses gmpy2 whenever it
is there. A Fraction that holds a gmpy2 ``mpz`` made SymPy fail under the other ground
types (``TypeError: invalid input: 0.0`` grading a class); every rational symgrad builds
holds Python ints. These runs use a fresh process per ground type.
"""

import os
import subprocess
import sys

import pytest

from symgrad.exact.evaluate import Evaluator, bounds
from symgrad.text.parse import real_symbol


def _run(ground_types: str, *args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYMPY_GROUND_TYPES": ground_types}
    return subprocess.run(
        [sys.executable, "-m", "symgrad", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_interval_ends_are_fractions_of_python_ints():
    from fractions import Fraction

    import sympy

    x = real_symbol("x")
    value = Evaluator({x: Fraction(1, 3)})(sympy.tanh(x))
    for end in bounds(value):
        assert type(end.numerator) is int and type(end.denominator) is int


@pytest.mark.slow
@pytest.mark.parametrize("ground_types", ["python", "gmpy"])
def test_a_diagnosis_from_interval_values_under_each_ground_type(ground_types):
    done = _run(
        ground_types,
        "check",
        "(y - v*tanh(w*x))**2/2",
        "--wrt",
        "v",
        "--claim",
        "-2*tanh(w*x)*(y - v*tanh(w*x))",
    )
    assert done.returncode == 1, done.stderr
    assert "constant factor: the claim is exactly 2 times" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("ground_types", ["python", "gmpy"])
def test_the_example_class_grades_under_each_ground_type(ground_types, tmp_path):
    done = _run(ground_types, "grade", "--example", "--json", "--no-timing", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
