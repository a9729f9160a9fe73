"""``symgrad collapse``: which parameters stay glued together."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_UNKNOWN,
    app,
)
from symgrad.cli.options import (
    VERDICT_EXIT,
    ActivationOption,
    Arguments,
    BiasOption,
    Format,
    FormatOption,
    FullOption,
    HiddenOption,
    InputRangeOption,
    InputShapeOption,
    InputsOption,
    JsonOption,
    LossOption,
    Mode,
    ModelOption,
    Network,
    OutputActivationOption,
    OutputsOption,
    QuietOption,
    StepsOption,
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
from symgrad.cli.running import Output, run_command, spinner
from symgrad.errors import SymgradError


@app.command()
def collapse(
    model: ModelOption = None,
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
    input_range: InputRangeOption = None,
    full: FullOption = False,
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
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Which parameters stay glued together forever from this init? (effective width)

    Example:

      symgrad collapse --model two-layer --inputs 3 --hidden 8 --activation tanh --init identical

      Your PyTorch model (the shipped example models written to nets.py first):

      python -m symgrad.examples.nets > nets.py

      symgrad collapse --torch nets.py:constant_mlp --input-shape 1,784
    """
    arguments = Arguments(**locals())
    label = "tracing the PyTorch model and its groups" if torch_model else "finding the groups"

    def work() -> int:
        with spinner(label, quiet=as_json or quiet):
            result = _collapse(arguments)
        if arguments.full and as_json:
            typer.echo(json.dumps(result.to_dict(full=True), indent=2))
            return VERDICT_EXIT.get(result.verdict, EXIT_UNKNOWN)
        return Output.of(arguments).show(result)

    run_command(as_json, timeout, work)


def _collapse(a: Arguments):
    """The groups that stay equal, for a preset or the user's PyTorch model."""
    if a.torch_model is None and a.model is None:
        raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
    from symgrad.ties.collapse import collapse as api

    if a.torch_model is not None:
        torch_conflicts(a, "model", "dataset", "inputs", "hidden", "samples", "activation")

        def work():
            subject = load_torch_model(
                a.torch_model, a.input_shape, a.target_shape, a.loss_kind, a.input_range
            )
            return api(subject, init=a.init, steps=min(a.steps, 3), timeout=a.timeout)

        result = with_user_code(a.timeout, work)
    elif a.model is None:
        raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
    else:
        dataset = read_dataset(a.dataset)
        result = api(
            Network.of(a).build(a.model),
            init=a.init or "identical",
            dataset=dataset,
            mode=a.mode.value,
            timeout=a.timeout,
            steps=a.steps,
        )
    return result
