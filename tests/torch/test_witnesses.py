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


class _Twice(nn.Module):
    """a used once and doubled, b used twice: dJ/da = dJ/db at every point, although no
    permutation of units joins them, and the two gradients are computed along different
    paths (2 * g against g + g)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor([0.3]))
        self.b = nn.Parameter(torch.tensor([0.3]))

    def forward(self, x):
        return 2 * torch.tanh(self.a * x) + (torch.tanh(self.b * x) + torch.tanh(self.b * x))


@pytest.mark.parametrize("engine", sorted(available()))
def test_equal_gradients_along_different_paths_are_never_called_apart(engine):
    """Metamorphic: the true gradients are equal, so no enclosure may certify them apart;
    the verdict is unknown (not shown to separate), never a witness."""
    with numbers.using_engine(engine):
        result = symgrad.collapse(symgrad.from_torch(_Twice(), (2, 3)), timeout=60)
    assert result.verdict == "unknown" and not result.witnesses


def test_the_callers_arb_precision_is_restored():
    flint = pytest.importorskip("flint")
    before, flint.ctx.prec = flint.ctx.prec, 30
    try:
        with numbers.using_engine("arb"):
            result = _collapse("tanh-mlp", "arb")
        assert flint.ctx.prec == 30 and result.witnesses
        assert all("interval" not in w.certified_by or "Arb" in w.certified_by
                   for w in result.witnesses)  # fmt: skip
    finally:
        flint.ctx.prec = before


@pytest.mark.parametrize(("setting", "expected"), [("MPMATH", "mpmath"), ("bogus", None)])
def test_the_environment_chooses_the_engine(setting, expected):
    import os
    import subprocess
    import sys

    code = "from symgrad.torch.exact_numbers import engine_name; print(engine_name())"
    env = dict(os.environ, SYMGRAD_INTERVALS=setting)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    best = "arb" if "arb" in available() else "mpmath"
    assert done.stdout.strip() == (expected or best)
