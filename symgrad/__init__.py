"""symgrad: exact verdicts on whether parameters that start equal stay equal under gradient descent.

>>> import symgrad
>>> symgrad.prove("w0*x0 + w1*x1", ties=["w0=w1"]).verdict
'refuted'
"""

from symgrad import report as _report  # noqa: F401 - registers the renderers
from symgrad.certify import CertificateFailure
from symgrad.check import check
from symgrad.collapse import collapse
from symgrad.errors import (
    BudgetError,
    DatasetError,
    ModelError,
    ParseError,
    ProblemError,
    SymgradError,
    TieError,
)
from symgrad.grade import grade
from symgrad.gradient import gradients_of as gradients
from symgrad.line_by_line import check_derivation
from symgrad.models import Model
from symgrad.models import build as model
from symgrad.parametric import prove_parametric
from symgrad.parse import parse_expression
from symgrad.problem import Problem
from symgrad.prove import prove
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
from symgrad.simulate import simulate

__version__ = "0.1.0"


def from_torch(model, example_input, loss="mse", samples=None, target_shape=None, name=None):
    """A PyTorch ``nn.Module`` with its loss, traced for :func:`prove`, :func:`collapse` and
    :func:`simulate` (needs ``pip install 'symgrad[torch]'``).

    ``loss`` is ``"mse"``, ``"cross-entropy"`` or a callable ``loss(output, target)``;
    ``example_input`` a tensor or a shape such as ``(1, 784)``; ``samples`` optional
    (input, target) pairs for witnesses and simulations.
    """
    from symgrad.torch_models import from_torch as trace_model

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
