"""``symgrad prove``: does the tie persist?"""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import (
    app,
)
from symgrad.cli.options import (
    VERDICT_EXIT,
    ActivationOption,
    BiasOption,
    Format,
    FormatOption,
    FunctionOption,
    InputShapeOption,
    JsonOption,
    LossOption,
    Mode,
    OutputActivationOption,
    OutputsOption,
    StepsOption,
    TargetShapeOption,
    TimeoutOption,
    TimingOption,
    TorchOption,
    model_options,
    read_dataset,
    split_list,
    torch_conflicts,
)
from symgrad.cli.running import print_result, run
from symgrad.errors import SymgradError


@app.command()
def prove(
    loss: Annotated[str | None, typer.Argument(help="The loss, e.g. 'w0*x0 + w1*x1'.")] = None,
    tie: Annotated[
        list[str] | None, typer.Option("--tie", help="Tie group, e.g. w0=w1 or a=b=c.")
    ] = None,
    params: Annotated[str | None, typer.Option(help="Comma list of parameter names.")] = None,
    init: Annotated[
        str | None,
        typer.Option(help="w0=0,w1=0 | zero | constant | identical (models) | ties a=b;c=d."),
    ] = None,
    assume: Annotated[
        list[str] | None, typer.Option("--assume", help="Condition on the data: x0=x1, x>0.")
    ] = None,
    function: FunctionOption = None,
    dataset: Annotated[
        str | None, typer.Option(help="CSV file whose header names data symbols.")
    ] = None,
    mode: Annotated[Mode, typer.Option(help="sgd: every sample; full-batch: summed.")] = Mode.sgd,
    model: Annotated[str | None, typer.Option(help="Model preset (see 'symgrad models').")] = None,
    inputs: Annotated[
        str | None, typer.Option(help="Model inputs: a number, or a name such as k for all k.")
    ] = None,
    hidden: Annotated[
        str | None, typer.Option(help="Hidden width(s): 3, 8,8, or names such as d.")
    ] = None,
    outputs: OutputsOption = None,
    activation: ActivationOption = None,
    output_activation: OutputActivationOption = None,
    bias: BiasOption = None,
    loss_kind: LossOption = None,
    samples: Annotated[
        str | None, typer.Option(help="Number of samples: a number, or a name such as n.")
    ] = None,
    rows: Annotated[int | None, typer.Option(help="Rows of the rows model.")] = None,
    dimension: Annotated[int | None, typer.Option(help="Row dimension of the rows model.")] = None,
    latex_input: Annotated[
        bool, typer.Option("--latex-input", help="The LOSS is written in LaTeX.")
    ] = False,
    torch_model: TorchOption = None,
    input_shape: InputShapeOption = None,
    target_shape: TargetShapeOption = None,
    steps: StepsOption = 6,
    timeout: TimeoutOption = 60.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Prove or refute that tied parameters stay equal under gradient descent.

    Examples:

      symgrad prove "w0*x0 + w1*x1" --tie w0=w1

      symgrad prove "w0*x0 + w1*x1" --tie w0=w1 --assume "x0=x1"

      symgrad prove --model two-layer --inputs 2 --hidden 3 --activation identity --init identical

      symgrad prove --torch net.py:make_model --input-shape 1,784
    """
    from symgrad import prove as api

    def work() -> int:
        if torch_model is not None:
            torch_conflicts(
                loss=loss,
                model=model,
                assume=assume,
                dataset=dataset,
                function=function,
                params=params,
                inputs=inputs,
                hidden=hidden,
                samples=samples,
            )
            subject = torch_model(torch_model, input_shape, target_shape, loss_kind)
            result = api(subject, ties=tie or None, init=init, steps=min(steps, 3), timeout=timeout)
            print_result(result, fmt, as_json, not no_timing)
            return VERDICT_EXIT[result.verdict]
        data_rows = read_dataset(dataset)
        if model is not None:
            if loss is not None:
                raise SymgradError("give either a LOSS or --model, not both")
            from symgrad.ties.models import build
            from symgrad.ties.parametric import is_symbolic, prove_parametric

            if is_symbolic(inputs, hidden, samples):
                parametric = prove_parametric(
                    model,
                    init=init or "identical",
                    **model_options(
                        inputs=inputs,
                        hidden=hidden,
                        samples=samples,
                        outputs=outputs,
                        activation=activation,
                        output_activation=output_activation,
                        bias=bias,
                        loss=loss_kind,
                    ),
                    timeout=timeout,
                )
                print_result(parametric, fmt, as_json, not no_timing)
                return VERDICT_EXIT[parametric.verdict]
            options = model_options(
                inputs=inputs,
                hidden=hidden,
                outputs=outputs,
                activation=activation,
                output_activation=output_activation,
                bias=bias,
                loss=loss_kind,
                samples=samples,
                rows=rows,
                dimension=dimension,
            )
            subject = build(model, **options)
        else:
            if loss is None:
                raise SymgradError("missing LOSS: give a loss expression or --model NAME")
            given = [
                name
                for name, value in (
                    ("--inputs", inputs),
                    ("--hidden", hidden),
                    ("--outputs", outputs),
                    ("--activation", activation),
                    ("--loss", loss_kind),
                    ("--samples", samples),
                )
                if value is not None
            ]
            if given:
                raise SymgradError(f"{', '.join(given)} only apply with --model")
            subject = loss
        result = api(
            subject,
            ties=tie or None,
            params=params,
            init=init,
            assume=assume or None,
            dataset=data_rows,
            mode=mode.value,
            functions=split_list(function),
            timeout=timeout,
            steps=steps,
            latex=latex_input,
        )
        print_result(result, fmt, as_json, not no_timing)
        return VERDICT_EXIT[result.verdict]

    run(as_json, timeout, work)
