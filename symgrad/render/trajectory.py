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


@renders(Trajectory, "png")
def trajectory_to_png(result: Trajectory, path) -> None:
    """One curve per incoming weight of each hidden neuron over the steps (needs matplotlib)."""
    from symgrad.errors import SymgradError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymgradError("plotting needs matplotlib: pip install 'symgrad[plot]'") from None
    index = {name: k for k, name in enumerate(result.parameters)}
    layers = result.hidden or (tuple((p,) for p in result.parameters),)
    what = "incoming weights of each hidden neuron" if result.hidden else "tracked entries"
    figure, axes = plt.subplots(1, len(layers), figsize=(8 * len(layers), 5), squeeze=False)
    for axis, layer in zip(axes[0], layers):
        for neuron in layer:
            for name in neuron:
                series = [to_float(row[index[name]]) for row in result.values]
                axis.plot(result.steps, series, label=name, linewidth=1.2, alpha=0.8)
        axis.set_xlabel("step")
        axis.set_ylabel("weight")
        model = result.model.split("(")[0]
        axis.set_title(f"{model}, init {result.init}: {what}")
        if sum(len(n) for n in layer) <= 16:
            axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(Path(path), dpi=100, format="png")
    plt.close(figure)
