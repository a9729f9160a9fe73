"""Which axes of a traced network must be permuted together: classes of dimensions.

Every axis of every tensor (inputs, parameters, constants, intermediate values)
gets a dimension node. Each operation says which axes it needs permuted alike for
it to commute with a permutation (an elementwise op: its inputs' and output's
aligned axes; a linear layer: the input's features and the weight's columns, the
weight's rows, the bias and the output's features; a residual add: both operands;
a matrix product: the contracted axes; a reduction: nothing, since a sum ignores
order). Unifying those nodes gives classes; a reshape or a concatenation makes an
axis a product or a sum of classes (a flattened channel block, the heads of an
attention layer, the gates of an LSTM).

A class is *pinned* when some operation needs its order as it is: the input and the
target (data), convolution and pooling windows (spatial order), the rows of an
embedding (picked by the data), a dropout mask (random per unit). Every unpinned
class K is a symmetry: permuting the units of K (every axis in K, and every block
of an axis built from K) changes every intermediate tensor by a permutation that
the next operation absorbs, so the loss is unchanged for every input, target and
parameter value. This is the structural check of the proofs; which units of K the
init allows to swap is decided in :mod:`symgrad.torch.symmetry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TO_THE_LOSS = "its units reach the loss directly (each output meets its own target)"
DATA = "its units meet the input's own axes (the data fixes their order)"
SPATIAL = "convolution and pooling windows fix the order of positions"
DROPOUT = "dropout in train mode gives every unit its own random mask"
EMBEDDING_ROWS = "embedding rows are picked by the data"


@dataclass
class Dims:
    """Union-find over dimension nodes: atoms, products and sums of nodes."""

    parent: list[int] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    children: list[tuple[int, ...]] = field(default_factory=list)
    why: dict[int, str] = field(default_factory=dict)
    branch_cats: dict[str, tuple[object, int]] = field(default_factory=dict)

    def new(self, size: int, kind: str = "atom", children: tuple[int, ...] = ()) -> int:
        self.parent.append(len(self.parent))
        self.size.append(int(size))
        self.kind.append(kind)
        self.children.append(tuple(children))
        return len(self.parent) - 1

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def pin(self, node: int, reason: str) -> None:
        root = self.find(node)
        self.why.setdefault(root, reason)

    def pinned_new(self, size: int, reason: str) -> int:
        node = self.new(size)
        self.pin(node, reason)
        return node

    # ------------------------------------------------------------ structure
    def factors(self, node: int) -> list[int]:
        """The atoms and sums a product node multiplies (nested products flattened)."""
        root = self.find(node)
        if self.kind[root] != "product":
            return [root]
        return [leaf for child in self.children[root] for leaf in self.factors(child)]

    def parts(self, node: int) -> list[int]:
        """The nodes a sum node adds (nested sums flattened)."""
        root = self.find(node)
        if self.kind[root] != "sum":
            return [root]
        return [leaf for child in self.children[root] for leaf in self.parts(child)]

    def product(self, nodes) -> int:
        kept = [n for n in nodes if self.size[self.find(n)] != 1]
        if len(kept) == 1:
            return kept[0]
        return self.new(int(np.prod([self.size[self.find(n)] for n in kept])) if kept else 1,
                        "product" if kept else "atom", tuple(kept))  # fmt: skip

    def sum(self, nodes) -> int:
        kept = [n for n in nodes if self.size[self.find(n)] != 0]
        if len(kept) == 1:
            return kept[0]
        return self.new(sum(self.size[self.find(n)] for n in kept), "sum", tuple(kept))

    def contains(self, node: int, target: int, depth: int = 0) -> bool:
        root = self.find(node)
        if root == target:
            return True
        if depth > 64:
            return True
        return any(self.contains(c, target, depth + 1) for c in self.children[root])

    # ------------------------------------------------------------ unification
    def unify(self, a: int, b: int, conflict: str = "its units are regrouped") -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] != self.size[rb]:
            self.pin(ra, conflict)
            self.pin(rb, conflict)
            return
        if self.size[ra] == 1:
            self._link(rb, ra)
            return
        ka, kb = self.kind[ra], self.kind[rb]
        if ka == "atom" and kb == "atom":
            self._link(rb, ra)
        elif ka == "atom" or kb == "atom":
            atom, other = (ra, rb) if ka == "atom" else (rb, ra)
            if self.contains(other, atom):
                self.pin(atom, conflict)
                self.pin(other, conflict)
                return
            self._link(atom, other)
        elif ka == kb:
            self._same_kind(ra, rb, ka, conflict)
        else:
            self.pin(ra, conflict)
            self.pin(rb, conflict)

    def _link(self, child: int, root: int) -> None:
        """Make ``root`` the representative of ``child``'s class (keeping a pin reason)."""
        self.parent[child] = root
        if child in self.why:
            self.why.setdefault(root, self.why[child])

    def _same_kind(self, ra: int, rb: int, kind: str, conflict: str) -> None:
        left = self.factors(ra) if kind == "product" else self.parts(ra)
        right = self.factors(rb) if kind == "product" else self.parts(rb)
        groups = _groups([self.size[n] for n in left], [self.size[n] for n in right],
                         multiplicative=kind == "product")  # fmt: skip
        if groups is None:
            self.pin(ra, conflict)
            self.pin(rb, conflict)
            return
        self._link(rb, ra)
        combine = self.product if kind == "product" else self.sum
        for (i0, i1), (o0, o1) in groups:
            if i1 - i0 > 1 and o1 - o0 > 1:
                self.pin(ra, conflict)
                continue
            self.unify(combine(left[i0:i1]), combine(right[o0:o1]), conflict)

    def split(self, node: int, sizes: list[int], kind: str, conflict: str) -> list[int]:
        """``node`` as a product (or sum) of parts of ``sizes``, one node per size: its own
        parts when it already has that structure, else new atoms it is refined into (which
        only restricts its permutations to a subgroup: sound). A trivial part (size 1 of a
        product, size 0 of a sum) is a fresh node outside the structure."""
        trivial = 1 if kind == "product" else 0
        real = [s for s in sizes if s != trivial]
        if len(real) <= 1:
            return [node if s != trivial else self.new(s) for s in sizes]
        parts = [self.new(s) for s in sizes]
        kept = [p for p, s in zip(parts, sizes) if s != trivial]
        self.unify(node, self.product(kept) if kind == "product" else self.sum(kept), conflict)
        return parts

    # ------------------------------------------------------------ results
    def pinned_roots(self) -> dict[int, str]:
        """Every pinned class with its reason; a pinned composite pins all its parts."""
        result: dict[int, str] = {}
        stack = [(self.find(n), r) for n, r in self.why.items()]
        while stack:
            root, reason = stack.pop()
            if root in result:
                continue
            result[root] = reason
            stack.extend((self.find(c), reason) for c in self.children[root])
        return result


def _groups(left: list[int], right: list[int], multiplicative: bool):
    """Consecutive groups of ``left`` and ``right`` sizes with equal products (sums), as index
    ranges, or None when the two sequences share no such grouping."""
    groups, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        i1, j1 = i + 1, j + 1
        a, b = left[i], right[j]
        while a != b:
            if a < b and i1 < len(left):
                a = a * left[i1] if multiplicative else a + left[i1]
                i1 += 1
            elif b < a and j1 < len(right):
                b = b * right[j1] if multiplicative else b + right[j1]
                j1 += 1
            else:
                return None
        groups.append(((i, i1), (j, j1)))
        i, j = i1, j1
    return groups if i == len(left) and j == len(right) else None


@dataclass
class AxisClasses:
    """The dimension classes of a graph: per node, one dimension per axis; per set of
    identical branches, the class that permutes the branches."""

    dims: Dims
    axes: dict[str, list[int]]
    params: dict[str, list[int]]
    branches: list[tuple[object, int]] = field(default_factory=list)

    def root(self, node: int) -> int:
        return self.dims.find(node)
