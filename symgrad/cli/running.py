"""Running a command: the time budget, errors as one line and an exit code, printing a result, progress."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import typer

from symgrad.cli.app import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_UNKNOWN,
    broken_pipe,
    report_error,
)
from symgrad.cli.options import VERDICT_EXIT, Format
from symgrad.errors import BudgetError, SymgradError
from symgrad.runtime.budget import Budget, binding


@contextlib.contextmanager
def _backstop(seconds: float) -> Iterator[None]:
    """A last-resort alarm well after the budget: the library's budgets bind on their own.

    Armed only when symgrad runs as a program (never inside a host process such as
    pytest's ``CliRunner`` or a notebook, whose own signal handling it would disturb).
    """
    if not _AS_PROGRAM or not hasattr(signal, "SIGALRM") or seconds >= 1e6:
        yield
        return

    def expire(signum, frame):  # noqa: ARG001
        raise BudgetError(f"out of the time budget of {seconds:g} s (raise it with --timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds * 1.5 + 5, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _terminate(signum, frame):  # noqa: ARG001
    raise SystemExit(128 + signum)


_AS_PROGRAM = False


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP end the program with exit 128 + signal (workers are cleaned up on
    the way out), and the SIGALRM backstop is armed. Called only by the entry point."""
    global _AS_PROGRAM
    _AS_PROGRAM = True
    signal.signal(signal.SIGTERM, _terminate)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _terminate)


def run_command(as_json: bool, seconds: float, work: Callable[[], int]) -> None:
    """Run ``work``, mapping errors to one-line messages (and JSON) and exit codes."""
    try:
        with _backstop(seconds), binding(Budget(seconds)):
            code = work()
    except typer.Exit:
        raise
    except BudgetError as error:
        code = report_error(error.one_line(), as_json, EXIT_UNKNOWN, "unknown")
        if not as_json:  # the answer is a verdict, unknown: say it where answers go
            echo_text(out_of_budget_line(error.one_line()))
    except SymgradError as error:
        code = report_error(error.one_line(), as_json, EXIT_BAD_INPUT, type(error).__name__)
    except RecursionError:
        code = report_error(
            "expression too deeply nested to process", as_json, EXIT_BAD_INPUT, "error"
        )
    except MemoryError:
        code = report_error("out of memory", as_json, EXIT_UNKNOWN, "unknown")
    except KeyboardInterrupt:
        code = report_error("stopped by Ctrl-C (SIGINT)", as_json, EXIT_INTERRUPTED, "interrupted")
    except BrokenPipeError:
        code = broken_pipe()
    except Exception as error:  # noqa: BLE001 - never show a traceback to users
        code = report_error(
            f"internal error ({type(error).__name__}: {error}); please report it",
            as_json,
            EXIT_UNKNOWN,
            "internal",
        )
    raise typer.Exit(code)


def out_of_budget_line(reason: str) -> str:
    """The verdict line of a run stopped by its time budget (at every level of detail)."""
    reason = reason.replace(" or timeout=)", ")").rstrip(".")  # the Python keyword: not here
    return f"UNKNOWN: not decided within the time budget: {reason}."


@dataclass(frozen=True)
class Output:
    """How a command prints its result: ``--format``, ``--json``, ``--no-timing`` and the
    level of detail (``-q`` quiet, normal, ``-v`` verbose)."""

    fmt: Format = Format.text
    as_json: bool = False
    timing: bool = True
    level: str = "normal"

    @classmethod
    def of(cls, arguments) -> Output:
        """The output options among a command's arguments."""
        values = vars(arguments)
        return cls(
            arguments.fmt,
            arguments.as_json,
            not arguments.no_timing,
            level_of(values.get("quiet", False), values.get("verbose", False)),
        )

    def show(self, result) -> int:
        """Print ``result``; the exit code of its verdict."""
        print_result(result, self.fmt, self.as_json, self.timing, self.level)
        return VERDICT_EXIT.get(getattr(result, "verdict", None), EXIT_UNKNOWN)


def level_of(quiet: bool, verbose: bool) -> str:
    """``quiet``, ``normal`` or ``verbose`` from the ``-q``/``-v`` flags (not both)."""
    if quiet and verbose:
        raise SymgradError("give -q/--quiet or -v/--verbose, not both")
    return "quiet" if quiet else "verbose" if verbose else "normal"


def print_result(
    result, fmt: Format, as_json: bool, timing: bool = True, level: str = "verbose"
) -> None:
    """``--json`` (one object), ``--format markdown|latex`` (whole documents) or text at
    ``level``, its verdict word coloured on a terminal."""
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif fmt is Format.markdown:
        typer.echo(result.to_markdown())
    elif fmt is Format.latex:
        typer.echo(result.to_latex())
    else:
        from symgrad.render.levels import text_at

        echo_text(text_at(result, level, timing))


def echo_text(text: str) -> None:
    """Print text on stdout, its verdict words coloured when stdout is a colour terminal."""
    if wants_colour(sys.stdout):
        typer.echo(coloured(text), color=True)  # click would strip the colour off a pipe
    else:
        typer.echo(text)


_COLOURS = {
    "PROVEN": "32",
    "CORRECT": "32",
    "REFUTED": "31",
    "INCORRECT": "31",
    "UNKNOWN": "33",
}


def wants_colour(stream) -> bool:
    """Colour on a terminal unless ``NO_COLOR`` is set; ``FORCE_COLOR`` forces it
    (https://no-color.org, https://force-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def coloured(text: str) -> str:
    """Each line that starts with a verdict word, that word in bold colour (ANSI)."""
    lines = []
    for line in text.split("\n"):
        word = line.split(":", 1)[0].split(" ", 1)[0]
        if word in _COLOURS:
            line = f"\x1b[1;{_COLOURS[word]}m{word}\x1b[0m{line[len(word) :]}"
        lines.append(line)
    return "\n".join(lines)


def shows_progress(quiet: bool) -> bool:
    """Progress goes to stderr only when it is a terminal, never with ``--json`` or ``-q``."""
    return not quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


@contextlib.contextmanager
def _progress(quiet: bool, label: str, total: int | None):
    if not shows_progress(quiet):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    console = Console(stderr=True, highlight=False)
    with Progress(
        *columns, console=console, transient=True, redirect_stdout=False, redirect_stderr=False
    ) as progress:
        yield progress, progress.add_task(label, total=total)


@contextlib.contextmanager
def progress_bar(
    total: int, quiet: bool, label: str = "gradient descent"
) -> Iterator[Callable[..., None] | None]:
    """A progress bar on stderr for ``total`` steps: ``advance(done)`` or
    ``advance(done, label)``; None when no progress is shown."""
    with _progress(quiet, label, total) as shown:
        if shown is None:
            yield None
            return
        progress, task = shown

        def advance(done: int, what: str | None = None) -> None:
            progress.update(task, completed=done, **({"description": what} if what else {}))

        yield advance


@contextlib.contextmanager
def counter(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr while grading, when stderr is a terminal."""
    with _progress(quiet, "grading", None) as shown:
        if shown is None:
            yield None
            return
        progress, task = shown
        yield lambda done, total: progress.update(task, completed=done, total=total)


@contextlib.contextmanager
def spinner(label: str, quiet: bool, delay: float = 1.0) -> Iterator[None]:
    """A spinner with the elapsed time on stderr while ``label`` runs, shown only on a
    terminal and only once the work has taken ``delay`` seconds (quick answers stay clean)."""
    if not shows_progress(quiet):
        yield
        return
    import threading

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()]
    progress = Progress(
        *columns,
        console=Console(stderr=True),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    progress.add_task(label, total=None)
    lock, state = threading.Lock(), {"done": False}

    def start() -> None:
        with lock:  # never start once the work is done (the answer may be printing)
            if not state["done"]:
                progress.start()

    timer = threading.Timer(delay, start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            progress.stop()
