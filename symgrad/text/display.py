"""Expressions for people: tidy forms, cut-off text, LaTeX names and readable points.

Display only: nothing here decides anything. ``tidy`` pulls common factors out
of small expressions; ``short`` prints with a length limit; ``symbol_tex``
turns symgrad's names into LaTeX (``W1_0_2`` -> ``W^{(1)}_{0,2}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy
from sympy.printing.latex import LatexPrinter

from symgrad.exact.dag import tree_size
from symgrad.exact.graph import ExprGraph
from symgrad.exact.printing import to_str

TEXT_LIMIT = 400
POINT_LIMIT = 14
TIDY_LIMIT = 3000
PRINT_NODES = 5_000
JSON_NODES = 200_000


def written_out(expr: object, max_nodes: int) -> object:
    """A loss graph as its SymPy expression, or None when its printed tree exceeds
    ``max_nodes`` (a preset's loss is then never written out); anything else unchanged."""
    if isinstance(expr, ExprGraph):
        return expr.to_sympy() if expr.tree_size(stop=max_nodes) <= max_nodes else None
    return expr


def printable(expr: object, max_nodes: int = JSON_NODES) -> str:
    """``expr`` as text, unless its printed tree is too large to print in reasonable time."""
    expr = written_out(expr, max_nodes)
    if expr is None:
        return f"<expression of more than {max_nodes} nodes, too large to print>"
    if isinstance(expr, sympy.Basic) and not expr.is_Atom:
        size = tree_size(expr, stop=max_nodes)
        if size > max_nodes:
            return f"<expression of more than {max_nodes} nodes, too large to print>"
    return to_str(expr)


def tidy(expr: object) -> object:
    """Pull common factors out of a small expression for display (``factor_terms``)."""
    if not isinstance(expr, sympy.Expr) or expr.is_number:
        return expr
    if len(printable(expr, PRINT_NODES)) > TIDY_LIMIT:
        return expr
    return sympy.factor_terms(expr)


def short(expr: object, limit: int = TEXT_LIMIT) -> str:
    """``expr`` as text, cut to ``limit`` characters with a note of the full length."""
    text = printable(expr, PRINT_NODES)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters; --json has all)"


def to_float(value: object) -> float:
    """A float for display: exact values are enclosed by interval evaluation (DAG-aware)."""
    from symgrad.exact.evaluate import as_float, evaluate

    if isinstance(value, float):
        return value
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return float(value)
        return as_float(evaluate(value, {}))
    return float(value)


def interval_text(value: object) -> str:
    if isinstance(value, sympy.Interval):
        return f"in [{float(value.start):.6g}, {float(value.end):.6g}]"
    return short(value, 80)


_INDEXED = re.compile(r"([A-Za-z]+)(\d+)((?:_\d+)*)\Z")


def symbol_tex(name: str) -> str:
    """LaTeX for symgrad's names: W1_0_2 -> W^{(1)}_{0,2}, x0_1 -> x_{0,1}, w0 -> w_{0}."""
    match = _INDEXED.match(name)
    if not match:
        if "_" in name:
            base, _, rest = name.partition("_")
            if rest in ("hat", "bar", "tilde", "dot"):
                accent = {"hat": "hat", "bar": "bar", "tilde": "tilde", "dot": "dot"}[rest]
                return rf"\{accent}{{{sympy.latex(sympy.Symbol(base))}}}"
            return rf"{sympy.latex(sympy.Symbol(base))}_{{\mathrm{{{rest}}}}}"
        return sympy.latex(sympy.Symbol(name))
    stem, first, rest = match.groups()
    indices = [i for i in rest.split("_") if i]
    base = sympy.latex(sympy.Symbol(stem))
    if stem in ("W", "b") and indices:
        return f"{base}^{{({first})}}_{{{','.join(indices)}}}"
    return f"{base}_{{{','.join([first, *indices])}}}"


class _Printer(LatexPrinter):
    """SymPy's LaTeX, with the step written H (SymPy's θ would read as a parameter θ) and
    the max/min tie shares written as the derivative they are."""

    def _print_Heaviside(self, expr, exp=None):
        argument = self._print(expr.args[0])
        tex = r"H\left(%s\right)" % argument
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    def _print_argmax_share(self, expr, exp=None):
        return self._share(expr, r"\max", exp)

    def _print_argmin_share(self, expr, exp=None):
        return self._share(expr, r"\min", exp)

    def _share(self, expr, name, exp):
        k, *args = expr.args
        inner = ", ".join(self._print(a) for a in args)
        tex = r"\frac{\partial %s\left(%s\right)}{\partial %s}" % (
            name,
            inner,
            self._print(args[int(k)]),
        )
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


def latex(expr: object, limit: int = 4 * TEXT_LIMIT) -> str:
    """LaTeX for an expression (symgrad's names), or a note when it is too long."""
    expr = written_out(expr, PRINT_NODES)
    if (
        expr is None
        or isinstance(expr, sympy.Basic)
        and printable(expr, PRINT_NODES).startswith("<")
    ):
        return r"\text{(too large to print)}"
    if isinstance(expr, sympy.Interval):
        return r"\in \left[%s, %s\right]" % (f"{float(expr.start):.6g}", f"{float(expr.end):.6g}")
    if isinstance(expr, sympy.Basic):
        names = {s: symbol_tex(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
        text = _Printer({"symbol_names": names}).doprint(expr)
    else:
        text = tex_escape(str(expr))
    if len(text) > limit:
        return r"\text{(%d characters; see the JSON output)}" % len(text)
    return text


def describe_point(
    point: Mapping[str, object], ties: tuple[tuple[str, ...], ...], parameters: tuple[str, ...]
) -> str:
    """``w0 = w1 = 0 and x0 = 1, x1 = 2``: tied parameters grouped, data after 'and'."""
    parts = []
    done = set()
    for group in ties:
        value = point.get(group[0])
        if value is not None and all(to_str(point.get(p)) == to_str(value) for p in group):
            parts.append(" = ".join(group) + f" = {to_str(value)}")
            done.update(group)
    for name in parameters:
        if name not in done and name in point:
            parts.append(f"{name} = {to_str(point[name])}")
    data = [f"{k} = {to_str(v)}" for k, v in point.items() if k not in parameters]
    params_text = ", ".join(parts[:POINT_LIMIT]) + (" ..." if len(parts) > POINT_LIMIT else "")
    data_text = ", ".join(data[:POINT_LIMIT]) + (" ..." if len(data) > POINT_LIMIT else "")
    if data_text:
        return f"{params_text} and {data_text}"
    return params_text


def tex_escape(text: str) -> str:
    """Plain text for a LaTeX document: special characters escaped."""
    replacements = {
        "\\": r"\textbackslash{}",
        "_": r"\_",
        "&": r"\&",
        "%": r"\%",
        "#": r"\#",
        "$": r"\$",
        "^": r"\^{}",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
    }
    from symgrad.text.grammar import GREEK

    symbols = {
        "\u2260": r"\ensuremath{\neq}",
        "\u2264": r"\ensuremath{\leq}",
        "\u2265": r"\ensuremath{\geq}",
        "\u2192": r"\ensuremath{\to}",
        "\u00d7": r"\ensuremath{\times}",
        "\u00b7": r"\ensuremath{\cdot}",
        "\u2212": "-",
        "\u2013": "--",
        "\u2014": "---",
        "\u2019": "'",
        "\u201c": "``",
        "\u201d": "''",
        "\u2248": r"\ensuremath{\approx}",
        "\u221e": r"\ensuremath{\infty}",
        "\u2208": r"\ensuremath{\in}",
    }

    def one(char: str) -> str:
        if char in replacements:
            return replacements[char]
        if char in GREEK:
            return r"\ensuremath{\%s}" % GREEK[char]
        if char in symbols:
            return symbols[char]
        return char if char.isascii() else "?"

    return "".join(one(char) for char in text)
