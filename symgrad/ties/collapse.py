"""Collapse: the smallest invariant set of its kind that contains the init.

An invariant set here is S = {θ : θi = θj within each group, θk = vk for each
pinned k}. GD maps S into itself iff, for every θ in S and all data, the
members of a group have equal gradients and each pinned parameter has
gradient 0. Start from the init's groups (equal initial values) with every
numeric initial value pinned; unpin parameters whose gradient on S is not
identically 0 and split groups whose members' gradients differ; repeat until
stable. The final S contains the init and is invariant, so each final group
stays equal forever and each pinned value never moves (a proof). Permutation
symmetries whose orbits are the groups end the search early when nothing is
pinned.

For each pair that starts equal but ends in different groups, exact (or
interval) gradient descent from the init for up to ``steps`` steps looks for
the step where they separate: that certifies that the split is necessary.

>>> from symgrad import model
>>> result = collapse(model("two-layer", inputs=2, hidden=4, activation="tanh"), init="identical")
>>> result.effective_width
[1]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from fractions import Fraction

import sympy

from symgrad.errors import TieError
from symgrad.exact.calculus import gradients
from symgrad.exact.dag import substitute
from symgrad.exact.sampling import Sampler, find_nonzero
from symgrad.exact.zero import prove_zero
from symgrad.results import CollapseResult, SplitWitness
from symgrad.runtime.budget import Budget, binds_timeout
from symgrad.runtime.heap import heap_frozen
from symgrad.ties.models import Model
from symgrad.ties.multistep import DEFAULT_STEPS, separation_witness
from symgrad.ties.problem import Problem
from symgrad.ties.prove import _only_symbolic, _steps_value, build_problem, is_torch_model
from symgrad.ties.symmetry import symmetry_proof

MAX_WITNESS_PAIRS = 24


class _State:
    """A partition of the parameters and the values some of them are pinned at."""

    def __init__(self, problem: Problem, groups, pinned: Mapping[sympy.Symbol, sympy.Expr]):
        self.problem = problem
        self.groups = [tuple(g) for g in groups]
        self.pinned = dict(pinned)

    def substitution(self) -> dict[sympy.Symbol, sympy.Expr]:
        """Each parameter -> its pinned value, or its group's first parameter."""
        mapping = {}
        for group in self.groups:
            for p in group:
                mapping[p] = self.pinned.get(p, group[0])
        return {p: v for p, v in mapping.items() if v != p}

    def key(self):
        return (tuple(sorted(self.groups, key=str)), tuple(sorted(self.pinned, key=str)))


def _signature(problem: Problem, gradient: sympy.Expr):
    if problem.dataset is None:
        return gradient
    rows = [substitute(gradient, row) for row in problem.dataset]
    if problem.mode == "sgd":
        return tuple(rows)
    return sympy.Add(*rows)


def _flat(signature) -> list[sympy.Expr]:
    return list(signature) if isinstance(signature, tuple) else [signature]


class _Refiner:
    def __init__(self, problem: Problem, budget: Budget):
        self.problem = problem
        self.budget = budget

    @property
    def loss(self) -> sympy.Expr:
        return self.problem.loss  # written out in SymPy only if a refinement round is needed

    def sampler(self, expressions) -> Sampler:
        symbols = set().union(*(e.free_symbols for e in expressions)) if expressions else set()
        data = [s for s in self.problem.data if self.problem.dataset is None]
        return Sampler(symbols, signs=self.problem.signs, leading=data)

    def is_zero(self, expressions: list[sympy.Expr]) -> bool:
        self.budget.check("collapse")
        open_expressions = [e for e in expressions if e != 0]
        if not open_expressions:
            return True
        found, _ = find_nonzero(
            open_expressions, self.sampler(open_expressions), tries=6, budget=self.budget
        )
        if found is not None:
            return False
        for expression in open_expressions:
            self.budget.check("collapse")
            seconds = min(self.budget.remaining() / 4, 10.0)
            if not prove_zero(expression, seconds, signs=self.problem.signs).zero:
                return False
        return True

    def refine(self, state: _State) -> _State:
        """One round: unpin what moves, split groups whose gradients differ on S."""
        grads = gradients(
            self.loss, self.problem.parameters, at=state.substitution(), budget=self.budget
        )
        signatures = {p: _signature(self.problem, grads[p]) for p in self.problem.parameters}
        pinned = {p: v for p, v in state.pinned.items() if self.is_zero(_flat(signatures[p]))}
        groups = []
        for group in state.groups:
            classes: list[list[sympy.Symbol]] = []
            for p in group:
                for members in classes:
                    q = members[0]
                    if (p in pinned) != (q in pinned):
                        continue
                    if signatures[p] == signatures[q] or self.is_zero(
                        [a - b for a, b in zip(_flat(signatures[p]), _flat(signatures[q]))]
                    ):
                        members.append(p)
                        break
                else:
                    classes.append([p])
            groups.extend(tuple(c) for c in classes)
        return _State(self.problem, groups, pinned)


def _witnesses(problem, start, final, steps, budget) -> tuple[SplitWitness, ...]:
    """For pairs that start equal but end apart: the step at which they separate, if found."""
    final_of = {p: index for index, group in enumerate(final) for p in group}
    pairs = []
    for group in start:
        representatives: dict[int, sympy.Symbol] = {}
        for p in group:
            representatives.setdefault(final_of[p], p)
        reps = list(representatives.values())
        pairs.extend((reps[0], other) for other in reps[1:])
    pairs = pairs[:MAX_WITNESS_PAIRS]
    if not pairs:
        return ()
    result = []
    starts = _starts(problem)
    for pair in pairs:
        found = None
        if starts:
            found = separation_witness(
                problem.loss,
                problem.parameters,
                starts,
                [pair],
                steps=steps,
                dataset=problem.dataset,
                mode=problem.mode,
                budget=budget.share(0.5, cap=20),
            )
        a, b = (str(p) for p in pair)
        if found is None:
            result.append(
                SplitWitness(
                    (a, b),
                    None,
                    None,
                    None,
                    f"the split is not known to be necessary (no witness within {steps} steps "
                    "was found)",
                )
            )
            continue
        point = {str(p): _rational(v) for p, v in found.theta0.items()}
        for row in found.data:
            point.update({str(s): _rational(v) for s, v in row.items()})
        result.append(
            SplitWitness(
                (a, b),
                point,
                {str(p): _shown(found.gradients[p]) for p in pair},
                found.certified_by,
                steps=found.steps,
                eta=_rational(found.eta),
            )
        )
    return tuple(result)


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _shown(value):
    from symgrad.ties.prove import _shown as shown

    return shown(value)


def _starts(problem: Problem):
    """(θ0, data) start points for the witness search: the init with sampled free values."""
    free = sorted({s for v in problem.start.values() for s in v.free_symbols}, key=str)
    data = [s for s in problem.data if problem.dataset is None]
    sampler = Sampler(set(free) | set(data), signs=problem.signs, leading=data)
    starts = []
    for sample in sampler.points(3):
        exact = {s: _rational(v) for s, v in sample.items()}
        theta0 = {}
        for p in problem.parameters:
            value = problem.start[p].xreplace(exact)
            if not value.is_Rational:
                break
            theta0[p] = Fraction(int(value.p), int(value.q))
        else:
            starts.append((theta0, {s: sample[s] for s in data}))
    return starts


def _effective_widths(model: Model | None, partition) -> tuple[list[int], list[int]]:
    if model is None or not model.has_hidden:
        return [], []
    group_of = {p: index for index, group in enumerate(partition) for p in group}
    widths, effective = [], []
    for layer in model.neurons:
        widths.append(len(layer))
        effective.append(len({tuple(group_of[p] for p in neuron) for neuron in layer}))
    return widths, effective


def _nothing_tied(start_time: Budget) -> CollapseResult:
    return CollapseResult(
        groups=(),
        effective_width=[],
        widths=[],
        stationary=None,
        method="nothing is tied: every parameter starts different",
        elapsed_s=round(start_time.elapsed(), 4),
    )


def _coarsest(problem, state: _State, budget: Budget):
    """Refine the groups until a permutation proves them or the refinement is stable.

    Returns the final state, the method, the rounds and the permutation proof (or None).
    """
    refiner = _Refiner(problem, budget.share(0.7, floor=0.05))
    rounds = 0
    while True:
        budget.check("collapse")
        proof = None
        if not state.pinned:
            proof = symmetry_proof(
                problem.graph, problem.parameters, state.groups, problem.symmetries, budget
            )
        if proof is not None:
            kind = (
                "neuron swaps"
                if all(s.get(b) == a for s in proof.generators for a, b in s.items())
                else "neuron permutations"
            )
            method = f"permutation invariance: {kind} whose orbits are the groups leave J unchanged"
            return state, method, rounds, proof
        rounds += 1
        refined = refiner.refine(state)
        if refined.key() == state.key():
            method = (
                "every group's gradients agree and every pinned parameter's gradient is 0 on the "
                f"invariant set (stable after {rounds} refinement round{'s' if rounds > 1 else ''})"
            )
            return state, method, rounds, None
        state = refined


@binds_timeout
def collapse(
    loss: str | sympy.Expr | Model,
    init: str | Mapping | None = None,
    ties: Sequence[str] | None = None,
    params: Sequence[str] | str | None = None,
    dataset: Sequence[Mapping] | None = None,
    mode: str = "sgd",
    functions: Sequence[str] = (),
    timeout: float = 60.0,
    steps: int = DEFAULT_STEPS,
) -> CollapseResult:
    """The coarsest groups (and pinned values) that provably persist from ``init``."""
    if is_torch_model(loss):
        from symgrad.torch.verdicts import collapse_torch

        _only_symbolic(params=params, dataset=dataset, functions=functions)
        return collapse_torch(loss, init=init, ties=ties, steps=steps, timeout=timeout)
    init = "identical" if init is None else init
    budget = Budget(timeout)
    steps = _steps_value(steps)
    model = loss if isinstance(loss, Model) else None
    try:
        problem = build_problem(loss, ties, params, init, None, dataset, mode, functions)
    except TieError as error:
        if "nothing is tied" not in str(error):
            raise
        return _nothing_tied(budget)
    with heap_frozen():  # the loss graph stays out of the cycle collector's scans
        result = _decided(problem, model, budget, steps)
    return dataclasses.replace(result, elapsed_s=round(budget.elapsed(), 4))


def _decided(problem: Problem, model: Model | None, budget: Budget, steps: int) -> CollapseResult:
    """The coarsest invariant set from the problem's init, its witnesses and its certificate."""
    start = problem.partition()
    pinned = {p: v for p, v in (problem.init or {}).items() if not v.free_symbols}
    state, method, rounds, proof = _coarsest(problem, _State(problem, start, pinned), budget)
    stationary = None
    if problem.init_is_numeric:
        stationary = len(state.pinned) == len(problem.parameters)
        if stationary:
            method = "stationary point: every gradient is 0 at the init, nothing ever moves"
    ordered = sorted(
        (tuple(sorted(g, key=problem.position.get)) for g in state.groups),
        key=lambda g: problem.position[g[0]],
    )
    widths, effective = _effective_widths(model, ordered)
    result = CollapseResult(
        groups=tuple(tuple(str(p) for p in g) for g in ordered),
        effective_width=effective,
        widths=widths,
        method=method,
        stationary=stationary,
        witnesses=_witnesses(problem, start, ordered, steps, budget),
        rounds=rounds,
        model=model.describe() if model else "",
        notes=tuple(model.notes) if model else (),
        pinned={str(p): v for p, v in state.pinned.items()},
        layers={
            f"hidden layer {k + 1}": {"units": w, "effective_width": e}
            for k, (w, e) in enumerate(zip(widths, effective))
        },
    )
    from symgrad.ties.certify import certify_collapse

    return certify_collapse(result, problem, state.groups, state.pinned, budget, proof)
