"""A float64 veto: proven ties that torch's own training does not keep.

The proofs are about exact arithmetic. Where a tie is *unstable* (a layer norm over
identical units divides rounding noise by a vanishing variance; Adam divides a
gradient that is exactly 0 in exact arithmetic, and 1e-17 in floats, by its own
size), torch's float64 training drives the tied entries apart although the exact
argument holds. Such a tie is real mathematics but a false promise about the run the
user will make, so symgrad trains a float64 copy (SGD and Adam, from the init, on
seeded data) and withdraws every symmetry whose merged entries drift apart. This
check can only take claims away; it never makes one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symgrad.runtime.budget import Budget
from symgrad.torch.exact_numbers import as_floats
from symgrad.torch.models import Analysis, TorchModel
from symgrad.torch.recheck import FloatModel, random_point

STEPS = 200
RUNS = (("SGD", "sgd", 0.1), ("Adam", "adam", 0.01))
TOLERANCE = 1e-11


@dataclass
class Drift:
    """Why a group of proven-equal entries (or a tensor proven never to move) was withdrawn."""

    optimizer: str
    steps: int
    spread: float
    entries: tuple[int, ...]


def fragile(model: TorchModel, analysis: Analysis, values, budget: Budget) -> list[Drift]:
    """The proven groups (and never-moving tensors) whose entries torch's float64 training
    drives apart by more than rounding, with the run that showed it."""
    groups = analysis.orbits.groups()
    if not groups:
        return []
    drifts: dict[int, Drift] = {d.entries[0]: d for d in _noise(model, analysis, values, groups)}
    for label, optimizer, lr in RUNS:
        final, steps = _train(model, values, optimizer, lr, budget)
        if final is None:
            continue
        flat = np.concatenate([final[name].reshape(-1) for name in analysis.layout.offsets])
        start = np.concatenate(
            [as_floats(values[name]).reshape(-1) for name in
             analysis.layout.offsets]
        )  # fmt: skip
        for group in groups:
            members = np.asarray(group)
            spread = _excess(flat[members], np.full(len(members), flat[members[0]]))
            if not spread and _still(analysis, group):
                spread = _excess(flat[members], start[members])
            if spread and group[0] not in drifts:
                drifts[group[0]] = Drift(label, steps, spread, tuple(group))
    return list(drifts.values())


NOISE = 1e-9
POINTS = 3


def _noise(model: TorchModel, analysis: Analysis, values, groups) -> list[Drift]:
    """Groups whose float64 gradient is rounding noise (0 in exact arithmetic by cancellation,
    as a bias before a batch norm, a layer norm over identical units) that differs between
    the entries: Adam divides such a gradient by its own size, so it moves them apart."""
    floats = FloatModel(model).load(values)
    torch = floats.torch
    rng = np.random.default_rng(5)
    names = list(analysis.layout.offsets)
    found = []
    for _ in range(POINTS):
        x, y = random_point(torch, model.graph, rng)
        floats.module.zero_grad()
        try:
            floats.module(x, y).backward()
        except RuntimeError:
            return []
        grads = np.concatenate([
            (floats.params[n].grad if floats.params[n].grad is not None
             else torch.zeros_like(floats.params[n])).detach().numpy().reshape(-1)
            for n in names
        ])  # fmt: skip
        scale = max(1.0, float(np.abs(grads).max()))
        for group in groups:
            members = grads[np.asarray(group)]
            tiny = np.abs(members).max() <= NOISE * scale
            if tiny and members.min() != members.max():
                found.append(Drift("Adam", 0, float(members.max() - members.min()),
                                   tuple(group)))  # fmt: skip
        if found:
            return found
    return found


def _still(analysis: Analysis, group: list[int]) -> bool:
    return bool(analysis.still) and analysis.layout.entry(group[0])[0] in analysis.still


def _train(model: TorchModel, values, optimizer: str, lr: float, budget: Budget):
    floats = FloatModel(model).load(values)
    torch = floats.torch
    params = [p for p in floats.params.values() if p.requires_grad]
    if not params:
        return None, 0
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(params, lr=lr)
    rng = np.random.default_rng(11)
    steps = 0
    for steps in range(1, STEPS + 1):
        if budget.expired():
            break
        x, y = random_point(torch, model.graph, rng)
        opt.zero_grad()
        try:
            floats.module(x, y).backward()
        except RuntimeError:
            return None, steps
        opt.step()
    final = {k: p.detach().numpy().copy() for k, p in floats.params.items()}
    if not all(np.isfinite(v).all() for v in final.values()):
        return None, steps  # diverged: says nothing about ties
    return final, steps


def _excess(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a):
        return 0.0
    difference = np.abs(a - b)
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    excess = difference > TOLERANCE * scale
    return float(difference[excess].max()) if excess.any() else 0.0


def describe(drifts: list[Drift], names) -> str:
    """One note for all the withdrawn groups."""
    first = drifts[0]
    size = f"{first.spread:.2g}" if math.isfinite(first.spread) else "far"
    if not first.steps:
        shown = ", ".join(names(d.entries[0]) for d in drifts[:3])
        return (
            f"{len(drifts)} group(s) proven equal in exact arithmetic (with {shown}) are not "
            "claimed: their float64 gradient is rounding noise (0 in exact arithmetic, by "
            f"cancellation) that differs between the entries by {size}, and Adam divides a "
            "gradient by its own size, so torch's training drives them apart"
        )
    shown = ", ".join(names(d.entries[0]) for d in drifts[:3])
    more = f" and {len(drifts) - 3} more" if len(drifts) > 3 else ""
    return (
        f"{len(drifts)} group(s) proven equal in exact arithmetic (with {shown}{more}) are not "
        f"claimed: torch's float64 training ({first.optimizer}, {first.steps} steps from the "
        f"init) drives their entries apart by {size}, so the tie is unstable in floating "
        "point (rounding noise grows, or Adam scales a gradient that is 0 in exact arithmetic)"
    )
