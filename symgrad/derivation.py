"""Proof helpers: a derivation is a claim, a few checked steps and a readable account.

A step pairs a sentence with a :class:`~symgrad.ties.prove.ProofResult` (or a
gradient) and the verdict the mathematics predicts; the derivation holds when
every checked step obtained its expected verdict. The modules under
``proofs/`` are a few calls of these helpers each.

>>> d = Derivation("linear", "The linear tie breaks unless x0 = x1.", expected="refuted")
>>> r = d.check("From zero the tie breaks.", prove("w0*x0 + w1*x1", ties=["w0=w1"], init="zero"),
...             expect="refuted")
>>> d.holds, d.verdict
(True, 'refuted')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy

from symgrad.render import check_headline, headline
from symgrad.results import CheckResult, ProofResult
from symgrad.text.display import latex, short, tidy
from symgrad.ties.prove import prove

__all__ = ["Derivation", "Step", "prove"]


@dataclass(frozen=True)
class Step:
    """One step: a sentence, optionally a checked result and the verdict it should have."""

    text: str
    result: ProofResult | None = None
    expect: str | None = None
    formula: str | None = None
    formula_latex: str | None = None

    @property
    def ok(self) -> bool:
        return self.expect is None or (
            self.result is not None and self.result.verdict == self.expect
        )


@dataclass
class Derivation:
    """A claim of the seeds with the steps that establish it.

    ``expected`` is the verdict of the headline step (the first checked one
    marked ``headline=True``, else the first checked step).
    """

    name: str
    claim: str
    expected: str
    steps: list[Step] = field(default_factory=list)
    headline_index: int | None = None
    started: float = field(default_factory=time.monotonic)
    elapsed_s: float = 0.0

    def say(self, text: str) -> None:
        """Add a sentence of explanation."""
        self.steps.append(Step(text))

    def show(self, text: str, expr: sympy.Basic) -> None:
        """Add a sentence with a displayed formula."""
        shown = tidy(expr) if isinstance(expr, sympy.Basic) else expr
        self.steps.append(Step(text, formula=str(shown), formula_latex=latex(shown)))

    def check(self, text: str, result, expect: str, headline: bool = False):
        """Add a checked step: ``result`` should have verdict ``expect``."""
        self.steps.append(Step(text, result, expect))
        if headline or self.headline_index is None:
            if headline or not any(s.result is not None for s in self.steps[:-1]):
                self.headline_index = len(self.steps) - 1
        self.elapsed_s = time.monotonic() - self.started
        return result

    @property
    def verdict(self) -> str:
        """The obtained verdict of the headline step."""
        if self.headline_index is None:
            return "unknown"
        return self.steps[self.headline_index].result.verdict

    @property
    def holds(self) -> bool:
        """Every checked step got its expected verdict, and the headline the claimed one."""
        return all(step.ok for step in self.steps) and self.verdict == self.expected

    def failures(self) -> list[str]:
        return [
            f"{step.text} expected {step.expect}, obtained {step.result.verdict if step.result else 'nothing'}"
            for step in self.steps
            if not step.ok
        ]

    def to_text(self) -> str:
        lines = [f"Claim ({self.name}): {self.claim}", ""]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"{number}. {step.text}")
            if step.formula:
                lines.append(f"     {short(step.formula)}")
            if step.result is not None:
                mark = "ok" if step.ok else "MISMATCH"
                lines.append(
                    f"   -> {step.result.verdict} (expected {step.expect}, {mark}): "
                    f"{_summary(step.result)}"
                )
                if isinstance(step.result, CheckResult):
                    lines.append(f"      certificate: {step.result.method}")
                    lines += [f"      - {item}" for item in step.result.diagnosis]
                    continue
                condition = step.result.condition
                if isinstance(condition, str):
                    lines.append(f"      condition: {condition}")
                elif condition is not None:
                    lines.append(
                        f"      condition: {condition.text}"
                        + (" (measure zero)" if condition.measure_zero else "")
                    )
                witness = step.result.witness
                if witness is not None and hasattr(witness, "after_step"):
                    after = ", ".join(
                        f"{k} = {short(v, 100)}" for k, v in witness.after_step.items()
                    )
                    lines.append(f"      after one step: {after}")
                if getattr(step.result, "scope", None):
                    for name, value in step.result.gradients.items():
                        lines.append(f"      dJ/d{name} = {short(value, 300)}")
        lines += [
            "",
            f"Verdict: {self.verdict} (expected {self.expected}) - "
            + ("the claim is established." if self.holds else "MISMATCH."),
        ]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        lines = [f"## {self.name}", "", f"**Claim.** {self.claim}", ""]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"{number}. {step.text}")
            if step.formula:
                lines.append("")
                lines.append(f"   $$ {step.formula_latex} $$")
            if step.result is not None:
                lines.append("")
                body = step.result.to_markdown().replace("\n", "\n   ")
                lines.append(f"   {body}")
            lines.append("")
        lines.append(f"**Verdict:** {self.verdict} (expected {self.expected}).")
        return "\n".join(lines)

    def to_latex(self) -> str:
        """A LaTeX document body (amsmath): the claim, the numbered steps, the verdict."""
        from symgrad.text.display import tex_escape

        lines = [
            r"\subsection*{%s}" % tex_escape(self.name),
            "",
            r"\textbf{Claim.} " + tex_escape(self.claim),
            "",
        ]
        lines.append(r"\begin{enumerate}")
        for step in self.steps:
            lines.append(r"\item " + tex_escape(step.text))
            if step.formula_latex:
                lines.append(r"\[ %s \]" % step.formula_latex)
            if step.result is not None:
                lines.append(step.result.to_latex())
        lines.append(r"\end{enumerate}")
        lines.append(
            r"\textbf{Verdict:} %s (expected %s)."
            % (tex_escape(self.verdict), tex_escape(self.expected))
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _summary(result) -> str:
    """The one-sentence verdict of a ProofResult or a ParametricResult."""
    if isinstance(result, ProofResult):
        return headline(result)
    if isinstance(result, CheckResult):
        return check_headline(result)
    return result.headline()


def main(derive: Callable[[], Derivation]) -> None:
    """Entry point for ``python -m proofs.NAME``: print the derivation, exit 0 when it holds."""
    import sys

    derivation = derive()
    markdown = "--markdown" in sys.argv[1:]
    print(derivation.to_markdown() if markdown else derivation.to_text())
    sys.exit(0 if derivation.holds else 1)
