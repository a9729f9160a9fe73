"""Exact gradients of a loss as a result object, optionally evaluated exactly at a point.

A parameter written in the loss that cancels out has derivative 0 (with a
note); a point must lie where the loss is real, and every value computed there
must be a real number (every symbol is real).

>>> report = gradient_report("(y - w*x)**2", "w", at="w=0,x=1,y=2")
>>> report.gradients
{'w': -2*x*(-w*x + y)}
>>> report.values
{'w': -4}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from symgrad.errors import ProblemError
from symgrad.exact.calculus import gradients
from symgrad.exact.dag import substitute, symbols_of
from symgrad.exact.evaluate import Undecided, evaluate
from symgrad.results import GradientResult
from symgrad.text.display import tidy
from symgrad.text.parse import (
    Parsed,
    check_name,
    normalize_name,
    parse_expression,
    parse_number,
    read,
)
from symgrad.ties.problem import named_parameters, quote


def _parse_point(
    text: str, present: Mapping[str, sympy.Symbol], written, latex: bool
) -> dict[sympy.Symbol, sympy.Expr]:
    point: dict[sympy.Symbol, sympy.Expr] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = normalize_name(name.strip(), latex)
        if not sep:
            raise ProblemError(f"point item {quote(item.strip())} is not NAME=VALUE")
        check_name(name, "point symbol")
        if name in present:
            symbol = present[name]
        elif name in written:
            symbol = sympy.Symbol(name, real=True)
        else:
            raise ProblemError(f"point names {quote(name, 40)}, which the loss does not use")
        if symbol in point:
            raise ProblemError(f"point gives {name} twice")
        point[symbol] = parse_number(value.strip())
    return point


def _check_real(values: Mapping[str, sympy.Expr], domain, point) -> None:
    """Refuse a point outside the loss's real domain, or values that are not real there."""
    for constraint in domain:
        if not constraint.expr.free_symbols <= set(point):
            continue
        boolean = constraint.as_boolean().xreplace(point)
        if boolean == sympy.false:
            raise ProblemError(f"the loss is not real at that point: it needs {constraint.text}")
    for name, value in values.items():
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ProblemError(f"dJ/d{name} is undefined at that point")
        if value.has(sympy.I) or value.is_real is False:
            raise ProblemError(f"dJ/d{name} is not a real number at that point ({value})")
        if value.free_symbols:
            continue
        try:
            evaluate(value, {})
        except Undecided as error:
            if "negative" in str(error) or "outside" in str(error):
                raise ProblemError(f"dJ/d{name} is not a real number at that point") from None
        except (ZeroDivisionError, ValueError, OverflowError):
            raise ProblemError(f"dJ/d{name} is undefined at that point") from None


def gradients_of(
    loss: str | sympy.Expr,
    params: str | Sequence[str | sympy.Symbol],
    at: Mapping[object, object] | None = None,
    functions: Sequence[str] = (),
) -> dict[sympy.Symbol, sympy.Expr]:
    """Exact ``dJ/dp`` for each parameter (reverse mode), at the substitution ``at`` if given.

    ``loss`` is text or a SymPy expression; ``params`` names or symbols;
    ``at`` maps symbols (or their names) to values or expressions.

    >>> from symgrad.text.parse import real_symbol
    >>> w1 = real_symbol("w1")
    >>> gradients_of("w0*w1", ["w0", "w1"], at={"w1": 3})[w1]
    w0
    """
    if isinstance(loss, str):
        expr = read(loss, functions).expr
    elif isinstance(loss, sympy.Expr):
        expr = loss
    else:
        raise ProblemError(
            f"the loss must be text or a SymPy expression, not {type(loss).__name__}"
        )
    present = {s.name: s for s in symbols_of(expr)}
    if isinstance(params, (str, sympy.Symbol)):
        params = [params]
    if not isinstance(params, (list, tuple)):
        raise ProblemError("params: name the parameters to differentiate by, e.g. ['w0', 'w1']")
    names = [p.name if isinstance(p, sympy.Symbol) else p for p in params]
    symbols = named_parameters(names, present, set(present))
    substitution = {}
    if at is not None:
        if not isinstance(at, Mapping):
            raise ProblemError(
                f"at must be a mapping of symbols to values, not {type(at).__name__}"
            )
        for key, value in at.items():
            name = key.name if isinstance(key, sympy.Symbol) else key
            if not isinstance(name, str) or name not in present:
                raise ProblemError(f"at names {quote(key, 40)}, which the loss does not use")
            if isinstance(value, sympy.Basic):
                substitution[present[name]] = value
            elif isinstance(value, (int, str)) and not isinstance(value, bool):
                substitution[present[name]] = parse_expression(str(value))
            else:
                raise ProblemError(f"at {name}={quote(value, 40)} is not a value")
    return gradients(expr, symbols, at=substitution or None)


def gradient_report(
    loss: str | sympy.Expr,
    wrt: str | Sequence[str],
    at: str | Mapping[str, object] | None = None,
    functions: Sequence[str] = (),
    latex: bool = False,
) -> GradientResult:
    """Exact gradients of ``loss`` with respect to ``wrt`` (and their values ``at`` a point)."""
    if isinstance(loss, str):
        parsed = read(loss, functions, latex=latex)
    elif isinstance(loss, sympy.Expr):
        parsed = Parsed.of_sympy(loss)
    else:
        raise ProblemError(
            f"the loss must be text or a SymPy expression, not {type(loss).__name__}"
        )
    expr = parsed.expr
    if not isinstance(expr, sympy.Expr):
        raise ProblemError("the loss must be an expression, not a condition")
    present = {s.name: s for s in parsed.symbols}
    symbols = named_parameters(wrt, present, parsed.names, latex)
    notes = list(parsed.notes)
    notes += [
        f"{p} cancels out of the loss: its derivative is 0"
        for p in symbols
        if p.name not in present
    ]
    grads = gradients(expr, symbols)
    shown = {str(p): tidy(grads[p]) for p in symbols}
    domain = tuple(c.text for c in parsed.domain)
    if at is None:
        return GradientResult(expr, tuple(symbols), shown, notes=tuple(notes), domain=domain)
    if isinstance(at, str):
        text = at
    elif isinstance(at, Mapping):
        text = ",".join(f"{k}={v}" for k, v in at.items())
    else:
        raise ProblemError(
            f"at must be text such as 'w=0,x=1' or a mapping, not {type(at).__name__}"
        )
    point = _parse_point(text, present, parsed.names | {p.name for p in symbols}, latex)
    values = {str(p): substitute(grads[p], point, evaluate=True) for p in symbols}
    _check_real(values, parsed.domain, point)
    _check_real({"J": substitute(expr, point, evaluate=True)}, (), point)
    return GradientResult(
        expr,
        tuple(symbols),
        shown,
        {str(k): v for k, v in point.items()},
        values,
        notes=tuple(notes),
        domain=domain,
    )
