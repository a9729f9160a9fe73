"""Verdicts on tie persistence: ``proven``, ``refuted`` or ``unknown``, with certificates.

Theorem (DESIGN.md): if for every θ in the tied subspace T and every admissible
data point the gradients of each tie group agree, one gradient step maps T into
T, so every iterate stays in T (for GD, SGD, momentum, Adam, ... alike).

The ladder, cheapest first, for each branch of the assumptions' real solution set:

1. *permutation*: parameter permutations whose orbits are the tie groups and
   that leave J structurally unchanged make T invariant without a derivative;
2. *from the init*: with an init, one step from it either separates a pair
   (exact witness) or, with a numeric init, every gradient is 0 there for all
   data (a stationary point: nothing ever moves);
3. *on the tied subspace*: reverse-mode gradients with the tie substituted;
   a certified nonzero difference at a rational point of T refutes (without an
   init), a zero test of every difference proves; an arbitrary function is
   refuted by one concrete instance; with an init, exact or interval gradient
   descent for a few steps looks for the step where a pair separates.

Every verdict then passes the independent check of :mod:`symgrad.ties.certify`
before it is returned.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from symgrad.errors import ProblemError
from symgrad.exact import functions as fn
from symgrad.exact.calculus import gradients
from symgrad.exact.dag import dag_nodes, substitute, symbols_of
from symgrad.exact.evaluate import bounds, is_exact
from symgrad.exact.functions import Max, Min, relu
from symgrad.exact.graph import ExprGraph
from symgrad.exact.sampling import Nonzero, Sampler, find_nonzero
from symgrad.exact.solve import Branch, Unsolved, real_solutions
from symgrad.exact.zero import is_rational_function, prove_zero
from symgrad.results import ConditionBranch, ProofResult, Witness
from symgrad.runtime.budget import Budget, binds_timeout
from symgrad.runtime.heap import heap_frozen
from symgrad.runtime.worker import run_with_budget
from symgrad.ties.condition import tie_condition, unsolved
from symgrad.ties.models import Model
from symgrad.ties.multistep import DEFAULT_STEPS, StepWitness, separation_witness
from symgrad.ties.problem import Problem, sort_symbols
from symgrad.ties.symmetry import symmetry_proof

ETA = sympy.Symbol("eta", positive=True)

OPTIMIZERS = (
    "gradient descent",
    "SGD",
    "minibatch GD",
    "momentum",
    "Nesterov",
    "Adam",
    "RMSProp",
    "Adagrad",
    "weight decay",
)
FULL_BATCH_OPTIMIZERS = (
    "full-batch gradient descent",
    "full-batch momentum",
    "full-batch Nesterov",
    "full-batch Adam",
    "full-batch RMSProp",
    "full-batch Adagrad",
    "weight decay",
)
NOT_COVERED = "dropout, noise injection and other per-coordinate randomness"
MAX_SYMMETRY_CANDIDATES = 60
DISPLAY_NODES = 300
KINKS = (sympy.Heaviside, fn.Max, fn.Min, sympy.Abs, fn.relu, sympy.sign, sympy.Piecewise)


# ---------------------------------------------------------------- the question on one branch
@dataclass
class _Branch:
    """One branch of the assumptions: the loss on it and what sampling must respect.

    The loss (and its graph) on the branch are made when first asked for: the
    permutation route needs only the problem's graph, not the SymPy loss.
    """

    problem: Problem
    branch: Branch
    budget: Budget
    want_condition: bool
    steps: int
    conditions: list = field(default_factory=list)
    signs: dict = field(default_factory=dict)

    @functools.cached_property
    def loss(self) -> sympy.Expr:
        substitution = self.branch.substitution
        if not substitution:
            return self.problem.loss
        return substitute(self.problem.loss, substitution, self.budget, evaluate=True)

    @functools.cached_property
    def graph(self) -> ExprGraph:
        if not self.branch.substitution:
            return self.problem.graph
        return ExprGraph.from_sympy(self.loss)

    @property
    def pairs(self):
        return self.problem.tied_pairs

    @property
    def tied(self):
        return self.problem.tied

    @property
    def start(self) -> dict[sympy.Symbol, sympy.Expr]:
        return self.problem.start

    def data(self) -> list[sympy.Symbol]:
        """Data symbols still free on this branch (none with a dataset)."""
        if self.problem.dataset is not None:
            return []
        return [s for s in self.problem.data if s not in self.branch.substitution]

    def sampler(self, expressions, seed: int = 0) -> Sampler:
        """Points for the free coordinates of T, the init symbols, the data and the integers."""
        symbols = symbols_of(sympy.Tuple(*expressions)) if expressions else set()
        symbols |= set(self.problem.init_symbols)
        symbols |= {s for v in self.start.values() for s in v.free_symbols}
        symbols |= set(self.data()) | set(self.branch.integers)
        # conditions on parameters (a log's domain) hold at the points of T sampled
        conditions = [c.xreplace(self.start) for c in self.conditions]
        conditions = [c for c in conditions if c != sympy.true]
        symbols |= {s for c in conditions for s in c.free_symbols}
        symbols -= set(self.branch.substitution)
        if self.problem.dataset is not None:
            symbols -= set(self.problem.data)
        return Sampler(
            symbols, signs=self.signs, seed=seed, leading=self.data(), conditions=conditions
        )


@dataclass(frozen=True)
class _Claim:
    """One expression that must vanish identically: a pair's gradient difference."""

    pair: tuple[sympy.Symbol, sympy.Symbol]
    sample: int | None
    expression: sympy.Expr


def _pair_name(pair: Sequence[sympy.Symbol]) -> str:
    return f"{pair[0].name} - {pair[1].name}"


def _claims(problem: Problem, grads, pairs) -> list[_Claim]:
    """The expressions that must vanish, per pair and per the dataset mode."""
    claims = []
    for first, second in pairs:
        difference = grads[first] - grads[second]
        if problem.dataset is None:
            claims.append(_Claim((first, second), None, difference))
        elif problem.mode == "sgd":
            for index, row in enumerate(problem.dataset):
                claims.append(_Claim((first, second), index, substitute(difference, row)))
        else:
            total = sympy.Add(*(substitute(difference, row) for row in problem.dataset))
            claims.append(_Claim((first, second), None, total))
    return claims


def _covered(problem: Problem, stationary_nonzero: bool = False) -> tuple[str, ...]:
    covered = (
        FULL_BATCH_OPTIMIZERS
        if problem.dataset is not None and problem.mode == "full-batch"
        else OPTIMIZERS
    )
    if stationary_nonzero:
        covered = tuple(o for o in covered if o != "weight decay")
    return covered


# ---------------------------------------------------------------- witnesses
def _exact(sample: Mapping[sympy.Symbol, Fraction]) -> dict[sympy.Symbol, sympy.Rational]:
    return {s: sympy.Rational(v.numerator, v.denominator) for s, v in sample.items()}


def _evaluated(expr: sympy.Expr, values: Mapping[sympy.Basic, sympy.Expr]) -> sympy.Expr:
    """``expr`` at exact values, fully evaluated (``-2*pi``, not ``2*pi*cos(pi)``)."""
    return substitute(sympy.sympify(expr), values, evaluate=True)


def _point(ctx: _Branch, sample, sample_row: int | None) -> dict[sympy.Symbol, sympy.Expr]:
    """The full witness point: every parameter, and every data symbol that has one value."""
    problem = ctx.problem
    exact = _exact(sample)
    values: dict[sympy.Symbol, sympy.Expr] = {}
    for p in problem.parameters:
        values[p] = _evaluated(ctx.start[p], exact)
    for s in problem.data:
        if problem.dataset is not None:
            if sample_row is not None:
                values[s] = problem.dataset[sample_row][s]
        elif s in ctx.branch.substitution:
            values[s] = _evaluated(ctx.branch.substitution[s], exact)
        else:
            values[s] = exact.get(s, sympy.S.Zero)
    return values


def _certified(value) -> str:
    if is_exact(value):
        return "exact rational arithmetic"
    return "interval arithmetic (mpmath, 256 bits)"


def _witness(ctx: _Branch, grads, claim: _Claim, found: Nonzero, note="", instance=None) -> Witness:
    """The one-step witness for ``claim`` at the sampled point of ``found``."""
    problem = ctx.problem
    first, second = claim.pair
    values = _point(ctx, found.point, claim.sample)
    exact = _exact(found.point)
    rows: Sequence[Mapping] = [{}]
    if problem.dataset is not None:
        rows = [problem.dataset[claim.sample]] if claim.sample is not None else problem.dataset
    at = {**exact, **{s: v for s, v in values.items() if s in problem.data}}
    grad_values = {}
    for p in (first, second):
        total = sympy.Add(*(_evaluated(_evaluated(grads[p], row), at) for row in rows))
        grad_values[str(p)] = total
    difference = grad_values[str(first)] - grad_values[str(second)]
    enclosure = None
    if not is_exact(found.value):
        enclosure = f"[{float(found.value.a):.6g}, {float(found.value.b):.6g}]"
    after = {str(p): values[p] - ETA * grad_values[str(p)] for p in (first, second)}
    return Witness(
        pair=(str(first), str(second)),
        point={str(s): v for s, v in values.items()},
        gradients=grad_values,
        difference=difference,
        after_step=after,
        certified_by=_certified(found.value),
        enclosure=enclosure,
        sample=claim.sample,
        note=note,
        init_values={str(s): exact.get(s, sympy.S.Zero) for s in problem.init_symbols},
        instance=dict(instance or {}),
        integers={str(n): exact.get(n, sympy.S.Zero) for n in ctx.branch.integers},
    )


def _step_witness(ctx: _Branch, found: StepWitness, sample) -> Witness:
    """A witness after several steps (see :mod:`symgrad.ties.multistep`)."""
    problem = ctx.problem
    first, second = found.pair
    values = _point(ctx, sample, None)
    row_index = None
    if problem.dataset is not None and len(found.data) == 1:
        row = {s: sympy.Rational(v.numerator, v.denominator) for s, v in found.data[0].items()}
        values.update(row)
        row_index = next(i for i, r in enumerate(problem.dataset) if dict(r) == row)
    exact = _exact(sample)
    shown = {str(p): _shown(found.gradients[p]) for p in (first, second)}
    return Witness(
        pair=(str(first), str(second)),
        point={str(s): v for s, v in values.items()},
        gradients=shown,
        difference=_shown(found.gradients[first] - found.gradients[second]),
        after_step={},
        certified_by=found.certified_by,
        steps=found.steps,
        sample=row_index,
        eta=sympy.Rational(found.eta.numerator, found.eta.denominator),
        note=(
            f"the pair is still equal after {found.steps - 1} step"
            f"{'s' if found.steps > 2 else ''} with eta = {found.eta}; the gradients listed are "
            f"at the point reached then, and differ, so the values after step {found.steps} "
            f"differ with eta = {found.eta}"
            + (
                "; the loss is analytic, so they differ for every eta != 0 small enough"
                if found.analytic
                else ""
            )
        ),
        init_values={str(s): exact.get(s, sympy.S.Zero) for s in problem.init_symbols},
        integers={str(n): exact.get(n, sympy.S.Zero) for n in ctx.branch.integers},
    )


def _shown(value) -> sympy.Expr:
    """An exact value as a Rational; an interval enclosure as a SymPy Interval."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    low, high = bounds(value)
    return sympy.Interval(
        sympy.Rational(low.numerator, low.denominator),
        sympy.Rational(high.numerator, high.denominator),
    )


# ---------------------------------------------------------------- the ladder
def _by_permutation(ctx: _Branch) -> ProofResult | None:
    """Step 1: permutations of parameters that leave J unchanged and whose orbits are T's groups."""
    problem = ctx.problem
    candidates = list(problem.symmetries)
    swaps = sum(len(g) * (len(g) - 1) // 2 for g in problem.ties)
    if not candidates and swaps <= MAX_SYMMETRY_CANDIDATES:
        for group in problem.ties:
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    candidates.append({a: b, b: a})
    proof = symmetry_proof(
        ctx.graph, problem.parameters, problem.partition(), candidates, ctx.budget
    )
    if proof is None:
        return None
    shown = None
    stationary = None
    if ctx.graph.size <= DISPLAY_NODES:
        loss = ctx.loss
        grads = gradients(loss, ctx.tied, at=problem.tie_map, budget=ctx.budget)
        shown = {str(p): grads[p] for p in ctx.tied}
        if problem.init_is_numeric:
            stationary = _stationary(
                ctx, gradients(loss, problem.parameters, at=dict(problem.init))
            )
    return ProofResult(
        verdict="proven",
        problem=problem,
        method=_permutation_method(proof.generators, bool(problem.symmetries)),
        differences={_pair_name(p): sympy.S.Zero for p in ctx.pairs},
        gradients=shown,
        stationary=stationary,
        optimizers=_covered(problem),
        kind="permutation",
        symmetries=proof.generators,
        node_maps=(proof,) if not ctx.branch.substitution else (),
    )


def _permutation_method(generators, neurons: bool) -> str:
    """``permutation invariance (2 neuron permutations leave J unchanged)`` and the like."""
    count = len(generators)
    swaps = all(sigma.get(b) == a for sigma in generators for a, b in sigma.items())
    if neurons:
        kind = "neuron swap" if swaps else "neuron permutation"
    else:
        kind = "swap" if swaps else "permutation"
    phrase = f"{count} {kind}{'s' if count > 1 else ''}"
    if not neurons:
        phrase += " of tied parameters"
    return f"permutation invariance ({phrase} {'leave' if count > 1 else 'leaves'} J unchanged)"


def _from_init(ctx: _Branch) -> ProofResult | None:
    """Step 2: one step from the init separates a pair, or the init is stationary."""
    problem = ctx.problem
    if not problem.init:
        return None
    at_start = gradients(ctx.loss, problem.parameters, at=ctx.start, budget=ctx.budget)
    claims = _claims(problem, at_start, ctx.pairs)
    open_claims = [c for c in claims if c.expression != 0]
    if open_claims:
        found, _ = find_nonzero(
            [c.expression for c in open_claims],
            ctx.sampler([c.expression for c in open_claims]),
            budget=ctx.budget,
        )
        if found is not None:
            claim = open_claims[found.index]
            return _refuted(ctx, at_start, claim, found, "init", "exact evaluation at the init")
    if not problem.init_is_numeric:
        return None
    stationary = _stationary(ctx, at_start)
    if not stationary:
        return None
    nonzero_init = any(v != 0 for v in problem.init.values())
    return ProofResult(
        verdict="proven",
        problem=problem,
        method="stationary point: every gradient is 0 at the init for all data, so no "
        "parameter ever moves",
        differences={_pair_name(p): sympy.S.Zero for p in ctx.pairs},
        gradients={str(p): at_start[p] for p in problem.parameters},
        stationary=True,
        optimizers=_covered(problem, stationary_nonzero=nonzero_init),
        kind="stationary",
        notes=(
            "weight decay is not covered: it moves a nonzero init (all parameters shrink "
            "together), and the gradients need not stay equal there",
        )
        if nonzero_init
        else (),
    )


def _stationary(ctx: _Branch, grads) -> bool | None:
    """Every gradient identically 0 (for all data) at the init; None if undecided."""
    problem = ctx.problem
    expressions = []
    for p in problem.parameters:
        g = grads[p]
        if problem.dataset is None:
            expressions.append(g)
        elif problem.mode == "sgd":
            expressions.extend(substitute(g, row) for row in problem.dataset)
        else:
            expressions.append(sympy.Add(*(substitute(g, row) for row in problem.dataset)))
    open_expressions = [e for e in expressions if e != 0]
    if not open_expressions:
        return True
    found, _ = find_nonzero(
        open_expressions, ctx.sampler(open_expressions), tries=6, budget=ctx.budget
    )
    if found is not None:
        return False
    seconds = ctx.budget.remaining() / 2
    if all(prove_zero(e, seconds, signs=ctx.signs).zero for e in open_expressions):
        return True
    return None


def _on_tied_subspace(ctx: _Branch) -> ProofResult:
    """Step 3: gradients on T; refute by a point, prove by a zero test, or search further."""
    problem = ctx.problem
    grads = gradients(ctx.loss, ctx.tied, at=problem.tie_map, budget=ctx.budget)
    claims = _claims(problem, grads, ctx.pairs)
    differences = {_pair_name(p): grads[p[0]] - grads[p[1]] for p in ctx.pairs}
    shown = {str(p): grads[p] for p in ctx.tied}
    base = {"differences": differences, "gradients": shown}
    open_claims = [c for c in claims if c.expression != 0]
    if not open_claims:
        suffix = (
            " (summed over the dataset)"
            if problem.dataset is not None and problem.mode == "full-batch"
            else ""
        )
        return _proven(
            ctx,
            "structural equality of the gradients on the tied subspace" + suffix,
            "zero-test",
            base,
        )
    if not problem.init:
        refuted = _refute_on_subspace(ctx, grads, open_claims, seed=0)
        if refuted is not None:
            return refuted
    refuted = _refute_with_instance(ctx, grads, open_claims)
    if refuted is not None:
        return dataclasses.replace(
            refuted, **{k: v for k, v in base.items() if not getattr(refuted, k)}
        )
    proofs = _zero_tests(ctx, open_claims)
    if all(p.zero for p in proofs):
        methods = sorted({p.method for p in proofs})
        return _proven(
            ctx,
            "; ".join(methods) + " of every gradient difference on the tied subspace",
            "zero-test",
            base,
        )
    for attempt in (_search_harder, _refute_after_steps):
        outcome = attempt(ctx, grads, open_claims)
        if outcome is not None:
            return dataclasses.replace(
                outcome, **{k: v for k, v in base.items() if not getattr(outcome, k)}
            )
    return _unknown(ctx, open_claims, proofs, base)


def _proven(ctx: _Branch, method: str, kind: str, base) -> ProofResult:
    return ProofResult(
        verdict="proven",
        problem=ctx.problem,
        method=method,
        optimizers=_covered(ctx.problem),
        kind=kind,
        **base,
    )


def _zero_tests(ctx: _Branch, claims: Sequence[_Claim]):
    proofs = []
    for claim in claims:
        ctx.budget.check("the zero test")
        seconds = max(ctx.budget.remaining() * 0.6 / len(claims), 0.05)
        outcome = prove_zero(claim.expression, seconds, signs=ctx.signs)
        proofs.append(outcome)
        if outcome.zero is not True:
            break
    return proofs


def _refute_on_subspace(ctx: _Branch, grads, claims, seed: int, tries: int = 12):
    found, _ = find_nonzero(
        [c.expression for c in claims],
        ctx.sampler([c.expression for c in claims], seed=seed),
        tries=tries,
        budget=ctx.budget,
    )
    if found is None:
        return None
    return _refuted(
        ctx, grads, claims[found.index], found, "subspace", "exact evaluation on the tied subspace"
    )


def _search_harder(ctx: _Branch, grads, claims) -> ProofResult | None:
    """A nonzero rational normal form has a witness: sample more points to find it."""
    if ctx.problem.init or not all(_piecewise_rational(c.expression) for c in claims):
        return None
    return _refute_on_subspace(ctx, grads, claims, seed=7, tries=60)


def _piecewise_rational(expr: sympy.Expr) -> bool:
    """Rational once each kink function (|u|, sign, steps, max/min) is taken as a variable."""
    kinks = [
        node
        for node in dag_nodes(expr)
        if isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside, Max, Min, relu))
    ]
    if not kinks:
        return is_rational_function(expr)
    stand_ins = {k: sympy.Dummy(real=True) for k in kinks}
    return is_rational_function(expr.xreplace(stand_ins))


_CONCRETE_ACTIVATIONS = (
    ("t**2 + t", lambda t: t**2 + t),
    ("tanh(t)", sympy.tanh),
    ("t**3 + t**2", lambda t: t**3 + t**2),
)


def _refute_with_instance(ctx: _Branch, grads, claims) -> ProofResult | None:
    """For an arbitrary function: one concrete function that breaks the tie refutes it."""
    graph = ctx.graph
    undefined = {graph.heads[i] for i in graph.nodes_with((sympy.core.function.AppliedUndef,))}
    if not undefined:
        return None
    problem = ctx.problem
    for text, concrete in _CONCRETE_ACTIVATIONS:
        concrete_loss = ctx.loss
        for function in undefined:
            concrete_loss = concrete_loss.replace(function, concrete)
        at = ctx.start if problem.init else problem.tie_map
        concrete_grads = gradients(concrete_loss, problem.parameters, at=at, budget=ctx.budget)
        concrete_claims = [
            c for c in _claims(problem, concrete_grads, ctx.pairs) if c.expression != 0
        ]
        if not concrete_claims:
            continue
        found, _ = find_nonzero(
            [c.expression for c in concrete_claims],
            ctx.sampler([c.expression for c in concrete_claims]),
            budget=ctx.budget,
        )
        if found is None:
            continue
        names = ", ".join(sorted(f.__name__ for f in undefined))
        note = (
            f"with {names}(t) = {text}: one function that breaks the tie refutes "
            f"'for every {names}'"
        )
        instance = {f.__name__: text for f in undefined}
        result = _refuted(
            ctx,
            concrete_grads,
            concrete_claims[found.index],
            found,
            "instance",
            "exact evaluation with a concrete function",
            note=note,
            instance=instance,
            condition=False,
        )
        return result
    return None


def _refute_after_steps(ctx: _Branch, grads, claims) -> ProofResult | None:
    """With an init: gradient descent for a few steps until a pair separates."""
    problem = ctx.problem
    if not problem.init or ctx.steps < 2:
        return None
    sampler = ctx.sampler([c.expression for c in claims])
    samples = list(sampler.points(4))
    starts = []
    for sample in samples:
        exact = _exact(sample)
        theta0 = {p: _fraction(_evaluated(ctx.start[p], exact)) for p in problem.parameters}
        if any(v is None for v in theta0.values()):
            continue
        data = {s: sample[s] for s in ctx.data() if s in sample}
        for s, value in ctx.branch.substitution.items():
            data[s] = _fraction(_evaluated(value, exact))
        if any(v is None for v in data.values()):
            continue
        starts.append(((theta0, data), sample))
    found = separation_witness(
        ctx.loss,
        problem.parameters,
        [start for start, _ in starts],
        ctx.pairs,
        steps=ctx.steps,
        dataset=problem.dataset,
        mode=problem.mode,
        budget=ctx.budget,
    )
    if found is None:
        return None
    sample = next(
        s
        for (theta0, data), s in starts
        if theta0 == found.theta0 and (problem.dataset is not None or (data,) == found.data)
    )
    witness = _step_witness(ctx, found, sample)
    return ProofResult(
        verdict="refuted",
        problem=problem,
        method=f"exact gradient descent from the init: the pair separates at step {found.steps} "
        f"({found.certified_by})",
        witness=witness,
        stationary=False if problem.init_is_numeric else None,
        kind="multistep",
        condition=_condition(ctx, grads),
    )


def _fraction(value: sympy.Expr) -> Fraction | None:
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    return None


def _refuted(ctx, grads, claim, found, kind, method, note="", instance=None, condition=True):
    witness = _witness(ctx, grads, claim, found, note, instance)
    tied_grads = grads
    if kind != "subspace" and kind != "instance":
        tied_grads = gradients(ctx.loss, ctx.tied, at=ctx.problem.tie_map, budget=ctx.budget)
    differences = {_pair_name(p): tied_grads[p[0]] - tied_grads[p[1]] for p in ctx.pairs}
    return ProofResult(
        verdict="refuted",
        problem=ctx.problem,
        method=f"{method} ({'exact rational arithmetic' if is_exact(found.value) else 'interval arithmetic'})",
        differences=differences,
        gradients={str(p): tied_grads[p] for p in ctx.tied} if kind != "instance" else None,
        condition=_condition(ctx, tied_grads) if condition else None,
        witness=witness,
        stationary=False if kind == "init" and ctx.problem.init_is_numeric else None,
        kind=kind,
    )


def _condition(ctx: _Branch, grads):
    """The data condition on T, within its own share of the budget (None when dropped)."""
    problem = ctx.problem
    if not ctx.want_condition or problem.dataset is not None or not ctx.data():
        return None
    differences = [grads[a] - grads[b] for a, b in ctx.pairs]
    coordinates = {s for v in problem.tie_map.values() for s in [v]} | {
        p for p in problem.parameters if p not in problem.tie_map
    }
    share = ctx.budget.share(0.25, cap=5.0)
    if ctx.budget.remaining() < 0.2:
        return unsolved("not attempted: too little of the time budget was left (raise --timeout)")
    condition = tie_condition(differences, sorted(coordinates, key=str), ctx.data(), share)
    substitution = ctx.branch.substitution
    if condition is None or not substitution or not condition.solved:
        return condition
    given = tuple(sorted(substitution.items(), key=lambda item: item[0].name))
    branches = tuple(
        ConditionBranch(
            given + b.equations,
            ctx.branch.conditions + b.conditions,
            ctx.branch.integers + b.integers,
        )
        for b in condition.branches
    )
    return dataclasses.replace(condition, branches=branches)


def _unknown(ctx: _Branch, claims, proofs, base) -> ProofResult:
    problem = ctx.problem
    _, evidence = find_nonzero(
        [c.expression for c in claims], ctx.sampler([c.expression for c in claims]), tries=3
    )
    failed = proofs[-1] if proofs else None
    reason = (failed.reason if failed else "") or "no sound method decided"
    if problem.init:
        reason = (
            "the gradients agree at the init for all data, but not provably on the whole "
            f"tied subspace ({reason}), and no witness within {ctx.steps} steps was found"
        )
    return ProofResult(
        verdict="unknown",
        problem=problem,
        method=failed.method if failed else "zero-test ladder",
        reason=reason,
        evidence=tuple(
            "evidence only (floats): differences at a sample point = "
            + ", ".join(f"{v:.3g}" for v in row)
            for row in evidence
        ),
        optimizers=(),
        kind="unknown",
        **base,
    )


def _decide_branch(ctx: _Branch) -> ProofResult:
    for step in (_by_permutation, _from_init):
        outcome = step(ctx)
        if outcome is not None:
            return outcome
    return _on_tied_subspace(ctx)


# ---------------------------------------------------------------- assumptions
def assumption_branches(problem: Problem, budget: Budget) -> list[Branch]:
    """The complete real solution set of the assumption equations, as branches.

    Raises Unsolved when it cannot be determined; ProblemError when it is empty.
    """
    if problem.dataset is not None or not problem.equations:
        return [Branch()]
    equations = [lhs - rhs for lhs, rhs in problem.equations]
    unknowns = sort_symbols(s for e in equations for s in e.free_symbols)
    taken = [str(s) for s in (*problem.parameters, *problem.data)]
    branches = run_with_budget(
        lambda: real_solutions(equations, unknowns, problem.signs, taken),
        max(budget.remaining() * 0.5, 0.05),
        "solving the assumptions",
    )
    if not branches:
        raise ProblemError("the assumptions have no real solution: no data satisfies them")
    return branches


def _branch_context(problem, branch, budget, want_condition, steps) -> _Branch:
    substitution = branch.substitution
    ops = {
        "positive": sympy.Gt,
        "nonnegative": sympy.Ge,
        "negative": sympy.Lt,
        "nonpositive": sympy.Le,
    }
    signs = {s: v for s, v in problem.signs.items() if s not in substitution}
    conditions = list(branch.conditions)
    conditions += [
        ops[sign](substitution[s], 0) for s, sign in problem.signs.items() if s in substitution
    ]
    conditions += [r.xreplace(substitution) for r in problem.assumptions.relations]
    conditions += [c.as_boolean().xreplace(substitution) for c in problem.domain]
    conditions = [c for c in conditions if c != sympy.true]
    if any(c == sympy.false for c in conditions):
        raise ProblemError("the assumptions and the loss's domain leave no data")
    return _Branch(problem, branch, budget, want_condition, steps, conditions, signs)


def decide(
    problem: Problem,
    budget: Budget,
    want_condition: bool = True,
    steps: int = DEFAULT_STEPS,
) -> ProofResult:
    """The verdict before the certificate check (see :func:`prove`)."""
    notes = _notes(problem)
    try:
        branches = assumption_branches(problem, budget)
    except Unsolved as error:
        return ProofResult(
            verdict="unknown",
            problem=problem,
            method="solving the assumptions",
            reason=f"the assumptions' real solution set is not known completely: {error}",
            notes=tuple(notes),
            kind="unknown",
        )
    outcomes = []
    for branch in branches:
        ctx = _branch_context(problem, branch, budget, want_condition and len(branches) == 1, steps)
        outcome = _decide_branch(ctx)
        outcome = dataclasses.replace(outcome, branches=(branch,))
        if outcome.verdict == "refuted":
            return _with_notes(outcome, notes + _branch_notes(branch, len(branches)))
        outcomes.append(outcome)
    if all(o.verdict == "proven" for o in outcomes):
        first = outcomes[0]
        if len(outcomes) > 1:
            methods = "; ".join(sorted({o.method for o in outcomes}))
            first = dataclasses.replace(
                first, method=f"{methods} (on every branch of the assumptions)"
            )
        kinds = {o.kind for o in outcomes}
        return _with_notes(
            dataclasses.replace(
                first,
                branches=tuple(branches),
                kind=first.kind if len(kinds) == 1 else "branches",
                symmetries=tuple(s for o in outcomes for s in o.symmetries),
            ),
            notes + _branch_notes(None, len(branches), branches),
        )
    unknown = next(o for o in outcomes if o.verdict == "unknown")
    return _with_notes(unknown, notes)


def _branch_notes(branch, count, branches=()) -> list[str]:
    if count <= 1 and not (branch and branch.integers) and not any(b.integers for b in branches):
        return []
    if branch is not None:
        return [f"on the branch {branch.text()} of the assumptions"]
    return ["the assumptions' real solution set: " + "; ".join(b.text() for b in branches)]


def _notes(problem: Problem) -> list[str]:
    notes = list(problem.notes)
    kinds = problem.graph.head_types()
    if any(issubclass(k, KINKS) for k in kinds):
        notes.append(
            "at a kink the derivative follows PyTorch: relu'(0) = 0, abs'(0) = 0, "
            "sign' = heaviside' = 0, and tied arguments of max/min share the gradient equally"
        )
    if problem.domain:
        notes.append(
            "the loss is real where "
            + " and ".join(c.text for c in problem.domain)
            + "; the verdict is about that domain"
        )
    return notes


def _with_notes(result: ProofResult, notes: list[str]) -> ProofResult:
    merged = tuple(dict.fromkeys([*notes, *result.notes]))
    return dataclasses.replace(result, notes=merged)


# ---------------------------------------------------------------- main entry
def is_torch_model(subject: object) -> bool:
    """A model from :func:`symgrad.from_torch` (checked without importing torch)."""
    return type(subject).__module__ == "symgrad.torch.models"


def _only_symbolic(**options: object) -> None:
    given = [name for name, value in options.items() if value]
    if given:
        raise ProblemError(
            f"{', '.join(given)} only apply to losses written out, not to a PyTorch model "
            "(give data as samples=[(x, y), ...] to from_torch)"
        )


@binds_timeout
def prove(
    loss: str | sympy.Expr | Model,
    ties: Sequence[str | Sequence[str]] | None = None,
    params: Sequence[str] | str | None = None,
    init: str | Mapping | None = None,
    assume: Sequence[str] | str | None = None,
    dataset: Sequence[Mapping] | None = None,
    mode: str = "sgd",
    functions: Sequence[str] = (),
    timeout: float = 60.0,
    condition: bool = True,
    steps: int = DEFAULT_STEPS,
    latex: bool = False,
) -> ProofResult:
    """Decide whether the tie persists under gradient descent.

    ``loss`` is text, a SymPy expression or a :class:`Model`. ``ties`` are
    groups such as ``"w0=w1"`` or ``("w0", "w1")``; ``init`` is ``"zero"``,
    ``"constant"``, ``"w0=0,w1=0"``, a mapping, or for a model ``"identical"``.
    ``assume`` holds relations on the data (``"x0=x1"``, ``"x>0"``).
    ``dataset`` rows map data names to numbers; ``mode`` is ``"sgd"`` (every
    sample) or ``"full-batch"`` (summed gradient). ``steps`` bounds the search
    for a witness that separates only after several steps. ``timeout`` (in
    seconds) binds wherever this is called from.

    >>> result = prove("w0*x0 + w1*x1", ties=["w0=w1"])
    >>> result.verdict, result.condition.text
    ('refuted', 'x0 = x1')
    """
    from symgrad.ties.certify import certify_proof

    if is_torch_model(loss):
        from symgrad.torch.verdicts import prove_torch

        _only_symbolic(assume=assume, dataset=dataset, params=params, functions=functions)
        return prove_torch(loss, init=init, ties=ties, steps=steps, timeout=timeout)
    budget = Budget(timeout)
    problem = build_problem(loss, ties, params, init, assume, dataset, mode, functions, latex)
    steps = _steps_value(steps)
    with heap_frozen():  # the loss graph stays out of the cycle collector's scans
        # the certificate check always keeps a share of the budget for itself
        result = decide(problem, budget.share(0.8, floor=0.05), condition, steps)
        result = certify_proof(result, budget)
    return dataclasses.replace(
        result, elapsed_s=round(budget.elapsed(), 4), title=problem.describe_tie()
    )


def _steps_value(steps: object) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 50:
        raise ProblemError(f"steps={steps!r} must be a whole number from 1 to 50")
    return steps


def build_problem(
    loss: str | sympy.Expr | Model,
    ties=None,
    params=None,
    init=None,
    assume=None,
    dataset=None,
    mode: str = "sgd",
    functions: Sequence[str] = (),
    latex: bool = False,
) -> Problem:
    """The :class:`Problem` for :func:`prove`'s arguments (models resolve their presets)."""
    if isinstance(loss, Model):
        model = loss
        init_values = init
        if isinstance(init, str) and init.strip() in ("identical", "zero", "constant"):
            init_values = model.init_values(init.strip())
        elif isinstance(init, str) and _is_tie_list(init, model) and ties is None:
            ties, init_values = _tie_list(init), None
        elif isinstance(init, str) and "=" not in init:
            model.init_values(init.strip())  # raises with the list of presets
        if ties is None and init_values is None:
            init_values = model.init_values("identical")
        return Problem.build(
            model.graph,
            ties=ties,
            params=list(model.parameters),
            init=init_values,
            assume=assume,
            dataset=dataset,
            mode=mode,
            functions=tuple(functions) + model.functions,
            symmetries=model.symmetries(),
            parameter_order=model.parameters,
        )
    return Problem.build(
        loss,
        ties=ties,
        params=params,
        init=init,
        assume=assume,
        dataset=dataset,
        mode=mode,
        functions=functions,
        latex=latex,
    )


def _tie_list(text: str) -> list[str]:
    return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]


def _is_tie_list(text: str, model: Model) -> bool:
    """``a=b;c=d`` (or with commas) where every name is a parameter of the model."""
    names = {str(p) for p in model.parameters}
    items = _tie_list(text)
    return bool(items) and all(
        len(item.split("=")) >= 2 and all(n.strip() in names for n in item.split("="))
        for item in items
    )


__all__ = ["ProofResult", "Witness", "prove", "build_problem", "OPTIMIZERS"]
