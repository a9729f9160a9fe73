"""``symgrad grade``: a whole class at once."""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_HOLDS,
    EXIT_UNKNOWN,
    app,
)
from symgrad.cli.options import JsonOption, QuietOption, TimeoutOption, TimingOption, VerboseOption
from symgrad.cli.running import Output, counter, level_of, run_command
from symgrad.errors import SymgradError

AnswersArgument = Annotated[
    str | None, typer.Argument(help="Answers: CSV (student,question,answer) or JSONL.")
]
KeyOption = Annotated[str | None, typer.Option("--key", help="The key: a TOML file of questions.")]
OutOption = Annotated[
    str | None,
    typer.Option(
        "--out", help="Graded rows, written as they complete (.jsonl or .csv); none when not given."
    ),
]
ReportOption = Annotated[
    str | None, typer.Option("--report", help="Class report: .html (standalone) or .md.")
]
GradebookOption = Annotated[
    str | None,
    typer.Option("--gradebook", help="Gradebook CSV: one row per student (Moodle, Canvas)."),
]
FeedbackDirOption = Annotated[
    str | None, typer.Option("--feedback-dir", help="A folder for one feedback file per student.")
]
FeedbackFormatOption = Annotated[
    str, typer.Option("--feedback-format", help="Feedback files as markdown (.md) or html.")
]
OverridesOption = Annotated[
    str | None,
    typer.Option(
        "--overrides",
        help="The teacher's points: a CSV file with columns student, question, points, comment.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, max=256, help="Worker processes (default: all cores)."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler tcp://HOST:PORT (needs symgrad[dask])."),
]
ResumeOption = Annotated[
    bool, typer.Option("--resume", help="Keep the rows already in --out; grade the rest.")
]
HideAnswerOption = Annotated[
    bool, typer.Option("--hide-answer", help="Feedback without the true derivative.")
]
ExampleOption = Annotated[
    bool, typer.Option("--example", help="Grade the example class shipped with symgrad.")
]
AnswerTimeoutOption = Annotated[
    float, typer.Option("--answer-timeout", min=0.1, help="Time budget per answer (s).")
]


@app.command()
def grade(
    answers: AnswersArgument = None,
    key: KeyOption = None,
    out: OutOption = None,
    report_path: ReportOption = None,
    gradebook: GradebookOption = None,
    feedback_dir: FeedbackDirOption = None,
    feedback_format: FeedbackFormatOption = "markdown",
    overrides: OverridesOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    resume: ResumeOption = False,
    hide_answer: HideAnswerOption = False,
    example: ExampleOption = False,
    answer_timeout: AnswerTimeoutOption = 10.0,
    timeout: TimeoutOption = float("inf"),
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Grade a whole class: every answer checked exactly, with feedback, a report, a
    gradebook and one feedback file per student.

    Examples:

      symgrad grade --example --report report.md

      Your own class (answers.csv and key.toml are your files; the README shows their
      format):

      symgrad grade answers.csv --key key.toml --report report.html --gradebook grades.csv

      symgrad grade answers.csv --key key.toml --out graded.jsonl --resume
    """
    outputs = {
        "out": out,
        "report": report_path,
        "gradebook": gradebook,
        "feedback_dir": feedback_dir,
        "feedback_format": feedback_format,
        "overrides": overrides,
    }
    options = {
        "workers": workers,
        "answer_timeout": answer_timeout,
        "scheduler": scheduler,
        "resume": resume,
        "hide_answer": hide_answer,
        "timeout": timeout,
    }

    def work() -> int:
        if not example and (answers is None or key is None):
            raise SymgradError("give ANSWERS and --key KEY (or --example)")
        shown = Output(as_json=as_json, timing=not no_timing, level=level_of(quiet, verbose))
        return _grade_and_print(answers, key, example, outputs, options, shown)

    run_command(as_json, timeout, work)


def _grade_and_print(answers, key, example, outputs, options, shown: Output) -> int:
    from symgrad.teaching.grade import example_files
    from symgrad.teaching.grade import grade as api

    if example:
        key, answers = (str(p) for p in example_files())
    with counter(quiet=shown.as_json) as advance:
        rows, report = api(key, answers, progress=advance, **options, **outputs)
    shown.show(report)
    if not shown.as_json and shown.level != "quiet":
        written = _written(outputs, report.students)
        if written:
            typer.echo("Written: " + "; ".join(written))
    timeouts = sum(row.verdict == "timeout" for row in rows)
    return EXIT_UNKNOWN if timeouts else EXIT_HOLDS


def _written(outputs: dict, students: int) -> list[str]:
    """The files this run wrote, as one line for the teacher."""
    written = []
    for name, label in (("out", "graded rows"), ("report", "report"), ("gradebook", "gradebook")):
        if outputs[name]:
            written.append(f"{label} {outputs[name]}")
    if outputs["feedback_dir"]:
        written.append(f"{students} feedback files in {outputs['feedback_dir']}")
    return written
