"""Unit permutations of a traced network that leave its loss unchanged and fix the init.

:mod:`symgrad.torch.axes` finds the free dimension classes: for a free class K,
every permutation of K's units (applied to every axis and block built from K, in
every parameter, constant and intermediate tensor at once) leaves the loss unchanged
for every input, target and parameter value. A single class may span several
layers (a residual stream, a module used twice, the heads of an attention layer
with its output projection, an LSTM's four gates): those layers move together.

Two units u, v of K can be swapped without changing the init when the transposition
(u v) leaves every parameter and every constant (buffers, masks, frozen weights)
unchanged; swaps that fix the init generate a group, and entries in one orbit of it
stay equal forever under every optimizer that treats coordinates alike (SGD,
momentum, Adam, weight decay): this is the graph-level certificate.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass

import numpy as np

from symgrad.runtime.budget import tick
from symgrad.torch.axes import AxisClasses
from symgrad.torch.axis_rules import classify
from symgrad.torch.branches import branch_sets
from symgrad.torch.exact_numbers import is_interval
from symgrad.torch.graph import Graph


@dataclass(frozen=True)
class UnitSymmetry:
    """A free dimension class: its units, where it occurs and the layers that move with it.

    ``occurrences`` are (tensor, axis, is parameter) for every parameter and constant axis
    built from the class; ``layers`` the modules whose units (a parameter's first axis) it
    permutes: the layers that move together."""

    root: int
    units: int
    unit_name: str
    occurrences: tuple[tuple[str, int, bool], ...]
    layers: tuple[str, ...]
    stacks: tuple[tuple[str, ...], ...] = ()

    @property
    def layer(self) -> str:
        return self.layers[0] if self.layers else ""

    @property
    def tensors(self) -> tuple[str, ...]:
        """The parameters whose axes the class permutes (a branch swap's own parameters, which
        it exchanges wholesale, are in ``stacks``)."""
        return tuple(dict.fromkeys(name for name, _, is_param in self.occurrences if is_param))

    @property
    def every_tensor(self) -> tuple[str, ...]:
        return self.tensors + tuple(n for names in self.stacks for n in names)


@dataclass
class Symmetries:
    """The free classes of a graph, with what is needed to act with their permutations."""

    graph: Graph
    classes: AxisClasses
    free: list[UnitSymmetry]
    pinned: dict[int, str]
    constants: dict[str, tuple[np.ndarray, list[int]]]

    def axis_nodes(self, tensor: str, is_param: bool) -> list[int]:
        return self.classes.params[tensor] if is_param else self.constants[tensor][1]

    def transposition(self, symmetry: UnitSymmetry, u: int, v: int, tensor: str,
                      is_param: bool) -> list[np.ndarray | None]:  # fmt: skip
        """Per axis of ``tensor``: the index permutation of swapping units u and v."""
        return [
            axis_permutation(self.classes, node, symmetry.root, u, v)
            for node in self.axis_nodes(tensor, is_param)
        ]

    def reason(self, node: int) -> str:
        """Why the class of ``node`` (or one of its parts) is not free."""
        dims = self.classes.dims
        stack = [dims.find(node)]
        while stack:
            root = stack.pop()
            if root in self.pinned:
                return self.pinned[root]
            stack.extend(dims.find(c) for c in dims.children[root])
        return ""


def symmetries(graph: Graph, values: dict[str, np.ndarray] | None = None) -> Symmetries:
    """The free dimension classes of ``graph`` (each one a symmetry of the loss); with
    ``values``, identical branches whose parameters are equal there may also be exchanged."""
    classes = classify(graph, branch_sets(graph, values))
    dims = classes.dims
    pinned = dims.pinned_roots()
    constants = {
        op.name: (op.attr("value"), classes.axes[op.name])
        for op in graph.ops
        if op.kind == "const" and np.ndim(op.attr("value"))
    }
    roots = {}
    for nodes in classes.params.values():
        for node in nodes:
            for leaf in _leaves(classes, node):
                if leaf not in pinned and dims.size[leaf] > 1 and dims.kind[leaf] == "atom":
                    roots.setdefault(leaf, None)
    stacks = {}
    for branch, node in classes.branches:
        root = dims.find(node)
        if root not in pinned and dims.kind[root] == "atom":
            roots.setdefault(root, None)
            stacks[root] = branch.params
    free = [_symmetry(graph, classes, root, constants, stacks.get(root, ())) for root in roots]
    return Symmetries(graph, classes, free, pinned, constants)


def _leaves(classes: AxisClasses, node: int) -> list[int]:
    dims = classes.dims
    root = dims.find(node)
    if dims.kind[root] == "atom":
        return [root]
    return [leaf for child in dims.children[root] for leaf in _leaves(classes, child)]


def _symmetry(graph: Graph, classes: AxisClasses, root: int, constants, stacks) -> UnitSymmetry:
    dims = classes.dims
    occurrences = []
    for name, nodes in classes.params.items():
        occurrences += [(name, k, True) for k, n in enumerate(nodes) if dims.contains(n, root)]
    for name, (_, nodes) in constants.items():
        occurrences += [(name, k, False) for k, n in enumerate(nodes) if dims.contains(n, root)]
    producers = [name for name, axis, p in occurrences if p and axis == 0]
    every = [name for name, _, p in occurrences if p]
    if stacks:
        producers = [n for names in stacks for n in names]
    layers = tuple(dict.fromkeys(n.rpartition(".")[0] or n for n in producers or every))
    unit = "branches" if stacks else _unit_name(graph, classes, root, occurrences)
    return UnitSymmetry(root, dims.size[root], unit, tuple(occurrences), layers,
                        tuple(stacks))  # fmt: skip


def _unit_name(graph: Graph, classes: AxisClasses, root: int, occurrences) -> str:
    """channels (a convolution's), heads (the leading factor of a split projection, as
    attention's d // heads), or neurons."""
    dims = classes.dims
    for name, axis, is_param in occurrences:
        if not is_param:
            continue
        node = dims.find(classes.params[name][axis])
        if node == root and axis == 0 and len(graph.parameters[name].shape) >= 3:
            return "channels"
        if axis == 0 and _leading_factor(dims, node, root):
            return "heads"
        if axis == 0 and _trailing_factor(dims, node, root):
            return "units per head"
    return "neurons"


def _trailing_factor(dims, node: int, root: int) -> bool:
    """``root`` is a later factor of a product in this axis's structure (a head's units)."""
    current = dims.find(node)
    if dims.kind[current] == "product":
        if any(dims.find(f) == root for f in dims.factors(current)[1:]):
            return True
    return any(_trailing_factor(dims, c, root) for c in dims.children[current])


def _leading_factor(dims, node: int, root: int) -> bool:
    """``root`` is the first factor of a product somewhere in this axis's structure."""
    current = dims.find(node)
    if dims.kind[current] == "product":
        factors = dims.factors(current)
        if factors and dims.find(factors[0]) == root and len(factors) > 1:
            return True
    return any(_leading_factor(dims, c, root) for c in dims.children[current])


@functools.lru_cache(maxsize=4096)
def _arange(n: int) -> np.ndarray:
    array = np.arange(n)
    array.setflags(write=False)
    return array


def axis_permutation(classes: AxisClasses, node: int, root: int, u: int, v: int):
    """The permutation of this axis's indices that swapping units u and v of ``root`` makes,
    or None when the axis is not built from ``root``."""
    dims = classes.dims
    current = dims.find(node)
    if current == root:
        permutation = np.arange(dims.size[current])
        permutation[u], permutation[v] = v, u
        return permutation
    if dims.kind[current] == "atom":
        return None
    parts = [axis_permutation(classes, c, root, u, v) for c in dims.children[current]]
    if all(p is None for p in parts):
        return None
    sizes = [dims.size[dims.find(c)] for c in dims.children[current]]
    filled = [p if p is not None else _arange(s) for p, s in zip(parts, sizes)]
    if dims.kind[current] == "sum":
        offsets = np.cumsum([0] + sizes[:-1])
        return np.concatenate([p + o for p, o in zip(filled, offsets)])
    total = np.zeros(1, dtype=np.int64)
    for p, s in zip(filled, sizes):
        total = (total[:, None] * s + p[None, :]).reshape(-1)
    return total


def moved_pairs(shape: tuple[int, ...], permutations) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices (i, j) of the entries a per-axis permutation moves: entry i goes to j."""
    sources, targets = [], []
    for k, permutation in enumerate(permutations):
        if permutation is None:
            continue
        moved = np.nonzero(permutation != _arange(len(permutation)))[0]
        if not len(moved):
            continue
        index = [_arange(s) for s in shape]
        index[k] = moved
        mapped = [p[i] if p is not None else i for p, i in zip(permutations, index)]
        grid = np.ix_(*index)
        sources.append(np.ravel_multi_index(grid, shape).reshape(-1))
        targets.append(np.ravel_multi_index(np.ix_(*mapped), shape).reshape(-1))
    if not sources:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(sources), np.concatenate(targets)


# ---------------------------------------------------------------- classes and orbits
def unit_classes(found: Symmetries, symmetry: UnitSymmetry,
                 values: dict[str, np.ndarray]) -> list[list[int]]:  # fmt: skip
    """Units that can be swapped without changing the init (nor any constant): the swap of
    two units of one class fixes every parameter and constant value."""
    slices = [
        (_tensor(found, values, name, is_param), axis,
         _coordinates(found.classes, found.axis_nodes(name, is_param)[axis], symmetry.root))
        for name, axis, is_param in symmetry.occurrences
    ]  # fmt: skip
    signatures: dict[tuple, list[list[int]]] = {}
    for unit in range(symmetry.units):
        tick("comparing units")
        signature = tuple(
            tuple(sorted(tensor.take(np.nonzero(coordinates == unit)[0], axis=axis).reshape(-1),
                         key=_order))
            for tensor, axis, coordinates in slices
        ) + tuple(
            tuple(values[name].reshape(-1).tolist())
            for name in (symmetry.stacks[unit] if symmetry.stacks else ())
        )  # fmt: skip
        for members in signatures.setdefault(signature, []):
            if fixes(found, symmetry, values, members[0], unit):
                members.append(unit)
                break
        else:
            signatures[signature].append([unit])
    return [members for groups in signatures.values() for members in groups]


def _tensor(found: Symmetries, values, name: str, is_param: bool) -> np.ndarray:
    return values[name] if is_param else found.constants[name][0]


def _order(value):
    """A sort key for exact values (rationals, booleans, -inf masks)."""
    return (1, str(value)) if is_interval(value) else (0, value)


def _coordinates(classes: AxisClasses, node: int, root: int) -> np.ndarray:
    """For each index of the axis: its coordinate along ``root`` (-1 outside it)."""
    dims = classes.dims
    current = dims.find(node)
    if current == root:
        return np.arange(dims.size[current])
    if dims.kind[current] == "atom":
        return np.full(dims.size[current], -1)
    parts = [_coordinates(classes, c, root) for c in dims.children[current]]
    if dims.kind[current] == "sum":
        return np.concatenate(parts)
    total = np.full(1, -1)
    for part in parts:
        total = np.maximum(np.repeat(total, len(part)), np.tile(part, len(total)))
    return total


def fixes(found: Symmetries, symmetry: UnitSymmetry, values, u: int, v: int) -> bool:
    """Swapping units u and v leaves every parameter and constant of the class unchanged."""
    if symmetry.stacks:
        for a, b in zip(symmetry.stacks[u], symmetry.stacks[v]):
            if not bool(np.all(values[a] == values[b])):
                return False
    for name in dict.fromkeys((n, p) for n, _, p in symmetry.occurrences):
        tensor = _tensor(found, values, *name)
        permutations = found.transposition(symmetry, u, v, *name)
        sources, targets = moved_pairs(tensor.shape, permutations)
        flat = tensor.reshape(-1)
        if len(sources) and not bool(np.all(flat[sources] == flat[targets])):
            return False
    return True


def differing(found: Symmetries, symmetry: UnitSymmetry, values, u: int, v: int) -> list[str]:
    """The tensors (parameters first) that swapping units u and v would change."""
    names = []
    for name, is_param in dict.fromkeys((n, p) for n, _, p in symmetry.occurrences):
        tensor = _tensor(found, values, name, is_param)
        sources, targets = moved_pairs(tensor.shape, found.transposition(symmetry, u, v, name,
                                                                         is_param))  # fmt: skip
        flat = tensor.reshape(-1)
        if len(sources) and not bool(np.all(flat[sources] == flat[targets])):
            names.append(name)
    return names


class Orbits:
    """Union-find over parameter entries (name, flat index)."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]) -> None:
        self.offsets, total = {}, 0
        for name, shape in shapes.items():
            self.offsets[name] = total
            total += int(np.prod(shape))
        self.parent = np.arange(total)
        self.shapes = dict(shapes)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def union_many(self, sources: np.ndarray, targets: np.ndarray) -> None:
        """Join sources[k] with targets[k] for every k, all at once: hook each root onto the
        smallest root it must join, flatten every path, repeat until each pair shares a root
        (a root only ever gets a smaller parent, so this ends; the classes are the connected
        components of the pairs, as one union per pair would give)."""
        sources = np.asarray(sources, dtype=np.int64).reshape(-1)
        targets = np.asarray(targets, dtype=np.int64).reshape(-1)
        parent = self.parent
        while len(sources):
            tick("merging orbits")
            self._flatten()
            ra, rb = parent[sources], parent[targets]
            apart = ra != rb
            if not apart.any():
                return
            sources, targets = sources[apart], targets[apart]
            ra, rb = ra[apart], rb[apart]
            np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))

    def _flatten(self) -> None:
        """Point every entry at its root (every parent is at most its child)."""
        parent = self.parent
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return
            parent[:] = grand

    def swap_links(self, found: Symmetries, symmetry: UnitSymmetry, u: int, v: int):
        """(sources, targets): every parameter entry and its image under the swap of units
        u and v, as flat indices."""
        links = [(sources + self.offsets[first], targets + self.offsets[second])
                 for first, sources, second, targets in swap_pairs(found, symmetry, u, v)]  # fmt: skip
        return joined_links(links)

    def merge_swap(self, found: Symmetries, symmetry: UnitSymmetry, u: int, v: int) -> None:
        """Join every parameter entry with its image under the swap of units u and v."""
        self.union_many(*self.swap_links(found, symmetry, u, v))

    def groups(self) -> list[list[int]]:
        self._flatten()
        roots = self.parent.copy()
        order = np.argsort(roots, kind="stable")
        sorted_roots = roots[order]
        cuts = np.nonzero(np.diff(sorted_roots))[0] + 1
        return [g.tolist() for g in np.split(order, cuts) if len(g) > 1]

    def entry(self, index: int) -> tuple[str, int]:
        """(tensor name, flat index inside it) of a global flat index."""
        if not hasattr(self, "_starts"):
            ordered = sorted(self.offsets.items(), key=lambda item: item[1])
            self._names = [n for n, _ in ordered]
            self._starts = [o for _, o in ordered]
        position = bisect.bisect_right(self._starts, index) - 1
        name = self._names[position]
        return name, index - self.offsets[name]


def joined_links(links) -> tuple[np.ndarray, np.ndarray]:
    """Lists of (sources, targets) index arrays as one pair of arrays."""
    if not links:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return (np.concatenate([np.asarray(a, dtype=np.int64).reshape(-1) for a, _ in links]),
            np.concatenate([np.asarray(b, dtype=np.int64).reshape(-1) for _, b in links]))  # fmt: skip


def swap_pairs(found: Symmetries, symmetry: UnitSymmetry, u: int, v: int):
    """(tensor, flat indices, tensor, flat indices): the parameter entries the swap of units
    u and v exchanges (entries of one tensor, or a branch's tensor with another's)."""
    pairs = []
    shapes = {name: found.graph.parameters[name].shape for name in symmetry.every_tensor}
    for name in symmetry.tensors:
        permutations = found.transposition(symmetry, u, v, name, True)
        sources, targets = moved_pairs(shapes[name], permutations)
        pairs.append((name, sources, name, targets))
    if symmetry.stacks:
        for a, b in zip(symmetry.stacks[u], symmetry.stacks[v]):
            everything = np.arange(int(np.prod(shapes[a])))
            pairs.append((a, everything, b, everything))
    return pairs


def swapped(found: Symmetries, symmetry: UnitSymmetry, values: dict[str, np.ndarray],
            u: int, v: int) -> dict[str, np.ndarray]:  # fmt: skip
    """The parameter values with units u and v of ``symmetry`` swapped (any array type)."""
    out = {k: a.copy() for k, a in values.items()}
    if symmetry.stacks:
        for a, b in zip(symmetry.stacks[u], symmetry.stacks[v]):
            out[a], out[b] = values[b].copy(), values[a].copy()
    for name in symmetry.tensors:
        permutations = found.transposition(symmetry, u, v, name, True)
        index = [
            p if p is not None else _arange(s) for p, s in zip(permutations, values[name].shape)
        ]
        out[name] = values[name][np.ix_(*index)]
    return out


def collapsed(found: Symmetries, symmetry: UnitSymmetry,
              values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:  # fmt: skip
    """Every unit of ``symmetry`` made a copy of unit 0 (in every parameter it spans)."""
    out = dict(values)
    for name in symmetry.tensors:
        index = []
        for node, size in zip(found.classes.params[name], values[name].shape):
            coordinates = _coordinates(found.classes, node, symmetry.root)
            if (coordinates < 0).all():
                index.append(_arange(size))
                continue
            index.append(_collapse_index(found, node, symmetry.root))
        out[name] = out[name][np.ix_(*index)]
    return out


def _collapse_index(found: Symmetries, node: int, root: int) -> np.ndarray:
    """Each index of the axis mapped to the index with its ``root`` coordinate set to 0."""
    size = found.classes.dims.size[found.classes.dims.find(node)]
    result = np.arange(size)
    for u in range(1, found.classes.dims.size[root]):
        permutation = axis_permutation(found.classes, node, root, 0, u)
        coordinates = _coordinates(found.classes, node, root)
        result = np.where(coordinates[result] == u, permutation[result], result)
    return result


# ---------------------------------------------------------------- contracted axes
CONTRACTING = {"linear": {1: 1}, "conv": {1: 1}}


def contracted_axes(graph: Graph) -> dict[str, set[int]]:
    """Per parameter: the axes along which every use contracts it with another tensor
    (a linear or convolution weight's input axis, the summed axis of a matrix product),
    possibly through transposes. The gradient of an entry then depends on its position
    along such an axis only through the other tensor's entries there."""
    result: dict[str, set[int]] = {}
    for name, nodes in graph.parameter_nodes().items():
        rank = graph.parameters[name].ndim
        common = set(range(rank))
        for node in nodes:
            common &= _contracted_uses(graph, node, list(range(rank)))
        result[name] = common
    return result


def _contracted_uses(graph: Graph, node: str, axes: list[int]) -> set[int]:
    """The parameter axes contracted in every use of ``node`` (whose axes are ``axes`` of the
    parameter, in order)."""
    users = graph.users.get(node, [])
    if not users:
        return set(axes)
    common = set(axes)
    for user in users:
        op = graph.op(user)
        position = op.inputs.index(node)
        if op.kind == "permute":
            permuted = [axes[d] for d in op.attr("dims")]
            common &= _contracted_uses(graph, user, permuted)
        elif op.kind in CONTRACTING and position in CONTRACTING[op.kind]:
            common &= {axes[CONTRACTING[op.kind][position]]}
        elif op.kind == "matmul" and len(axes) >= 2 and position in (0, 1):
            common &= {axes[-1] if position == 0 else axes[-2]}
        else:
            return set()
    return common


def contracted_pairs(found: Symmetries, symmetry: UnitSymmetry, u: int, v: int, contracted):
    """(tensor, flat indices, tensor, flat indices): entries of parameters contracted along an
    axis of the class that differ only in unit u versus v there. On the fixed set of the swap
    the tensor they are contracted with is equal at u and v, so their gradients are equal."""
    pairs = []
    for name, axis, is_param in symmetry.occurrences:
        if not is_param or axis not in contracted.get(name, ()):
            continue
        node = found.classes.params[name][axis]
        permutations = [None] * found.graph.parameters[name].ndim
        permutations[axis] = axis_permutation(found.classes, node, symmetry.root, u, v)
        sources, targets = moved_pairs(found.graph.parameters[name].shape, permutations)
        pairs.append((name, sources, name, targets))
    return pairs
