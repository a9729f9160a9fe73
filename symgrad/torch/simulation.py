"""simulate for a traced model: float64 SGD from the init with the tie groups tracked."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from symgrad.errors import ProblemError
from symgrad.results import Trajectory
from symgrad.runtime.budget import Budget
from symgrad.torch.models import (
    WITNESS_POINTS,
    Layout,
    TorchModel,
    analyse,
    initial_values,
    start_classes,
)
from symgrad.torch.recheck import FloatModel, float_point, float_target, one_thread
from symgrad.torch.verdicts import interleaved


def simulate_torch(
    model: TorchModel,
    init: str | None = None,
    steps: int = 100,
    lr: float = 0.1,
    seed: int = 0,
    optimizer: str = "sgd",
    rows: int = 4,
    progress: Callable[[int], None] | None = None,
    timeout: float = 600.0,
) -> Trajectory:
    """Train a float64 copy with torch (SGD or Adam, full batch over the samples) and record the
    spread within each group of equal initial entries."""
    with one_thread():
        return _simulate(model, init, steps, lr, seed, optimizer, rows, progress, timeout)


def _simulate(model, init, steps, lr, seed, optimizer, rows, progress, timeout) -> Trajectory:
    budget = Budget(timeout)
    if optimizer not in ("sgd", "adam"):
        raise ProblemError(f"optimizer={optimizer!r}: use sgd or adam")
    values, init_text = initial_values(model, init)
    layout = Layout({k: v.shape for k, v in values.items()})
    classes = start_classes(values, layout)
    proven = [np.asarray(g) for g in analyse(model.graph, values).orbits.groups()]
    floats = FloatModel(model).load(values)
    torch, module = floats.torch, floats.module
    data = _float_samples(torch, model, rows, seed)
    params = list(module.model.parameters())
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(params, lr=float(lr))
    shown = _tracked(proven, classes, layout)
    shown_groups = [np.asarray(c) for c in classes[:MAX_PANELS]]
    proven_in = [_inside(c, proven) for c in shown_groups]
    per_group: list[list[float]] = [[] for _ in shown_groups]
    per_proven: list[list[float]] = [[] for _ in shown_groups]
    recorded, spreads, equal, record_steps, within = [], [], [], [], 0.0
    diverged = None
    for step in range(steps + 1):
        if step in _record_steps(steps):
            flat = torch.cat([p.detach().reshape(-1) for p in params]).numpy()
            if not np.isfinite(flat).all():
                diverged = step
                break
            spread = max((float(np.ptp(flat[c])) for c in classes), default=0.0)
            within = max([within] + [float(np.ptp(flat[g])) for g in proven])
            for k, c in enumerate(shown_groups):
                per_group[k].append(float(np.ptp(flat[c])))
                inside = [float(np.ptp(flat[g])) for g in proven_in[k]]
                per_proven[k].append(max(inside, default=0.0))
            record_steps.append(step)
            recorded.append(tuple(float(flat[i]) for i in shown))
            spreads.append(spread)
            equal.append(spread == 0.0)
        if step == steps:
            break
        budget.check("simulating")
        opt.zero_grad()
        sum(module(x, y) for x, y in data).backward()
        opt.step()
        if progress:
            progress(1)
    return Trajectory(
        model=model.describe(),
        parameters=tuple(layout.name(i) for i in shown),
        groups=tuple(tuple(layout.name(i) for i in c[:50]) for c in classes[:MAX_PANELS]),
        group_spreads=tuple(tuple(g) for g in per_group),
        proven_spreads=tuple(tuple(g) for g in per_proven),
        steps=tuple(record_steps),
        values=tuple(recorded),
        max_difference=tuple(spreads),
        exactly_equal=tuple(equal),
        hidden=(),
        lr=lr,
        exact=False,
        rows=len(data),
        init=init_text,
        notes=(
            f"torch {optimizer} in float64 from {init_text}",
            f"within the {len(proven)} groups that collapse proves stay equal, the largest "
            f"difference over the run is {within:.3g} (float64 rounding, which can grow "
            "slowly over long runs)",
        )
        + (
            (f"the run diverged: parameters are NaN or infinite at step {diverged}; lower --lr",)
            if diverged is not None
            else ()
        ),
    )


MAX_PANELS = 50


def _inside(group: np.ndarray, proven: list[np.ndarray]) -> list[np.ndarray]:
    """The proven groups that lie inside a tie group."""
    members = set(group.tolist())
    return [g for g in proven if int(g[0]) in members]


def _tracked(proven: list, classes: list, layout: Layout) -> list[int]:
    """Entries to record: two of one proven group, and one of each other group from every
    tensor in turn (so the table shows what stays together and what separates)."""
    groups = [list(g) for g in proven] or [list(c) for c in classes]
    if not groups:
        return []
    picked = [int(i) for i in groups[0][:2]]
    firsts = interleaved(layout, [int(g[0]) for g in groups[1:]])
    return picked + firsts[:6]


def _record_steps(steps: int) -> set[int]:
    return {0, steps} | {round(steps * k / 50) for k in range(1, 50)}


def _float_samples(torch, model: TorchModel, rows: int, seed: int):
    if model.samples:
        return [float_point(torch, x, y) for x, y in model.samples]
    if model.seeded != WITNESS_POINTS:
        rows = model.seeded
    rng = np.random.default_rng(seed)
    return [
        (
            torch.tensor(rng.standard_normal(model.graph.input_shape)),
            torch.tensor(float_target(model.graph, rng)),
        )
        for _ in range(rows)
    ]
