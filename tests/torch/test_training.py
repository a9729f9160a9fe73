"""Every proven group stays equal in torch's own training: 100 float64 steps of SGD and of
Adam, on fresh random data each step, from a constant init of each everyday model (truth
from torch, not from symgrad)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402, N812

import symgrad  # noqa: E402
from tests.torch import everyday  # noqa: E402
from tests.torch.support import constant, stays_equal  # noqa: E402

MODELS = {
    "batch-norm-eval": (lambda: constant(everyday.batch_norm_mlp()).eval(), (3, 4), "mse", "float"),
    "batch-norm-train": (
        lambda: constant(everyday.batch_norm_mlp()).train(),
        (3, 4),
        "mse",
        "float",
    ),  # fmt: skip
    "resnet-eval": (lambda: constant(everyday.TinyResNet()).eval(), (2, 1, 5, 5), "mse", "float"),
    "adaptive-pool": (
        lambda: constant(
            nn.Sequential(
                nn.Conv2d(1, 3, 3),
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),
                nn.Linear(3, 2),
            )
        ),  # fmt: skip
        (2, 1, 5, 5),
        "mse",
        "float",
    ),
    "multihead-attention": (lambda: constant(everyday.MHA()), (2, 3, 3), "mse", "float"),
    "attention": (lambda: constant(everyday.Attention()), (2, 3, 8), "mse", "float"),
    "causal-attention": (
        lambda: constant(everyday.Attention(causal=True)),
        (2, 3, 8),
        "mse",
        "float",
    ),  # fmt: skip
    "gru-cell": (lambda: constant(everyday.GRUNet()), (2, 3, 3), "mse", "float"),
    "lstm-cell": (lambda: constant(everyday.LSTMCellNet()), (2, 3, 3), "mse", "float"),
    "lstm": (lambda: constant(everyday.LSTMNet()), (2, 3, 3), "mse", "float"),
    "gru": (lambda: constant(everyday.GRUSeq()), (2, 3, 3), "mse", "float"),
    "bidirectional-lstm": (lambda: constant(everyday.DeepLSTM()), (2, 3, 3), "mse", "float"),
    "resnet-train": (
        lambda: constant(everyday.TinyResNet()).train(),
        (2, 1, 5, 5),
        "mse",
        "float",
    ),  # fmt: skip
    "einsum": (lambda: constant(everyday.Einsum()), (3, 4), "mse", "float"),
    "mean-over-a-dim": (lambda: constant(everyday.MeanOverTime()), (2, 3, 3), "mse", "float"),
    "skip-gram": (
        lambda: constant(everyday.SkipGram(), 0.0),
        (4, 2),
        F.binary_cross_entropy_with_logits,
        "index",
    ),  # fmt: skip
    "tied-embedding": (lambda: constant(everyday.TiedLM()), (4,), "cross-entropy", "labels"),
}


def _traced(build, shape, loss, kind):
    if kind in ("index", "labels"):
        example = torch.zeros(*shape, dtype=torch.long)
        options = {"target_shape": shape[:1]} if kind == "labels" else {}
        return symgrad.from_torch(build(), example, loss=loss, **options)
    return symgrad.from_torch(build(), shape, loss=loss)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_proven_groups_stay_equal_under_sgd_and_adam(name):
    build, shape, loss, kind = MODELS[name]
    result = symgrad.collapse(_traced(build, shape, loss, kind), timeout=120)
    assert result.verdict == "proven", result.to_text()
    groups = [g for g in result.groups if len(g) > 1]
    assert groups
    train_kind = {"labels": "labels", "index": "index"}.get(kind, "float")
    assert stays_equal(build, shape, groups, loss, train_kind)


def test_a_constant_lstm_collapses_to_one_unit_and_stays_so():
    """The quick-tier representative: an LSTM's 4 hidden units (all four gates, both weight
    matrices, the recurrent columns) behave as one."""
    build, shape, loss, kind = MODELS["lstm"]
    result = symgrad.collapse(_traced(build, shape, loss, kind), timeout=120)
    assert result.layers["lstm"]["effective_width"] == 1
    assert result.layers["lstm"]["units"] == 4
    assert stays_equal(build, shape, [g for g in result.groups if len(g) > 1], loss, steps=40)
