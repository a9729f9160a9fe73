"""``symgrad grad``: exact gradients."""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_HOLDS,
    app,
)
from symgrad.cli.options import (
    Format,
    FormatOption,
    FunctionOption,
    JsonOption,
    QuietOption,
    TimeoutOption,
    TimingOption,
    VerboseOption,
    split_list,
)
from symgrad.cli.running import level_of, print_result, run_command


@app.command()
def grad(
    loss: Annotated[str, typer.Argument(help="The loss expression.")],
    wrt: Annotated[str, typer.Option(help="Comma list of parameters, e.g. w0,w1.")],
    at: Annotated[str | None, typer.Option(help="Exact point, e.g. w0=0,x0=1/2.")] = None,
    function: FunctionOption = None,
    latex: Annotated[bool, typer.Option("--latex", help="Same as --format latex.")] = False,
    latex_input: Annotated[
        bool, typer.Option("--latex-input", help="The LOSS is written in LaTeX.")
    ] = False,
    timeout: TimeoutOption = 60.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Exact gradients of LOSS, optionally evaluated exactly at a point.

    Example:

      symgrad grad "(y - w*x)**2" --wrt w --at w=0,x=1,y=2
    """
    from symgrad.ties.gradient import gradient_report

    def work() -> int:
        report = gradient_report(
            loss, wrt, at=at, functions=split_list(function), latex=latex_input
        )
        print_result(
            report, Format.latex if latex else fmt, as_json, not no_timing, level_of(quiet, verbose)
        )
        return EXIT_HOLDS

    run_command(as_json, timeout, work)
