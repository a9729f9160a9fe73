"""Benchmark: matrix claims for every size and derivations line by line (run on demand).

    python tests/benchmarks/matrices.py [--repeat 3]

Cases (issue 16's targets in brackets):

- M1 the linear-regression vector claim, symbolic n and k [<= 2 s];
- M2 the seed's two-layer W2 gradient, symbolic k, d and n [<= 10 s];
- M3 a 10-line derivation (logistic regression) [<= 3 s].

Each case runs in a fresh process (``cold``: imports excluded, SymPy's caches
empty) and then ``--repeat`` more times in that process (``warm``: the median). Plain SymPy does the closest thing it can: M1 and M2 with
``MatrixSymbol`` derivatives (``diff`` of the matrix expression, compared with
the claim by ``simplify``, valid only where SymPy's matrix calculus applies and
with no witness), M3 by ``simplify(line - previous)`` for each line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sympy  # noqa: E402

from symgrad import check, check_derivation  # noqa: E402

LINEAR = ["X=n,k", "w=k", "y=n"]
TWO_LAYER = ["X=n,k", "W=k,d", "b=1,d", "W2=d", "b2=1", "y=n"]
H = "sigma(X@W + b)"
Z2 = f"{H}@W2 + b2"
F = f"sigma({Z2})"
S = "sigmoid(w*x + b)"
DERIVATION = "\n".join(
    [
        f"J = -(y*log({S}) + (1 - y)*log(1 - {S}))",
        f"dJ/dw = -(y/{S} - (1 - y)/(1 - {S}))*{S}*(1 - {S})*x",
        f"= -(y*(1 - {S}) - (1 - y)*{S})*x",
        f"= -(y - y*{S} - {S} + y*{S})*x",
        f"= -(y - {S})*x",
        f"= ({S} - y)*x",
        f"= x*{S} - x*y",
        f"dJ/db = -(y/{S} - (1 - y)/(1 - {S}))*{S}*(1 - {S})",
        f"= -(y - {S})",
        f"= {S} - y",
    ]
)


def m1():
    return check("norm(X@w - y)**2", "w", "2*X.T@(X@w - y)", shapes=LINEAR)


def m2():
    claim = f"2*{H}.T@hadamard({F} - y, sigma'({Z2}))"
    return check(f"norm({F} - y)**2", "W2", claim, shapes=TWO_LAYER)


def m3():
    return check_derivation(DERIVATION)


def plain_m1() -> bool:
    n, k = sympy.symbols("n k", integer=True, positive=True)
    X, w, y = (  # noqa: N806
        sympy.MatrixSymbol("X", n, k),
        sympy.MatrixSymbol("w", k, 1),
        sympy.MatrixSymbol("y", n, 1),
    )
    r = X * w - y
    gradient = sympy.diff((r.T * r)[0, 0], w)
    return sympy.simplify(gradient - 2 * X.T * r) == sympy.ZeroMatrix(k, 1)


def plain_m2() -> str:
    # SymPy's matrix calculus has no elementwise sigmoid of a matrix expression
    n, k, d = sympy.symbols("n k d", integer=True, positive=True)
    X, W = sympy.MatrixSymbol("X", n, k), sympy.MatrixSymbol("W", k, d)  # noqa: N806
    try:
        hidden = (X * W).applyfunc(lambda e: 1 / (1 + sympy.exp(-e)))
        return str(sympy.diff(hidden, W))[:40]
    except Exception as error:  # noqa: BLE001 - the baseline's own failure is the result
        return f"not supported ({type(error).__name__})"


def plain_m3() -> bool:
    x, y, w, b = sympy.symbols("x y w b", real=True)
    s = 1 / (1 + sympy.exp(-(w * x + b)))
    lines = [
        -(y / s - (1 - y) / (1 - s)) * s * (1 - s) * x,
        -(y * (1 - s) - (1 - y) * s) * x,
        -(y - y * s - s + y * s) * x,
        -(y - s) * x,
        (s - y) * x,
        x * s - x * y,
    ]
    loss = -(y * sympy.log(s) + (1 - y) * sympy.log(1 - s))
    ok = sympy.simplify(lines[0] - sympy.diff(loss, w)) == 0
    for previous, current in zip(lines, lines[1:]):
        ok = ok and sympy.simplify(current - previous) == 0
    return ok


def timed(function, repeat: int) -> tuple[float, float, object]:
    start = time.perf_counter()
    result = function()
    cold = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return cold, statistics.median(times), result


def in_fresh_process(case: str, repeat: int) -> tuple[float, float, str, float, str]:
    import json
    import subprocess

    code = (
        "import json, sys, time; sys.path.insert(0, %r); import matrices as m; "
        "cold, warm, r = m.timed(m.%s, %d); "
        "s = time.perf_counter(); a = m.plain_%s(); b = time.perf_counter() - s; "
        "print(json.dumps([cold, warm, r.verdict, b, str(a)]))"
        % (str(Path(__file__).parent), case, repeat, case)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [
        ("M1 linear regression, all n, k", "m1", 2.0),
        ("M2 seed two-layer dJ/dW2, all k, d, n", "m2", 10.0),
        ("M3 10-line derivation", "m3", 3.0),
    ]
    print(
        "| case | symgrad cold (s) | warm (s) | verdict | target (s) | within | "
        "plain SymPy (s) | SymPy's answer | ratio (cold) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, case, target in rows:
        cold, warm, verdict, baseline, answer = in_fresh_process(case, args.repeat)
        print(
            f"| {name} | {cold:.3f} | {warm:.3f} | {verdict} | {target:g} | "
            f"{'yes' if cold <= target else 'NO'} | {baseline:.3f} | {answer[:40]} | "
            f"{baseline / cold:.2f}x |"
        )


if __name__ == "__main__":
    main()
