"""The typer app: usage errors as one line on stderr with exit 2, a LOSS that starts with
'-' read as maths, and ``--version``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from typing import Annotated

import typer

EXIT_HOLDS, EXIT_FAILS, EXIT_BAD_INPUT, EXIT_UNKNOWN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports when the reader went away
MESSAGE_LIMIT = 400


def one_line(message: str) -> str:
    line = " ".join(str(message).split())
    if len(line) > MESSAGE_LIMIT:
        line = line[: MESSAGE_LIMIT - 3] + "..."
    return line


class _OneLineErrors(typer.core.TyperGroup):
    """Usage errors as one line on stderr with exit code 2 (never a multi-line panel).

    Click's exceptions are recognised by their interface, since typer uses its
    own vendored copy of click.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in args
        _plain_help(self)
        try:
            code = super().main(
                args=_maths_after_dashes(self, args),
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except KeyboardInterrupt:
            code = report_error(
                "stopped by Ctrl-C (SIGINT)", as_json, EXIT_INTERRUPTED, "interrupted"
            )
        except BrokenPipeError:
            code = broken_pipe()
        except SystemExit as stop:
            if not _stopped_by_broken_pipe(stop):
                raise
            code = broken_pipe()  # click or rich met a broken pipe (--help) and exit 1
        except Exception as error:  # noqa: BLE001 - click's usage errors, see below
            kind = type(error).__name__
            if kind == "Abort":
                code = report_error(
                    "stopped by Ctrl-C (SIGINT)", as_json, EXIT_INTERRUPTED, "interrupted"
                )
            elif kind == "NoArgsIsHelpError" and getattr(error, "ctx", None) is not None:
                typer.echo(error.ctx.get_help(), err=True)
                code = EXIT_BAD_INPUT
            elif hasattr(error, "format_message") and hasattr(error, "exit_code"):
                code = report_error(_usage_message(error), as_json, EXIT_BAD_INPUT, "usage")
            elif kind == "Exit":
                code = getattr(error, "exit_code", 0)
            else:
                raise
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def broken_pipe() -> int:
    """The reader of stdout went away (``symgrad ... | head -1``): stop quietly, exit 141.

    stdout is pointed at the null device so that Python's last flush cannot complain."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _stopped_by_broken_pipe(stop: SystemExit) -> bool:
    """Rich and click end with exit 1 when stdout's reader went away while they printed."""
    pacified = type(sys.stdout).__name__.endswith("PacifyFlushWrapper")
    return stop.code == 1 and (pacified or isinstance(stop.__context__, BrokenPipeError))


def _plain_help(group) -> None:
    """Help that reads right: flags without a ``<bool>`` type, brackets shown literally
    (``symgrad[dask]``: rich would read them as markup), paragraphs wrapped to the terminal."""
    from typer._click.core import Context

    for command in [group, *group.commands.values()]:
        if getattr(command, "_help_made_plain", False):
            continue
        command._help_made_plain = True
        command.help = _plain_text(command.help)
        context = Context(command, help_option_names=["-h", "--help"])
        for param in [*command.params, command.get_help_option(context)]:
            if param is None:
                continue
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
            param.help = _plain_text(getattr(param, "help", None))


def _plain_text(text: str | None) -> str | None:
    """Paragraphs joined into single lines (rich keeps every line break), markup escaped."""
    if not text:
        return text
    from rich.markup import escape

    paragraphs = [" ".join(line.strip() for line in p.splitlines()) for p in text.split("\n\n")]
    return _no_emoji(escape("\n\n".join(p for p in paragraphs if p)))


def _no_emoji(markup: str) -> str:
    """Colons kept literal: rich turns ``:factory:`` (as in ``FILE.py:FACTORY:``) into an
    emoji. Each colon goes in its own (unstyled) markup span, so no text span holds two."""
    from rich._emoji_replace import _emoji_replace

    if _emoji_replace(markup) == markup:
        return markup
    return re.sub(r"(?<!\\):", "[not bold]:[/not bold]", markup)


def report_error(message: str, as_json: bool, code: int, kind: str) -> int:
    """One line on stderr (``symgrad: error: ...``; the JSON keeps the error's class as
    ``kind``), and with ``--json`` the object ``{"error", "kind", "exit"}`` on stdout."""
    line = one_line(message)
    label = "error" if kind.endswith("Error") else kind
    typer.echo(f"symgrad: {label}: {line}", err=True)
    if as_json:
        typer.echo(json.dumps({"error": line, "kind": kind, "exit": code}))
    return code


def _usage_message(error: Exception) -> str:
    message = error.format_message()
    context = getattr(error, "ctx", None)
    if context is not None and context.command_path:
        return message + f" (see '{context.command_path} --help')"
    return message


def _maths_after_dashes(group, args: list[str]) -> list[str]:
    """Move a LOSS that starts with '-' (``-y*log(p)``) behind ``--``, so it is read as maths.

    A token ``--word`` is always an option (an unknown one is reported as such); a token
    with a single dash is maths unless it is one of the command's short options (``-q``).
    """
    if not args or args[0] not in group.commands:
        return args
    command = group.commands[args[0]]
    takes_value, flags = set(), set()
    for param in command.params:
        names = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
        if not any(n.startswith("-") for n in names):
            continue
        (flags if getattr(param, "is_flag", False) else takes_value).update(names)
    flags.update({"--help", "-h"})
    if args[1:2] == ["-h"] and len(args) > 2 and any(p.name == "loss" for p in command.params):
        flags.discard("-h")  # `check -h --wrt h ...` is the loss -h, not a request for help
    kept, moved = [args[0]], []
    rest = args[1:]
    # only a LOSS may start with a dash: a command without one takes '-Q' as an option
    slots = sum(p.name == "loss" for p in command.params)
    given = 0  # positional arguments seen so far (the LOSS, the answers file)
    index = 0
    while index < len(rest):
        token = rest[index]
        if token == "--":
            kept.extend(rest[index:])
            break
        name = token.split("=", 1)[0]
        if name in takes_value:
            kept.append(token)
            if "=" not in token and index + 1 < len(rest):
                kept.append(rest[index + 1])
                index += 1
        elif name in flags or not token.startswith("-") or token == "-" or _long_option(name):
            kept.append(token)  # an unknown --word is left to click: "No such option"
            given += not token.startswith("-")
        elif _short_flags(token, flags):
            kept.append(token)  # an unknown --word is left to click: "No such option"
        elif re.fullmatch(r"-[A-Za-z]", token) and given + len(moved) >= slots:
            kept.append(token)  # no room for maths: '-Q' is an option, "No such option: -Q"
        else:
            moved.append(token)
        index += 1
    for token in [t for t in moved if re.fullmatch(r"-[A-Za-z]", t)]:
        if given + len(moved) <= slots:
            break
        moved.remove(token)  # the LOSS came later: '-Q' before it is an option
        kept.append(token)
    if not moved:
        return kept
    if "--" in kept:
        position = kept.index("--")
        return kept[: position + 1] + moved + kept[position + 1 :]
    return kept + ["--", *moved]


ROOT_HELP = """Exact verdicts on whether parameters that start equal stay equal under gradient
descent, and checks of hand-derived derivatives.

Start with: symgrad prove "w0*x0 + w1*x1" --tie w0=w1

Each answer opens with one sentence in plain words; -q prints the verdict line only, -v
everything (the certificate and its independent re-check). 'symgrad explain TERM' says
what a term means (tied subspace, measure zero, witness, certificate, ...).

Exit codes: 0 the claim holds, 1 it fails (a refutation is a successful answer), 2 bad
input, 3 unknown or out of time."""


def _short_flags(token: str, flags: set[str]) -> bool:
    """``-qv``: short flags written together, each one of the command's."""
    letters = token[1:]
    return len(letters) > 1 and letters.isalpha() and all(f"-{c}" in flags for c in letters)


def _long_option(name: str) -> bool:
    """``--word`` (letters, digits, dashes) is an option, never maths."""
    word = name[2:]
    return name.startswith("--") and word[:1].isalpha() and word.replace("-", "").isalnum()


def _version(value: bool) -> None:
    if value:
        from symgrad import __version__

        typer.echo(f"symgrad {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="symgrad",
    help=ROOT_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Exact verdicts on whether parameters that start equal stay equal under gradient descent."""
