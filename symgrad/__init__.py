"""symgrad: exact verdicts on whether parameters that start equal stay equal under gradient descent.

>>> import symgrad
>>> symgrad.prove("w0*x0 + w1*x1", ties=["w0=w1"]).verdict
'refuted'
"""

from symgrad.calculus import gradients
from symgrad.check import CheckResult, check
from symgrad.collapse import CollapseResult, collapse
from symgrad.errors import (
    BudgetError,
    DatasetError,
    ModelError,
    ParseError,
    ProblemError,
    SymgradError,
    TieError,
)
from symgrad.models import Model
from symgrad.models import build as model
from symgrad.parametric import ParametricResult, prove_parametric
from symgrad.parse import parse_expression
from symgrad.problem import Problem
from symgrad.prove import ProofResult, Witness, prove

__version__ = "0.1.0"

__all__ = [
    "BudgetError",
    "CheckResult",
    "check",
    "CollapseResult",
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
    "model",
    "ParametricResult",
    "parse_expression",
    "prove_parametric",
    "prove",
]
