"""``symgrad check``: is a hand-derived derivative right?"""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import (
    app,
)
from symgrad.cli.options import (
    VERDICT_EXIT,
    Format,
    FormatOption,
    FunctionOption,
    JsonOption,
    TimeoutOption,
    TimingOption,
    split_list,
)
from symgrad.cli.running import print_result, run
from symgrad.errors import ProblemError


@app.command()
def check(
    loss: Annotated[
        str | None, typer.Argument(help="The loss expression (a leading '-' is fine).")
    ] = None,
    wrt: Annotated[
        str | None, typer.Option(help="Parameter(s), comma separated, e.g. w or w0,w1.")
    ] = None,
    claim: Annotated[
        list[str] | None,
        typer.Option("--claim", help="Claimed derivative; repeat for each --wrt."),
    ] = None,
    derivation: Annotated[
        str | None,
        typer.Option(
            "--derivation",
            help="Check a derivation line by line: a file (text or LaTeX align), or - for stdin.",
        ),
    ] = None,
    assume: Annotated[
        list[str] | None, typer.Option("--assume", help="Condition such as 'x>0'.")
    ] = None,
    function: FunctionOption = None,
    steps: Annotated[
        bool, typer.Option("--steps", help="Show the derivation step by step.")
    ] = False,
    latex_input: Annotated[
        bool, typer.Option("--latex", help="LOSS and claims are written in LaTeX.")
    ] = False,
    hide_answer: Annotated[
        bool, typer.Option("--hide-answer", help="Diagnose without printing the true derivative.")
    ] = False,
    shape: Annotated[
        list[str] | None,
        typer.Option(
            "--shape", help="NAME=ROWS[,COLS], e.g. X=n,k or w=k: a matrix claim, every size."
        ),
    ] = None,
    up_to_factor: Annotated[
        bool, typer.Option("--up-to-factor", help="Accept a positive constant factor (∝).")
    ] = False,
    timeout: TimeoutOption = 60.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Check a hand-derived derivative: correct, incorrect (with a witness and a diagnosis).

    Examples:

      symgrad check "(y - w x)^2" --wrt w --claim "-2x(y - w x)"

      symgrad check "(y - w*x)**2" --wrt w --claim "2*x*(y - w*x)"

      symgrad check '\\sigma(z)' --wrt z --claim '\\sigma(z)(1 - \\sigma(z))' --latex

      symgrad check "norm(X@w - y)**2" --wrt w --claim "2*X.T@(X@w - y)" --shape X=n,k --shape w=k --shape y=n
    """
    from symgrad.teaching.check import check as api

    def work() -> int:
        if derivation is not None:
            return _check_derivation(
                derivation,
                loss,
                shape,
                function,
                latex_input,
                timeout,
                fmt,
                as_json,
                not no_timing,
                wrt,
                claim,
            )
        if loss is None or wrt is None or not claim:
            raise ProblemError("check needs LOSS, --wrt and --claim (or --derivation FILE)")
        result = api(
            loss,
            wrt,
            claim,
            assume=assume or None,
            functions=split_list(function),
            steps=steps,
            latex_input=latex_input,
            timeout=timeout,
            hide_answer=hide_answer,
            shapes=shape or None,
            up_to_factor=up_to_factor,
        )
        print_result(result, fmt, as_json, not no_timing)
        return VERDICT_EXIT[result.verdict]

    run(as_json, timeout, work)


def _check_derivation(
    path, loss, shape, function, latex_input, timeout, fmt, as_json, timing, wrt, claim
) -> int:
    from symgrad.teaching.line_by_line import check_derivation, load_derivation

    if wrt is not None or claim:
        raise ProblemError("--derivation carries its own claims: leave out --wrt and --claim")
    result = check_derivation(
        load_derivation(path),
        loss=loss,
        shapes=shape or None,
        functions=split_list(function),
        latex_input=True if latex_input else None,
        timeout=timeout,
    )
    print_result(result, fmt, as_json, timing)
    return VERDICT_EXIT[result.verdict]
