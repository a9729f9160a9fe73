"""``symgrad simulate``: gradient descent from the init, tracked."""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_HOLDS,
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
    OutputActivationOption,
    OutputsOption,
    TargetShapeOption,
    TimeoutOption,
    TimingOption,
    TorchOption,
    model_options,
    read_dataset,
    torch_conflicts,
)
from symgrad.cli.running import print_result, progress_bar, run
from symgrad.errors import SymgradError


@app.command()
def simulate(
    model: Annotated[str | None, typer.Option(help="Model preset (see 'symgrad models').")] = None,
    init: Annotated[
        str, typer.Option(help="identical | random | zero | constant | ties a=b;c=d.")
    ] = "identical",
    steps: Annotated[int, typer.Option(help="Number of gradient steps.")] = 100,
    lr: Annotated[str, typer.Option(help="Learning rate, e.g. 0.1 or 1/10.")] = "0.1",
    seed: Annotated[int, typer.Option(help="Seed for the init and the generated data.")] = 0,
    rows: Annotated[int, typer.Option(help="Rows of generated data (without --dataset).")] = 4,
    exact: Annotated[bool, typer.Option("--exact", help="Exact arithmetic, a few steps.")] = False,
    plot: Annotated[str | None, typer.Option(help="Write a PNG plot of the weights.")] = None,
    csv_path: Annotated[str | None, typer.Option("--csv", help="Write the values as CSV.")] = None,
    dataset: Annotated[str | None, typer.Option(help="CSV file whose header names data.")] = None,
    inputs: InputsOption = None,
    hidden: HiddenOption = None,
    outputs: OutputsOption = None,
    activation: ActivationOption = None,
    output_activation: OutputActivationOption = None,
    bias: BiasOption = None,
    loss_kind: LossOption = None,
    torch_model: TorchOption = None,
    input_shape: InputShapeOption = None,
    target_shape: TargetShapeOption = None,
    timeout: TimeoutOption = 600.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Run gradient descent and watch tie groups stay together or fan out.

    Example:

      symgrad simulate --model two-layer --inputs 2 --hidden 4 --activation tanh --init random --steps 200 --lr 0.1 --plot p.png
    """
    from symgrad.ties.models import build
    from symgrad.ties.simulate import check_output_path, learning_rate
    from symgrad.ties.simulate import simulate as api

    def work() -> int:
        for path, extension in ((plot, ".png"), (csv_path, ".csv")):
            if path is not None:
                check_output_path(path, extension)
        if torch_model is not None:
            torch_conflicts(model=model, dataset=dataset, exact=exact, inputs=inputs, hidden=hidden)
            net = torch_model(torch_model, input_shape, target_shape, loss_kind)
        elif model is None:
            raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
        else:
            net = build(
                model,
                **model_options(
                    inputs=inputs,
                    hidden=hidden,
                    outputs=outputs,
                    activation=activation,
                    output_activation=output_activation,
                    bias=bias,
                    loss=loss_kind,
                ),
            )
        data_rows = read_dataset(dataset)
        rate = learning_rate(lr, exact)
        with progress_bar(steps, quiet=as_json or steps < 2000) as advance:
            run = api(
                net,
                init=init,
                steps=steps,
                lr=rate,
                seed=seed,
                dataset=data_rows,
                rows=rows,
                exact=exact,
                progress=advance,
                timeout=timeout,
            )
        if plot is not None:
            run.plot(plot)
        if csv_path is not None:
            run.write_csv(csv_path)
        print_result(run, fmt, as_json, not no_timing)
        return EXIT_HOLDS

    run(as_json, timeout, work)
