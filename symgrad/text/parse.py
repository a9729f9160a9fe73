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

from symgrad.errors import ParseError
from symgrad.exact import functions as fn
from symgrad.exact.dag import symbols_of
from symgrad.exact.domain import Constraint, always_holds, domain_of_graph
from symgrad.exact.graph import ExprGraph
from symgrad.text.grammar import REFUSED_NAMES, Context, lex_text, parse_tokens

MAX_LENGTH = 20_000
MAX_DEPTH = 60
MAX_INTEGER_DIGITS = 60
MAX_EXPONENT = 100
MAX_SYMBOLIC_EXPONENT = 8_000
MAX_DEGREE = 20_000
MAX_NUMBER_DIGITS = 2_000
MAX_NODES = 20_000


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


def _sech(u):
    return sympy.sech(u)


#: name -> (builder, allowed argument counts (None: 2 or more), domain rule)
KNOWN_FUNCTIONS: dict[str, tuple[object, tuple[int, ...] | None, str | None]] = {
    "exp": (sympy.exp, (1,), None),
    "log": (sympy.log, (1,), "positive"),
    "ln": (sympy.log, (1,), "positive"),
    "sqrt": (sympy.sqrt, (1,), "nonnegative"),
    "abs": (sympy.Abs, (1,), None),
    "Abs": (sympy.Abs, (1,), None),
    "sign": (sympy.sign, (1,), None),
    "sgn": (sympy.sign, (1,), None),
    "sin": (sympy.sin, (1,), None),
    "cos": (sympy.cos, (1,), None),
    "tan": (sympy.tan, (1,), "tan"),
    "sinh": (sympy.sinh, (1,), None),
    "cosh": (sympy.cosh, (1,), None),
    "tanh": (sympy.tanh, (1,), None),
    "sech": (_sech, (1,), None),
    "asin": (sympy.asin, (1,), "unit"),
    "arcsin": (sympy.asin, (1,), "unit"),
    "acos": (sympy.acos, (1,), "unit"),
    "arccos": (sympy.acos, (1,), "unit"),
    "atan": (sympy.atan, (1,), None),
    "arctan": (sympy.atan, (1,), None),
    "sigmoid": (fn.sigmoid, (1,), None),
    "sigma": (fn.sigmoid, (1,), None),
    "logistic": (fn.sigmoid, (1,), None),
    "relu": (fn.relu, (1,), None),
    "ReLU": (fn.relu, (1,), None),
    "softplus": (fn.softplus, (1,), None),
    "max": (fn.Max, None, None),
    "Max": (fn.Max, None, None),
    "min": (fn.Min, None, None),
    "Min": (fn.Min, None, None),
    "heaviside": (fn.heaviside, (1,), None),
    "H": (fn.heaviside, (1,), None),
    "Heaviside": (sympy.Heaviside, (1, 2), None),
    "argmax_share": (fn.argmax_share, None, None),
    "argmin_share": (fn.argmin_share, None, None),
    "piecewise": (None, None, None),
    "Piecewise": (None, None, None),
}
#: names that are functions when called and symbols otherwise
SYMBOL_OR_FUNCTION = {"sigma", "H"}
CONSTANTS = {"pi": sympy.pi}

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
        raise ParseError(f"input of {len(text)} characters exceeds the limit of {MAX_LENGTH}")
    if not text.strip():
        raise ParseError("empty expression: type a formula such as 'w0*x0 + w1*x1'")
    for position, char in enumerate(text):
        if not (char.isprintable() or char in " \t\n\r"):
            raise ParseError(f"character {char!r} is not allowed in an expression", text, position)
    digits = re.search(r"\d{%d,}" % (MAX_INTEGER_DIGITS + 1), text)
    if digits:
        raise ParseError(
            f"number literal of {len(digits.group())}+ digits exceeds the limit of "
            f"{MAX_INTEGER_DIGITS}",
            text,
            digits.start(),
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
            raise self.fail(f"expression has more than {MAX_NODES} parts")
        kind = node[0]
        return getattr(self, f"_{kind}")(node)

    # ------------------------------------------------------------ leaves
    def _num(self, node) -> sympy.Expr:
        text, position = node[1], node[2]
        mantissa, _, exponent = text.lower().partition("e")
        digits = len(mantissa.replace(".", "").lstrip("0"))
        if digits > MAX_INTEGER_DIGITS:
            raise self.fail(
                f"number literal of {digits} digits exceeds the limit of {MAX_INTEGER_DIGITS}",
                position,
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

    def _name(self, node) -> sympy.Basic:
        name, position = node[1], node[2]
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
        self.names.add(name)
        return real_symbol(name)

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
        base = self.build(node[1])
        exponent = self.build(node[2])
        return self.power(base, exponent, node[3])

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
        values = [self.build(arg) for arg in args]
        if name in self.context.functions:
            if len(values) != 1:
                raise self.fail(
                    f"{name} is declared with one argument, got {len(values)}", position
                )
            function = sympy.Function(name, real=True)
            if primes:
                return self._derivative(function, values[0], primes)
            return function(values[0])
        builder, arities, rule = KNOWN_FUNCTIONS[name]
        if arities is None and len(values) < 2 and name not in ("max", "min", "Max", "Min"):
            raise self.fail(f"{name} takes two or more arguments, got {len(values)}", position)
        if arities is not None and len(values) not in arities:
            want = " or ".join(str(a) for a in arities)
            raise self.fail(f"{name} takes {want} argument(s), got {len(values)}", position)
        if name == "Heaviside" and len(values) == 2 and values[1] not in (0, sympy.S.Half, 1):
            raise self.fail("Heaviside(x, h) needs h = 0, 1/2 or 1", position)
        if name == "Heaviside" and len(values) == 1:
            values.append(sympy.S.Zero)
        if name in ("argmax_share", "argmin_share") and not values[0].is_Integer:
            raise self.fail(f"{name} needs an integer index first", position)
        self._domain(name, rule, values, position)
        if primes:
            if len(values) != 1:
                raise self.fail(f"{name}' needs one argument", position)
            u = sympy.Dummy("u", real=True)
            derivative = sympy.diff(builder(u), u, primes)
            return self._checked(fn.drop_dirac(derivative).xreplace({u: values[0]}))
        return self._checked(builder(*values), position)

    def _derivative(self, function, argument, primes: int) -> sympy.Expr:
        x = sympy.Symbol("_xi", real=True)
        derivative = sympy.Derivative(function(x), (x, primes))
        if argument == x:
            return derivative
        return sympy.Subs(derivative, x, argument)

    def _domain(self, name: str, rule: str | None, values, position) -> None:
        if rule is None:
            return
        u = values[0]
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
        if rule == "positive":
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


_RELATION = {
    "<": sympy.Lt,
    "<=": sympy.Le,
    ">": sympy.Gt,
    ">=": sympy.Ge,
    "=": sympy.Eq,
    "!=": sympy.Ne,
}


def _context(
    functions: Iterable[str], symbols: Iterable[str], e_is_symbol: bool, latex: bool
) -> Context:
    declared = frozenset(check_name(name, "function") for name in functions)
    return Context(
        functions=declared,
        known_functions=_known_function_names(frozenset()) - declared,
        symbols=frozenset(symbols),
        e_is_symbol=e_is_symbol,
        latex=latex,
    )


def read(
    text: str,
    functions: Iterable[str] = (),
    symbols: Iterable[str] = (),
    e_is_symbol: bool = False,
    latex: bool = False,
    relation: bool = False,
) -> Parsed:
    """Parse ``text`` (plain maths, or LaTeX with ``latex=True``) into a :class:`Parsed`.

    ``functions`` names arbitrary differentiable functions of one argument;
    ``symbols`` are names known from elsewhere (the loss, when reading a claim),
    so that ``x(...)`` reads as a product when x is one of them; with
    ``e_is_symbol`` the name ``e`` is a symbol rather than Euler's number.
    """
    _precheck(text)
    context = _context(functions, symbols, e_is_symbol, latex)
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
