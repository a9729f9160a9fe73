"""The ``symgrad`` command line: parse arguments, call the library, print the result.

Exit codes: 0 the claim holds, 1 it fails, 2 bad input or usage, 3 unknown or
out of the time budget, 130 interrupted (Ctrl-C). With ``--json`` every
outcome, errors included, is one JSON object on stdout.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Annotated

import typer

from symgrad.errors import BudgetError, ProblemError, SymgradError
from symgrad.runtime.budget import Budget, binding

EXIT_HOLDS, EXIT_FAILS, EXIT_BAD_INPUT, EXIT_UNKNOWN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MESSAGE_LIMIT = 400


def _one_line(message: str) -> str:
    line = " ".join(str(message).split())
    if len(line) > MESSAGE_LIMIT:
        line = line[: MESSAGE_LIMIT - 3] + "..."
    return line


class _OneLineErrors(typer.core.TyperGroup):
    """Usage errors as one line on stderr with exit code 2 (never a multi-line panel).

    Click's exceptions are recognised by their interface, since typer uses its
    own vendored copy of click.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in args
        try:
            code = super().main(
                args=_maths_after_dashes(self, args),
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except KeyboardInterrupt:
            code = _report("stopped by Ctrl-C (SIGINT)", as_json, EXIT_INTERRUPTED, "interrupted")
        except Exception as error:  # noqa: BLE001 - click's usage errors, see below
            kind = type(error).__name__
            if kind == "Abort":
                code = _report(
                    "stopped by Ctrl-C (SIGINT)", as_json, EXIT_INTERRUPTED, "interrupted"
                )
            elif kind == "NoArgsIsHelpError" and getattr(error, "ctx", None) is not None:
                typer.echo(error.ctx.get_help(), err=True)
                code = EXIT_BAD_INPUT
            elif hasattr(error, "format_message") and hasattr(error, "exit_code"):
                code = _report(_usage_message(error), as_json, EXIT_BAD_INPUT, "usage")
            elif kind == "Exit":
                code = getattr(error, "exit_code", 0)
            else:
                raise
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _report(message: str, as_json: bool, code: int, kind: str) -> int:
    line = _one_line(message)
    typer.echo(f"symgrad: {kind}: {line}", err=True)
    if as_json:
        typer.echo(json.dumps({"error": line, "kind": kind, "exit": code}))
    return code


def _usage_message(error: Exception) -> str:
    message = error.format_message()
    context = getattr(error, "ctx", None)
    if context is not None and context.command_path:
        return message + f" (see '{context.command_path} --help')"
    return message


def _maths_after_dashes(group, args: list[str]) -> list[str]:
    """Move a LOSS that starts with '-' (``-y*log(p)``) behind ``--``, so it is read as maths."""
    if not args or args[0] not in group.commands:
        return args
    command = group.commands[args[0]]
    takes_value, flags = set(), set()
    for param in command.params:
        names = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
        if not any(n.startswith("-") for n in names):
            continue
        (flags if getattr(param, "is_flag", False) else takes_value).update(names)
    flags.update({"--help", "-h"})
    if args[1:2] == ["-h"] and len(args) > 2 and any(p.name == "loss" for p in command.params):
        flags.discard("-h")  # `check -h --wrt h ...` is the loss -h, not a request for help
    kept, moved = [args[0]], []
    rest = args[1:]
    index = 0
    while index < len(rest):
        token = rest[index]
        if token == "--":
            kept.extend(rest[index:])
            break
        name = token.split("=", 1)[0]
        if name in takes_value:
            kept.append(token)
            if "=" not in token and index + 1 < len(rest):
                kept.append(rest[index + 1])
                index += 1
        elif name in flags or not token.startswith("-") or token == "-":
            kept.append(token)
        else:
            moved.append(token)
        index += 1
    if not moved:
        return args
    if "--" in kept:
        position = kept.index("--")
        return kept[: position + 1] + moved + kept[position + 1 :]
    return kept + ["--", *moved]


def _version(value: bool) -> None:
    if value:
        from symgrad import __version__

        typer.echo(f"symgrad {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="symgrad",
    help="Exact verdicts on whether parameters that start equal stay equal under gradient descent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Exact verdicts on whether parameters that start equal stay equal under gradient descent."""


class Format(str, Enum):
    text = "text"
    markdown = "markdown"
    latex = "latex"


class Mode(str, Enum):
    sgd = "sgd"
    full_batch = "full-batch"


InputsOption = Annotated[str | None, typer.Option("--inputs", help="Model inputs k.")]
HiddenOption = Annotated[
    str | None, typer.Option("--hidden", help="Hidden width(s), e.g. 3 or 8,8.")
]
OutputsOption = Annotated[str | None, typer.Option("--outputs", help="Model outputs m.")]
ActivationOption = Annotated[
    str | None,
    typer.Option("--activation", help="identity|tanh|sigmoid|relu|softplus|generic."),
]
OutputActivationOption = Annotated[
    str | None, typer.Option("--output-activation", help="Activation of the output layer.")
]
BiasOption = Annotated[bool | None, typer.Option("--bias/--no-bias", help="Biases on or off.")]
LossOption = Annotated[str | None, typer.Option("--loss", help="mse|cross-entropy|linear.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
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
    str | None, typer.Option("--input-shape", help="Input shape for --torch, e.g. 1,784.")
]
TargetShapeOption = Annotated[
    str | None,
    typer.Option("--target-shape", help="Target shape for --torch (default: the output's)."),
]
FunctionOption = Annotated[
    list[str] | None,
    typer.Option("--function", help="Name of an arbitrary differentiable function, e.g. sigma."),
]


@contextlib.contextmanager
def _backstop(seconds: float) -> Iterator[None]:
    """A last-resort alarm well after the budget: the library's budgets bind on their own."""
    if not hasattr(signal, "SIGALRM") or seconds >= 1e6:
        yield
        return

    def expire(signum, frame):  # noqa: ARG001
        raise BudgetError(f"out of the time budget of {seconds:g} s (raise it with --timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds * 1.5 + 5, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _terminate(signum, frame):  # noqa: ARG001
    raise SystemExit(128 + signum)


def _run(as_json: bool, seconds: float, work: Callable[[], int]) -> None:
    """Run ``work``, mapping errors to one-line messages (and JSON) and exit codes."""
    signal.signal(signal.SIGTERM, _terminate)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _terminate)
    try:
        with _backstop(seconds), binding(Budget(seconds)):
            code = work()
    except typer.Exit:
        raise
    except BudgetError as error:
        code = _report(error.one_line(), as_json, EXIT_UNKNOWN, "unknown")
    except SymgradError as error:
        code = _report(error.one_line(), as_json, EXIT_BAD_INPUT, type(error).__name__)
    except RecursionError:
        code = _report("expression too deeply nested to process", as_json, EXIT_BAD_INPUT, "error")
    except MemoryError:
        code = _report("out of memory", as_json, EXIT_UNKNOWN, "unknown")
    except KeyboardInterrupt:
        code = _report("stopped by Ctrl-C (SIGINT)", as_json, EXIT_INTERRUPTED, "interrupted")
    except Exception as error:  # noqa: BLE001 - never show a traceback to users
        code = _report(
            f"internal error ({type(error).__name__}: {error}); please report it",
            as_json,
            EXIT_UNKNOWN,
            "internal",
        )
    raise typer.Exit(code)


def _print_result(result, fmt: Format, as_json: bool, timing: bool = True) -> None:
    from symgrad.results import render

    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif fmt is Format.markdown:
        typer.echo(result.to_markdown())
    elif fmt is Format.latex:
        typer.echo(result.to_latex())
    else:
        typer.echo(render(result, "text", timing))


def _split_list(values: list[str] | None) -> list[str]:
    items: list[str] = []
    for value in values or []:
        items.extend(v.strip() for v in value.split(",") if v.strip())
    return items


def _model_options(**options) -> dict:
    return {k: v for k, v in options.items() if v is not None}


def _shape(text: str | None, option: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if not shape or any(s <= 0 or s > 10**6 for s in shape) or len(shape) > 6:
        raise SymgradError(f"{option} {text[:40]!r}: write positive sizes such as 1,784")
    return shape


def _torch_model(spec: str, input_shape: str | None, target_shape: str | None, loss: str | None):
    from symgrad.torch.models import load_model

    shape = _shape(input_shape, "--input-shape")
    if shape is None:
        raise SymgradError("--torch needs --input-shape, e.g. --input-shape 1,784")
    return load_model(spec, shape, loss or "mse", _shape(target_shape, "--target-shape"))


def _torch_conflicts(**given: object) -> None:
    named = [f"--{k.replace('_', '-')}" for k, v in given.items() if v not in (None, False, [])]
    if named:
        raise SymgradError(f"{', '.join(named)} do(es) not apply with --torch")


def _dataset(path: str | None):
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
            _torch_conflicts(
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
            subject = _torch_model(torch_model, input_shape, target_shape, loss_kind)
            result = api(subject, ties=tie or None, init=init, steps=min(steps, 3), timeout=timeout)
            _print_result(result, fmt, as_json, not no_timing)
            return VERDICT_EXIT[result.verdict]
        data_rows = _dataset(dataset)
        if model is not None:
            if loss is not None:
                raise SymgradError("give either a LOSS or --model, not both")
            from symgrad.ties.models import build
            from symgrad.ties.parametric import is_symbolic, prove_parametric

            if is_symbolic(inputs, hidden, samples):
                parametric = prove_parametric(
                    model,
                    init=init or "identical",
                    **_model_options(
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
                _print_result(parametric, fmt, as_json, not no_timing)
                return VERDICT_EXIT[parametric.verdict]
            options = _model_options(
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
            functions=_split_list(function),
            timeout=timeout,
            steps=steps,
            latex=latex_input,
        )
        _print_result(result, fmt, as_json, not no_timing)
        return VERDICT_EXIT[result.verdict]

    _run(as_json, timeout, work)


@app.command()
def grad(
    loss: Annotated[str, typer.Argument(help="The loss expression.")],
    wrt: Annotated[str, typer.Option(help="Comma list of parameters, e.g. w0,w1.")],
    at: Annotated[str | None, typer.Option(help="Exact point, e.g. w0=0,x0=1/2.")] = None,
    function: FunctionOption = None,
    latex: Annotated[bool, typer.Option("--latex", help="Same as --format latex.")] = False,
    latex_input: Annotated[
        bool, typer.Option("--latex-input", help="The LOSS is written in LaTeX.")
    ] = False,
    timeout: TimeoutOption = 60.0,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Exact gradients of LOSS, optionally evaluated exactly at a point.

    Example:

      symgrad grad "(y - w*x)**2" --wrt w --at w=0,x=1,y=2
    """
    from symgrad.ties.gradient import gradient_report

    def work() -> int:
        report = gradient_report(
            loss, wrt, at=at, functions=_split_list(function), latex=latex_input
        )
        _print_result(report, Format.latex if latex else fmt, as_json, not no_timing)
        return EXIT_HOLDS

    _run(as_json, timeout, work)


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
            _torch_conflicts(
                model=model,
                dataset=dataset,
                inputs=inputs,
                hidden=hidden,
                samples=samples,
                activation=activation,
            )
            subject = _torch_model(torch_model, input_shape, target_shape, loss_kind)
            result = api(subject, init=init, steps=min(steps, 3), timeout=timeout)
            _print_result(result, fmt, as_json, not no_timing)
            return EXIT_HOLDS if result.verdict == "proven" else EXIT_UNKNOWN
        if model is None:
            raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
        data_rows = _dataset(dataset)
        options = _model_options(
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
        _print_result(result, fmt, as_json, not no_timing)
        return EXIT_HOLDS if result.verdict == "proven" else EXIT_UNKNOWN

    _run(as_json, timeout, work)


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
            _torch_conflicts(
                model=model, dataset=dataset, exact=exact, inputs=inputs, hidden=hidden
            )
            net = _torch_model(torch_model, input_shape, target_shape, loss_kind)
        elif model is None:
            raise SymgradError("give --model NAME (see 'symgrad models') or --torch FILE:FACTORY")
        else:
            net = build(
                model,
                **_model_options(
                    inputs=inputs,
                    hidden=hidden,
                    outputs=outputs,
                    activation=activation,
                    output_activation=output_activation,
                    bias=bias,
                    loss=loss_kind,
                ),
            )
        data_rows = _dataset(dataset)
        rate = learning_rate(lr, exact)
        with _progress(steps, quiet=as_json or steps < 2000) as advance:
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
        _print_result(run, fmt, as_json, not no_timing)
        return EXIT_HOLDS

    _run(as_json, timeout, work)


@contextlib.contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr for long runs (rich comes with typer)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("gradient descent", total=total)
        yield lambda step: progress.update(task, completed=step)


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
            functions=_split_list(function),
            steps=steps,
            latex_input=latex_input,
            timeout=timeout,
            hide_answer=hide_answer,
            shapes=shape or None,
            up_to_factor=up_to_factor,
        )
        _print_result(result, fmt, as_json, not no_timing)
        return VERDICT_EXIT[result.verdict]

    _run(as_json, timeout, work)


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
        functions=_split_list(function),
        latex_input=True if latex_input else None,
        timeout=timeout,
    )
    _print_result(result, fmt, as_json, timing)
    return VERDICT_EXIT[result.verdict]


@app.command()
def grade(
    answers: Annotated[
        str | None, typer.Argument(help="Answers: CSV (student,question,answer) or JSONL.")
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="The key: a TOML file of questions.")
    ] = None,
    out: Annotated[
        str, typer.Option("--out", help="Graded rows, written as they complete (.jsonl or .csv).")
    ] = "graded.jsonl",
    report_path: Annotated[
        str | None, typer.Option("--report", help="Class report: .html or .md.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: all cores).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (needs symgrad[dask])."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep the rows already in --out; grade the rest.")
    ] = False,
    hide_answer: Annotated[
        bool, typer.Option("--hide-answer", help="Feedback without the true derivative.")
    ] = False,
    example: Annotated[
        bool, typer.Option("--example", help="Grade the example class shipped with symgrad.")
    ] = False,
    answer_timeout: Annotated[
        float, typer.Option("--answer-timeout", min=0.1, help="Time budget per answer (s).")
    ] = 10.0,
    timeout: TimeoutOption = float("inf"),
    as_json: JsonOption = False,
    no_timing: TimingOption = False,
) -> None:
    """Grade a whole class: every answer checked exactly, with feedback and a class report.

    Examples:

      symgrad grade answers.csv --key key.toml --report report.html

      symgrad grade --example --report report.md
    """
    from symgrad.results import render
    from symgrad.teaching.grade import example_files
    from symgrad.teaching.grade import grade as api

    def work() -> int:
        answers_path, key_path = answers, key
        if example:
            key_path, answers_path = (str(p) for p in example_files())
        if answers_path is None or key_path is None:
            raise SymgradError("give ANSWERS and --key KEY (or --example)")
        with _counter(quiet=as_json) as advance:
            rows, report = api(
                key_path,
                answers_path,
                out=out,
                workers=workers,
                answer_timeout=answer_timeout,
                scheduler=scheduler,
                resume=resume,
                hide_answer=hide_answer,
                progress=advance,
                timeout=timeout,
            )
        if report_path is not None:
            report.write(report_path)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            typer.echo(render(report, "text", not no_timing))
            typer.echo(f"graded rows: {out}" + (f"; report: {report_path}" if report_path else ""))
        timeouts = sum(row.verdict == "timeout" for row in rows)
        return EXIT_UNKNOWN if timeouts else EXIT_HOLDS

    _run(as_json, timeout, work)


@contextlib.contextmanager
def _counter(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr while grading, when stderr is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("grading", total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


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
        options = _model_options(
            inputs=inputs,
            hidden=hidden,
            outputs=outputs,
            activation=activation,
            output_activation=output_activation,
            bias=bias,
            loss=loss_kind,
            samples=samples,
        )
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
        if built is not None:
            typer.echo(_built_text(built["built"], fmt))
        return EXIT_HOLDS

    _run(as_json, 60.0, work)


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


@app.command()
def proofs(
    name: Annotated[str | None, typer.Argument(help="Print one proof in full.")] = None,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    timeout: TimeoutOption = 600.0,
    no_timing: TimingOption = False,
) -> None:
    """Run the seeds' claims as proofs; with NAME, print that proof in full.

    Exit 0 only when every obtained verdict matches the expected one.

    Examples:

      symgrad proofs

      symgrad proofs linear_counterexample --format markdown
    """
    import time

    import proofs as catalogue

    def work() -> int:
        names = [name] if name is not None else list(catalogue.NAMES)
        modules = [catalogue.load(n) for n in names]
        rows = []
        derivations = []
        for module in modules:
            start = time.monotonic()
            derivation = module.derive()
            derivations.append(derivation)
            rows.append(
                {
                    "name": derivation.name,
                    "claim": derivation.claim,
                    "expected": derivation.expected,
                    "obtained": derivation.verdict,
                    "holds": derivation.holds,
                    "seconds": round(time.monotonic() - start, 3),
                    "failures": derivation.failures(),
                }
            )
        ok = all(row["holds"] for row in rows)
        if as_json:
            typer.echo(json.dumps({"proofs": rows, "all_hold": ok}, indent=2))
        elif name is not None:
            derivation = derivations[0]
            if fmt is Format.markdown:
                typer.echo(derivation.to_markdown())
            elif fmt is Format.latex:
                typer.echo(derivation.to_latex())
            else:
                typer.echo(derivation.to_text())
        else:
            typer.echo(_proof_table(rows, fmt, not no_timing))
        return EXIT_HOLDS if ok else EXIT_FAILS

    _run(as_json, timeout, work)


def _proof_table(rows: list[dict], fmt: Format, timing: bool = True) -> str:
    if fmt is Format.markdown:
        head = "| proof | claim | expected | obtained |" + (" time (s) |" if timing else "")
        lines = [head, "|---|---|---|---|" + ("---|" if timing else "")]
        for row in rows:
            lines.append(
                f"| {row['name']} | {row['claim']} | {row['expected']} | {row['obtained']} |"
                + (f" {row['seconds']:.2f} |" if timing else "")
            )
        return "\n".join(lines)
    if fmt is Format.latex:
        from symgrad.text.display import tex_escape

        body = [r"\begin{tabular}{llll}", r"proof & expected & obtained & match \\ \hline"]
        for row in rows:
            body.append(
                f"{tex_escape(row['name'])} & {row['expected']} & {row['obtained']} & "
                f"{'yes' if row['holds'] else 'no'} \\\\"
            )
        body.append(r"\end{tabular}")
        return "\n".join(body)
    width = max(len(row["name"]) for row in rows)
    lines = [
        f"{'proof':<{width}}  expected  obtained  match  "
        + ("time (s)  " if timing else "")
        + "claim"
    ]
    for row in rows:
        claim = row["claim"] if len(row["claim"]) <= 70 else row["claim"][:67] + "..."
        seconds = f"{row['seconds']:>8.2f}  " if timing else ""
        lines.append(
            f"{row['name']:<{width}}  {row['expected']:<8}  {row['obtained']:<8}  "
            f"{'yes' if row['holds'] else 'NO':<5}  {seconds}{claim}"
        )
    matched = sum(row["holds"] for row in rows)
    lines.append(f"{matched} of {len(rows)} claims established.")
    return "\n".join(lines)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":  # pragma: no cover
    main()
