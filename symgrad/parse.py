"""Safe text -> SymPy: a whitelist walk over Python's syntax tree.

User text never reaches ``eval``, ``sympify`` or ``parse_expr``. The text is
parsed by :func:`ast.parse` (which executes nothing) after cheap size checks,
and only these nodes are turned into SymPy objects: numbers, names,
``+ - * / **``, unary ``+``/``-``, parentheses and calls of known functions.
Every symbol is real.

>>> parse_expression("(y - w0*x0 - w1*x1)**2")
(-w0*x0 - w1*x1 + y)**2
>>> parse_expression("0.1*w")
w/10
>>> parse_expression("sigma(w*x)", functions=["sigma"])
sigma(w*x)
>>> parse_expression("x^2")
Traceback (most recent call last):
    ...
symgrad.errors.ParseError: '^' is not a power in symgrad: write x**2 instead of x^2 (at column 2 of 'x^2')
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from fractions import Fraction

import sympy
from sympy import Abs, Max, Min, Rational, cos, exp, log, sin, sqrt, tanh

from symgrad.errors import ParseError
from symgrad.functions import relu, sigmoid, softplus

MAX_LENGTH = 20_000
MAX_DEPTH = 60
MAX_INTEGER_DIGITS = 60
MAX_EXPONENT = 100
MAX_NUMBER_DIGITS = 2_000
MAX_NODES = 20_000

#: name in text -> (SymPy callable, allowed argument counts; None means 2 or more)
KNOWN_FUNCTIONS: dict[str, tuple[object, tuple[int, ...] | None]] = {
    "exp": (exp, (1,)),
    "log": (log, (1,)),
    "sqrt": (sqrt, (1,)),
    "abs": (Abs, (1,)),
    "sin": (sin, (1,)),
    "cos": (cos, (1,)),
    "tanh": (tanh, (1,)),
    "sinh": (sympy.sinh, (1,)),
    "cosh": (sympy.cosh, (1,)),
    "tan": (sympy.tan, (1,)),
    "sigmoid": (sigmoid, (1,)),
    "relu": (relu, (1,)),
    "softplus": (softplus, (1,)),
    "max": (Max, None),
    "min": (Min, None),
}
CONSTANTS = {"pi": sympy.pi}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_UNICODE_HINTS = {
    "\u2212": "unicode minus sign '\u2212': type '-'",
    "\u2013": "dash '\u2013': type '-'",
    "\u00d7": "multiplication sign '\u00d7': type '*'",
    "\u22c5": "dot operator '\u22c5': type '*'",
    "\u00b7": "middle dot '\u00b7': type '*'",
    "\u00f7": "division sign '\u00f7': type '/'",
    "\u00b2": "superscript '\u00b2': type '**2'",
}


def real_symbol(name: str) -> sympy.Symbol:
    """The real SymPy symbol of that name (every symgrad symbol is real)."""
    return sympy.Symbol(name, real=True)


def check_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a valid symbol name, else raise ParseError."""
    if not _NAME.match(name):
        raise ParseError(
            f"{what} {name!r} is not a valid symbol name (letters, digits and '_', "
            "starting with a letter)"
        )
    if name in KNOWN_FUNCTIONS or name in CONSTANTS:
        raise ParseError(f"{what} {name!r} is reserved for a built-in function or constant")
    return name


def _precheck(text: str) -> None:
    """Refuse input that is too large, too deep or uses a wrong operator, before parsing."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input of {len(text)} characters exceeds the limit of {MAX_LENGTH}")
    if not text.strip():
        raise ParseError("empty expression: type a formula such as 'w0*x0 + w1*x1'")
    for position, char in enumerate(text):
        if char in _UNICODE_HINTS:
            raise ParseError(f"not accepted: {_UNICODE_HINTS[char]}", text, position)
        if char == "^":
            left = text[:position].rstrip().split()[-1:] or ["x"]
            right = text[position + 1 :].lstrip().split()[:1] or ["2"]
            raise ParseError(
                f"'^' is not a power in symgrad: write {left[0]}**{right[0]} instead of "
                f"{left[0]}^{right[0]}",
                text,
                position,
            )
        if not (char.isascii() and (char.isprintable() or char in " \t\n")):
            raise ParseError(f"character {char!r} is not allowed in an expression", text, position)
    depth = 0
    run = 0
    for position, char in enumerate(text):
        if char in "([":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(
                    f"parentheses nested deeper than {MAX_DEPTH} levels", text, position
                )
        elif char in ")]":
            depth -= 1
        if char in "+-":
            run += 1
            if run > MAX_DEPTH:
                raise ParseError(f"more than {MAX_DEPTH} signs in a row", text, position)
        elif not char.isspace():
            run = 0
    digits = re.search(r"\d{%d,}" % (MAX_INTEGER_DIGITS + 1), text)
    if digits:
        raise ParseError(
            f"number literal of {len(digits.group())}+ digits exceeds the limit of "
            f"{MAX_INTEGER_DIGITS}",
            text,
            digits.start(),
        )
    powers = text.count("**")
    if powers > MAX_DEPTH:
        raise ParseError(f"{powers} powers '**' exceed the limit of {MAX_DEPTH}", text)
    match = re.search(r"(?<![\w.])(\d+\.?\d*(?:[eE][+-]?\d+)?)([A-Za-z_])", text)
    if match and not re.match(r"\d+\.?\d*[eE][+-]?\d", text[match.start() :]):
        number, letter = match.group(1), match.group(2)
        raise ParseError(
            f"implicit multiplication is not supported: write {number}*{letter} "
            f"instead of {number}{letter}",
            text,
            match.start(),
        )


class _Builder:
    """Turn one whitelisted syntax tree into a SymPy expression."""

    def __init__(self, text: str, functions: frozenset[str]) -> None:
        self.text = text
        self.functions = functions
        self.nodes = 0

    def fail(self, message: str, node: ast.AST | None = None) -> ParseError:
        position = getattr(node, "col_offset", None)
        if position is not None:
            position = self._offset(node)
        return ParseError(message, self.text, position)

    def _offset(self, node: ast.AST) -> int:
        line = getattr(node, "lineno", 1)
        lines = self.text.split("\n")
        return sum(len(item) + 1 for item in lines[: line - 1]) + node.col_offset

    def build(self, node: ast.AST) -> sympy.Expr:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(f"expression has more than {MAX_NODES} parts")
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            raise self.fail(f"operator {_describe(node)} is not allowed", node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Compare):
            raise self.fail(
                "an equation or comparison where an expression is expected: "
                "give the loss itself, e.g. '(y - w*x)**2'",
                node,
            )
        raise self.fail(f"{_describe(node)} is not allowed in a symgrad expression", node)

    def number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{_describe(node)} is not allowed in a symgrad expression", node)
        source = ast.get_source_segment(self.text, node) or repr(value)
        source = source.replace("_", "")
        if isinstance(value, int):
            if len(source.lstrip("0")) > MAX_INTEGER_DIGITS:
                raise self.fail(
                    f"integer literal of {len(source)} digits exceeds the limit of "
                    f"{MAX_INTEGER_DIGITS}",
                    node,
                )
            return sympy.Integer(value)
        mantissa, _, exponent = source.lower().partition("e")
        if exponent and abs(int(exponent)) > MAX_NUMBER_DIGITS // 10:
            raise self.fail(f"number {source!r} has an exponent beyond ±200", node)
        if len(mantissa) > MAX_INTEGER_DIGITS:
            raise self.fail(
                f"number literal of {len(mantissa)} digits exceeds the limit of "
                f"{MAX_INTEGER_DIGITS}",
                node,
            )
        exact = Fraction(source)
        return Rational(exact.numerator, exact.denominator)

    def name(self, node: ast.Name) -> sympy.Expr:
        identifier = node.id
        if identifier in CONSTANTS:
            return CONSTANTS[identifier]
        if identifier in KNOWN_FUNCTIONS or identifier in self.functions:
            raise self.fail(f"{identifier!r} is a function: call it, e.g. {identifier}(x)", node)
        if not _NAME.match(identifier):
            raise self.fail(f"name {identifier!r} is not allowed (names start with a letter)", node)
        return real_symbol(identifier)

    def binary(self, node: ast.BinOp) -> sympy.Expr:
        op = node.op
        if isinstance(op, ast.BitXor):
            raise self.fail("'^' is not a power in symgrad: use '**'", node)
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            raise self.fail(f"operator {_describe(node)} is not allowed", node)
        left = self.build(node.left)
        right = self.build(node.right)
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            if right.is_zero:
                raise self.fail("division by zero", node)
            return left / right
        return self.power(left, right, node)

    def power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.AST) -> sympy.Expr:
        if exponent.is_Number:
            if exponent.is_Rational:
                p, q = int(exponent.p), int(exponent.q)
                if abs(p) > MAX_EXPONENT or q > MAX_EXPONENT:
                    raise self.fail(
                        f"exponent {exponent} exceeds the limit of {MAX_EXPONENT} in absolute "
                        "value",
                        node,
                    )
            if base.is_Number and base.is_Rational:
                size = max(len(str(abs(base.p))), len(str(base.q)))
                if size * abs(float(exponent)) > MAX_NUMBER_DIGITS:
                    raise self.fail(
                        f"{base}**{exponent} would have more than {MAX_NUMBER_DIGITS} digits",
                        node,
                    )
            if base.is_zero and exponent.is_negative:
                raise self.fail("division by zero (0 to a negative power)", node)
        elif base.is_Number and base.is_Rational and abs(base) > 1:
            pass  # a symbolic exponent stays unevaluated
        return sympy.Pow(base, exponent)

    def call(self, node: ast.Call) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only calls of known functions by name are allowed", node)
        name = node.func.id
        if node.keywords:
            raise self.fail(f"keyword arguments are not allowed in {name}(...)", node)
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(f"starred arguments are not allowed in {name}(...)", node)
        if name not in self.functions and name not in KNOWN_FUNCTIONS:
            known = ", ".join(sorted(KNOWN_FUNCTIONS))
            raise self.fail(
                f"unknown function {name!r}: known are {known}; declare an arbitrary "
                f"activation with --function {name}",
                node,
            )
        args = [self.build(arg) for arg in node.args]
        if name in self.functions:
            if len(args) != 1:
                raise self.fail(f"{name} is declared with one argument, got {len(args)}", node)
            return sympy.Function(name, real=True)(*args)
        function, arities = KNOWN_FUNCTIONS[name]
        if arities is None and len(args) < 2:
            raise self.fail(f"{name} takes two or more arguments, got {len(args)}", node)
        if arities is not None and len(args) not in arities:
            raise self.fail(f"{name} takes {arities[0]} argument, got {len(args)}", node)
        if name == "log" and args[0].is_number and not args[0].is_positive:
            raise self.fail(f"log of {args[0]} is undefined", node)
        return function(*args)


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscript",
        ast.Lambda: "lambda",
        ast.JoinedStr: "f-string",
        ast.List: "list",
        ast.Tuple: "tuple",
        ast.Dict: "dict",
        ast.Set: "set",
        ast.IfExp: "conditional expression",
        ast.BoolOp: "boolean operator",
        ast.NamedExpr: "assignment expression",
        ast.Await: "await",
        ast.Yield: "yield",
        ast.GeneratorExp: "generator",
        ast.ListComp: "comprehension",
        ast.Starred: "starred expression",
        ast.Mod: "'%'",
        ast.FloorDiv: "'//'",
        ast.MatMult: "'@'",
        ast.BitAnd: "'&'",
        ast.BitOr: "'|'",
        ast.LShift: "'<<'",
        ast.RShift: "'>>'",
        ast.Invert: "'~'",
        ast.Not: "'not'",
    }
    if isinstance(node, ast.Constant):
        return f"constant {node.value!r}"[:60]
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return names.get(type(node.op), type(node.op).__name__)
    return names.get(type(node), type(node).__name__)


def _syntax_error(text: str, error: SyntaxError) -> ParseError:
    position = None
    if error.offset is not None:
        lines = text.split("\n")
        line = (error.lineno or 1) - 1
        position = sum(len(item) + 1 for item in lines[:line]) + error.offset - 1
        position = max(0, min(position, len(text) - 1))
    message = error.msg or "invalid syntax"
    stripped = text.strip()
    if stripped.endswith("!") or re.search(r"\w!(?!=)", text):
        message = "'!' (factorial) is not supported"
    elif re.search(r"[\w)]\s+[\w(]", stripped) and "=" not in text:
        message = "two terms side by side: write '*' between factors (e.g. 'x*y', not 'x y')"
    elif re.search(r"(?<![<>=!])=(?!=)", text):
        message = "an equation where an expression is expected: give the expression itself"
    return ParseError(f"syntax error: {message}", text, position)


def _parse_tree(text: str) -> ast.Expression:
    _precheck(text)
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise _syntax_error(text.strip(), error) from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError("expression is nested too deeply to parse", text) from None


def parse_expression(text: str, functions: Iterable[str] = ()) -> sympy.Expr:
    """Parse ``text`` (Python syntax) into a real SymPy expression, safely.

    ``functions`` names arbitrary differentiable functions of one argument
    (such as an activation ``sigma``); they stay undefined SymPy functions.
    """
    declared = frozenset(check_name(name, "function") for name in functions)
    tree = _parse_tree(text)
    try:
        return _Builder(text.strip(), declared).build(tree)
    except RecursionError:
        raise ParseError("expression is nested too deeply", text) from None


_RELATIONS = {
    ast.Eq: "=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Lt: "<",
    ast.LtE: "<=",
}


def parse_relation(text: str, functions: Iterable[str] = ()) -> tuple[sympy.Expr, str, sympy.Expr]:
    """Parse ``lhs OP rhs`` with OP one of ``= == > >= < <=``; return (lhs, op, rhs).

    >>> parse_relation("x0 = x1")
    (x0, '=', x1)
    """
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty relation: write e.g. 'x0 = x1' or 'x > 0'")
    normalized = re.sub(r"(?<![<>=!])=(?!=)", "==", text.strip())
    declared = frozenset(check_name(name, "function") for name in functions)
    tree = _parse_tree(normalized)
    body = tree.body
    if not isinstance(body, ast.Compare):
        raise ParseError("expected a relation such as 'x0 = x1' or 'x > 0'", text, None)
    if len(body.ops) != 1:
        raise ParseError("one relation at a time: write 'a = b' and 'b = c' separately", text)
    op = _RELATIONS.get(type(body.ops[0]))
    if op is None:
        raise ParseError("relations are '=', '>', '>=', '<', '<='", text)
    builder = _Builder(normalized, declared)
    return builder.build(body.left), op, builder.build(body.comparators[0])


def parse_number(text: str) -> sympy.Expr:
    """Parse an exact number (an expression with no free symbol), e.g. ``1/2`` or ``0.1``."""
    value = parse_expression(text)
    if value.free_symbols:
        names = ", ".join(sorted(str(s) for s in value.free_symbols))
        raise ParseError(f"expected a number, got an expression in {names}", text)
    return value


def is_finite_number(value: sympy.Expr) -> bool:
    """True for a finite real number (no symbols, no zoo or nan)."""
    if value.free_symbols or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return False
    approx = complex(value.evalf(30))
    return math.isfinite(approx.real) and abs(approx.imag) < 1e-20


_LATEX_FUNCTIONS = {
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tanh: "tanh",
    sympy.Abs: "abs",
}


def _latex_symbol_name(name: str) -> str:
    """``x_{0}`` -> ``x0``, ``x_{0,1}`` -> ``x0_1``, ``\\theta`` -> ``theta``."""
    cleaned = name.replace("\\", "").replace(" ", "")
    base, _, sub = cleaned.partition("_")
    sub = sub.strip("{}").replace(",", "_")
    return check_name(base + sub if sub else base, "LaTeX symbol")


class _LatexBuilder(_Builder):
    """Rebuild an unevaluated tree from SymPy's LaTeX parser through the same checks."""

    def convert(self, node: sympy.Basic) -> sympy.Expr:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(f"expression has more than {MAX_NODES} parts")
        if node.is_Integer:
            if len(str(abs(int(node)))) > MAX_INTEGER_DIGITS:
                raise self.fail("integer literal exceeds the digit limit")
            return sympy.Integer(int(node))
        if node.is_Rational:
            return Rational(int(node.p), int(node.q))
        if node.is_Float:
            exact = Fraction(str(node))
            return Rational(exact.numerator, exact.denominator)
        if node is sympy.E or node is sympy.pi:
            return node
        if node.is_Symbol:
            name = _latex_symbol_name(node.name)
            if name == "e":
                return sympy.E
            return real_symbol(name)
        if isinstance(node, sympy.Add):
            return sympy.Add(*(self.convert(arg) for arg in node.args))
        if isinstance(node, sympy.Mul):
            return sympy.Mul(*(self.convert(arg) for arg in node.args))
        if isinstance(node, sympy.Pow):
            base, exponent = (self.convert(arg) for arg in node.args)
            if exponent.is_negative and base.is_zero:
                raise self.fail("division by zero")
            return self.power(base, exponent, None)
        if isinstance(node, sympy.log):
            if len(node.args) == 2 and node.args[1] is not sympy.E:
                raise self.fail("only natural logarithms are supported")
            return sympy.log(self.convert(node.args[0]))
        for function, name in _LATEX_FUNCTIONS.items():
            if isinstance(node, function):
                return KNOWN_FUNCTIONS[name][0](*(self.convert(arg) for arg in node.args))
        if isinstance(node, sympy.core.function.AppliedUndef):
            name = _latex_symbol_name(node.func.__name__)
            if name in self.functions and len(node.args) == 1:
                return sympy.Function(name, real=True)(self.convert(node.args[0]))
            if name in KNOWN_FUNCTIONS:
                return KNOWN_FUNCTIONS[name][0](*(self.convert(arg) for arg in node.args))
            raise self.fail(
                f"{name}(...) reads as a function call: write {name} \\cdot (...) for a product, "
                f"or declare the function with --function {name}"
            )
        raise self.fail(f"the LaTeX construct {type(node).__name__} is not supported")


def parse_latex_expression(text: str, functions: Iterable[str] = ()) -> sympy.Expr:
    """Parse LaTeX (``\\frac{}{}``, ``\\cdot``, ``^{}``, ``\\tanh``) under the same limits.

    SymPy's LaTeX parser (ANTLR backend) builds an unevaluated tree without
    ``eval``; symgrad then rebuilds it node by node with the whitelist and the
    size limits of :func:`parse_expression`.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty LaTeX expression")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input of {len(text)} characters exceeds the limit of {MAX_LENGTH}")
    if re.search(r"\d{%d,}" % (MAX_INTEGER_DIGITS + 1), text):
        raise ParseError(f"number literal exceeds the limit of {MAX_INTEGER_DIGITS} digits", text)
    depth = 0
    for position, char in enumerate(text):
        depth += char in "({["
        depth -= char in ")}]"
        if depth > MAX_DEPTH:
            raise ParseError(f"brackets nested deeper than {MAX_DEPTH} levels", text, position)
    if text.count("^") > MAX_DEPTH:
        raise ParseError(f"more than {MAX_DEPTH} powers", text)
    if "=" in text:
        raise ParseError(
            "an equation where an expression is expected: give the expression itself", text
        )
    try:
        from sympy.parsing.latex import parse_latex
    except ImportError:  # pragma: no cover - the dependency is declared
        raise ParseError("LaTeX input needs antlr4-python3-runtime==4.11") from None
    try:
        tree = parse_latex(text.strip())
    except ImportError:
        raise ParseError("LaTeX input needs antlr4-python3-runtime==4.11") from None
    except Exception as error:  # noqa: BLE001 - the LaTeX parser raises several kinds
        message = " ".join(str(error).split())[:160]
        raise ParseError(f"LaTeX syntax error: {message}", text) from None
    declared = frozenset(check_name(name, "function") for name in functions)
    try:
        return _LatexBuilder(text, declared).convert(tree)
    except RecursionError:
        raise ParseError("LaTeX expression is nested too deeply", text) from None
