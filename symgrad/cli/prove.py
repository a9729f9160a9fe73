"""``symgrad prove``: does the tie persist?"""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import app
from symgrad.cli.options import (
    LOSS_LIKE_AN_OPTION,
    ActivationOption,
    Arguments,
    AssumeOption,
    BiasOption,
    DatasetOption,
    DimensionOption,
    Format,
    FormatOption,
    FunctionOption,
    HiddenOption,
    InputRangeOption,
    InputShapeOption,
    InputsOption,
    JsonOption,
    LatexInputOption,
    LossOption,
    Mode,
    ModelOption,
    ModeOption,
    Network,
    OutputActivationOption,
    OutputsOption,
    ParamsOption,
    QuietOption,
    RowsOption,
    SamplesOption,
    StepsOption,
    TargetShapeOption,
    TieOption,
    TimeoutOption,
    TimingOption,
    TorchOption,
    VerboseOption,
    load_torch_model,
    read_dataset,
    split_list,
    torch_conflicts,
    with_user_code,
)
from symgrad.cli.running import Output, run_command, spinner
from symgrad.errors import SymgradError

LossArgument = Annotated[str | None, typer.Argument(help="The loss, e.g. 'w0*x0 + w1*x1'.")]
InitOption = Annotated[
    str | None,
    typer.Option(help="w0=0,w1=0 | zero | constant | identical (models) | ties a=b;c=d."),
]


@app.command()
def prove(
    loss: LossArgument = None,
    tie: TieOption = None,
    params: ParamsOption = None,
    init: InitOption = None,
    assume: AssumeOption = None,
    function: FunctionOption = None,
    dataset: DatasetOption = None,
    mode: ModeOption = Mode.sgd,
    model: ModelOption = None,
    inputs: InputsOption = None,
    hidden: HiddenOption = None,
    outputs: OutputsOption = None,
    activation: ActivationOption = None,
    output_activation: OutputActivationOption = None,
    bias: BiasOption = None,
    loss_kind: LossOption = None,
    samples: SamplesOption = None,
    rows: RowsOption = None,
    dimension: DimensionOption = None,
    latex_input: LatexInputOption = False,
    torch_model: TorchOption = None,
    input_shape: InputShapeOption = None,
    target_shape: TargetShapeOption = None,
    input_range: InputRangeOption = None,
    steps: StepsOption = 6,
    timeout: TimeoutOption = 60.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Prove or refute that tied parameters stay equal under gradient descent.

    Examples:

      symgrad prove "w0*x0 + w1*x1" --tie w0=w1

      symgrad prove "w0*x0 + w1*x1" --tie w0=w1 --assume "x0=x1"

      symgrad prove --model two-layer --inputs 2 --hidden 3 --activation identity --init identical

      Your PyTorch model (the shipped example models written to nets.py first):

      python -m symgrad.examples.nets > nets.py

      symgrad prove --torch nets.py:constant_mlp --input-shape 1,784 --init identical
    """
    arguments = Arguments(**locals())

    def work() -> int:
        shown = Output.of(arguments)
        label = "tracing and proving the PyTorch model" if torch_model else "proving"
        with spinner(label, quiet=as_json or shown.level == "quiet"):
            if arguments.torch_model is not None:
                result = prove_torch_result(arguments)
            else:
                result = prove_result(arguments, read_dataset(arguments.dataset))
        return shown.show(result)

    run_command(as_json, timeout, work)


def prove_torch_result(a: Arguments):
    """The verdict for the user's PyTorch model (``--torch FILE:FACTORY``)."""
    from symgrad import prove as api

    not_with_torch = ("loss", "model", "assume", "dataset", "function", "params", "inputs")
    torch_conflicts(a, *not_with_torch, "hidden", "samples")

    def work():
        subject = load_torch_model(
            a.torch_model, a.input_shape, a.target_shape, a.loss_kind, a.input_range
        )
        return api(
            subject, ties=a.tie or None, init=a.init, steps=min(a.steps, 3), timeout=a.timeout
        )

    return with_user_code(a.timeout, work)


def prove_result(a: Arguments, dataset: list | None = None):
    """The verdict for a LOSS or a preset, as ``symgrad prove`` (and ``POST /api/prove``)
    asks for it; ``dataset`` holds the rows already read."""
    network = Network.of(a)
    if a.model is not None and a.loss is not None:
        raise SymgradError("give either a LOSS or --model, not both")
    if a.model is None:
        _check_loss_options(a.loss, network)  # usage errors before SymPy is imported
    elif _symbolic(network):
        return _prove_every_size(a.model, network, a.init, a.timeout)
    from symgrad import prove as api

    return api(
        network.build(a.model) if a.model is not None else a.loss,
        ties=a.tie or None,
        params=a.params,
        init=a.init,
        assume=a.assume or None,
        dataset=dataset,
        mode=a.mode.value,
        functions=split_list(a.function),
        timeout=a.timeout,
        steps=a.steps,
        latex=a.latex_input,
    )


def _symbolic(network: Network) -> bool:
    from symgrad.ties.parametric import is_symbolic

    return is_symbolic(network.inputs, network.hidden, network.samples)


def _prove_every_size(model: str, network: Network, init: str | None, timeout: float):
    """A preset whose sizes are names (k, d, n): the verdict for every size at once."""
    from symgrad.ties.parametric import prove_parametric

    options = {k: v for k, v in network.options().items() if k not in ("rows", "dimension")}
    return prove_parametric(model, init=init or "identical", **options, timeout=timeout)


def _check_loss_options(loss: str | None, network: Network) -> None:
    """A LOSS is given, and no option that only applies to a preset network."""
    if loss is None:
        raise SymgradError(
            "missing LOSS: give a loss expression or --model NAME" + LOSS_LIKE_AN_OPTION
        )
    model_only = ("--inputs", "--hidden", "--outputs", "--activation", "--loss", "--samples")
    given = [flag for flag in network.flags() if flag in model_only]
    if given:
        raise SymgradError(f"{', '.join(given)} only apply with --model")
