"""symgrad: exact verdicts on whether parameters that start equal stay equal under gradient descent.

>>> import symgrad
>>> symgrad.prove("w0*x0 + w1*x1", ties=["w0=w1"]).verdict
'refuted'
"""

from symgrad import render as _render  # noqa: F401 - registers the renderers
from symgrad.errors import (
    BudgetError,
    DatasetError,
    ModelError,
    ParseError,
    ProblemError,
    SymgradError,
    TieError,
)
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
from symgrad.ties.certify import CertificateFailure
from symgrad.ties.collapse import collapse
from symgrad.ties.gradient import gradients_of as gradients
from symgrad.ties.models import Model
from symgrad.ties.models import build as model
from symgrad.ties.parametric import prove_parametric
from symgrad.ties.problem import Problem
from symgrad.ties.prove import prove
from symgrad.ties.simulate import simulate

__version__ = "0.1.0"


def from_torch(model, example_input, loss="mse", samples=None, target_shape=None, name=None):
    """A PyTorch ``nn.Module`` with its loss, traced for :func:`prove`, :func:`collapse` and
    :func:`simulate` (needs ``pip install 'symgrad[torch]'``).

    ``loss`` is ``"mse"``, ``"cross-entropy"`` or a callable ``loss(output, target)``;
    ``example_input`` a tensor or a shape such as ``(1, 784)``; ``samples`` optional
    (input, target) pairs for witnesses and simulations.
    """
    from symgrad.torch.models import from_torch as trace_model

    return trace_model(model, example_input, loss, samples, target_shape, name)


__all__ = [
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
