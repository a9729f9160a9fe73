"""The float64 veto: a tie that holds in exact arithmetic but that torch's own training breaks
(rounding noise that grows, or that Adam scales up) is withdrawn with the reason."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import symgrad  # noqa: E402
from tests.torch.support import constant, separates, stays_equal  # noqa: E402


def layer_norm_mlp():
    return constant(nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(), nn.Linear(6, 2)))


@pytest.mark.slow
def test_a_layer_norm_over_identical_units_is_not_claimed():
    """All 6 units identical: layer norm's centred values are exactly 0, in floats a rounding
    noise divided by sqrt(eps); torch's units drift apart, so no claim is made."""
    result = symgrad.collapse(symgrad.from_torch(layer_norm_mlp(), (3, 4)))
    assert any("float64" in note and "not claimed" in note for note in result.notes)
    assert separates(layer_norm_mlp, (3, 4), ("0.weight[0, 0]", "0.weight[5, 0]"), steps=200)
    claimed = [g for g in result.groups if len(g) > 1]
    assert stays_equal(layer_norm_mlp, (3, 4), claimed)
    proof = symgrad.prove(symgrad.from_torch(layer_norm_mlp(), (3, 4)),
                          ties=["0.weight[0]=0.weight[5]"])  # fmt: skip
    assert proof.verdict != "proven"


def test_a_stable_tie_is_kept():
    build = lambda: constant(nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)))  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
    assert not any("not claimed" in note for note in result.notes)
    assert result.layers["0"]["effective_width"] == 1
