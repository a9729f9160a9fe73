"""Result types: plain frozen dataclasses, below both the deciding and the rendering code.

Deciding modules (:mod:`symgrad.ties.prove`, :mod:`symgrad.teaching.check`, ...) build these;
:mod:`symgrad.render` renders them. A result renders itself through the
renderer registered for its type (``to_text``, ``to_markdown``, ``to_latex``,
``to_dict``), so this module imports no rendering code and deciding code never
imports :mod:`symgrad.render`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from symgrad.exact.printing import to_str

_RENDERERS: dict[tuple[type, str], Callable[..., Any]] = {}


def renders(kind: type, fmt: str):
    """Register ``function(result, ...)`` as the ``fmt`` renderer of ``kind``."""

    def register(function):
        _RENDERERS[(kind, fmt)] = function
        return function

    return register


def render(result: object, fmt: str, *args: object) -> Any:
    key = (type(result), fmt)
    if key not in _RENDERERS:
        importlib.import_module("symgrad.render")
    return _RENDERERS[key](result, *args)


class Renderable:
    """Text, Markdown, LaTeX and JSON-ready forms through the registered renderer."""

    def to_text(self) -> str:
        return render(self, "text")

    def to_markdown(self) -> str:
        return render(self, "markdown")

    def to_latex(self) -> str:
        return render(self, "latex")

    def to_dict(self) -> dict:
        return render(self, "dict")

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        """One line, such as ``<ProofResult refuted: w0 = w1 breaks at step 1>``; ``str()``
        and ``print`` give the full text."""
        try:
            return render(self, "repr")
        except KeyError:
            verdict = getattr(self, "verdict", "")
            return f"<{type(self).__name__}{' ' + verdict if verdict else ''}>"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return self.to_latex()


# ---------------------------------------------------------------- conditions
@dataclass(frozen=True)
class ConditionBranch:
    """One alternative of a condition: equations ``lhs = rhs``, side conditions, integers."""

    equations: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    conditions: tuple[sympy.Basic, ...] = ()
    integers: tuple[sympy.Symbol, ...] = ()

    @property
    def text(self) -> str:
        parts = [f"{to_str(a)} = {to_str(b)}" for a, b in self.equations]
        parts += [to_str(c) for c in self.conditions]
        text = " and ".join(parts)
        if self.integers:
            names = ", ".join(str(n) for n in self.integers)
            text += f" for an integer {names}"
        return text

    def __len__(self) -> int:
        return len(self.equations) + len(self.conditions)


@dataclass(frozen=True)
class Condition:
    """A solved data condition: ``branches`` are alternatives, each a conjunction.

    ``solved`` is False when the zero set could not be determined (``note``
    says why); ``exact`` is False when some branches are missing.
    """

    branches: tuple[ConditionBranch, ...]
    measure_zero: bool
    exact: bool = True
    note: str = ""
    notes: tuple[str, ...] = ()
    solved: bool = True

    @property
    def text(self) -> str:
        if not self.solved:
            return self.note or "not solved"
        if not self.branches:
            return "never (no data keeps the tie)"
        parts = []
        for branch in self.branches:
            if not len(branch):
                return "always"
            inner = branch.text
            several = len(branch) > 1 or branch.integers
            parts.append(f"({inner})" if several and len(self.branches) > 1 else inner)
        return " or ".join(parts)


# ---------------------------------------------------------------- prove
@dataclass(frozen=True)
class Witness:
    """An exact counterexample: from ``point`` the tied pair separates after ``steps`` steps.

    For one step, the pair's gradients at ``point`` differ (``difference``, a
    rational, or an exact number whose sign the interval ``enclosure``
    certifies), and after one step with learning rate eta the two parameters
    are ``after_step[first]`` and ``after_step[second]``, different for every
    eta != 0. For ``steps`` = k > 1 the gradients agree until step k - 1 and
    differ at the point reached after k - 1 steps with eta = ``eta``
    (``gradients`` are there); the loss is analytic, so the values differ for
    every small eta != 0. ``instance`` names a concrete function used for an
    arbitrary one (one function suffices to refute "for every function").
    """

    pair: tuple[str, str]
    point: Mapping[str, sympy.Expr]
    gradients: Mapping[str, sympy.Expr]
    difference: sympy.Expr
    after_step: Mapping[str, sympy.Expr]
    certified_by: str
    enclosure: str | None = None
    steps: int = 1
    sample: int | None = None
    note: str = ""
    init_values: Mapping[str, sympy.Expr] = field(default_factory=dict)
    eta: sympy.Expr | None = None
    instance: Mapping[str, str] = field(default_factory=dict)
    integers: Mapping[str, sympy.Expr] = field(default_factory=dict)


@dataclass(frozen=True, repr=False)
class ProofResult(Renderable):
    """The answer to "does this tie persist?", with what backs it.

    ``kind`` names the route (``permutation``, ``stationary``, ``zero-test``,
    ``init``, ``subspace``, ``multistep``, ``instance``) and ``certificate``
    says what the independent check re-verified.
    """

    verdict: str
    problem: Any  # the symgrad.ties.problem.Problem decided (results sit below ties)
    method: str
    differences: Mapping[str, sympy.Expr] = field(default_factory=dict)
    gradients: Mapping[str, sympy.Expr] | None = None
    condition: Condition | None = None
    witness: Witness | None = None
    stationary: bool | None = None
    optimizers: tuple[str, ...] = ()
    reason: str = ""
    evidence: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    title: str = ""
    kind: str = ""
    certificate: str = ""
    symmetries: tuple[Mapping[sympy.Symbol, sympy.Symbol], ...] = ()
    branches: tuple[Any, ...] = ()
    # a permutation proof on the loss's graph: the symmetries with each one's node map
    # (node -> image node), which the certificate check verifies node by node; not shown
    node_maps: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def holds(self) -> bool:
        return self.verdict == "proven"

    def __bool__(self) -> bool:
        return self.holds


# ---------------------------------------------------------------- check
@dataclass(frozen=True)
class CheckWitness:
    """A point where the claim and the true derivative differ, with both exact values."""

    point: Mapping[str, sympy.Expr]
    parameter: str
    claimed: sympy.Expr
    true: sympy.Expr
    certified_by: str
    sizes: Mapping[str, int] = field(default_factory=dict)
    matrices: Mapping[str, object] = field(default_factory=dict)
    factor: object = None
    functions: Mapping[str, str] = field(default_factory=dict)  # "F" -> "F(u) = u**3"
    instance: Mapping[str, str] = field(default_factory=dict)  # "F" -> its concrete kind


@dataclass(frozen=True)
class DerivationLine:
    """One judged line of a derivation: ``given`` (a definition), ``correct``,
    ``incorrect`` or ``unknown``; ``compared_with`` is the line a step must equal."""

    number: int
    text: str
    kind: str
    verdict: str
    expression: str
    method: str = ""
    witness: CheckWitness | None = None
    diagnosis: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    reason: str = ""
    compared_with: int | None = None
    function: str = ""
    wrt: str = ""
    note: str = ""
    tex: str = ""


@dataclass(frozen=True)
class Component:
    """The verdict on one component of a claimed gradient (one parameter)."""

    parameter: str
    verdict: str
    claim: sympy.Expr
    derivative: sympy.Expr
    codes: tuple[str, ...] = ()
    diagnosis: tuple[str, ...] = ()
    witness: CheckWitness | None = None
    method: str = ""
    reason: str = ""
    exceptional: Exceptional | None = None


@dataclass(frozen=True)
class Exceptional:
    """Where a claim that is correct almost everywhere may differ from the derivative.

    ``zero_set`` is the measure-zero set (``w*x = 0``) where the loss is not differentiable;
    ``convention`` says what the derivative is there by PyTorch's convention, and what the
    claim gives (at one exact point), when they differ there.
    """

    zero_set: str
    convention: str = ""


@dataclass(frozen=True, repr=False)
class CheckResult(Renderable):
    """The verdict on a claimed derivative (or gradient vector), every component judged."""

    verdict: str
    loss: sympy.Expr
    wrt: tuple[sympy.Symbol, ...]
    claims: tuple[sympy.Expr, ...]
    derivatives: tuple[sympy.Expr, ...]
    witness: CheckWitness | None = None
    diagnosis: tuple[str, ...] = ()
    method: str = ""
    reason: str = ""
    steps: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    components: tuple[Component, ...] = ()
    readings: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    hide_answer: bool = False
    certificate: str = ""
    scope: str = ""
    shapes: Mapping[str, str] = field(default_factory=dict)
    tex: tuple[str, ...] = ()
    definitions: tuple[str, ...] = ()
    written: tuple[sympy.Expr, ...] = ()
    hint: bool = False

    @property
    def holds(self) -> bool:
        return self.verdict == "correct"

    @property
    def almost_everywhere(self) -> bool:
        """Correct except on a measure-zero set where the loss is not differentiable."""
        return self.verdict == "correct" and any(c.exceptional is not None for c in self.components)

    @property
    def is_matrix(self) -> bool:
        """A claim about matrices, checked for every size (``shapes`` declared)."""
        return bool(self.shapes)

    def __bool__(self) -> bool:
        return self.holds

    @property
    def understood(self) -> str:
        """What was read, so that a typo is visible before the verdict."""
        parts = [f"J = {to_str(self.loss)}"]
        for p, c in zip(self.wrt, self.written or self.claims):
            parts.append(f"claimed dJ/d{p} = {to_str(c)}")
        if self.definitions:
            parts[-1] += " with " + ", ".join(self.definitions)
        if self.shapes:
            parts.append("shapes " + ", ".join(f"{n}: {s}" for n, s in self.shapes.items()))
        return "; ".join(parts)


# ---------------------------------------------------------------- grad
@dataclass(frozen=True, repr=False)
class GradientResult(Renderable):
    """dJ/dp for each p of ``wrt``; ``values`` at ``point`` when one was given."""

    loss: sympy.Expr
    wrt: tuple[sympy.Symbol, ...]
    gradients: Mapping[str, sympy.Expr]
    point: Mapping[str, sympy.Expr] | None = None
    values: Mapping[str, sympy.Expr] | None = None
    notes: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()


# ---------------------------------------------------------------- collapse
@dataclass(frozen=True)
class SplitWitness:
    """Why two parameters that start equal separate: they differ after ``steps`` steps."""

    pair: tuple[str, str]
    point: Mapping[str, sympy.Expr] | None
    gradients: Mapping[str, sympy.Expr] | None
    certified_by: str | None
    note: str = ""
    steps: int = 1
    eta: sympy.Expr | None = None


@dataclass(frozen=True, repr=False)
class CollapseResult(Renderable):
    """Groups of parameters that stay equal forever (and values that never move)."""

    groups: tuple[tuple[str, ...], ...]
    effective_width: list[int]
    widths: list[int]
    method: str
    stationary: bool | None
    witnesses: tuple[SplitWitness, ...] = ()
    rounds: int = 0
    model: str = ""
    elapsed_s: float = 0.0
    notes: tuple[str, ...] = ()
    pinned: Mapping[str, sympy.Expr] = field(default_factory=dict)
    verdict: str = "proven"
    reason: str = ""
    layers: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    certificate: str = ""
    names: Mapping[str, str] = field(default_factory=dict)
    layer_lines: tuple[str, ...] = ()
    symmetries: tuple[Mapping[str, object], ...] = ()

    @property
    def holds(self) -> bool:
        return self.verdict == "proven"

    def to_dict(self, full: bool = False) -> dict:
        """The JSON form; a PyTorch model's groups are written with index ranges unless
        ``full`` (every entry named)."""
        return render(self, "dict", full)

    def summary(self) -> list[str]:
        """One line per hidden layer: its width and how many neurons it behaves as."""
        return render(self, "summary")


@dataclass(frozen=True, repr=False)
class ModelProofResult(Renderable):
    """A verdict on the ties of a PyTorch model: each tie group stays equal (``proven``, by a
    permutation of units), two tied entries separate (``refuted``, exact witness) or ``unknown``."""

    verdict: str
    model: str
    init: str
    groups: int
    entries: int
    method: str
    layers: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    witness: SplitWitness | None = None
    reason: str = ""
    certificate: str = ""
    optimizers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0

    @property
    def holds(self) -> bool:
        return self.verdict == "proven"

    def __bool__(self) -> bool:
        return self.holds


# ---------------------------------------------------------------- symbolic sizes
@dataclass(frozen=True, repr=False)
class ParametricResult(Renderable):
    """A verdict for every size, with the general gradient on the tied subspace."""

    verdict: str
    model: str
    scope: str
    method: str
    gradients: Mapping[str, sympy.Expr]
    differences: Mapping[str, sympy.Expr]
    ties: tuple[str, ...]
    condition: str | None = None
    witness: Witness | None = None
    instance: str = ""
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    measure_zero: bool | None = None
    stationary: bool | None = None
    witness_summary: str = ""
    optimizers: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return self.verdict == "proven"

    def __bool__(self) -> bool:
        return self.holds

    def headline(self) -> str:
        return render(self, "headline")


# ---------------------------------------------------------------- simulate
@dataclass(frozen=True, repr=False)
class Trajectory(Renderable):
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
    notes: tuple[str, ...] = ()
    group_spreads: tuple[tuple[float, ...], ...] = ()
    proven_spreads: tuple[tuple[float, ...], ...] = ()
    # with no tie groups (a random init): the parameters an identical init would tie (each
    # neuron's matching weights), whose spreads ``group_spreads`` then holds
    watched: tuple[tuple[str, ...], ...] = ()

    def write_csv(self, path) -> None:
        render(self, "csv", path)

    def plot(self, path) -> None:
        render(self, "png", path)


@dataclass(frozen=True, repr=False)
class Comparison(Renderable):
    """Runs of one model from several inits (``identical`` and ``random``), same data."""

    runs: tuple[Trajectory, ...]

    def plot(self, path) -> None:
        """The runs side by side: one column per init, one row per group."""
        render(self, "png", path)


# ---------------------------------------------------------------- grade
#: what a graded answer can be: the mathematical verdicts, then the answers that could not be
#: judged as mathematics (each its own code, never a mathematical mistake)
MATHS_VERDICTS = ("correct", "incorrect", "unknown")
READING_VERDICTS = ("blank", "unreadable", "too_long", "undefined_symbol", "wrong_shape")
GRADE_VERDICTS = (*MATHS_VERDICTS, *READING_VERDICTS, "timeout")


@dataclass(frozen=True, repr=False)
class GradedAnswer(Renderable):
    """One graded answer: verdict, points, diagnosis codes and the feedback sentence.

    ``components`` hold, per part of the answer, ``name``, ``verdict``, ``codes``, ``points``
    and ``reading`` (the part as understood, in Python syntax; empty when it was not read).
    ``override`` is the teacher's: ``{"points", "comment", "auto_points"}``, or None.
    """

    student: str
    question: str
    verdict: str
    points: float
    max_points: float
    codes: tuple[str, ...]
    feedback: str
    components: tuple[Mapping[str, object], ...]
    answer: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    override: Mapping[str, object] | None = None
    fingerprint: str = ""

    @property
    def reading(self) -> str:
        """The answer as understood (its parts joined by '; '), or '' when a part was not read."""
        parts = [str(c.get("reading") or "") for c in self.components]
        return "; ".join(parts) if all(parts) else ""

    @property
    def auto_points(self) -> float:
        """The points symgrad gave, before any override of the teacher."""
        return float(self.override["auto_points"]) if self.override else self.points


@dataclass(frozen=True)
class AnswerGroup:
    """Answers to one question that read the same (Gradescope's answer groups)."""

    reading: str
    count: int
    verdict: str
    points: float
    codes: tuple[str, ...]
    example: str
    students: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionStats:
    """How a class did on one question: shares, points, codes, answer groups, discrimination.

    ``discrimination`` is the item-rest correlation (the point-biserial coefficient for a
    question scored right or wrong): the Pearson correlation between the points on this
    question and each student's points on the other questions; None when either is constant.
    """

    id: str
    loss: str
    answers: int
    correct: int
    mean_points: float
    max_points: float
    codes: Mapping[str, int]
    examples: Mapping[str, tuple[str, str]]
    loss_reading: str = ""
    wrt: tuple[str, ...] = ()
    groups: tuple[AnswerGroup, ...] = ()
    discrimination: float | None = None
    points_histogram: tuple[tuple[str, int], ...] = ()

    @property
    def share_correct(self) -> float:
        return self.correct / self.answers if self.answers else 0.0


@dataclass(frozen=True, repr=False)
class ClassReport(Renderable):
    """The class at a glance: score distribution, per question the share correct and the
    mistakes, and (``rows``) every student's answers with verdict, points and feedback."""

    answers: int
    graded: int
    seconds: float
    students: int
    totals: Mapping[str, float]
    max_total: float
    questions: tuple[QuestionStats, ...]
    verdicts: Mapping[str, int]
    rows: tuple[GradedAnswer, ...] = ()
    hide_answer: bool = False

    @property
    def score_mean(self) -> float:
        """The mean of the students' total points."""
        return sum(self.totals.values()) / len(self.totals) if self.totals else 0.0

    def to_html(self) -> str:
        return render(self, "html")

    def write(self, path) -> None:
        """Write the report: ``.html`` (standalone, maths as MathML) or ``.md`` (maths as
        ``$...$``, with a histogram image when matplotlib is there)."""
        render(self, "file", path)


@dataclass(frozen=True, repr=False)
class DerivationResult(Renderable):
    """A derivation judged line by line; ``first_wrong`` is the number of the first wrong line."""

    verdict: str
    lines: tuple[DerivationLine, ...]
    first_wrong: int | None = None
    latex: bool = False
    shapes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    definitions: tuple[tuple[str, str], ...] = ()
    hide: bool = False

    @property
    def holds(self) -> bool:
        return self.verdict == "correct"

    def __bool__(self) -> bool:
        return self.holds
