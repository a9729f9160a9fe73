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
from symgrad.torch.models import Analysis, TorchModel
from symgrad.torch.recheck import FloatModel, random_point
from symgrad.torch.symmetry import contracted_axes, contracted_pairs, swap_pairs

STEPS = 200
RUNS = (("SGD", "sgd", 0.05), ("Adam", "adam", 0.01))
TOLERANCE = 1e-9


@dataclass
class Drift:
    """Why a symmetry (or the set that never moves) was withdrawn."""

    optimizer: str
    steps: int
    spread: float


def fragile(model: TorchModel, analysis: Analysis, values, budget: Budget) -> dict[object, Drift]:
    """Symmetry roots (and ``"still"``) whose tied entries torch's float64 training separates."""
    if not any(len(c) > 1 for _, classes in analysis.used for c in classes) and not (
        analysis.still - model.graph.frozen
    ):
        return {}
    found: dict[object, Drift] = {}
    for label, optimizer, lr in RUNS:
        final, steps = _train(model, values, optimizer, lr, budget)
        if final is None:
            continue
        for root, spread in _spreads(analysis, final, values).items():
            if spread > 0 and root not in found:
                found[root] = Drift(label, steps, spread)
    return found


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


def _spreads(analysis: Analysis, final: dict[str, np.ndarray], values) -> dict[object, float]:
    """Per merged symmetry: the largest difference between entries a proven swap exchanges
    (0 when within rounding of the values' size); ``"still"``: the largest move of an entry
    proven never to move."""
    spreads: dict[object, float] = {}
    found = analysis.found
    contracted = contracted_axes(found.graph)
    for symmetry, classes in analysis.used:
        worst = 0.0
        for members in classes:
            for other in members[1:]:
                pairs = swap_pairs(found, symmetry, members[0], other) + contracted_pairs(
                    found, symmetry, members[0], other, contracted
                )
                for first, sources, second, targets in pairs:
                    a, b = final[first].reshape(-1), final[second].reshape(-1)
                    worst = max(worst, _excess(a[sources], b[targets]))
        spreads[symmetry.root] = worst
    still = 0.0
    for name in analysis.still:
        start = np.asarray(values[name].astype(np.float64), dtype=np.float64).reshape(-1)
        still = max(still, _excess(final[name].reshape(-1), start))
    spreads["still"] = still
    return spreads


def _excess(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a):
        return 0.0
    difference = np.abs(a - b)
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    excess = difference > TOLERANCE * scale
    return float(difference[excess].max()) if excess.any() else 0.0


def describe(drift: Drift, what: str) -> str:
    size = f"{drift.spread:.2g}" if math.isfinite(drift.spread) else "far"
    return (
        f"{what} stay equal in exact arithmetic, but torch's float64 training ({drift.optimizer}, "
        f"{drift.steps} steps from the init) drives them apart by {size}: the tie is unstable "
        "(rounding noise grows), so nothing is claimed about it"
    )
