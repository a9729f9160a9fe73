"""A hash-consed expression graph: one number per distinct subexpression, computed once.

A node is a leaf (a SymPy atom: a symbol or a number) or a head (a SymPy class
such as ``Add`` or ``tanh``) applied to child nodes. Nodes are numbered as they
are made, children before parents, so the numbers are a topological order. The
arguments of the commutative heads ``+ * max min`` are kept sorted by number, so
two nodes get the same number exactly when they are the same expression tree up
to the order of those arguments: the canonical numbering that the permutation
route needs is the graph itself, made once per loss.

A graph is made from a SymPy expression (one walk, each shared node once; the
SymPy nodes are kept) or built directly (the presets build their networks here,
without SymPy's automatic evaluation); :meth:`ExprGraph.to_sympy` gives the
SymPy expression, made once on demand. The questions every stage asks of a loss
(its symbols, which functions occur, its size) are answered from the graph
without another walk.

A SymPy class whose equality is not decided by its arguments alone (it defines
its own ``_hashable_content`` or ``__eq__``) is kept *opaque*: its node is
numbered by the SymPy object itself, so it is never identified with another.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> graph = ExprGraph.from_sympy(sympy.tanh(x + y) ** 2 + sympy.tanh(y + x))
>>> graph.size, sorted(map(str, graph.symbols()))
(7, ['x', 'y'])
>>> built = ExprGraph()
>>> z = built.add(built.leaf(y), built.leaf(x))
>>> built.root = built.add(built.power(built.apply(sympy.tanh, z), built.leaf(sympy.Integer(2))),
...                        built.apply(sympy.tanh, z))
>>> built.to_sympy() == graph.to_sympy()
True
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy
from sympy.core.basic import Basic
from sympy.core.expr import Expr

from symgrad.exact import functions as fn
from symgrad.runtime.budget import tick
from symgrad.runtime.heap import collector_paused

COMMUTATIVE = (sympy.Add, sympy.Mul, fn.Max, fn.Min)
#: heads whose free symbols SymPy computes with bound variables left out
BINDING = (sympy.Sum, sympy.Subs, sympy.Derivative, sympy.Lambda, sympy.Integral)
_PLAIN_CONTENT = (Basic._hashable_content, Expr._hashable_content)
_PLAIN_EQ = (Basic.__eq__, Expr.__eq__)


def _structural(node: sympy.Basic) -> bool:
    """Equality of ``node`` is equality of its class and arguments (so it may be numbered so)."""
    kind = type(node)
    return (
        node.func is kind and kind._hashable_content in _PLAIN_CONTENT and kind.__eq__ in _PLAIN_EQ
    )


def _unevaluated_ok(head: type) -> bool:
    """A function whose canonical form does not depend on evaluation (argument order etc.)."""
    return issubclass(head, sympy.Function) and not issubclass(
        head, (sympy.Piecewise, fn.Max, fn.Min, fn.argmax_share, fn.argmin_share, sympy.Heaviside)
    )


class ExprGraph:
    """Nodes ``0 .. size-1``: ``heads[i]`` (None for a leaf), ``children[i]``, ``atoms[i]``."""

    def __init__(self) -> None:
        self.heads: list[type | None] = []
        self.children: list[tuple[int, ...]] = []
        self.atoms: list[sympy.Basic | None] = []
        self.leaves: list[int] = []
        self.opaque: set[int] = set()
        self.root = -1
        self.from_sympy_expression = False
        self._leaf_numbers: dict[sympy.Basic, int] = {}
        self._node_numbers: dict[tuple, int] = {}
        self._expressions: dict[int, sympy.Basic] = {}
        #: ``number_of((head, children))``: the number of that node, or None (no node is added)
        self.number_of = self._node_numbers.get
        self._symbols: frozenset[sympy.Symbol] | None = None

    # ------------------------------------------------------------ making nodes
    @property
    def size(self) -> int:
        """How many distinct nodes (subexpressions) the graph holds."""
        return len(self.heads)

    def _new(self, head, children: tuple[int, ...], atom) -> int:
        number = len(self.heads)
        self.heads.append(head)
        self.children.append(children)
        self.atoms.append(atom)
        if number % 65536 == 0:
            tick("building the expression graph")
        return number

    def leaf(self, atom: sympy.Basic) -> int:
        """The node of a SymPy atom (a symbol or a number)."""
        number = self._leaf_numbers.get(atom)
        if number is None:
            number = self._leaf_numbers[atom] = self._new(None, (), atom)
            self.leaves.append(number)
            self._symbols = None
        return number

    def node(self, head: type, children: Iterable[int]) -> int:
        """The node ``head(children)``; children of + * max min are put in canonical order."""
        children = tuple(children)
        if head in COMMUTATIVE:
            children = tuple(sorted(children))
        key = (head, children)
        number = self._node_numbers.get(key)
        if number is None:
            number = self._node_numbers[key] = self._new(head, children, None)
        return number

    def find(self, head: type, children: tuple[int, ...]) -> int | None:
        """The number of ``head(children)`` (children already in canonical order), if present."""
        return self.number_of((head, children))

    def add(self, *terms: int) -> int:
        """A sum, flattened like SymPy's (a sum inside a sum gives its terms)."""
        return self._associative(sympy.Add, terms)

    def mul(self, *factors: int) -> int:
        """A product, flattened like SymPy's."""
        if len(factors) == 2:  # the common case (a weight times an input), made directly
            a, b = factors
            heads = self.heads
            if heads[a] is not sympy.Mul and heads[b] is not sympy.Mul:
                children = (a, b) if a <= b else (b, a)
                key = (sympy.Mul, children)
                number = self._node_numbers.get(key)
                if number is None:
                    number = self._node_numbers[key] = self._new(sympy.Mul, children, None)
                return number
        return self._associative(sympy.Mul, factors)

    def _associative(self, head: type, operands: tuple[int, ...]) -> int:
        flat: list[int] = []
        for operand in operands:
            if self.heads[operand] is head:
                flat.extend(self.children[operand])
            else:
                flat.append(operand)
        return flat[0] if len(flat) == 1 else self.node(head, flat)

    def power(self, base: int, exponent: int) -> int:
        return self.node(sympy.Pow, (base, exponent))

    def apply(self, function: type, *arguments: int) -> int:
        """A function applied to arguments (``tanh``, ``sigmoid``, an undefined ``sigma``)."""
        return self.node(function, arguments)

    def negate(self, operand: int) -> int:
        """``-operand`` as SymPy writes it: a sum negated term by term, -1 in front of a product."""
        head = self.heads[operand]
        if head is sympy.Add:
            return self.add(*(self.negate(term) for term in self.children[operand]))
        minus_one = self.leaf(sympy.S.NegativeOne)
        if head is sympy.Mul and minus_one in self.children[operand]:
            rest = list(self.children[operand])
            rest.remove(minus_one)
            return self.mul(*rest)
        return self.mul(minus_one, operand)

    # ------------------------------------------------------------ from and to SymPy
    @classmethod
    def from_sympy(cls, root: sympy.Basic) -> ExprGraph:
        """The graph of a SymPy expression (each shared node visited once, iteratively)."""
        graph = cls()
        graph.from_sympy_expression = True
        with collector_paused():
            graph._read(root)
        return graph

    def _read(self, root: sympy.Basic) -> None:
        numbers: dict[sympy.Basic, int] = {}
        stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in numbers:
                continue
            if not node.args:
                numbers[node] = self.leaf(node)
            elif not expanded:
                stack.append((node, True))
                stack.extend((arg, False) for arg in node.args if arg not in numbers)
                continue
            elif _structural(node):
                numbers[node] = self.node(node.func, [numbers[a] for a in node.args])
            else:
                numbers[node] = self._opaque(node, [numbers[a] for a in node.args])
            self._expressions.setdefault(numbers[node], node)
        self.root = numbers[root]

    def _opaque(self, node: sympy.Basic, children: list[int]) -> int:
        key = ("opaque", node)
        number = self._node_numbers.get(key)
        if number is None:
            number = self._node_numbers[key] = self._new(type(node), tuple(children), None)
            self.opaque.add(number)
        return number

    def to_sympy(self, number: int | None = None) -> sympy.Basic:
        """The SymPy expression of node ``number`` (default: the root), made once per node.

        Functions of symbolic arguments are made unevaluated (``Function.eval``
        asks costly assumption queries and does not simplify a symbolic
        argument); sums, products and powers are made by SymPy as usual.
        """
        number = self.root if number is None else number
        expressions = self._expressions
        if number in expressions:
            return expressions[number]
        for i in self.below(number):
            if i in expressions:
                continue
            head = self.heads[i]
            if head is None:
                expressions[i] = self.atoms[i]
                continue
            args = [expressions[c] for c in self.children[i]]
            if _unevaluated_ok(head) and not all(a.is_number for a in args):
                expressions[i] = head(*args, evaluate=False)
            else:
                expressions[i] = head(*args)
        return expressions[number]

    def below(self, number: int) -> list[int]:
        """Every node reachable from ``number`` (itself included), in increasing order."""
        reached = bytearray(number + 1)
        reached[number] = 1
        children = self.children
        for i in range(number, -1, -1):
            if reached[i]:
                for c in children[i]:
                    reached[c] = 1
        return [i for i in range(number + 1) if reached[i]]

    # ------------------------------------------------------------ facts, without a walk
    def symbols(self) -> set[sympy.Symbol]:
        """The free symbols (bound variables of sums and integrals left out, as in SymPy)."""
        if self._symbols is None:
            if any(issubclass(h, BINDING) for h in self.head_types() if h is not None):
                self._symbols = frozenset(self.to_sympy().free_symbols)
            else:
                atoms = self.atoms
                self._symbols = frozenset(atoms[i] for i in self.leaves if atoms[i].is_Symbol)
        return set(self._symbols)

    def head_types(self) -> set[type]:
        """The class of every node (to ask which functions occur)."""
        kinds = set(self.heads)
        kinds.discard(None)
        kinds.update(type(self.atoms[i]) for i in self.leaves)
        return kinds

    def nodes_with(self, kinds: tuple[type, ...]) -> list[int]:
        """The nodes whose head is one of ``kinds`` (subclasses included)."""
        wanted = {h for h in set(self.heads) if h is not None and issubclass(h, kinds)}
        if not wanted:
            return []
        return [i for i, h in enumerate(self.heads) if h in wanted]

    def tree_size(self, stop: int | None = None) -> int:
        """Nodes of the root's expression printed as a tree; stops once it exceeds ``stop``."""
        sizes = [1] * (self.root + 1)
        children = self.children
        for i in self.below(self.root):
            if children[i]:
                sizes[i] = 1 + sum(sizes[c] for c in children[i])
                if stop is not None and sizes[i] > stop:
                    return sizes[i]
        return sizes[self.root]

    def leaf_number(self, atom: sympy.Basic) -> int | None:
        """The node of ``atom`` if the graph has it (nothing is added)."""
        return self._leaf_numbers.get(atom)


class LossField:
    """A dataclass field that takes an expression as SymPy or as an :class:`ExprGraph`.

    Reading the field gives the SymPy expression, made from the graph on the
    first read; :func:`graph_of` gives the graph, made from the SymPy
    expression on the first ask. Each is made at most once per object, and
    assigning the field (``dataclasses.replace``) replaces both.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> sympy.Basic:
        if obj is None:
            raise AttributeError(self.name)  # the field has no default
        state = obj.__dict__
        expression = state.get(f"_{self.name}_sympy")
        if expression is None:
            expression = state[f"_{self.name}_graph"].to_sympy()
            state[f"_{self.name}_sympy"] = expression
        return expression

    def __set__(self, obj: object, value: sympy.Basic | ExprGraph) -> None:
        state = obj.__dict__
        if isinstance(value, ExprGraph):
            state[f"_{self.name}_graph"], state[f"_{self.name}_sympy"] = value, None
        else:
            state[f"_{self.name}_graph"], state[f"_{self.name}_sympy"] = None, value


def graph_of(obj: object, name: str = "loss") -> ExprGraph:
    """The graph of the :class:`LossField` ``name`` of ``obj`` (made once)."""
    state = obj.__dict__
    graph = state.get(f"_{name}_graph")
    if graph is None:
        graph = ExprGraph.from_sympy(state[f"_{name}_sympy"])
        state[f"_{name}_graph"] = graph
    return graph


def is_materialized(obj: object, name: str = "loss") -> bool:
    """Whether the SymPy form of the :class:`LossField` ``name`` of ``obj`` exists yet."""
    return obj.__dict__.get(f"_{name}_sympy") is not None
