"""Exact gradients of a loss as a result object, optionally evaluated exactly at a point.

>>> report = gradient_report("(y - w*x)**2", "w", at="w=0,x=1,y=2")
>>> report.gradients
{'w': -2*x*(-w*x + y)}
>>> report.values
{'w': -4}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from symgrad.calculus import gradients, substitute
from symgrad.errors import ProblemError
from symgrad.parse import check_name, parse_expression, parse_number
from symgrad.problem import named_parameters
from symgrad.report import short, tidy


@dataclass(frozen=True)
class GradientResult:
    """dJ/dp for each p of ``wrt``; ``values`` at ``point`` when one was given."""

    loss: sympy.Expr
    wrt: tuple[sympy.Symbol, ...]
    gradients: Mapping[str, sympy.Expr]
    point: Mapping[str, sympy.Expr] | None = None
    values: Mapping[str, sympy.Expr] | None = None

    def to_dict(self) -> dict:
        result = {
            "loss": str(self.loss),
            "wrt": [str(p) for p in self.wrt],
            "gradients": {k: str(v) for k, v in self.gradients.items()},
        }
        if self.values is not None:
            result["at"] = {k: str(v) for k, v in (self.point or {}).items()}
            result["values"] = {k: str(v) for k, v in self.values.items()}
        return result

    def to_text(self) -> str:
        lines = [f"J = {self.loss}"]
        for name, value in self.gradients.items():
            line = f"dJ/d{name} = {short(value, 2000)}"
            if self.values is not None:
                line += f"   = {self.values[name]} at the point"
            lines.append(line)
        if self.point:
            lines.append("point: " + ", ".join(f"{k} = {v}" for k, v in self.point.items()))
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = [f"$J = {sympy.latex(self.loss)}$", ""]
        for name, value in self.gradients.items():
            symbol = sympy.latex(sympy.Symbol(name))
            line = f"- $\\partial J/\\partial {symbol} = {sympy.latex(value)}$"
            if self.values is not None:
                line += f", value ${sympy.latex(self.values[name])}$"
            lines.append(line)
        return "\n".join(lines)

    def to_latex(self) -> str:
        rows = [
            r"\frac{\partial J}{\partial %s} &= %s" % (sympy.latex(sympy.Symbol(n)), sympy.latex(v))
            for n, v in self.gradients.items()
        ]
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return (
            "$"
            + ", ".join(
                r"\partial J/\partial %s = %s" % (sympy.latex(sympy.Symbol(n)), sympy.latex(v))
                for n, v in self.gradients.items()
            )
            + "$"
        )


def _parse_point(text: str, present: Mapping[str, sympy.Symbol]) -> dict[sympy.Symbol, sympy.Expr]:
    point: dict[sympy.Symbol, sympy.Expr] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise ProblemError(f"point item {item.strip()!r} is not NAME=VALUE")
        check_name(name, "point symbol")
        if name not in present:
            raise ProblemError(f"point names {name!r}, which the loss does not use")
        point[present[name]] = parse_number(value.strip())
    return point


def gradient_report(
    loss: str | sympy.Expr,
    wrt: str | Sequence[str],
    at: str | Mapping[str, object] | None = None,
    functions: Sequence[str] = (),
) -> GradientResult:
    """Exact gradients of ``loss`` with respect to ``wrt`` (and their values ``at`` a point)."""
    expr = parse_expression(loss, functions) if isinstance(loss, str) else loss
    present = {s.name: s for s in expr.free_symbols}
    symbols = named_parameters(wrt, present)
    grads = gradients(expr, symbols)
    shown = {str(p): tidy(grads[p]) for p in symbols}
    if at is None:
        return GradientResult(expr, tuple(symbols), shown)
    if isinstance(at, str):
        point = _parse_point(at, present)
    else:
        point = _parse_point(",".join(f"{k}={v}" for k, v in at.items()), present)
    values = {str(p): substitute(grads[p], point) for p in symbols}
    for name, value in values.items():
        if value.has(sympy.zoo, sympy.nan, sympy.oo):
            raise ProblemError(f"dJ/d{name} is undefined at that point")
    return GradientResult(
        expr, tuple(symbols), shown, {str(k): v for k, v in point.items()}, values
    )
