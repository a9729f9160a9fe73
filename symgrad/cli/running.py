"""Running a command: the time budget, errors as one line and an exit code, printing a result, progress."""

from __future__ import annotations

import contextlib
import json
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


@dataclass(frozen=True)
class Output:
    """How a command prints its result: ``--format``, ``--json`` and ``--no-timing``."""

    fmt: Format = Format.text
    as_json: bool = False
    timing: bool = True

    @classmethod
    def of(cls, arguments) -> Output:
        """The output options among a command's arguments."""
        return cls(arguments.fmt, arguments.as_json, not arguments.no_timing)

    def show(self, result) -> int:
        """Print ``result``; the exit code of its verdict."""
        print_result(result, self.fmt, self.as_json, self.timing)
        return VERDICT_EXIT.get(getattr(result, "verdict", None), EXIT_UNKNOWN)


def print_result(result, fmt: Format, as_json: bool, timing: bool = True) -> None:
    from symgrad.results import render

    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif fmt is Format.markdown:
        typer.echo(result.to_markdown())
    elif fmt is Format.latex:
        typer.echo(result.to_latex())
    else:
        typer.echo(render(result, "text", timing))


@contextlib.contextmanager
def progress_bar(total: int, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr for long runs (rich comes with typer)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("gradient descent", total=total)
        yield lambda step: progress.update(task, completed=step)


@contextlib.contextmanager
def counter(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr while grading, when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("grading", total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)
