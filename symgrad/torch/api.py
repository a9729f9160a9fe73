"""What a training script calls: check a model's init, assert it does not collapse, warn.

Usage in a training script::

    from symgrad.torch import check_init, assert_no_collapse, warn_if_collapsed
    model = warn_if_collapsed(Net(), (1, 784))

A layer *collapses* when some of its units provably stay equal forever (they start
identical and a symmetry of the loss exchanges them), or when its weights provably
never move (their gradient is exactly 0 as long as they keep their values). Both
are certified claims (:func:`check_init` returns the certificate); nothing here is
a heuristic.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from symgrad.results import CollapseResult


class CollapseWarning(UserWarning):
    """A layer of a freshly built model provably collapses (see :func:`warn_if_collapsed`)."""


def check_init(
    model,
    example_input,
    loss: str | Callable = "mse",
    *,
    init: str | None = None,
    samples=None,
    timeout: float = 60.0,
) -> CollapseResult:
    """Which parameter entries of ``model`` (an ``nn.Module``, at its current values and mode)
    provably stay equal forever under SGD, momentum, Adam and weight decay; per layer, how
    many units it really has (``result.layers``)."""
    from symgrad.torch.models import from_torch
    from symgrad.torch.verdicts import collapse_torch

    traced = from_torch(model, example_input, loss, samples)
    return collapse_torch(traced, init=init, timeout=timeout)


def collapsed_layers(result: CollapseResult) -> list[str]:
    """One line per layer that collapses, with what to do about it."""
    lines = []
    for layer, entry in result.layers.items():
        width, units = entry.get("effective_width"), entry.get("units")
        if width is not None and units and width < units:
            lines.append(
                f"{layer} collapses to width {width} of {units} (its units start identical and "
                f"can never separate): initialise it randomly, e.g. nn.init.kaiming_uniform_"
            )
    for name in result.pinned:
        tensor = name.split("[", 1)[0]
        line = (
            f"{tensor} never moves (its gradient is exactly 0 at this init): initialise it "
            "randomly, or the weights it multiplies"
        )
        if line not in lines:
            lines.append(line)
    return lines


def assert_no_collapse(
    model,
    example_input,
    loss: str | Callable = "mse",
    *,
    allow: tuple[str, ...] = (),
    timeout: float = 60.0,
) -> CollapseResult:
    """For tests: raise ``AssertionError`` listing every layer (not in ``allow``) that provably
    collapses at the model's init; return the result otherwise."""
    result = check_init(model, example_input, loss, timeout=timeout)
    problems = [line for line in collapsed_layers(result) if line.split(" ", 1)[0] not in allow]
    if problems:
        raise AssertionError("symgrad: " + "; ".join(problems))
    return result


def warn_if_collapsed(model, example_input, loss: str | Callable = "mse", *, timeout: float = 60.0):
    """A hook right after building a model: one :class:`CollapseWarning` line per collapsing
    layer; returns ``model`` so it can wrap the constructor call."""
    result = check_init(model, example_input, loss, timeout=timeout)
    for line in collapsed_layers(result):
        warnings.warn(f"symgrad: {line}", CollapseWarning, stacklevel=2)
    return model
