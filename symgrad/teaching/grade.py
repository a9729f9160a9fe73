"""Grading a class: every answer to every question checked exactly, with feedback and a report.

A key (:mod:`symgrad.teaching.key`) lists the questions; an answers file
(:mod:`symgrad.teaching.answers`) gives, per row, a student, a question and the answer.
Each answer is judged by :func:`symgrad.teaching.answer.grade_answer` (so by exact
certificates, every component on its own) in a pool of forked worker processes that pays
the import once, with a per-answer time budget enforced by killing the worker; or on a
Dask cluster (:mod:`symgrad.teaching.cluster`). No answer stops the batch: what cannot be
judged as mathematics has its own code (``blank``, ``unreadable``, ``too_long``,
``undefined_symbol``, ``wrong_shape``, ``timeout``). The same answer text to the same
question is graded once.

Outputs are asked for by name and checked before any work (:mod:`symgrad.teaching.files`):
the graded rows (``out``, written as they complete so ``resume`` picks up an interrupted
run, :mod:`symgrad.teaching.graded_file`), the report (HTML or Markdown), the gradebook
CSV and one feedback file per student. The teacher's overrides
(:mod:`symgrad.teaching.overrides`) are applied to the rows before any output.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from symgrad.errors import BudgetError, ProblemError
from symgrad.results import ClassReport, GradedAnswer
from symgrad.runtime.budget import Budget, seconds_value
from symgrad.teaching.answer import grade_answer, is_derivation, outcome_of  # noqa: F401
from symgrad.teaching.answers import (  # noqa: F401 - re-exported
    MAX_ANSWERS,
    Answer,
    answers_from_text,
    load_answers,
)
from symgrad.teaching.files import (
    HTML_FEEDBACK_START,
    HTML_REPORT_START,
    MARKDOWN_FEEDBACK_START,
    MARKDOWN_REPORT_START,
    Output,
    check_outputs,
    exact_header,
    is_histogram,
    quote,
    safe_file_names,
    starts_with,
)
from symgrad.teaching.graded_file import GradedFile, graded_output, read_graded  # noqa: F401
from symgrad.teaching.item_analysis import class_report
from symgrad.teaching.key import Question, load_key  # noqa: F401 - re-exported
from symgrad.teaching.scoring import fingerprint, graded_row

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "class"
MAX_WORKERS = 256
FEEDBACK_FORMATS = {"markdown": ".md", "html": ".html"}


# ---------------------------------------------------------------- arguments
def _path(value: object, name: str) -> Path | None:
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes):
        text = os.fspath(value)
        if isinstance(text, str) and text.strip() and "\x00" not in text:
            return Path(text)
    raise ProblemError(f"{name}={value!r:.80} must be a file name (text or a Path)")


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(f"{name}={value!r:.80} must be True or False")
    return value


def _workers(workers: object) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ProblemError(
            f"workers={workers!r:.80} must be a whole number from 1 to {MAX_WORKERS} "
            "(None: every local core)"
        )
    return workers


def _outputs(
    out: Path | None,
    report: Path | None,
    gradebook: Path | None,
    feedback: Path | None,
    questions: Sequence[Question],
) -> list[Output]:
    """The run's outputs, each with how to recognise a file symgrad wrote there as that
    kind of output (:mod:`symgrad.teaching.files`)."""
    outputs = [graded_output(out)] if out is not None else []
    if report is not None:
        if report.suffix == ".md":
            outputs.append(Output("--report", report, starts_with(MARKDOWN_REPORT_START)))
            image = report.with_name(report.stem + "-histogram.png")
            outputs.append(Output("--report's histogram", image, is_histogram))
        else:
            outputs.append(Output("--report", report, starts_with(HTML_REPORT_START)))
    if gradebook is not None:
        from symgrad.teaching.gradebook import gradebook_csv

        header = gradebook_csv([], {q.id: q.max_points for q in questions})
        first = header.splitlines()[0]
        looks = f"symgrad's gradebook of these questions starts {quote(first)}"
        outputs.append(Output("--gradebook", gradebook, exact_header(header), looks=looks))
    if feedback is not None:
        outputs.append(Output("--feedback-dir", feedback, lambda _: True, folder=True))
    return outputs


def _check_suffixes(report: Path | None, gradebook: Path | None) -> None:
    if report is not None and report.suffix not in (".html", ".htm", ".md"):
        raise ProblemError(f"--report {quote(report)} must end in .html or .md")
    if gradebook is not None and gradebook.suffix != ".csv":
        raise ProblemError(f"--gradebook {quote(gradebook)} must end in .csv")


FEEDBACK_STARTS = {"markdown": MARKDOWN_FEEDBACK_START, "html": HTML_FEEDBACK_START}


def feedback_files(
    folder: Path, students: Sequence[str], fmt: str, others: Sequence[tuple[str, Path]] = ()
) -> dict[str, Path]:
    """student -> the feedback file in ``folder``: names distinct by construction, each
    refused when it is one of the ``others`` (the run's inputs and other outputs, such as
    ``--report fb/ann.md`` next to Ann's feedback) or exists and is not symgrad's feedback
    in that format."""
    names = safe_file_names(dict.fromkeys(students), FEEDBACK_FORMATS[fmt])
    files = {student: folder / name for student, name in names.items()}
    if not folder.is_dir():
        return files  # a new folder: nothing in it to replace, no other file in it
    ours = starts_with(FEEDBACK_STARTS[fmt])
    check_outputs([Output("--feedback-dir", path, ours) for path in files.values()], others)
    return files


# ---------------------------------------------------------------- the entry point
def plan(answers: Sequence[Answer], questions: Mapping[str, Question]) -> dict[tuple, list[Answer]]:
    """Answers grouped by their cache key: each group is graded once."""
    unique: dict[tuple, list[Answer]] = {}
    for answer in answers:
        unique.setdefault(normalized(answer, questions[answer.question]), []).append(answer)
    return unique


def normalized(answer: Answer, question: Question) -> tuple:
    """The cache key: same question, same text up to whitespace, same format."""
    return (
        question.id,
        tuple(
            "\n".join(" ".join(line.split()) for line in a.strip().splitlines() if line.strip())
            for a in answer.answer
        ),
        answer.format or question.format,
    )


def _file_errors_as_problems(function: Callable) -> Callable:
    """A file system error anywhere in a run (a folder that cannot be read, a disk that
    fails) is a ProblemError with its one line, never an internal error."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except BrokenPipeError:
            raise
        except OSError as error:
            where = f" {quote(error.filename)}" if error.filename else ""
            raise ProblemError(
                f"cannot use the file{where}: {error.strerror or error} (nothing more was written)"
            ) from None

    return run


@_file_errors_as_problems
def grade(
    key: str | Path | Mapping | Sequence,
    answers: str | Path | Sequence[Mapping],
    out: str | Path | None = None,
    workers: int | None = None,
    answer_timeout: float = 10.0,
    scheduler: object | None = None,
    resume: bool = False,
    hide_answer: bool = False,
    progress: Callable[[int, int], None] | None = None,
    timeout: float = float("inf"),
    *,
    report: str | Path | None = None,
    gradebook: str | Path | None = None,
    feedback_dir: str | Path | None = None,
    feedback_format: str = "markdown",
    overrides: str | Path | Sequence[Mapping] | None = None,
) -> tuple[list[GradedAnswer], ClassReport]:
    """Grade every answer; returns the graded rows and the class report.

    ``out`` (``.csv`` or ``.jsonl``) receives each row as it is graded; with ``resume``
    the well-formed rows already there (for the same question and answer) are kept and
    not graded again. ``report`` (``.html`` or ``.md``), ``gradebook`` (``.csv``) and
    ``feedback_dir`` (one ``markdown`` or ``html`` file per student) are written at the
    end; ``overrides`` (a CSV ``student,question,points,comment`` or records) set the
    teacher's points. No output may be an input or another output, nor replace a file
    symgrad did not write. ``workers`` defaults to the number of local cores;
    ``scheduler`` (a ``tcp://`` Dask address or a Client) sends the work to a cluster.
    """
    start = time.monotonic()
    budget = Budget(seconds_value(timeout))
    run = _Run(
        out=_path(out, "out"),
        resume=_flag(resume, "resume"),
        hide=_flag(hide_answer, "hide_answer"),
        answer_timeout=seconds_value(answer_timeout, "answer_timeout"),
        workers=_workers(workers) if scheduler is None else 1,
        budget=budget,
    )
    if progress is not None and not callable(progress):
        raise ProblemError(f"progress={progress!r:.80} must be a function progress(done, total)")
    from symgrad.teaching.cluster import check_scheduler, probe

    check_scheduler(scheduler)
    targets = _Targets.of(report, gradebook, feedback_dir, feedback_format)
    if run.resume and run.out is None:
        raise ProblemError("resume needs the graded file to continue: give out= (--out FILE)")
    if run.out is not None:
        graded_output(run.out)
    _check_suffixes(targets.report, targets.gradebook)
    questions = load_key(key, budget)
    outputs = _outputs(run.out, targets.report, targets.gradebook, targets.feedback, questions)
    inputs = _input_files(key, answers, overrides)
    check_outputs(outputs, inputs)
    if isinstance(scheduler, str):
        probe(scheduler, budget)
    records = load_answers(answers, questions)
    teacher = _overrides(overrides, questions, records)
    files = (
        feedback_files(
            targets.feedback,
            [a.student for a in records],
            targets.feedback_format,
            [*inputs, *((o.option, o.path) for o in outputs if not o.folder)],
        )
        if targets.feedback is not None
        else {}
    )
    rows = run.grade(questions, records, scheduler, progress)
    if teacher:
        from symgrad.teaching.overrides import apply_overrides

        rows = apply_overrides(rows, teacher)
    run.finish(rows)
    result = class_report(rows, questions, len(records), time.monotonic() - start, run.hide)
    targets.write(result, files)
    return rows, result


def _input_files(key, answers, overrides) -> list[tuple[str, Path]]:
    """The run's inputs that are files (not TOML text or records), named for a message."""
    return [
        (name, Path(value))
        for name, value in (
            ("the key", key),
            ("the answers", answers),
            ("the overrides", overrides),
        )
        if isinstance(value, Path) or (isinstance(value, str) and "\n" not in value and value)
    ]


def _overrides(overrides, questions, records) -> dict:
    if overrides is None:
        return {}
    from symgrad.teaching.overrides import check_overrides, load_overrides

    teacher = load_overrides(overrides, questions)
    check_overrides(teacher, {(a.student, a.question) for a in records})
    return teacher


class _Targets:
    """The report, gradebook and feedback files asked for, written once grading is done."""

    def __init__(self, report, gradebook, feedback, feedback_format) -> None:
        self.report, self.gradebook, self.feedback = report, gradebook, feedback
        self.feedback_format = feedback_format

    @classmethod
    def of(cls, report, gradebook, feedback_dir, feedback_format) -> _Targets:
        if isinstance(feedback_format, str):
            feedback_format = feedback_format.strip().lower()  # HTML, Markdown
        if feedback_format not in FEEDBACK_FORMATS:
            raise ProblemError(f"feedback_format={feedback_format!r:.40} must be markdown or html")
        return cls(
            _path(report, "report"),
            _path(gradebook, "gradebook"),
            _path(feedback_dir, "feedback_dir"),
            feedback_format,
        )

    def write(self, report: ClassReport, files: Mapping[str, Path]) -> None:
        from symgrad.results import render
        from symgrad.teaching.files import write_atomically
        from symgrad.teaching.gradebook import gradebook_csv

        if self.report is not None:
            report.write(self.report)
        if self.gradebook is not None:
            maxima = {q.id: q.max_points for q in report.questions}
            write_atomically(self.gradebook, gradebook_csv(report.rows, maxima), "--gradebook")
        if self.feedback is not None:
            try:
                self.feedback.mkdir(exist_ok=True)
            except OSError as problem:
                raise ProblemError(
                    f"cannot create --feedback-dir {quote(self.feedback)}: "
                    f"{problem.strerror or problem}"
                ) from None
            render(report, "feedback", files, self.feedback_format)


class _Run:
    """One grading run: the graded file, the answers still to grade, the pool or cluster."""

    def __init__(self, out, resume, hide, answer_timeout, workers, budget) -> None:
        self.out, self.resume, self.hide = out, resume, hide
        self.answer_timeout, self.workers, self.budget = answer_timeout, workers, budget
        self.file = GradedFile(out)
        self.regraded = 0

    def grade(self, questions, records, scheduler, progress) -> list[GradedAnswer]:
        by_id = {q.id: q for q in questions}
        stamps = {
            (a.student, a.question): fingerprint(a, by_id[a.question], self.hide) for a in records
        }
        earlier, self.regraded = self.file.open(self.resume, by_id, stamps)
        try:
            done = _still_valid(earlier, records, stamps)
            todo = [a for a in records if (a.student, a.question) not in done]
            rows = list(done.values())
            unique = plan(todo, by_id)

            def on_done(cache_key, outcome) -> None:
                for answer in unique[cache_key]:
                    question = by_id[answer.question]
                    if "components" not in outcome:
                        outcome = outcome_of(
                            question, outcome["verdict"], outcome.get("reason", "")
                        )
                    stamp = stamps[(answer.student, answer.question)]
                    row = graded_row(answer, question, outcome, stamp)
                    rows.append(row)
                    self.file.append(row)
                if progress is not None:
                    progress(len(rows), len(records))

            tasks = _tasks(unique, by_id, self.answer_timeout, self.hide)
            self._dispatch(tasks, on_done, scheduler)
        except BaseException:
            self.file.close()
            raise
        order = {(a.student, a.question): a.row for a in records}
        rows.sort(key=lambda r: order.get((r.student, r.question), 0))
        return rows

    def _dispatch(self, tasks, on_done, scheduler) -> None:
        """Run the tasks on a Dask cluster (``scheduler``) or a local pool of killable workers."""
        if not tasks:
            return
        if scheduler is not None:
            from symgrad.teaching.cluster import run_on_cluster

            run_on_cluster(scheduler, tasks, on_done, self.answer_timeout, self.budget)
            return
        pool = _Pool(min(self.workers, len(tasks)), self.answer_timeout * 1.5 + 5)
        try:
            pool.run(tasks, on_done, self.budget)
        finally:
            pool.close()

    def finish(self, rows: Sequence[GradedAnswer]) -> None:
        try:
            self.file.finish(rows)
        finally:
            self.file.close()


def _still_valid(
    done: list[GradedAnswer], records: Sequence[Answer], stamps: Mapping[tuple, str]
) -> dict[tuple[str, str], GradedAnswer]:
    """Earlier rows graded from the same question and answer (the last one of each), with
    their answers (the graded file does not repeat them) and without earlier overrides."""
    import dataclasses

    from symgrad.teaching.scoring import without_override

    current = {(a.student, a.question): tuple(a.answer) for a in records}
    kept: dict[tuple[str, str], GradedAnswer] = {}
    for row in done:
        key = (row.student, row.question)
        if key in current and row.fingerprint and row.fingerprint == stamps[key]:
            kept[key] = without_override(dataclasses.replace(row, answer=current[key]))
    return kept


def _tasks(unique: dict, by_id: dict, answer_timeout: float, hide_answer: bool) -> list:
    """One task per distinct (question, answer, format): (cache key, payload for a worker)."""
    tasks = []
    for cache_key, group in unique.items():
        question = by_id[group[0].question]
        payload = (
            question,
            list(group[0].answer),
            group[0].format or question.format,
            answer_timeout,
            hide_answer,
        )
        tasks.append((cache_key, payload))
    return tasks


# ---------------------------------------------------------------- running many
class _Pool:
    """Forked worker processes with a hard per-answer deadline (the worker is killed past it)."""

    def __init__(self, workers: int, hard_limit: float) -> None:
        import multiprocessing

        self.context = multiprocessing.get_context("fork")
        self.hard_limit = hard_limit
        self.slots = []
        try:
            for _ in range(max(1, workers)):
                self.slots.append(self._spawn())
        except OSError as error:
            self.close()
            raise ProblemError(f"cannot start grading workers ({error})") from None

    def _spawn(self):
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child_end, os.getpid()), daemon=False)
        process.start()
        child_end.close()
        return {"process": process, "pipe": parent_end, "task": None, "started": 0.0}

    def run(self, tasks: list, on_done: Callable[[object, dict], None], budget) -> None:
        pending = list(reversed(tasks))
        while pending or any(s["task"] is not None for s in self.slots):
            for slot in self.slots:
                if slot["task"] is None and pending:
                    key, payload = pending.pop()
                    slot["pipe"].send(payload)
                    slot["task"], slot["started"] = key, time.monotonic()
            self._collect(on_done)
            if budget is not None and budget.expired():
                raise BudgetError("grading ran out of its total time budget")

    def _collect(self, on_done) -> None:
        from multiprocessing.connection import wait

        busy = [s for s in self.slots if s["task"] is not None]
        ready = wait([s["pipe"] for s in busy], timeout=0.05)
        for slot in busy:
            if slot["pipe"] in ready:
                try:
                    outcome = slot["pipe"].recv()
                except (EOFError, OSError):
                    outcome = None
                key, slot["task"] = slot["task"], None
                if outcome is None:
                    self._replace(slot)
                    outcome = {
                        "verdict": "timeout",
                        "reason": "the worker stopped (out of memory?)",
                    }
                on_done(key, outcome)
            elif time.monotonic() - slot["started"] > self.hard_limit:
                key, slot["task"] = slot["task"], None
                self._replace(slot)
                on_done(key, {"verdict": "timeout", "reason": "out of the per-answer time budget"})

    def _replace(self, slot) -> None:
        slot["process"].kill()
        slot["process"].join(1)
        slot["pipe"].close()
        fresh = self._spawn()
        slot.update(fresh)

    def close(self) -> None:
        for slot in self.slots:
            if slot["process"].is_alive():
                slot["process"].kill()
            slot["process"].join(1)


def _serve(pipe, parent: int) -> None:
    """A grading worker: answers tasks until the pipe closes; dies with its parent."""
    import signal

    from symgrad.runtime.worker import _die_with_parent

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            question, parts, fmt, timeout, hide = pipe.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = grade_answer(question, parts, fmt, timeout, hide)
        except Exception as error:  # noqa: BLE001 - one answer never stops the batch
            outcome = outcome_of(
                question,
                "unknown",
                f"internal error while grading ({type(error).__name__}: {str(error)[:120]})",
            )
        pipe.send(outcome)


def example_files() -> tuple[Path, Path]:
    """The example class shipped with symgrad: (key.toml, answers.csv)."""
    return EXAMPLE / "key.toml", EXAMPLE / "answers.csv"


__all__ = [
    "Answer",
    "Question",
    "example_files",
    "grade",
    "load_answers",
    "load_key",
    "read_graded",
]
