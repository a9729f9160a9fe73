"""A reader that goes away (``symgrad ... | head -1``): every command stops quietly with
exit 141 (128 + SIGPIPE, as a shell reports it), never an "internal error" or a traceback.

Each case runs symgrad in a subprocess whose stdout pipe is closed before it prints
(symgrad takes far longer to import than the close takes).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from symgrad.cli.app import EXIT_BROKEN_PIPE


def _into_a_closed_pipe(*args: str, cwd=None) -> tuple[int, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "symgrad", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    process.stdout.close()
    error = process.stderr.read().decode()
    process.wait(timeout=120)
    return process.returncode, error


def test_help_into_a_closed_pipe_is_quiet():
    code, error = _into_a_closed_pipe("--help")
    assert (code, error) == (EXIT_BROKEN_PIPE, "")


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["grade", "--help"],
        ["models"],
        ["grad", "(y - w*x)^2", "--wrt", "w"],
        ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "-2x(y - w x)"],
        ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "-2x(y - w x)", "--json"],
        ["grade", "--example", "--workers", "2"],
        ["grade", "--example", "--workers", "2", "--json"],
    ],
    ids=lambda args: " ".join(args),
)
def test_every_command_into_a_closed_pipe_is_quiet(args, tmp_path):
    code, error = _into_a_closed_pipe(*args, cwd=tmp_path)
    assert (code, error) == (EXIT_BROKEN_PIPE, ""), error[-500:]


@pytest.mark.slow
def test_an_error_into_a_closed_pipe_keeps_its_line_on_stderr():
    code, error = _into_a_closed_pipe("check", "--json")
    assert code == EXIT_BROKEN_PIPE and "internal" not in error and "Traceback" not in error
    assert len(error.strip().splitlines()) == 1
