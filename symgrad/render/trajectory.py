"""A simulated trajectory (:class:`~symgrad.results.Trajectory`): text, CSV and a plot."""

from __future__ import annotations

import csv
from pathlib import Path

import sympy

from symgrad.exact.printing import to_str
from symgrad.results import (
    Trajectory,
    renders,
)
from symgrad.text.display import (
    to_float,
)


def _selected(result: Trajectory) -> list[int]:
    count = len(result.steps)
    picks = sorted({0, count - 1, *(round(k * (count - 1) / 5) for k in range(1, 5))})
    return [p for p in picks if 0 <= p < count]


def _fmt(value: object) -> str:
    return f"{to_float(value):+.4f}"


@renders(Trajectory, "text")
def trajectory_to_text(result: Trajectory, timing: bool = True) -> str:
    index = {name: k for k, name in enumerate(result.parameters)}
    mode = "exact arithmetic" if result.exact else "floating point"
    lines = [f"{result.model}: full-batch GD on {result.rows} data rows, lr = {result.lr}, {mode}"]
    for layer_number, layer in enumerate(result.hidden, start=1):
        lines.append(f"hidden layer {layer_number}: incoming weights of each neuron")
        header = "step".rjust(6) + "".join(f"  neuron {j}".ljust(28) for j in range(len(layer)))
        lines.append(header)
        for pick in _selected(result):
            row = result.values[pick]
            cells = []
            for neuron in layer:
                weights = ", ".join(_fmt(row[index[name]]) for name in neuron[:3])
                cells.append(f"  [{weights}{', ...' if len(neuron) > 3 else ''}]".ljust(28))
            lines.append(str(result.steps[pick]).rjust(6) + "".join(cells))
    if not result.groups:
        lines.append("no tie groups: every parameter started with its own value")
        return "\n".join(lines)
    lines.append("largest difference within the init's tie groups:")
    for pick in _selected(result):
        exact_note = " (exactly equal)" if result.exactly_equal[pick] else ""
        lines.append(
            f"  step {result.steps[pick]:>6}: {result.max_difference[pick]:.3g}{exact_note}"
        )
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


@renders(Trajectory, "dict")
def trajectory_to_dict(result: Trajectory) -> dict:
    return {
        "model": result.model,
        "parameters": list(result.parameters),
        "groups": [list(g) for g in result.groups],
        "steps": list(result.steps),
        "values": [
            [to_str(v) if isinstance(v, sympy.Basic) else repr(v) for v in row]
            for row in result.values
        ],
        "max_difference": list(result.max_difference),
        "exactly_equal": list(result.exactly_equal),
        "lr": str(result.lr),
        "exact": result.exact,
        "rows": result.rows,
        "notes": list(result.notes),
    }


@renders(Trajectory, "markdown")
def trajectory_to_markdown(result: Trajectory) -> str:
    return "```\n" + trajectory_to_text(result) + "\n```"


@renders(Trajectory, "latex")
def trajectory_to_latex(result: Trajectory) -> str:
    return "\\begin{verbatim}\n" + trajectory_to_text(result) + "\n\\end{verbatim}"


@renders(Trajectory, "csv")
def trajectory_to_csv(result: Trajectory, path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", *result.parameters])
        for step, row in zip(result.steps, result.values):
            writer.writerow(
                [step, *(to_str(v) if isinstance(v, sympy.Basic) else repr(v) for v in row)]
            )


MAX_PANELS = 12


def group_spreads(result: Trajectory) -> list[tuple[str, list[float], list[float] | None]]:
    """Per tie group: a label, its spread (max - min) at each recorded step and, for a PyTorch
    model, the largest spread inside its proven subgroups."""
    out = []
    if result.group_spreads:
        for k, (group, series) in enumerate(zip(result.groups, result.group_spreads)):
            proven = result.proven_spreads[k] if k < len(result.proven_spreads) else None
            out.append((_group_label(group), list(series), list(proven) if proven else None))
        return out
    index = {name: k for k, name in enumerate(result.parameters)}
    for group in result.groups:
        if not all(name in index for name in group):
            continue
        series = []
        for row in result.values:
            members = [to_float(row[index[name]]) for name in group]
            series.append(max(members) - min(members))
        out.append((_group_label(group), series, None))
    return out


def _group_label(group) -> str:
    if len(group) <= 3:
        return " = ".join(group)
    return f"{group[0]} = {group[1]} = ... ({len(group)} entries)"


@renders(Trajectory, "png")
def trajectory_to_png(result: Trajectory, path) -> None:
    """One panel per tie group (the first 12): its spread, max - min, over the steps, on a log
    scale where it is ever positive; for a PyTorch model also the spread inside the subgroups
    that collapse proves equal (needs matplotlib)."""
    plt = _pyplot()
    groups = group_spreads(result)
    if not groups:
        groups = [("no tie groups", [0.0] * len(result.steps), None)]
    shown = groups[:MAX_PANELS]
    columns = min(3, len(shown))
    rows = (len(shown) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 3.4 * rows), squeeze=False)
    for axis, (label, series, proven) in zip(axes.reshape(-1), shown):
        _panel(axis, result.steps, label, series, proven)
    for axis in axes.reshape(-1)[len(shown) :]:
        axis.set_visible(False)
    model = result.model.split("(")[0].strip()
    more = f" (first {MAX_PANELS} of {len(groups)} groups)" if len(groups) > MAX_PANELS else ""
    figure.suptitle(f"{model}, init {result.init}: spread within each tie group{more}")
    figure.tight_layout()
    figure.savefig(Path(path), dpi=100, format="png", bbox_inches="tight")
    plt.close(figure)


def _pyplot():
    from symgrad.errors import SymgradError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymgradError("plotting needs matplotlib: pip install 'symgrad[plot]'") from None
    return plt


def _panel(axis, steps, label: str, series: list[float], proven) -> None:
    axis.plot(steps, series, label="spread of the group (max - min)", linewidth=1.6)
    if proven is not None:
        axis.plot(steps, proven, label="inside its proven subgroups", linewidth=1.2,
                  linestyle="--")  # fmt: skip
    positive = [v for v in series + list(proven or []) if v > 0]
    if positive and max(positive) / min(positive) > 100:
        axis.set_yscale("symlog", linthresh=min(positive))
    if not positive:
        axis.text(0.5, 0.75, "stays exactly equal", transform=axis.transAxes, ha="center")
    axis.set_title(label if len(label) < 60 else label[:57] + "...", fontsize=9)
    axis.set_xlabel("step")
    axis.set_ylabel("max - min")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
