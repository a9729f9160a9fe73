"""Identical branches: sub-networks that compute the same function of the same inputs.

Two (or k) nodes whose subgraphs are isomorphic, op by op with the same attributes,
reading the same shared nodes (the input, a common trunk) and each its own private
parameters, compute the same function of their private parameters. When they meet
in a sum (``f(x) + g(x)``, also a product) or side by side in a concatenation
(``torch.cat([f(x), g(x)])``), exchanging their parameters wholesale permutes the
branches: the sum is unchanged, and the concatenation's blocks are permuted, which
the next layer absorbs (its columns move with the blocks; :mod:`symgrad.torch.axes`
treats the concatenated axis as branch x unit). A branch swap is kept only when
the branches' parameters are equal entry by entry at the init.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symgrad.runtime.budget import tick
from symgrad.torch.graph import Graph, Op

COMMUTATIVE = {"add", "mul", "minimum", "maximum"}


@dataclass(frozen=True)
class BranchSet:
    """k isomorphic branches meeting at ``combine``: per branch, its root, its private nodes
    mapped to branch 0's, and its parameters aligned with branch 0's."""

    combine: str
    kind: str
    roots: tuple[str, ...]
    nodes: tuple[tuple[tuple[str, str], ...], ...]
    params: tuple[tuple[str, ...], ...]

    @property
    def count(self) -> int:
        return len(self.roots)


def signatures(graph: Graph) -> dict[str, int]:
    """A structural signature per node: equal signatures compute the same function of the
    same shared inputs, with parameters abstracted to their shape."""
    interned: dict[tuple, int] = {}
    out: dict[str, int] = {}
    for op in graph.ops:
        if op.kind == "param":
            name = op.attr("name")
            key = ("param", graph.parameters[name].shape, name in graph.frozen)
        elif op.kind == "const":
            value = np.asarray(op.attr("value"), dtype=object)
            key = ("const", value.shape, tuple(value.reshape(-1).tolist()))
        elif op.kind == "input":
            key = ("input", op.attr("which"))
        else:
            inputs = [out[s] for s in op.inputs]
            if op.kind in COMMUTATIVE:
                inputs.sort()
            key = (op.kind, op.attrs, tuple(inputs))
        out[op.name] = interned.setdefault(key, len(interned))
    return out


def _ancestors(graph: Graph, root: str) -> set[str]:
    seen, stack = set(), [root]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(graph.op(name).inputs)
    return seen


def _operands(graph: Graph, op: Op) -> list[str]:
    """The terms of a sum (nested adds with a single user flattened), or a cat's inputs."""
    if op.kind != "add":
        return list(op.inputs)
    terms = []
    for source in op.inputs:
        inner = graph.op(source)
        if inner.kind == "add" and len(graph.users.get(source, [])) == 1:
            terms.extend(_operands(graph, inner))
        else:
            terms.append(source)
    return terms


def branch_sets(graph: Graph, values: dict[str, np.ndarray] | None) -> list[BranchSet]:
    """Every set of identical branches whose parameters are equal at ``values``."""
    if values is None:
        return []
    sig = signatures(graph)
    found = []
    for op in graph.ops:
        if op.kind not in ("add", "mul", "cat") or _inner_add(graph, op):
            continue
        tick("looking for identical branches")
        groups: dict[int, list[str]] = {}
        for source in _operands(graph, op):
            groups.setdefault(sig[source], []).append(source)
        for roots in groups.values():
            if len(roots) < 2 or len(set(roots)) != len(roots):
                continue
            if op.kind == "cat" and not _consecutive(op, roots):
                continue
            branch = _match(graph, sig, op, roots)
            if branch is not None and _equal(branch, values):
                found.append(branch)
    return found


def _inner_add(graph: Graph, op: Op) -> bool:
    """An add whose sum is itself one term of an outer add (the outer one is looked at)."""
    users = graph.users.get(op.name, [])
    return op.kind == "add" and len(users) == 1 and graph.op(users[0]).kind == "add"


def _consecutive(op: Op, roots: list[str]) -> bool:
    positions = [op.inputs.index(r) for r in roots]
    return positions == list(range(positions[0], positions[0] + len(roots)))


def _match(graph: Graph, sig: dict[str, int], combine: Op, roots: list[str]):
    """The node and parameter correspondence of the branches, or None."""
    ancestors = [_ancestors(graph, r) for r in roots]
    private = [a - set().union(*(b for j, b in enumerate(ancestors) if j != i))
               for i, a in enumerate(ancestors)]  # fmt: skip
    maps = []
    for i in range(len(roots)):
        mapping: dict[str, str] = {}
        if not _pair(graph, sig, roots[i], roots[0], private[i], private[0], mapping):
            return None
        maps.append(mapping)
    for i, own in enumerate(private):
        allowed = own | {combine.name}
        for name in own:
            users = set(graph.users.get(name, []))
            if name == roots[i]:
                users -= _adds_between(graph, combine)
            if not users <= allowed:
                return None
    params = _aligned_params(graph, maps, private)
    if params is None:
        return None
    nodes = tuple(tuple(sorted(m.items())) for m in maps)
    kind = "cat" if combine.kind == "cat" else "sum"
    return BranchSet(combine.name, kind, tuple(roots), nodes, params)


def _adds_between(graph: Graph, combine: Op) -> set[str]:
    """The inner adds of a flattened sum (they count as the combining op)."""
    inner = set()
    if combine.kind == "add":
        for source in combine.inputs:
            op = graph.op(source)
            if op.kind == "add" and len(graph.users.get(source, [])) == 1:
                inner.add(source)
                inner |= _adds_between(graph, op)
    return inner | {combine.name}


def _pair(graph, sig, node: str, base: str, private, base_private, mapping) -> bool:
    """Map ``node`` (private to its branch) onto ``base`` (branch 0), recursively."""
    if node in mapping:
        return mapping[node] == base
    if sig[node] != sig[base]:
        return False
    mapping[node] = base
    op, base_op = graph.op(node), graph.op(base)
    inputs, base_inputs = list(op.inputs), list(base_op.inputs)
    if op.kind in COMMUTATIVE:
        inputs.sort(key=lambda s: sig[s])
        base_inputs.sort(key=lambda s: sig[s])
    for source, base_source in zip(inputs, base_inputs):
        mine, theirs = source in private, base_source in base_private
        if mine != theirs:
            return False
        if not mine and source != base_source:
            return False
        if mine and not _pair(graph, sig, source, base_source, private, base_private, mapping):
            return False
    return True


def _aligned_params(graph: Graph, maps, private) -> tuple[tuple[str, ...], ...] | None:
    """Per branch, its parameter names in branch 0's order; None when a branch parameter is
    also read outside its branch (a shared parameter is read through a shared node)."""
    readers = graph.parameter_nodes()
    base = sorted(n for n in maps[0] if graph.op(n).kind == "param")
    aligned = []
    for mapping, own in zip(maps, private):
        inverse = {b: n for n, b in mapping.items()}
        names = []
        for node in base:
            name = graph.op(inverse[node]).attr("name")
            if not set(readers[name]) <= own:
                return None
            names.append(name)
        aligned.append(tuple(names))
    if len({n for names in aligned for n in names}) != sum(len(n) for n in aligned):
        return None
    return tuple(aligned)


def _equal(branch: BranchSet, values: dict[str, np.ndarray]) -> bool:
    first = branch.params[0]
    return all(
        values[a].shape == values[b].shape and bool(np.all(values[a] == values[b]))
        for names in branch.params[1:]
        for a, b in zip(names, first)
    )
