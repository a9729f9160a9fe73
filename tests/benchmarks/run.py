"""Benchmark: symgrad against plain SymPy and a hand-written SymEngine check (issues 7, 26).

Run on demand (pytest does not collect it):

    python tests/benchmarks/run.py [--runs 5] [--cap 120] [--only P3,P4]

Each measurement runs in a fresh subprocess, which reports its wall times and peak
resident memory; the table shows medians over ``--runs``. The engines run interleaved
(symgrad, anchor, symgrad, anchor, ...) so that both see the same load, and the ratio
column compares them within this run.

- **symgrad**: build the preset (its expression graph) and decide, including the
  certificate check, with the library API (``model`` then ``prove``/``collapse``).
- **SymEngine anchor** (needs ``pip install symengine``): build the same loss with
  SymEngine (C++) and check one neuron swap per hidden layer with
  ``loss.xreplace(sigma) == loss``: the lower bound the issue measures symgrad against
  (it checks less than symgrad proves: one swap, no orbits, no independent re-check).
- **plain SymPy**: what a user would write without symgrad: build the loss, ``diff`` it
  with respect to every tied parameter, substitute the tie and ``simplify`` each
  difference; once, capped at ``--cap`` seconds (``> cap`` when it does not finish). Its
  build time is the P5 yardstick: deciding may take at most 3 times as long as writing the
  loss out in SymPy.
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
# seconds for build + decide (certificate included); P4 must also beat the anchor
TARGETS = {"P1": 1.0, "P2": 0.5, "P3": 1.0, "P3c": 1.0, "P4": 10.0}
BEAT_ANCHOR = {"P4"}
SHAPES = {  # inputs, hidden widths, samples
    "P1": (4, [16], 4),
    "P2": (2, [8], 2),
    "P3": (8, [64, 64], 8),
    "P3c": (8, [64, 64], 8),
    "P4": (8, [256, 256], 8),
}


# ----------------------------------------------------------------- the cases
def _symgrad_case(case: str) -> dict:
    from symgrad import collapse, model, prove

    inputs, hidden, samples = SHAPES[case]
    start = time.perf_counter()
    name = "two-layer" if len(hidden) == 1 else "mlp"
    width = hidden[0] if len(hidden) == 1 else ",".join(map(str, hidden))
    net = model(name, inputs=inputs, hidden=width, samples=samples, activation="tanh")
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


def _anchor_case(case: str) -> dict:
    """The hand-written SymEngine check: the loss, then one neuron swap per hidden layer."""
    import symengine as se

    inputs, hidden, samples = SHAPES[case]
    widths = [inputs, *hidden, 1]
    start = time.perf_counter()
    w = [
        [[se.Symbol(f"W{k}_{i}_{j}") for j in range(widths[k])] for i in range(widths[k - 1])]
        for k in range(1, len(widths))
    ]
    b = [[se.Symbol(f"b{k}_{j}") for j in range(widths[k])] for k in range(1, len(widths))]
    terms = []
    for s in range(samples):
        values = [se.Symbol(f"x{s}_{i}") for i in range(inputs)]
        for k in range(1, len(widths)):
            pre = [
                se.Add(*[values[i] * w[k - 1][i][j] for i in range(widths[k - 1])]) + b[k - 1][j]
                for j in range(widths[k])
            ]
            values = pre if k == len(widths) - 1 else [se.tanh(z) for z in pre]
        terms.append((se.Symbol(f"y{s}") - values[0]) ** 2)
    loss = se.Add(*terms)
    built = time.perf_counter()
    unchanged = True
    for k in range(1, len(widths) - 1):
        sigma = {}
        for i in range(widths[k - 1]):
            sigma[w[k - 1][i][0]], sigma[w[k - 1][i][1]] = w[k - 1][i][1], w[k - 1][i][0]
        sigma[b[k - 1][0]], sigma[b[k - 1][1]] = b[k - 1][1], b[k - 1][0]
        for o in range(widths[k + 1]):
            sigma[w[k][0][o]], sigma[w[k][1][o]] = w[k][1][o], w[k][0][o]
        unchanged = unchanged and loss.xreplace(sigma) == loss
    done = time.perf_counter()
    outcome = "each swap leaves J unchanged" if unchanged else "a swap changes J"
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
    loss, weights, biases = _plain_network(*SHAPES[case])
    built = time.perf_counter()
    print(json.dumps({"build": built - start}), flush=True)  # reported even if capped later
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


ENGINES = {"symgrad": _symgrad_case, "anchor": _anchor_case, "sympy": _plain_case}


# ------------------------------------------------------------- measurement
def _child(engine: str, case: str) -> None:
    result = ENGINES[engine](case)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _measure(engine: str, case: str, cap: float) -> dict | None:
    """One run in a fresh process; None if it did not finish within ``cap`` seconds.

    A capped plain-SymPy run still reports its build time (``{"build": ...}``).
    """
    command = [sys.executable, __file__, "--child", engine, case]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired as stopped:
        lines = (stopped.stdout or b"").decode().strip().splitlines()
        return {"capped": True, **(json.loads(lines[0]) if lines else {})}
    if done.returncode != 0:
        if engine == "anchor" and "No module named 'symengine'" in done.stderr:
            return None
        raise RuntimeError(f"{engine} {case} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _row(case: str, runs: list[dict], anchors: list[dict], plain: dict | None, cap: float):
    build, decide = _median(runs, "build"), _median(runs, "decide")
    totals = [r["build"] + r["decide"] for r in runs]
    total = statistics.median(totals)
    spread = f"{min(totals):.2f}-{max(totals):.2f}"
    anchor_total = statistics.median(r["build"] + r["decide"] for r in anchors) if anchors else None
    anchor_text = (
        f"{_median(anchors, 'build'):.3f} + {_median(anchors, 'decide'):.3f} = {anchor_total:.3f} s"
        if anchors
        else "n/a"
    )
    finished = plain is not None and not plain.get("capped")
    plain_text = f"{plain['decide']:.2f} s" if finished else f"> {cap:g} s"
    plain_ratio = (plain["decide"] / decide) if finished else cap / decide
    sympy_build = plain.get("build") if plain else None
    p5 = f"{decide / sympy_build:.2f}" if sympy_build else "n/a"
    # the time target, P5 (decide <= 3 x SymPy's build of the loss) and peak memory <= 2 GiB
    meets = total <= TARGETS[case] and max(r["peak_mib"] for r in runs) <= 2048
    meets = meets and (sympy_build is None or decide <= 3 * sympy_build)
    if case in BEAT_ANCHOR:
        meets = meets and anchor_total is not None and total <= anchor_total
    return (
        case,
        CASES[case],
        f"{build:.3f} s",
        f"{decide:.3f} s",
        f"{total:.3f} s ({spread})",
        anchor_text,
        f"{anchor_total / total:.1f}x" if anchor_total else "n/a",
        plain_text,
        f"{'' if finished else '> '}{plain_ratio:.0f}x",
        p5,
        f"{max(r['peak_mib'] for r in runs):.0f} MiB",
        f"<= {TARGETS[case]:g} s" + (" and <= anchor" if case in BEAT_ANCHOR else ""),
        "yes" if meets else "NO",
        runs[0]["outcome"],
    )


HEADER = (
    "case",
    "question",
    "symgrad build",
    "symgrad decide",
    "symgrad total (min-max)",
    "SymEngine anchor build + check",
    "anchor / symgrad",
    "plain SymPy decide",
    "SymPy / symgrad decide",
    "decide / SymPy build (P5)",
    "peak memory",
    "target (total)",
    "meets",
    "outcome",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per engine and case (median)")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds for plain SymPy")
    parser.add_argument("--only", default=",".join(CASES), help="comma list of cases")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    rows = []
    for case in args.only.split(","):
        runs, anchors = [], []
        for _ in range(args.runs):
            runs.append(_measure("symgrad", case, 3600))
            if case != "P2":
                anchor = _measure("anchor", case, 3600)
                if anchor is not None:
                    anchors.append(anchor)
        plain = _measure("sympy", case, args.cap)
        rows.append(_row(case, runs, anchors, plain, args.cap))
        print(f"done {case}", file=sys.stderr, flush=True)
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
