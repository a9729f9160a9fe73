"""Activation functions as SymPy functions with the conventions of PyTorch and JAX.

``sigmoid(z) = 1/(1 + exp(-z))``, ``softplus(z) = log(1 + exp(z))`` and
``relu(z) = max(0, z)`` with ``relu'(0) = 0`` (``Heaviside(z, 0)``).
Keeping them as named functions keeps expressions small; their derivatives are
stated in closed form so differentiation never expands them.

>>> from sympy import Symbol
>>> z = Symbol("z", real=True)
>>> sigmoid(z).diff(z)
(1 - sigmoid(z))*sigmoid(z)
>>> relu(z).diff(z)
Heaviside(z, 0)
>>> relu(0), sigmoid(0), softplus(0)
(0, 1/2, log(2))
"""

from __future__ import annotations

import sympy
from sympy import Function, Heaviside, Max, exp, log


class sigmoid(Function):  # noqa: N801 - the mathematical name
    """The logistic function 1/(1 + exp(-z))."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + exp(-z))

    def _eval_evalf(self, prec):
        return (1 / (1 + exp(-self.args[0])))._eval_evalf(prec)

    def _eval_is_positive(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        tex = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class softplus(Function):  # noqa: N801
    """The smooth ramp log(1 + exp(z))."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return log(2)
        return None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return log(1 + exp(z))

    def _eval_rewrite_as_log(self, z, **kwargs):
        return log(1 + exp(z))

    def _eval_evalf(self, prec):
        return log(1 + exp(self.args[0]))._eval_evalf(prec)


class relu(Function):  # noqa: N801
    """max(0, z), with derivative Heaviside(z, 0) so that relu'(0) = 0."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, z):
        if z.is_Number:
            return z if z > 0 else sympy.S.Zero
        if z.is_nonnegative:
            return z
        if z.is_nonpositive:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return Heaviside(self.args[0], 0)

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_Number:
            return None
        return value if value > 0 else sympy.Float(0, precision=prec)

    def _eval_rewrite_as_Max(self, z, **kwargs):
        return Max(0, z)

    def _eval_rewrite_as_Piecewise(self, z, **kwargs):
        return sympy.Piecewise((z, z > 0), (0, True))


def to_elementary(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite symgrad's activations into exp/log/Piecewise for heavier simplification."""
    return (
        expr.replace(sigmoid, lambda z: 1 / (1 + exp(-z)))
        .replace(softplus, lambda z: log(1 + exp(z)))
        .replace(relu, lambda z: sympy.Piecewise((z, z > 0), (0, True)))
    )
