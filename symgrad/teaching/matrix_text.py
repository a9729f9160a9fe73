"""Matrix expressions shown and abstracted: LaTeX of a node, a matrix as text, and the atoms
that stand for nonlinear functions' arguments when an identity is checked entry by entry."""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from symgrad.teaching.matrices import Node


# ---------------------------------------------------------------- abstraction
def abstract(expressions: Sequence[sympy.Expr]) -> tuple[list[sympy.Expr], dict]:
    """Replace every nonlinear function's argument that is not a single entry by an atom.

    The same argument (structurally) becomes the same atom in every expression.
    """
    atoms: dict[sympy.Expr, sympy.Symbol] = {}

    def atom(argument: sympy.Expr) -> sympy.Symbol:
        if argument not in atoms:
            atoms[argument] = sympy.Symbol(f"_atom{len(atoms)}", real=True)
        return atoms[argument]

    def opaque(inner: sympy.Expr) -> sympy.Expr:
        # a function of one entry or one atom stays as it is (1 - sigmoid(a) must cancel)
        return inner if len(inner.free_symbols) <= 1 else atom(inner)

    def rewrite(expr: sympy.Expr) -> sympy.Expr:
        if expr.is_Atom:
            return expr
        if isinstance(expr, sympy.Function) and len(expr.args) == 1 and not expr.args[0].is_Atom:
            return expr.func(opaque(rewrite(expr.args[0])))
        if (
            isinstance(expr, sympy.Pow)
            and not expr.base.is_Atom
            and (not expr.exp.is_Integer or expr.exp < 0)
        ):
            return sympy.Pow(opaque(rewrite(expr.base)), expr.exp)
        return expr.func(*(rewrite(a) for a in expr.args))

    return [rewrite(e) for e in expressions], atoms


def matrix_text(matrix: sympy.Matrix) -> str:
    from symgrad.exact.printing import to_str

    if matrix.cols == 1:
        return "[" + ", ".join(to_str(e) for e in matrix) + "]"
    return (
        "["
        + "; ".join(", ".join(to_str(e) for e in matrix.row(i)) for i in range(matrix.rows))
        + "]"
    )


# ---------------------------------------------------------------- LaTeX
_TEX_FUNCTIONS = {
    "tanh": r"\tanh",
    "exp": r"\exp",
    "log": r"\log",
    "ln": r"\ln",
    "sin": r"\sin",
    "cos": r"\cos",
    "sigma": r"\sigma",
    "sigmoid": r"\sigma",
}


def node_latex(node: Node) -> str:
    """LaTeX for a matrix expression: juxtaposed products, ``^\\top``, ``\\lVert v \\rVert``."""
    from symgrad.text.display import latex, symbol_tex

    kind = node.kind

    def wrapped(part: Node) -> str:
        text = node_latex(part)
        if part.kind == "add" or text.startswith("-"):
            return rf"\left({text}\right)"
        return text

    if kind == "leaf":
        return symbol_tex(node.data)
    if kind == "row":
        return f"{symbol_tex(node.data[0])}_{{{node.data[1]}}}"
    if kind == "scalar":
        return latex(sympy.sympify(node.data))
    parts = node.parts
    if kind == "transpose":
        inner = node_latex(parts[0])
        base = inner if parts[0].kind in ("leaf", "row") else rf"\left({inner}\right)"
        return rf"{base}^\top"
    if kind == "matmul":
        return f"{wrapped(parts[0])} {wrapped(parts[1])}"
    if kind == "scale":
        a, b = parts
        if a.kind == "scalar" and a.data == -1:
            return f"-{wrapped(b)}"
        if b.kind == "inverse":
            return rf"\frac{{{node_latex(a)}}}{{{node_latex(b.parts[0])}}}"
        return f"{wrapped(a)} {wrapped(b)}"
    if kind == "inverse":
        return rf"\frac{{1}}{{{node_latex(parts[0])}}}"
    if kind == "add":
        right = node_latex(parts[1])
        if right.startswith("-"):
            return f"{node_latex(parts[0])} - {right[1:]}"
        return f"{node_latex(parts[0])} + {right}"
    if kind == "pow":
        base = node_latex(parts[0])
        if parts[0].kind not in ("leaf", "row", "norm", "scalar"):
            base = rf"\left({base}\right)"
        return f"{base}^{{{latex(sympy.sympify(node.data))}}}"
    if kind == "norm":
        return rf"\lVert {node_latex(parts[0])} \rVert"
    if kind == "sum":
        return rf"\operatorname{{sum}}\left({node_latex(parts[0])}\right)"
    if kind == "trace":
        return rf"\operatorname{{tr}}\left({node_latex(parts[0])}\right)"
    if kind == "apply":
        name, primes = node.data
        head = _TEX_FUNCTIONS.get(name, rf"\operatorname{{{name}}}") + "'" * primes
        return rf"{head}\left({node_latex(parts[0])}\right)"
    if kind == "hadamard":
        return rf"{wrapped(parts[0])} \odot {wrapped(parts[1])}"
    if kind == "indexsum":
        index, size = node.data
        return rf"\sum_{{{index}=1}}^{{{latex(sympy.sympify(size))}}} {wrapped(parts[0])}"
    return rf"\text{{{node.text}}}"
