"""``symgrad grade``: a whole class at once."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_HOLDS,
    EXIT_UNKNOWN,
    app,
)
from symgrad.cli.options import JsonOption, TimeoutOption, TimingOption
from symgrad.cli.running import counter, run_command
from symgrad.errors import SymgradError


@app.command()
def grade(
    answers: Annotated[
        str | None, typer.Argument(help="Answers: CSV (student,question,answer) or JSONL.")
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="The key: a TOML file of questions.")
    ] = None,
    out: Annotated[
        str, typer.Option("--out", help="Graded rows, written as they complete (.jsonl or .csv).")
    ] = "graded.jsonl",
    report_path: Annotated[
        str | None, typer.Option("--report", help="Class report: .html or .md.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (needs symgrad[dask])."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep the rows already in --out; grade the rest.")
    ] = False,
    hide_answer: Annotated[
        bool, typer.Option("--hide-answer", help="Feedback without the true derivative.")
    ] = False,
    example: Annotated[
        bool, typer.Option("--example", help="Grade the example class shipped with symgrad.")
    ] = False,
    answer_timeout: Annotated[
        float, typer.Option("--answer-timeout", min=0.1, help="Time budget per answer (s).")
    ] = 10.0,
    timeout: TimeoutOption = float("inf"),
    as_json: JsonOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Grade a whole class: every answer checked exactly, with feedback and a class report.

    Examples:

      symgrad grade answers.csv --key key.toml --report report.html

      symgrad grade --example --report report.md
    """

    def work() -> int:
        if not example and (answers is None or key is None):
            raise SymgradError("give ANSWERS and --key KEY (or --example)")
        from symgrad.results import render
        from symgrad.teaching.grade import example_files
        from symgrad.teaching.grade import grade as api

        answers_path, key_path = answers, key
        if example:
            key_path, answers_path = (str(p) for p in example_files())
        with counter(quiet=as_json) as advance:
            rows, report = api(
                key_path,
                answers_path,
                out=out,
                workers=workers,
                answer_timeout=answer_timeout,
                scheduler=scheduler,
                resume=resume,
                hide_answer=hide_answer,
                progress=advance,
                timeout=timeout,
            )
        if report_path is not None:
            report.write(report_path)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            typer.echo(render(report, "text", not no_timing))
            typer.echo(f"graded rows: {out}" + (f"; report: {report_path}" if report_path else ""))
        timeouts = sum(row.verdict == "timeout" for row in rows)
        return EXIT_UNKNOWN if timeouts else EXIT_HOLDS

    run_command(as_json, timeout, work)
