"""Exact gradients (:class:`~symgrad.results.GradientResult`)."""

from __future__ import annotations

from symgrad.exact.printing import to_str
from symgrad.render.common import md_escape
from symgrad.results import (
    GradientResult,
    renders,
)
from symgrad.text.display import (
    latex,
    short,
    symbol_tex,
)


@renders(GradientResult, "text")
def gradient_to_text(result: GradientResult, timing: bool = True) -> str:
    lines = [f"J = {to_str(result.loss)}"]
    for name, value in result.gradients.items():
        line = f"dJ/d{name} = {short(value, 2000)}"
        if result.values is not None:
            line += f"   = {to_str(result.values[name])} at the point"
        lines.append(line)
    if result.point:
        lines.append("point: " + ", ".join(f"{k} = {to_str(v)}" for k, v in result.point.items()))
    if result.domain:
        lines.append(f"Domain: the loss is real where {' and '.join(result.domain)}.")
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


@renders(GradientResult, "quiet")
def gradient_quiet(result: GradientResult) -> str:
    """The gradients alone (with their values at the point, when one was given)."""
    return "\n".join(gradient_to_text(result).splitlines()[1 : 1 + len(result.gradients)])


@renders(GradientResult, "dict")
def gradient_to_dict(result: GradientResult) -> dict:
    data = {
        "loss": to_str(result.loss),
        "wrt": [str(p) for p in result.wrt],
        "gradients": {k: to_str(v) for k, v in result.gradients.items()},
        "notes": list(result.notes),
        "domain": list(result.domain),
    }
    if result.values is not None:
        data["at"] = {k: to_str(v) for k, v in (result.point or {}).items()}
        data["values"] = {k: to_str(v) for k, v in result.values.items()}
    return data


@renders(GradientResult, "markdown")
def gradient_to_markdown(result: GradientResult) -> str:
    lines = [f"$J = {latex(result.loss)}$", ""]
    for name, value in result.gradients.items():
        line = rf"- $\partial J/\partial {symbol_tex(name)} = {latex(value)}$"
        if result.values is not None:
            line += f", value ${latex(result.values[name])}$"
        lines.append(line)
    for note in result.notes:
        lines.append(f"- *Note:* {md_escape(note)}")
    return "\n".join(lines)


@renders(GradientResult, "latex")
def gradient_to_latex(result: GradientResult) -> str:
    rows = [
        r"\frac{\partial J}{\partial %s} &= %s" % (symbol_tex(n), latex(v))
        for n, v in result.gradients.items()
    ]
    if result.values is not None:
        rows += [
            r"\left.\frac{\partial J}{\partial %s}\right|_{\text{point}} &= %s"
            % (symbol_tex(n), latex(v))
            for n, v in result.values.items()
        ]
    return "\\begin{align*}\nJ &= %s \\\\\n%s\n\\end{align*}" % (
        latex(result.loss),
        " \\\\\n".join(rows),
    )
