"""Collapse: the coarsest tie partition that provably persists from an init.

Start from the parameters grouped by equal initial value. Repeatedly split
every group whose members' gradients, restricted to the current tied subspace,
are not the same expression; stop when stable. The final subspace contains the
init and every gradient step maps it into itself, so each final group stays
equal forever (a proof). Permutation symmetries whose orbits are the current
groups, or a stationary init, end the search early. For each pair split apart,
an exact witness at the init shows that they do separate, when one exists.

>>> from symgrad import model
>>> result = collapse(model("two-layer", inputs=2, hidden=4, activation="tanh"), init="identical")
>>> result.effective_width
[1]
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from symgrad.calculus import gradients, substitute
from symgrad.errors import TieError
from symgrad.evaluate import is_exact
from symgrad.models import Model
from symgrad.multistep import two_step_witness
from symgrad.problem import Problem
from symgrad.prove import _claims, _sampler, build_problem
from symgrad.report import short
from symgrad.symmetry import symmetry_proof
from symgrad.zero import find_nonzero

MAX_WITNESS_PAIRS = 24


@dataclass(frozen=True)
class SplitWitness:
    """Why two parameters that start equal separate: their gradients differ at the init."""

    pair: tuple[str, str]
    point: Mapping[str, sympy.Expr] | None
    gradients: Mapping[str, sympy.Expr] | None
    certified_by: str | None
    note: str = ""

    def to_dict(self) -> dict:
        return {
            "pair": list(self.pair),
            "point": {k: str(v) for k, v in self.point.items()} if self.point else None,
            "gradients": {k: str(v) for k, v in self.gradients.items()} if self.gradients else None,
            "certified_by": self.certified_by,
            "note": self.note or None,
        }


@dataclass(frozen=True)
class CollapseResult:
    """Groups of parameters that stay equal forever, with the effective widths."""

    groups: tuple[tuple[str, ...], ...]
    effective_width: list[int]
    widths: list[int]
    method: str
    stationary: bool | None
    witnesses: tuple[SplitWitness, ...] = ()
    rounds: int = 0
    model: str = ""
    elapsed_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> list[str]:
        lines = []
        for layer, (width, effective) in enumerate(zip(self.widths, self.effective_width), 1):
            if effective == 1 and width > 1:
                lines.append(
                    f"hidden layer {layer}: {width} neurons behave as 1; the network trains "
                    "like a width-1 network in this layer"
                )
            else:
                lines.append(f"hidden layer {layer}: {width} neurons behave as {effective}")
        if self.stationary:
            lines.append("the init is a stationary point: nothing moves at all")
        return lines

    def to_dict(self) -> dict:
        return {
            "groups": [list(g) for g in self.groups],
            "effective_width": self.effective_width,
            "widths": self.widths,
            "method": self.method,
            "stationary": self.stationary,
            "summary": self.summary(),
            "witnesses": [w.to_dict() for w in self.witnesses],
            "rounds": self.rounds,
            "model": self.model,
            "notes": list(self.notes),
            "elapsed_s": self.elapsed_s,
        }

    def to_text(self) -> str:
        tied = [g for g in self.groups if len(g) > 1]
        lines = [
            f"PROVEN: {len(tied)} groups of parameters stay equal forever "
            f"({sum(len(g) for g in tied)} parameters in all)."
        ]
        lines += [f"  {line}" for line in self.summary()]
        lines.append("Groups that stay equal:")
        for group in tied[:20]:
            lines.append(f"  {short(' = '.join(group), 200)}")
        if len(tied) > 20:
            lines.append(f"  ... {len(tied) - 20} more (--json has all)")
        if self.witnesses:
            lines.append("Pairs that start equal but separate:")
            for witness in self.witnesses[:10]:
                if witness.point is not None:
                    values = " vs ".join(short(v, 60) for v in witness.gradients.values())
                    where = "after one step" if witness.note else "at the init"
                    lines.append(
                        f"  {witness.pair[0]} / {witness.pair[1]}: gradients {values} "
                        f"{where} ({witness.certified_by})"
                    )
                    if witness.note:
                        lines.append(f"    {witness.note}")
                else:
                    lines.append(f"  {witness.pair[0]} / {witness.pair[1]}: {witness.note}")
        for note in self.notes:
            lines.append(f"Note: {note}")
        lines.append(f"Certificate: {self.method} ({self.elapsed_s:.3f} s).")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = ["**Collapse.** " + "; ".join(self.summary()), ""]
        for group in [g for g in self.groups if len(g) > 1][:20]:
            lines.append(f"- ${' = '.join(_tex(n) for n in group)}$")
        lines += ["", f"*Certificate:* {self.method}."]
        return "\n".join(lines)

    def to_latex(self) -> str:
        rows = [" = ".join(_tex(n) for n in g) for g in self.groups if len(g) > 1][:20]
        return "\\begin{align*}\n" + " \\\\\n".join(f"&{row}" for row in rows) + "\n\\end{align*}"

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _tex(name: str) -> str:
    from symgrad.report import symbol_tex

    return symbol_tex(name)


def _signature(problem: Problem, gradient: sympy.Expr):
    if problem.dataset is None:
        return gradient
    rows = [substitute(gradient, row) for row in problem.dataset]
    if problem.mode == "sgd":
        return tuple(rows)
    return sympy.Add(*rows)


def _refine(problem: Problem, loss, partition):
    """One round: split groups by the exact gradient expressions on the tied subspace."""
    tie_map = {p: group[0] for group in partition for p in group[1:]}
    members = [p for group in partition if len(group) > 1 for p in group]
    grads = gradients(loss, members, at=tie_map)
    refined = []
    for group in partition:
        if len(group) == 1:
            refined.append(group)
            continue
        classes: dict[object, list[sympy.Symbol]] = {}
        for p in group:
            classes.setdefault(_signature(problem, grads[p]), []).append(p)
        refined.extend(tuple(c) for c in classes.values())
    return refined


def _witnesses(problem: Problem, loss, start, final) -> tuple[SplitWitness, ...]:
    """For split pairs: the gradient difference at the init, certified nonzero, if found."""
    final_of = {p: index for index, group in enumerate(final) for p in group}
    pairs = []
    for group in start:
        representatives = {}
        for p in group:
            representatives.setdefault(final_of[p], p)
        reps = list(representatives.values())
        pairs.extend((reps[0], other) for other in reps[1:])
    pairs = pairs[:MAX_WITNESS_PAIRS]
    if not pairs:
        return ()
    at_init = dict(problem.init) if problem.init else {p: g[0] for g in start for p in g[1:]}
    grads = gradients(
        loss, sorted({p for pair in pairs for p in pair}, key=problem.position.get), at=at_init
    )
    claims = _claims(problem, grads, pairs)
    sampler = _sampler(problem, [c.expression for c in claims])
    result = []
    for claim in claims:
        found, _ = find_nonzero([claim.expression], sampler, tries=4)
        a, b = (str(p) for p in claim.pair)
        if found is None:
            two_step = None
            if problem.dataset is None:
                two_step = two_step_witness(
                    loss, problem.parameters, at_init, [claim.pair], list(sampler.points(4))
                )
            if two_step is not None:
                result.append(
                    SplitWitness(
                        (a, b),
                        dict(two_step.point),
                        dict(two_step.gradients),
                        two_step.certified_by,
                        "equal gradients at the init, different after one step (shown at "
                        f"eta = {two_step.eta}; the loss is analytic, so for every small eta != 0): "
                        "they separate at step 2",
                    )
                )
                continue
            result.append(
                SplitWitness(
                    (a, b),
                    None,
                    None,
                    None,
                    "the split is not known to be necessary (no witness within "
                    "two steps was found)",
                )
            )
            continue
        exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in found.point.items()}
        values = {str(p): substitute(grads[p], exact) for p in claim.pair}
        if claim.sample is not None:
            values = {
                str(p): substitute(substitute(grads[p], problem.dataset[claim.sample]), exact)
                for p in claim.pair
            }
        result.append(
            SplitWitness(
                (a, b),
                {str(s): v for s, v in exact.items()},
                values,
                "exact rational arithmetic" if is_exact(found.value) else "interval arithmetic",
            )
        )
    return tuple(result)


def _effective_widths(model: Model | None, partition) -> tuple[list[int], list[int]]:
    if model is None or not model.hidden:
        return [], []
    group_of = {p: index for index, group in enumerate(partition) for p in group}
    widths, effective = [], []
    for layer in model.neurons:
        widths.append(len(layer))
        effective.append(len({tuple(group_of[p] for p in neuron) for neuron in layer}))
    return widths, effective


def collapse(
    loss: str | sympy.Expr | Model,
    init: str | Mapping | None = "identical",
    ties: Sequence[str] | None = None,
    params: Sequence[str] | str | None = None,
    dataset: Sequence[Mapping] | None = None,
    mode: str = "sgd",
    functions: Sequence[str] = (),
    timeout: float = 60.0,
) -> CollapseResult:
    """The coarsest partition refinement of the init's groups that provably persists."""
    start_time = time.monotonic()
    model = loss if isinstance(loss, Model) else None
    try:
        problem = build_problem(loss, ties, params, init, None, dataset, mode, functions)
    except TieError as error:
        if "nothing is tied" not in str(error):
            raise
        return CollapseResult(
            groups=(),
            effective_width=[],
            widths=[],
            stationary=None,
            method="nothing is tied: every parameter starts different",
            elapsed_s=round(time.monotonic() - start_time, 4),
        )
    loss_expr = problem.loss
    start = problem.partition()
    partition = list(start)
    method = ""
    stationary = None
    notes = []
    if problem.init_is_numeric:
        at_init = gradients(loss_expr, problem.parameters, at=dict(problem.init))
        expressions = [_signature(problem, g) for g in at_init.values()]
        flat = [e for item in expressions for e in (item if isinstance(item, tuple) else (item,))]
        if all(e == 0 for e in flat):
            stationary = True
            method = "stationary point: every gradient is 0 at the init, nothing ever moves"
    rounds = 0
    candidates = list(problem.symmetries)
    while not method:
        if time.monotonic() - start_time > timeout:
            from symgrad.errors import BudgetError

            raise BudgetError(f"collapse ran out of its {timeout:g} s budget")
        if symmetry_proof(loss_expr, problem.parameters, partition, candidates) is not None:
            method = (
                "permutation invariance: neuron swaps whose orbits are the groups leave J unchanged"
            )
            break
        rounds += 1
        refined = _refine(problem, loss_expr, partition)
        if len(refined) == len(partition):
            method = (
                "every group's gradients are the same expression on the tied subspace "
                f"(stable after {rounds} refinement round{'s' if rounds > 1 else ''})"
            )
            break
        partition = refined
    if stationary is None and problem.init_is_numeric:
        stationary = False
    ordered = sorted(
        (tuple(sorted(g, key=problem.position.get)) for g in partition),
        key=lambda g: problem.position[g[0]],
    )
    widths, effective = _effective_widths(model, ordered)
    witnesses = _witnesses(problem, loss_expr, start, ordered)
    return CollapseResult(
        groups=tuple(tuple(str(p) for p in g) for g in ordered),
        effective_width=effective,
        widths=widths,
        method=method,
        stationary=stationary,
        witnesses=witnesses,
        rounds=rounds,
        model=model.describe() if model else "",
        notes=tuple(notes) + (tuple(model.notes) if model else ()),
        elapsed_s=round(time.monotonic() - start_time, 4),
    )
