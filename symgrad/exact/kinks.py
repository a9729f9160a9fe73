"""Kinks: the expressions whose sign switches a piecewise function, and the pieces.

A kink argument k is where a step, a sign, an absolute value, a max/min of two
arguments or a piecewise condition switches (``Heaviside(k)``, ``sign(k)``,
``|k|``, ``max(a, b)`` with k = a - b, ``Piecewise((.., a > b), ..)`` with
k = a - b). On a cell, where every kink argument has a fixed strict sign, each
such function is one smooth piece; :func:`on_cell` substitutes that piece.

>>> w, x = sympy.symbols("w x", real=True)
>>> kink_arguments(sympy.Heaviside(w - x) + sympy.Abs(x - w))
[w - x]
>>> on_cell(sympy.Heaviside(w - x) * w, [w - x], (-1,))
0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sympy

from symgrad.exact.functions import Max, Min, clip, relu

MAX_KINKS = 4


def _canonical(expr: sympy.Expr) -> tuple[int, sympy.Expr]:
    """(s, k) with expr = s * c * k for a positive rational c: ``w*x - 1/2`` and
    ``2*w*x - 1`` are the same kink (the same zero set, the same signs)."""
    expr = sympy.expand(expr)
    content, primitive = expr.as_content_primitive()
    if content.is_Rational and content < 0:
        content, primitive = -content, -primitive
    if not (content.is_Rational and content > 0):
        primitive = expr
    if primitive.could_extract_minus_sign():
        return -1, sympy.expand(-primitive)
    return 1, primitive


def _unsigned(expr: sympy.Expr) -> sympy.Expr:
    return _canonical(expr)[1]


def _arguments_of(node: sympy.Basic) -> list[sympy.Expr]:
    if isinstance(node, (sympy.Heaviside, sympy.sign, sympy.Abs, relu)):
        return [node.args[0]]
    if isinstance(node, (Max, Min, sympy.Max, sympy.Min)) and len(node.args) == 2:
        return [node.args[0] - node.args[1]]
    if isinstance(node, clip):
        return [node.args[0] - bound for bound in node.args[1:]]
    if isinstance(node, sympy.Piecewise):
        return [r.lhs - r.rhs for _, condition in node.args for r in _relations(condition)]
    return []


def _relations(condition: sympy.Basic) -> list:
    """The comparisons a condition is made of (``0 < w < 1`` gives two)."""
    if isinstance(condition, sympy.core.relational.Relational):
        return [condition]
    if isinstance(condition, (sympy.And, sympy.Or, sympy.Not)):
        return [r for arg in condition.args for r in _relations(arg)]
    return []


def kink_arguments(*expressions: sympy.Expr) -> list[sympy.Expr]:
    """The distinct kink arguments (k and -k counted once), in a stable order."""
    found: list[sympy.Expr] = []
    for expr in expressions:
        for node in sympy.preorder_traversal(expr):
            for argument in _arguments_of(node):
                argument = _unsigned(argument)
                if argument.free_symbols and argument not in found:
                    found.append(argument)
    return sorted(found, key=sympy.default_sort_key)


def _sign_on(argument: sympy.Expr, kinks: Sequence[sympy.Expr], cell: Sequence[int]) -> int | None:
    """The sign of ``argument`` on the cell, if it is a nonzero multiple of one of the kinks."""
    factor, canonical = _canonical(argument)
    for kink, sign in zip(kinks, cell):
        if canonical == kink:
            return factor * sign
        if canonical == -kink:
            return -factor * sign
    return None


def on_cell(
    expr: sympy.Expr, kinks: Sequence[sympy.Expr], cell: Sequence[int]
) -> sympy.Expr | None:
    """``expr`` with every kink function replaced by its piece on the cell (None if one is
    not resolved by the cell)."""
    unresolved = False

    def piece(node: sympy.Basic) -> sympy.Basic:
        nonlocal unresolved
        args = [piece(a) for a in node.args] if node.args else []
        if isinstance(node, (sympy.Heaviside, sympy.sign, sympy.Abs, relu)):
            sign = _sign_on(node.args[0], kinks, cell)
            if sign is None:
                unresolved = True
                return node
            inner = args[0]
            if isinstance(node, sympy.Heaviside):
                return sympy.S.One if sign > 0 else sympy.S.Zero
            if isinstance(node, sympy.sign):
                return sympy.Integer(sign)
            if isinstance(node, relu):
                return inner if sign > 0 else sympy.S.Zero
            return inner * sign
        if isinstance(node, (Max, Min, sympy.Max, sympy.Min)) and len(node.args) == 2:
            sign = _sign_on(node.args[0] - node.args[1], kinks, cell)
            if sign is None:
                unresolved = True
                return node
            first_larger = sign > 0
            wants_max = isinstance(node, (Max, sympy.Max))
            return args[0] if first_larger == wants_max else args[1]
        if isinstance(node, clip):
            signs = [_sign_on(node.args[0] - bound, kinks, cell) for bound in node.args[1:]]
            if any(sign is None for sign in signs):
                return _mark(node)
            if signs[0] < 0:
                return args[1]
            return args[2] if len(signs) > 1 and signs[1] > 0 else args[0]
        if isinstance(node, sympy.Piecewise):
            chosen = _piece_of(node, args, kinks, cell)
            return _mark(node) if chosen is None else chosen
        if args and any(a is not b for a, b in zip(args, node.args)):
            return node.func(*args)
        return node

    def _mark(node):
        nonlocal unresolved
        unresolved = True
        return node

    result = piece(expr)
    return None if unresolved else result


def _piece_of(node: sympy.Piecewise, args, kinks, cell) -> sympy.Expr | None:
    for pair, new_pair in zip(node.args, args):
        holds = _holds_on(pair.cond, kinks, cell)
        if holds is None:
            return None
        if holds:
            return new_pair.args[0]
    return None


def _holds_on(condition: sympy.Basic, kinks, cell) -> bool | None:
    """Whether a condition holds on the whole cell (None when the cell does not decide it)."""
    if condition == sympy.true or condition == sympy.false:
        return bool(condition)
    if isinstance(condition, (sympy.And, sympy.Or)):
        parts = [_holds_on(arg, kinks, cell) for arg in condition.args]
        if isinstance(condition, sympy.And):
            return False if False in parts else (None if None in parts else True)
        return True if True in parts else (None if None in parts else False)
    if isinstance(condition, sympy.Not):
        inner = _holds_on(condition.args[0], kinks, cell)
        return None if inner is None else not inner
    if not isinstance(condition, sympy.core.relational.Relational):
        return None
    sign = _sign_on(condition.lhs - condition.rhs, kinks, cell)
    if sign is None:
        return None
    return {
        ">": sign > 0,
        ">=": sign > 0,
        "<": sign < 0,
        "<=": sign < 0,
        "!=": True,
        "==": False,
    }.get(condition.rel_op)


def cell_text(kinks: Sequence[sympy.Expr], cell: Sequence[int], keep: Iterable[int]) -> str:
    """``w > 0 and x - w < 0`` for the kinks at the positions in ``keep``."""
    from symgrad.exact.printing import to_str

    parts = []
    for index in keep:
        kink, sign = kinks[index], cell[index]
        lhs, rhs = _as_comparison(kink)
        op = ">" if sign > 0 else "<"
        parts.append(f"{to_str(lhs)} {op} {to_str(rhs)}")
    return " and ".join(parts)


def _as_comparison(kink: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``w - x`` -> (w, x): a difference reads better as a comparison."""
    if isinstance(kink, sympy.Add) and len(kink.args) == 2:
        a, b = kink.args
        if b.could_extract_minus_sign() and not a.could_extract_minus_sign():
            return a, -b
        if a.could_extract_minus_sign() and not b.could_extract_minus_sign():
            return b, -a
    return kink, sympy.S.Zero


def zero_set_text(kinks: Sequence[sympy.Expr]) -> str:
    from symgrad.exact.printing import to_str

    parts = []
    for kink in kinks:
        lhs, rhs = _as_comparison(kink)
        parts.append(f"{to_str(lhs)} = {to_str(rhs)}")
    return " or ".join(parts)


def cell_is_empty(kinks: Sequence[sympy.Expr], cell: Sequence[int]) -> bool:
    """True when no point has the signs ``cell`` for ``kinks``, shown for kinks that are linear
    on the cell (``|w - y| - 1`` is ``w - y - 1`` where ``w - y > 0``) by Fourier-Motzkin
    elimination in exact rationals. False means "not shown empty", never "inhabited"."""
    from fractions import Fraction

    rows: list[tuple[dict, Fraction]] = []
    symbols = sorted(set().union(*(k.free_symbols for k in kinks)), key=str)
    for kink, sign in zip(kinks, cell):
        piece = on_cell(kink, kinks, cell)
        if piece is None:
            return False
        try:
            poly = sympy.Poly(sympy.expand(sign * piece), *symbols) if symbols else None
        except sympy.PolynomialError:
            return False
        if poly is None or poly.total_degree() > 1:
            return False
        coefficients, constant = {}, Fraction(0)
        for monomial, coefficient in poly.terms():
            if not coefficient.is_Rational:
                return False
            value = Fraction(int(coefficient.p), int(coefficient.q))
            if sum(monomial) == 0:
                constant = value
            else:
                coefficients[symbols[monomial.index(1)]] = value
        rows.append((coefficients, constant))  # sum(a*x) + c > 0
    return _infeasible(rows, symbols)


def _infeasible(rows, symbols) -> bool:
    """Fourier-Motzkin on strict inequalities ``a.x + c > 0``: True when they have no solution."""
    for symbol in symbols:
        above, below, rest = [], [], []
        for coefficients, constant in rows:
            a = coefficients.get(symbol, 0)
            (above if a > 0 else below if a < 0 else rest).append((coefficients, constant))
        combined = []
        for (pa, pc), (na, nc) in ((p, n) for p in above for n in below):
            scale_p, scale_n = -na[symbol], pa[symbol]
            merged = {
                s: scale_p * pa.get(s, 0) + scale_n * na.get(s, 0)
                for s in set(pa) | set(na)
                if s != symbol
            }
            combined.append(({s: v for s, v in merged.items() if v}, scale_p * pc + scale_n * nc))
            if len(combined) > 400:
                return False
        rows = rest + combined
    return any(not coefficients and constant <= 0 for coefficients, constant in rows)
