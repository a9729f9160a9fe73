"""Exact gradients by reverse mode over the SymPy expression DAG.

For a loss J and a substitution ``at`` (a tie ``w1 -> w0``, an init ``w -> 0``),
:func:`gradients` returns ``dJ/dp`` for every parameter p, *evaluated at* the
substituted point: forward values are rebuilt with ``at`` applied, while each
parameter leaf keeps its own adjoint. Every shared subexpression is
differentiated once, and on a tied subspace tied neurons produce structurally
identical subexpressions, so equal gradients usually come out as the same object.

>>> from symgrad.parse import parse_expression, real_symbol
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
from sympy import Abs, Add, Heaviside, Max, Min, Mul, Pow, log, sign


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
        for arg in node.args:
            if arg in relevant and arg not in seen:
                stack.append((arg, False))
    return order


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


def dag_nodes(root: sympy.Basic) -> list[sympy.Basic]:
    """Every distinct node of ``root``'s DAG, each once (SymPy's walks revisit shared parts)."""
    seen: set[sympy.Basic] = set()
    stack = [root]
    nodes = []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        nodes.append(node)
        stack.extend(arg for arg in node.args if arg not in seen)
    return nodes


def tree_size(root: sympy.Basic, stop: int | None = None) -> int:
    """Number of nodes of ``root`` printed as a tree (shared parts counted each time).

    Computed over the DAG; stops early once the size exceeds ``stop``.
    """
    sizes: dict[sympy.Basic, int] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in sizes:
            continue
        if not node.args:
            sizes[node] = 1
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in sizes)
            continue
        sizes[node] = 1 + sum(sizes[arg] for arg in node.args)
        if stop is not None and sizes[node] > stop:
            return sizes[node]
    return sizes[root]


def symbols_of(root: sympy.Basic) -> set[sympy.Symbol]:
    """The free symbols of ``root``, in time linear in the size of its DAG."""
    return {node for node in dag_nodes(root) if node.is_Symbol}


def function_types(root: sympy.Basic) -> set[type]:
    """The classes of every node of ``root`` (to ask which functions occur)."""
    return {type(node) for node in dag_nodes(root)}


def substitute(root: sympy.Basic, at: Mapping[sympy.Basic, sympy.Basic]) -> sympy.Basic:
    """``root`` with the atoms in ``at`` replaced, rebuilding each shared node once."""
    if not at:
        return root
    return _Rebuilder(at).rebuild(root)


class _Rebuilder:
    def __init__(self, at: Mapping[sympy.Basic, sympy.Basic]) -> None:
        self.cache: dict[sympy.Basic, sympy.Basic] = dict(at)
        self.keys = set(at)

    def rebuild(self, root: sympy.Basic) -> sympy.Basic:
        cache = self.cache
        stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in cache:
                continue
            if not node.args:
                cache[node] = node
                continue
            if not expanded:
                stack.append((node, True))
                stack.extend((arg, False) for arg in node.args if arg not in cache)
                continue
            new_args = tuple(cache[arg] for arg in node.args)
            if all(new is old for new, old in zip(new_args, node.args)):
                cache[node] = node
            elif isinstance(node, sympy.Function) and not all(a.is_Number for a in new_args):
                # Function.eval asks costly assumption queries and rarely simplifies a
                # symbolic argument; numeric arguments (an init) are still evaluated.
                cache[node] = node.func(*new_args, evaluate=False)
            else:
                cache[node] = node.func(*new_args)
        return cache[root]


@functools.cache
def _dummies(count: int) -> tuple[sympy.Symbol, ...]:
    return tuple(sympy.Symbol(f"_arg{i}", real=True) for i in range(count))


@functools.lru_cache(maxsize=256)
def _derivative_template(function: type, count: int, k: int) -> sympy.Expr:
    """d f(a0, ..., an) / d ak in terms of dummy arguments, for when f(args) evaluated away."""
    return function(*_dummies(count)).fdiff(k + 1)


def _local_partial(node: sympy.Basic, args: tuple, rebuilt: sympy.Basic, k: int) -> sympy.Expr:
    """d node / d args[k], at the rebuilt (substituted) arguments ``args``."""
    if isinstance(node, Add):
        return sympy.S.One
    if isinstance(node, Mul):
        return Mul(*(args[:k] + args[k + 1 :]))
    if isinstance(node, Pow):
        base, exponent = args
        return exponent * Pow(base, exponent - 1) if k == 0 else rebuilt * log(base)
    if isinstance(node, (Max, Min)) and len(args) == 2:
        this, other = args[k], args[1 - k]
        return Heaviside(this - other, 0) if isinstance(node, Max) else Heaviside(other - this, 0)
    if isinstance(node, Abs):
        return sign(args[0])
    if isinstance(node, sympy.Function):
        if isinstance(rebuilt, node.func):
            return rebuilt.fdiff(k + 1)
        return _derivative_template(node.func, len(args), k).xreplace(
            dict(zip(_dummies(len(args)), args))
        )
    raise NotImplementedError(f"cannot differentiate {type(node).__name__}")


def gradients(
    loss: sympy.Expr,
    parameters: Iterable[sympy.Symbol],
    at: Mapping[sympy.Basic, sympy.Basic] | None = None,
) -> dict[sympy.Symbol, sympy.Expr]:
    """Exact ``dJ/dp`` for each parameter p, evaluated at the substitution ``at``."""
    parameters = list(parameters)
    targets = set(parameters)
    relevant = _dependent_nodes(loss, targets)
    if loss not in relevant:
        return {p: sympy.S.Zero for p in parameters}
    order = _postorder(loss, relevant)
    rebuilder = _Rebuilder(at or {})
    rebuilt_root = rebuilder.rebuild(loss)
    values = rebuilder.cache
    del rebuilt_root
    adjoint_terms: dict[sympy.Basic, list[sympy.Expr]] = {loss: [sympy.S.One]}
    adjoints: dict[sympy.Basic, sympy.Expr] = {}
    for node in reversed(order):
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
        for k, arg in enumerate(node.args):
            if arg not in relevant:
                continue
            partial = _local_partial(node, args, values[node], k)
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
        derivative = sympy.diff(loss, p)
        result[p] = derivative.xreplace(dict(at)) if at else derivative
    return result
