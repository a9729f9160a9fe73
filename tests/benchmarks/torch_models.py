"""Benchmark: PyTorch models (run on demand; needs the torch extra).

    python tests/benchmarks/torch_models.py [--cap 60] [--only T4,T5] [--intervals mpmath]

Cases (issue 15's targets in brackets), each in a fresh process, time and peak memory
(resident set, including torch itself):

- T1 MLP 784-256-256-10 (ReLU, MSE), every parameter 0.01: collapse [<= 30 s, <= 2 GiB];
- T2 LeNet-5-sized CNN (ReLU, max-pool, MSE), every parameter 0.05: collapse [<= 30 s];
- T3 the T1 MLP with random init except one duplicated row of fc1: prove (refuted)
  [<= 10 s];
- T4, T5 (issue 26's targets: <= 10 s, proof and witnesses, every re-check included): T1
  with tanh, and the classic LeNet-5 (tanh, average pooling, cross-entropy), where every
  witness gradient is a 200-bit enclosure (Arb balls with python-flint, else mpmath);
- T6 (reported): T2 with cross-entropy: exact rationals up to the loss, then exact centres
  with a rigorous radius;
- T7-T10 (issue 25, reported): the modules people write today, at a constant init: a
  multi-head attention encoder, an LSTM over a short sequence, convolutions with batch norm
  in train mode and global pooling, a residual MLP (joint symmetries across layers). Plain
  SymPy's baseline covers plain Sequential stacks only ("-" otherwise).

Plain SymPy answers the same question the only way it can: write the loss as one
expression in the parameters (a symbol per entry), ``diff`` it with respect to two tied
entries and compare the two derivatives at the init; it runs in its own process, capped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def mlp(activation: str = "relu", sizes=(784, 256, 256, 10)):
    from torch import nn

    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    layers = []
    for index, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if index < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


def lenet(classic: bool = False):
    from torch import nn

    act, pool = (nn.Tanh, nn.AvgPool2d) if classic else (nn.ReLU, nn.MaxPool2d)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), act(), pool(2),
        nn.Conv2d(6, 16, 5), act(), pool(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, 10),
    )  # fmt: skip


def constant(model, value: float):
    from torch import nn

    for p in model.parameters():
        nn.init.constant_(p, value)
    return model


def duplicated_row():
    import torch

    torch.manual_seed(0)
    model = mlp()
    with torch.no_grad():
        model[0].weight[5] = model[0].weight[3]
    return model


CASES = {
    "T1": ("MLP 784-256-256-10 constant: collapse", 30.0, "collapse",
           "constant(mlp(), 0.01)", (1, 784), "mse"),
    "T2": ("LeNet-5 (ReLU) constant: collapse", 30.0, "collapse",
           "constant(lenet(), 0.05)", (1, 1, 28, 28), "mse"),
    "T3": ("MLP, one duplicated row: prove", 10.0, "prove",
           "duplicated_row()", (1, 784), "mse"),
    "T4": ("MLP 784-256-256-10 tanh constant: collapse", 10.0, "collapse",
           "constant(mlp('tanh'), 0.01)", (1, 784), "mse"),
    "T5": ("LeNet-5 classic (tanh, avg-pool, CE) constant: collapse", 10.0, "collapse",
           "constant(lenet(True), 0.05)", (1, 1, 28, 28), "cross-entropy"),
    "T6": ("LeNet-5 (ReLU, max-pool, CE) constant: collapse", None, "collapse",
           "constant(lenet(), 0.05)", (1, 1, 28, 28), "cross-entropy"),
    "T7": ("attention encoder (4 heads) constant: collapse", None, "collapse",
           "nets().constant_attention()", (2, 5, 8), "mse"),
    "T8": ("LSTM (8 units, 4 steps) constant: collapse", None, "collapse",
           "nets().constant_lstm()", (2, 4, 3), "mse"),
    "T9": ("conv + batch norm (train mode) + global pool constant: collapse", None, "collapse",
           "resnet()", (4, 1, 8, 8), "cross-entropy"),
    "T10": ("residual MLP 16-32-32-32-4 constant: collapse", None, "collapse",
            "nets().constant_residual()", (2, 16), "mse"),
}  # fmt: skip


def nets():
    from symgrad.examples import nets as module

    return module


def resnet():
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3),
    )  # fmt: skip
    return constant(model, 0.05).train()


def run_symgrad(case: str) -> dict:
    import resource
    import time

    import symgrad

    _, _, command, build, shape, loss = CASES[case]
    model = eval(build)  # noqa: S307 - the benchmark's own fixed expressions
    start = time.perf_counter()
    traced = symgrad.from_torch(model, shape, loss=loss)
    run = symgrad.collapse if command == "collapse" else symgrad.prove
    result = run(traced, timeout=600)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    witnesses = len(result.witnesses) if command == "collapse" else int(bool(result.witness))
    return {"seconds": seconds, "gib": peak, "verdict": result.verdict, "witnesses": witnesses}


def run_plain(case: str) -> dict:
    """The loss as one SymPy expression; diff with respect to two tied entries at the init."""
    import time

    import sympy

    _, _, _, build, shape, loss = CASES[case]
    model = eval(build)  # noqa: S307 - the benchmark's own fixed expressions
    if not all(type(m).__name__ in PLAIN for m in model.children()):
        return {"error": "not a plain Sequential"}
    start = time.perf_counter()
    symbols, init = {}, {}
    for name, parameter in model.named_parameters():
        array = parameter.detach().double().numpy()
        grid = sympy.MutableDenseNDimArray.zeros(*array.shape).tolist()
        flat = []
        for index, value in enumerate(array.reshape(-1).tolist()):
            symbol = sympy.Symbol(f"{name}_{index}")
            init[symbol] = sympy.Rational(value)
            flat.append(symbol)
        symbols[name] = _shaped(flat, array.shape)
        del grid
    size = 1
    for s in shape:
        size *= s
    x = _shaped([sympy.Rational(k + 1, 1024) for k in range(size)], shape)[0]
    output = _forward(model, x, symbols)
    if loss == "mse":
        value = sum((z - sympy.Rational(j, 7)) ** 2 for j, z in enumerate(output)) / len(output)
    else:
        value = sympy.log(sum(sympy.exp(z) for z in output)) - output[0]
    first = model[0]
    a, b = _first_two_tied(first, symbols)
    difference = (sympy.diff(value, a) - sympy.diff(value, b)).xreplace(init)
    return {"seconds": time.perf_counter() - start, "answer": str(sympy.nsimplify(difference))}


PLAIN = ("Linear", "Conv2d", "ReLU", "Tanh", "MaxPool2d", "AvgPool2d", "Flatten")


def _shaped(flat: list, shape) -> list:
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [_shaped(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _first_two_tied(first, symbols) -> tuple:
    name = [n for n in symbols if n.endswith("weight")][0]
    weight = symbols[name]
    row_a, row_b = weight[3], weight[5]
    while isinstance(row_a, list):
        row_a, row_b = row_a[0], row_b[0]
    return row_a, row_b


def _forward(model, x, symbols):
    """Sequential Linear/Conv2d/ReLU/Tanh/MaxPool2d/AvgPool2d/Flatten as SymPy expressions."""
    import sympy
    from torch import nn

    value = x
    for name, module in model.named_children():
        if isinstance(module, nn.Linear):
            w, bias = symbols[f"{name}.weight"], symbols[f"{name}.bias"]
            value = [sympy.Add(*(wi * v for wi, v in zip(row, value))) + b
                     for row, b in zip(w, bias)]  # fmt: skip
        elif isinstance(module, nn.Conv2d):
            value = _conv(value, symbols[f"{name}.weight"], symbols[f"{name}.bias"], module)
        elif isinstance(module, (nn.ReLU, nn.Tanh)):
            f = (lambda z: sympy.Max(0, z)) if isinstance(module, nn.ReLU) else sympy.tanh
            value = _map(value, f)
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            value = [_pool(channel, isinstance(module, nn.MaxPool2d)) for channel in value]
        elif isinstance(module, nn.Flatten):
            value = [v for channel in value for row in channel for v in row]
    return value


def _map(value, f):
    return [_map(v, f) for v in value] if isinstance(value, list) else f(value)


def _conv(image, weight, bias, module):
    import sympy

    pad = module.padding[0]
    height, width = len(image[0]) + 2 * pad, len(image[0][0]) + 2 * pad
    padded = [
        [[image[c][i - pad][j - pad] if pad <= i < height - pad and pad <= j < width - pad
          else 0 for j in range(width)] for i in range(height)]
        for c in range(len(image))
    ]  # fmt: skip
    k = len(weight[0][0])
    return [
        [[sympy.Add(*(weight[o][c][p][q] * padded[c][i + p][j + q]
                      for c in range(len(image)) for p in range(k) for q in range(k)))
          + bias[o] for j in range(width - k + 1)] for i in range(height - k + 1)]
        for o in range(len(weight))
    ]  # fmt: skip


def _pool(channel, maximum: bool):
    import sympy

    cells = [
        [[channel[2 * i + p][2 * j + q] for p in range(2) for q in range(2)]
         for j in range(len(channel[0]) // 2)] for i in range(len(channel) // 2)
    ]  # fmt: skip
    if maximum:
        return [[sympy.Max(*cell) for cell in row] for row in cells]
    return [[sympy.Add(*cell) / 4 for cell in row] for row in cells]


def fresh(function: str, case: str, cap: float, intervals: str = "") -> dict:
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import torch_models as t; "
        f"print(json.dumps(t.{function}({case!r})))"
    )
    env = dict(os.environ, **({"SYMGRAD_INTERVALS": intervals} if intervals else {}))
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=cap, env=env
        )
    except subprocess.TimeoutExpired:
        return {"capped": True}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:60]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cap", type=float, default=60.0, help="seconds for plain SymPy")
    parser.add_argument("--only", default="", help="comma list such as T1,T3")
    parser.add_argument(
        "--intervals", default="", help="interval engine: arb (python-flint) or mpmath"
    )
    args = parser.parse_args()
    chosen = [c for c in CASES if not args.only or c in args.only.split(",")]
    print(
        "| case | symgrad (s) | peak memory (GiB) | verdict | witnesses | target (s) | within "
        "| plain SymPy (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for case in chosen:
        name, target, *_ = CASES[case]
        ours = fresh("run_symgrad", case, 3600, args.intervals)
        plain = fresh("run_plain", case, args.cap)
        if "error" in ours:
            print(f"| {case} {name} | error: {ours['error']} | | | | | | | |")
            continue
        if plain.get("capped"):
            baseline, ratio = f"> {args.cap:g} (capped)", f"> {args.cap / ours['seconds']:.0f}x"
        elif "error" in plain:
            baseline, ratio = "-", "-"
        else:
            baseline = f"{plain['seconds']:.1f}"
            ratio = f"{plain['seconds'] / ours['seconds']:.1f}x"
        within = "-" if target is None else ("yes" if ours["seconds"] <= target else "NO")
        print(
            f"| {case} {name} | {ours['seconds']:.1f} | {ours['gib']:.2f} | {ours['verdict']} | "
            f"{ours['witnesses']} | {target if target else '-'} | {within} | {baseline} | "
            f"{ratio} |"
        )
    print(f"\ninterval engine: {engine(args.intervals)}")


def engine(intervals: str) -> str:
    """The interval engine the fresh processes use (the environment's choice, or the option)."""
    code = "from symgrad.torch.exact_numbers import engine_name; print(engine_name())"
    env = dict(os.environ, **({"SYMGRAD_INTERVALS": intervals} if intervals else {}))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
