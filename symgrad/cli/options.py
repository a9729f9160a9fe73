"""Options shared by the commands, and the small argument readers behind them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from types import SimpleNamespace as Arguments
from typing import Annotated

import typer

from symgrad.cli.app import EXIT_FAILS, EXIT_HOLDS, EXIT_UNKNOWN
from symgrad.errors import SymgradError


class Format(str, Enum):
    text = "text"
    markdown = "markdown"
    latex = "latex"


class Mode(str, Enum):
    sgd = "sgd"
    full_batch = "full-batch"


#: -q, -v and -h are options; a loss spelt like one goes last, after --
LOSS_LIKE_AN_OPTION = " (a loss spelt like an option, such as -q, goes last, after --: ... -- -q)"

InputsOption = Annotated[
    str | None,
    typer.Option("--inputs", help="Model inputs: a number, or a name such as k for all k."),
]
HiddenOption = Annotated[
    str | None, typer.Option("--hidden", help="Hidden width(s): 3, 8,8, or names such as d.")
]
OutputsOption = Annotated[str | None, typer.Option("--outputs", help="Model outputs m.")]
ActivationOption = Annotated[
    str | None,
    typer.Option(
        "--activation",
        metavar="NAME",
        help="Activation: identity, tanh, sigmoid, relu, softplus or generic.",
    ),
]
OutputActivationOption = Annotated[
    str | None, typer.Option("--output-activation", help="Activation of the output layer.")
]
BiasOption = Annotated[bool | None, typer.Option("--bias/--no-bias", help="Biases on or off.")]
LossOption = Annotated[
    str | None,
    typer.Option("--loss", metavar="NAME", help="Loss: mse, cross-entropy or linear."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print the verdict line only.")]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Print everything: the certificate and its re-check included."
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", help="Rendering of the result.")]
TimingOption = Annotated[
    bool, typer.Option("--no-timing", help="Leave out the timing, so the output can be diffed.")
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout", min=0.1, help="Time budget in seconds (inf: no limit); exit 3 when spent."
    ),
]
StepsOption = Annotated[
    int,
    typer.Option("--steps", min=1, max=50, help="Steps to search for a separating witness."),
]
TorchOption = Annotated[
    str | None,
    typer.Option(
        "--torch",
        help="FILE.py:FACTORY: your PyTorch model, built by FACTORY() in your file. symgrad "
        "runs that file (your own code, and only it) to build the model.",
    ),
]
InputShapeOption = Annotated[
    str | None,
    typer.Option(
        "--input-shape",
        help="Input shape for --torch, e.g. 1,784; 4,2:long for integer inputs (embeddings).",
    ),
]
InputRangeOption = Annotated[
    str | None,
    typer.Option(
        "--input-range",
        help="Integer inputs for --torch (embedding indices): LOW:HIGH, e.g. 0:1000.",
    ),
]
FullOption = Annotated[
    bool, typer.Option("--full", help="With --json: every group entry by entry (PyTorch models).")
]
TargetShapeOption = Annotated[
    str | None,
    typer.Option("--target-shape", help="Target shape for --torch (default: the output's)."),
]
ModelOption = Annotated[
    str | None, typer.Option("--model", help="Model preset (see 'symgrad models').")
]
SamplesOption = Annotated[
    str | None,
    typer.Option("--samples", help="Number of samples: a number, or a name such as n."),
]
RowsOption = Annotated[int | None, typer.Option("--rows", help="Rows of the rows model.")]
DimensionOption = Annotated[
    int | None, typer.Option("--dimension", help="Row dimension of the rows model.")
]
TieOption = Annotated[
    list[str] | None, typer.Option("--tie", help="Tie group, e.g. w0=w1 or a=b=c.")
]
ParamsOption = Annotated[
    str | None, typer.Option("--params", help="Comma list of parameter names.")
]
AssumeOption = Annotated[
    list[str] | None, typer.Option("--assume", help="Condition on the data: x0=x1, x>0.")
]
DatasetOption = Annotated[
    str | None, typer.Option("--dataset", help="CSV file whose header names data symbols.")
]
ModeOption = Annotated[Mode, typer.Option("--mode", help="sgd: every sample; full-batch: summed.")]
LatexInputOption = Annotated[
    bool, typer.Option("--latex-input", help="The LOSS is written in LaTeX.")
]
FunctionOption = Annotated[
    list[str] | None,
    typer.Option("--function", help="Name of an arbitrary differentiable function, e.g. sigma."),
]


def split_list(values: list[str] | None) -> list[str]:
    items: list[str] = []
    for value in values or []:
        items.extend(v.strip() for v in value.split(",") if v.strip())
    return items


@dataclass(frozen=True)
class Network:
    """A preset network's options as given on the command line (``None``: not given)."""

    inputs: str | None = None
    hidden: str | None = None
    outputs: str | None = None
    activation: str | None = None
    output_activation: str | None = None
    bias: bool | None = None
    loss: str | None = None
    samples: str | None = None
    rows: int | None = None
    dimension: int | None = None

    @classmethod
    def of(cls, arguments: Arguments) -> Network:
        """The network options among a command's arguments (``--loss`` is ``loss_kind``)."""
        values = vars(arguments)
        return cls(
            **{
                name: values.get("loss_kind" if name == "loss" else name)
                for name in (f.name for f in dataclasses.fields(cls))
            }
        )

    def options(self) -> dict:
        """The given options, as keyword arguments of :func:`symgrad.model`."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    def flags(self) -> list[str]:
        """The given options as the flags they came from (``--inputs``), for messages."""
        return [f"--{name.replace('_', '-')}" for name in self.options()]

    def build(self, name: str):
        """The preset ``name`` built with these options."""
        from symgrad.ties.models import build

        return build(name, **self.options())


def parse_shape(text: str | None, option: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if not shape or any(s <= 0 or s > 10**6 for s in shape) or len(shape) > 6:
        raise SymgradError(f"{option} {text[:40]!r}: write positive sizes such as 1,784")
    return shape


def load_torch_model(
    spec: str,
    input_shape: str | None,
    target_shape: str | None,
    loss: str | None,
    input_range: str | None = None,
):
    """The user's model, built and traced (call it inside :func:`with_user_code`)."""
    from symgrad.torch.loading import load_model

    shape, kind = parse_input_shape(input_shape)
    if shape is None:
        raise SymgradError("--torch needs --input-shape, e.g. --input-shape 1,784")
    span = parse_range(input_range)
    if kind == "long" and span is None:
        span = None  # the embeddings it indexes say how far
    return load_model(spec, shape, loss or "mse", parse_shape(target_shape, "--target-shape"),
                      input_range=span, integer=kind == "long")  # fmt: skip


def parse_input_shape(text: str | None) -> tuple[tuple[int, ...] | None, str]:
    """``1,784`` or ``4,2:long`` (integer inputs, such as embedding indices)."""
    if text is None:
        return None, "float"
    shape_text, _, dtype = text.partition(":")
    dtype = dtype.strip().lower() or "float"
    if dtype not in ("float", "long", "int"):
        raise SymgradError(f"--input-shape {text[:40]!r}: the type after ':' is float or long")
    return parse_shape(shape_text, "--input-shape"), "long" if dtype in ("long", "int") else dtype


def parse_range(text: str | None) -> tuple[int, int] | None:
    """``0:1000``: integer inputs from 0 to 999."""
    if text is None:
        return None
    low, sep, high = text.partition(":")
    try:
        span = (int(low), int(high))
    except ValueError:
        span = None
    if not sep or span is None or not span[0] < span[1] or max(map(abs, span)) > 10**9:
        raise SymgradError(
            f"--input-range {text[:40]!r}: write LOW:HIGH, e.g. 0:1000 (HIGH left out)"
        )
    return span


def with_user_code(seconds: float, work):
    """Run ``work()`` (which builds the user's model: their own code) in a worker process
    killed at the time budget: an endless or signal-swallowing factory still stops."""
    from symgrad.runtime.budget import current_budget
    from symgrad.runtime.worker import run_isolated

    budget = current_budget()
    left = budget.remaining() if budget is not None else seconds
    return run_isolated(work, min(seconds, left), "the PyTorch model", whole=seconds)


def torch_conflicts(arguments: Arguments, *names: str) -> None:
    """Refuse the options among ``names`` that were given, since they do not apply with --torch."""
    values = vars(arguments)
    named = [f"--{n.replace('_', '-')}" for n in names if values[n] not in (None, False, [])]
    if named:
        raise SymgradError(f"{', '.join(named)} do(es) not apply with --torch")


def read_dataset(path: str | None):
    if path is None:
        return None
    from symgrad.ties.dataset import read_csv

    return read_csv(path)


VERDICT_EXIT = {
    "proven": EXIT_HOLDS,
    "correct": EXIT_HOLDS,
    "refuted": EXIT_FAILS,
    "incorrect": EXIT_FAILS,
    "unknown": EXIT_UNKNOWN,
}
