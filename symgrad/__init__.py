"""symgrad: exact verdicts on whether parameters that start equal stay equal under gradient descent.

>>> import symgrad
>>> symgrad.prove("w0*x0 + w1*x1", ties=["w0=w1"]).verdict
'refuted'

The public names below are imported on first use, so ``import symgrad`` (and
``symgrad --help``) does not pay for SymPy until a function is called.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from symgrad import _moved
from symgrad.errors import (
    BudgetError,
    DatasetError,
    ModelError,
    ParseError,
    ProblemError,
    SymgradError,
    TieError,
    UndefinedSymbolError,
)

__version__ = "0.1.0"

_PUBLIC = {
    "CertificateFailure": "symgrad.ties.independent",
    "check": "symgrad.teaching.check",
    "collapse": "symgrad.ties.collapse",
    "grade": "symgrad.teaching.grade",
    "gradients": ("symgrad.ties.gradient", "gradients_of"),
    "check_derivation": "symgrad.teaching.line_by_line",
    "Model": "symgrad.ties.models",
    "model": ("symgrad.ties.models", "build"),
    "prove_parametric": "symgrad.ties.parametric",
    "parse_expression": "symgrad.text.parse",
    "Problem": "symgrad.ties.problem",
    "prove": "symgrad.ties.prove",
    "simulate": "symgrad.ties.simulate",
    **{
        name: "symgrad.results"
        for name in (
            "CheckResult",
            "CollapseResult",
            "DerivationResult",
            "GradientResult",
            "ModelProofResult",
            "ParametricResult",
            "ProofResult",
            "Trajectory",
            "Witness",
        )
    },
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from symgrad.results import (
        CheckResult,
        CollapseResult,
        DerivationResult,
        GradientResult,
        ModelProofResult,
        ParametricResult,
        ProofResult,
        Trajectory,
        Witness,
    )
    from symgrad.teaching.check import check
    from symgrad.teaching.grade import grade
    from symgrad.teaching.line_by_line import check_derivation
    from symgrad.text.parse import parse_expression
    from symgrad.ties.collapse import collapse
    from symgrad.ties.gradient import gradients_of as gradients
    from symgrad.ties.independent import CertificateFailure
    from symgrad.ties.models import Model
    from symgrad.ties.models import build as model
    from symgrad.ties.parametric import prove_parametric
    from symgrad.ties.problem import Problem
    from symgrad.ties.prove import prove
    from symgrad.ties.simulate import simulate


def __getattr__(name: str) -> object:
    """Import a public name on first use (PEP 562)."""
    where = _PUBLIC.get(name)
    if where is None:
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}")
    module, attribute = where if isinstance(where, tuple) else (where, name)
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


def from_torch(model, example_input, loss="mse", samples=None, target_shape=None, name=None):
    """A PyTorch ``nn.Module`` with its loss, traced for :func:`prove`, :func:`collapse` and
    :func:`simulate` (needs ``pip install 'symgrad[torch]'``).

    ``loss`` is ``"mse"``, ``"cross-entropy"`` or a callable ``loss(output, target)``;
    ``example_input`` a tensor or a shape such as ``(1, 784)``; ``samples`` optional
    (input, target) pairs for witnesses and simulations.
    """
    from symgrad.torch.models import from_torch as trace_model

    return trace_model(model, example_input, loss, samples, target_shape, name)


class _Package(ModuleType):
    """The package module: a public function is never replaced by a submodule of the same
    name that the import system attaches (``import symgrad.prove``, an old path)."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, ModuleType) and name in _PUBLIC:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
_moved.install()

__all__ = [
    "UndefinedSymbolError",
    "BudgetError",
    "CertificateFailure",
    "GradientResult",
    "Trajectory",
    "CheckResult",
    "check",
    "check_derivation",
    "CollapseResult",
    "DerivationResult",
    "collapse",
    "from_torch",
    "ModelProofResult",
    "simulate",
    "DatasetError",
    "Model",
    "ModelError",
    "ParseError",
    "Problem",
    "ProblemError",
    "ProofResult",
    "SymgradError",
    "TieError",
    "Witness",
    "gradients",
    "grade",
    "model",
    "ParametricResult",
    "parse_expression",
    "prove_parametric",
    "prove",
]
