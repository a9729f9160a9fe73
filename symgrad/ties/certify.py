"""The certificate check: every verdict re-verified before it leaves the library.

This module shares no code with the routes that decide (reverse-mode
gradients, the DAG evaluator, the sampler, the canonical lookup). It
re-derives what a verdict claims from the original problem:

- a refutation's witness: the point lies in the tied subspace, matches the
  init, satisfies every assumption, the dataset row and the loss's domain; the
  pair's gradients, re-derived with plain ``sympy.diff`` (PyTorch's kink
  conventions are in the functions' own derivatives), evaluated exactly or
  with intervals at the point, differ and match the values reported; a witness
  after k steps is re-run step by step;
- a proof by permutation of a loss given as text or SymPy: each permutation is
  re-applied to the SymPy expression and the result compared with SymPy's
  canonical form of the loss (relies on SymPy's expression, not on the graph
  the proof used);
- a proof by permutation of a preset, whose loss is built as an expression
  graph (its SymPy form is written out from the graph): each permutation's
  node map, handed over by the proof, is verified node by node
  (:func:`~symgrad.ties.independent.node_map_holds`: same head, children mapped
  to children as a sequence or, for + * max min, a multiset, leaves to the
  permuted leaves, the root to itself), which by induction shows sigma(J) = J;
  it relies on the graph being the loss and on + * max min being commutative,
  not on the graph's numbering, its lookup table or the route that found the
  map. In both cases the permutations must keep each tie group in place and
  their orbits (a union-find of this module's own) must be the tie groups;
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

from symgrad.errors import BudgetError
from symgrad.runtime.budget import Budget
from symgrad.ties import independent as ind
from symgrad.ties.independent import (
    CertificateFailure,
    derivative,
    differ,
    holds,
    same,
    value_of,
)

BITS = ind.BITS
CROSS_POINTS = 3


def strict() -> bool:
    return os.environ.get("SYMGRAD_STRICT_CERTIFICATES") == "1"


# ---------------------------------------------------------------- refutations
class _Check:
    """The re-check of one verdict; failures are collected as reasons."""

    def __init__(self, result, budget: Budget, problem=None):
        self.result = result
        self.problem = problem if problem is not None else result.problem
        self.budget = budget
        self.blocks: dict | None = None  # parameter -> index of its block of the partition

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
                if not ind.equal_forms(point[p], first):
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
            expected = ind.replace(value, values)
            if expected.free_symbols:
                raise CertificateFailure(f"the init value of {p} is not fixed by the witness")
            if not ind.equal_forms(point[p], expected):
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
            if not ind.holds_at(condition, point):
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
            derivative = ind.replace(
                ind.plain_derivative(ind.replace(loss, fixed), p), {p: point[p]}
            )
            value = ind.value_at(derivative)
            total = (
                total + value
                if ind.is_exact(total) and ind.is_exact(value)
                else ind.interval(total) + ind.interval(value)
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
        except ind.Inconclusive as error:
            raise CertificateFailure(f"the witness could not be re-evaluated: {error}") from None
        if not ind.certainly_apart(g[0], g[1]):
            raise CertificateFailure(
                f"re-derived with sympy.diff, the gradients of {pair[0]} and {pair[1]} at the "
                "witness are not certainly different"
            )
        for name, value in zip(witness.pair, g):
            reported = sympy.sympify(witness.gradients[name])
            try:
                shown = ind.value_at(reported)
            except ind.Inconclusive:
                continue
            if not ind.overlap(shown, value):
                raise CertificateFailure(
                    f"the reported gradient of {name} ({reported}) is not the re-derived value"
                )
        kind = "exactly" if all(ind.is_exact(v) for v in g) else "with interval arithmetic"
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
        theta = {p: ind.value_at(point[p]) for p in problem.parameters}
        derivatives = {}
        for row_index, row in enumerate(step_rows):
            reduced = ind.replace(loss, row)
            derivatives[row_index] = {
                p: ind.plain_derivative(reduced, p) for p in problem.parameters
            }
        with mpmath.workprec(BITS):
            for _ in range(witness.steps):
                self.budget.check("the certificate check")
                new = {}
                for p in problem.parameters:
                    total = Fraction(0)
                    for row_index in derivatives:
                        g = ind.Enclose(theta)(derivatives[row_index][p])
                        total = (
                            total + g
                            if ind.is_exact(total) and ind.is_exact(g)
                            else ind.interval(total) + ind.interval(g)
                        )
                    step = eta * total if ind.is_exact(total) else ind.interval(eta) * total
                    new[p] = (
                        theta[p] - step
                        if ind.is_exact(theta[p]) and ind.is_exact(step)
                        else ind.interval(theta[p]) - ind.interval(step)
                    )
                theta = new
        if not ind.certainly_apart(theta[pair[0]], theta[pair[1]]):
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
        on_graph = False
        graph_proof = self.graph_proof(self.result.node_maps)
        for branch in self.result.branches or (None,):
            if branch is not None and branch.substitution:
                self.branch_solves(branch)
                loss = ind.replace(problem.loss, branch.substitution)
                valid = self.sympy_symmetries(loss, symmetries)
            elif graph_proof is not None:
                valid = self.graph_symmetries(graph_proof)
                on_graph = True
            else:
                valid = self.sympy_symmetries(problem.loss, symmetries)
            if not valid:
                raise CertificateFailure("no permutation leaves the loss unchanged when re-applied")
            self.orbits_are_groups(valid)
        if on_graph:
            return (
                "each permutation's node map was checked node by node on the loss's graph "
                "(the same head, children mapped to children, the loss mapped to itself); "
                "their orbits are the tie groups"
            )
        return (
            "the permutations were re-applied to the loss and compared with SymPy's canonical "
            "form; their orbits are the tie groups"
        )

    def graph_proof(self, node_maps):
        """The proof's node maps, if they are about this problem's loss graph as built.

        A graph made from a SymPy expression is re-checked on the SymPy expression
        instead (so that the conversion is not relied on).
        """
        graph = self.problem.graph
        for proof in node_maps:
            if proof.graph is graph and not graph.from_sympy_expression:
                return proof
        return None

    def graph_symmetries(self, proof) -> list:
        """The proof's permutations whose node maps hold (:func:`ind.node_map_holds`)."""
        nodes = ind.reachable_nodes(proof.graph)
        valid = []
        for sigma, images in zip(proof.generators, proof.node_maps):
            self.is_permutation_of_blocks(sigma)
            self.budget.check("the certificate check")
            if ind.node_map_holds(proof.graph, sigma, images, nodes):
                valid.append(sigma)
        return valid

    def sympy_symmetries(self, loss, symmetries) -> list:
        index = ind.node_index(loss)
        return [s for s in symmetries if self.leaves_unchanged(loss, s, index)]

    def is_permutation_of_blocks(self, sigma) -> None:
        if self.blocks is None:
            self.blocks = {p: i for i, g in enumerate(self.problem.partition()) for p in g}
        block = self.blocks
        moved = set(sigma)
        if moved != set(sigma.values()) or not all(p in block for p in moved):
            raise CertificateFailure("a claimed permutation is not a permutation of parameters")
        if any(block[a] != block[b] for a, b in sigma.items()):
            raise CertificateFailure("a claimed permutation moves a parameter out of its group")

    def leaves_unchanged(self, loss, sigma, index: dict | None = None) -> bool:
        self.is_permutation_of_blocks(sigma)
        self.budget.check("the certificate check")
        if ind.permuted(loss, sigma, index) is loss:
            return True
        return ind.replace(loss, sigma) == loss

    def orbit_roots(self, generators) -> dict:
        """Each parameter -> a representative of its orbit under ``generators`` (union-find)."""
        parameters = self.problem.parameters
        index = {p: k for k, p in enumerate(parameters)}
        parent = list(range(len(parameters)))

        def root(k: int) -> int:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for sigma in generators:
            for a, b in sigma.items():
                ra, rb = root(index[a]), root(index[b])
                if ra != rb:
                    parent[ra] = rb
        return {p: root(k) for p, k in index.items()}

    def orbits_are_groups(self, generators) -> None:
        self.orbits_are_blocks(generators, self.problem.ties, "the permutations'", "tie group")

    def orbits_are_blocks(self, generators, blocks, whose="the swaps'", noun="group") -> None:
        roots = self.orbit_roots(generators)
        sizes: dict = {}
        for r in roots.values():
            sizes[r] = sizes.get(r, 0) + 1
        for block in blocks:
            first = roots[block[0]]
            if any(roots[p] != first for p in block) or sizes[first] != len(block):
                raise CertificateFailure(f"{whose} orbit of {block[0]} is not its {noun}")

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
                                if ind.certainly_apart(values[group[0]], values[p]):
                                    raise CertificateFailure(
                                        f"{group[0]} and {p} have different gradients on the set"
                                    )
                        for p in pinned:
                            if ind.certainly_nonzero(values[p]):
                                raise CertificateFailure(f"the pinned {p} has a nonzero gradient")
            except ind.Inconclusive:
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
            if not ind.certainly_apart(g[0], g[1]):
                raise CertificateFailure(f"the split witness for {pair[0]} / {pair[1]} fails")
            return
        self.trajectory(problem.loss, point, pair, rows, fake)

    def branch_solves(self, branch) -> None:
        for lhs, rhs in self.problem.equations:
            value = ind.replace(lhs - rhs, branch.substitution)
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
                except (ind.Inconclusive, ZeroDivisionError, ValueError, OverflowError):
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
                value = ind.replace(problem.init[group[0]], init_symbols)
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
                    values[s] = ind.replace(expr, {**values, **integers})
        for condition in [
            *problem.assumptions.booleans(),
            *(c.as_boolean() for c in problem.domain),
        ]:
            if problem.dataset is not None and condition.free_symbols & set(problem.data):
                continue
            if not ind.holds_at(condition, values):
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
                    if ind.certainly_nonzero(value):
                        return ((p, p), use, [value, Fraction(0)])
                continue
            for pair in problem.tied_pairs:
                g = self.pair_gradients(loss, point, pair, use)
                if ind.certainly_apart(g[0], g[1]):
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
            if ind.is_exact(v)
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
            if all(ind.is_exact(v) for v in g)
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
    except (ind.Inconclusive, RecursionError) as error:
        return _failed(result, f"the independent re-check could not evaluate ({error})")


def certify_collapse(result, problem, groups, pinned, budget: Budget, proof=None):
    """Re-verify a collapse: the invariant set re-examined, each split witness re-run.

    ``proof`` is the permutation route's :class:`~symgrad.ties.symmetry.SymmetryProof`,
    whose node maps are checked on a preset's loss graph.
    """
    check = _Check(None, budget, problem)
    try:
        if result.method.startswith("permutation"):
            text = _collapse_permutations(check, problem, groups, proof)
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
    except (BudgetError, ind.Inconclusive) as error:
        if strict() and not isinstance(error, BudgetError):
            raise CertificateFailure(str(error)) from None
        return dataclasses.replace(
            result,
            verdict="unknown",
            certificate="failed: the re-check did not finish",
            reason=f"the independent certificate check did not finish ({error})",
        )


def _collapse_permutations(check: _Check, problem, groups, proof) -> str:
    graph_proof = check.graph_proof((proof,) if proof is not None else ())
    if graph_proof is not None:
        valid = check.graph_symmetries(graph_proof)
        check.orbits_are_blocks(valid, groups)
        swaps = all(s.get(b) == a for s in valid for a, b in s.items())
        return (
            f"the neuron {'swaps' if swaps else 'permutations'}' node maps were checked node by "
            "node on the loss's graph; their orbits are the groups"
        )
    index = ind.node_index(problem.loss)
    valid = [s for s in problem.symmetries if check.leaves_unchanged(problem.loss, s, index)]
    check.orbits_are_blocks(valid, groups)
    return "the neuron swaps were re-applied to the loss; their orbits are the groups"


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
    except ind.Inconclusive as error:
        raise CertificateFailure(f"could not evaluate independently ({error})") from None


def _certified_values(loss, point, parameter, claimed) -> tuple[object, object]:
    if _has_undefined(loss) or _has_undefined(claimed):
        return _values_with_undefined(loss, point, parameter, claimed)
    with mpmath.workprec(BITS):
        fixed = {s: v for s, v in point.items() if s != parameter}
        reduced = ind.replace(loss, fixed)
        true = ind.value_at(
            ind.replace(
                ind.plain_derivative(reduced, parameter),
                {parameter: point.get(parameter, parameter)},
            )
        )
        claim = ind.value_at(ind.replace(claimed, point))
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
        return ind.value_at(_instantiated(claim, table)), ind.value_at(_instantiated(true, table))


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
        raise ind.Inconclusive("a value of an arbitrary function could not be isolated")
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
