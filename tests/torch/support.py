"""Shared helpers for the PyTorch tests: inits, exact-versus-autograd checks, and the truth
of a tie as torch's own float64 training sees it (SGD and Adam from the same init)."""

from __future__ import annotations

import copy
import re

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

import symgrad
from symgrad.torch.exact_tensor import centre, gradients
from symgrad.torch.witnesses import witness_points


def constant(model, value: float = 0.1):
    for p in model.parameters():
        torch.nn.init.constant_(p, value)
    return model


def seeded(model, seed: int = 0):
    torch.manual_seed(seed)
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    return model


def entry(params, name: str) -> float:
    tensor, index = re.match(r"(.+)\[(.*)\]\Z", name).groups()
    return float(params[tensor].detach()[tuple(int(i) for i in index.split(","))])


def _loss_function(loss):
    if loss == "mse":
        return F.mse_loss
    if loss == "cross-entropy":
        return F.cross_entropy
    return loss


def data(model, shape, kind: str, rng, vocabulary: int = 10):
    """A random input and target: floats; integer inputs with 0/1 targets (``index``) or with
    class labels (``labels``)."""
    if kind in ("index", "labels"):
        x = torch.tensor(rng.integers(0, vocabulary, shape))
    else:
        x = torch.tensor(rng.standard_normal(shape))
    with torch.no_grad():
        out = copy.deepcopy(model)(x)
    if kind == "labels":
        y = torch.tensor(rng.integers(0, out.shape[-1], out.shape[:-1]))
    elif kind == "index":
        y = torch.tensor(rng.integers(0, 2, out.shape)).double()
    else:
        y = torch.tensor(rng.standard_normal(out.shape))
    return x, y


def trained(build, shape, loss="mse", optimizer="sgd", steps=100, kind="float", seed=0):
    """The parameters after ``steps`` float64 steps from ``build()``'s init, on fresh random
    data each step (in the model's own mode)."""
    model = build().double()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (
        torch.optim.SGD(params, lr=0.05)
        if optimizer == "sgd"
        else torch.optim.Adam(params, lr=1e-2)
    )
    rng = np.random.default_rng(seed)
    function = _loss_function(loss)
    for _ in range(steps):
        x, y = data(model, shape, kind, rng)
        opt.zero_grad()
        function(model(x), y).backward()
        opt.step()
    return dict(model.named_parameters())


def spread(params, group) -> float:
    values = [entry(params, name) for name in group]
    return (max(values) - min(values)) / max(1.0, max(abs(v) for v in values))


def stays_equal(build, shape, groups, loss="mse", kind="float", steps=100) -> bool:
    """Every group keeps its entries equal (to 1e-10) under SGD and under Adam."""
    for optimizer in ("sgd", "adam"):
        params = trained(build, shape, loss, optimizer, steps, kind)
        if any(spread(params, g) > 1e-10 for g in groups):
            return False
    return True


def separates(build, shape, pair, loss="mse", kind="float", steps=100) -> bool:
    """The two entries end apart under SGD or Adam."""
    for optimizer in ("sgd", "adam"):
        params = trained(build, shape, loss, optimizer, steps, kind)
        if spread(params, pair) > 1e-8:
            return True
    return False


def assert_gradients_match_autograd(model, shape, loss="mse", **options) -> None:
    """symgrad's exact (or enclosed) gradients at a witness point equal torch's float64
    autograd there, entry by entry."""
    model = model.double()
    traced = symgrad.from_torch(model, shape, loss=loss, **options)
    x, y, _ = witness_points(traced, 1, seed=5)[0]
    _, exact = gradients(traced.graph, traced.graph.parameters, x, y)
    from symgrad.torch.recheck import float_point

    tx, ty = float_point(torch, x, y, traced.graph)
    model.zero_grad()
    _loss_function(loss)(model(tx), ty).backward()
    for name, parameter in model.named_parameters():
        if name not in exact:
            continue
        measured = parameter.grad if parameter.grad is not None else torch.zeros_like(parameter)
        for index, value in np.ndenumerate(exact[name]):
            reference = float(measured[index])
            assert abs(centre(value) - reference) <= 1e-9 * max(1.0, abs(reference)), (name, index)
