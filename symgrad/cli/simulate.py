"""``symgrad simulate``: gradient descent from the init, tracked."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_HOLDS,
    app,
)
from symgrad.cli.options import (
    ActivationOption,
    Arguments,
    BiasOption,
    Format,
    FormatOption,
    HiddenOption,
    InputRangeOption,
    InputShapeOption,
    InputsOption,
    JsonOption,
    LossOption,
    ModelOption,
    Network,
    OutputActivationOption,
    OutputsOption,
    QuietOption,
    TargetShapeOption,
    TimeoutOption,
    TimingOption,
    TorchOption,
    VerboseOption,
    load_torch_model,
    read_dataset,
    torch_conflicts,
    with_user_code,
)
from symgrad.cli.running import Output, progress_bar, run_command, spinner
from symgrad.errors import SymgradError


@app.command()
def simulate(
    model: ModelOption = None,
    init: Annotated[
        str,
        typer.Option(
            help="identical | random | zero | constant | ties a=b;c=d; two or more of the "
            "first four, e.g. identical,random, run side by side on the same data."
        ),
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
    input_range: InputRangeOption = None,
    timeout: TimeoutOption = 600.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Run gradient descent and watch tie groups stay together or fan out.

    Examples:

      symgrad simulate --model two-layer --inputs 2 --hidden 4 --activation tanh --init random --steps 200 --lr 0.1

      symgrad simulate --model two-layer --inputs 2 --hidden 3 --init identical,random --steps 200 --plot compare.png
    """
    arguments = Arguments(**locals())
    run_command(as_json, timeout, lambda: _simulate(arguments))


def _simulate(a: Arguments) -> int:
    if a.torch_model is None and a.model is None:
        raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
    from symgrad.ties.simulate import check_output_path, learning_rate

    for path, extension in ((a.plot, ".png"), (a.csv_path, ".csv")):
        if path is not None:
            check_output_path(path, extension)
    rate = learning_rate(a.lr, a.exact)
    inits = init_list(a.init)
    if a.csv_path is not None and len(inits) > 1:
        raise SymgradError("--csv writes one run: give one --init (or leave out --csv)")
    if a.torch_model is not None:
        with spinner("tracing and training the PyTorch model", quiet=a.as_json or a.quiet):
            result = with_user_code(a.timeout, lambda: _run(a, rate, inits, None))
        return _finish(a, result)
    total = a.steps * len(inits)
    with progress_bar(total, quiet=a.as_json or a.quiet, label="gradient descent") as advance:
        trajectory = _run(a, rate, inits, advance)
    return _finish(a, trajectory)  # the bar is cleared before anything reaches stdout


#: the inits that can be compared side by side (``--init identical,random``)
KEYWORD_INITS = ("identical", "random", "zero", "constant")


def init_list(init: str) -> list[str]:
    """``identical,random`` -> both (compared side by side); any other text is one init."""
    parts = [part.strip() for part in init.split(",")]
    if len(parts) > 1 and all(part in KEYWORD_INITS for part in parts):
        return parts
    return [init]


def _run(a: Arguments, rate, inits: list[str], advance):
    """One trajectory, or a comparison of the inits on the same data."""
    from symgrad.ties.simulate import compare
    from symgrad.ties.simulate import simulate as api

    net = _network(a)
    options = {"steps": a.steps, "lr": rate, "seed": a.seed, "rows": a.rows, "timeout": a.timeout}
    if a.torch_model is None:
        options.update(dataset=read_dataset(a.dataset), exact=a.exact)
    if len(inits) > 1:
        return compare(net, inits, progress=advance, **options)
    return api(net, init=inits[0], progress=advance, **options)


def _finish(a: Arguments, trajectory) -> int:
    if a.plot is not None:
        trajectory.plot(a.plot)
    if a.csv_path is not None:
        trajectory.write_csv(a.csv_path)  # one run: checked before it started
    Output.of(a).show(trajectory)
    return EXIT_HOLDS


def _network(a: Arguments):
    """The network to train: the user's PyTorch model or a preset."""
    if a.torch_model is not None:
        torch_conflicts(a, "model", "dataset", "exact", "inputs", "hidden")
        return load_torch_model(
            a.torch_model, a.input_shape, a.target_shape, a.loss_kind, a.input_range
        )
    if a.model is None:
        raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
    # simulate's --rows counts generated data rows, not the rows model's rows
    return dataclasses.replace(Network.of(a), rows=None).build(a.model)
