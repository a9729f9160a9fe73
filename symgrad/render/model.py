"""A PyTorch model's tie verdict (:class:`~symgrad.results.ModelProofResult`)."""

from __future__ import annotations

import sympy

from symgrad.exact.printing import to_str
from symgrad.render.collapse import name_tex, split_text
from symgrad.render.common import md_escape, timing_text
from symgrad.results import (
    ModelProofResult,
    renders,
)
from symgrad.text.display import (
    latex,
    tex_escape,
)


def _model_headline(result: ModelProofResult) -> str:
    ties = (
        f"{result.groups} tie group{'s' if result.groups != 1 else ''} ({result.entries} entries)"
    )
    if result.verdict == "proven":
        return (
            f"PROVEN: all {ties} stay equal for every step, every input and target, under "
            f"{', '.join(result.optimizers[:-1])} or {result.optimizers[-1]}."
        )
    if result.verdict == "refuted":
        a, b = result.witness.pair
        when = (
            "after one SGD step"
            if result.witness.steps == 1
            else (f"within {result.witness.steps} SGD steps (eta = {result.witness.eta})")
        )
        return f"REFUTED: {a} and {b} start equal but separate {when} on the input below."
    return f"UNKNOWN: {result.reason}"


def _model_layer_lines(result: ModelProofResult) -> list[str]:
    lines = []
    for name, v in result.layers.items():
        if v["effective_width"] is None:
            lines.append(f"{name}: {v['units']} {v['unit']}, nothing claimed ({v['argument']})")
        else:
            joint = ""
            if v.get("moves_with"):
                joint += f"; moves together with {', '.join(v['moves_with'])}"
            if v.get("exchanged_with"):
                joint += f"; exchanged whole with {', '.join(v['exchanged_with'])}"
            lines.append(
                f"{name}: {v['units']} {v['unit']}, behave as {v['effective_width']} "
                f"({v['argument']}{joint})"
            )
    return lines


@renders(ModelProofResult, "text")
def model_proof_to_text(result: ModelProofResult, timing: bool = True) -> str:
    lines = [_model_headline(result), f"Model: {result.model}", f"Init: {result.init}"]
    lines += [f"  {line}" for line in _model_layer_lines(result)]
    if result.witness is not None:
        lines.append(f"Witness: {split_text(result.witness)}")
        lines.append(f"  input: {result.witness.point['input']} (--json has x and y exactly)")
    for note in result.notes:
        lines.append(f"Note: {note}")
    if result.method:
        lines.append(f"Certificate: {result.method}{timing_text(result.elapsed_s, timing)}.")
    if result.certificate:
        lines.append(f"Re-checked: {result.certificate}.")
    return "\n".join(lines)


@renders(ModelProofResult, "dict")
def model_proof_to_dict(result: ModelProofResult) -> dict:
    witness = result.witness
    return {
        "verdict": result.verdict,
        "model": result.model,
        "init": result.init,
        "groups": result.groups,
        "entries": result.entries,
        "method": result.method or None,
        "layers": {k: dict(v) for k, v in result.layers.items()},
        "witness": None
        if witness is None
        else {
            "pair": list(witness.pair),
            "point": dict(witness.point),
            "gradients": {k: to_str(v) for k, v in witness.gradients.items()},
            "steps": witness.steps,
            "eta": to_str(witness.eta) if witness.eta is not None else None,
            "certified_by": witness.certified_by,
        },
        "reason": result.reason or None,
        "certificate": result.certificate or None,
        "optimizers": list(result.optimizers),
        "notes": list(result.notes),
        "elapsed_s": result.elapsed_s,
    }


@renders(ModelProofResult, "markdown")
def model_proof_to_markdown(result: ModelProofResult) -> str:
    lines = [
        f"**{md_escape(_model_headline(result))}**",
        "",
        f"- model: {md_escape(result.model)}",
        f"- init: {md_escape(result.init)}",
    ]
    lines += [f"- {md_escape(line)}" for line in _model_layer_lines(result)]
    if result.witness is not None:
        lines.append(f"- witness: {md_escape(split_text(result.witness))}")
    for note in result.notes:
        lines.append(f"- *Note:* {md_escape(note)}")
    if result.method:
        lines += ["", f"*Certificate:* {md_escape(result.method)}."]
    if result.certificate:
        lines.append(f"*Re-checked:* {md_escape(result.certificate)}.")
    return "\n".join(lines)


@renders(ModelProofResult, "latex")
def model_proof_to_latex(result: ModelProofResult) -> str:
    body = [r"\paragraph{Ties of a PyTorch model.} %s" % tex_escape(_model_headline(result))]
    body += [tex_escape(line) for line in _model_layer_lines(result)]
    if result.witness is not None:
        a, b = result.witness.pair
        ga, gb = (result.witness.gradients[n] for n in (a, b))
        body.append(
            r"\[ \frac{\partial J}{\partial %s} %s, \qquad \frac{\partial J}{\partial %s} %s \]"
            % (name_tex(a), _gradient_tex(ga), name_tex(b), _gradient_tex(gb))
        )
    if result.method:
        body.append(r"Certificate: %s." % tex_escape(result.method))
    return "\n\n".join(body)


def _gradient_tex(value) -> str:
    if isinstance(value, sympy.Interval):
        return r"\in [%.6g, %.6g]" % (float(value.start), float(value.end))
    if isinstance(value, sympy.Rational) and len(str(value)) > 24:
        return r"\approx %.6g" % float(value)
    return "= " + latex(value)
