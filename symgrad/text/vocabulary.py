"""The functions and constants a formula may use, and how each is built in SymPy.

Each entry: the builder, the argument counts it accepts (``None``: two or more; names in
:data:`ONE_OR_MORE` accept one too) and the rule that says where it is real (recorded in
the domain by :mod:`symgrad.text.parse`). Functions without a closed derivative in symgrad's
exact engine are built from ones that have it, and the reading is shown: ``sec(u)`` is
``1/cos(u)``, ``asinh(u)`` is ``log(u + sqrt(u^2 + 1))``, ``log1p(u)`` is ``log(1 + u)``,
``mean(a, b)`` is ``(a + b)/2``.
"""

from __future__ import annotations

import sympy

from symgrad.exact import functions as fn


def _sech(u):
    return sympy.sech(u)


def _asinh(u):
    return sympy.log(u + sympy.sqrt(u**2 + 1))


def _acosh(u):
    return sympy.log(u + sympy.sqrt(u**2 - 1))


def _atanh(u):
    return sympy.log((1 + u) / (1 - u)) / 2


def _mean(*args):
    return sympy.Add(*args) / len(args)


def _logsumexp(*args):
    return sympy.log(sympy.Add(*(sympy.exp(a) for a in args)))


#: name -> (builder, allowed argument counts (None: 2 or more), domain rule)
KNOWN_FUNCTIONS: dict[str, tuple[object, tuple[int, ...] | None, str | None]] = {
    "exp": (sympy.exp, (1,), None),
    "log": (sympy.log, (1,), "positive"),
    "ln": (sympy.log, (1,), "positive"),
    "log2": (lambda u: sympy.log(u) / sympy.log(2), (1,), "positive"),
    "log10": (lambda u: sympy.log(u) / sympy.log(10), (1,), "positive"),
    "log1p": (lambda u: sympy.log(1 + u), (1,), "above_minus_one"),
    "expm1": (lambda u: sympy.exp(u) - 1, (1,), None),
    "sqrt": (sympy.sqrt, (1,), "nonnegative"),
    "square": (lambda u: u**2, (1,), None),
    "abs": (sympy.Abs, (1,), None),
    "Abs": (sympy.Abs, (1,), None),
    "sign": (sympy.sign, (1,), None),
    "sgn": (sympy.sign, (1,), None),
    "sin": (sympy.sin, (1,), None),
    "cos": (sympy.cos, (1,), None),
    "tan": (sympy.tan, (1,), "tan"),
    "sec": (lambda u: 1 / sympy.cos(u), (1,), "tan"),
    "csc": (lambda u: 1 / sympy.sin(u), (1,), "sine"),
    "cot": (lambda u: sympy.cos(u) / sympy.sin(u), (1,), "sine"),
    "sinh": (sympy.sinh, (1,), None),
    "cosh": (sympy.cosh, (1,), None),
    "tanh": (sympy.tanh, (1,), None),
    "sech": (_sech, (1,), None),
    "asin": (sympy.asin, (1,), "unit"),
    "arcsin": (sympy.asin, (1,), "unit"),
    "acos": (sympy.acos, (1,), "unit"),
    "arccos": (sympy.acos, (1,), "unit"),
    "atan": (sympy.atan, (1,), None),
    "arctan": (sympy.atan, (1,), None),
    "atan2": (sympy.atan2, (2,), "not_origin"),
    "arctan2": (sympy.atan2, (2,), "not_origin"),
    "asinh": (_asinh, (1,), None),
    "arcsinh": (_asinh, (1,), None),
    "acosh": (_acosh, (1,), "at_least_one"),
    "arccosh": (_acosh, (1,), "at_least_one"),
    "atanh": (_atanh, (1,), "open_unit"),
    "arctanh": (_atanh, (1,), "open_unit"),
    "factorial": (sympy.factorial, (1,), "nonnegative"),
    "dot": (lambda a, b: a * b, (2,), None),
    "multiply": (lambda a, b: a * b, (2,), None),
    "divide": (lambda a, b: a / b, (2,), "denominator"),
    "add": (lambda a, b: a + b, (2,), None),
    "subtract": (lambda a, b: a - b, (2,), None),
    "negative": (lambda a: -a, (1,), None),
    "pow": (None, (2,), None),
    "power": (None, (2,), None),
    "binomial": (sympy.binomial, (2,), None),
    "binom": (sympy.binomial, (2,), None),
    "comb": (sympy.binomial, (2,), None),
    "sigmoid": (fn.sigmoid, (1,), None),
    "sigma": (fn.sigmoid, (1,), None),
    "logistic": (fn.sigmoid, (1,), None),
    "expit": (fn.sigmoid, (1,), None),
    "relu": (fn.relu, (1,), None),
    "ReLU": (fn.relu, (1,), None),
    "softplus": (fn.softplus, (1,), None),
    "max": (fn.Max, None, None),
    "Max": (fn.Max, None, None),
    "min": (fn.Min, None, None),
    "Min": (fn.Min, None, None),
    "clip": (fn.clip, (2, 3), None),
    "clamp": (fn.clip, (2, 3), None),
    "mean": (_mean, None, None),
    "sum": (sympy.Add, None, None),
    "logsumexp": (_logsumexp, None, None),
    "softmax": (None, None, None),
    "log_softmax": (None, None, None),
    "where": (None, (3,), None),
    "heaviside": (fn.heaviside, (1, 2), None),
    "H": (fn.heaviside, (1,), None),
    "Heaviside": (sympy.Heaviside, (1, 2), None),
    "argmax_share": (fn.argmax_share, None, None),
    "argmin_share": (fn.argmin_share, None, None),
    "piecewise": (None, None, None),
    "Piecewise": (None, None, None),
    "indicator": (None, (1,), None),
}
#: variadic functions that also take a single argument
ONE_OR_MORE = {"max", "min", "Max", "Min", "mean", "sum", "logsumexp"}
#: names that are functions when called and symbols otherwise
SYMBOL_OR_FUNCTION = {"sigma", "H"}
CONSTANTS = {"pi": sympy.pi}
#: built from other functions: the reading is shown in a note
REWRITTEN = {
    "sec": "sec(u) is read as 1/cos(u)",
    "csc": "csc(u) is read as 1/sin(u)",
    "cot": "cot(u) is read as cos(u)/sin(u)",
    "asinh": "asinh(u) is read as log(u + sqrt(u^2 + 1))",
    "arcsinh": "arcsinh(u) is read as log(u + sqrt(u^2 + 1))",
    "acosh": "acosh(u) is read as log(u + sqrt(u^2 - 1))",
    "arccosh": "arccosh(u) is read as log(u + sqrt(u^2 - 1))",
    "atanh": "atanh(u) is read as log((1 + u)/(1 - u))/2",
    "arctanh": "arctanh(u) is read as log((1 + u)/(1 - u))/2",
    "log1p": "log1p(u) is read as log(1 + u)",
    "expm1": "expm1(u) is read as exp(u) - 1",
    "log2": "log2(u) is read as log(u)/log(2)",
    "log10": "log10(u) is read as log(u)/log(10)",
    "logsumexp": "logsumexp(a, b, ...) is read as log(exp(a) + exp(b) + ...)",
    "mean": "mean(a, b, ...) is read as (a + b + ...)/k, the mean of its arguments",
}


__all__ = ["CONSTANTS", "KNOWN_FUNCTIONS", "ONE_OR_MORE", "REWRITTEN", "SYMBOL_OR_FUNCTION"]
