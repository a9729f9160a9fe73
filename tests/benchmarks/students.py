"""Benchmark: the student corpus graded as a TA would, against plain SymPy (run on demand).

    python tests/benchmarks/students.py [--timeout 20]

The corpus is tests/teaching/student_answers.py: correct answers (never to be marked wrong),
named mistakes, and answers with a name the question does not define (not gradable). Each
answer is judged by ``symgrad.check`` and by plain SymPy (parse with implicit
multiplication and ``^`` as a power, ``simplify(claim - diff(loss)) == 0``; LaTeX answers
and ``let`` definitions are beyond it). Reported per notation class: answers, graded as a TA
would, wrong verdicts (a correct answer marked incorrect, a wrong one marked correct, an
undefined name graded), mistakes named by their code, and the median time per answer.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from symgrad.errors import SymgradError, UndefinedSymbolError  # noqa: E402
from symgrad.teaching.check import check  # noqa: E402
from tests.teaching.student_answers import CORRECT, UNDEFINED, WRONG  # noqa: E402


def notation(claim: str, kwargs: dict) -> str:
    if kwargs.get("latex_input") or "\\" in claim or "$" in claim:
        return "LaTeX"
    if any(prefix in claim for prefix in ("np.", "torch.", "F.", "math.")):
        return "NumPy"
    if not claim.isascii():
        return "phone"
    return "plain"


def corpus() -> list[tuple]:
    """(class, loss, wrt, claim, kwargs, expected verdict, expected code)."""
    rows = [(notation(c, k), lo, w, c, k, "correct", None) for lo, w, c, k in CORRECT]
    rows += [(notation(c, k), lo, w, c, k, "incorrect", code) for lo, w, c, k, code in WRONG]
    rows += [(notation(c, k), lo, w, c, k, "undefined", None) for lo, w, c, k, _ in UNDEFINED]
    return rows


def symgrad_verdict(loss, wrt, claim, kwargs, timeout) -> tuple[str, tuple]:
    try:
        result = check(loss, wrt, claim, timeout=timeout, **kwargs)
        return result.verdict, result.codes
    except UndefinedSymbolError:
        return "undefined", ()
    except SymgradError:
        return "refused", ()


def sympy_verdict(loss, wrt, claim, kwargs, timeout) -> str:
    """Plain SymPy on trusted corpus text (a baseline only; symgrad never does this)."""
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    if kwargs.get("latex_input") or kwargs.get("let") or kwargs.get("functions"):
        return "refused"
    transformations = standard_transformations + (
        implicit_multiplication_application,
        convert_xor,
    )

    def expire(signum, frame):  # noqa: ARG001
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(int(timeout))
    try:
        names = {"sigmoid": lambda z: 1 / (1 + sympy.exp(-z)), "relu": lambda z: sympy.Max(0, z)}
        parsed_loss = parse_expr(loss, local_dict=names, transformations=transformations)
        parsed_claim = parse_expr(claim, local_dict=names, transformations=transformations)
        difference = parsed_claim - sympy.diff(parsed_loss, sympy.Symbol(wrt))
        return "correct" if sympy.simplify(difference) == 0 else "incorrect"
    except TimeoutError:
        return "unknown"
    except Exception:  # noqa: BLE001 - the baseline may fail on any input
        return "refused"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def wrong(expected: str, verdict: str) -> bool:
    return (expected, verdict) in {
        ("correct", "incorrect"),
        ("incorrect", "correct"),
        ("undefined", "correct"),
        ("undefined", "incorrect"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    table: dict[str, dict] = {}
    for kind, loss, wrt, claim, kwargs, expected, code in corpus():
        row = table.setdefault(
            kind,
            {"n": 0, "ta": 0, "wrong": 0, "named": 0, "mistakes": 0, "times": [], "sympy_ta": 0,
             "sympy_wrong": 0, "sympy_times": []},
        )  # fmt: skip
        start = time.perf_counter()
        verdict, codes = symgrad_verdict(loss, wrt, claim, kwargs, args.timeout)
        row["times"].append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline = sympy_verdict(loss, wrt, claim, kwargs, args.timeout)
        row["sympy_times"].append(time.perf_counter() - start)
        row["n"] += 1
        row["ta"] += verdict == expected
        row["wrong"] += wrong(expected, verdict)
        row["sympy_ta"] += baseline == expected
        row["sympy_wrong"] += wrong(expected, baseline)
        if code is not None:
            row["mistakes"] += 1
            row["named"] += codes == (code,)
    header = (
        f"{'class':8} {'answers':>7} {'as a TA':>8} {'wrong':>6} {'named':>7} "
        f"{'median s':>9} | {'SymPy TA':>8} {'wrong':>6} {'median s':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for kind, row in sorted(table.items()):
        ours, theirs = statistics.median(row["times"]), statistics.median(row["sympy_times"])
        named = f"{row['named']}/{row['mistakes']}"
        print(
            f"{kind:8} {row['n']:7d} {row['ta'] / row['n']:8.0%} {row['wrong']:6d} {named:>7} "
            f"{ours:9.3f} | {row['sympy_ta'] / row['n']:8.0%} {row['sympy_wrong']:6d} "
            f"{theirs:9.3f} {ours / theirs if theirs else 0:6.1f}"
        )


if __name__ == "__main__":
    main()
