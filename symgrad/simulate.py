"""Gradient-descent trajectories: watch ties hold or break.

Full-batch gradient descent (the mean gradient over the rows, which only
rescales the learning rate) on a small dataset with the exact gradients symgrad
derived, compiled with ``sympy.lambdify`` (float mode), or evaluated exactly
(``exact=True``: rational data and init, exact symbolic values, for a few
steps), so that an equality seen there is an exact equality.

>>> from symgrad import model
>>> run = simulate(model("two-layer", inputs=2, hidden=3, activation="tanh"),
...                init="identical", steps=20, lr=0.1, seed=1)
>>> run.max_difference[-1]
0.0
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import sympy

from symgrad.calculus import gradients, substitute
from symgrad.errors import ProblemError, SymgradError
from symgrad.evaluate import as_float, evaluate
from symgrad.models import Model

MAX_EXACT_STEPS = 8
MAX_EXACT_STEPS_TRANSCENDENTAL = 3
RATIONAL_ACTIVATIONS = ("identity", "relu")
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class Trajectory:
    """Recorded parameter values along a GD run and the spread within each init group."""

    model: str
    parameters: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    steps: tuple[int, ...]
    values: tuple[tuple[object, ...], ...]
    max_difference: tuple[float, ...]
    exactly_equal: tuple[bool, ...]
    hidden: tuple[tuple[tuple[str, ...], ...], ...]
    lr: object
    exact: bool
    rows: int
    init: str = ""

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "parameters": list(self.parameters),
            "groups": [list(g) for g in self.groups],
            "steps": list(self.steps),
            "values": [[str(v) for v in row] for row in self.values],
            "max_difference": list(self.max_difference),
            "exactly_equal": list(self.exactly_equal),
            "lr": str(self.lr),
            "exact": self.exact,
            "rows": self.rows,
        }

    def _selected(self) -> list[int]:
        count = len(self.steps)
        picks = sorted({0, count - 1, *(round(k * (count - 1) / 5) for k in range(1, 5))})
        return [p for p in picks if 0 <= p < count]

    def to_text(self) -> str:
        index = {name: k for k, name in enumerate(self.parameters)}
        mode = "exact arithmetic" if self.exact else "floating point"
        lines = [f"{self.model}: full-batch GD on {self.rows} data rows, lr = {self.lr}, {mode}"]
        for layer_number, layer in enumerate(self.hidden, start=1):
            lines.append(f"hidden layer {layer_number}: incoming weights of each neuron")
            header = "step".rjust(6) + "".join(f"  neuron {j}".ljust(28) for j in range(len(layer)))
            lines.append(header)
            for pick in self._selected():
                row = self.values[pick]
                cells = []
                for neuron in layer:
                    weights = ", ".join(_fmt(row[index[name]]) for name in neuron[:3])
                    cells.append(f"  [{weights}{', ...' if len(neuron) > 3 else ''}]".ljust(28))
                lines.append(str(self.steps[pick]).rjust(6) + "".join(cells))
        if not self.groups:
            lines.append("no tie groups: every parameter started with its own value")
            return "\n".join(lines)
        lines.append("largest difference within the init's tie groups:")
        for pick in self._selected():
            exact_note = " (exactly equal)" if self.exactly_equal[pick] else ""
            lines.append(
                f"  step {self.steps[pick]:>6}: {self.max_difference[pick]:.3g}{exact_note}"
            )
        return "\n".join(lines)

    def to_markdown(self) -> str:
        return "```\n" + self.to_text() + "\n```"

    def to_latex(self) -> str:
        return "\\begin{verbatim}\n" + self.to_text() + "\n\\end{verbatim}"

    def write_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["step", *self.parameters])
            for step, row in zip(self.steps, self.values):
                writer.writerow([step, *(str(v) for v in row)])

    def plot(self, path: str | Path) -> None:
        """One curve per incoming weight of each hidden neuron over the steps (needs matplotlib)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise SymgradError("plotting needs matplotlib: pip install 'symgrad[plot]'") from None
        index = {name: k for k, name in enumerate(self.parameters)}
        layers = self.hidden or ((tuple((p,) for p in self.parameters),),)
        figure, axes = plt.subplots(1, len(layers), figsize=(8 * len(layers), 5), squeeze=False)
        for axis, layer in zip(axes[0], layers):
            for neuron in layer:
                for name in neuron:
                    series = [to_float(row[index[name]]) for row in self.values]
                    axis.plot(self.steps, series, label=name, linewidth=1.2, alpha=0.8)
            axis.set_xlabel("step")
            axis.set_ylabel("weight")
            name = self.model.split("(")[0]
            axis.set_title(f"{name}, init {self.init}: incoming weights of each hidden neuron")
            if sum(len(n) for n in layer) <= 16:
                axis.legend(fontsize=7)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)


def to_float(value: object) -> float:
    """A float for display: exact values are enclosed by interval evaluation (DAG-aware)."""
    if isinstance(value, float):
        return value
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return float(value)
        return as_float(evaluate(value, {}))
    return float(value)


def _fmt(value: object) -> str:
    return f"{to_float(value):+.4f}"


def _initial_values(model: Model, init: str, rng: random.Random, exact: bool):
    """(values per parameter, init groups) for identical, random, zero, constant or ties."""

    def draw():
        if exact:
            return sympy.Rational(rng.randint(-9, 9), 10)
        return rng.uniform(-1.0, 1.0)

    parameters = model.parameters
    if init == "zero":
        zero = sympy.S.Zero if exact else 0.0
        return {p: zero for p in parameters}, [tuple(parameters)]
    if init == "constant":
        value = draw()
        return {p: value for p in parameters}, [tuple(parameters)]
    if init == "random":
        return {p: draw() for p in parameters}, []
    if init == "identical":
        groups = [g for g in model.identical_groups()]
    else:
        by_name = {str(p): p for p in parameters}
        groups = []
        for item in init.replace(";", ",").split(","):
            names = [n.strip() for n in item.split("=") if n.strip()]
            if len(names) < 2 or any(n not in by_name for n in names):
                raise ProblemError(
                    f"init {init!r}: expected identical, random, zero, constant or ties such as "
                    "W1_0_0=W1_0_1 naming model parameters"
                )
            groups.append(tuple(by_name[n] for n in names))
    values = {p: draw() for p in parameters}
    for group in groups:
        shared = draw()
        for p in group:
            values[p] = shared
    return values, [g for g in groups if len(g) > 1]


def _dataset(model: Model, rows: Sequence[Mapping] | None, count: int, rng, exact: bool):
    data = model.data
    if rows is not None:
        names = {s.name: s for s in data}
        converted = []
        for number, row in enumerate(rows, start=1):
            missing = [s.name for s in data if s.name not in {str(k) for k in row}]
            if missing:
                raise ProblemError(f"dataset row {number}: no value for {', '.join(missing)}")
            converted.append(
                {
                    names[str(k)]: sympy.Rational(Fraction(v).numerator, Fraction(v).denominator)
                    if exact
                    else float(v)
                    for k, v in row.items()
                    if str(k) in names
                }
            )
        return converted
    generated = []
    for _ in range(count):
        if exact:
            generated.append({s: sympy.Rational(rng.randint(-10, 10), 10) for s in data})
        else:
            generated.append({s: rng.uniform(-1.0, 1.0) for s in data})
    return generated


def _spread(values: Mapping, groups) -> tuple[float, bool]:
    worst = 0.0
    exactly = True
    for group in groups:
        first = values[group[0]]
        for p in group[1:]:
            other = values[p]
            if other != first:
                exactly = False
                difference = abs(
                    float(sympy.N(first - other, 20))
                    if isinstance(first, sympy.Basic)
                    else first - other
                )
                worst = max(worst, difference)
    return worst, exactly


def simulate(
    model: Model,
    init: str = "identical",
    steps: int = 100,
    lr: float | str = 0.1,
    seed: int = 0,
    dataset: Sequence[Mapping] | None = None,
    rows: int = 4,
    exact: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Trajectory:
    """Run full-batch gradient descent from ``init`` on ``model`` (one sample per data row)."""
    if model.options.get("samples", 1) != 1:
        raise ProblemError(
            "simulate uses one symbolic sample per data row: build the model with samples=1"
        )
    if not 1 <= steps <= MAX_STEPS:
        raise ProblemError(f"steps={steps} is out of range (1..{MAX_STEPS})")
    if exact:
        rational = (
            all(
                model.options.get(key, "identity") in RATIONAL_ACTIVATIONS
                for key in ("activation", "output_activation")
            )
            and model.options.get("loss", "mse") != "cross-entropy"
        )
        limit = MAX_EXACT_STEPS if rational else MAX_EXACT_STEPS_TRANSCENDENTAL
        if steps > limit:
            kind = "rational numbers" if rational else "exact expressions in tanh, exp, ..."
            raise ProblemError(
                f"--exact keeps {kind}, whose size grows with every step: at most {limit} steps "
                "here (use float mode for long runs)"
            )
    rng = random.Random(seed)
    rate = sympy.Rational(str(lr)) if exact else float(lr)
    if not (float(rate) > 0 and math.isfinite(float(rate))):
        raise ProblemError(f"lr={lr} must be a positive number")
    values, groups = _initial_values(model, init, rng, exact)
    data_rows = _dataset(model, dataset, rows, rng, exact)
    parameters = model.parameters
    grads = gradients(model.loss, parameters)
    vector = [grads[p] for p in parameters]
    if exact:

        def gradient_at(point):
            total = [sympy.S.Zero] * len(parameters)
            for row in data_rows:
                evaluated = substitute(sympy.Tuple(*vector), {**point, **row})
                total = [t + g for t, g in zip(total, evaluated)]
            return [t / len(data_rows) for t in total]
    else:
        compiled = sympy.lambdify([*parameters, *model.data], vector, modules="math", cse=True)

        def gradient_at(point):
            total = [0.0] * len(parameters)
            args = [point[p] for p in parameters]
            for row in data_rows:
                evaluated = compiled(*args, *(row[s] for s in model.data))
                total = [t + g for t, g in zip(total, evaluated)]
            return [t / len(data_rows) for t in total]

    record_every = max(1, steps // 200)
    recorded_steps, recorded, spreads, equal = [], [], [], []

    def record(step: int) -> None:
        recorded_steps.append(step)
        recorded.append(tuple(values[p] for p in parameters))
        worst, exactly = _spread(values, groups)
        spreads.append(worst)
        equal.append(exactly)

    record(0)
    for step in range(1, steps + 1):
        gradient = gradient_at(values)
        values = {p: values[p] - rate * g for p, g in zip(parameters, gradient)}
        if not exact and any(not math.isfinite(v) for v in values.values()):
            raise ProblemError(f"the run diverged at step {step}: lower the learning rate")
        if step % record_every == 0 or step == steps:
            record(step)
        if progress is not None:
            progress(step)
    incoming = tuple(
        tuple(
            tuple(str(p) for p in neuron if str(p).startswith((f"W{number}_", f"b{number}_")))
            for neuron in layer
        )
        for number, layer in enumerate(model.hidden_layers(), start=1)
    )
    return Trajectory(
        model=model.describe(),
        parameters=tuple(str(p) for p in parameters),
        groups=tuple(tuple(str(p) for p in g) for g in groups),
        steps=tuple(recorded_steps),
        values=tuple(recorded),
        max_difference=tuple(spreads),
        exactly_equal=tuple(equal),
        hidden=tuple(incoming),
        lr=rate,
        exact=exact,
        rows=len(data_rows),
        init=init,
    )
