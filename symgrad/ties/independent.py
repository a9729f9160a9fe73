"""The certificate check's own arithmetic, sharing nothing with the deciding routes.

An interval enclosure at 200 bits (:class:`Enclose`, with its own function table
and PyTorch's kink conventions), plain ``sympy.diff`` derivatives, substitution,
re-application of a permutation to a SymPy loss, and the node-by-node check of
a permutation's node map on a loss graph (:func:`node_map_holds`, with its own
walk of the graph). The deciding routes use reverse-mode gradients over the
DAG, the DAG evaluator, the sampler and the graph's canonical lookup; nothing
here calls them. A value is "certainly nonzero" only when it is an exact
nonzero rational or an interval that excludes 0.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from fractions import Fraction

import mpmath
import sympy
from mpmath.ctx_iv import MPIntervalContext

from symgrad.exact import functions as fn

BITS = 200


class CertificateFailure(AssertionError):
    """An independent re-check contradicted a verdict (raised in strict mode)."""


class Inconclusive(Exception):
    """The independent evaluation could not decide (an interval straddles a jump)."""


# ---------------------------------------------------------------- independent arithmetic
_IV = MPIntervalContext()
_IV.prec = BITS


def interval(value) -> object:
    if isinstance(value, Fraction):
        return _IV.mpf(value.numerator) / value.denominator
    return value


def is_exact(value) -> bool:
    return isinstance(value, Fraction)


def certainly_nonzero(value) -> bool:
    if is_exact(value):
        return value != 0
    return value.a > 0 or value.b < 0


def certainly_apart(a, b) -> bool:
    if is_exact(a) and is_exact(b):
        return a != b
    gap = interval(a) - interval(b)
    return gap.a > 0 or gap.b < 0


def overlap(a, b) -> bool:
    if is_exact(a) and is_exact(b):
        return a == b
    return not certainly_apart(a, b)


def _monotone(function, x, increasing=True):
    value = interval(x)
    with mpmath.workprec(BITS + 40):
        low, high = function(mpmath.mpf(value.a)), function(mpmath.mpf(value.b))
    if not increasing:
        low, high = high, low
    pad = mpmath.ldexp(1, -BITS + 8)
    return _IV.mpf([low - pad * (1 + abs(low)), high + pad * (1 + abs(high))])


def _step(x, at_zero, below):
    if is_exact(x):
        return Fraction(1) if x > 0 else (below if x < 0 else at_zero)
    if x.a > 0:
        return Fraction(1)
    if x.b < 0:
        return below
    raise Inconclusive("a step at an argument that may be 0")


def _share(k, values, pick_max):
    if all(is_exact(v) for v in values):
        best = max(values) if pick_max else min(values)
        if values[k] != best:
            return Fraction(0)
        return Fraction(1, sum(1 for v in values if v == best))
    raise Inconclusive("max/min of arguments that may tie")


def _sign_of(a, b) -> int:
    if is_exact(a) and is_exact(b):
        return (a > b) - (a < b)
    gap = interval(a) - interval(b)
    if gap.a > 0:
        return 1
    if gap.b < 0:
        return -1
    raise Inconclusive("a comparison of values that may be equal")


class Enclose:
    """Values of SymPy expressions at a point: exact Fractions, else mpmath intervals."""

    def __init__(self, point: Mapping[sympy.Symbol, object]):
        self.point = dict(point)
        self.memo: dict[sympy.Basic, object] = {}

    def __call__(self, expr: sympy.Basic):
        stack = [(expr, False)]
        memo = self.memo
        while stack:
            node, ready = stack.pop()
            if node in memo:
                continue
            if isinstance(node, sympy.Piecewise):
                memo[node] = self._piecewise(node)
                continue
            if ready or not node.args:
                memo[node] = self._value(node)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in memo)
        return memo[expr]

    def _piecewise(self, node):
        for expr, condition in node.args:
            if self(condition) is True:
                return self(expr)
        raise Inconclusive("outside every piece")

    def _value(self, node):
        memo = self.memo
        if node.is_Rational:
            return Fraction(int(node.p), int(node.q))
        if node.is_Symbol:
            if node not in self.point:
                raise Inconclusive(f"no value for {node}")
            value = self.point[node]
            if isinstance(value, sympy.Basic):
                return Enclose({})(value)
            return value
        if node is sympy.pi:
            return _IV.pi
        if node is sympy.E:
            return _IV.e
        if node in (sympy.true, sympy.false):
            return bool(node)
        args = [memo[a] for a in node.args]
        if isinstance(node, sympy.Add):
            total = Fraction(0)
            for a in args:
                total = (
                    total + a if is_exact(total) and is_exact(a) else interval(total) + interval(a)
                )
            return total
        if isinstance(node, sympy.Mul):
            total = Fraction(1)
            for a in args:
                if is_exact(a) and a == 0:
                    return Fraction(0)
                total = (
                    total * a if is_exact(total) and is_exact(a) else interval(total) * interval(a)
                )
            return total
        if isinstance(node, sympy.Pow):
            return self._power(*args)
        if isinstance(node, sympy.core.relational.Relational):
            sign = _sign_of(args[0], args[1])
            return {
                "==": sign == 0,
                "!=": sign != 0,
                ">": sign > 0,
                ">=": sign >= 0,
                "<": sign < 0,
                "<=": sign <= 0,
            }[node.rel_op]
        if isinstance(node, sympy.And):
            return all(args)
        if isinstance(node, sympy.Or):
            return any(args)
        if isinstance(node, sympy.Not):
            return not args[0]
        return self._function(node, args)

    @staticmethod
    def _power(base, exponent):
        if is_exact(exponent) and exponent.denominator == 1:
            if is_exact(base):
                if base == 0 and exponent < 0:
                    raise Inconclusive("division by zero")
                return base**exponent.numerator
            if exponent < 0 and base.a <= 0 <= base.b:
                raise Inconclusive("division by an interval containing 0")
            return interval(base) ** int(exponent)
        b = interval(base)
        if b.a > 0:
            return _IV.exp(interval(exponent) * _IV.log(b))
        if is_exact(base) and base == 0 and is_exact(exponent) and exponent > 0:
            return Fraction(0)
        raise Inconclusive("a power of a number that may be negative")

    @staticmethod
    def _function(node, args):
        x = args[0] if args else None
        kind = type(node)
        if kind is sympy.exp:
            return Fraction(1) if x == 0 else _IV.exp(interval(x))
        if kind is sympy.log:
            if x == 1:
                return Fraction(0)
            if not interval(x).a > 0:
                raise Inconclusive("log of a number that may be <= 0")
            return _IV.log(interval(x))
        if kind in (sympy.sin, sympy.cos):
            if x == 0:
                return Fraction(0) if kind is sympy.sin else Fraction(1)
            return (_IV.sin if kind is sympy.sin else _IV.cos)(interval(x))
        if kind is sympy.tan:
            cosine = _IV.cos(interval(x))
            if cosine.a <= 0 <= cosine.b:
                raise Inconclusive("tan at a pole")
            return _IV.sin(interval(x)) / cosine
        if kind in (sympy.tanh, sympy.sinh, sympy.cosh, sympy.sech):
            if x == 0:
                return Fraction(0) if kind in (sympy.tanh, sympy.sinh) else Fraction(1)
            e = _IV.exp(interval(x))
            inverse = _IV.exp(-interval(x))
            if kind is sympy.tanh:
                return (e - inverse) / (e + inverse)
            if kind is sympy.sinh:
                return (e - inverse) / 2
            if kind is sympy.cosh:
                return (e + inverse) / 2
            return 2 / (e + inverse)
        if kind is fn.sigmoid:
            return Fraction(1, 2) if x == 0 else 1 / (1 + _IV.exp(-interval(x)))
        if kind is fn.softplus:
            return _IV.log(1 + _IV.exp(interval(x)))
        if kind is fn.relu:
            if is_exact(x):
                return max(x, Fraction(0))
            return _IV.mpf([max(x.a, 0), max(x.b, 0)])
        if kind is sympy.Abs:
            return (
                abs(x)
                if is_exact(x)
                else _IV.mpf(
                    [0 if x.a <= 0 <= x.b else min(abs(x.a), abs(x.b)), max(abs(x.a), abs(x.b))]
                )
            )
        if kind is sympy.sign:
            return _step(x, Fraction(0), Fraction(-1))
        if kind is sympy.Heaviside:
            return _step(x, args[1] if len(args) > 1 else Fraction(1, 2), Fraction(0))
        if kind in (fn.Max, fn.Min, sympy.Max, sympy.Min):
            pick_max = kind in (fn.Max, sympy.Max)
            if all(is_exact(a) for a in args):
                return max(args) if pick_max else min(args)
            ivs = [interval(a) for a in args]
            lows = [i.a for i in ivs]
            highs = [i.b for i in ivs]
            return _IV.mpf(
                [max(lows) if pick_max else min(lows), max(highs) if pick_max else min(highs)]
            )
        if kind in (fn.argmax_share, fn.argmin_share):
            return _share(int(args[0]), args[1:], kind is fn.argmax_share)
        if kind is fn.clip:
            return _clip(args)
        if kind is sympy.atan2:
            return _atan2(*args)
        if kind in (sympy.factorial, sympy.binomial):
            return _combinatorial(kind, args)
        if kind is sympy.asin:
            return _monotone(mpmath.asin, x)
        if kind is sympy.acos:
            return _monotone(mpmath.acos, x, increasing=False)
        if kind is sympy.atan:
            return _monotone(mpmath.atan, x)
        if kind is sympy.DiracDelta:
            return Fraction(0)
        raise Inconclusive(f"no independent evaluation of {kind.__name__}")


def _clip(args):
    """clip(x, lo[, hi]) = min(max(x, lo), hi), exactly or by interval ends."""
    if all(is_exact(a) for a in args):
        value = max(args[0], args[1])
        return value if len(args) == 2 else min(value, args[2])
    low, high = interval(args[0]), interval(args[1])
    value = _IV.mpf([max(low.a, high.a), max(low.b, high.b)])
    if len(args) == 2:
        return value
    top = interval(args[2])
    return _IV.mpf([min(value.a, top.a), min(value.b, top.b)])


def _atan2(y, x):
    """The angle of (x, y) in (-pi, pi], from the signs of x and y."""
    y, x = interval(y), interval(x)
    if x.a > 0:
        return _monotone(mpmath.atan, y / x)
    if y.a > 0:
        return _IV.pi / 2 - _monotone(mpmath.atan, x / y)
    if y.b < 0:
        return -_IV.pi / 2 - _monotone(mpmath.atan, x / y)
    raise Inconclusive("atan2 where the signs of its arguments are not decided")


def _combinatorial(kind, args):
    import math

    if not all(is_exact(a) and a.denominator == 1 and 0 <= a <= 5000 for a in args):
        raise Inconclusive(f"{kind.__name__} of numbers that are not small nonnegative integers")
    if kind is sympy.factorial:
        return Fraction(math.factorial(int(args[0])))
    return Fraction(math.comb(int(args[0]), int(args[1])))


def value_at(expr: sympy.Basic, point: Mapping[sympy.Symbol, object] | None = None):
    with mpmath.workprec(BITS):
        return Enclose(point or {})(expr)


def replace(expr: sympy.Basic, mapping: Mapping, evaluate: bool = True) -> sympy.Basic:
    """``expr`` with symbols replaced, each shared node rebuilt once (SymPy evaluates)."""
    expr = sympy.sympify(expr)
    memo: dict[sympy.Basic, sympy.Basic] = dict(mapping)
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if not node.args:
            memo[node] = node
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in memo)
            continue
        args = tuple(memo[a] for a in node.args)
        if all(a is b for a, b in zip(args, node.args)):
            memo[node] = node
        elif (
            not evaluate
            and isinstance(node, sympy.Function)
            and not isinstance(
                node, (fn.Max, fn.Min, sympy.Heaviside, fn.argmax_share, fn.argmin_share)
            )
        ):
            memo[node] = node.func(*args, evaluate=False)
        else:
            memo[node] = node.func(*args)
    return memo[expr]


_COMMUTATIVE = (sympy.Add, sympy.Mul, fn.Max, fn.Min)


def _key(node: sympy.Basic, args) -> tuple:
    """A node's head and arguments, as a multiset for + * max min."""
    from collections import Counter

    if isinstance(node, _COMMUTATIVE):
        return (node.func, frozenset(Counter(args).items()))
    return (node.func, tuple(args))


def node_index(expr: sympy.Basic) -> dict:
    """Every compound node of ``expr`` by :func:`_key` (to find sigma's images among them)."""
    index: dict = {}
    stack, seen = [expr], set()
    while stack:
        node = stack.pop()
        if node in seen or not node.args:
            continue
        seen.add(node)
        index.setdefault(_key(node, node.args), node)
        stack.extend(node.args)
    return index


def permuted(expr: sympy.Basic, sigma: Mapping, index: dict | None = None) -> sympy.Basic:
    """sigma(expr), keeping every node whose permuted arguments are the same multiset.

    A node whose permuted arguments are those of a node of ``expr`` (the same tuple, or for
    + * max min the same multiset) becomes that node; otherwise it is rebuilt by SymPy.
    So the result *is* ``expr`` exactly when sigma leaves it unchanged up to the
    order of commutative arguments.
    """
    index = node_index(expr) if index is None else index
    memo: dict[sympy.Basic, sympy.Basic] = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if not node.args:
            memo[node] = sigma.get(node, node)
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in memo)
            continue
        args = [memo[a] for a in node.args]
        if all(a is b for a, b in zip(args, node.args)):
            memo[node] = node
            continue
        found = index.get(_key(node, args))
        if found is not None:
            memo[node] = found
        elif isinstance(node, sympy.Function):
            memo[node] = node.func(*args, evaluate=False)
        else:
            memo[node] = node.func(*args)
    return memo[expr]


def reachable_nodes(graph) -> list[int]:
    """The nodes of an :class:`~symgrad.exact.graph.ExprGraph` reachable from its root
    (a walk of its own: nothing is assumed about how the nodes are numbered)."""
    children = graph.children
    seen = bytearray(len(children))
    seen[graph.root] = 1
    stack = [graph.root]
    found = []
    while stack:
        node = stack.pop()
        found.append(node)
        for child in children[node]:
            if not seen[child]:
                seen[child] = 1
                stack.append(child)
    return found


def node_map_holds(graph, sigma: Mapping, images, nodes: list[int]) -> bool:
    """Whether ``images`` is sigma's action on the loss graph and fixes its root, so sigma(J) = J.

    Checked node by node, without looking anything up: for every node reachable
    from the root (``nodes``), the image of a leaf is the leaf of sigma(its atom);
    the image of any other node has the same head and, as children, the images
    of the node's children (in order, or as a multiset for + * max min); the
    root is its own image. By induction on the tree, the tree at the image of a
    node is sigma of the node's tree up to the order of commutative arguments,
    so sigma(J) is J as a tree up to that order, hence as a function. The
    graph's numbering, its lookup table and the route that found ``images``
    are not relied on; a node the graph keeps opaque is refused.
    """
    heads, children, atoms = graph.heads, graph.children, graph.atoms
    size = len(heads)
    root = graph.root
    try:
        images = array("q", images)  # node numbers only (a forged map may hold anything)
    except (TypeError, ValueError, OverflowError):
        return False
    if len(images) < size or images[root] != root:
        return False
    commutative = set(_COMMUTATIVE)
    opaque = graph.opaque
    image_of = images.__getitem__
    for i in nodes:
        j = images[i]
        if not 0 <= j < size or opaque and (i in opaque or j in opaque):
            return False
        head = heads[i]
        if head is None:
            atom = atoms[i]
            if heads[j] is not None or atoms[j] != sigma.get(atom, atom):
                return False
        elif heads[j] != head:
            return False
        elif head in commutative:
            if sorted(map(image_of, children[i])) != sorted(children[j]):
                return False
        elif tuple(map(image_of, children[i])) != children[j]:
            return False
    return True


def plain_derivative(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    derivative = sympy.diff(expr, symbol)
    if derivative.has(sympy.DiracDelta):
        derivative = derivative.replace(
            lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero
        )
    return sympy.sympify(derivative)


def equal_forms(a: sympy.Expr, b: sympy.Expr) -> bool:
    if a == b:
        return True
    difference = sympy.sympify(a) - sympy.sympify(b)
    if difference == 0:
        return True
    try:
        value = value_at(difference)
    except Inconclusive:
        return sympy.simplify(difference) == 0
    if is_exact(value):
        return value == 0
    if certainly_nonzero(value):
        return False
    return sympy.simplify(difference) == 0


def holds_at(condition: sympy.Basic, point: Mapping) -> bool:
    """The relation holds at the point (decided exactly or with intervals)."""
    value = replace(condition, point)
    if value in (sympy.true, sympy.false):
        return bool(value)
    if isinstance(value, sympy.Eq):
        return equal_forms(value.lhs, value.rhs)
    try:
        return value_at(value) is True
    except Inconclusive:
        return False


def differ(a, b) -> bool:
    return certainly_apart(a, b)


def same(a, b) -> bool:
    return not certainly_apart(a, b)


def value_of(expr: sympy.Basic, point: Mapping | None = None):
    """An independent exact or interval value (raises CertificateFailure if undecidable)."""
    try:
        return value_at(replace(expr, point or {}))
    except Inconclusive as error:
        raise CertificateFailure(str(error)) from None


def derivative(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """The derivative by plain ``sympy.diff`` (the functions' own derivatives hold the kink conventions)."""
    return plain_derivative(expr, symbol)


def holds(condition: sympy.Basic, point: Mapping) -> bool:
    """``condition`` is true at ``point`` (decided exactly or with intervals)."""
    return holds_at(condition, point)
