"""The user's model file: the one place symgrad runs user code, with every error it raises as bad input."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from symgrad.errors import ProblemError
from symgrad.text.suggest import did_you_mean
from symgrad.torch.graph import require_torch
from symgrad.torch.models import (
    TorchModel,
    from_torch,
)


def load_model(
    spec: str,
    input_shape: Sequence[int],
    loss: str = "mse",
    target_shape: Sequence[int] | None = None,
    input_range: tuple[int, int] | None = None,
    integer: bool = False,
) -> TorchModel:
    """Build the model with ``FACTORY()`` from ``FILE.py:FACTORY``.

    This runs the user's own file (and only that file): it is their model. Anything it
    raises is reported as bad input with its cause.
    """
    import importlib.util
    from pathlib import Path

    path_text, _, factory = str(spec).rpartition(":")
    if not path_text or not factory.isidentifier():
        raise ProblemError(
            f"--torch {spec[:80]!r}: write FILE.py:FACTORY, e.g. model.py:make_model"
        )
    path = Path(path_text)
    if path.suffix != ".py" or not path.is_file():
        raise ProblemError(f"--torch: {path_text[:80]} is not a Python file (.py) that exists")
    require_torch().set_num_threads(1)
    module_spec = importlib.util.spec_from_file_location(f"symgrad_user_model_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    _user_code(f"running {path.name}", lambda: module_spec.loader.exec_module(module))
    build = getattr(module, factory, None)
    if not callable(build):
        names = [n for n in vars(module) if callable(vars(module)[n]) and not n.startswith("_")]
        raise ProblemError(f"{path.name} has no function {factory}{did_you_mean(factory, names)}")
    model = _user_code(f"{factory}()", build)
    torch = require_torch()
    example = tuple(input_shape)
    if integer or input_range is not None:
        example = torch.zeros(*input_shape, dtype=torch.long) + (input_range or (0, 1))[0]
    return from_torch(model, example, loss, None, target_shape, name=factory,
                      input_range=input_range)  # fmt: skip


def _user_code(what: str, run: Callable[[], object]) -> object:
    try:
        return run()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - the user's code may raise anything
        message = str(error).splitlines()[0][:160] if str(error) else ""
        raise ProblemError(f"{what} raised {type(error).__name__}: {message}") from None
