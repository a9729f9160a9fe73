"""The ``symgrad`` command line: parse arguments, call the library, print the result.

One module per command; :mod:`.app` holds the typer app and the entry point.
Exit codes: 0 the claim holds, 1 it fails, 2 bad input or usage, 3 unknown or
out of the time budget, 130 interrupted (Ctrl-C). With ``--json`` every
outcome, errors included, is one JSON object on stdout.
"""

import sys

from symgrad.cli import (  # noqa: F401 - each module registers its command
    check,
    collapse,
    explain,
    grad,
    grade,
    models,
    proofs,
    prove,
    serve,
    simulate,
)
from symgrad.cli.app import EXIT_INTERRUPTED, app, broken_pipe
from symgrad.cli.running import install_signal_handlers

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point: the only place symgrad installs signal handlers."""
    install_signal_handlers()
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:  # pragma: no cover - outside a command (typer's own output)
        sys.exit(broken_pipe())
