"""Float code for expression DAGs: one Python line per distinct node.

``sympy.lambdify(..., cse=True)`` searches for common subexpressions, which
takes minutes on the gradient of a wide network and cannot be interrupted. The
DAG already shares every common node, so a line per distinct node is the same
program, generated in linear time with the budget checked as it goes. Floats
are for simulation only; they never decide a verdict.

>>> x, y = sympy.symbols("x y", real=True)
>>> f = float_function([sympy.tanh(x + y) ** 2, x * y], [x, y])
>>> [round(v, 6) for v in f(0.5, 0.25)]
[0.403414, 0.125]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import sympy

from symgrad.exact.functions import LAMBDIFY_MODULE
from symgrad.runtime.budget import tick

_MATH = {
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "asin": "asin",
    "acos": "acos",
    "atan": "atan",
    "Abs": "fabs",
    "erf": "erf",
}
_RELATIONS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}


def _safe(function: Callable) -> Callable:
    """A real function that gives nan outside its domain (an untaken branch may be there)."""

    def call(*args):
        try:
            return function(*args)
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan

    return call


def _power(base, exponent):
    try:
        if base < 0 and not float(exponent).is_integer():
            return math.nan
        return float(base) ** exponent
    except (OverflowError, ZeroDivisionError):
        return math.inf if base == 0 else math.nan


def _namespace() -> dict[str, object]:
    space: dict[str, object] = {"_pow": _power, "nan": math.nan, "inf": math.inf}
    for name, attribute in _MATH.items():
        space[f"f_{name}"] = _safe(getattr(math, attribute))
    for name, function in LAMBDIFY_MODULE.items():
        space[f"f_{name}"] = _safe(function)
    return space


def _postorder(roots: Sequence[sympy.Basic]) -> list[sympy.Basic]:
    order: list[sympy.Basic] = []
    seen: set[sympy.Basic] = set()
    stack: list[tuple[sympy.Basic, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if node in seen:
            continue
        if expanded or not node.args:
            seen.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((arg, False) for arg in reversed(node.args) if arg not in seen)
    return order


def _line(node: sympy.Basic, names: dict[sympy.Basic, str]) -> str:
    """The Python expression of one node, its arguments already named."""
    args = [names[a] for a in node.args]
    if node.is_Number or node.is_NumberSymbol:
        return repr(float(node))
    if node is sympy.true or node is sympy.false:
        return str(bool(node))
    if isinstance(node, sympy.Add):
        return " + ".join(args)
    if isinstance(node, sympy.Mul):
        return " * ".join(args)
    if isinstance(node, sympy.Pow):
        if node.exp == -1:
            return f"(1.0 / {args[0]} if {args[0]} != 0 else nan)"
        return f"_pow({args[0]}, {args[1]})"
    if isinstance(node, sympy.core.relational.Relational):
        return f"({args[0]} {_RELATIONS[node.rel_op]} {args[1]})"
    if isinstance(node, sympy.And):
        return "(" + " and ".join(args) + ")"
    if isinstance(node, sympy.Or):
        return "(" + " or ".join(args) + ")"
    if isinstance(node, sympy.Not):
        return f"(not {args[0]})"
    if isinstance(node, sympy.functions.elementary.piecewise.ExprCondPair):
        return "None"
    if isinstance(node, sympy.Piecewise):
        text = "nan"
        for pair in reversed(node.args):
            text = f"({names[pair.expr]} if {names[pair.cond]} else {text})"
        return text
    name = type(node).__name__
    if isinstance(node, sympy.Function) and (name in _MATH or name in LAMBDIFY_MODULE):
        return f"f_{name}({', '.join(args)})"
    raise NotImplementedError(f"no float code for {name}")


def float_function(
    expressions: Sequence[sympy.Expr], arguments: Sequence[sympy.Symbol]
) -> Callable[..., list[float]]:
    """A fast float function of ``arguments`` returning the values of ``expressions``."""
    names: dict[sympy.Basic, str] = {a: f"a{i}" for i, a in enumerate(arguments)}
    lines = [f"def compiled({', '.join(names[a] for a in arguments)}):"]
    for count, node in enumerate(_postorder(list(expressions))):
        if count % 2048 == 0:
            tick("compiling the gradient")
        if node in names:
            continue
        if node.is_Symbol:
            raise NotImplementedError(f"{node} is not an argument")
        names[node] = f"v{count}"
        lines.append(f"    v{count} = {_line(node, names)}")
    lines.append(f"    return [{', '.join(names[e] for e in expressions)}]")
    space = _namespace()
    tick("compiling the gradient")
    exec(compile("\n".join(lines), "<symgrad gradient>", "exec"), space)  # noqa: S102 - our own code
    return space["compiled"]
