"""Walks over SymPy expression DAGs that visit each shared node once.

SymPy's own walks (``free_symbols``, ``xreplace``, ``preorder_traversal``) see
a tree: a subexpression shared by 256 neurons is visited 256 times. These
helpers visit each distinct node once, iteratively (no recursion limit), and
check the budget as they go.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> shared = sympy.tanh(x + y)
>>> e = shared**2 + shared
>>> tree_size(e) > len(dag_nodes(e))
True
>>> substitute(e, {y: x})
tanh(2*x)**2 + tanh(2*x)
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from symgrad.runtime.budget import Budget, tick


def dag_nodes(root: sympy.Basic, budget: Budget | None = None) -> list[sympy.Basic]:
    """Every distinct node of ``root``'s DAG, each once."""
    seen: set[sympy.Basic] = set()
    stack = [root]
    nodes = []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        nodes.append(node)
        if len(nodes) % 4096 == 0:
            tick("walking the expression")
            if budget is not None:
                budget.check("walking the expression")
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
    """The free symbols of ``root``, in time linear in the size of its DAG.

    Bound variables of sums and integer indices are left out (as SymPy does).
    """
    nodes = dag_nodes(root)
    if any(isinstance(n, (sympy.Sum, sympy.Subs, sympy.Derivative, sympy.Lambda)) for n in nodes):
        return set(root.free_symbols)
    return {node for node in nodes if node.is_Symbol}


def dag_has(root: sympy.Basic, *kinds: object) -> bool:
    """``root.has(*kinds)`` for types and atoms, over the DAG (each shared node once)."""
    types = tuple(k for k in kinds if isinstance(k, type))
    atoms = {k for k in kinds if not isinstance(k, type)}
    return any((types and isinstance(node, types)) or node in atoms for node in dag_nodes(root))


def function_types(root: sympy.Basic) -> set[type]:
    """The classes of every node of ``root`` (to ask which functions occur)."""
    return {type(node) for node in dag_nodes(root)}


def substitute(
    root: sympy.Basic,
    at: Mapping[sympy.Basic, sympy.Basic],
    budget: Budget | None = None,
    evaluate: bool = False,
) -> sympy.Basic:
    """``root`` with the atoms in ``at`` replaced, rebuilding each shared node once.

    With ``evaluate``, functions of symbolic arguments are evaluated too
    (``sin(x + 2*pi*n)`` becomes ``sin(x)`` for an integer n).
    """
    if not at:
        return root
    return Rebuilder(at, budget, evaluate).rebuild(root)


class Rebuilder:
    """Rebuild DAGs under a substitution; the cache maps every visited node to its image.

    Functions of symbolic arguments are rebuilt unevaluated: ``Function.eval``
    asks costly assumption queries and rarely simplifies a symbolic argument;
    numeric arguments (an init) are still evaluated.
    """

    def __init__(
        self,
        at: Mapping[sympy.Basic, sympy.Basic],
        budget: Budget | None = None,
        evaluate: bool = False,
    ) -> None:
        self.cache: dict[sympy.Basic, sympy.Basic] = dict(at)
        self.budget = budget
        self.evaluate = evaluate

    def rebuild(self, root: sympy.Basic) -> sympy.Basic:
        cache = self.cache
        budget = self.budget
        stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
        count = 0
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
            count += 1
            if count % 2048 == 0:
                tick("substituting into the expression")
                if budget is not None:
                    budget.check("substituting into the expression")
            new_args = tuple(cache[arg] for arg in node.args)
            if all(new is old for new, old in zip(new_args, node.args)):
                cache[node] = node
            elif (
                not self.evaluate
                and isinstance(node, sympy.Function)
                and not isinstance(node, (sympy.Piecewise,))
                and not all(a.is_number for a in new_args)
                and _unevaluated_ok(node)
            ):
                cache[node] = node.func(*new_args, evaluate=False)
            else:
                cache[node] = node.func(*new_args)
        return cache[root]


def _unevaluated_ok(node: sympy.Basic) -> bool:
    """Functions whose canonical form does not depend on evaluation (argument order etc.)."""
    from symgrad.exact.functions import Max, Min, argmax_share, argmin_share

    return not isinstance(node, (Max, Min, argmax_share, argmin_share, sympy.Heaviside))
