"""Which parameters stay glued together (:class:`~symgrad.results.CollapseResult`)."""

from __future__ import annotations

import re

import sympy

from symgrad.exact.printing import to_str
from symgrad.render.common import md_escape, timing_text
from symgrad.results import (
    CollapseResult,
    renders,
)
from symgrad.text.display import (
    interval_text,
    short,
    symbol_tex,
    tex_escape,
)


@renders(CollapseResult, "summary")
def _collapse_summary(result: CollapseResult) -> list[str]:
    if result.layer_lines:
        return list(result.layer_lines)
    lines = []
    for layer, (width, effective) in enumerate(zip(result.widths, result.effective_width), 1):
        label = result.names.get(str(layer), f"hidden layer {layer}")
        unit = "neurons"
        if effective == 1 and width > 1:
            lines.append(
                f"{label}: {width} {unit} behave as 1; the network trains like a width-1 "
                "network in this layer"
            )
        else:
            lines.append(f"{label}: {width} {unit} behave as {effective}")
    if result.stationary:
        lines.append("the init is a stationary point: nothing moves at all")
    return lines


def _collapse_headline(result: CollapseResult) -> str:
    if result.verdict != "proven":
        return f"{result.verdict.upper()}: {result.reason}"
    tied = [g for g in result.groups if len(g) > 1]
    if not tied and not result.pinned:
        return "PROVEN: no group of two or more parameters is proven to stay equal."
    pinned = len(result.pinned)
    extra = f"; {pinned} parameters never move" if pinned else ""
    return (
        f"PROVEN: {len(tied)} group{'s' if len(tied) != 1 else ''} of parameters "
        f"{'stay' if len(tied) != 1 else 'stays'} equal forever "
        f"({sum(len(g) for g in tied)} parameters in all){extra}."
    )


@renders(CollapseResult, "text")
def collapse_to_text(result: CollapseResult, timing: bool = True) -> str:
    lines = [_collapse_headline(result)]
    lines += [f"  {line}" for line in _collapse_summary(result)]
    tied = [g for g in result.groups if len(g) > 1]
    if tied and result.layer_lines:
        lines.append("Groups that stay equal, per tensor:")
        lines += [f"  {line}" for line in _per_tensor(tied)]
    elif tied:
        lines.append("Groups that stay equal:")
        for group in tied[:20]:
            value = result.pinned.get(group[0])
            pinned = f"   (all {to_str(value)}, forever)" if value is not None else ""
            lines.append(f"  {_compact(group) or short(' = '.join(group), 200)}{pinned}")
        if len(tied) > 20:
            lines.append(f"  ... {len(tied) - 20} more (--json has all)")
    singles = [
        name for name, _ in result.pinned.items() if all(name not in g or len(g) == 1 for g in tied)
    ]
    if singles:
        values = ", ".join(f"{n} = {to_str(result.pinned[n])}" for n in singles[:20])
        lines.append(f"Parameters that never move: {values}")
    if result.witnesses:
        lines.append("Pairs that start equal but separate:")
        shown = 5 if result.layer_lines else 12
        for witness in result.witnesses[:shown]:
            lines.append(f"  {split_text(witness)}")
        if len(result.witnesses) > shown:
            lines.append(f"  ... {len(result.witnesses) - shown} more (--json has all)")
    for note in result.notes:
        lines.append(f"Note: {note}")
    lines.append(f"Certificate: {result.method}{timing_text(result.elapsed_s, timing)}.")
    if result.certificate:
        lines.append(f"Re-checked: {result.certificate}.")
    return "\n".join(lines)


_ENTRY = re.compile(r"(.+)\[([\d, ]+)\]\Z")


def _per_tensor(groups) -> list[str]:
    """One line per tensor: how many groups, of which sizes, and the first one."""
    by_tensor: dict[str, list] = {}
    for group in groups:
        match = _ENTRY.match(group[0])
        by_tensor.setdefault(match.group(1) if match else group[0], []).append(group)
    lines = []
    for tensor, members in by_tensor.items():
        sizes = sorted({len(g) for g in members})
        size = (
            "-".join(str(s) for s in (sizes[0], sizes[-1]) if True) if len(sizes) > 1 else sizes[0]
        )
        first = _compact(members[0])
        if not first or ":" in first:
            first = f"{members[0][0]} = {members[0][1]} = ..."
        count = f"{len(members)} group{'s' if len(members) > 1 else ''}"
        lines.append(f"{tensor}: {count} of {size} equal entries, e.g. {first.split('   (')[0]}")
    return lines


def _compact(group) -> str:
    """Entries of one tensor that differ in one index over a range: ``fc1.weight[0..127, 3]``."""
    matches = [_ENTRY.match(name) for name in group]
    if len(group) < 4 or not all(matches) or len({m.group(1) for m in matches}) != 1:
        return ""
    indices = [tuple(int(i) for i in m.group(2).split(",")) for m in matches]
    varying = [k for k in range(len(indices[0])) if len({ix[k] for ix in indices}) > 1]
    tensor = matches[0].group(1)
    if len(varying) == 1:
        k = varying[0]
        values = sorted(ix[k] for ix in indices)
        if values == list(range(values[0], values[0] + len(values))):
            parts = [str(i) for i in indices[0]]
            parts[k] = f"{values[0]}..{values[-1]}"
            return f"{tensor}[{', '.join(parts)}]   ({len(group)} entries equal)"
    return f"{tensor}: {len(group)} entries equal ({group[0]}, {group[1]}, ...)"


def split_text(witness) -> str:
    a, b = witness.pair
    if witness.point is None:
        return f"{a} / {b}: {witness.note}"
    values = " vs ".join(_gradient_text(v) for v in witness.gradients.values())
    first, second = witness.gradients.values()
    shown = [_gradient_text(v) for v in (first, second)]
    if shown[0] == shown[1] and isinstance(first - second, sympy.Rational):
        values += f" (they differ by {float(first - second):.3g})"
    if witness.steps == 1:
        return f"{a} / {b}: gradients {values} at the init ({witness.certified_by})"
    return (
        f"{a} / {b}: they separate at step {witness.steps} (eta = {witness.eta}; gradients "
        f"{values} after {witness.steps - 1} step{'s' if witness.steps > 2 else ''}; "
        f"{witness.certified_by})"
    )


def _gradient_text(value) -> str:
    """A witness gradient: exact when short, else its decimal value (--json has it exactly)."""
    if isinstance(value, sympy.Interval):
        return interval_text(value)
    text = short(value, 60)
    if isinstance(value, sympy.Rational) and len(text) > 24:
        return f"≈ {float(value):.6g} (exact rational in --json)"
    return text


def name_tex(name: str) -> str:
    """LaTeX for a parameter name; module entries such as fc1.weight[3, 0] as typewriter text."""
    if "[" in name or "." in name:
        return r"\texttt{%s}" % tex_escape(name)
    return symbol_tex(name)


def _name_md(name: str) -> str:
    return f"`{name}`" if "[" in name or "." in name else f"${symbol_tex(name)}$"


@renders(CollapseResult, "dict")
def collapse_to_dict(result: CollapseResult, full: bool = False) -> dict:
    torch_model = bool(result.layer_lines)
    groups = [list(g) for g in result.groups]
    if torch_model and not full:
        groups = [compact_group(g) for g in groups]
    payload = {
        "verdict": result.verdict,
        "groups": groups,
        "effective_width": result.effective_width,
        "widths": result.widths,
        "layers": {k: dict(v) for k, v in result.layers.items()},
        "pinned": {k: to_str(v) for k, v in result.pinned.items()},
        "method": result.method,
        "certificate": result.certificate or None,
        "stationary": result.stationary,
        "summary": _collapse_summary(result),
        "witnesses": [_witness_dict(w, compact=torch_model) for w in result.witnesses],
        "rounds": result.rounds,
        "model": result.model,
        "reason": result.reason or None,
        "notes": list(result.notes),
        "elapsed_s": result.elapsed_s,
    }
    if torch_model:
        payload["inputs"] = _inputs(result.witnesses)
        payload["groups_full"] = bool(full)
        payload["tensors"] = tensor_summaries(result.groups)
        payload["symmetries"] = [dict(s) for s in result.symmetries]
    return payload


def _inputs(witnesses) -> dict:
    """The witness inputs of a PyTorch model, once each (x and y exactly)."""
    inputs = {}
    for w in witnesses:
        if w.point and "input" in w.point:
            inputs.setdefault(w.point["input"], {k: v for k, v in w.point.items() if k != "input"})
    return inputs


def _witness_dict(w, compact: bool = False) -> dict:
    point = w.point
    if compact and point and "input" in point:
        point = {"input": point["input"]}  # x and y are in "inputs"
    return {
        "pair": list(w.pair),
        "point": {k: to_str(v) for k, v in point.items()} if point else None,
        "gradients": {k: to_str(v) for k, v in w.gradients.items()} if w.gradients else None,
        "steps": w.steps if w.point else None,
        "eta": to_str(w.eta) if w.eta is not None else None,
        "certified_by": w.certified_by,
        "note": w.note or None,
    }


def _indices(name: str):
    match = _ENTRY.match(name)
    if not match:
        return None, None
    return match.group(1), tuple(int(i) for i in match.group(2).split(","))


def _index_set(values: list[int]) -> str:
    values = sorted(set(values))
    if len(values) == 1:
        return str(values[0])
    if values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}..{values[-1]}"
    return "{" + ",".join(str(v) for v in values) + "}"


def compact_group(group) -> list[str]:
    """A group's entries with index ranges: per tensor, ``fc1.weight[0..127, 3]`` when the
    entries are every combination of the indices shown (else each entry by name)."""
    by_tensor: dict[str, list[tuple[int, ...]]] = {}
    plain = []
    for name in group:
        tensor, index = _indices(name)
        if tensor is None:
            plain.append(name)
        else:
            by_tensor.setdefault(tensor, []).append(index)
    out = []
    for tensor, indices in by_tensor.items():
        axes = list(zip(*indices))
        count = 1
        for axis in axes:
            count *= len(set(axis))
        if count == len(set(indices)):
            out.append(f"{tensor}[{', '.join(_index_set(list(a)) for a in axes)}]")
        else:
            out.extend(f"{tensor}[{', '.join(map(str, i))}]" for i in indices)
    return out + plain


def tensor_summaries(groups) -> dict:
    """Per tensor: how many groups touch it, their sizes and the first one (compact)."""
    summaries: dict[str, dict] = {}
    for group in groups:
        if len(group) < 2:
            continue
        tensors = {}
        for name in group:
            tensor, _ = _indices(name)
            tensors[tensor or name] = tensors.get(tensor or name, 0) + 1
        for tensor, count in tensors.items():
            entry = summaries.setdefault(
                tensor, {"groups": 0, "entries": 0, "sizes": set(), "example": None}
            )
            entry["groups"] += 1
            entry["entries"] += count
            entry["sizes"].add(len(group))
            if entry["example"] is None:
                entry["example"] = compact_group(group)
    for entry in summaries.values():
        entry["sizes"] = sorted(entry["sizes"])
    return summaries


@renders(CollapseResult, "markdown")
def collapse_to_markdown(result: CollapseResult) -> str:
    lines = [f"**Collapse.** {md_escape(_collapse_headline(result))}", ""]
    lines += [f"- {md_escape(line)}" for line in _collapse_summary(result)]
    lines.append("")
    for group in [g for g in result.groups if len(g) > 1][:20]:
        lines.append(f"- {' = '.join(_name_md(n) for n in group[:12])}{_more(group, 12)}")
    for witness in result.witnesses[:12]:
        lines.append(f"- separates: {md_escape(split_text(witness))}")
    for note in result.notes:
        lines.append(f"- *Note:* {md_escape(note)}")
    lines += ["", f"*Certificate:* {md_escape(result.method)}."]
    if result.certificate:
        lines.append(f"*Re-checked:* {md_escape(result.certificate)}.")
    return "\n".join(lines)


def _more(group, shown: int) -> str:
    return f" = … ({len(group)} entries; --json has all)" if len(group) > shown else ""


@renders(CollapseResult, "latex")
def collapse_to_latex(result: CollapseResult) -> str:
    rows = [
        " = ".join(name_tex(n) for n in g[:12]) + (r" = \dots" if len(g) > 12 else "")
        for g in result.groups
        if len(g) > 1
    ][:20]
    body = [r"\paragraph{Collapse.} %s" % tex_escape(_collapse_headline(result))]
    if rows:
        body.append(
            "\\begin{align*}\n" + " \\\\\n".join(f"&{row}" for row in rows) + "\n\\end{align*}"
        )
    for line in _collapse_summary(result):
        body.append(tex_escape(line))
    body.append(r"Certificate: %s." % tex_escape(result.method))
    return "\n\n".join(body)
