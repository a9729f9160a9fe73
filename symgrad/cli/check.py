"""``symgrad check``: is a hand-derived derivative right?"""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import (
    app,
)
from symgrad.cli.options import (
    LOSS_LIKE_AN_OPTION,
    Arguments,
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
from symgrad.cli.running import Output, run_command
from symgrad.errors import ProblemError

LossArgument = Annotated[
    str | None, typer.Argument(help="The loss expression (a leading '-' is fine).")
]

WrtOption = Annotated[
    str | None, typer.Option(help="Parameter(s), comma separated, e.g. w or w0,w1.")
]

ClaimOption = Annotated[
    list[str] | None,
    typer.Option("--claim", help="Claimed derivative; repeat for each --wrt."),
]

DerivationOption = Annotated[
    str | None,
    typer.Option(
        "--derivation",
        help="Check a derivation line by line: a file (text or LaTeX align), or - for stdin.",
    ),
]

AssumeOption = Annotated[
    list[str] | None, typer.Option("--assume", help="Condition such as 'x>0'.")
]

StepsOption = Annotated[bool, typer.Option("--steps", help="Show the derivation step by step.")]

LatexInputOption = Annotated[
    bool, typer.Option("--latex", help="LOSS and claims are written in LaTeX.")
]

HideAnswerOption = Annotated[
    bool, typer.Option("--hide-answer", help="Diagnose without printing the true derivative.")
]

HintOption = Annotated[
    bool,
    typer.Option("--hint", help="Name the mistake as a hint, without the true derivative."),
]

LetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--let", help="Define a name the claim uses, e.g. 'p = sigmoid(w*x + b)'; repeatable."
    ),
]

ShapeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--shape", help="NAME=ROWS[,COLS], e.g. X=n,k or w=k: a matrix claim, every size."
    ),
]

UpToFactorOption = Annotated[
    bool, typer.Option("--up-to-factor", help="Accept a positive constant factor (∝).")
]


@app.command()
def check(
    loss: LossArgument = None,
    wrt: WrtOption = None,
    claim: ClaimOption = None,
    derivation: DerivationOption = None,
    assume: AssumeOption = None,
    function: FunctionOption = None,
    steps: StepsOption = False,
    latex_input: LatexInputOption = False,
    hide_answer: HideAnswerOption = False,
    hint: HintOption = False,
    let: LetOption = None,
    shape: ShapeOption = None,
    up_to_factor: UpToFactorOption = False,
    timeout: TimeoutOption = 60.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Check a hand-derived derivative: correct, incorrect (with a witness and a diagnosis).

    Examples:

      symgrad check "(y - w x)^2" --wrt w --claim "-2x(y - w x)"

      symgrad check "(y - w*x)**2" --wrt w --claim "2*x*(y - w*x)"

      symgrad check '\\sigma(z)' --wrt z --claim '\\sigma(z)(1 - \\sigma(z))' --latex

      symgrad check "(sigmoid(w*x + b) - y)^2/2" --wrt w --claim "(p - y) p (1 - p) x" --let "p = sigmoid(w*x + b)"

      symgrad check "norm(X@w - y)**2" --wrt w --claim "2*X.T@(X@w - y)" --shape X=n,k --shape w=k --shape y=n
    """
    arguments = Arguments(**locals())

    def work() -> int:
        derivation = None
        if arguments.derivation is None and not (loss and wrt and claim):
            raise ProblemError(
                "check needs LOSS, --wrt and --claim (or --derivation FILE)" + LOSS_LIKE_AN_OPTION
            )
        if arguments.derivation is not None:
            from symgrad.teaching.line_by_line import load_derivation

            derivation = load_derivation(arguments.derivation)
        return Output.of(arguments).show(check_result(arguments, derivation))

    run_command(as_json, timeout, work)


def check_result(a: Arguments, derivation: str | None = None):
    """The verdict on a claimed derivative (or, with ``derivation`` text, on each line of a
    derivation), as ``symgrad check`` (and ``POST /api/check``) asks for it."""
    if derivation is not None:
        return _check_derivation(a, derivation)
    if a.loss is None or a.wrt is None or not a.claim:
        raise ProblemError(
            "check needs LOSS, --wrt and --claim (or --derivation FILE)" + LOSS_LIKE_AN_OPTION
        )
    from symgrad.teaching.check import check as api

    result = api(
        a.loss,
        a.wrt,
        a.claim,
        assume=a.assume or None,
        functions=split_list(a.function),
        steps=a.steps,
        latex_input=a.latex_input,
        timeout=a.timeout,
        hide_answer=a.hide_answer,
        shapes=a.shape or None,
        up_to_factor=a.up_to_factor,
        let=a.let or None,
        hint=a.hint,
    )
    return result


def _check_derivation(a: Arguments, derivation: str):
    from symgrad.teaching.line_by_line import check_derivation

    if a.wrt is not None or a.claim:
        raise ProblemError("--derivation carries its own claims: leave out --wrt and --claim")
    return check_derivation(
        derivation,
        loss=a.loss,
        shapes=a.shape or None,
        functions=split_list(a.function),
        latex_input=True if a.latex_input else None,
        timeout=a.timeout,
        let=a.let or None,
        assume=a.assume or None,
        hint=a.hint or a.hide_answer,
    )
