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
from symgrad.line_by_line import check_derivation
from symgrad.gradient import gradients_of as gradients
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
    ParametricResult,
    ProofResult,
    Trajectory,
    Witness,
)

__version__ = "0.1.0"

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
