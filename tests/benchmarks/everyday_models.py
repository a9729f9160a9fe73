"""Benchmark: everyday PyTorch models, answered and right (run on demand; needs the torch extra).

    OMP_NUM_THREADS=1 python tests/benchmarks/everyday_models.py [NAME ...]

About 40 small models people write (MLPs, CNNs, residual MLPs, a module used twice,
identical branches and sub-networks, hand-written and nn.MultiheadAttention, skip-gram
word2vec, weight tying, GRU/LSTM cells and layers, einsum, batch norm in both modes,
dropout in both modes, frozen parameters, layer norm) at constant, zero or duplicated
inits. The truth of each is torch's own: 200 float64 steps of SGD (lr 0.01 and 0.1) and of
Adam (lr 1e-3 and 1e-2) from the same init, on fresh random data each step; a tie group
holds when its entries stay within 1e-10 (relative). symgrad's ``prove`` verdict is
compared with it (a ``proven``/``refuted`` that disagrees is WRONG, ``unknown`` is not
answered), and every group ``collapse`` claims must hold in all four runs. One line per
model, then the totals.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import symgrad  # noqa: E402
from tests.torch import everyday as ev  # noqa: E402
from tests.torch.support import constant, data, seeded  # noqa: E402

RUNS = (("sgd", 0.01), ("sgd", 0.1), ("adam", 1e-3), ("adam", 1e-2))
STEPS = 200
TOLERANCE = 1e-10


def frozen_mlp():
    model = constant(nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1)))
    model[0].weight.requires_grad_(False)
    return model


def duplicated_neuron():
    model = seeded(nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)))
    with torch.no_grad():
        model[0].weight[3] = model[0].weight[1]
        model[0].bias[3] = model[0].bias[1]
        model[2].weight[:, 3] = model[2].weight[:, 1]
    return model


def twin_nets():
    model = seeded(ev.TwoNets())
    model.n2.load_state_dict(model.n1.state_dict())
    return model


def twin_branches():
    model = seeded(ev.Branches())
    with torch.no_grad():
        model.b.load_state_dict(model.a.state_dict())
        model.out.weight[:, 3:] = model.out.weight[:, :3]
    return model


def half_zero_skip_gram():
    model = seeded(ev.SkipGram())
    nn.init.zeros_(model.centre.weight)
    return model


def layer_norm_mlp():
    return constant(nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(), nn.Linear(6, 2)))


def cnn():
    return constant(nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(12, 2)))  # fmt: skip


def mlp(activation, value=0.1):
    return constant(nn.Sequential(nn.Linear(4, 8), activation(), nn.Linear(8, 2)), value)


BCE = F.binary_cross_entropy_with_logits
CASES = {
    "mlp-constant": (lambda: mlp(nn.ReLU), (3, 4), "mse", "float"),
    "mlp-zero-tanh": (lambda: mlp(nn.Tanh, 0.0), (3, 4), "mse", "float"),
    "mlp-zero-sigmoid": (lambda: mlp(nn.Sigmoid, 0.0), (3, 4), "mse", "float"),
    "mlp-duplicated-neuron": (duplicated_neuron, (3, 4), "mse", "float"),
    "cnn-constant": (cnn, (2, 1, 6, 6), "mse", "float"),
    "residual-mlp": (lambda: constant(ev.ResidualMLP()), (3, 4), "mse", "float"),
    "residual-block-zero": (lambda: constant(ev.ResidualBlock(), 0.0), (3, 4), "mse", "float"),
    "module-used-twice": (lambda: constant(ev.UsedTwice()), (3, 4), "mse", "float"),
    "branches-constant": (lambda: constant(ev.Branches()), (3, 4), "mse", "float"),
    "twin-branches": (twin_branches, (3, 4), "mse", "float"),
    "sub-networks-constant": (lambda: constant(ev.TwoNets()), (3, 4), "mse", "float"),
    "twin-sub-networks": (twin_nets, (3, 4), "mse", "float"),
    "attention": (lambda: constant(ev.Attention()), (2, 3, 8), "mse", "float"),
    "causal-attention": (
        lambda: constant(ev.Attention(causal=True)),
        (2, 3, 8),
        "mse",
        "float",
    ),  # fmt: skip
    "multihead-attention": (lambda: constant(ev.MHA()), (2, 3, 3), "mse", "float"),
    "skip-gram-zero": (lambda: constant(ev.SkipGram(), 0.0), (4, 2), BCE, "index"),
    "skip-gram-half-zero": (half_zero_skip_gram, (4, 2), BCE, "index"),
    "skip-gram-softmax-zero": (
        lambda: constant(ev.SkipGramSoftmax(), 0.0),
        (4,),
        "cross-entropy",
        "labels",
    ),  # fmt: skip
    "tied-embedding": (lambda: constant(ev.TiedLM()), (4,), "cross-entropy", "labels"),
    "gru-cell": (lambda: constant(ev.GRUNet()), (2, 3, 3), "mse", "float"),
    "lstm-cell": (lambda: constant(ev.LSTMCellNet()), (2, 3, 3), "mse", "float"),
    "lstm": (lambda: constant(ev.LSTMNet()), (2, 3, 3), "mse", "float"),
    "gru": (lambda: constant(ev.GRUSeq()), (2, 3, 3), "mse", "float"),
    "bidirectional-lstm": (lambda: constant(ev.DeepLSTM()), (2, 3, 3), "mse", "float"),
    "einsum": (lambda: constant(ev.Einsum()), (3, 4), "mse", "float"),
    "mean-over-time": (lambda: constant(ev.MeanOverTime()), (2, 3, 3), "mse", "float"),
    "resnet-eval": (lambda: constant(ev.TinyResNet()).eval(), (2, 1, 5, 5), "mse", "float"),
    "resnet-train": (lambda: constant(ev.TinyResNet()).train(), (2, 1, 5, 5), "mse", "float"),
    "batch-norm-eval": (lambda: constant(ev.batch_norm_mlp()).eval(), (3, 4), "mse", "float"),
    "batch-norm-train": (
        lambda: constant(ev.batch_norm_mlp()).train(),
        (3, 4),
        "mse",
        "float",
    ),  # fmt: skip
    "dropout-train": (lambda: constant(ev.dropout_mlp()).train(), (3, 4), "mse", "float"),
    "dropout-eval": (lambda: constant(ev.dropout_mlp()).eval(), (3, 4), "mse", "float"),
    "frozen-layer": (frozen_mlp, (3, 4), "mse", "float"),
    "layer-norm": (layer_norm_mlp, (3, 4), "mse", "float"),
}


def _loss(loss):
    return {"mse": F.mse_loss, "cross-entropy": F.cross_entropy}.get(loss, loss)


def _run(build, shape, loss, kind, optimizer, lr):
    model = build().double()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=lr) if optimizer == "sgd" else torch.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(0)
    for _ in range(STEPS):
        x, y = data(model, shape, kind, rng)
        opt.zero_grad()
        _loss(loss)(model(x), y).backward()
        opt.step()
    return {k: v.detach().numpy().reshape(-1) for k, v in model.named_parameters()}


def _flat_names(build):
    names, values = [], []
    for key, value in build().named_parameters():
        for index in np.ndindex(*value.shape):
            names.append(f"{key}[{', '.join(map(str, index))}]")
            values.append(float(value.detach()[index]))
    return names, np.array(values)


def truth(build, shape, loss, kind):
    """(entry names, tie groups as index lists, stays(indices) -> bool)."""
    names, initial = _flat_names(build)
    finals = []
    for optimizer, lr in RUNS:
        final = _run(build, shape, loss, kind, optimizer, lr)
        flat = np.concatenate(list(final.values()))
        if np.isfinite(flat).all():
            finals.append(flat)
    groups: dict[float, list[int]] = {}
    for index, value in enumerate(initial):
        groups.setdefault(value, []).append(index)

    def stays(indices) -> bool:
        for flat in finals:
            values = flat[np.asarray(indices)]
            if np.ptp(values) > TOLERANCE * max(1.0, float(np.abs(values).max())):
                return False
        return True

    return names, [g for g in groups.values() if len(g) > 1], stays


def _traced(build, shape, loss, kind):
    if kind in ("index", "labels"):
        example = torch.zeros(*shape, dtype=torch.long)
        options = {"target_shape": shape[:1]} if kind == "labels" else {}
        return symgrad.from_torch(build(), example, loss=loss, **options)
    return symgrad.from_torch(build(), shape, loss=loss)


def check(name: str) -> tuple[str, str, str, bool, float]:
    build, shape, loss, kind = CASES[name]
    start = time.perf_counter()
    traced = _traced(build, shape, loss, kind)
    proof = symgrad.prove(traced, timeout=120)
    result = symgrad.collapse(traced, timeout=120)
    seconds = time.perf_counter() - start
    names, ties, stays = truth(build, shape, loss, kind)
    expected = "proven" if all(stays(g) for g in ties) else "refuted"
    index = {n: k for k, n in enumerate(names)}
    wrong = proof.verdict in ("proven", "refuted") and proof.verdict != expected
    wrong = wrong or any(not stays([index[n] for n in g]) for g in result.groups if len(g) > 1)
    if result.verdict == "refuted":
        wrong = wrong or any(stays(g) for g in ties)
    return expected, proof.verdict, result.verdict, wrong, seconds


def main(names: list[str]) -> None:
    warnings.filterwarnings("ignore")
    chosen = names or list(CASES)
    print("| model | torch's truth | prove | collapse | right | symgrad (s) |")
    print("|---|---|---|---|---|---|")
    answered = wrong = 0
    for name in chosen:
        expected, verdict, collapsed, bad, seconds = check(name)
        answered += verdict in ("proven", "refuted")
        wrong += bad
        print(f"| {name} | {expected} | {verdict} | {collapsed} | {'WRONG' if bad else 'yes'} | "
              f"{seconds:.1f} |", flush=True)  # fmt: skip
    print(f"\n{answered} of {len(chosen)} answered (proven or refuted), {wrong} wrong")


if __name__ == "__main__":
    main(sys.argv[1:])
