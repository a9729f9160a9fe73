"""Arbitrary functions made concrete: a claim about every differentiable F refuted by one F.

A claim such as ``dJ/dw = F'(w*x)`` for ``J = F(w*x)`` must hold for every differentiable F;
if it fails for one concrete F (``F(u) = u**3``) at one rational point, it is wrong. The
concrete functions tried are polynomials, ``exp`` and ``sin`` (and their combinations for
functions of several arguments); the refutation names the F it used, and the witness is
re-derived from the loss with that F by plain ``sympy.diff``.

>>> F, w, x = sympy.Function("F", real=True), *sympy.symbols("w x", real=True)
>>> concrete(sympy.diff(F(w*x), w), {F: "cube"})
3*w**2*x**3
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import sympy
from sympy.core.function import AppliedUndef

#: concrete functions of any number of arguments u1, u2, ... (name -> builder)
CANDIDATES = {
    "cube": lambda *u: sum((k + 1) * a for k, a in enumerate(u)) ** 3,
    "exp": lambda *u: sympy.exp(sum((k + 1) * a for k, a in enumerate(u))),
    "square": lambda *u: sum(a ** (k + 2) for k, a in enumerate(u)) ** 2,
    "sin": lambda *u: sympy.sin(sum((k + 1) * a for k, a in enumerate(u))),
}
MAX_FUNCTIONS = 3


def declared_functions(expr: sympy.Basic) -> list:
    """The arbitrary (declared) function classes in ``expr``, by name."""
    found = {node.func for node in sympy.sympify(expr).atoms(AppliedUndef)}
    for node in sympy.sympify(expr).atoms(sympy.Derivative):
        found |= {inner.func for inner in node.expr.atoms(AppliedUndef)}
    return sorted(found, key=lambda f: f.__name__)


def _arity_in(expr: sympy.Basic, function) -> int:
    """How many arguments ``function`` takes where ``expr`` uses it."""
    arities = {len(node.args) for node in expr.atoms(AppliedUndef) if node.func == function}
    arities |= {
        len(inner.args)
        for node in expr.atoms(sympy.Derivative)
        for inner in node.expr.atoms(AppliedUndef)
        if inner.func == function
    }
    return max(arities or {1})


def concrete(expr: sympy.Basic, choice: Mapping) -> sympy.Basic:
    """``expr`` with each declared function replaced by its chosen concrete function, and the
    derivatives of those functions worked out."""
    expr = sympy.sympify(expr)
    for function, name in choice.items():
        dummies = sympy.symbols(f"u1:{_arity_in(expr, function) + 1}", real=True)
        expr = expr.subs(function, sympy.Lambda(dummies, CANDIDATES[name](*dummies)))
    return expr.replace(lambda e: isinstance(e, (sympy.Subs, sympy.Derivative)), lambda e: e.doit())


def choices(functions: list) -> list[dict]:
    """The assignments of concrete functions to try, simplest first."""
    if not functions or len(functions) > MAX_FUNCTIONS:
        return []
    names = list(CANDIDATES)
    return [
        dict(zip(functions, combo)) for combo in itertools.product(names, repeat=len(functions))
    ]


def describe(choice: Mapping, expr: sympy.Basic) -> dict[str, str]:
    """``{"F": "u**3"}``: each concrete function as text (arguments u, or u1, u2, ...)."""
    from symgrad.exact.printing import to_str

    described = {}
    for function, name in choice.items():
        arity = _arity_in(sympy.sympify(expr), function)
        if arity == 1:
            shown = CANDIDATES[name](sympy.Symbol("u"))
            described[function.__name__] = f"{function.__name__}(u) = {to_str(shown)}"
            continue
        dummies = sympy.symbols(f"u1:{arity + 1}")
        arguments = ", ".join(str(d) for d in dummies)
        described[function.__name__] = (
            f"{function.__name__}({arguments}) = {to_str(CANDIDATES[name](*dummies))}"
        )
    return described


def function_named(name: str):
    """The declared function class of that name (as the parser makes it)."""
    return sympy.Function(name, real=True)


__all__ = [
    "CANDIDATES",
    "choices",
    "concrete",
    "declared_functions",
    "describe",
    "function_named",
]
