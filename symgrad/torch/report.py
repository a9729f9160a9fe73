"""What a PyTorch model's analysis says, layer by layer and symmetry by symmetry.

A layer is a module with a weight of two or more axes (``nn.Linear``, a convolution,
an embedding, an RNN's input weights, an attention layer's input projection). Its
effective width is the number of orbits of its output units under the proven swaps;
where no symmetry moves its units, the width is ``None`` with the reason, never a
number that would read as a claim.
"""

from __future__ import annotations

import numpy as np

from symgrad.torch.axes import TO_THE_LOSS
from symgrad.torch.graph import Graph
from symgrad.torch.models import OPTIMIZERS, Analysis

PERMUTABLE = "permutations of its units leave the loss unchanged"
STILL_WHY = "their gradient is exactly 0 while they keep their values"
STILL = f"its weights never move ({STILL_WHY})"
FROZEN_WHY = "frozen: requires_grad=False"
FROZEN = f"its weights never move ({FROZEN_WHY})"


def layer_tensors(graph: Graph) -> dict[str, str]:
    """Module -> its main weight (the first parameter with two or more axes)."""
    layers: dict[str, str] = {}
    for name, values in graph.parameters.items():
        module = name.rpartition(".")[0] or name
        if values.ndim >= 2 and module not in layers:
            layers[module] = name
    return layers


def _units(analysis: Analysis, node: int, size: int) -> tuple[int, int]:
    """(units, blocks): an axis made of k equal blocks of one class (an RNN's gates) counts
    that class's units, k times."""
    dims = analysis.found.classes.dims
    root = dims.find(node)
    if dims.kind[root] == "sum":
        parts = [dims.find(p) for p in dims.parts(root)]
        if len(set(parts)) == 1:
            return dims.size[parts[0]], len(parts)
    return size, 1


def _moving(analysis: Analysis, node: int, still: bool = False) -> list:
    """The proven symmetries that permute this axis: those that merge units first; for
    weights that never move, only those (their stillness is the argument otherwise)."""
    dims = analysis.found.classes.dims
    merging = [s for s, classes in analysis.used if dims.contains(node, s.root)
               and any(len(c) > 1 for c in classes)]  # fmt: skip
    if merging or still:
        return merging
    return [s for s, _ in analysis.used if dims.contains(node, s.root)]


def _width(analysis: Analysis, tensor: str, size: int, blocks: int) -> int:
    """How many different units the proven groups leave: units whose entries lie in the same
    groups (as multisets) count once."""
    orbits = analysis.orbits
    base, shape = orbits.offsets[tensor], orbits.shapes[tensor]
    per_unit = int(np.prod(shape[1:]))
    rows = {
        tuple(sorted(orbits.find(base + u * per_unit + k) for k in range(per_unit)))
        for u in range(size)
    }
    return max(len(rows) // blocks, 1) if blocks > 1 else len(rows)


UNIT_NAMES = {
    "Embedding": "rows",
    "EmbeddingBag": "rows",
    "MultiheadAttention": "heads",
    **{k: "hidden units" for k in ("LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell")},
}


def _unit_kind(graph: Graph, layer: str, tensor: str) -> str:
    if graph.parameters[tensor].ndim >= 3:
        return "channels"
    return UNIT_NAMES.get(graph.modules.get(layer, ""), "neurons")


def layer_report(graph: Graph, analysis: Analysis) -> tuple[dict, list[str]]:
    layers, lines = {}, []
    for layer, tensor in layer_tensors(graph).items():
        size = graph.parameters[tensor].shape[0]
        kind = _unit_kind(graph, layer, tensor)
        entry = _entry(graph, analysis, layer, tensor, size, kind)
        layers[layer] = entry
        lines.append(_line(graph, layer, tensor, entry))
    return layers, lines


def _entry(graph, analysis: Analysis, layer: str, tensor: str, size: int, kind: str) -> dict:
    if analysis.found is None:
        reason = analysis.refused.get(layer, "the permutation re-check failed")
        return _unclaimed(size, kind, reason)
    if tensor not in analysis.found.classes.params:
        return _unclaimed(size, kind, "the loss never reads it (it never moves)")
    node = analysis.found.classes.params[tensor][0]
    if kind == "heads":
        return _heads(analysis, tensor, node, graph.heads.get(layer, 0))
    units, blocks = _units(analysis, node, size)
    unit = kind if units != 1 else kind[:-1]
    still = tensor in analysis.still
    moving = _moving(analysis, node, still)
    if not moving and not still:
        reason = analysis.found.reason(node) or "no symmetry of the loss permutes its units"
        return _unclaimed(units, unit, reason)
    entry = {
        "units": units,
        "effective_width": _width(analysis, tensor, size, blocks),
        "unit": unit,
        "argument": PERMUTABLE if moving else FROZEN if tensor in graph.frozen else STILL,
    }
    together = sorted({m for s in moving if not s.stacks for m in s.layers} - {layer})
    if together:
        entry["moves_with"] = together
    twins = _exchanged(analysis, tensor)
    if twins:
        entry["exchanged_with"] = twins
    return entry


def _exchanged(analysis: Analysis, tensor: str) -> list[str]:
    """The modules of the identical branches this tensor is exchanged with, wholesale."""
    twins = []
    for symmetry, classes in analysis.used:
        if not symmetry.stacks or not any(len(c) > 1 for c in classes):
            continue
        for names in symmetry.stacks:
            if tensor in names:
                slot = names.index(tensor)
                twins += [other[slot].rpartition(".")[0] for other in symmetry.stacks
                          if other is not names]  # fmt: skip
    return twins


def _heads(analysis: Analysis, tensor: str, node: int, count: int) -> dict:
    """An attention layer: its heads (the leading factor of its projections' rows)."""
    from symgrad.torch.symmetry import _coordinates, _leading_factor

    dims = analysis.found.classes.dims
    heads = [s for s, _ in analysis.used if _leading_factor(dims, node, s.root)]
    if not heads:
        reason = analysis.found.reason(node) or "its heads are not free"
        return _unclaimed(count, "heads", reason)
    symmetry = heads[0]
    coordinates = _coordinates(analysis.found.classes, node, symmetry.root)
    orbits = analysis.orbits
    base, shape = orbits.offsets[tensor], orbits.shapes[tensor]
    per_row = int(np.prod(shape[1:]))
    signatures = set()
    for head in range(symmetry.units):
        rows = np.nonzero(coordinates == head)[0]
        signatures.add(tuple(sorted(orbits.find(base + r * per_row + k) for r in rows
                                    for k in range(per_row))))  # fmt: skip
    return {
        "units": symmetry.units,
        "effective_width": len(signatures),
        "unit": "heads" if symmetry.units != 1 else "head",
        "argument": PERMUTABLE,
    }


def _unclaimed(units: int, unit: str, reason: str) -> dict:
    prefix = "not permutable" if reason.startswith(TO_THE_LOSS) else "no unit permutation found"
    return {
        "units": units,
        "effective_width": None,
        "unit": unit if units != 1 else unit.rstrip("s"),
        "argument": f"{prefix}: {reason}",
        "reason": reason,
    }


def label(graph: Graph, layer: str) -> str:
    """``fc1``, or ``layer 0 (Linear)`` for the numbered layers of an ``nn.Sequential``."""
    if layer.split(".")[-1].isdigit():
        return f"layer {layer} ({graph.modules.get(layer, 'module')})"
    return layer


def _optimizers() -> str:
    return ", ".join(OPTIMIZERS[:-1]) + " or " + OPTIMIZERS[-1]


def _line(graph: Graph, layer: str, tensor: str, entry: dict) -> str:
    name, units, unit = label(graph, layer), entry["units"], entry["unit"]
    effective = entry["effective_width"]
    reason = entry.get("reason", "")
    if effective is None and reason.startswith(TO_THE_LOSS):
        return f"{name}: {units} {unit}, not interchangeable: {reason}"
    if effective is None:
        return (
            f"{name}: {units} {unit}, no permutation of its units is a symmetry ({reason}): "
            "nothing is claimed about them"
        )
    together = entry.get("moves_with")
    joint = f" (moving together with {', '.join(together)})" if together else ""
    if entry.get("exchanged_with"):
        joint += f"; exchanged whole with {', '.join(entry['exchanged_with'])} (identical branches)"
    if effective == 1 and units > 1 and entry["argument"] in (STILL, FROZEN):
        why = FROZEN_WHY if entry["argument"] == FROZEN else STILL_WHY
        return (
            f"{name}: {units} {unit} behave as 1{joint}: they start identical and their "
            f"weights never move ({why}); initialise {tensor} randomly (e.g. "
            f"nn.init.kaiming_uniform_) so they can differ"
        )
    if effective == 1 and units > 1:
        return (
            f"{name}: {units} {unit} behave as 1{joint}: they start identical, and swapping any "
            f"two leaves the loss unchanged, so they can never separate under {_optimizers()} "
            f"(in exact arithmetic); initialise {tensor} randomly (e.g. "
            f"nn.init.kaiming_uniform_) so they can differ"
        )
    if effective < units:
        return f"{name}: {units} {unit} behave as at most {effective}{joint}"
    return f"{name}: {units} {unit}, all distinct at this init{joint}"


def symmetry_report(graph: Graph, analysis: Analysis) -> list[dict]:
    """Every proven symmetry that merges units: its units and the layers that move together."""
    report = []
    for symmetry, classes in analysis.used:
        merged = [c for c in classes if len(c) > 1]
        if not merged:
            continue
        report.append({
            "units": symmetry.units,
            "unit": symmetry.unit_name,
            "effective_width": len(classes),
            "layers": list(symmetry.layers),
            "tensors": list(symmetry.every_tensor),
        })  # fmt: skip
    return report


def method_text(graph: Graph, analysis: Analysis) -> str:
    merged = []
    for symmetry, classes in analysis.used:
        count = sum(len(c) for c in classes if len(c) > 1)
        if not count:
            continue
        where = ", ".join(label(graph, layer) for layer in symmetry.layers)
        together = " together" if len(symmetry.layers) > 1 else ""
        merged.append(f"{where}{together} ({count} of {symmetry.units} {symmetry.unit_name})")
    parts = []
    if merged:
        parts.append(
            "permutation of units: swapping equal units of " + "; ".join(merged) + " (with "
            "every slice of every parameter the swap moves: bias entries, the next layer's "
            "columns or channels, residual and shared uses) leaves the traced computation "
            "unchanged and fixes the init, checked structurally on the graph"
        )
    moving = sorted(analysis.still - graph.frozen)
    if moving:
        parts.append(
            f"{', '.join(moving[:6])}{' ...' if len(moving) > 6 else ''} never move: their "
            "gradient is exactly 0 for every input as long as they keep their values"
        )
    frozen = sorted(analysis.still & graph.frozen)
    if frozen:
        parts.append(
            f"{', '.join(frozen[:6])}{' ...' if len(frozen) > 6 else ''} are frozen "
            "(requires_grad=False): no optimizer step moves them, so entries that start "
            "equal stay equal"
        )
    if not parts:
        return "no layer has interchangeable units at this init"
    return "; ".join(parts)
