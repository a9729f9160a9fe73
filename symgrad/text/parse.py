"""Safe text -> SymPy: symgrad's own tokenizer and grammar, then a whitelisted build.

User text never reaches ``eval``, ``sympify`` or ``parse_expr``. Plain text is
tokenized by :func:`symgrad.text.grammar.lex_text`, LaTeX by :mod:`symgrad.text.latex`;
both feed the same grammar, whose tree is built here into SymPy objects:
numbers (exact: ``0.1`` is 1/10), names (every symbol is real), ``+ - * / ^``,
and calls of known functions. Sizes are bounded before and while building.

Besides the expression, a :class:`Parsed` keeps every name that was written
(a parameter that cancels out is still the user's parameter), the domain
where the expression is real (``sqrt(w)**2`` is ``w`` only for ``w >= 0``,
and SymPy's automatic simplification must not erase that), and notes on the
reading that the "Understood:" line shows.

>>> parse_expression("(y - w0*x0 - w1*x1)^2")
(-w0*x0 - w1*x1 + y)**2
>>> parse_expression("2x(y - w x)")
2*x*(-w*x + y)
>>> parse_expression("0.1*w")
w/10
>>> parse_expression("sigma(w*x)", functions=["sigma"])
sigma(w*x)
>>> read("sqrt(w)**2").domain[0].text
'w >= 0'
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import sympy
from sympy import Rational

from symgrad.errors import ParseError, over_length
from symgrad.exact import functions as fn
from symgrad.exact.dag import symbols_of
from symgrad.exact.domain import Constraint, always_holds, domain_of_graph
from symgrad.exact.graph import ExprGraph
from symgrad.text.grammar import REFUSED_NAMES, Context, lex_text, parse_tokens
from symgrad.text.names import resolve
from symgrad.text.vocabulary import (  # noqa: F401 - re-exported
    CONSTANTS,
    KNOWN_FUNCTIONS,
    ONE_OR_MORE,
    REWRITTEN,
    SYMBOL_OR_FUNCTION,
)

MAX_LENGTH = 20_000
MAX_DEPTH = 60
MAX_INTEGER_DIGITS = 60
MAX_EXPONENT = 100
MAX_SYMBOLIC_EXPONENT = 8_000
MAX_DEGREE = 20_000
MAX_NUMBER_DIGITS = 2_000
MAX_NODES = 20_000
MAX_SUM_TERMS = 100
MAX_FACTORIAL = 500


def power_digits(base: sympy.Rational, p: int, q: int) -> int:
    """An estimate (within one) of the digits of ``base**(p/q)``'s numerator or denominator.

    Integer arithmetic and logarithms only: ``10**(10**1000)`` is never computed, and a
    base of 0 or ±1 has one digit whatever the exponent (``(-1)**(10**100)`` is 1).
    """
    magnitude = max(abs(int(base.p)), int(base.q))
    if magnitude <= 1 or p == 0:
        return 1
    if abs(p) // q > 8 * MAX_NUMBER_DIGITS:  # at least 2**(8*2000): far beyond the limit
        return 8 * MAX_NUMBER_DIGITS
    return int(abs(p) * math.log10(magnitude) / q) + 1


def short_number(value: object, limit: int = 30) -> str:
    """A number for a message: ``10**1000`` or ``12345678...(1001 digits)``, never 1000 zeros."""
    text = str(value)
    if len(text) <= limit:
        return text
    if isinstance(value, sympy.Rational) and not value.is_Integer:
        return f"{short_number(value.p, limit)}/{short_number(value.q, limit)}"
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    if digits.isdigit() and digits.rstrip("0") == "1":
        return f"{sign}10**{len(digits) - 1}"
    return f"{sign}{digits[:8]}...({len(digits)} digits)"


def power_text(base: object, exponent: object) -> str:
    """``base**exponent`` for a message, with brackets where a reader needs them."""

    def wrapped(value: object) -> str:
        text = short_number(value)
        return f"({text})" if not re.fullmatch(r"\d+", text) else text

    return f"{wrapped(base)}**{wrapped(exponent)}"


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def real_symbol(name: str) -> sympy.Symbol:
    """The real SymPy symbol of that name (every symgrad symbol is real)."""
    return sympy.Symbol(name, real=True)


def check_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a valid symbol name, else raise ParseError."""
    if not isinstance(name, str) or not _NAME.match(name):
        shown = name if isinstance(name, str) else type(name).__name__
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise ParseError(
            f"{what} {shown!r} is not a valid symbol name (letters, digits and '_', "
            "starting with a letter)"
        )
    if name in REFUSED_NAMES:
        raise ParseError(f"{what} {name!r}: {REFUSED_NAMES[name]}")
    if (name in KNOWN_FUNCTIONS and name not in SYMBOL_OR_FUNCTION) or name in CONSTANTS:
        raise ParseError(f"{what} {name!r} is reserved for a built-in function or constant")
    return name


def normalize_name(text: str, latex: bool = False) -> str:
    """A name as written (``θ``, ``w_{0}``, ``\\theta_1``) -> symgrad's name (``theta``, ``w0``).

    With ``latex``, a name is read as the LaTeX expression reads it (``w_0`` and ``w_{0}``
    are ``w0``, ``\\hat{y}`` is ``y_hat``), and the names symgrad prints are accepted as
    they are: ``theta1``, ``alpha``, ``y_hat`` (a Greek word may drop its backslash:
    ``theta_1`` is ``\\theta_1``, so ``theta1``).
    """
    text = text.strip()
    if latex or "\\" in text or "{" in text:
        return _latex_or_printed_name(text)
    from symgrad.text.grammar import _name_at

    name, end, _ = _name_at(text, 0)
    if end != len(text) or not name:
        return text
    return name


def _latex_or_printed_name(text: str) -> str:
    """The name ``text`` means in a LaTeX expression, else symgrad's printed name ``text``."""
    from symgrad.text.latex import GREEK_MACROS, latex_name

    try:
        return latex_name(text)
    except ParseError as error:
        refusal = error
    head = re.match(r"[A-Za-z]+", text)
    if head and head.group(0) in GREEK_MACROS:
        try:
            return latex_name("\\" + text)
        except ParseError:
            pass
    if _NAME.match(text):
        return text
    raise refusal


@dataclass(frozen=True)
class Parsed:
    """A parsed expression with the names written, its real domain and reading notes."""

    expr: sympy.Basic
    names: frozenset[str] = frozenset()
    domain: tuple[Constraint, ...] = ()
    notes: tuple[str, ...] = ()
    functions: frozenset[str] = field(default_factory=frozenset)
    text: str = ""

    @functools.cached_property
    def symbols(self) -> frozenset[sympy.Symbol]:
        """The free symbols of the expression (one walk over its DAG, kept)."""
        return frozenset(symbols_of(self.expr))

    @classmethod
    def of_sympy(cls, expr: sympy.Basic) -> Parsed:
        """A SymPy expression given directly: its symbols, names and domain from one graph."""
        graph = ExprGraph.from_sympy(expr)
        symbols = frozenset(graph.symbols())
        parsed = cls(expr, frozenset(s.name for s in symbols), domain_of_graph(graph))
        parsed.__dict__["symbols"] = symbols
        return parsed


def _known_function_names(functions: frozenset[str]) -> frozenset[str]:
    return frozenset(KNOWN_FUNCTIONS) | functions


def _precheck(text: str) -> None:
    """Refuse input that is not text, too large or empty, before tokenizing."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise over_length(
            ParseError(f"input of {len(text)} characters exceeds the limit of {MAX_LENGTH}")
        )
    if not text.strip():
        raise ParseError("empty expression: type a formula such as 'w0*x0 + w1*x1'")
    for position, char in enumerate(text):
        if not (char.isprintable() or char.isspace()):
            raise ParseError(f"character {char!r} is not allowed in an expression", text, position)
    digits = re.search(r"\d{%d,}" % (MAX_INTEGER_DIGITS + 1), text)
    if digits:
        raise over_length(
            ParseError(
                f"number literal of {len(digits.group())}+ digits exceeds the limit of "
                f"{MAX_INTEGER_DIGITS}",
                text,
                digits.start(),
            )
        )
    depth = 0
    for position, char in enumerate(text):
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"brackets nested deeper than {MAX_DEPTH} levels", text, position)
        elif char in ")]}":
            depth -= 1


class Builder:
    """Build the grammar's tree into SymPy, under the size limits, recording the domain."""

    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.context = context
        self.nodes = 0
        self.names: set[str] = set()
        self.domain: list[Constraint] = []
        self.index_values: dict[str, int] = {}

    def fail(self, message: str, position: int | None = None) -> ParseError:
        if position is not None and self.text:
            position = max(0, min(position, len(self.text) - 1))
        return ParseError(message, self.text, position)

    def require(self, expr: sympy.Basic, relation: str, source: str = "") -> None:
        if expr.is_number or always_holds(expr, relation):
            return
        constraint = Constraint(expr, relation, source)
        if constraint not in self.domain:
            self.domain.append(constraint)

    def build(self, node: tuple) -> sympy.Basic:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise over_length(self.fail(f"expression has more than {MAX_NODES} parts"))
        kind = node[0]
        return getattr(self, f"_{kind}")(node)

    # ------------------------------------------------------------ leaves
    def _num(self, node) -> sympy.Expr:
        text, position = node[1], node[2]
        mantissa, _, exponent = text.lower().partition("e")
        digits = len(mantissa.replace(".", "").lstrip("0"))
        if digits > MAX_INTEGER_DIGITS:
            raise over_length(
                self.fail(
                    f"number literal of {digits} digits exceeds the limit of {MAX_INTEGER_DIGITS}",
                    position,
                )
            )
        too_long = f"number {text!r} would have more than {MAX_NUMBER_DIGITS} digits"
        if exponent and abs(int(exponent)) > MAX_NUMBER_DIGITS + MAX_INTEGER_DIGITS:
            raise self.fail(too_long, position)
        if exponent:
            self.context.note(f"{text} is read as a number in scientific notation")
        exact = Fraction(text)
        if max(len(str(abs(exact.numerator))), len(str(exact.denominator))) > MAX_NUMBER_DIGITS:
            raise self.fail(too_long, position)
        return Rational(exact.numerator, exact.denominator)

    def _indexsum(self, node) -> sympy.Expr:
        """``\\sum_{i=1}^{3} (y_i - w x_i)^2`` in scalar mode: the terms written out, x_i
        read as x1, x2, x3 (as LaTeX reads x_{1})."""
        index, lower, upper, body, position = node[1], node[2], node[3], node[4], node[5]
        first, last = int(lower), int(upper)
        if last - first + 1 > MAX_SUM_TERMS:
            raise over_length(self.fail(f"a sum of more than {MAX_SUM_TERMS} terms", position))
        saved = dict(self.index_values)
        terms = []
        for value in range(first, last + 1):
            self.index_values[index] = value
            terms.append(self.build(body))
        self.index_values = saved
        self.context.note(
            f"the sum over {index} = {first}..{last} is written out ({last - first + 1} terms)"
        )
        return self._checked(sympy.Add(*terms), position)

    def _indexed(self, name: str) -> sympy.Basic | None:
        """Inside a sum: the index itself is its value; ``x_i`` is x1 when i = 1."""
        if name in self.index_values:
            return sympy.Integer(self.index_values[name])
        parts = name.split("_")
        if not any(p in self.index_values for p in parts[1:]):
            return None
        parts = [str(self.index_values.get(p, p)) if i else p for i, p in enumerate(parts)]
        joined = parts[0]
        for i, part in enumerate(parts[1:]):
            glue = i == 0 and part.isdigit() and not joined[-1].isdigit()
            joined = joined + part if glue else f"{joined}_{part}"
        self.names.add(joined)
        return real_symbol(joined)

    def _name(self, node) -> sympy.Basic:
        name, position = node[1], node[2]
        if self.index_values:
            indexed = self._indexed(name)
            if indexed is not None:
                return indexed
        if name in REFUSED_NAMES:
            raise self.fail(REFUSED_NAMES[name], position)
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name == "e" and not self.context.e_is_symbol:
            self.context.note("e is read as Euler's number (declare it as a symbol to change that)")
            return sympy.E
        if not _NAME.match(name):
            raise self.fail(f"name {name!r} is not allowed (names start with a letter)", position)
        if name in KNOWN_FUNCTIONS and name not in SYMBOL_OR_FUNCTION:
            raise self.fail(f"{name!r} is a function: call it, e.g. {name}(x)", position)
        if self.context.resolve_names and name not in self.context.symbols:
            return self._resolved(name, node[3] if len(node) > 3 else name, position)
        self.names.add(name)
        return real_symbol(name)

    def _resolved(self, name: str, source: str, position: int) -> sympy.Basic:
        """A claim's name read through the known names: a variant (``w_0`` is w0) or a
        product of known names written together (``wx`` is w*x); else the name itself."""
        try:
            parts = resolve(name, self._splittable())
        except ParseError as error:
            raise self.fail(error.message, position) from None
        if not parts:
            self.names.add(name)
            return real_symbol(name)
        self.names.update(p for p in parts if self._part(p).is_Symbol)
        self.context.note(f"{source} is read as {'*'.join(parts)}")
        return sympy.Mul(*(self._part(part) for part in parts))

    def _paren(self, node) -> sympy.Basic:
        return self.build(node[1])

    def _true(self, node) -> sympy.Basic:
        return sympy.true

    # ------------------------------------------------------------ arithmetic
    def _add(self, node) -> sympy.Expr:
        terms = []
        for sign, term in node[1]:
            value = self.build(term)
            terms.append(-value if sign < 0 else value)
        return self._checked(sympy.Add(*terms))

    def _neg(self, node) -> sympy.Expr:
        return -self.build(node[1])

    def _mul(self, node) -> sympy.Expr:
        numerator, denominator = [], []
        for op, factor in node[1]:
            value = self.build(factor)
            if op == "/":
                if value.is_zero:
                    raise self.fail("division by zero")
                self.require(value, "!=", "a denominator")
                denominator.append(value)
            else:
                numerator.append(value)
        result = sympy.Mul(*numerator)
        if denominator:
            result = result / sympy.Mul(*denominator)
        return self._checked(result)

    def _pow(self, node) -> sympy.Expr:
        glued = self._glued_power(node)
        if glued is not None:
            return glued
        base = self.build(node[1])
        exponent = self.build(node[2])
        return self.power(base, exponent, node[3])

    def _glued_power(self, node) -> sympy.Expr | None:
        """``wx^2`` read as w*x: the power belongs to the last name, as written (w*x**2)."""
        base = node[1]
        if base[0] != "name" or not self.context.resolve_names or base[1] in self.context.symbols:
            return None
        try:
            parts = resolve(base[1], self._splittable())
        except ParseError:
            return None
        if not parts or len(parts) < 2:
            return None
        self.names.update(p for p in parts if self._part(p).is_Symbol)
        source = base[3] if len(base) > 3 else base[1]
        *first, last = parts
        exponent = self.build(node[2])
        self.context.note(f"{source}^... is read as {'*'.join(first)}*{last}^...")
        powered = self.power(self._part(last), exponent, node[3])
        return self._checked(sympy.Mul(*(self._part(p) for p in first), powered))

    def _splittable(self) -> set[str]:
        """The names a run-together name may be made of: the known ones, and e and pi."""
        constants = {"pi"} | (set() if self.context.e_is_symbol else {"e"})
        return set(self.context.symbols) | (constants - set(self.context.symbols))

    def _part(self, part: str) -> sympy.Expr:
        if part == "pi" and part not in self.context.symbols:
            return sympy.pi
        if part == "e" and part not in self.context.symbols and not self.context.e_is_symbol:
            return sympy.E
        return real_symbol(part)

    def power(self, base: sympy.Expr, exponent: sympy.Expr, position: int | None) -> sympy.Expr:
        if exponent.free_symbols:
            if not (base.is_number and base.is_positive):
                self.require(base, ">", "a base with a symbolic exponent")
            if base.is_Rational and abs(base) > 1 and exponent.has(sympy.Pow):
                pass
            return self._checked(sympy.Pow(base, exponent))
        if not exponent.is_Rational:
            if not (base.is_number and base.is_positive):
                self.require(base, ">", "a base with an irrational exponent")
            return self._checked(sympy.Pow(base, exponent))
        p, q = int(exponent.p), int(exponent.q)
        if q > MAX_EXPONENT:
            raise self.fail(
                f"exponent {short_number(exponent)} has a denominator above {MAX_EXPONENT}",
                position,
            )
        if base.is_number:
            if abs(p) > MAX_SYMBOLIC_EXPONENT and not base.is_Rational:
                raise self.fail(f"exponent {short_number(exponent)} exceeds the limit", position)
            if base.is_Rational and power_digits(base, p, q) > MAX_NUMBER_DIGITS + 1:
                raise self.fail(
                    f"{power_text(base, exponent)} would have more than {MAX_NUMBER_DIGITS} digits",
                    position,
                )
            if base.is_zero and exponent.is_negative:
                raise self.fail("division by zero (0 to a negative power)", position)
            if base.is_negative and q > 1:
                raise self.fail(f"{power_text(base, exponent)} is not a real number", position)
        else:
            if abs(p) > MAX_SYMBOLIC_EXPONENT:
                raise self.fail(
                    f"exponent {short_number(exponent)} exceeds the limit of "
                    f"{MAX_SYMBOLIC_EXPONENT}",
                    position,
                )
            if q > 1:
                # SymPy's x**(p/q) is the principal (complex) root for x < 0
                self.require(base, ">" if p < 0 else ">=", "a fractional power")
            elif p < 0:
                self.require(base, "!=", "a negative power")
        return self._checked(sympy.Pow(base, exponent), position)

    def _checked(self, result: sympy.Basic, position: int | None = None) -> sympy.Basic:
        """Bound what SymPy's automatic merging made: ((x+1)**100)**100 is (x+1)**10000."""
        if isinstance(result, sympy.Pow) and result.exp.is_Rational:
            if abs(result.exp.p) > MAX_SYMBOLIC_EXPONENT:
                raise self.fail(
                    f"the power {short_number(result.exp)} (after combining exponents) exceeds "
                    f"the limit of {MAX_SYMBOLIC_EXPONENT}",
                    position,
                )
        if result.is_Rational and (
            len(str(abs(result.p))) > MAX_NUMBER_DIGITS or len(str(result.q)) > MAX_NUMBER_DIGITS
        ):
            raise self.fail(
                f"the number {short_number(result)} has more than {MAX_NUMBER_DIGITS} digits",
                position,
            )
        if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.fail("the expression is undefined (division by zero or infinity)", position)
        return result

    # ------------------------------------------------------------ calls
    def _call(self, node) -> sympy.Basic:
        name, args, position = node[1], node[2], node[3]
        primes = node[4] if len(node) > 4 else 0
        if name.lower() == "piecewise":
            return self._piecewise(("piecewise", [(a[1], a[2]) for a in args], position))
        if name == "where" and name not in self.context.functions:
            return self._where(args, position)
        values = [self.build(arg) for arg in args]
        if name in self.context.functions:
            return self._declared(name, values, primes, position)
        if name in ("pow", "power"):
            if len(values) != 2:
                raise self.fail(f"{name} takes two arguments (base, exponent)", position)
            return self.power(values[0], values[1], position)
        builder, arities, rule = KNOWN_FUNCTIONS[name]
        self._arity(name, arities, len(values), position)
        if name in ("Heaviside", "heaviside") and len(values) == 2:
            if values[1] not in (0, sympy.S.Half, 1):
                raise self.fail(f"{name}(x, h) needs h = 0, 1/2 or 1", position)
            builder = sympy.Heaviside
        if name == "Heaviside" and len(values) == 1:
            values.append(sympy.S.Zero)
        if name in ("argmax_share", "argmin_share") and not values[0].is_Integer:
            raise self.fail(f"{name} needs an integer index first", position)
        self._combinatorial(name, values, position)
        self._domain(name, rule, values, position)
        if name in REWRITTEN and not (name == "mean" and len(values) == 1):
            self.context.note(REWRITTEN[name])
        if primes:
            if len(values) != 1:
                raise self.fail(f"{name}' needs one argument", position)
            u = sympy.Dummy("u", real=True)
            derivative = sympy.diff(builder(u), u, primes)
            return self._checked(fn.drop_dirac(derivative).xreplace({u: values[0]}))
        return self._checked(builder(*values), position)

    def _combinatorial(self, name: str, values, position) -> None:
        """Factorials and binomials of numbers: whole numbers, small enough to write out."""
        if name not in ("factorial", "binomial", "binom", "comb"):
            return
        for value in values:
            if value.is_number and not (value.is_Integer and value >= 0):
                raise self.fail(
                    f"{name} of {value}: a nonnegative whole number is needed", position
                )
            if value.is_Integer and value > MAX_FACTORIAL:
                raise self.fail(
                    f"{name} of {short_number(value)} is beyond the limit of {MAX_FACTORIAL}",
                    position,
                )

    def _arity(self, name: str, arities, count: int, position) -> None:
        if arities is None and count < 2 and not (name in ONE_OR_MORE and count == 1):
            raise self.fail(f"{name} takes two or more arguments, got {count}", position)
        if arities is not None and count not in arities:
            want = " or ".join(str(a) for a in arities)
            raise self.fail(f"{name} takes {want} argument(s), got {count}", position)

    def _declared(self, name: str, values, primes: int, position) -> sympy.Expr:
        """A declared arbitrary function of any number of arguments; ``f'`` needs one."""
        function = sympy.Function(name, real=True)
        if primes:
            if len(values) != 1:
                raise self.fail(
                    f"{name}' of {len(values)} arguments has no single reading: name the "
                    f"partial derivative, e.g. D_1 {name}(...) for the first argument",
                    position,
                )
            return self._derivative(function, values[0], primes)
        return function(*values)

    def _where(self, args, position) -> sympy.Expr:
        """``where(condition, a, b)`` (NumPy, PyTorch): a where the condition holds, else b."""
        if len(args) != 3:
            raise self.fail("where takes three arguments: where(condition, a, b)", position)
        condition = self.build(args[0])
        if not _is_condition(condition):
            raise self.fail("where(condition, a, b) needs a condition first", position)
        node = ("piecewise", [(args[1], args[0]), (args[2], ("true",))], position)
        return self._piecewise(node)

    def _indicator(self, node) -> sympy.Expr:
        """``[y w x < 1]`` or ``𝟙[...]``: 1 where the condition holds, else 0."""
        return self._piecewise(("piecewise", [(("num", "1", node[2]), node[1]),
                                              (("num", "0", node[2]), ("true",))], node[2]))  # fmt: skip

    def _softmax(self, node) -> sympy.Expr:
        """``softmax(z0, z1, z2)[k]`` = exp(z_k)/sum_j exp(z_j); ``log_softmax`` its log."""
        name, args, index, position = node[1], node[2], node[3], node[4]
        values = [self.build(arg) for arg in args]
        if not 0 <= index < len(values):
            raise self.fail(
                f"{name}(...) has {len(values)} components: index {index} is out of range", position
            )
        total = sympy.Add(*(sympy.exp(v) for v in values))
        if name == "log_softmax":
            return self._checked(values[index] - sympy.log(total), position)
        return self._checked(sympy.exp(values[index]) / total, position)

    def _partial(self, node) -> sympy.Expr:
        """``D_k f(a, b)``: the partial derivative of a declared f in its k-th argument at (a, b)."""
        name, k, args, position = node[1], node[2], node[3], node[4]
        values = [self.build(arg) for arg in args]
        if not 1 <= k <= len(values):
            raise self.fail(f"{name} has {len(values)} arguments: D_{k} names none", position)
        dummies = [sympy.Symbol(f"_xi_{i + 1}", real=True) for i in range(len(values))]
        derivative = sympy.Derivative(sympy.Function(name, real=True)(*dummies), dummies[k - 1])
        return sympy.Subs(derivative, tuple(dummies), tuple(values))

    def _derivative(self, function, argument, primes: int) -> sympy.Expr:
        x = sympy.Symbol("_xi", real=True)
        derivative = sympy.Derivative(function(x), (x, primes))
        if argument == x:
            return derivative
        return sympy.Subs(derivative, x, argument)

    def _domain(self, name: str, rule: str | None, values, position) -> None:
        if rule is None:
            return
        if rule == "not_origin":
            self.require(values[0] ** 2 + values[1] ** 2, "!=", f"{name}(...)")
            return
        if rule == "denominator":
            if values[1].is_zero:
                raise self.fail("division by zero", position)
            self.require(values[1], "!=", "a denominator")
            return
        u = values[0]
        if u.is_number and rule in _SHIFTED:
            expr, relation = _SHIFTED[rule](u)
            holds = {">": expr.is_positive, ">=": expr.is_nonnegative, "!=": expr.is_nonzero}
            if holds[relation] is False:
                raise self.fail(f"{name}({u}) is not a real number", position)
            return
        if u.is_number:
            bad = (
                (rule == "positive" and u.is_nonpositive)
                or (rule == "nonnegative" and u.is_negative)
                or (rule == "unit" and (u > 1) == sympy.true or (u < -1) == sympy.true)
            )
            if bad:
                raise self.fail(f"{name}({u}) is not a real number", position)
            if rule == "tan" and sympy.cos(u).is_zero:
                raise self.fail(f"tan({u}) is undefined", position)
            return
        if rule in _SHIFTED:
            expr, relation = _SHIFTED[rule](u)
            self.require(expr, relation, f"{name}(...)")
        elif rule == "positive":
            self.require(u, ">", f"{name}(...)")
        elif rule == "nonnegative":
            self.require(u, ">=", f"{name}(...)")
        elif rule == "unit":
            self.require(1 - u**2, ">=", f"{name}(...)")
        elif rule == "tan":
            self.require(sympy.cos(u), "!=", "tan(...)")

    # ------------------------------------------------------------ piecewise and relations
    def _piecewise(self, node) -> sympy.Basic:
        pieces = []
        for value, condition in node[1]:
            pieces.append((self.build(value), self.build(condition)))
        if not any(c == sympy.true for _, c in pieces):
            self.require(sympy.Or(*(c for _, c in pieces)), "holds", "piecewise(...)")
        try:
            return self._checked(sympy.Piecewise(*pieces))
        except (TypeError, ValueError) as error:
            raise self.fail(f"piecewise: {error}", node[2]) from None

    def _piece(self, node) -> sympy.Basic:
        raise self.fail("a (value, condition) pair outside piecewise(...)")

    def _rel(self, node) -> sympy.Basic:
        left = self.build(node[1])
        parts = []
        for op, right_node, _ in node[2]:
            right = self.build(right_node)
            parts.append(_RELATION[op](left, right))
            left = right
        return sympy.And(*parts) if len(parts) > 1 else parts[0]

    def _and(self, node) -> sympy.Basic:
        return sympy.And(*(self.build(n) for n in node[1]))

    def _or(self, node) -> sympy.Basic:
        return sympy.Or(*(self.build(n) for n in node[1]))

    def _not(self, node) -> sympy.Basic:
        return sympy.Not(self.build(node[1]))


#: domain rules that are a constraint on a shifted argument: rule -> (expr, relation)
_SHIFTED = {
    "above_minus_one": lambda u: (1 + u, ">"),
    "at_least_one": lambda u: (u - 1, ">="),
    "open_unit": lambda u: (1 - u**2, ">"),
    "sine": lambda u: (sympy.sin(u), "!="),
}

_RELATION = {
    "<": sympy.Lt,
    "<=": sympy.Le,
    ">": sympy.Gt,
    ">=": sympy.Ge,
    "=": sympy.Eq,
    "!=": sympy.Ne,
}


def _context(
    functions: Iterable[str],
    symbols: Iterable[str],
    e_is_symbol: bool,
    latex: bool,
    resolve_names: bool = False,
) -> Context:
    declared = frozenset(check_name(name, "function") for name in functions)
    return Context(
        functions=declared,
        known_functions=_known_function_names(frozenset()) - declared,
        symbols=frozenset(symbols),
        e_is_symbol=e_is_symbol,
        latex=latex,
        resolve_names=resolve_names,
    )


def read(
    text: str,
    functions: Iterable[str] = (),
    symbols: Iterable[str] = (),
    e_is_symbol: bool = False,
    latex: bool = False,
    relation: bool = False,
    resolve_names: bool = False,
) -> Parsed:
    """Parse ``text`` (plain maths, or LaTeX with ``latex=True``) into a :class:`Parsed`.

    ``functions`` names arbitrary differentiable functions;
    ``symbols`` are names known from elsewhere (the loss, when reading a claim),
    so that ``x(...)`` reads as a product when x is one of them; with
    ``resolve_names`` a name that is not among them is read through them when it can be
    (:mod:`symgrad.text.names`: ``wx`` is w*x, ``w_0`` is w0); with
    ``e_is_symbol`` the name ``e`` is a symbol rather than Euler's number.
    """
    _precheck(text)
    context = _context(functions, symbols, e_is_symbol, latex, resolve_names)
    if latex:
        from symgrad.text.latex import lex_latex

        tokens = lex_latex(text, context)
    else:
        tokens = lex_text(text)
    tree = parse_tokens(tokens, text, context, relation=relation)
    builder = Builder(text, context)
    try:
        expr = builder.build(tree)
    except RecursionError:
        raise ParseError("expression is nested too deeply", text) from None
    _check_size(expr, text)
    notes = list(context.notes)
    return Parsed(
        expr=expr,
        names=frozenset(builder.names),
        domain=tuple(builder.domain),
        notes=tuple(notes),
        functions=context.functions,
        text=text,
    )


def _check_size(expr: sympy.Basic, text: str) -> None:
    """Bound the polynomial degree of what was built (merged powers and products)."""
    degree: dict[sympy.Basic, int] = {}
    stack = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if node in degree:
            continue
        if not node.args or isinstance(node, sympy.Function):
            degree[node] = 0 if node.is_number else 1
            if isinstance(node, sympy.Function):
                stack.extend((arg, False) for arg in node.args if arg not in degree)
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in degree)
            continue
        children = [degree.get(arg, 0) for arg in node.args]
        if isinstance(node, sympy.Mul):
            value = sum(children)
        elif isinstance(node, sympy.Pow) and node.exp.is_Rational:
            value = children[0] * abs(int(node.exp.p))
        else:
            value = max(children, default=0)
        degree[node] = value
        if value > MAX_DEGREE:
            raise ParseError(
                f"the expression has polynomial degree above {MAX_DEGREE} after combining "
                "powers and products",
                text,
            )


def parse_expression(
    text: str,
    functions: Iterable[str] = (),
    symbols: Iterable[str] = (),
    e_is_symbol: bool = False,
    latex: bool = False,
) -> sympy.Expr:
    """Parse ``text`` into a real SymPy expression, safely (see :func:`read`)."""
    parsed = read(text, functions, symbols, e_is_symbol, latex)
    if _is_condition(parsed.expr):
        raise ParseError("a condition where an expression is expected", text)
    return parsed.expr


def _is_condition(expr: sympy.Basic) -> bool:
    return isinstance(
        expr,
        (
            sympy.core.relational.Relational,
            sympy.logic.boolalg.BooleanFunction,
            sympy.logic.boolalg.BooleanAtom,
        ),
    )


def parse_relation(text: str, functions: Iterable[str] = (), latex: bool = False):
    """Parse ``lhs OP rhs`` with OP one of ``= == > >= < <= !=``; return (lhs, op, rhs).

    >>> parse_relation("x0 = x1")
    (x0, '=', x1)
    """
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty relation: write e.g. 'x0 = x1' or 'x > 0'")
    _precheck(text)
    context = _context(functions, (), False, latex)
    if latex:
        from symgrad.text.latex import lex_latex

        tokens = lex_latex(text, context)
    else:
        tokens = lex_text(text)
    tree = parse_tokens(tokens, text, context, relation=True)
    if tree[0] != "rel":
        raise ParseError("expected one relation such as 'x0 = x1' or 'x > 0'", text)
    if len(tree[2]) != 1:
        raise ParseError("one relation at a time: write 'a = b' and 'b = c' separately", text)
    builder = Builder(text, context)
    op, right, _ = tree[2][0]
    return builder.build(tree[1]), op, builder.build(right)


def parse_number(text: str, latex: bool = False) -> sympy.Expr:
    """Parse an exact real number (an expression with no free symbol), e.g. ``1/2`` or ``0.1``.

    A number containing a backslash is LaTeX (``\\frac{1}{2}``): plain text never has one.
    """
    latex = latex or (isinstance(text, str) and "\\" in text)
    value = parse_expression(text, latex=latex)
    if value.free_symbols:
        names = ", ".join(sorted(str(s) for s in value.free_symbols))
        raise ParseError(f"expected a number, got an expression in {names}", text)
    if not is_finite_number(value):
        raise ParseError(f"{text.strip()!r} is not a finite real number", text)
    return value


def is_finite_number(value: sympy.Expr) -> bool:
    """True for a finite real number (no symbols, no zoo or nan, not complex)."""
    if value.free_symbols or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I):
        return False
    if value.is_Rational:
        return True
    try:
        approx = complex(value.evalf(30))
    except (TypeError, ValueError):
        return False
    return math.isfinite(approx.real) and abs(approx.imag) < 1e-20 and value.is_real is not False


def parse_latex_expression(text: str, functions: Iterable[str] = ()) -> sympy.Expr:
    """Parse LaTeX (``\\frac{}{}``, ``\\cdot``, ``^{}``, ``\\tanh``) under the same limits."""
    return parse_expression(text, functions, latex=True)
