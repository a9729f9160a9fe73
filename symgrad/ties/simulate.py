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

import math
import random
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import sympy

from symgrad.errors import ProblemError, SymgradError
from symgrad.exact.calculus import gradients
from symgrad.exact.compile import float_function
from symgrad.exact.dag import substitute
from symgrad.exact.functions import LAMBDIFY_MODULE
from symgrad.results import Comparison, Trajectory
from symgrad.runtime.budget import Budget, binds_timeout, tick
from symgrad.ties.models import Model
from symgrad.ties.problem import quote
from symgrad.ties.prove import is_torch_model

MAX_EXACT_STEPS = 8
MAX_EXACT_STEPS_TRANSCENDENTAL = 3
RATIONAL_ACTIVATIONS = ("identity", "relu")
MAX_STEPS = 1_000_000


def _initial_values(model: Model, init: str, rng: random.Random, exact: bool):
    """(values per parameter, init groups) for identical, random, zero, constant or ties."""

    def draw():
        if exact:
            return sympy.Rational(rng.randint(-9, 9), 10)
        return rng.uniform(-1.0, 1.0)

    parameters = model.parameters
    if not isinstance(init, str):
        raise ProblemError(
            f"init must be text (identical, random, zero, constant or ties), not {type(init).__name__}"
        )
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
                from symgrad.text.suggest import did_you_mean

                raise ProblemError(
                    f"init {quote(init)}: expected identical, random, zero, constant or ties such "
                    "as W1_0_0=W1_0_1 naming model parameters"
                    + did_you_mean(init, ("identical", "random", "zero", "constant"))
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


def check_output_path(path: str, extension: str) -> Path:
    """A file to write: its folder exists, it is not a folder, and it ends in ``extension``."""
    target = Path(path)
    if target.suffix.lower() != extension:
        raise SymgradError(
            f"{quote(path)} must end in {extension} (symgrad writes {extension[1:].upper()} there)"
        )
    if target.is_dir():
        raise SymgradError(f"{quote(path)} is a folder: give a file name ending in {extension}")
    if target.name.startswith(".") and target.stem == target.name:
        raise SymgradError(f"{quote(path)} has no file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise SymgradError(f"the folder {quote(str(parent))} does not exist")
    return target


def learning_rate(text: object, exact: bool) -> float | str:
    """A positive, finite learning rate, read exactly (``1/10``, ``0.1``, ``1e-3``)."""
    from symgrad.text.parse import parse_number

    try:
        value = parse_number(str(text))
    except SymgradError as error:
        raise ProblemError(
            f"--lr {quote(text)} is not a number such as 0.1 or 1/10 ({error})"
        ) from None
    if not value.is_Rational or not value.is_positive:
        raise ProblemError(f"--lr {quote(text)} must be a positive rational number")
    if exact:
        return str(value)
    rate = float(value)
    if not math.isfinite(rate) or rate <= 0:
        raise ProblemError(f"--lr {quote(text)} is outside the floating-point range; use --exact")
    return rate


def _compiled(vector: list[sympy.Expr], arguments: list[sympy.Symbol]):
    """Float code for the gradient vector: per DAG node, or SymPy's lambdify as a fallback."""
    try:
        return float_function(vector, arguments)
    except NotImplementedError:
        return sympy.lambdify(arguments, vector, modules=[LAMBDIFY_MODULE, "math"], cse=True)


def _whole_numbers(**values: object) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProblemError(f"{name}={value!r} must be a whole number")
    if not 1 <= values["steps"] <= MAX_STEPS:
        raise ProblemError(f"steps={values['steps']} is out of range (1..{MAX_STEPS})")
    if not 1 <= values["rows"] <= 10_000:
        raise ProblemError(f"rows={values['rows']} is out of range (1..10000)")


@binds_timeout
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
    timeout: float = 600.0,
) -> Trajectory:
    """Run full-batch gradient descent from ``init`` on ``model`` (one sample per data row)."""
    if is_torch_model(model):
        return _simulate_torch(
            model, init, steps, lr, seed, dataset, rows, exact, progress, timeout
        )
    budget = Budget(timeout)
    _check_preset_run(model, steps, rows, seed, dataset, exact)
    rng = random.Random(seed)
    rate = learning_rate(lr, exact)
    rate = sympy.Rational(rate) if exact else rate
    values, groups = _initial_values(model, init, rng, exact)
    watched = [] if groups else [g for g in model.identical_groups() if len(g) > 1]
    data_rows = _dataset(model, dataset, rows, random.Random(seed + 1), exact)
    gradient_at = _mean_gradient(model, data_rows, exact)
    run = _Run(model.parameters, groups, watched, record_every=max(1, steps // 200))
    run.record(0, values)
    for step in range(1, steps + 1):
        budget.check("gradient descent")
        gradient = gradient_at(values)
        values = {p: values[p] - rate * g for p, g in zip(model.parameters, gradient)}
        if not exact and any(not math.isfinite(v) for v in values.values()):
            raise ProblemError(f"the run diverged at step {step}: lower the learning rate")
        if step % run.record_every == 0 or step == steps:
            run.record(step, values)
        if progress is not None:
            progress(step)
    return Trajectory(
        model=model.describe(),
        parameters=tuple(str(p) for p in model.parameters),
        groups=tuple(tuple(str(p) for p in g) for g in groups),
        steps=tuple(run.steps),
        values=tuple(run.values),
        max_difference=tuple(run.spreads),
        group_spreads=tuple(tuple(g) for g in run.per_group),
        exactly_equal=tuple(run.equal),
        hidden=_incoming_weights(model),
        lr=rate,
        exact=exact,
        rows=len(data_rows),
        init=init,
        watched=tuple(tuple(str(p) for p in g) for g in watched),
    )


def compare(
    model: Model,
    inits: Sequence[str],
    progress: Callable[[int], None] | None = None,
    **options,
) -> Comparison:
    """The same model run from each of ``inits`` (e.g. identical and random) on the same
    data: the seed draws the data apart from the init values. ``progress`` counts the steps
    of all runs; ``options`` as for :func:`simulate`."""
    if not 2 <= len(inits) <= 4 or len(set(inits)) < len(inits):
        raise ProblemError("compare 2 to 4 different inits, e.g. identical,random")
    steps = options.get("steps", 100)
    runs = []
    for k, init in enumerate(inits):
        shifted = None if progress is None else (lambda step, k=k: progress(k * steps + step))
        runs.append(simulate(model, init=init, progress=shifted, **options))
    return Comparison(tuple(runs))


def _simulate_torch(model, init, steps, lr, seed, dataset, rows, exact, progress, timeout):
    """A PyTorch model trains in float64 with torch (:mod:`symgrad.torch.simulation`)."""
    from symgrad.torch.simulation import simulate_torch

    _whole_numbers(steps=steps, rows=rows, seed=seed)
    if dataset is not None or exact:
        raise ProblemError(
            "a PyTorch model trains in float64 with torch: give data as samples=[(x, y)] to "
            "from_torch; --exact and --dataset apply to presets"
        )
    return simulate_torch(
        model,
        init=None if init == "identical" else init,
        steps=steps,
        lr=float(learning_rate(lr, False)),
        seed=seed,
        rows=rows,
        progress=progress,
        timeout=timeout,
    )


def _check_preset_run(model, steps: int, rows: int, seed: int, dataset, exact: bool) -> None:
    """Refuse a run that is not a preset, or whose sizes are out of range."""
    if not isinstance(model, Model):
        raise ProblemError(
            f"simulate needs a model preset (symgrad.model(...)) or symgrad.from_torch(...), "
            f"not {type(model).__name__}"
        )
    _whole_numbers(steps=steps, rows=rows, seed=seed)
    if dataset is None and not 1 <= rows <= 10_000:
        raise ProblemError(f"rows={rows} is out of range (1..10000)")
    if model.options.get("samples", 1) != 1:
        raise ProblemError(
            "simulate uses one symbolic sample per data row: build the model with samples=1"
        )
    if not 1 <= steps <= MAX_STEPS:
        raise ProblemError(f"steps={steps} is out of range (1..{MAX_STEPS})")
    if exact:
        _check_exact_steps(model, steps)


def _check_exact_steps(model: Model, steps: int) -> None:
    """Exact values grow with every step: bound the steps (tighter with transcendental maths)."""
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


def _mean_gradient(model: Model, data_rows: list, exact: bool) -> Callable:
    """point -> the gradient averaged over the data rows (exact, or compiled to floats)."""
    parameters = model.parameters
    grads = gradients(model.loss, parameters)
    vector = [grads[p] for p in parameters]
    if exact:

        def exact_gradient(point):
            total = [sympy.S.Zero] * len(parameters)
            for row in data_rows:
                tick("gradient descent")
                evaluated = substitute(sympy.Tuple(*vector), {**point, **row}, evaluate=True)
                total = [t + g for t, g in zip(total, evaluated)]
            return [t / len(data_rows) for t in total]

        return exact_gradient
    compiled = _compiled(vector, [*parameters, *model.data])

    def float_gradient(point):
        total = [0.0] * len(parameters)
        args = [point[p] for p in parameters]
        for count, row in enumerate(data_rows):
            if count % 64 == 0:
                tick("gradient descent")
            evaluated = compiled(*args, *(row[s] for s in model.data))
            total = [t + g for t, g in zip(total, evaluated)]
        return [t / len(data_rows) for t in total]

    return float_gradient


class _Run:
    """The recorded steps of a run: values, and each tie group's spread."""

    def __init__(self, parameters, groups, watched, record_every: int) -> None:
        self.parameters, self.groups, self.record_every = parameters, groups, record_every
        self.shown = groups or watched  # the groups whose spreads are plotted
        self.steps: list[int] = []
        self.values: list[tuple] = []
        self.spreads: list = []
        self.equal: list[bool] = []
        self.per_group: list[list[float]] = [[] for _ in self.shown]

    def record(self, step: int, values: Mapping) -> None:
        self.steps.append(step)
        self.values.append(tuple(values[p] for p in self.parameters))
        worst, exactly = _spread(values, self.groups)
        self.spreads.append(worst)
        self.equal.append(exactly)
        for k, group in enumerate(self.shown):
            self.per_group[k].append(_spread(values, [group])[0])


def _incoming_weights(model: Model) -> tuple:
    """Per hidden layer, per neuron: the names of its incoming weights and bias."""
    return tuple(
        tuple(
            tuple(str(p) for p in neuron if str(p).startswith((f"W{number}_", f"b{number}_")))
            for neuron in layer
        )
        for number, layer in enumerate(model.hidden_layers(), start=1)
    )
