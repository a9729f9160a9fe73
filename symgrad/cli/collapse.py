"""``symgrad collapse``: which parameters stay glued together."""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_HOLDS,
    EXIT_UNKNOWN,
    app,
)
from symgrad.cli.options import (
    ActivationOption,
    BiasOption,
    Format,
    FormatOption,
    HiddenOption,
    InputShapeOption,
    InputsOption,
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
    torch_conflicts,
)
from symgrad.cli.running import print_result, run
from symgrad.errors import SymgradError


@app.command()
def collapse(
    model: Annotated[str | None, typer.Option(help="Model preset (see 'symgrad models').")] = None,
    init: Annotated[
        str | None,
        typer.Option(
            help="identical | zero | constant | w=0,... | ties a=b;c=d (presets; default "
            "identical); from-model | zero | constant | identical for --torch (default from-model)."
        ),
    ] = None,
    torch_model: TorchOption = None,
    input_shape: InputShapeOption = None,
    target_shape: TargetShapeOption = None,
    inputs: InputsOption = None,
    hidden: HiddenOption = None,
    outputs: OutputsOption = None,
    activation: ActivationOption = None,
    output_activation: OutputActivationOption = None,
    bias: BiasOption = None,
    loss_kind: LossOption = None,
    samples: Annotated[str | None, typer.Option(help="Number of symbolic samples n.")] = None,
    dataset: Annotated[str | None, typer.Option(help="CSV file whose header names data.")] = None,
    mode: Annotated[Mode, typer.Option(help="sgd or full-batch.")] = Mode.sgd,
    steps: StepsOption = 6,
    timeout: TimeoutOption = 60.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Which parameters stay glued together forever from this init? (effective width)

    Example:

      symgrad collapse --model two-layer --inputs 3 --hidden 8 --activation tanh --init identical

      symgrad collapse --torch net.py:make_model --input-shape 1,784
    """
    from symgrad.ties.collapse import collapse as api
    from symgrad.ties.models import build

    def work() -> int:
        if torch_model is not None:
            torch_conflicts(
                model=model,
                dataset=dataset,
                inputs=inputs,
                hidden=hidden,
                samples=samples,
                activation=activation,
            )
            subject = torch_model(torch_model, input_shape, target_shape, loss_kind)
            result = api(subject, init=init, steps=min(steps, 3), timeout=timeout)
            print_result(result, fmt, as_json, not no_timing)
            return EXIT_HOLDS if result.verdict == "proven" else EXIT_UNKNOWN
        if model is None:
            raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
        data_rows = read_dataset(dataset)
        options = model_options(
            inputs=inputs,
            hidden=hidden,
            outputs=outputs,
            activation=activation,
            output_activation=output_activation,
            bias=bias,
            loss=loss_kind,
            samples=samples,
        )
        result = api(
            build(model, **options),
            init=init or "identical",
            dataset=data_rows,
            mode=mode.value,
            timeout=timeout,
            steps=steps,
        )
        print_result(result, fmt, as_json, not no_timing)
        return EXIT_HOLDS if result.verdict == "proven" else EXIT_UNKNOWN

    run(as_json, timeout, work)
