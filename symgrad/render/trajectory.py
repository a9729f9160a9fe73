"""A simulated trajectory (:class:`~symgrad.results.Trajectory`): text, CSV and a plot."""

from __future__ import annotations

import csv
from pathlib import Path

import sympy

from symgrad.exact.printing import to_str
from symgrad.results import (
    Comparison,
    Trajectory,
    renders,
)
from symgrad.text.display import (
    to_float,
)

#: up to this many recorded steps, a table shows every one
SHOW_ALL = 12


def _selected(result: Trajectory) -> list[int]:
    """Every recorded step when few, else six spread over the run (the first and the last)."""
    count = len(result.steps)
    if count <= SHOW_ALL:
        return list(range(count))
    picks = sorted({0, count - 1, *(round(k * (count - 1) / 5) for k in range(1, 5))})
    return [p for p in picks if 0 <= p < count]


def _shown(result: Trajectory) -> str:
    """What a table's rows are, said when they are not every step of the run."""
    shown, last = len(_selected(result)), result.steps[-1] if result.steps else 0
    if shown == len(result.steps) == last + 1:
        return ""
    return f" ({shown} of the {last + 1} steps 0..{last} shown)"


def _fmt(value: object) -> str:
    return f"{to_float(value):+.4f}"


@renders(Trajectory, "text")
def trajectory_to_text(result: Trajectory, timing: bool = True) -> str:
    index = {name: k for k, name in enumerate(result.parameters)}
    mode = "exact arithmetic" if result.exact else "floating point"
    lines = [
        trajectory_sentence(result),
        f"{result.model}: full-batch GD on {result.rows} data rows, lr = {result.lr}, {mode}",
    ]
    for layer_number, layer in enumerate(result.hidden, start=1):
        lines.append(
            f"hidden layer {layer_number}: incoming weights of each neuron{_shown(result)}"
        )
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
        lines += _watched_lines(result)
        return "\n".join(lines)
    lines.append(f"largest difference within the init's tie groups{_shown(result)}:")
    for pick in _selected(result):
        exact_note = " (exactly equal)" if result.exactly_equal[pick] else ""
        lines.append(
            f"  step {result.steps[pick]:>6}: {result.max_difference[pick]:.3g}{exact_note}"
        )
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def trajectory_sentence(result: Trajectory) -> str:
    """What the run shows, in plain words: do the groups stay together or fan out?"""
    steps = result.steps[-1]
    if result.groups:
        if all(result.exactly_equal):
            return (
                f"From the {result.init} init, every tie group stayed exactly equal for all "
                f"{steps} steps."
            )
        return (
            f"From the {result.init} init, the tie groups drifted apart: the largest "
            f"difference inside a group is {result.max_difference[-1]:.3g} after {steps} steps."
        )
    if result.watched and result.group_spreads:
        worst = max(series[-1] for series in result.group_spreads)
        return (
            f"From the {result.init} init, the parameters an identical init would tie start "
            f"apart and stay apart: up to {worst:.3g} after {steps} steps."
        )
    return f"From the {result.init} init, no parameters started equal ({steps} steps run)."


@renders(Trajectory, "quiet")
def trajectory_quiet(result: Trajectory) -> str:
    return trajectory_sentence(result)


@renders(Comparison, "quiet")
def comparison_quiet(result: Comparison) -> str:
    return "\n".join(trajectory_sentence(run) for run in result.runs)


def _watched_lines(result: Trajectory) -> list[str]:
    """With a random init: how far apart the neurons' matching parameters are."""
    if not result.watched or not result.group_spreads:
        return []
    lines = ["largest difference between the neurons' matching parameters (those an identical "
             f"init would tie){_shown(result)}:"]  # fmt: skip
    for pick in _selected(result):
        worst = max(series[pick] for series in result.group_spreads)
        lines.append(f"  step {result.steps[pick]:>6}: {worst:.3g}")
    return lines


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
        **({"watched": [list(g) for g in result.watched]} if result.watched else {}),
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
MAX_ROWS = 6


def group_spreads(result: Trajectory) -> list[tuple[str, list[float], list[float] | None]]:
    """Per tie group: a label, its spread (max - min) at each recorded step and, for a PyTorch
    model, the largest spread inside its proven subgroups."""
    out = []
    if result.group_spreads:
        shown = result.groups or result.watched
        for k, (group, series) in enumerate(zip(shown, result.group_spreads)):
            proven = result.proven_spreads[k] if k < len(result.proven_spreads) else None
            label = _group_label(group) if result.groups else _watched_label(group)
            out.append((label, list(series), list(proven) if proven else None))
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


def _watched_label(group) -> str:
    names = ", ".join(group) if len(group) <= 3 else f"{group[0]}, {group[1]}, ..."
    return f"{names} (not tied)"


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
        groups = [("no tie groups, and no neurons to compare", [0.0] * len(result.steps), None)]
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
    figure.suptitle(f"{model}, {_title(result)}{more}")
    figure.tight_layout()
    figure.savefig(Path(path), dpi=100, format="png", bbox_inches="tight")
    plt.close(figure)


def _title(result: Trajectory) -> str:
    what = "tie group" if result.groups else "group of matching neuron parameters"
    return f"init {result.init}: spread within each {what}"


@renders(Comparison, "png")
def comparison_to_png(result: Comparison, path) -> None:
    """The runs side by side, one column per init and one row per group (the first
    :data:`MAX_ROWS`), each row on one shared scale so the inits compare at a glance."""
    plt = _pyplot()
    columns = [group_spreads(run) for run in result.runs]
    count = min(MAX_ROWS, max(len(c) for c in columns) or 1)
    figure, axes = plt.subplots(
        count, len(columns), figsize=(5.2 * len(columns) + 2.2, 2.6 * count + 0.6),
        squeeze=False, sharex=True, sharey="row",
    )  # fmt: skip
    for column, (run, groups) in enumerate(zip(result.runs, columns)):
        for row in range(count):
            axis = axes[row][column]
            if row < len(groups):
                label, series, proven = groups[row]
                _panel(axis, run.steps, label, series, proven, legend=False)
                axis.set_xlabel("step" if row == count - 1 else "")
                axis.set_ylabel("max - min" if column == 0 else "")
            else:
                axis.set_visible(False)
        axes[0][column].set_title(f"init {run.init}\n{axes[0][column].get_title()}", fontsize=9)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if len(handles) > 1:
        figure.legend(handles, labels, loc="upper right", fontsize=8, frameon=False)
    model = result.runs[0].model.split("(")[0].strip()
    inits = " vs ".join(run.init for run in result.runs)
    figure.suptitle(f"{model}, init {inits}: spread (max - min) of each group, same data")
    figure.tight_layout(rect=(0, 0, 0.88, 0.97))
    figure.savefig(Path(path), dpi=100, format="png", bbox_inches="tight")
    plt.close(figure)


@renders(Comparison, "text")
def comparison_to_text(result: Comparison, timing: bool = True) -> str:
    return "\n\n".join(trajectory_to_text(run) for run in result.runs)


@renders(Comparison, "dict")
def comparison_to_dict(result: Comparison) -> dict:
    return {
        "inits": [run.init for run in result.runs],
        "runs": [trajectory_to_dict(run) for run in result.runs],
    }


@renders(Comparison, "markdown")
def comparison_to_markdown(result: Comparison) -> str:
    return "```\n" + comparison_to_text(result) + "\n```"


@renders(Comparison, "latex")
def comparison_to_latex(result: Comparison) -> str:
    return "\\begin{verbatim}\n" + comparison_to_text(result) + "\n\\end{verbatim}"


def _pyplot():
    from symgrad.errors import SymgradError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymgradError("plotting needs matplotlib: pip install 'symgrad[plot]'") from None
    return plt


def _panel(axis, steps, label: str, series: list[float], proven, legend: bool = True) -> None:
    axis.plot(steps, series, label="spread of the group (max - min)", linewidth=1.6)
    if proven is not None:
        axis.plot(steps, proven, label="inside its proven subgroups", linewidth=1.2,
                  linestyle="--")  # fmt: skip
    positive = [v for v in series + list(proven or []) if v > 0]
    if positive and max(positive) / min(positive) > 100:
        axis.set_yscale("symlog", linthresh=min(positive))
    if not positive and not label.startswith("no tie groups"):
        axis.text(0.5, 0.75, "exactly equal at every step", transform=axis.transAxes,
                  ha="center")  # fmt: skip
    axis.set_title(label if len(label) < 60 else label[:57] + "...", fontsize=9)
    axis.set_xlabel("step")
    axis.set_ylabel("max - min")
    if legend and proven is not None:  # one curve alone needs no legend: the axis names it
        axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
