"""``symgrad models``: the preset networks and the symbols they create."""

from __future__ import annotations

import json
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
    InputsOption,
    JsonOption,
    LossOption,
    Network,
    OutputActivationOption,
    OutputsOption,
    QuietOption,
    TimingOption,
)
from symgrad.cli.running import run_command


@app.command()
def models(
    name: Annotated[str | None, typer.Argument(help="Show one preset in detail.")] = None,
    inputs: InputsOption = None,
    hidden: HiddenOption = None,
    outputs: OutputsOption = None,
    activation: ActivationOption = None,
    output_activation: OutputActivationOption = None,
    bias: BiasOption = None,
    loss_kind: LossOption = None,
    samples: Annotated[str | None, typer.Option(help="Number of samples n.")] = None,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    no_timing: TimingOption = False,
) -> None:
    """List the model presets, their options and the symbol names they create.

    With NAME and model options, also show the model those options build.

    Example:

      symgrad models two-layer --inputs 2 --hidden 3
    """
    from symgrad.errors import ModelError
    from symgrad.ties.models import catalogue

    def work() -> int:
        options = Network(
            inputs, hidden, outputs, activation, output_activation, bias, loss_kind, samples
        ).options()
        if name is None and (options or fmt is not Format.text):
            raise ModelError("model options and --format need a model name: symgrad models NAME")
        entries = catalogue(name)
        shown = name is not None and (options or fmt is not Format.text)
        built = _built_model(name, options) if shown else None
        if as_json:
            typer.echo(json.dumps({"models": entries, **(built or {})}, indent=2))
            return EXIT_HOLDS
        for entry in entries:
            typer.echo(f"{entry['name']}: {entry['summary']}")
            if quiet:
                continue
            options = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in entry["options"].items())
            typer.echo(f"  options (defaults): {options}")
            typer.echo(f"  names: {entry['names']}")
            if name is not None:
                typer.echo(f"  loss with the defaults: {entry['loss_description']}")
                typer.echo(f"  example with defaults: J = {entry['example_loss']}")
                typer.echo(f"  parameters: {', '.join(entry['example_parameters'])}")
                typer.echo(f"  data: {', '.join(entry['example_data'])}")
                for group in entry["identical_ties"]:
                    typer.echo(f"  --init identical ties: {' = '.join(group)}")
        if built is not None and not quiet:
            typer.echo(_built_text(built["built"], fmt))
        return EXIT_HOLDS

    run_command(as_json, 60.0, work)


def _built_model(name: str, options: dict) -> dict:
    """The model ``name`` built with ``options``: loss, parameters and data."""
    from symgrad.text.display import latex
    from symgrad.ties.models import build

    net = build(name, **options)
    return {
        "built": {
            "options": {k: str(v) for k, v in options.items()},
            "loss": str(net.loss),
            "loss_latex": latex(net.loss),
            "parameters": [str(p) for p in net.parameters],
            "data": [str(s) for s in net.data],
        }
    }


def _built_text(built: dict, fmt: Format) -> str:
    shown = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in built["options"].items())
    loss = {
        Format.text: f"J = {built['loss']}",
        Format.markdown: f"$J = {built['loss_latex']}$",
        Format.latex: f"\\[ J = {built['loss_latex']} \\]",
    }[fmt]
    return (
        f"with {shown or 'the defaults'}:\n  {loss}\n"
        f"  parameters: {', '.join(built['parameters'])}\n  data: {', '.join(built['data'])}"
    )
