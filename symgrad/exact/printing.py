"""Expression strings that symgrad's own parser reads back as the same expression.

SymPy's ``str`` is Python syntax already; three things need care: Euler's
number prints as ``exp(1)`` (``E`` is refused as a name), ``Heaviside``
always shows its value at 0, and the derivative of a declared function
prints as ``sigma'(z)``.

>>> import sympy
>>> from symgrad.exact.functions import heaviside
>>> z = sympy.Symbol("z", real=True)
>>> to_str(sympy.E * heaviside(z))
'exp(1)*Heaviside(z, 0)'
>>> sigma = sympy.Function("sigma", real=True)
>>> to_str(sympy.diff(sigma(2*z), z))
"2*sigma'(2*z)"
"""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter


class _Printer(StrPrinter):
    def _print_Exp1(self, expr):
        return "exp(1)"

    def _print_Heaviside(self, expr):
        value = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        return f"Heaviside({self._print(expr.args[0])}, {self._print(value)})"

    def _print_Subs(self, expr):
        inner = expr.expr
        if (
            isinstance(inner, sympy.Derivative)
            and isinstance(inner.expr, sympy.core.function.AppliedUndef)
            and len(expr.variables) == 1
            and len(inner.expr.args) == 1
            and inner.expr.args[0] == expr.variables[0]
        ):
            primes = "'" * inner.derivative_count
            return f"{inner.expr.func.__name__}{primes}({self._print(expr.point[0])})"
        return super()._print_Subs(expr)

    def _print_Derivative(self, expr):
        inner = expr.expr
        if (
            isinstance(inner, sympy.core.function.AppliedUndef)
            and len(inner.args) == 1
            and inner.args[0].is_Symbol
            and set(expr.variables) == {inner.args[0]}
        ):
            primes = "'" * expr.derivative_count
            return f"{inner.func.__name__}{primes}({self._print(inner.args[0])})"
        return super()._print_Derivative(expr)

    def _print_Relational(self, expr):
        op = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[expr.rel_op]
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_And(self, expr):
        return " and ".join(self._logic_arg(a) for a in expr.args)

    def _print_Or(self, expr):
        return " or ".join(self._logic_arg(a) for a in expr.args)

    def _print_Not(self, expr):
        return f"not {self._logic_arg(expr.args[0])}"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    def _logic_arg(self, arg):
        text = self._print(arg)
        return f"({text})" if isinstance(arg, (sympy.And, sympy.Or)) else text


_PRINTER = _Printer({"order": None})


def to_str(expr: object) -> str:
    """``expr`` as text in symgrad's input syntax."""
    if isinstance(expr, sympy.Basic):
        return _PRINTER.doprint(expr)
    return str(expr)
