"""Benchmark: symgrad against plain SymPy on the tie questions of issue 7.

Run on demand (pytest does not collect it):

    python tests/benchmarks/run.py [--runs 3] [--cap 120] [--only P1,P2]

Each measurement runs in a fresh subprocess, which reports its wall time and
peak resident memory; the table shows medians. "Plain SymPy" is what a user
would write without symgrad: build the loss, ``diff`` it with respect to every
tied parameter, substitute the tie and ``simplify`` each difference; it gets
``--cap`` seconds and shows ``> cap`` when it does not finish.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

CASES = {
    "P1": "prove: two-layer tanh, k=4, d=16, n=4, identical init",
    "P2": "refute: two-layer tanh, k=2, d=8, n=2, input weights tied, outputs free",
    "P3": "scale: mlp 8-64-64-1, n=8, tanh, identical init: prove",
    "P3c": "scale: mlp 8-64-64-1, n=8, tanh, identical init: collapse",
    "P4": "stretch: mlp 8-256-256-1, n=8, tanh, identical init: prove",
}
TARGETS = {"P1": 1.0, "P2": 0.5, "P3": 10.0, "P3c": 10.0, "P4": 60.0}


# ----------------------------------------------------------------- the cases
def _symgrad_case(case: str) -> dict:
    from symgrad import collapse, model, prove

    start = time.perf_counter()
    if case == "P1":
        net = model("two-layer", inputs=4, hidden=16, samples=4, activation="tanh")
    elif case == "P2":
        net = model("two-layer", inputs=2, hidden=8, samples=2, activation="tanh")
    elif case in ("P3", "P3c"):
        net = model("mlp", inputs=8, hidden="64,64", samples=8, activation="tanh")
    else:
        net = model("mlp", inputs=8, hidden="256,256", samples=8, activation="tanh")
    built = time.perf_counter()
    if case == "P2":
        ties = ["=".join(f"W1_{i}_{j}" for j in range(8)) for i in range(2)]
        outcome = prove(net, ties=ties).verdict
    elif case == "P3c":
        outcome = f"effective width {collapse(net, init='identical').effective_width}"
    else:
        outcome = prove(net, init="identical").verdict
    done = time.perf_counter()
    return {"build": built - start, "decide": done - built, "outcome": outcome}


def _plain_network(inputs, hidden, samples):
    import sympy

    widths = [inputs, *hidden, 1]
    weights = [
        [
            [sympy.Symbol(f"W{layer}_{i}_{j}", real=True) for j in range(widths[layer])]
            for i in range(widths[layer - 1])
        ]
        for layer in range(1, len(widths))
    ]
    biases = [
        [sympy.Symbol(f"b{layer}_{j}", real=True) for j in range(widths[layer])]
        for layer in range(1, len(widths))
    ]
    loss = 0
    for s in range(samples):
        values = [sympy.Symbol(f"x{s}_{i}", real=True) for i in range(inputs)]
        for layer in range(1, len(widths)):
            pre = [
                sum(values[i] * weights[layer - 1][i][j] for i in range(widths[layer - 1]))
                + biases[layer - 1][j]
                for j in range(widths[layer])
            ]
            values = pre if layer == len(widths) - 1 else [sympy.tanh(z) for z in pre]
        loss += (sympy.Symbol(f"y{s}", real=True) - values[0]) ** 2
    return loss, weights, biases


def _plain_case(case: str) -> dict:
    import sympy

    start = time.perf_counter()
    if case == "P1":
        loss, weights, biases = _plain_network(4, [16], 4)
    elif case == "P2":
        loss, weights, biases = _plain_network(2, [8], 2)
    elif case in ("P3", "P3c"):
        loss, weights, biases = _plain_network(8, [64, 64], 8)
    else:
        loss, weights, biases = _plain_network(8, [256, 256], 8)
    built = time.perf_counter()
    width = len(weights[0][0])
    groups = [[weights[0][i][j] for j in range(width)] for i in range(len(weights[0]))]
    if case != "P2":
        groups.append(biases[0])
        groups.append([weights[1][j][0] for j in range(width)])
    tie = {p: group[0] for group in groups for p in group[1:]}
    verdict = "proven"
    for group in groups:
        first = sympy.diff(loss, group[0])
        for other in group[1:]:
            difference = (first - sympy.diff(loss, other)).subs(tie)
            if sympy.simplify(difference) != 0:
                verdict = "refuted"
                break
        if verdict == "refuted":
            break
    done = time.perf_counter()
    return {"build": built - start, "decide": done - built, "outcome": verdict}


# ------------------------------------------------------------- measurement
def _child(engine: str, case: str) -> None:
    result = (_symgrad_case if engine == "symgrad" else _plain_case)(case)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _measure(engine: str, case: str, cap: float) -> dict | None:
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", engine, case],
            capture_output=True,
            text=True,
            timeout=cap,
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"{engine} {case} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="symgrad runs per case (median)")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds for plain SymPy")
    parser.add_argument("--only", default=",".join(CASES), help="comma list of cases")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    rows = []
    for case in args.only.split(","):
        runs = [_measure("symgrad", case, 3600) for _ in range(args.runs)]
        decide = statistics.median(r["decide"] for r in runs)
        build = statistics.median(r["build"] for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        plain = _measure("sympy", case, args.cap)
        plain_text = f"{plain['decide']:.2f} s" if plain else f"> {args.cap:g} s"
        ratio = (plain["decide"] / decide) if plain else args.cap / decide
        ratio_text = f"{ratio:.0f}x" if plain else f"> {ratio:.0f}x"
        # targets: the case's time, P5 (decide/build <= 3) and peak memory <= 2 GiB
        meets = "yes" if decide <= TARGETS[case] and decide <= 3 * build and peak <= 2048 else "NO"
        rows.append(
            (
                case,
                CASES[case],
                f"{decide:.3f} s",
                f"{build:.2f} s",
                f"{decide / build:.2f}",
                plain_text,
                ratio_text,
                f"{peak:.0f} MiB",
                f"<= {TARGETS[case]:g} s",
                meets,
                runs[0]["outcome"],
            )
        )
        print(f"done {case}", file=sys.stderr, flush=True)
    header = (
        "case",
        "question",
        "symgrad decide (median)",
        "build loss",
        "decide/build (P5)",
        "plain SymPy decide",
        "ratio",
        "peak memory",
        "target",
        "meets",
        "outcome",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
