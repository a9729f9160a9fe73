"""Where an expression is real: the constraints its operations put on their arguments.

``log`` needs a positive argument, a fractional power a nonnegative base, a
denominator a nonzero value, ``asin``/``acos`` an argument in [-1, 1],
``tan`` a nonzero cosine. A constraint that the value ranges of
:mod:`symgrad.exact.ranges` show to hold for every real value is not recorded.
The reader (:mod:`symgrad.text.parse`) records them while it builds an
expression, so SymPy's automatic simplification cannot erase them
(``sqrt(w)**2`` is ``w`` only for ``w >= 0``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symgrad.exact.dag import dag_nodes
from symgrad.exact.printing import to_str
from symgrad.exact.ranges import value_range


@dataclass(frozen=True)
class Constraint:
    """Where an expression is real: ``expr > 0``, ``expr >= 0``, ``expr != 0`` or a condition."""

    expr: sympy.Basic
    relation: str
    source: str = ""

    @property
    def text(self) -> str:
        if self.relation == "holds":
            return to_str(self.expr)
        return f"{to_str(self.expr)} {self.relation} 0"

    def as_boolean(self) -> sympy.Basic:
        if self.relation == "holds":
            return self.expr
        op = {">": sympy.Gt, ">=": sympy.Ge, "!=": sympy.Ne}[self.relation]
        return op(self.expr, 0)


def always_holds(expr: sympy.Basic, relation: str) -> bool:
    """The constraint holds for every real value of the symbols (assumptions or ranges say so)."""
    if relation == "holds":
        return expr == sympy.true
    if relation == ">" and expr.is_positive or relation == ">=" and expr.is_nonnegative:
        return True
    if relation == "!=" and (expr.is_positive or expr.is_negative):
        return True
    bounds = value_range(expr)
    if bounds.low is None:
        return (
            relation == "!="
            and bounds.high is not None
            and (bounds.high < 0 or bounds.high == 0 and bounds.high_open)
        )
    positive = bounds.low > 0 or (bounds.low == 0 and bounds.low_open)
    if relation == ">":
        return positive
    if relation == ">=":
        return bounds.low >= 0
    return positive or not bounds.contains_zero()


def domain_of(expr: sympy.Basic) -> tuple[Constraint, ...]:
    """Where ``expr`` (as it stands) is real: log arguments positive, roots nonnegative, ...

    >>> x = sympy.Symbol("x", real=True)
    >>> sorted(c.text for c in domain_of(sympy.log(x) + 1/(x - 1)))
    ['x - 1 != 0', 'x > 0']
    """
    found: list[Constraint] = []

    def need(value, relation, source):
        if value.is_number or always_holds(value, relation):
            return
        constraint = Constraint(value, relation, source)
        if constraint not in found:
            found.append(constraint)

    for node in reversed(dag_nodes(expr)):
        if isinstance(node, sympy.log):
            need(node.args[0], ">", "log(...)")
        elif isinstance(node, sympy.Pow):
            base, exponent = node.args
            if exponent.is_Rational and not exponent.is_Integer:
                need(base, ">" if exponent < 0 else ">=", "a fractional power")
            elif exponent.is_Integer and exponent < 0:
                need(base, "!=", "a denominator")
            elif not exponent.is_Rational and not (base.is_number and base.is_positive):
                need(base, ">", "a base with a symbolic exponent")
        elif isinstance(node, (sympy.asin, sympy.acos)):
            need(1 - node.args[0] ** 2, ">=", f"{type(node).__name__}(...)")
        elif isinstance(node, sympy.tan):
            need(sympy.cos(node.args[0]), "!=", "tan(...)")
    return tuple(found)


_RESTRICTING = (sympy.log, sympy.Pow, sympy.asin, sympy.acos, sympy.tan)


def domain_of_graph(graph) -> tuple[Constraint, ...]:
    """:func:`domain_of` for a loss given as an :class:`~symgrad.exact.graph.ExprGraph`.

    Only the nodes that can restrict the domain are looked at (logs, powers that
    are not whole and nonnegative, asin, acos, tan), from the graph's own list of
    heads; the loss is walked as SymPy only when one of them may restrict it.
    ``log`` of ``exp`` or of a sum of ``exp`` and positive numbers never does.
    """
    if all(_harmless(graph, i) for i in graph.nodes_with(_RESTRICTING)):
        return ()
    return domain_of(graph.to_sympy())


def _harmless(graph, number: int) -> bool:
    head, children = graph.heads[number], graph.children[number]
    if head is sympy.Pow:
        exponent = graph.atoms[children[1]]
        return exponent is not None and exponent.is_Integer and exponent >= 0
    if head is sympy.log:
        return _positive(graph, children[0]) or _positive_sum(graph, children[0])
    return False


def _positive(graph, number: int) -> bool:
    atom = graph.atoms[number]
    if atom is not None:
        return bool(atom.is_number and atom.is_positive)
    return graph.heads[number] is sympy.exp


def _positive_sum(graph, number: int) -> bool:
    return graph.heads[number] is sympy.Add and all(
        _positive(graph, c) for c in graph.children[number]
    )
