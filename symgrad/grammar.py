"""Maths as people type it: tokens and a grammar shared by plain text and LaTeX.

The plain-text lexer (:func:`lex_text`) and the LaTeX lexer (:mod:`symgrad.latex`)
both produce :class:`Token` lists; :class:`Parser` turns them into a small
syntax tree of tuples (``("add", ...)``, ``("call", name, args)``, ...), which
:mod:`symgrad.parse` builds into SymPy under its limits. Nothing here
evaluates anything.

Reading rules, in one place:

- ``^`` and ``**`` are powers, right-associative; ``-x^2`` is ``-(x^2)``;
  ``{}`` and ``[]`` group like ``()``;
- juxtaposition multiplies (``2x``, ``2 x``, ``(a)(b)``, ``w x``), and a name
  followed by ``(`` that is not a function multiplies (``x(y - w x)``);
  a run of letters is one name (``wx``) in plain text;
- ``a/bc`` and ``sin x y`` have no single reading and are refused with the
  choices; ``sin x`` is ``sin(x)``; ``sin^2(x)`` is ``sin(x)^2``;
- ``a if c else b`` and ``piecewise((a, c), (b, True))`` are piecewise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from symgrad.errors import ParseError

MAX_DEPTH = 60

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho",
    "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta",
    "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}  # fmt: skip
ACCENTS = {"\u0302": "hat", "\u0304": "bar", "\u0305": "bar", "\u0303": "tilde", "\u0307": "dot"}
SUBSCRIPTS = {chr(0x2080 + d): str(d) for d in range(10)}
SUPERSCRIPTS = {
    "\u00b2": "2", "\u00b3": "3", "\u00b9": "1", "\u2070": "0", "\u2074": "4", "\u2075": "5",
    "\u2076": "6", "\u2077": "7", "\u2078": "8", "\u2079": "9", "\u207b": "-",
}  # fmt: skip
OPERATORS = {
    "*": "*", "\u00b7": "*", "\u00d7": "*", "\u22c5": "*", "\u2217": "*", "\u2219": "*",
    "/": "/", "\u00f7": "/", "\u2215": "/", "+": "+", "-": "-", "\u2212": "-", "\u2013": "-",
    "^": "^", "(": "(", ")": ")", "[": "(", "]": ")", "{": "(", "}": ")", ",": ",", "|": "|",
}  # fmt: skip
RELATIONS = {
    "<=": "<=", ">=": ">=", "==": "=", "!=": "!=", "<": "<", ">": ">", "=": "=",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=",
}  # fmt: skip
KEYWORDS = {"if", "else", "and", "or", "not", "True", "otherwise"}
REFUSED = {
    "!": "'!' (factorial) is not supported",
    "%": "'%' is not an operator in symgrad",
    "&": "'&' is not an operator in symgrad",
    "~": "'~' is not an operator in symgrad",
    "@": "'@' is a matrix product: give shapes with --shape (e.g. --shape X=n,k)",
    ";": "';' separates nothing here: give one expression",
    "#": "'#' would start a comment: remove it and what follows, or write the expression in full",
    "$": "'$' is LaTeX: use --latex (or remove the dollar signs)",
    "\\": "'\\' starts a LaTeX command: use --latex for LaTeX input",
    "'": "a prime (') has no single reading here: write the derivative itself",
    '"': "quotes are not part of an expression",
    "`": "backquotes are not part of an expression",
    "?": "'?' is not an operator in symgrad",
    ":": "':' is not an operator in symgrad",
    "=": "an equation where an expression is expected: give the expression itself",
}  # fmt: skip


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is NUM, NAME, OP, REL, KW, SQRT, SUP or END."""

    kind: str
    value: str
    position: int
    spaced: bool = False
    source: str = ""


def greek_name(char: str) -> str | None:
    return GREEK.get(char)


def _name_at(text: str, start: int) -> tuple[str, int, str]:
    """Read a name starting at ``start``: letters, digits, '_', Greek, accents, subscripts."""
    parts: list[str] = []
    position = start
    while position < len(text):
        char = text[position]
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        if char in GREEK:
            parts.append(GREEK[char])
        elif char in SUBSCRIPTS:
            parts.append(SUBSCRIPTS[char])
        elif char in ACCENTS and parts:
            parts.append("_" + ACCENTS[char])
        elif base.isascii() and (base.isalnum() or base == "_"):
            if position == start and base.isdigit():
                break
            parts.append(base)
            for mark in marks:
                if mark not in ACCENTS:
                    raise ParseError(f"character {char!r} is not allowed in a name", text, position)
                parts.append("_" + ACCENTS[mark])
        else:
            break
        position += 1
    name = "".join(parts)
    return name, position, text[start:position]


_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def lex_text(text: str) -> list[Token]:
    """Tokens of plain-text maths (Python-like, with the students' extensions)."""
    text = unicodedata.normalize("NFC", text)
    tokens: list[Token] = []
    position = 0
    spaced = False
    length = len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            spaced = True
            position += 1
            continue
        start = position
        if char in SUPERSCRIPTS:
            digits = ""
            while position < length and text[position] in SUPERSCRIPTS:
                digits += SUPERSCRIPTS[text[position]]
                position += 1
            if not re.fullmatch(r"-?\d+", digits):
                raise ParseError(
                    f"superscript {text[start:position]!r} is not a power", text, start
                )
            tokens.append(Token("SUP", digits, start, spaced, text[start:position]))
        elif char in "0123456789" or (
            char == "." and position + 1 < length and text[position + 1] in "0123456789"
        ):
            match = _NUMBER.match(text, position)
            number = match.group(0)
            position = match.end()
            tokens.append(Token("NUM", number, start, spaced, number))
        elif char == "_":
            raise ParseError("names start with a letter, not '_'", text, position)
        elif char in GREEK or (
            unicodedata.normalize("NFD", char)[0].isascii()
            and unicodedata.normalize("NFD", char)[0].isalpha()
        ):
            name, position, source = _name_at(text, position)
            kind = "KW" if name in KEYWORDS else "NAME"
            tokens.append(Token(kind, name, start, spaced, source))
        elif text.startswith("**", position):
            tokens.append(Token("OP", "^", start, spaced, "**"))
            position += 2
        elif text[position : position + 2] in RELATIONS:
            op = text[position : position + 2]
            tokens.append(Token("REL", RELATIONS[op], start, spaced, op))
            position += 2
        elif char in RELATIONS:
            tokens.append(Token("REL", RELATIONS[char], start, spaced, char))
            position += 1
        elif char in OPERATORS:
            tokens.append(Token("OP", OPERATORS[char], start, spaced, char))
            position += 1
        elif char == "\u221a":
            tokens.append(Token("SQRT", "sqrt", start, spaced, char))
            position += 1
        elif char == "'":
            tokens.append(Token("OP", "'", start, spaced, char))
            position += 1
        elif char == "@":
            tokens.append(Token("OP", "@", start, spaced, char))
            position += 1
        elif (
            char == "."
            and text[position + 1 : position + 2] == "T"
            and not (
                text[position + 2 : position + 3].isalnum()
                or text[position + 2 : position + 3] == "_"
            )
        ):
            tokens.append(Token("OP", ".T", start, spaced, ".T"))
            position += 2
        elif char in REFUSED:
            raise ParseError(REFUSED[char], text, position)
        elif char == ".":
            raise ParseError(
                "'.' here is not part of a number: attribute access is not allowed", text, position
            )
        else:
            raise ParseError(f"character {char!r} is not allowed in an expression", text, position)
        spaced = False
    tokens.append(Token("END", "", length, spaced))
    return tokens


# ---------------------------------------------------------------- the grammar
Node = tuple


@dataclass
class Context:
    """What the parser needs to know about names: functions, symbols, the reading of e."""

    functions: frozenset[str] = frozenset()
    known_functions: frozenset[str] = frozenset()
    symbols: frozenset[str] = frozenset()
    e_is_symbol: bool = False
    latex: bool = False
    symbol_or_function: frozenset[str] = frozenset({"sigma", "H"})
    matrices: frozenset[str] = frozenset()
    shapes: bool = False
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


_PRIMARY_START = {"NUM", "NAME", "SQRT", "SUM"}
_UNAMBIGUOUS_PRODUCT = re.compile(r"([A-Za-z]|[A-Za-z]_?\d+|[A-Za-z]+_(hat|bar|tilde|dot)\w*)\Z")


class Parser:
    """Recursive descent over tokens; left-associative chains are built in loops, not recursion."""

    def __init__(self, tokens: list[Token], text: str, context: Context) -> None:
        self.tokens = tokens
        self.text = text
        self.context = context
        self.index = 0
        self.depth = 0
        self.abs_depth = 0

    # ------------------------------------------------------------ helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str, token: Token | None = None) -> ParseError:
        token = token or self.token
        return ParseError(message, self.text, min(token.position, max(len(self.text) - 1, 0)))

    def at(self, kind: str, value: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (value is None or token.value == value)

    def expect(self, kind: str, value: str, what: str) -> Token:
        if not self.at(kind, value):
            found = self.token.source or self.token.value or "the end"
            raise self.fail(f"expected {what}, found {found!r}")
        return self.advance()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"expression nested deeper than {MAX_DEPTH} levels")

    def leave(self) -> None:
        self.depth -= 1

    # ------------------------------------------------------------ entry points
    def expression(self) -> Node:
        node = self.piecewise()
        if not self.at("END"):
            raise self._trailing()
        return node

    def relation(self) -> Node:
        node = self.condition()
        if not self.at("END"):
            raise self._trailing()
        return node

    def _trailing(self) -> ParseError:
        token = self.token
        if token.kind == "REL":
            return self.fail(
                "an equation or comparison where an expression is expected: give the "
                "expression itself, e.g. '(y - w*x)**2'"
            )
        if token.value == ")":
            return self.fail("unbalanced ')': a closing bracket without an opening one")
        if token.value == ",":
            return self.fail("',' outside a function call: give one expression")
        return self.fail(f"unexpected {token.source or token.value!r}")

    # ------------------------------------------------------------ grammar
    def piecewise(self) -> Node:
        self.enter()
        value = self.sum()
        if self.at("KW", "if"):
            if_token = self.advance()
            condition = self.condition()
            if not self.at("KW", "else"):
                raise self.fail("'... if condition' needs 'else ...' for the other case", if_token)
            self.advance()
            other = self.piecewise()
            value = ("piecewise", [(value, condition), (other, ("true",))], if_token.position)
        self.leave()
        return value

    def condition(self) -> Node:
        terms = [self.conjunction()]
        while self.at("KW", "or"):
            self.advance()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else ("or", terms)

    def conjunction(self) -> Node:
        terms = [self.negation()]
        while self.at("KW", "and"):
            self.advance()
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else ("and", terms)

    def negation(self) -> Node:
        if self.at("KW", "not"):
            self.advance()
            return ("not", self.negation())
        if self.at("KW", "True") or self.at("KW", "otherwise"):
            self.advance()
            return ("true",)
        first = self.sum()
        if not self.at("REL"):
            raise self.fail("expected a comparison such as 'x > 0' or 'x0 = x1'")
        links = []
        while self.at("REL"):
            op = self.advance()
            links.append((op.value, self.sum(), op.position))
        return ("rel", first, links)

    def sum(self) -> Node:
        terms: list[tuple[int, Node]] = []
        sign = 1
        while self.at("OP", "+") or self.at("OP", "-"):
            sign = -sign if self.advance().value == "-" else sign
            self._count_sign()
        terms.append((sign, self.term()))
        while self.at("OP", "+") or self.at("OP", "-"):
            sign = 1
            while self.at("OP", "+") or self.at("OP", "-"):
                sign = -sign if self.advance().value == "-" else sign
                self._count_sign()
            terms.append((sign, self.term()))
        self.signs = 0
        if len(terms) == 1 and terms[0][0] == 1:
            return terms[0][1]
        return ("add", terms)

    signs = 0

    def _count_sign(self) -> None:
        self.signs += 1
        if self.signs > MAX_DEPTH:
            raise self.fail(f"more than {MAX_DEPTH} signs in a row")

    def term(self) -> Node:
        factors: list[tuple[str, Node]] = [("*", self.unary())]
        while True:
            token = self.token
            if token.kind == "OP" and token.value == "@":
                if not self.context.shapes:
                    raise self.fail(REFUSED["@"], token)
                self.advance()
                factors.append(("@", self.unary()))
            elif token.kind == "OP" and token.value in "*/":
                self.advance()
                if self.at("OP", "*") or self.at("OP", "/"):
                    raise self.fail(f"two operators in a row: {token.source}{self.token.source}")
                operand = self.unary()
                if token.value == "/" and self._starts_product():
                    raise self._ambiguous_division(token)
                factors.append((token.value, operand))
            elif self._starts_product():
                factors.append(("*", self.implicit_factor()))
            else:
                break
        if len(factors) == 1:
            return factors[0][1]
        return ("mul", factors)

    def _starts_product(self) -> bool:
        token = self.token
        if token.kind in _PRIMARY_START:
            return True
        if token.kind == "OP" and token.value == "(":
            return True
        if token.kind == "OP" and token.value == "|":
            return self.abs_depth == 0
        return False

    def _ambiguous_division(self, slash: Token) -> ParseError:
        left = self.text[: slash.position].rstrip().split()[-1:] or ["a"]
        right_start = slash.position + 1
        right = self.text[right_start : self.token.position + len(self.token.source)].strip()
        return self.fail(
            f"'{left[0]}/{right}' has no single reading: write ({left[0]}/{right.split()[0]})*... "
            f"or {left[0]}/({right}) with explicit brackets",
            slash,
        )

    def implicit_factor(self) -> Node:
        return self.unary_power()

    def unary(self) -> Node:
        if self.at("OP", "-") or self.at("OP", "+"):
            negative = False
            while self.at("OP", "-") or self.at("OP", "+"):
                negative ^= self.advance().value == "-"
                self._count_sign()
            self.enter()
            operand = self.unary()
            self.leave()
            self.signs = 0
            return ("neg", operand) if negative else operand
        return self.unary_power()

    def unary_power(self) -> Node:
        base = self.postfix()
        if self.at("OP", "^"):
            caret = self.advance()
            if self.at("NAME", "T") and self.context.shapes and "T" not in self.context.matrices:
                self.advance()
                node = ("transpose", base, caret.position)
                if self.at("OP", "^"):
                    caret = self.advance()
                    return ("pow", node, self.exponent(caret), caret.position)
                return node
            if self.at("NAME", "T") and "T" not in self.context.symbols:
                raise self.fail(
                    "'^T' has no single reading: a transpose needs shapes (--shape w=k); "
                    "for a power of a symbol T write ^(T)",
                    caret,
                )
            self.enter()
            exponent = self.exponent(caret)
            self.leave()
            return ("pow", base, exponent, caret.position)
        return base

    def exponent(self, caret: Token) -> Node:
        if self.at("END") or (self.at("OP") and self.token.value in ")*/,|^"):
            raise self.fail("'^' needs an exponent, e.g. x^2", caret)
        if self.at("OP", "-") or self.at("OP", "+"):
            negative = False
            while self.at("OP", "-") or self.at("OP", "+"):
                negative ^= self.advance().value == "-"
                self._count_sign()
            operand = self.exponent(caret)
            return ("neg", operand) if negative else operand
        return self.unary_power()

    def postfix(self) -> Node:
        node = self.primary()
        while self.at("SUP") or self.at("OP", ".T") or self.at("OP", "'") or self.at("TRANSPOSE"):
            token = self.advance()
            if token.kind == "SUP":
                node = ("pow", node, ("num", token.value, token.position), token.position)
                continue
            if not self.context.shapes:
                raise self.fail(
                    "a transpose needs shapes: declare them with --shape (e.g. --shape w=k)"
                    if token.value != "'"
                    else REFUSED["'"],
                    token,
                )
            node = ("transpose", node, token.position)
        return node

    def primary(self) -> Node:
        token = self.token
        if token.kind == "SUM":
            if not self.context.shapes:
                raise self.fail(
                    "a sum over an index needs shapes: declare them with --shape (e.g. "
                    "--shape x=n,k --shape y=n)",
                    token,
                )
            self.advance()
            self.enter()
            body = self.term()
            self.leave()
            index, lower, upper = token.value.split("|")
            return ("indexsum", index, lower, upper, body, token.position)
        if token.kind == "NUM":
            self.advance()
            return ("num", token.value, token.position)
        if token.kind == "NAME":
            return self.named()
        if token.kind == "SQRT":
            self.advance()
            self.enter()
            operand = self.unary_power() if not self.at("OP", "(") else self.group()
            self.leave()
            return ("call", "sqrt", [operand], token.position)
        if token.kind == "OP" and token.value == "(":
            return self.group()
        if (
            token.kind == "OP"
            and token.value == "|"
            and self.context.shapes
            and self.peek().value == "|"
        ):
            self.advance()
            self.advance()
            self.enter()
            self.abs_depth += 1
            inner = self.sum()
            self.abs_depth -= 1
            self.expect("OP", "|", "'||' closing a norm")
            self.expect("OP", "|", "'||' closing a norm")
            self.leave()
            return ("call", "norm", [inner], token.position)
        if token.kind == "OP" and token.value == "|":
            self.advance()
            self.enter()
            self.abs_depth += 1
            inner = self.sum()
            self.abs_depth -= 1
            self.expect("OP", "|", "a closing '|'")
            self.leave()
            return ("call", "abs", [inner], token.position)
        if token.kind == "END":
            raise self.fail("the expression ends where a value is expected")
        if token.kind == "KW":
            raise self.fail(f"'{token.value}' cannot start a value")
        if token.kind == "REL":
            raise self.fail(
                "an equation or comparison where a value is expected: give the expression itself"
            )
        if token.kind == "SUP":
            raise self.fail("a superscript power needs something to raise")
        raise self.fail(f"unexpected {token.source or token.value!r}")

    def group(self) -> Node:
        opening = self.expect("OP", "(", "'('")
        self.enter()
        saved = self.abs_depth
        self.abs_depth = 0
        if self.at("OP", ")"):
            raise self.fail("empty brackets '()'", opening)
        inner = self.piecewise()
        if self.at("OP", ","):
            raise self.fail("',' inside brackets: a tuple is not a value", self.token)
        self.expect("OP", ")", "a closing bracket")
        self.abs_depth = saved
        self.leave()
        return inner

    # ------------------------------------------------------------ names and calls
    def is_function(self, name: str) -> bool:
        return name in self.context.functions or name in self.context.known_functions

    def named(self) -> Node:
        token = self.advance()
        name = token.value
        if self.context.shapes and name in ("norm", "trace", "sum") and self.at("OP", "("):
            return ("call", name, self.arguments(name), token.position, 0)
        if self.is_function(name):
            called = self.at("OP", "(") or self.at("OP", "'")
            if name in self.context.symbol_or_function and not called:
                if name not in self.context.functions:
                    return ("name", name, token.position, token.source)
            return self.function(token)
        if self.at("OP", "'") and not self.context.shapes:
            raise self.fail(REFUSED["'"], self.token)
        if self.at("OP", "("):
            if name not in self.context.symbols and not _UNAMBIGUOUS_PRODUCT.match(name):
                raise self._unknown_function(token)
            if not self.context.latex:
                self.context.note(f"{token.source}(...) is read as the product {name}*(...)")
        return ("name", name, token.position, token.source)

    def _unknown_function(self, token: Token) -> ParseError:
        from symgrad.suggest import closest

        name = token.value
        guess = closest(name, self.context.known_functions | self.context.functions)
        if guess:
            return self.fail(f"unknown function {name!r}: did you mean {guess}?", token)
        return self.fail(
            f"{name}(...) has no single reading: for a product write {name}*(...); for an "
            f"arbitrary function declare it with --function {name}",
            token,
        )

    def function(self, token: Token) -> Node:
        """A call: ``f(x, ...)``, ``f x``, ``f^2(x)``, ``f'(x)`` (the derivative)."""
        name = token.value
        primes = 0
        while self.at("OP", "'"):
            self.advance()
            primes += 1
        power = self._function_power(name) if primes == 0 else None
        if self.at("OP", "("):
            args = self.arguments(name)
        elif self.token.kind in ("NAME", "NUM", "SQRT") or (
            self.at("OP", "|") and not self.abs_depth
        ):
            self.enter()
            argument = self.unary_power()
            self.leave()
            if self._starts_product():
                gap = self.text[token.position + len(token.source) : self.token.position].strip()
                raise self.fail(
                    f"'{token.source} {gap} {self.token.source}...' has no single reading: "
                    f"write {name}(...) with brackets around the argument",
                    token,
                )
            args = [argument]
        else:
            raise self.fail(f"{name!r} is a function: call it, e.g. {name}(x)", token)
        call = ("call", name, args, token.position, primes)
        if power is not None:
            return ("pow", call, power, token.position)
        return call

    def _function_power(self, name: str) -> Node | None:
        """``sin^2`` or ``sin²`` before the argument: the power of the call."""
        if not (self.at("OP", "^") or self.at("SUP")):
            return None
        caret = self.advance()
        if caret.kind == "SUP":
            power: Node = ("num", caret.value, caret.position)
        else:
            power = self.exponent(caret)
        if _is_minus_one(power):
            raise self.fail(
                f"{name}^-1 has no single reading: write 1/{name}(x) for the reciprocal, or "
                "the inverse function by name (asin, atan, ...)",
                caret,
            )
        return power

    def arguments(self, name: str) -> list[Node]:
        opening = self.expect("OP", "(", "'('")
        self.enter()
        saved = self.abs_depth
        self.abs_depth = 0
        args: list[Node] = []
        if self.at("OP", ")"):
            raise self.fail(f"{name}() needs an argument", opening)
        while True:
            if name.lower() == "piecewise":
                args.append(self.piece())
            else:
                args.append(self.piecewise())
            if self.at("OP", ","):
                self.advance()
                continue
            break
        self.expect("OP", ")", f"',' or ')' in {name}(...)")
        self.abs_depth = saved
        self.leave()
        return args

    def piece(self) -> Node:
        """One ``(value, condition)`` pair of ``piecewise(...)``."""
        self.expect("OP", "(", "a pair (value, condition)")
        value = self.piecewise()
        self.expect("OP", ",", "',' between the value and its condition")
        condition = self.condition()
        self.expect("OP", ")", "')' closing the pair")
        return ("piece", value, condition)


def _is_minus_one(node: Node) -> bool:
    if node[0] == "neg":
        return node[1][:2] == ("num", "1")
    if node[0] == "add" and len(node[1]) == 1:
        sign, term = node[1][0]
        return sign < 0 and term[:2] == ("num", "1")
    return node[:2] == ("num", "-1")


def parse_tokens(tokens: list[Token], text: str, context: Context, relation: bool = False) -> Node:
    parser = Parser(tokens, text, context)
    if tokens and tokens[0].kind == "END":
        raise ParseError("empty expression: type a formula such as 'w0*x0 + w1*x1'")
    try:
        return parser.relation() if relation else parser.expression()
    except RecursionError:
        raise ParseError("expression is nested too deeply", text) from None
