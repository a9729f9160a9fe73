"""Parameters that never move: exact-zero gradients while they keep their values (zero inits),
against torch's own training."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402, N812

import symgrad  # noqa: E402
from symgrad.torch.models import initial_values  # noqa: E402
from symgrad.torch.stationary import never_moving  # noqa: E402
from tests.torch import everyday  # noqa: E402
from tests.torch.support import constant, seeded, trained  # noqa: E402


def _still(model, shape, **options):
    traced = symgrad.from_torch(model, shape, **options)
    values, _ = initial_values(traced, None)
    return never_moving(traced.graph, values)


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        (nn.Tanh, {"0.weight", "0.bias", "2.weight"}),
        (nn.ReLU, {"0.weight", "0.bias", "2.weight"}),
        (nn.Sigmoid, set()),
    ],  # fmt: skip
)
def test_zero_init_mlps(activation, expected):
    """tanh(0) = relu(0) = 0 and relu'(0) = 0: nothing reaches the first layer or the output
    weights; sigmoid(0) = 1/2 feeds the output weights, which then move, and so on."""
    build = lambda: constant(nn.Sequential(nn.Linear(3, 4), activation(), nn.Linear(4, 2)), 0.0)  # noqa: E731
    assert _still(build(), (2, 3)) == expected
    params = trained(build, (2, 3), steps=30)
    for name in expected:
        assert float(params[name].detach().abs().max()) == 0.0


def test_word2vec_at_zero_is_stationary_and_one_random_embedding_is_not():
    """The seeds' own question: both embeddings at zero never move (every score is 0 and each
    gradient is a product with the other, zero, embedding); with one of them random, the
    zero one moves at once."""
    pairs = torch.zeros(4, 2, dtype=torch.long)
    zero = constant(everyday.SkipGram(), 0.0)
    loss = F.binary_cross_entropy_with_logits
    assert _still(zero, pairs, loss=loss) == {"centre.weight", "context.weight"}
    proof = symgrad.prove(symgrad.from_torch(zero, pairs, loss=loss))
    assert proof.verdict == "proven" and "never move" in proof.method
    half = seeded(everyday.SkipGram())
    nn.init.zeros_(half.centre.weight)
    assert _still(half, pairs, loss=loss) == set()
    assert symgrad.prove(symgrad.from_torch(half, pairs, loss=loss)).verdict == "refuted"


def test_a_frozen_tensor_never_moves_whatever_its_values():
    model = seeded(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)))
    model[2].weight.requires_grad_(False)
    assert _still(model, (2, 3)) == {"2.weight"}
