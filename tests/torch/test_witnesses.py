"""Separation witnesses under both interval engines: the same verdicts, groups, witness
pairs and overlapping enclosures from Arb balls and from mpmath intervals."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import symgrad  # noqa: E402
from symgrad.torch import exact_numbers as numbers  # noqa: E402
from symgrad.torch.interval_engines import available  # noqa: E402
from tests.torch.support import constant  # noqa: E402

MODELS = {
    "tanh-mlp": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), (2, 3),
                 "mse"),
    "tanh-avgpool-ce": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3), nn.Tanh(), nn.AvgPool2d(2),
                                              nn.Flatten(), nn.Linear(12, 3)),
                        (2, 1, 6, 6), "cross-entropy"),
    "relu-ce": (lambda: nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)), (2, 4),
                "cross-entropy"),
    "batch-norm-train": (lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(),
                                               nn.Linear(4, 2)).train(), (4, 3), "mse"),
}  # fmt: skip


def _collapse(name: str, engine: str):
    build, shape, loss = MODELS[name]
    model = constant(build(), 0.2)
    with numbers.using_engine(engine):
        return symgrad.collapse(symgrad.from_torch(model, shape, loss=loss), timeout=60)


@pytest.mark.skipif("arb" not in available(), reason="python-flint is not installed")
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n == "batch-norm-train" else n
     for n in sorted(MODELS)],
)  # fmt: skip
def test_both_engines_find_the_same_groups_and_witnesses(name):
    arb, mp = _collapse(name, "arb"), _collapse(name, "mpmath")
    assert arb.verdict == mp.verdict == "proven"
    assert arb.groups == mp.groups and arb.effective_width == mp.effective_width
    assert [w.pair for w in arb.witnesses] == [w.pair for w in mp.witnesses]
    assert [w.steps for w in arb.witnesses] == [w.steps for w in mp.witnesses]
    for a, m in zip(arb.witnesses, mp.witnesses):
        assert ("Arb" in a.certified_by) == ("interval" in m.certified_by)
        for entry, value in a.gradients.items():
            other = m.gradients[entry]
            if hasattr(value, "start") and hasattr(other, "start"):  # two enclosures meet
                assert value.start <= other.end and other.start <= value.end, entry
            else:
                assert value == other, entry


def test_the_engine_says_which_arithmetic_certified_a_witness():
    result = _collapse("tanh-mlp", numbers.engine_name())
    interval = [w for w in result.witnesses if "interval" in w.certified_by]
    assert interval, "tanh gradients are enclosures"
    expected = "Arb balls" if numbers.engine_name() == "arb" else "mpmath intervals"
    assert all(expected in w.certified_by for w in interval)
