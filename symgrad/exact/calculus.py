"""Exact gradients by reverse mode over the SymPy expression DAG.

For a loss J and a substitution ``at`` (a tie ``w1 -> w0``, an init ``w -> 0``),
:func:`gradients` returns ``dJ/dp`` for every parameter p, *evaluated at* the
substituted point: forward values are rebuilt with ``at`` applied, while each
parameter leaf keeps its own adjoint. Every shared subexpression is
differentiated once, and on a tied subspace tied neurons produce structurally
identical subexpressions, so equal gradients usually come out as the same object.

The local derivatives follow :mod:`symgrad.exact.functions`: ``relu'(0) = 0``,
``abs'(0) = 0``, steps and ``sign`` have derivative 0, ``max``/``min`` share
the gradient among tied arguments, and a piecewise expression is
differentiated in the piece that is active (as ``torch.where`` does).

>>> from symgrad.text.parse import parse_expression, real_symbol
>>> w0, w1 = real_symbol("w0"), real_symbol("w1")
>>> J = parse_expression("(y - w0*x0 - w1*x1)**2")
>>> g = gradients(J, [w0, w1], at={w1: w0})
>>> g[w0]
-x0*(-2*w0*x0 - 2*w0*x1 + 2*y)
>>> g[w1]
-x1*(-2*w0*x0 - 2*w0*x1 + 2*y)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import sympy
from sympy import Abs, Add, Heaviside, Mul, Pow, log

from symgrad.errors import ProblemError
from symgrad.exact import functions as fn
from symgrad.exact.dag import (  # noqa: F401 - re-exported for callers of calculus
    Rebuilder,
    dag_nodes,
    function_types,
    substitute,
    symbols_of,
    tree_size,
)
from symgrad.runtime.budget import Budget, tick

_ZERO_DERIVATIVE = (sympy.sign, Heaviside, fn.argmax_share, fn.argmin_share, sympy.DiracDelta)


def _postorder(root: sympy.Basic, relevant: set[sympy.Basic]) -> list[sympy.Basic]:
    """Nodes of the DAG below ``root`` that depend on a parameter, children first."""
    order: list[sympy.Basic] = []
    seen: set[sympy.Basic] = set()
    stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for arg in _differentiable_args(node):
            if arg in relevant and arg not in seen:
                stack.append((arg, False))
    return order


def _differentiable_args(node: sympy.Basic) -> tuple:
    """The arguments a derivative flows into (not a piece's condition, not a step's value)."""
    if isinstance(node, sympy.functions.elementary.piecewise.ExprCondPair):
        return (node.args[0],)
    if isinstance(node, _ZERO_DERIVATIVE) or isinstance(node, sympy.logic.boolalg.Boolean):
        return ()
    return node.args


def _dependent_nodes(root: sympy.Basic, parameters: set[sympy.Symbol]) -> set[sympy.Basic]:
    """Every node of ``root``'s DAG that contains one of ``parameters``."""
    depends: dict[sympy.Basic, bool] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in depends:
            continue
        if not expanded:
            if not node.args:
                depends[node] = node in parameters
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in depends)
        else:
            depends[node] = any(depends[arg] for arg in node.args)
    return {node for node, flag in depends.items() if flag}


@functools.cache
def _dummies(count: int) -> tuple[sympy.Symbol, ...]:
    return tuple(sympy.Symbol(f"_arg{i:04d}", real=True) for i in range(count))


@functools.lru_cache(maxsize=256)
def _derivative_template(function: type, count: int, k: int) -> sympy.Expr:
    """d f(a0, ..., an) / d ak in terms of dummy arguments, for when f(args) evaluated away."""
    return function(*_dummies(count), evaluate=False).fdiff(k + 1)


def _extreme_partial(node: sympy.Basic, args: tuple, k: int) -> sympy.Expr:
    """d max(args)/d args[k] (or min): the tie share, 1/m among m tied extremes."""
    pick_max = isinstance(node, fn.Max)
    if len(args) == 2:
        this, other = args[k], args[1 - k]
        gap = this - other if pick_max else other - this
        return Heaviside(gap, sympy.S.Half)
    share = fn.argmax_share if pick_max else fn.argmin_share
    return share(sympy.Integer(k), *args)


def _piece_indicator(node: sympy.Piecewise, values: Mapping, k: int) -> sympy.Expr:
    """1 where piece k of ``node`` is the active one, else 0 (conditions at the rebuilt point)."""
    pieces = []
    for index, pair in enumerate(node.args):
        rebuilt = values.get(pair, pair)
        condition = rebuilt.args[1] if len(rebuilt.args) > 1 else pair.cond
        pieces.append((sympy.S.One if index == k else sympy.S.Zero, condition))
    return sympy.Piecewise(*pieces)


def _local_partial(
    node: sympy.Basic, args: tuple, rebuilt: sympy.Basic, k: int, values
) -> sympy.Expr:
    """d node / d args[k], at the rebuilt (substituted) arguments ``args``."""
    if isinstance(node, Add):
        return sympy.S.One
    if isinstance(node, Mul):
        return Mul(*(args[:k] + args[k + 1 :]))
    if isinstance(node, Pow):
        base, exponent = args
        return exponent * Pow(base, exponent - 1) if k == 0 else rebuilt * log(base)
    if isinstance(node, (fn.Max, fn.Min)):
        return _extreme_partial(node, args, k)
    if isinstance(node, Abs):
        return sympy.sign(args[0])
    if isinstance(node, sympy.Piecewise):
        return _piece_indicator(node, values, k)
    if isinstance(node, sympy.functions.elementary.piecewise.ExprCondPair):
        return sympy.S.One
    if isinstance(node, sympy.Function):
        if isinstance(rebuilt, node.func) and rebuilt.args == args:
            return rebuilt.fdiff(k + 1)
        return _derivative_template(node.func, len(args), k).xreplace(
            dict(zip(_dummies(len(args)), args))
        )
    raise ProblemError(f"cannot differentiate {type(node).__name__} in the loss")


def gradients(
    loss: sympy.Expr,
    parameters: Iterable[sympy.Symbol],
    at: Mapping[sympy.Basic, sympy.Basic] | None = None,
    budget: Budget | None = None,
) -> dict[sympy.Symbol, sympy.Expr]:
    """Exact ``dJ/dp`` for each parameter p, evaluated at the substitution ``at``."""
    parameters = list(parameters)
    targets = set(parameters)
    relevant = _dependent_nodes(loss, targets)
    if loss not in relevant:
        return {p: sympy.S.Zero for p in parameters}
    order = _postorder(loss, relevant)
    rebuilder = Rebuilder(at or {}, budget)
    rebuilder.rebuild(loss)
    values = rebuilder.cache
    adjoint_terms: dict[sympy.Basic, list[sympy.Expr]] = {loss: [sympy.S.One]}
    adjoints: dict[sympy.Basic, sympy.Expr] = {}
    for count, node in enumerate(reversed(order)):
        if count % 1024 == 0:
            tick("differentiation")
            if budget is not None:
                budget.check("differentiation")
        terms = adjoint_terms.pop(node, None)
        if not terms:
            continue
        adjoint = terms[0] if len(terms) == 1 else Add(*terms)
        if adjoint is sympy.S.Zero:
            continue
        if not node.args:
            adjoints[node] = adjoint
            continue
        args = tuple(values[arg] for arg in node.args)
        flowing = _differentiable_args(node)
        for k, arg in enumerate(node.args):
            if arg not in relevant or (flowing is not node.args and arg not in flowing):
                continue
            partial = _local_partial(node, args, values[node], k, values)
            if partial is sympy.S.One:
                contribution = adjoint
            elif adjoint is sympy.S.One:
                contribution = partial
            else:
                contribution = adjoint * partial
            if contribution is sympy.S.Zero:
                continue
            adjoint_terms.setdefault(arg, []).append(contribution)
    return {p: adjoints.get(p, sympy.S.Zero) for p in parameters}


def reference_gradients(
    loss: sympy.Expr,
    parameters: Iterable[sympy.Symbol],
    at: Mapping[sympy.Basic, sympy.Basic] | None = None,
) -> dict[sympy.Symbol, sympy.Expr]:
    """The same gradients by SymPy's ``diff`` then ``xreplace``: slow, for cross-checks."""
    result = {}
    for p in parameters:
        derivative = fn.drop_dirac(sympy.diff(loss, p))
        result[p] = derivative.xreplace(dict(at)) if at else derivative
    return result
