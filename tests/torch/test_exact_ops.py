"""Exact (or enclosed) gradients of every supported operation against torch's autograd.

Each everyday model is traced at a random init and its gradients at a witness point are
compared entry by entry with float64 autograd at the same point (the exact rules of
symgrad.torch.exact_ops and exact_layers; the model's mode is its own).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402, N812

from tests.torch import everyday  # noqa: E402
from tests.torch.support import assert_gradients_match_autograd, seeded  # noqa: E402

MODULES = {
    "batch-norm-1d-eval": (lambda: everyday.batch_norm_mlp().eval(), (3, 4), {}),
    "batch-norm-1d-train": (lambda: everyday.batch_norm_mlp().train(), (3, 4), {}),
    "resnet-eval": (lambda: everyday.TinyResNet().eval(), (2, 1, 5, 5), {}),
    "resnet-train": (lambda: everyday.TinyResNet().train(), (2, 1, 5, 5), {}),
    "adaptive-average-pool": (
        lambda: nn.Sequential(
            nn.Conv2d(1, 3, 3),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((2, 2)),
            nn.Flatten(),
            nn.Linear(12, 2),
        ),  # fmt: skip
        (2, 1, 6, 6),
        {},
    ),
    "multihead-attention": (everyday.MHA, (2, 3, 3), {}),
    "hand-written-attention": (everyday.Attention, (2, 3, 8), {}),
    "causal-attention": (lambda: everyday.Attention(causal=True), (2, 3, 8), {}),
    "gru-cell": (everyday.GRUNet, (2, 3, 3), {}),
    "lstm-cell": (everyday.LSTMCellNet, (2, 3, 3), {}),
    "lstm": (everyday.LSTMNet, (2, 3, 3), {}),
    "gru": (everyday.GRUSeq, (2, 3, 3), {}),
    "bidirectional-two-layer-lstm": (everyday.DeepLSTM, (2, 3, 3), {}),
    "einsum": (everyday.Einsum, (3, 4), {}),
    "mean-over-a-dim": (everyday.MeanOverTime, (2, 3, 3), {}),
    "residual-mlp": (everyday.ResidualMLP, (3, 4), {}),
    "skip-gram-negative-sampling": (
        everyday.SkipGram,
        torch.zeros(4, 2, dtype=torch.long),
        {"loss": F.binary_cross_entropy_with_logits},
    ),
    "skip-gram-softmax": (
        everyday.SkipGramSoftmax,
        torch.zeros(4, dtype=torch.long),
        {"loss": "cross-entropy", "target_shape": (4,)},
    ),
    "tied-embedding": (
        everyday.TiedLM,
        torch.zeros(4, dtype=torch.long),
        {"loss": "cross-entropy", "target_shape": (4,)},
    ),
    "activations": (
        lambda: nn.Sequential(
            nn.Linear(3, 4),
            nn.LeakyReLU(0.2),
            nn.Linear(4, 4),
            nn.ELU(),
            nn.Linear(4, 4),
            nn.GELU(approximate="tanh"),
            nn.Linear(4, 4),
            nn.Hardtanh(-0.5, 0.5),
            nn.Linear(4, 2),
            nn.Softmax(-1),
        ),  # fmt: skip
        (3, 3),
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_exact_gradients_agree_with_autograd(name):
    build, shape, options = MODULES[name]
    model = seeded(build(), seed=3)
    with torch.no_grad():  # small nonzero biases everywhere, so no entry is 0 by accident
        for parameter in model.parameters():
            parameter.add_(0.05)
    options = dict(options)
    loss = options.pop("loss", "mse")
    assert_gradients_match_autograd(model, shape, loss, **options)


def test_scaled_dot_product_attention_is_read_through_its_decomposition():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q, self.out = nn.Linear(8, 8), nn.Linear(8, 2)

        def forward(self, x):
            return self.out(F.scaled_dot_product_attention(self.q(x), x, x, is_causal=True)[:, -1])

    assert_gradients_match_autograd(seeded(Net(), 2), (2, 3, 8))


ACTIVATIONS = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.Softplus, nn.ELU, nn.LeakyReLU]


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(
    widths=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    activation=st.sampled_from(ACTIVATIONS),
    batch=st.integers(1, 3),
    seed=st.integers(0, 100),
)
def test_random_mlps_agree_with_autograd(widths, activation, batch, seed):
    """Property: for any small MLP, the exact gradient is torch's gradient."""
    layers, previous = [], 3
    for width in widths:
        layers += [nn.Linear(previous, width), activation()]
        previous = width
    model = seeded(nn.Sequential(*layers, nn.Linear(previous, 2)), seed)
    assert_gradients_match_autograd(model, (batch, 3))
