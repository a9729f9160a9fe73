"""Verdicts for every width at once (:class:`~symgrad.results.ParametricResult`)."""

from __future__ import annotations

from symgrad.render.common import md_escape, timing_text
from symgrad.render.proof import witness_dict
from symgrad.results import (
    ParametricResult,
    renders,
)
from symgrad.text.display import (
    latex,
    short,
    tex_escape,
)


@renders(ParametricResult, "headline")
def parametric_headline(result: ParametricResult) -> str:
    if result.verdict == "proven":
        return (
            f"Proven {result.scope}: identical neurons get identical gradients, so they stay "
            f"identical for every step ({result.method})."
        )
    if result.verdict == "refuted":
        return (
            f"Refuted: the tie breaks already for {result.instance}; it persists only when "
            f"{result.condition}."
        )
    return f"Unknown: {result.method}."


def _without_verdict(headline: str) -> str:
    """``Proven for all d >= 1: ...`` -> ``for all d >= 1: ...`` (the verdict word leads)."""
    for word in ("Proven ", "Refuted: ", "Unknown: "):
        if headline.startswith(word):
            return headline[len(word) :]
    return headline


@renders(ParametricResult, "text")
def parametric_to_text(result: ParametricResult, timing: bool = True) -> str:
    lines = [
        f"{result.verdict.upper()}: {_without_verdict(parametric_headline(result))}",
        "",
        f"Model: {result.model}",
        "Tie: " + "; ".join(result.ties),
        "",
        "General gradients on the tied subspace:",
    ]
    for name, value in result.gradients.items():
        lines.append(f"  dJ/d{name} = {short(value, 600)}")
    if result.differences:
        lines.append("Differences between two generic parameters of a family:")
        for name, value in result.differences.items():
            lines.append(f"  {name}: {short(value, 300)}")
    if result.condition:
        lines.append(f"Condition: the tie persists exactly {result.condition}.")
    if result.witness:
        lines.append(f"Witness ({result.instance}): {result.witness_summary}")
    for note in result.notes:
        lines.append(f"Note: {note}")
    lines.append(f"Certificate: {result.method}{timing_text(result.elapsed_s, timing)}.")
    return "\n".join(lines)


@renders(ParametricResult, "dict")
def parametric_to_dict(result: ParametricResult) -> dict:
    condition = None
    if result.condition:
        condition = {"text": result.condition, "measure_zero": bool(result.measure_zero)}
    return {
        "verdict": result.verdict,
        "model": result.model,
        "scope": result.scope,
        "parameters": list(result.gradients),
        "ties": list(result.ties),
        "gradients": {k: str(v) for k, v in result.gradients.items()},
        "differences": {k: str(v) for k, v in result.differences.items()},
        "condition": condition,
        "witness": witness_dict(result.witness) if result.witness else None,
        "instance": result.instance or None,
        "stationary": result.stationary,
        "method": result.method,
        "optimizers": list(result.optimizers) if result.verdict == "proven" else [],
        "notes": list(result.notes),
        "summary": parametric_headline(result),
        "elapsed_s": result.elapsed_s,
    }


@renders(ParametricResult, "markdown")
def parametric_to_markdown(result: ParametricResult) -> str:
    lines = [f"**{result.verdict.capitalize()}.** {md_escape(parametric_headline(result))}", ""]
    for name, value in result.gradients.items():
        lines.append(rf"- $\partial J / \partial {_tex_name(name)} = {latex(value)}$")
    return "\n".join(lines)


def _tex_name(name: str) -> str:
    return name.replace("[", "_{").replace("]", "}").replace(" ", "")


@renders(ParametricResult, "latex")
def parametric_to_latex(result: ParametricResult) -> str:
    rows = [
        r"\frac{\partial J}{\partial %s} &= %s" % (_tex_name(name), latex(value))
        for name, value in result.gradients.items()
    ]
    head = r"\paragraph{%s.} %s" % (
        result.verdict.capitalize(),
        tex_escape(parametric_headline(result)),
    )
    if not rows:
        return head
    return head + "\n\n\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"
