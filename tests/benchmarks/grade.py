"""Benchmark: grading 1,000 answers of the example class's shapes (run on demand).

    python tests/benchmarks/grade.py [--answers 1000] [--workers 2] [--baseline 100]

The answers are the example class's answers with their numbers varied (so most
are distinct texts and the cache does not do all the work), plus some exact
repeats, as in a real class. Reported: wall time, answers per second, peak
resident memory of the grading processes, and the same answers judged by plain
SymPy (parse with implicit multiplication, ``simplify(claim - diff(loss))``,
no diagnosis, no certificate) on a sample of ``--baseline`` answers, scaled.

A second table times what a teacher gets afterwards, for the same class: the HTML report
(every answer typeset as MathML), the Markdown report, the gradebook and one feedback file
per student, against plain SymPy's MathML printer on the same readings.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from symgrad.teaching.grade import example_files, grade, load_key  # noqa: E402


def answers(count: int, seed: int = 0) -> list[dict]:
    key, path = example_files()
    with open(path, encoding="utf-8") as handle:
        pool = list(csv.DictReader(handle))
    rng = random.Random(seed)
    result = []
    for index in range(count):
        row = dict(rng.choice(pool))
        row["student"] = (
            f"s{index:05d}"  # one answer per student and question (grade refuses twins)
        )
        if rng.random() < 0.85:
            row["answer"] = re.sub(
                r"\b\d+\b",
                lambda m: m.group(0) if rng.random() < 0.4 else str(rng.randint(1, 12)),
                row["answer"],
            )
        result.append(row)
    return result


def plain_sympy(records: list[dict], seconds: float) -> float:
    """Seconds per answer for plain SymPy on text answers (LaTeX ones are skipped)."""
    import signal

    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    transformations = (*standard_transformations, implicit_multiplication_application, convert_xor)
    questions = {q.id: q for q in load_key(example_files()[0])}
    local = {"σ": sympy.Function("sigma"), "ln": sympy.log, "λ": sympy.Symbol("lambda")}

    def expire(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, expire)
    done, start = 0, time.perf_counter()
    for record in records:
        question = questions[record["question"]]
        if question.format == "latex":
            continue
        try:
            signal.alarm(int(seconds))
            loss = parse_expr(question.loss.replace("σ", "sigma"), transformations=transformations)
            parts = record["answer"].split(";")
            for name, part in zip(question.wrt, parts):
                claim = parse_expr(
                    part.replace("σ", "sigma").replace("λ", "lambda"),
                    transformations=transformations,
                    local_dict=local,
                )
                sympy.simplify(claim - sympy.diff(loss, sympy.Symbol(name)))
        except Exception:  # noqa: BLE001 - the baseline may fail where symgrad refuses
            pass
        finally:
            signal.alarm(0)
        done += 1
    return (time.perf_counter() - start) / max(done, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", type=int, default=100)
    args = parser.parse_args()
    records = answers(args.answers)
    distinct = len({(r["question"], " ".join(r["answer"].split())) for r in records})
    key, _ = example_files()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        rows, report = grade(key, records, out=Path(folder) / "g.jsonl", workers=args.workers)
        seconds = time.perf_counter() - start
    peak = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    baseline = plain_sympy(records[: args.baseline], 20)
    print(
        "| answers | distinct | workers | symgrad | answers/s | peak memory | plain SymPy (est.) | ratio | target | meets |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    estimate = baseline * len(records)
    print(
        f"| {len(rows)} | {distinct} | {args.workers} | {seconds:.1f} s | {len(rows) / seconds:.1f} | "
        f"{peak:.0f} MiB | {estimate:.1f} s | {estimate / seconds:.1f}x | <= 60 s | "
        f"{'yes' if seconds <= 60 else 'NO'} |"
    )
    print("verdicts:", dict(report.verdicts))
    outputs(rows, report)


def outputs(rows, report) -> None:
    """Time the report, gradebook and feedback files against plain SymPy's MathML printer."""
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    from symgrad.render.grade import class_to_markdown
    from symgrad.render.grade_html import report_html
    from symgrad.results import render
    from symgrad.teaching.files import safe_file_names
    from symgrad.teaching.gradebook import gradebook_csv

    timings = {}
    start = time.perf_counter()
    html = report_html(report)
    timings["report.html"] = (time.perf_counter() - start, len(html))
    start = time.perf_counter()
    markdown = class_to_markdown(report)
    timings["report.md"] = (time.perf_counter() - start, len(markdown))
    start = time.perf_counter()
    book = gradebook_csv(rows, {q.id: q.max_points for q in report.questions})
    timings["gradebook.csv"] = (time.perf_counter() - start, len(book))
    with tempfile.TemporaryDirectory() as folder:
        students = sorted({r.student for r in rows})
        names = safe_file_names(students, ".md")
        start = time.perf_counter()
        render(report, "feedback", {s: Path(folder) / names[s] for s in students}, "markdown")
        timings["feedback files"] = (time.perf_counter() - start, len(students))
    local = {"lambda_": sympy.Symbol("lambda"), "sigmoid": sympy.Function("sigmoid")}
    start = time.perf_counter()
    for row in rows:
        for component in row.components:
            if component.get("reading"):
                text = str(component["reading"]).replace("lambda", "lambda_")
                expression = parse_expr(text, local_dict=local)
                sympy.printing.mathml(expression, printer="presentation")
    plain = time.perf_counter() - start
    print()
    print("| output | symgrad | size | plain SymPy MathML of the readings | ratio |")
    print("|---|---|---|---|---|")
    for name, (seconds, size) in timings.items():
        unit = "files" if name == "feedback files" else "bytes"
        ratio = f"{seconds / plain:.2f}x" if name == "report.html" else ""
        shown = f"{plain:.2f} s" if name == "report.html" else ""
        print(f"| {name} | {seconds:.2f} s | {size} {unit} | {shown} | {ratio} |")


if __name__ == "__main__":
    main()
