"""prove and collapse for a traced model: proof by unit permutations, refutation by exact witnesses, both re-checked."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from symgrad.errors import BudgetError, ProblemError, TieError
from symgrad.results import CollapseResult, ModelProofResult, SplitWitness
from symgrad.runtime.budget import Budget, binds_timeout, tick
from symgrad.torch.float_check import describe, fragile
from symgrad.torch.graph import Graph
from symgrad.torch.models import (
    FLOAT_NOTE,
    OPTIMIZERS,
    WITNESS_POINTS,
    Analysis,
    Layout,
    TorchModel,
    analyse,
    initial_values,
    start_classes,
    tie_groups,
    unchecked,
    withdrawn,
)
from symgrad.torch.recheck import (
    FloatModel,
    one_thread,
    recheck_gradients,
    recheck_permutations,
    recheck_witness,
)
from symgrad.torch.report import layer_report, method_text, symmetry_report
from symgrad.torch.symmetry import differing
from symgrad.torch.witnesses import point_masks, separate, witness_points


@dataclass
class _Setup:
    values: dict[str, np.ndarray]
    init_text: str
    groups: list[list[int]]
    analysis: Analysis
    named: bool = False
    frozen: frozenset = frozenset()


def _vetoed(model: TorchModel, setup: _Setup, budget: Budget) -> list[str]:
    """Withdraw the proven groups that torch's float64 training does not keep; their note."""
    if setup.analysis.found is None:
        return []
    drifts = fragile(model, setup.analysis, setup.values, budget.share(0.3, floor=0.5))
    if not drifts:
        return []
    note = describe(drifts, setup.analysis.layout.name)
    setup.analysis = withdrawn(setup.analysis, [d.entries for d in drifts])
    return [note]


def _setup(model: TorchModel, init, ties) -> _Setup:
    if not isinstance(model, TorchModel):
        raise ProblemError("expected a model from symgrad.from_torch(...)")
    values, init_text = initial_values(model, init)
    layout = Layout({k: v.shape for k, v in values.items()})
    if ties:
        groups = tie_groups(ties, values, layout)
        init_text += " with the ties " + "; ".join(str(t)[:60] for t in ties)
    else:
        groups = start_classes(values, layout)
    return _Setup(values, init_text, groups, analyse(model.graph, values), named=bool(ties),
                  frozen=model.graph.frozen)  # fmt: skip


def _split_groups(setup: _Setup) -> list[list[int]]:
    """Per tie group that spans several orbits, one representative of each orbit; groups that
    follow a pattern (the same units tied in many entries, as a duplicated row) come first."""
    split = []
    for group in setup.groups:
        representatives: dict[int, int] = {}
        for index in group:
            representatives.setdefault(setup.analysis.root(index), index)
        if len(representatives) > 1:
            split.append(interleaved(setup.analysis.layout, list(representatives.values())))
    pattern = {id(c): _units(setup.analysis.layout, c) for c in split}
    counts = Counter(pattern.values())
    return sorted(split, key=lambda c: (-len(c), -counts[pattern[id(c)]]))


def interleaved(layout: Layout, representatives: list[int]) -> list[int]:
    """Representatives taken from each tensor in turn (so witnesses cover every tensor)."""
    by_tensor: dict[str, list[int]] = {}
    for index in representatives:
        by_tensor.setdefault(layout.entry(index)[0], []).append(index)
    queues = list(by_tensor.values())
    if not queues:
        return []
    return [q[k] for k in range(max(map(len, queues))) for q in queues if k < len(q)]


def _units(layout: Layout, candidate: list[int]) -> tuple:
    """The (tensor, first index) of each entry: the units a tie joins."""
    units = []
    for index in candidate:
        tensor, local = layout.entry(index)
        shape = layout.shapes[tensor]
        units.append((tensor, local // int(np.prod(shape[1:])) if len(shape) > 1 else local))
    return tuple(units)


def _lone_pairs(setup: _Setup, split: list[list[int]]) -> int:
    """Tie groups of two entries that share their units with no other group: equal by chance."""
    pattern = [_units(setup.analysis.layout, c) for c in split]
    counts = Counter(pattern)
    return sum(1 for c, p in zip(split, pattern) if len(c) == 2 and counts[p] == 1)


def _checked_witnesses(model, setup, separation, points) -> tuple[list[SplitWitness], int]:
    kept, dropped = [], 0
    if not separation.witnesses:
        return kept, dropped
    floats = FloatModel(model)
    by_label = {label: (x, y) for x, y, label in points}
    for witness in separation.witnesses:
        tick("re-checking a witness")
        label = witness.point["input"]
        x, y = by_label[label]
        masks = point_masks(model.graph, label)
        if recheck_witness(floats, setup.values, witness, x, y, masks):
            kept.append(witness)
        else:
            dropped += 1
    return kept, dropped


@binds_timeout
def prove_torch(
    model: TorchModel,
    init: str | None = None,
    ties: Sequence[str] | None = None,
    steps: int = 3,
    timeout: float = 60.0,
) -> ModelProofResult:
    """Do the tie groups of the model (equal initial entries, or ``ties``) stay equal forever?"""
    with one_thread():
        return _prove(model, init, ties, steps, Budget(timeout))


def _prove(model, init, ties, steps, budget: Budget) -> ModelProofResult:
    setup = _setup(model, init, ties)
    if not setup.groups:
        raise TieError(
            "nothing is tied: every parameter entry of the model starts with its own value; "
            "name ties with --tie fc1.weight[0]=fc1.weight[1] or use --init constant"
        )
    check = recheck_permutations(model, setup.analysis)
    failed = check.startswith("failed")
    if failed:
        setup.analysis = unchecked(setup.analysis, "the permutation re-check failed")
    vetoes = _vetoed(model, setup, budget)
    layers, _ = layer_report(model.graph, setup.analysis)
    common = dict(
        model=model.describe(),
        init=setup.init_text,
        groups=len(setup.groups),
        entries=sum(len(g) for g in setup.groups),
        layers=layers,
        notes=tuple(model.graph.notes) + ((check,) if failed else ()) + tuple(vetoes),
    )
    split = _split_groups(setup)
    if not split:
        return ModelProofResult(
            verdict="proven",
            method=method_text(model.graph, setup.analysis),
            certificate=check,
            optimizers=OPTIMIZERS,
            elapsed_s=round(budget.elapsed(), 4),
            **{**common, "notes": common["notes"] + (FLOAT_NOTE,)},
        )
    return _refute(model, setup, split, steps, budget, common)


def _refute(model, setup, split, steps, budget, common) -> ModelProofResult:
    points = witness_points(model, WITNESS_POINTS, seed=1)
    separation = separate(
        model, setup.values, split, setup.analysis.layout, steps, budget, first_only=True
    )
    witnesses, dropped = _checked_witnesses(model, setup, separation, points)
    notes = list(common.pop("notes")) + separation.notes
    lone = _lone_pairs(setup, split) if not setup.named else 0
    if lone:
        notes.append(
            f"{lone} tie group(s) are lone pairs of entries that are equal by chance (float "
            "values that happen to coincide); they count as ties: name the ties you mean with "
            "--tie (e.g. fc1.weight[3]=fc1.weight[5]) to ask about those only"
        )
    if dropped:
        notes.append(f"{dropped} witness(es) dropped: torch's autograd disagreed")
    if witnesses:
        witness = witnesses[0]
        why = _why_units_differ(model.graph, setup, witness)
        if why:
            notes.insert(0, why)
        return ModelProofResult(
            verdict="refuted",
            method="exact witness: two tied entries have different gradients",
            witness=witness,
            certificate="torch's float64 autograd agrees with the exact gradients",
            notes=tuple(notes),
            elapsed_s=round(budget.elapsed(), 4),
            **common,
        )
    names = [setup.analysis.layout.name(r) for r in split[0][:2]]
    return ModelProofResult(
        verdict="unknown",
        method="",
        reason=(
            f"{' and '.join(names)} start equal but no permutation of units maps one to the other, "
            f"and their exact gradients agree at the inputs tried ({steps} step(s) each)"
        ),
        notes=tuple(notes),
        elapsed_s=round(budget.elapsed(), 4),
        **common,
    )


def _why_units_differ(graph: Graph, setup: _Setup, witness: SplitWitness) -> str:
    """For a witness pair in two units of one layer: the parameters in which those units differ."""
    entries = [re.match(r"(.+)\[(\d+)", name) for name in witness.pair]
    if not all(entries) or entries[0].group(1) != entries[1].group(1):
        return ""
    tensor, (u, v) = entries[0].group(1), (int(e.group(2)) for e in entries)
    found = setup.analysis.found
    if found is None or u == v or tensor not in found.classes.params:
        return ""
    for symmetry, _ in setup.analysis.used:
        if found.classes.dims.find(found.classes.params[tensor][0]) != symmetry.root:
            continue
        for name in differing(found, symmetry, setup.values, u, v):
            same_layer = name.rpartition(".")[0] == tensor.rpartition(".")[0]
            role = "values" if same_layer else "outgoing weights"
            return (
                f"units {u} and {v} of {symmetry.layer} are not interchangeable: their "
                f"{role} in {name} differ, so their gradients differ"
            )
    return ""


def _every_gradient_rechecked(model, setup: _Setup, separation, points) -> bool:
    """torch's float64 autograd agrees with every exact gradient the separations rest on."""
    floats = FloatModel(model)
    by_label = {label: (x, y) for x, y, label in points}
    for (label, step), exact in separation.used.items():
        tick("re-checking the exact gradients")
        x, y = by_label[label]
        masks = point_masks(model.graph, label)
        if not recheck_gradients(floats, setup.values, exact, step, x, y, masks):
            return False
    return True


def _collapse_verdict(groups, setup: _Setup, witnesses, pending: int, check: str):
    """proven (some groups provably stay equal), refuted (nothing starts equal, or every
    group that starts equal is certified to separate) or unknown, with the reason."""
    if check.startswith("failed"):
        return "unknown", check
    if groups:
        return "proven", ""
    if not setup.groups:
        return "refuted", "no two parameter entries start equal, so none can stay equal"
    if not pending:
        return "refuted", (
            "no group of entries is proven to stay equal, and every pair that starts equal is "
            "certified to separate"
        )
    return "unknown", (
        "no symmetry of the loss keeps the entries that start equal together, and some of "
        "them were not shown to separate (their exact gradients agree at the inputs tried)"
    )


@binds_timeout
def collapse_torch(
    model: TorchModel,
    init: str | None = None,
    ties: Sequence[str] | None = None,
    steps: int = 3,
    timeout: float = 60.0,
) -> CollapseResult:
    """The groups of entries that provably stay equal forever, per layer, with split witnesses."""
    with one_thread():
        return _collapse(model, init, ties, steps, Budget(timeout))


def _collapse(model, init, ties, steps, budget: Budget) -> CollapseResult:
    setup = _setup(model, init, ties)
    check = recheck_permutations(model, setup.analysis)
    if check.startswith("failed"):
        setup.analysis = unchecked(setup.analysis, "the permutation re-check failed")
    vetoes = _vetoed(model, setup, budget)
    layout, analysis = setup.analysis.layout, setup.analysis
    groups = analysis.orbits.groups()
    layers, lines = layer_report(model.graph, analysis)
    witnesses, notes, pending = _collapse_witnesses(model, setup, steps, budget)
    verdict, reason = _collapse_verdict(groups, setup, witnesses, pending, check)
    return CollapseResult(
        groups=tuple(tuple(layout.names(g)) for g in groups),
        effective_width=[v["effective_width"] for v in layers.values()],
        widths=[v["units"] for v in layers.values()],
        method=method_text(model.graph, analysis) if groups else "no group is proven",
        stationary=None,
        witnesses=tuple(witnesses),
        model=model.describe(),
        notes=tuple(model.graph.notes)
        + tuple(vetoes)
        + tuple(notes)
        + ((FLOAT_NOTE,) if groups else ()),
        verdict=verdict,
        reason=reason,
        layers=layers,
        certificate=check,
        names={str(k): name for k, name in enumerate(layers, 1)},
        layer_lines=tuple(lines),
        elapsed_s=round(budget.elapsed(), 4),
        pinned=_pinned(setup),
        symmetries=tuple(symmetry_report(model.graph, analysis)),
    )


def _pinned(setup: _Setup) -> dict:
    """Trainable entries that provably never move (frozen ones are left out), by name."""
    import sympy

    still = sorted(setup.analysis.still - setup.frozen)
    out = {}
    for name in still:
        if len(out) > 200:
            break
        values = setup.values[name].reshape(-1)
        for index in range(min(len(values), 200 - len(out))):
            value = Fraction(values[index])
            entry = setup.analysis.layout.name(setup.analysis.layout.offsets[name] + index)
            out[entry] = sympy.Rational(value.numerator, value.denominator)
    return out


def _collapse_witnesses(model, setup, steps, budget) -> tuple[list[SplitWitness], list[str], int]:
    split = _split_groups(setup)
    if not split:
        return [], [], 0
    share = budget.share(0.6, floor=0.05)
    total = sum(len(c) - 1 for c in split)
    try:
        separation = separate(model, setup.values, split, setup.analysis.layout, steps, share)
    except BudgetError:
        return [], ["the search for split witnesses ran out of its share of the budget"], total
    points = witness_points(model, WITNESS_POINTS, seed=1)
    witnesses, dropped = _checked_witnesses(model, setup, separation, points)
    notes = list(separation.notes)
    pending = sum(len(c) - len({separation.keys[r] for r in c}) for c in split)
    if dropped or not _every_gradient_rechecked(model, setup, separation, points):
        pending = max(pending, 1)
        notes.append("torch's autograd disagreed with some exact gradient: no separation is "
                     "claimed beyond the witnesses shown")  # fmt: skip
    if pending:
        notes.append(
            f"{pending} of {total} groups that start equal with another group were not shown to "
            "separate (their exact gradients agree at the inputs tried): they may stay equal "
            "for a reason other than a permutation of units"
        )
    else:
        notes.append(
            f"no coarser grouping persists: of the {total + len(split)} groups that start equal "
            "with others, every two are certified to separate (their exact gradients differ)"
        )
    if dropped:
        notes.append(f"{dropped} witness(es) dropped: torch's autograd disagreed")
    return witnesses, notes, pending
