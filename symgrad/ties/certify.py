"""The certificate check: every verdict re-verified before it leaves the library.

This module shares no code with the routes that decide (reverse-mode
gradients, the DAG evaluator, the sampler, the canonical numbering). It
re-derives what a verdict claims from the original problem:

- a refutation's witness: the point lies in the tied subspace, matches the
  init, satisfies every assumption, the dataset row and the loss's domain; the
  pair's gradients, re-derived with plain ``sympy.diff`` (PyTorch's kink
  conventions are in the functions' own derivatives), evaluated exactly or
  with intervals at the point, differ and match the values reported; a witness
  after k steps is re-run step by step;
- a proof by permutation: each permutation is re-applied to the loss and the
  result compared with SymPy's canonical form of the loss; its orbits must be
  the tie groups;
- a proof by zero test or a stationary init: cross-examined at fresh random
  rational points, where no difference (no gradient) may be certainly
  nonzero; if one is, the proof was wrong and a refutation takes its place.

A failed re-check never lets the unchecked verdict through: it becomes
``unknown`` with the reason. With ``SYMGRAD_STRICT_CERTIFICATES=1`` (the test
suite sets it) a failure raises :class:`CertificateFailure` instead, so that
a test fails.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Mapping
from fractions import Fraction

import mpmath
import sympy
from mpmath.ctx_iv import MPIntervalContext

from symgrad.errors import BudgetError
from symgrad.exact import functions as fn
from symgrad.runtime.budget import Budget

BITS = 200
CROSS_POINTS = 3


class CertificateFailure(AssertionError):
    """An independent re-check contradicted a verdict (raised in strict mode)."""


class _Inconclusive(Exception):
    """The independent evaluation could not decide (an interval straddles a jump)."""


def strict() -> bool:
    return os.environ.get("SYMGRAD_STRICT_CERTIFICATES") == "1"


# ---------------------------------------------------------------- independent arithmetic
_IV = MPIntervalContext()
_IV.prec = BITS


def _iv(value) -> object:
    if isinstance(value, Fraction):
        return _IV.mpf(value.numerator) / value.denominator
    return value


def _is_exact(value) -> bool:
    return isinstance(value, Fraction)


def _certainly_nonzero(value) -> bool:
    if _is_exact(value):
        return value != 0
    return value.a > 0 or value.b < 0


def _certainly_apart(a, b) -> bool:
    if _is_exact(a) and _is_exact(b):
        return a != b
    gap = _iv(a) - _iv(b)
    return gap.a > 0 or gap.b < 0


def _overlap(a, b) -> bool:
    if _is_exact(a) and _is_exact(b):
        return a == b
    return not _certainly_apart(a, b)


def _monotone(function, x, increasing=True):
    value = _iv(x)
    with mpmath.workprec(BITS + 40):
        low, high = function(mpmath.mpf(value.a)), function(mpmath.mpf(value.b))
    if not increasing:
        low, high = high, low
    pad = mpmath.ldexp(1, -BITS + 8)
    return _IV.mpf([low - pad * (1 + abs(low)), high + pad * (1 + abs(high))])


def _step(x, at_zero, below):
    if _is_exact(x):
        return Fraction(1) if x > 0 else (below if x < 0 else at_zero)
    if x.a > 0:
        return Fraction(1)
    if x.b < 0:
        return below
    raise _Inconclusive("a step at an argument that may be 0")


def _share(k, values, pick_max):
    if all(_is_exact(v) for v in values):
        best = max(values) if pick_max else min(values)
        if values[k] != best:
            return Fraction(0)
        return Fraction(1, sum(1 for v in values if v == best))
    raise _Inconclusive("max/min of arguments that may tie")


def _sign_of(a, b) -> int:
    if _is_exact(a) and _is_exact(b):
        return (a > b) - (a < b)
    gap = _iv(a) - _iv(b)
    if gap.a > 0:
        return 1
    if gap.b < 0:
        return -1
    raise _Inconclusive("a comparison of values that may be equal")


class _Enclose:
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
        raise _Inconclusive("outside every piece")

    def _value(self, node):
        memo = self.memo
        if node.is_Rational:
            return Fraction(int(node.p), int(node.q))
        if node.is_Symbol:
            if node not in self.point:
                raise _Inconclusive(f"no value for {node}")
            value = self.point[node]
            if isinstance(value, sympy.Basic):
                return _Enclose({})(value)
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
                total = total + a if _is_exact(total) and _is_exact(a) else _iv(total) + _iv(a)
            return total
        if isinstance(node, sympy.Mul):
            total = Fraction(1)
            for a in args:
                if _is_exact(a) and a == 0:
                    return Fraction(0)
                total = total * a if _is_exact(total) and _is_exact(a) else _iv(total) * _iv(a)
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
        if _is_exact(exponent) and exponent.denominator == 1:
            if _is_exact(base):
                if base == 0 and exponent < 0:
                    raise _Inconclusive("division by zero")
                return base**exponent.numerator
            if exponent < 0 and base.a <= 0 <= base.b:
                raise _Inconclusive("division by an interval containing 0")
            return _iv(base) ** int(exponent)
        b = _iv(base)
        if b.a > 0:
            return _IV.exp(_iv(exponent) * _IV.log(b))
        if _is_exact(base) and base == 0 and _is_exact(exponent) and exponent > 0:
            return Fraction(0)
        raise _Inconclusive("a power of a number that may be negative")

    @staticmethod
    def _function(node, args):
        x = args[0] if args else None
        kind = type(node)
        if kind is sympy.exp:
            return Fraction(1) if x == 0 else _IV.exp(_iv(x))
        if kind is sympy.log:
            if x == 1:
                return Fraction(0)
            if not _iv(x).a > 0:
                raise _Inconclusive("log of a number that may be <= 0")
            return _IV.log(_iv(x))
        if kind in (sympy.sin, sympy.cos):
            if x == 0:
                return Fraction(0) if kind is sympy.sin else Fraction(1)
            return (_IV.sin if kind is sympy.sin else _IV.cos)(_iv(x))
        if kind is sympy.tan:
            cosine = _IV.cos(_iv(x))
            if cosine.a <= 0 <= cosine.b:
                raise _Inconclusive("tan at a pole")
            return _IV.sin(_iv(x)) / cosine
        if kind in (sympy.tanh, sympy.sinh, sympy.cosh, sympy.sech):
            if x == 0:
                return Fraction(0) if kind in (sympy.tanh, sympy.sinh) else Fraction(1)
            e = _IV.exp(_iv(x))
            inverse = _IV.exp(-_iv(x))
            if kind is sympy.tanh:
                return (e - inverse) / (e + inverse)
            if kind is sympy.sinh:
                return (e - inverse) / 2
            if kind is sympy.cosh:
                return (e + inverse) / 2
            return 2 / (e + inverse)
        if kind is fn.sigmoid:
            return Fraction(1, 2) if x == 0 else 1 / (1 + _IV.exp(-_iv(x)))
        if kind is fn.softplus:
            return _IV.log(1 + _IV.exp(_iv(x)))
        if kind is fn.relu:
            if _is_exact(x):
                return max(x, Fraction(0))
            return _IV.mpf([max(x.a, 0), max(x.b, 0)])
        if kind is sympy.Abs:
            return (
                abs(x)
                if _is_exact(x)
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
            if all(_is_exact(a) for a in args):
                return max(args) if pick_max else min(args)
            ivs = [_iv(a) for a in args]
            lows = [i.a for i in ivs]
            highs = [i.b for i in ivs]
            return _IV.mpf(
                [max(lows) if pick_max else min(lows), max(highs) if pick_max else min(highs)]
            )
        if kind in (fn.argmax_share, fn.argmin_share):
            return _share(int(args[0]), args[1:], kind is fn.argmax_share)
        if kind is sympy.asin:
            return _monotone(mpmath.asin, x)
        if kind is sympy.acos:
            return _monotone(mpmath.acos, x, increasing=False)
        if kind is sympy.atan:
            return _monotone(mpmath.atan, x)
        if kind is sympy.DiracDelta:
            return Fraction(0)
        raise _Inconclusive(f"no independent evaluation of {kind.__name__}")


def _value(expr: sympy.Basic, point: Mapping[sympy.Symbol, object] | None = None):
    with mpmath.workprec(BITS):
        return _Enclose(point or {})(expr)


def _replace(expr: sympy.Basic, mapping: Mapping, evaluate: bool = True) -> sympy.Basic:
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


def _permuted(expr: sympy.Basic, sigma: Mapping, index: dict | None = None) -> sympy.Basic:
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


def _derivative(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    derivative = sympy.diff(expr, symbol)
    if derivative.has(sympy.DiracDelta):
        derivative = derivative.replace(
            lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero
        )
    return sympy.sympify(derivative)


def _equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    if a == b:
        return True
    difference = sympy.sympify(a) - sympy.sympify(b)
    if difference == 0:
        return True
    try:
        value = _value(difference)
    except _Inconclusive:
        return sympy.simplify(difference) == 0
    if _is_exact(value):
        return value == 0
    if _certainly_nonzero(value):
        return False
    return sympy.simplify(difference) == 0


def _holds(condition: sympy.Basic, point: Mapping) -> bool:
    """The relation holds at the point (decided exactly or with intervals)."""
    value = _replace(condition, point)
    if value in (sympy.true, sympy.false):
        return bool(value)
    if isinstance(value, sympy.Eq):
        return _equal(value.lhs, value.rhs)
    try:
        return _value(value) is True
    except _Inconclusive:
        return False


# ---------------------------------------------------------------- refutations
class _Check:
    """The re-check of one verdict; failures are collected as reasons."""

    def __init__(self, result, budget: Budget, problem=None):
        self.result = result
        self.problem = problem if problem is not None else result.problem
        self.budget = budget

    def loss(self, instance: Mapping[str, str] | None = None) -> sympy.Expr:
        loss = self.problem.loss
        for name, text in (instance or {}).items():
            from symgrad.text.parse import parse_expression

            t = sympy.Symbol("t", real=True)
            body = parse_expression(text).xreplace({sympy.Symbol("t", real=True): t})
            function = sympy.Function(name, real=True)
            loss = loss.replace(function, sympy.Lambda(t, body))
        return loss

    def symbols(self) -> dict[str, sympy.Symbol]:
        return {str(s): s for s in (*self.problem.parameters, *self.problem.data)}

    # point checks --------------------------------------------------------
    def point_of(self, witness) -> dict[sympy.Symbol, sympy.Expr]:
        names = self.symbols()
        point = {}
        for name, value in witness.point.items():
            if name not in names:
                raise CertificateFailure(f"the witness names {name}, which is not in the problem")
            point[names[name]] = sympy.sympify(value)
        missing = [p for p in self.problem.parameters if p not in point]
        if missing:
            raise CertificateFailure(f"the witness gives no value for {missing[0]}")
        return point

    def in_tied_subspace(self, point) -> None:
        for group in self.problem.ties:
            first = point[group[0]]
            for p in group[1:]:
                if not _equal(point[p], first):
                    raise CertificateFailure(
                        f"the witness point is not in the tied subspace: {group[0]} = {first} "
                        f"but {p} = {point[p]}"
                    )

    def at_init(self, point, witness) -> None:
        init = self.problem.init or {}
        values = {
            sympy.Symbol(k, real=True): sympy.sympify(v) for k, v in witness.init_values.items()
        }
        for p, value in init.items():
            expected = _replace(value, values)
            if expected.free_symbols:
                raise CertificateFailure(f"the init value of {p} is not fixed by the witness")
            if not _equal(point[p], expected):
                raise CertificateFailure(
                    f"the witness starts {p} at {point[p]}, but the init gives {expected}"
                )

    def admissible(self, point) -> None:
        problem = self.problem
        conditions = list(problem.assumptions.booleans()) + [c.as_boolean() for c in problem.domain]
        for condition in conditions:
            if problem.dataset is not None and condition.free_symbols & set(problem.data):
                continue  # the dataset rows were checked against the assumptions on input
            if condition.free_symbols - set(point):
                continue
            if not _holds(condition, point):
                raise CertificateFailure(
                    f"the witness point violates {condition} (an assumption or the loss's domain)"
                )

    def rows(self, witness) -> list[dict]:
        problem = self.problem
        if problem.dataset is None:
            return [{}]
        if witness.sample is not None:
            return [dict(problem.dataset[witness.sample])]
        if problem.mode == "full-batch":
            return [dict(row) for row in problem.dataset]
        raise CertificateFailure("an SGD witness must name its dataset row")

    # gradients -------------------------------------------------------------
    def gradient_value(self, loss, point, p, rows):
        """dJ/dp at the point, summed over ``rows``: sympy.diff, then exact or intervals."""
        total = Fraction(0)
        for row in rows:
            self.budget.check("the certificate check")
            fixed = {s: v for s, v in {**point, **row}.items() if s != p}
            derivative = _replace(_derivative(_replace(loss, fixed), p), {p: point[p]})
            value = _value(derivative)
            total = (
                total + value if _is_exact(total) and _is_exact(value) else _iv(total) + _iv(value)
            )
        return total

    def pair_gradients(self, loss, point, pair, rows):
        with mpmath.workprec(BITS):
            return [self.gradient_value(loss, point, p, rows) for p in pair]

    def row_groups(self) -> list[list[dict]]:
        """The rows one step sees: no dataset, each row (SGD) or all rows (full batch)."""
        problem = self.problem
        if problem.dataset is None:
            return [[{}]]
        rows = [dict(r) for r in problem.dataset]
        return [[r] for r in rows] if problem.mode == "sgd" else [rows]

    def refutation(self) -> str:
        witness = self.result.witness
        if witness is None:
            raise CertificateFailure("a refutation without a witness")
        point = self.point_of(witness)
        self.in_tied_subspace(point)
        self.at_init(point, witness)
        self.admissible(point)
        names = self.symbols()
        pair = tuple(names[n] for n in witness.pair)
        if not any(set(pair) <= set(group) for group in self.problem.ties):
            raise CertificateFailure(f"{pair[0]} and {pair[1]} are not tied")
        loss = self.loss(witness.instance)
        rows = self.rows(witness)
        if witness.steps > 1:
            return self.trajectory(loss, point, pair, rows, witness)
        try:
            g = self.pair_gradients(loss, point, pair, rows)
        except _Inconclusive as error:
            raise CertificateFailure(f"the witness could not be re-evaluated: {error}") from None
        if not _certainly_apart(g[0], g[1]):
            raise CertificateFailure(
                f"re-derived with sympy.diff, the gradients of {pair[0]} and {pair[1]} at the "
                "witness are not certainly different"
            )
        for name, value in zip(witness.pair, g):
            reported = sympy.sympify(witness.gradients[name])
            try:
                shown = _value(reported)
            except _Inconclusive:
                continue
            if not _overlap(shown, value):
                raise CertificateFailure(
                    f"the reported gradient of {name} ({reported}) is not the re-derived value"
                )
        kind = "exactly" if all(_is_exact(v) for v in g) else "with interval arithmetic"
        return (
            "the witness was re-checked independently: point in the tied subspace, at the "
            "init, admissible; the pair's gradients re-derived with sympy.diff and "
            f"evaluated {kind} differ"
        )

    def trajectory(self, loss, point, pair, rows, witness) -> str:
        """Re-run the k steps of a multi-step witness with independent arithmetic."""
        problem = self.problem
        eta = Fraction(str(witness.eta))
        data = {s: v for s, v in point.items() if s in set(problem.data)}
        if problem.dataset is not None and problem.mode == "full-batch":
            step_rows = [dict(r) for r in problem.dataset]
        else:
            step_rows = [data]
        theta = {p: _value(point[p]) for p in problem.parameters}
        derivatives = {}
        for row_index, row in enumerate(step_rows):
            reduced = _replace(loss, row)
            derivatives[row_index] = {p: _derivative(reduced, p) for p in problem.parameters}
        with mpmath.workprec(BITS):
            for _ in range(witness.steps):
                self.budget.check("the certificate check")
                new = {}
                for p in problem.parameters:
                    total = Fraction(0)
                    for row_index in derivatives:
                        g = _Enclose(theta)(derivatives[row_index][p])
                        total = (
                            total + g if _is_exact(total) and _is_exact(g) else _iv(total) + _iv(g)
                        )
                    step = eta * total if _is_exact(total) else _iv(eta) * total
                    new[p] = (
                        theta[p] - step
                        if _is_exact(theta[p]) and _is_exact(step)
                        else _iv(theta[p]) - _iv(step)
                    )
                theta = new
        if not _certainly_apart(theta[pair[0]], theta[pair[1]]):
            raise CertificateFailure(
                f"re-running {witness.steps} steps, {pair[0]} and {pair[1]} are not certainly apart"
            )
        return (
            f"the {witness.steps}-step witness was re-run independently (sympy.diff, exact or "
            "interval arithmetic): the pair is apart after the last step"
        )

    # proofs -----------------------------------------------------------------
    def permutation(self) -> str:
        problem = self.problem
        symmetries = self.result.symmetries
        if not symmetries:
            raise CertificateFailure("a permutation proof without its permutations")
        for branch in self.result.branches or (None,):
            loss = problem.loss
            if branch is not None and branch.substitution:
                self.branch_solves(branch)
                loss = _replace(loss, branch.substitution)
            index = node_index(loss)
            valid = [s for s in symmetries if self.leaves_unchanged(loss, s, index)]
            if not valid:
                raise CertificateFailure("no permutation leaves the loss unchanged when re-applied")
            self.orbits_are_groups(valid)
        return (
            "the permutations were re-applied to the loss and compared with SymPy's canonical "
            "form; their orbits are the tie groups"
        )

    def leaves_unchanged(self, loss, sigma, index: dict | None = None) -> bool:
        params = set(self.problem.parameters)
        if set(sigma) != set(sigma.values()) or not set(sigma) <= params:
            raise CertificateFailure("a claimed permutation is not a permutation of parameters")
        block = {p: i for i, g in enumerate(self.problem.partition()) for p in g}
        if any(block[a] != block[b] for a, b in sigma.items()):
            raise CertificateFailure("a claimed permutation moves a parameter out of its group")
        self.budget.check("the certificate check")
        if _permuted(loss, sigma, index) is loss:
            return True
        return _replace(loss, sigma) == loss

    def orbits_are_groups(self, generators) -> None:
        orbit = {p: {p} for p in self.problem.parameters}
        changed = True
        while changed:
            changed = False
            for sigma in generators:
                for a, b in sigma.items():
                    if orbit[a] is not orbit[b]:
                        merged = orbit[a] | orbit[b]
                        for p in merged:
                            orbit[p] = merged
                        changed = True
        for group in self.problem.ties:
            if orbit[group[0]] != set(group):
                raise CertificateFailure(
                    f"the permutations' orbit of {group[0]} is not its tie group"
                )

    def orbits_are_blocks(self, generators, blocks) -> None:
        orbit = {p: {p} for p in self.problem.parameters}
        for sigma in generators:
            for a, b in sigma.items():
                if orbit[a] is not orbit[b]:
                    merged = orbit[a] | orbit[b]
                    for p in merged:
                        orbit[p] = merged
        for block in blocks:
            if orbit[block[0]] != set(block):
                raise CertificateFailure(f"the swaps' orbit of {block[0]} is not its group")

    def invariant_set(self, groups, pinned, points: int = CROSS_POINTS) -> int:
        """At random points of S: equal gradients within groups, zero gradients where pinned."""
        problem = self.problem
        rng = random.Random(7)
        checked = 0
        loss = problem.loss
        for _ in range(points * 3):
            if checked >= points or self.budget.remaining() < 0.05:
                break
            point = {}
            for group in groups:
                value = pinned.get(group[0], sympy.Rational(rng.randint(-9, 9), rng.randint(1, 4)))
                for p in group:
                    point[p] = pinned.get(p, value)
            if problem.dataset is None:
                for s in problem.data:
                    point[s] = sympy.Rational(rng.randint(-9, 9), rng.randint(1, 4))
            try:
                for use in self.row_groups():
                    with mpmath.workprec(BITS):
                        values = {}
                        for group in groups:
                            for p in group:
                                if len(group) > 1 or p in pinned:
                                    values[p] = self.gradient_value(loss, point, p, use)
                        for group in groups:
                            for p in group[1:]:
                                if _certainly_apart(values[group[0]], values[p]):
                                    raise CertificateFailure(
                                        f"{group[0]} and {p} have different gradients on the set"
                                    )
                        for p in pinned:
                            if _certainly_nonzero(values[p]):
                                raise CertificateFailure(f"the pinned {p} has a nonzero gradient")
            except _Inconclusive:
                continue
            checked += 1
        return checked

    def split(self, witness) -> None:
        """Re-run a split witness of collapse: the pair is apart after its steps."""
        from types import SimpleNamespace

        problem = self.problem
        names = self.symbols()
        point = {names[k]: sympy.sympify(v) for k, v in witness.point.items() if k in names}
        rows = [{}]
        if problem.dataset is not None and problem.mode == "full-batch":
            rows = [dict(r) for r in problem.dataset]
        pair = tuple(names[n] for n in witness.pair)
        fake = SimpleNamespace(steps=witness.steps, eta=witness.eta or sympy.Rational(1, 10))
        if witness.steps == 1:
            g = self.pair_gradients(problem.loss, point, pair, rows)
            if not _certainly_apart(g[0], g[1]):
                raise CertificateFailure(f"the split witness for {pair[0]} / {pair[1]} fails")
            return
        self.trajectory(problem.loss, point, pair, rows, fake)

    def branch_solves(self, branch) -> None:
        for lhs, rhs in self.problem.equations:
            value = _replace(lhs - rhs, branch.substitution)
            if value != 0 and sympy.simplify(value) != 0:
                raise CertificateFailure(f"an assumption branch does not solve {lhs} = {rhs}")

    def cross_examination(self, seed: int = 20240531) -> tuple[str, object | None]:
        """Fresh random rational points of T (per branch): no difference certainly nonzero."""
        problem = self.problem
        rng = random.Random(seed)
        stationary = self.result.kind == "stationary"
        loss = problem.loss
        checked = 0
        for branch in self.result.branches or (None,):
            for _ in range(CROSS_POINTS):
                if self.budget.remaining() < 0.05:
                    break
                point = self.random_point(rng, branch)
                if point is None:
                    continue
                try:
                    failure = self.examine(loss, point, stationary)
                except (_Inconclusive, ZeroDivisionError, ValueError, OverflowError):
                    continue
                checked += 1
                if failure is not None:
                    return "", (point, failure)
        what = "every gradient at the init" if stationary else "every gradient difference"
        return (
            f"cross-examined at {checked} fresh random rational point{'s' if checked != 1 else ''}"
            f" (sympy.diff, exact or interval arithmetic): {what} is consistent with 0"
        ), None

    def random_point(self, rng, branch):
        problem = self.problem
        values: dict[sympy.Symbol, sympy.Expr] = {}
        stationary = self.result.kind == "stationary"
        init_symbols = {
            s: sympy.Rational(rng.randint(-9, 9), rng.randint(1, 4)) for s in problem.init_symbols
        }
        for group in problem.partition():
            if stationary and problem.init:
                value = _replace(problem.init[group[0]], init_symbols)
            else:
                value = sympy.Rational(rng.randint(-9, 9), rng.randint(1, 4))
            for p in group:
                values[p] = value
        integers = {
            n: sympy.Integer(rng.randint(-2, 2)) for n in (branch.integers if branch else ())
        }
        if problem.dataset is None:
            for s in problem.data:
                sign = problem.signs.get(s)
                value = sympy.Rational(rng.randint(1, 9), rng.randint(1, 4))
                if sign in ("negative", "nonpositive") or (sign is None and rng.random() < 0.5):
                    value = -value
                values[s] = value
            if branch is not None:
                for s, expr in branch.substitution.items():
                    values[s] = _replace(expr, {**values, **integers})
        for condition in [
            *problem.assumptions.booleans(),
            *(c.as_boolean() for c in problem.domain),
        ]:
            if problem.dataset is not None and condition.free_symbols & set(problem.data):
                continue
            if not _holds(condition, values):
                return None
        return values

    def examine(self, loss, point, stationary):
        """A gradient (stationary) or a pair's difference certainly nonzero here, or None."""
        problem = self.problem
        for use in self.row_groups():
            if stationary:
                for p in problem.parameters:
                    with mpmath.workprec(BITS):
                        value = self.gradient_value(loss, point, p, use)
                    if _certainly_nonzero(value):
                        return ((p, p), use, [value, Fraction(0)])
                continue
            for pair in problem.tied_pairs:
                g = self.pair_gradients(loss, point, pair, use)
                if _certainly_apart(g[0], g[1]):
                    return (pair, use, g)
        return None

    def refutation_from(self, point, failure):
        """A proof that failed cross-examination: the refutation it found, checked."""
        from symgrad.results import Witness

        problem = self.problem
        if problem.init or self.result.kind == "stationary":
            return None
        (first, second), rows, g = failure
        sample = None
        if problem.dataset is not None and problem.mode == "sgd":
            sample = next(i for i, r in enumerate(problem.dataset) if dict(r) == rows[0])
        shown = [
            sympy.Rational(v.numerator, v.denominator)
            if _is_exact(v)
            else sympy.Float(mpmath.mpf(v.mid), 15)
            for v in g
        ]
        witness = Witness(
            pair=(str(first), str(second)),
            point={
                str(s): v
                for s, v in point.items()
                if problem.dataset is None or s in set(problem.parameters)
            },
            gradients={str(first): shown[0], str(second): shown[1]},
            difference=shown[0] - shown[1],
            after_step={},
            certified_by="exact rational arithmetic"
            if all(_is_exact(v) for v in g)
            else "interval arithmetic",
            sample=sample,
            note="found by the independent cross-examination of a zero-test proof that was wrong",
        )
        return witness


def _failed(result, reason: str):
    if strict():
        raise CertificateFailure(f"{result.verdict} failed its certificate check: {reason}")
    return dataclasses.replace(
        result,
        verdict="unknown",
        reason=f"the independent certificate check failed ({reason}), so the "
        f"{result.verdict} verdict is withheld",
        certificate="failed: " + reason,
        witness=None if result.verdict == "refuted" else result.witness,
    )


def certify_proof(result, budget: Budget):
    """Re-verify a ProofResult independently; a failure turns it into ``unknown``."""
    if result.verdict not in ("proven", "refuted"):
        return result
    check = _Check(result, budget.share(1.0) if budget.remaining() > 0 else Budget(1.0))
    try:
        if result.verdict == "refuted":
            return dataclasses.replace(result, certificate=check.refutation())
        if result.kind == "permutation":
            return dataclasses.replace(result, certificate=check.permutation())
        text, failure = check.cross_examination()
        if failure is None:
            return dataclasses.replace(result, certificate=text)
        witness = check.refutation_from(*failure)
        reason = "a fresh point of the tied subspace has different gradients"
        if witness is None:
            return _failed(result, reason)
        if strict():
            raise CertificateFailure(f"proven failed its certificate check: {reason}")
        refuted = dataclasses.replace(
            result,
            verdict="refuted",
            witness=witness,
            kind="cross-examination",
            method="exact evaluation at a point found by the certificate check",
            notes=result.notes + ("the zero-test proof failed its independent re-check",),
        )
        return dataclasses.replace(refuted, certificate=_Check(refuted, budget).refutation())
    except CertificateFailure as error:
        return _failed(result, str(error))
    except BudgetError:
        return _failed(result, "the independent re-check ran out of time")
    except (_Inconclusive, RecursionError) as error:
        return _failed(result, f"the independent re-check could not evaluate ({error})")


def certify_collapse(result, problem, groups, pinned, budget: Budget):
    """Re-verify a collapse: the invariant set re-examined, each split witness re-run."""
    check = _Check(None, budget, problem)
    try:
        if result.method.startswith("permutation"):
            index = node_index(problem.loss)
            valid = [
                s for s in problem.symmetries if check.leaves_unchanged(problem.loss, s, index)
            ]
            check.orbits_are_blocks(valid, groups)
            text = "the neuron swaps were re-applied to the loss; their orbits are the groups"
        else:
            checked = check.invariant_set(groups, pinned)
            text = (
                f"cross-examined at {checked} fresh points of the invariant set (sympy.diff, "
                "exact or interval arithmetic)"
            )
        for witness in result.witnesses:
            if witness.point is not None:
                check.split(witness)
        if any(w.point is not None for w in result.witnesses):
            text += "; every split witness was re-run"
        return dataclasses.replace(result, certificate=text)
    except CertificateFailure as error:
        if strict():
            raise
        return dataclasses.replace(
            result,
            verdict="unknown",
            certificate=f"failed: {error}",
            reason=f"the independent certificate check failed ({error})",
        )
    except (BudgetError, _Inconclusive) as error:
        if strict() and not isinstance(error, BudgetError):
            raise CertificateFailure(str(error)) from None
        return dataclasses.replace(
            result,
            verdict="unknown",
            certificate="failed: the re-check did not finish",
            reason=f"the independent certificate check did not finish ({error})",
        )


def certify_values(
    loss: sympy.Expr,
    point: Mapping[sympy.Symbol, sympy.Expr],
    parameter: sympy.Symbol,
    claimed: sympy.Expr,
) -> tuple[object, object]:
    """(claimed value, true dJ/dp) at the point, re-derived with sympy.diff (for check).

    Raises CertificateFailure ("could not evaluate ...") where either has no real value.
    """
    try:
        return _certified_values(loss, point, parameter, claimed)
    except _Inconclusive as error:
        raise CertificateFailure(f"could not evaluate independently ({error})") from None


def _certified_values(loss, point, parameter, claimed) -> tuple[object, object]:
    if _has_undefined(loss) or _has_undefined(claimed):
        return _values_with_undefined(loss, point, parameter, claimed)
    with mpmath.workprec(BITS):
        fixed = {s: v for s, v in point.items() if s != parameter}
        reduced = _replace(loss, fixed)
        true = _value(
            _replace(_derivative(reduced, parameter), {parameter: point.get(parameter, parameter)})
        )
        claim = _value(_replace(claimed, point))
    return claim, true


def _has_undefined(expr: sympy.Basic) -> bool:
    from sympy.core.function import AppliedUndef

    return bool(sympy.sympify(expr).atoms(AppliedUndef))


def _values_with_undefined(loss, point, parameter, claimed) -> tuple[object, object]:
    """For arbitrary functions f: dJ/dp by sympy.diff, then every value f^(k)(c) that appears
    gets one rational value, the same in the claim and in the derivative (values and
    derivatives of a smooth function at given points can be chosen freely)."""
    true = sympy.diff(sympy.sympify(loss), parameter).subs(point)
    claim = sympy.sympify(claimed).subs(point)
    table: dict = {}
    with mpmath.workprec(BITS):
        return _value(_instantiated(claim, table)), _value(_instantiated(true, table))


def _instantiated(expr: sympy.Basic, table: dict) -> sympy.Basic:
    from sympy.core.function import AppliedUndef

    replacements = {}
    for node in sympy.preorder_traversal(expr):
        key = _undefined_key(node, AppliedUndef)
        if key is not None:
            if key not in table:
                digest = sum(ord(c) for c in str(key)) * 7919 + len(table)
                table[key] = sympy.Rational(digest % 97 - 48, 17 + digest % 13)
            replacements[node] = table[key]
    result = expr.xreplace(replacements)
    if result.atoms(AppliedUndef, sympy.Derivative, sympy.Subs):
        raise _Inconclusive("a value of an arbitrary function could not be isolated")
    return result


def _undefined_key(node, applied_undef) -> tuple | None:
    """(name, order, point) for f(c) or f^(k)(c) at a number c; None otherwise."""
    if isinstance(node, applied_undef) and len(node.args) == 1 and node.args[0].is_number:
        return (node.func.__name__, 0, node.args[0])
    if isinstance(node, sympy.Subs):
        inner, variables, points = node.args
        if (
            isinstance(inner, sympy.Derivative)
            and isinstance(inner.expr, applied_undef)
            and len(variables) == 1
            and inner.expr.args == tuple(variables)
            and points[0].is_number
        ):
            order = sum(int(count) for _, count in inner.variable_count)
            return (inner.expr.func.__name__, order, points[0])
    return None


def differ(a, b) -> bool:
    return _certainly_apart(a, b)


def same(a, b) -> bool:
    return not _certainly_apart(a, b)


def value_of(expr: sympy.Basic, point: Mapping | None = None):
    """An independent exact or interval value (raises CertificateFailure if undecidable)."""
    try:
        return _value(_replace(expr, point or {}))
    except _Inconclusive as error:
        raise CertificateFailure(str(error)) from None


def derivative(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    return _derivative(expr, symbol)


def holds(condition: sympy.Basic, point: Mapping) -> bool:
    return _holds(condition, point)


__all__ = [
    "CertificateFailure",
    "certify_proof",
    "certify_values",
    "derivative",
    "differ",
    "holds",
    "same",
    "strict",
    "value_of",
]
