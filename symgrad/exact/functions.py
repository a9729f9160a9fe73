"""Activation and nonsmooth functions as SymPy functions, with PyTorch's conventions.

``sigmoid(z) = 1/(1 + exp(-z))``, ``softplus(z) = log(1 + exp(z))``,
``relu(z) = max(0, z)``. At kinks symgrad uses what PyTorch 2.13 computes in
float64, in every command:

- ``relu'(0) = 0`` (``Heaviside(z, 0)``), ``abs'(0) = sign(0) = 0``;
- ``sign' = 0`` and ``heaviside' = 0`` (``heaviside(0) = 0``, like ``relu'``);
- ``max``/``min`` of k arguments that tie give each of them 1/k of the
  gradient, so ``min(a, 0) + max(a, 0)`` has derivative 1 at 0, like ``a``.

Derivatives are stated in closed form (``fdiff``) so that both symgrad's
reverse mode and plain ``sympy.diff`` obey these conventions; the only
leftover is SymPy's ``DiracDelta`` from differentiating a step, which
:func:`drop_dirac` turns into the convention's 0.

>>> from sympy import Symbol
>>> z, a = Symbol("z", real=True), Symbol("a", real=True)
>>> sigmoid(z).diff(z)
(1 - sigmoid(z))*sigmoid(z)
>>> relu(z).diff(z)
Heaviside(z, 0)
>>> relu(0), sigmoid(0), softplus(0)
(0, 1/2, log(2))
>>> (Min(a, 0) + Max(a, 0)).diff(a).subs(a, 0)
1
>>> Max(a, a, z).diff(a).subs({a: 1, z: 1})
2/3
"""

from __future__ import annotations

import sympy
from sympy import Function, Heaviside, exp, log


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
        return self.args[0].is_extended_real

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

    def _eval_is_positive(self):
        return self.args[0].is_extended_real

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


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

    def _eval_rewrite_as_Piecewise(self, z, **kwargs):
        return sympy.Piecewise((z, z > 0), (0, True))

    def _eval_is_nonnegative(self):
        return self.args[0].is_extended_real

    def _latex(self, printer, exp=None):
        tex = r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0])
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class clip(Function):  # noqa: N801
    """clip(x, lo, hi) = min(max(x, lo), hi) (``torch.clamp``, ``np.clip``); clip(x, lo) has
    no upper bound. PyTorch's gradient: 1 for x where lo <= x <= hi (bounds included), 1 for
    lo where x < lo, 1 for hi where x > hi, else 0."""

    nargs = (2, 3)
    is_real = True

    @classmethod
    def eval(cls, x, lo, hi=None):
        bounds = [lo] if hi is None else [lo, hi]
        if x.is_Rational and all(b.is_Rational for b in bounds):
            value = max(x, lo)
            return value if hi is None else min(value, hi)
        return None

    def fdiff(self, argindex=1):
        x, lo = self.args[0], self.args[1]
        hi = self.args[2] if len(self.args) > 2 else None
        if argindex == 1:
            inside = Heaviside(x - lo, 1)
            return inside if hi is None else inside * Heaviside(hi - x, 1)
        if argindex == 2:
            return Heaviside(lo - x, 0)
        return Heaviside(x - hi, 0)

    def _eval_rewrite_as_Piecewise(self, x, lo, hi=None, **kwargs):
        if hi is None:
            return sympy.Piecewise((lo, x < lo), (x, True))
        return sympy.Piecewise((lo, x < lo), (hi, x > hi), (x, True))

    def _eval_evalf(self, prec):
        return self.rewrite(sympy.Piecewise)._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        inner = ", ".join(printer._print(a) for a in self.args)
        tex = r"\operatorname{clip}\left(%s\right)" % inner
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


def heaviside(z: sympy.Expr) -> sympy.Expr:
    """The unit step with heaviside(0) = 0 (relu's derivative in PyTorch)."""
    return Heaviside(z, 0)


def _ordered(args) -> tuple:
    return tuple(sorted(args, key=sympy.default_sort_key))


class _Extreme(Function):
    """max/min of any number of real arguments, with PyTorch's tie convention.

    Arguments are kept in SymPy's sort order, so the value is independent of
    how they were written; a call whose arguments are all the same collapses
    to that argument; rational arguments evaluate.
    """

    is_real = True
    _pick = max

    @classmethod
    def eval(cls, *args):
        if not args:
            raise TypeError(f"{cls.__name__} needs at least one argument")
        if len(args) == 1 or all(a == args[0] for a in args):
            return args[0]
        if all(a.is_Rational for a in args):
            return cls._pick(args)
        ordered = _ordered(args)
        if ordered != tuple(args):
            return cls(*ordered)
        return None

    def fdiff(self, argindex=1):
        k = argindex - 1
        if len(self.args) == 2:
            this, other = self.args[k], self.args[1 - k]
            gap = this - other if self._pick is max else other - this
            return Heaviside(gap, sympy.S.Half)
        return self._share(sympy.Integer(k), *self.args)

    def _eval_is_nonnegative(self):
        if self._pick is max and any(a.is_nonnegative for a in self.args):
            return True
        if all(a.is_nonnegative for a in self.args):
            return True
        return None

    def _latex(self, printer, exp=None):
        name = r"\max" if self._pick is max else r"\min"
        inner = ", ".join(printer._print(a) for a in self.args)
        tex = r"%s\left(%s\right)" % (name, inner)
        return tex if exp is None else r"%s^{%s}" % (tex, exp)


class _Share(Function):
    """d max(a_0, ..., a_n)/d a_k: 1/m if a_k is one of the m largest (tied) arguments, else 0."""

    is_real = True
    _pick = max

    @classmethod
    def eval(cls, k, *args):
        if not k.is_Integer or not 0 <= int(k) < len(args):
            raise ValueError(f"{cls.__name__}: index {k} out of range")
        if all(a == args[0] for a in args):
            return sympy.Rational(1, len(args))
        if all(a.is_Rational for a in args):
            best = cls._pick(args)
            if args[int(k)] != best:
                return sympy.S.Zero
            return sympy.Rational(1, sum(1 for a in args if a == best))
        return None

    def fdiff(self, argindex=1):
        return sympy.S.Zero


class argmax_share(_Share):  # noqa: N801
    _pick = max


class argmin_share(_Share):  # noqa: N801
    _pick = min


class Max(_Extreme):
    _pick = max
    _share = argmax_share


class Min(_Extreme):
    _pick = min
    _share = argmin_share


def drop_dirac(expr: sympy.Expr) -> sympy.Expr:
    """Set SymPy's DiracDelta (the derivative of a step or of sign) to the convention's 0."""
    if not expr.has(sympy.DiracDelta):
        return expr
    return expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero)


def to_elementary(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite symgrad's functions into exp/log/Piecewise for heavier simplification."""
    return (
        expr.replace(sigmoid, lambda z: 1 / (1 + exp(-z)))
        .replace(softplus, lambda z: log(1 + exp(z)))
        .replace(relu, lambda z: sympy.Piecewise((z, z > 0), (0, True)))
        .replace(Max, lambda *a: sympy.Max(*a))
        .replace(Min, lambda *a: sympy.Min(*a))
        .replace(clip, lambda *a: clip(*a).rewrite(sympy.Piecewise))
    )


#: lambdify implementations of symgrad's functions (float mode)
def _share_value(pick):
    def share(k, *args):
        best = pick(args)
        if args[int(k)] != best:
            return 0.0
        return 1.0 / sum(1 for a in args if a == best)

    return share


def _heaviside(x, h0=0.0):
    return 1.0 if x > 0 else (h0 if x == 0 else 0.0)


def _sigmoid(z):
    import math

    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _softplus(z):
    import math

    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


LAMBDIFY_MODULE = {
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "relu": lambda z: z if z > 0 else 0.0,
    "Max": lambda *a: max(a),
    "Min": lambda *a: min(a),
    "argmax_share": _share_value(max),
    "argmin_share": _share_value(min),
    "Heaviside": _heaviside,
    "sign": lambda x: (x > 0) - (x < 0),
    "clip": lambda x, lo, hi=None: max(x, lo) if hi is None else min(max(x, lo), hi),
}
