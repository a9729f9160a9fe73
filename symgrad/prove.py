"""Verdicts on tie persistence: ``proven``, ``refuted`` or ``unknown``, with certificates.

Theorem (DESIGN.md): if for every θ in the tied subspace T and every admissible
data point the gradients of each tie group agree, one gradient step maps T into
T, so every iterate stays in T (for GD, SGD, momentum, Adam, ... alike).

Routes, cheapest first:

1. *stationary point*: with a numeric init, every gradient is 0 there for all
   data, so nothing ever moves;
2. *permutation invariance*: parameter permutations that fix T pointwise'
   complement and leave J structurally unchanged, whose orbits are exactly the
   tie groups, make T invariant without any derivative;
3. *gradients on T*: reverse-mode gradients with the tie substituted; first
   refute by exact evaluation at rational points, then show each difference is
   0 by the zero-test ladder of :mod:`symgrad.zero`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from symgrad.calculus import dag_nodes, function_types, gradients, substitute, symbols_of
from symgrad.condition import Condition, tie_condition
from symgrad.errors import BudgetError, ProblemError
from symgrad.evaluate import is_exact
from symgrad.functions import relu
from symgrad.models import Model
from symgrad.multistep import two_step_witness
from symgrad.problem import Problem, sort_symbols
from symgrad.symmetry import symmetry_proof
from symgrad.zero import (
    Nonzero,
    Sampler,
    find_nonzero,
    is_rational_function,
    prove_zero,
    run_with_budget,
)

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


@dataclass(frozen=True)
class Witness:
    """An exact counterexample: at ``point`` the tied pair's gradients differ.

    ``difference`` is the exact value of g_first - g_second (a rational, or an
    exact expression whose sign is certified by the interval ``enclosure``).
    After one step with learning rate eta the two parameters are
    ``after_step[first]`` and ``after_step[second]``, different for every eta != 0.
    """

    pair: tuple[str, str]
    point: Mapping[str, sympy.Expr]
    gradients: Mapping[str, sympy.Expr]
    difference: sympy.Expr
    after_step: Mapping[str, sympy.Expr]
    certified_by: str
    enclosure: str | None = None
    steps: int = 1
    sample: int | None = None
    note: str = ""

    def to_dict(self) -> dict:
        return {
            "pair": list(self.pair),
            "point": {k: str(v) for k, v in self.point.items()},
            "gradients": {k: str(v) for k, v in self.gradients.items()},
            "difference": str(self.difference),
            "after_step": {k: str(v) for k, v in self.after_step.items()},
            "steps": self.steps,
            "sample": self.sample,
            "certified_by": self.certified_by,
            "enclosure": self.enclosure,
            "note": self.note or None,
        }


@dataclass(frozen=True)
class ProofResult:
    """The answer to "does this tie persist?", with what backs it."""

    verdict: str
    problem: Problem
    method: str
    differences: Mapping[str, sympy.Expr] = field(default_factory=dict)
    gradients: Mapping[str, sympy.Expr] | None = None
    condition: Condition | None = None
    witness: Witness | None = None
    stationary: bool | None = None
    optimizers: tuple[str, ...] = ()
    reason: str = ""
    evidence: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    title: str = ""

    @property
    def holds(self) -> bool:
        return self.verdict == "proven"

    def to_dict(self) -> dict:
        from symgrad.report import proof_to_dict

        return proof_to_dict(self)

    def to_text(self) -> str:
        from symgrad.report import proof_to_text

        return proof_to_text(self)

    def to_markdown(self) -> str:
        from symgrad.report import proof_to_markdown

        return proof_to_markdown(self)

    def to_latex(self) -> str:
        from symgrad.report import proof_to_latex

        return proof_to_latex(self)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return self.to_latex()


# ---------------------------------------------------------------- helpers
@dataclass(frozen=True)
class _Claim:
    """One expression that must vanish identically: a pair's gradient difference."""

    pair: tuple[sympy.Symbol, sympy.Symbol]
    sample: int | None
    expression: sympy.Expr


def _pair_name(pair: Sequence[sympy.Symbol]) -> str:
    return f"{pair[0]} - {pair[1]}"


def _claims(
    problem: Problem,
    grads: Mapping[sympy.Symbol, sympy.Expr],
    pairs: Sequence[tuple[sympy.Symbol, sympy.Symbol]],
) -> list[_Claim]:
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


def _branches(problem: Problem, seconds: float) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """Solve the assumption equations for data symbols: one substitution per branch."""
    if not problem.equations:
        return [{}]
    equations = [lhs - rhs for lhs, rhs in problem.equations]
    unknowns = sort_symbols(s for e in equations for s in e.free_symbols)
    try:
        solutions = run_with_budget(
            lambda: sympy.solve(equations, list(unknowns), dict=True), seconds, "assumptions"
        )
    except BudgetError as error:
        raise ProblemError(f"could not solve the assumptions: {error}") from None
    solutions = [s for s in solutions if not any(v.has(sympy.I) for v in s.values())]
    if not solutions:
        raise ProblemError("the assumptions have no real solution: no data satisfies them")
    return solutions


def _symmetry_route(problem: Problem, loss: sympy.Expr) -> tuple[bool, str]:
    """Prove T invariant by parameter permutations that leave the loss unchanged."""
    # A preset names its neuron swaps; for a custom loss try swapping tied parameters.
    candidates = list(problem.symmetries)
    swaps = sum(len(g) * (len(g) - 1) // 2 for g in problem.ties)
    if not candidates and swaps <= MAX_SYMMETRY_CANDIDATES:
        for group in problem.ties:
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    candidates.append({a: b, b: a})
    verified = symmetry_proof(loss, problem.parameters, problem.partition(), candidates)
    if verified is None:
        return False, ""
    kinds = "neuron swap" if problem.symmetries else "swap of tied parameters"
    count = len(verified)
    plural = f"{count} {kinds}{'s' if count > 1 else ''} {'leave' if count > 1 else 'leaves'}"
    return True, f"permutation invariance ({plural} J unchanged)"


def _point_values(
    problem: Problem,
    branch: Mapping[sympy.Symbol, sympy.Expr],
    point: Mapping[sympy.Symbol, Fraction],
    sample: int | None = None,
) -> dict[sympy.Symbol, sympy.Expr]:
    """The full witness point: every parameter and data symbol, as exact numbers."""
    exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in point.items()}
    values: dict[sympy.Symbol, sympy.Expr] = {}
    tie_map = problem.tie_map
    for p in problem.parameters:
        if problem.init and p in problem.init:
            values[p] = problem.init[p].xreplace(exact)
        else:
            values[p] = exact.get(tie_map.get(p, p), sympy.S.Zero)
    for s in problem.data:
        if s in branch:
            values[s] = branch[s].xreplace(exact)
        elif problem.dataset is None:
            values[s] = exact.get(s, sympy.S.Zero)
        elif sample is not None:
            values[s] = problem.dataset[sample][s]
    return values


def _witness(
    problem: Problem,
    branch: Mapping[sympy.Symbol, sympy.Expr],
    grads: Mapping[sympy.Symbol, sympy.Expr],
    claim: _Claim,
    found: Nonzero,
    note: str = "",
) -> Witness:
    first, second = claim.pair
    values = _point_values(problem, branch, found.point, claim.sample)
    rows: Sequence[Mapping] = [{}]
    if problem.dataset is not None:
        rows = [problem.dataset[claim.sample]] if claim.sample is not None else problem.dataset
    exact_point = {
        s: v for s, v in values.items() if s not in problem.data or problem.dataset is None
    }
    for symbol in problem.init_symbols:
        value = found.point.get(symbol, Fraction(0))
        exact_point[symbol] = sympy.Rational(value.numerator, value.denominator)
    grad_values = {}
    for p in (first, second):
        total = sympy.Add(*(substitute(substitute(grads[p], row), exact_point) for row in rows))
        grad_values[str(p)] = total
    difference = grad_values[str(first)] - grad_values[str(second)]
    if is_exact(found.value):
        certified = "exact rational arithmetic"
        enclosure = None
    else:
        certified = "interval arithmetic (mpmath, 256 bits)"
        enclosure = f"[{as_float_str(found.value.a)}, {as_float_str(found.value.b)}]"
    after = {str(p): values[p] - ETA * grad_values[str(p)] for p in (first, second)}
    point = {str(s): v for s, v in values.items()}
    return Witness(
        pair=(str(first), str(second)),
        point=point,
        gradients=grad_values,
        difference=difference,
        after_step=after,
        certified_by=certified,
        enclosure=enclosure,
        sample=claim.sample,
        note=note,
    )


def as_float_str(value) -> str:
    return f"{float(value):.6g}"


def _sampler(problem: Problem, expressions, extra=(), seed: int = 0) -> Sampler:
    """Points for every free symbol of ``expressions``, the data and the tied subspace."""
    symbols = symbols_of(sympy.Tuple(*expressions)) | set(extra)
    symbols |= set(problem.init_symbols)
    tie_map = problem.tie_map
    symbols |= {
        tie_map.get(p, p) for p in problem.parameters if not problem.init or p not in problem.init
    }
    data = [s for s in problem.data if problem.dataset is None]
    symbols |= set(data)
    if problem.dataset is not None:
        symbols -= set(problem.data)
    return Sampler(symbols, signs=problem.signs, seed=seed, leading=data)


def _covered(problem: Problem) -> tuple[str, ...]:
    if problem.dataset is not None and problem.mode == "full-batch":
        return FULL_BATCH_OPTIMIZERS
    return OPTIMIZERS


# ---------------------------------------------------------------- main entry
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
) -> ProofResult:
    """Decide whether the tie persists under gradient descent.

    ``loss`` is text (Python syntax), a SymPy expression or a :class:`Model`.
    ``ties`` are groups such as ``"w0=w1"`` or ``("w0", "w1")``; ``init`` is
    ``"zero"``, ``"constant"``, ``"w0=0,w1=0"``, a mapping, or for a model
    ``"identical"``. ``assume`` holds equations on the data (``"x0=x1"``) or
    signs (``"x>0"``). ``dataset`` rows map data names to numbers; ``mode`` is
    ``"sgd"`` (every sample) or ``"full-batch"`` (summed gradient).

    >>> result = prove("w0*x0 + w1*x1", ties=["w0=w1"])
    >>> result.verdict, result.condition.text
    ('refuted', 'x0 = x1')
    """
    start = time.monotonic()
    problem = build_problem(loss, ties, params, init, assume, dataset, mode, functions)
    result = _decide(problem, start, timeout, condition)
    title = problem.describe_tie()
    return ProofResult(
        **{
            **result.__dict__,
            "elapsed_s": round(time.monotonic() - start, 4),
            "title": title,
        }
    )


def build_problem(
    loss: str | sympy.Expr | Model,
    ties=None,
    params=None,
    init=None,
    assume=None,
    dataset=None,
    mode: str = "sgd",
    functions: Sequence[str] = (),
) -> Problem:
    """The :class:`Problem` for :func:`prove`'s arguments (models resolve their presets)."""
    if isinstance(loss, Model):
        model = loss
        init_values = init
        if isinstance(init, str) and init.strip() in ("identical", "zero", "constant"):
            init_values = {str(p): v for p, v in model.init_values(init.strip()).items()}
        elif isinstance(init, str) and _is_tie_list(init, model) and ties is None:
            ties, init_values = _tie_list(init), None
        if ties is None and init_values is None:
            init_values = {str(p): v for p, v in model.init_values("identical").items()}
        return Problem.build(
            model.loss,
            ties=ties,
            params=[str(p) for p in model.parameters],
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


def _decide(problem: Problem, start: float, timeout: float, want_condition: bool) -> ProofResult:
    deadline = start + timeout
    notes = []
    kinds = function_types(problem.loss)
    if kinds & {sympy.Heaviside, sympy.Max, sympy.Min, sympy.Abs, relu}:
        notes.append("at a kink the derivative convention is relu'(0) = 0 (Heaviside(0) = 0)")
    branches = _branches(problem, max(deadline - time.monotonic(), 0.1))
    outcomes = []
    for branch in branches:
        outcome = _decide_branch(problem, branch, deadline, want_condition and len(branches) == 1)
        if outcome.verdict == "refuted":
            return _with_notes(outcome, notes)
        outcomes.append(outcome)
    if all(o.verdict == "proven" for o in outcomes):
        first = outcomes[0]
        if len(outcomes) > 1:
            method = "; ".join(sorted({o.method for o in outcomes}))
            first = ProofResult(
                **{**first.__dict__, "method": f"{method} (on every branch of the assumptions)"}
            )
        return _with_notes(first, notes)
    unknown = next(o for o in outcomes if o.verdict == "unknown")
    return _with_notes(unknown, notes)


def _with_notes(result: ProofResult, notes: list[str]) -> ProofResult:
    return ProofResult(**{**result.__dict__, "notes": tuple(notes) + result.notes})


def _decide_branch(
    problem: Problem,
    branch: Mapping[sympy.Symbol, sympy.Expr],
    deadline: float,
    want_condition: bool,
) -> ProofResult:
    loss = substitute(problem.loss, branch) if branch else problem.loss
    pairs = problem.tied_pairs
    tied = sorted({p for pair in pairs for p in pair}, key=problem.position.__getitem__)
    stationary: bool | None = None
    covered = _covered(problem)
    base = {"problem": problem, "optimizers": covered}

    def remaining() -> float:
        return max(deadline - time.monotonic(), 0.05)

    # 1. permutation symmetry: no derivative needed
    proven, method = _symmetry_route(problem, loss)
    if proven:
        shown = None
        small = len(dag_nodes(loss)) <= DISPLAY_NODES
        if small:
            shown = _display_gradients(loss, problem, tied)
        if problem.init_is_numeric and small:
            init_grads = gradients(loss, problem.parameters, at=dict(problem.init))
            claims = _claims(problem, init_grads, pairs)
            stationary = _all_zero(
                problem, init_grads, _sampler(problem, [c.expression for c in claims]), remaining()
            )
        return ProofResult(
            verdict="proven",
            method=method,
            differences={_pair_name(p): sympy.S.Zero for p in pairs},
            gradients=shown,
            stationary=stationary,
            **base,
        )

    # 2. at the init: stationary point, or a one-step refutation there
    if problem.init:
        at_init = {p: v for p, v in problem.init.items()}
        free_params = [p for p in problem.parameters if p not in problem.init]
        if free_params:
            at_init.update(problem.tie_map)
            at_init = {
                p: problem.init.get(v, v) if p not in problem.init else v
                for p, v in at_init.items()
            }
        init_grads = gradients(loss, problem.parameters, at=at_init)
        claims = _claims(problem, init_grads, pairs)
        sampler = _sampler(problem, [c.expression for c in claims])
        found, _ = find_nonzero([c.expression for c in claims], sampler)
        if found is not None:
            claim = claims[found.index]
            witness = _witness(problem, branch, init_grads, claim, found)
            on_tie = gradients(loss, tied, at=problem.tie_map)
            differences, condition = _condition_on_tie(
                problem, loss, pairs, on_tie, want_condition, remaining()
            )
            return ProofResult(
                verdict="refuted",
                method="exact evaluation at the init" + _certified(found),
                differences=differences,
                gradients={str(p): on_tie[p] for p in tied},
                condition=condition,
                witness=witness,
                stationary=False,
                **base,
            )
        if problem.init_is_numeric:
            stationary = _all_zero(problem, init_grads, sampler, remaining())
            if stationary:
                return ProofResult(
                    verdict="proven",
                    method="stationary point: every gradient is 0 at the init for all data, "
                    "so no parameter ever moves",
                    differences={_pair_name(p): sympy.S.Zero for p in pairs},
                    gradients={str(p): init_grads[p] for p in problem.parameters},
                    stationary=True,
                    **base,
                )

    # 3. gradients on the tied subspace
    tie_map = problem.tie_map
    grads = gradients(loss, tied, at=tie_map)
    claims = _claims(problem, grads, pairs)
    differences = {_pair_name(p): grads[p[0]] - grads[p[1]] for p in pairs}
    open_claims = [c for c in claims if c.expression != 0]
    if not open_claims:
        return ProofResult(
            verdict="proven",
            method="structural equality of the gradients on the tied subspace"
            + (
                " (summed over the dataset)"
                if problem.dataset is not None and problem.mode == "full-batch"
                else ""
            ),
            differences=differences,
            gradients={str(p): grads[p] for p in tied},
            stationary=stationary,
            **base,
        )
    sampler = _sampler(problem, [c.expression for c in open_claims])

    def refuted(found: Nonzero) -> ProofResult:
        return _refuted_on_t(
            problem,
            branch,
            loss,
            grads,
            open_claims[found.index],
            found,
            pairs,
            want_condition,
            remaining(),
            base,
            stationary,
        )

    if not problem.init:
        found, evidence = find_nonzero([c.expression for c in open_claims], sampler)
        if found is not None:
            return refuted(found)
    proofs = []
    for claim in open_claims:
        outcome = prove_zero(claim.expression, remaining(), signs=problem.signs)
        proofs.append(outcome)
        if outcome.zero is not True:
            break
    if proofs and all(p.zero for p in proofs) and len(proofs) == len(open_claims):
        methods = sorted({p.method for p in proofs})
        return ProofResult(
            verdict="proven",
            method="; ".join(methods) + " of every gradient difference on the tied subspace",
            differences=differences,
            gradients={str(p): grads[p] for p in tied},
            stationary=stationary,
            **base,
        )
    failed = proofs[-1]
    # A nonzero normal form means a witness exists: search harder.
    if not problem.init and all(is_rational_function(c.expression) for c in open_claims):
        found, _ = find_nonzero(
            [c.expression for c in open_claims],
            _sampler(problem, [c.expression for c in open_claims], seed=7),
            tries=60,
        )
        if found is not None:
            return refuted(found)
    generic = _generic_refutation(problem, branch, loss, pairs, tied, remaining())
    if generic is not None:
        return ProofResult(**{**generic.__dict__, **base, "stationary": stationary})
    if problem.init and problem.dataset is None:
        two_step = two_step_witness(
            loss,
            problem.parameters,
            {**problem.tie_map, **problem.init},
            pairs,
            list(_sampler(problem, [c.expression for c in open_claims]).points(4)),
        )
        if two_step is not None:
            return _refuted_in_two_steps(
                problem, loss, pairs, grads, two_step, want_condition, remaining(), base, stationary
            )
    _, evidence = find_nonzero([c.expression for c in open_claims], sampler, tries=3)
    reason = failed.reason or "no sound method decided"
    if problem.init:
        reason = (
            "the gradients agree at the init for all data, but not provably on the whole "
            f"tied subspace ({reason}), and no two-step witness was found"
        )
    return ProofResult(
        verdict="unknown",
        method=failed.method,
        differences=differences,
        gradients={str(p): grads[p] for p in tied},
        stationary=stationary,
        reason=reason,
        evidence=tuple(
            "evidence only (floats): differences at a sample point = "
            + ", ".join(f"{v:.3g}" for v in row)
            for row in evidence
        ),
        **base,
    )


def _certified(found: Nonzero) -> str:
    return " (exact rational arithmetic)" if is_exact(found.value) else " (interval arithmetic)"


def _refuted_on_t(
    problem,
    branch,
    loss,
    grads,
    claim,
    found,
    pairs,
    want_condition,
    seconds,
    base,
    stationary,
    note: str = "",
) -> ProofResult:
    witness = _witness(problem, branch, grads, claim, found, note)
    differences, condition = _condition_on_tie(problem, loss, pairs, grads, want_condition, seconds)
    tied = sorted({p for pair in pairs for p in pair}, key=problem.position.__getitem__)
    return ProofResult(
        verdict="refuted",
        method="exact evaluation on the tied subspace" + _certified(found),
        differences=differences,
        gradients={str(p): grads[p] for p in tied},
        condition=condition,
        witness=witness,
        stationary=stationary,
        **base,
    )


def _refuted_in_two_steps(
    problem, loss, pairs, grads, two_step, want_condition, seconds, base, stationary
) -> ProofResult:
    """A refutation at step 2 (see :mod:`symgrad.multistep`)."""
    first, second = (str(p) for p in two_step.pair)
    differences, condition = _condition_on_tie(problem, loss, pairs, grads, want_condition, seconds)
    tied = sorted({p for pair in pairs for p in pair}, key=problem.position.__getitem__)
    witness = Witness(
        pair=(first, second),
        point=dict(two_step.point),
        gradients=dict(two_step.gradients),
        difference=two_step.difference,
        after_step={},
        certified_by=two_step.certified_by,
        steps=2,
        note=(
            "the gradients agree at the init, so the pair is still equal after one step; "
            f"the gradients listed are at the point after one step with eta = {two_step.eta}; "
            "the loss is analytic, so they differ for every eta != 0 small enough"
        ),
    )
    return ProofResult(
        verdict="refuted",
        method="exact evaluation after one step from the init"
        + (
            " (exact rational arithmetic)"
            if two_step.certified_by.startswith("exact")
            else " (interval arithmetic)"
        ),
        differences=differences,
        gradients={str(p): grads[p] for p in tied},
        condition=condition,
        witness=witness,
        stationary=stationary,
        **base,
    )


def _condition_on_tie(problem, loss, pairs, grads, want_condition, seconds):
    """Differences on T (``grads`` are the gradients there) and the solved data condition."""
    differences = {_pair_name(p): grads[p[0]] - grads[p[1]] for p in pairs}
    if not want_condition or problem.dataset is not None or not problem.data:
        return differences, None
    if not all(is_rational_function(d) for d in differences.values()):
        return differences, None
    on_t = substitute(loss, problem.tie_map)
    on_t_symbols = symbols_of(on_t)
    free_params = [s for s in on_t_symbols if s in set(problem.parameters)]
    data = [s for s in problem.data if s in on_t_symbols]
    condition = tie_condition(
        list(differences.values()), free_params, data, seconds=min(seconds, 10.0)
    )
    return differences, condition


def _display_gradients(loss, problem, tied):
    grads = gradients(loss, tied, at=problem.tie_map)
    return {str(p): grads[p] for p in tied}


def _all_zero(problem, grads, sampler, seconds) -> bool:
    """Every gradient identically 0 (for all data) at the init."""
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
    found, _ = find_nonzero(open_expressions, sampler, tries=3)
    if found is not None:
        return False
    return all(prove_zero(e, seconds, signs=problem.signs).zero for e in open_expressions)


_CONCRETE_ACTIVATIONS = (
    ("t**2 + t", lambda t: t**2 + t),
    ("tanh(t)", sympy.tanh),
)


def _generic_refutation(problem, branch, loss, pairs, tied, seconds) -> ProofResult | None:
    """For an arbitrary activation: refute with one concrete activation, which suffices."""
    undefined = {
        node.func for node in dag_nodes(loss) if isinstance(node, sympy.core.function.AppliedUndef)
    }
    if not undefined:
        return None
    for text, concrete in _CONCRETE_ACTIVATIONS:
        concrete_loss = loss
        for function in undefined:
            concrete_loss = concrete_loss.replace(function, concrete)
        grads = gradients(concrete_loss, tied, at=problem.tie_map)
        claims = _claims(problem, grads, pairs)
        if problem.init:
            grads = gradients(concrete_loss, tied, at=dict(problem.init))
            claims = _claims(problem, grads, pairs)
        sampler = _sampler(problem, [c.expression for c in claims])
        found, _ = find_nonzero([c.expression for c in claims], sampler)
        if found is None:
            continue
        names = ", ".join(f.__name__ for f in undefined)
        note = f"with the activation {names}(t) = {text}: one activation suffices to refute 'for every {names}'"
        witness = _witness(problem, branch, grads, claims[found.index], found, note)
        differences = {_pair_name(p): g for p, g in zip(pairs, [c.expression for c in claims])}
        return ProofResult(
            verdict="refuted",
            problem=problem,
            method="exact evaluation with a concrete activation" + _certified(found),
            differences=differences,
            witness=witness,
        )
    return None
