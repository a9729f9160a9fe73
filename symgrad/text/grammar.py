"""Maths as people type it: tokens and a grammar shared by plain text and LaTeX.

The plain-text lexer (:func:`lex_text`) and the LaTeX lexer (:mod:`symgrad.text.latex`)
both produce :class:`Token` lists; :class:`Parser` turns them into a small
syntax tree of tuples (``("add", ...)``, ``("call", name, args)``, ...), which
:mod:`symgrad.text.parse` builds into SymPy under its limits. Nothing here
evaluates anything.

Reading rules, in one place:

- ``^`` and ``**`` are powers, right-associative; ``-x^2`` is ``-(x^2)``;
  ``{}`` and ``[]`` group like ``()``;
- juxtaposition multiplies (``2x``, ``2 x``, ``(a)(b)``, ``w x``), and a name
  followed by ``(`` that is not a function multiplies (``x(y - w x)``), unless
  the brackets hold only a number (``x(1)``: an index or a product? refused);
- a run of ASCII letters is one name (``wx``, ``pix``) in plain text; a Greek
  letter is one letter (``2πx`` is 2*pi*x, ``λw`` is lambda*w), and ``σw`` (the
  sigmoid σ(w) or the product σ*w?) is refused;
- ``x[1]`` is the indexed name ``x1`` and ``W1[0,2]`` is ``W1_0_2`` (as LaTeX's
  ``x_{1}``), with a note; any other index (``x[i]``, ``x[y+1]``) is refused;
- ``a/bc``, ``1/2(x+1)``, ``sin x y``, ``√2x`` and ``|x|y|z|`` have no single
  reading and are refused with the choices; ``sin x`` is ``sin(x)``;
  ``sin^2(x)`` is ``sin(x)^2``;
- ``dJ/dw`` and ``d(w^2)/dw`` are derivative operators, not expressions, and
  ``x.5``, ``0x10`` and ``mod`` are nobody's product: all are refused;
- only signs genuinely in a row (``--+-x``) count towards the limit of 60;
- ``a if c else b`` and ``piecewise((a, c), (b, True))`` are piecewise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from symgrad.errors import ParseError
from symgrad.text.lexer import (  # noqa: F401 - re-exported: the grammar's vocabulary
    GREEK,
    REFUSED,
    REFUSED_NAMES,
    Token,
    _name_at,
    greek_name,
    lex_text,
)

MAX_DEPTH = 128  # a bracket or a call is two levels: 60 of them inside each other fit
MAX_SIGNS = 60
LOOKAHEAD = 400
LOOKAHEAD_TOTAL = 20_000


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
    resolve_names: bool = False
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


_PRIMARY_START = {"NUM", "NAME", "SQRT", "SUM"}
#: words people write next to maths that are not functions (no "did you mean sin?" for 'in')
_WORDS = {
    "in": "'in' is not maths symgrad reads inside an expression: a set of values is a "
    "constraint of its own, such as 'y in {0, 1}' (one name, 'in', the values in braces)",
}
_D_NUMERATOR = re.compile(r"d([A-Za-z](\d+|_\w+)?)?\Z")
_D_DENOMINATOR = re.compile(r"d([A-Za-z]|%s)?(\d+|_\w+)?\Z" % "|".join(sorted(set(GREEK.values()))))
_RADIX = re.compile(r"[xX][0-9A-Fa-f]+\Z|[oO][0-7]+\Z|[bB][01]+\Z")


def _is_name(node: Node, pattern: re.Pattern) -> bool:
    return node[0] == "name" and bool(pattern.match(node[1]))


_PARTIAL = re.compile(r"D_?(\d)")
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
        self.keyword_stack: list[dict[str, Node]] = []
        self.sum_indices: list[str] = []
        self.keywords: dict[str, Node] = {}
        self.budget: int | None = None  # tokens a speculative parse may still read
        self.lookahead = LOOKAHEAD_TOTAL  # tokens all speculative parses may still read

    # ------------------------------------------------------------ helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        if self.budget is not None:
            self.budget -= 1
            if self.budget < 0:
                raise ParseError("the look-ahead for another reading is spent")
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
            raise self.fail(
                "expression nested too deeply (more than 60 brackets or calls inside each other)"
            )

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
        if first[0] == "indicator" and not self.at("REL"):
            return first[1]  # (w > 0) in a condition is the comparison itself
        if not self.at("REL"):
            raise self.fail("expected a comparison such as 'x > 0' or 'x0 = x1'")
        links = []
        while self.at("REL"):
            op = self.advance()
            links.append((op.value, self.sum(), op.position))
        return ("rel", first, links)

    def sum(self) -> Node:
        terms: list[tuple[int, Node]] = [(-1 if self.signs() else 1, self.term())]
        while self.at("OP", "+") or self.at("OP", "-"):
            terms.append((-1 if self.signs() else 1, self.term()))
        if len(terms) == 1 and terms[0][0] == 1:
            return terms[0][1]
        return ("add", terms)

    def signs(self) -> bool:
        """Read a run of '+' and '-' signs (``--+-x``); True when the run is negative.

        Only signs genuinely in a row count towards the limit: the '+' between the
        terms of a long sum are separate runs of one sign each.
        """
        negative = False
        count = 0
        while self.at("OP", "+") or self.at("OP", "-"):
            negative ^= self.advance().value == "-"
            count += 1
            if count > MAX_SIGNS:
                raise self.fail(f"more than {MAX_SIGNS} signs in a row")
        return negative

    def term(self) -> Node:
        start = self.index
        factors: list[tuple[str, Node]] = [("*", self.unary())]
        coefficients: list[tuple[int, int]] = []  # (slash, end of denominator) read as 1/2 x
        while True:
            token = self.token
            if token.kind == "OP" and token.value == "@":
                if not self.context.shapes:
                    raise self.fail(REFUSED["@"], token)
                self.advance()
                factors.append(("@", self.unary()))
            elif token.kind == "OP" and token.value in "*/":
                slash = self.index
                self.advance()
                if self.at("OP", "*") or self.at("OP", "/"):
                    raise self.fail(f"two operators in a row: {token.source}{self.token.source}")
                if token.value == "/":
                    self._refuse_derivative_operator(factors[0][1], start, slash)
                operand = self.unary()
                if token.value == "/" and self._starts_product():
                    if not self.token.spaced or self.token.kind == "SUM":
                        raise self._ambiguous_division(start, slash)
                    coefficients.append((slash, self.index))
                factors.append((token.value, operand))
            elif self._starts_product():
                self._refuse_glued_number()
                factors.append(("*", self.implicit_factor()))
            else:
                break
        for slash, end in coefficients:
            self._note_coefficient(start, slash, end)
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

    def span(self, first: int, stop: int) -> str:
        """The text of tokens ``first`` up to (not including) ``stop``."""
        if stop <= first:
            return ""
        last = self.tokens[stop - 1]
        end = last.position + len(last.source or last.value)
        return self.text[self.tokens[first].position : end].strip()

    def _next_factor_text(self) -> str:
        """The text of the factor that starts here (for a message; the parse is abandoned)."""
        first = self.index
        try:
            self.implicit_factor()
        except ParseError:
            self.index = first + 1
            return (self.tokens[first].source or self.tokens[first].value) + "..."
        return self.span(first, self.index)

    def _note_coefficient(self, start: int, slash: int, end: int) -> None:
        """``1/2 log(x)``, ``2/n X'(...)``: a space after the denominator closes the fraction,
        as in ML texts; the reading is shown."""
        left, right = self.span(start, slash), self.span(slash + 1, end)
        rest = self.span(end, self.index)
        shown = rest if len(rest) <= 40 else rest[:37] + "..."
        self.context.note(
            f"'{left}/{right} {shown}' is read as ({left}/{right})*{_bracketed(shown)}"
        )

    def _ambiguous_division(self, start: int, slash: int) -> ParseError:
        """``a/2b`` and ``1/2(x+1)``: both readings, written out in full."""
        left, right = self.span(start, slash), self.span(slash + 1, self.index)
        after = self._next_factor_text()
        return self.fail(
            f"'{self.span(start, self.index)}' has no single reading: write "
            f"({left}/{right})*{after} or {left}/({right}*{after}) with explicit brackets",
            self.tokens[slash],
        )

    def _refuse_derivative_operator(self, first: Node, start: int, slash: int) -> None:
        """``dJ/dw``, ``d(w^2)/dw``, ``d/dw x``: a derivative operator, not an expression."""
        below = self.token
        if not (_is_name(first, _D_NUMERATOR) and below.kind == "NAME"):
            return
        if not _D_DENOMINATOR.match(below.value):
            return
        glued = self.peek().kind == "NAME" and not self.peek().spaced
        written = self.span(start, self.index + 1 + glued)
        raise self.fail(
            f"'{written}' is a derivative operator, not an expression: give the derivative's "
            "expression itself (a claim may start with 'dJ/dw =')",
            self.tokens[start],
        )

    def _refuse_glued_number(self) -> None:
        """``x.5``, ``0x10`` and ``(a+b)[1]`` are not products anybody writes: refuse them."""
        token, before = self.token, self.tokens[self.index - 1]
        if token.spaced:
            return
        if token.kind == "NUM" and token.source.startswith("."):
            name = (
                f", or a name such as {before.source}_{token.source[1:]}"
                if before.kind == "NAME"
                else ""
            )
            raise self.fail(
                f"a number written '{token.source}' right after {before.source!r} has no "
                f"single reading: write *0{token.source} for a product{name}",
                token,
            )
        if token.source == "[" and self.peek().kind == "NUM" and self.peek(2).source == "]":
            raise self.fail(
                f"'{before.source}[{self.peek().source}]' looks like an index, but only a name "
                f"takes one (x[1] is x1): for a product write *{self.peek().source}",
                token,
            )
        if before.kind == "NUM" and before.source == "0" and _RADIX.match(token.source):
            raise self.fail(
                f"'0{token.source}' looks like a hexadecimal, octal or binary number: write "
                "the number in decimal (or 0*... for a product)",
                before,
            )

    def implicit_factor(self) -> Node:
        return self.unary_power()

    def unary(self) -> Node:
        if self.at("OP", "-") or self.at("OP", "+"):
            negative = self.signs()
            self.enter()
            operand = self.unary()
            self.leave()
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
            negative = self.signs()
            operand = self.exponent(caret)
            return ("neg", operand) if negative else operand
        return self.unary_power()

    def postfix(self) -> Node:
        node = self.primary()
        while (
            self.at("SUP")
            or self.at("OP", ".T")
            or self.at("OP", "'")
            or self.at("TRANSPOSE")
            or self.at("OP", "!")
        ):
            token = self.advance()
            if token.kind == "SUP":
                node = ("pow", node, ("num", token.value, token.position), token.position)
                continue
            if token.value == "!":
                node = ("call", "factorial", [node], token.position, 0)
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
            if not self.context.shapes and not token.value.split("|")[2].isdigit():
                raise self.fail(
                    "a sum up to a symbol needs shapes: declare them with --shape (e.g. "
                    "--shape x=n,k --shape y=n), or give the bound as a number",
                    token,
                )
            self.advance()
            self.enter()
            index, lower, upper = token.value.split("|")
            self.sum_indices.append(index)
            try:
                body = self.term()
            finally:
                self.sum_indices.pop()
            self.leave()
            return ("indexsum", index, lower, upper, body, token.position)
        if token.kind == "NUM":
            self.advance()
            if token.source != token.value and "/" in token.value:
                self.context.note(f"{token.source} is read as {token.value}")
            return ("num", token.value, token.position)
        if token.kind == "NAME":
            return self.named()
        if token.kind == "SQRT":
            return self.root()
        if token.kind == "OP" and token.value == "(":
            inner = self.group()
            # (wx)^2: the brackets hold a name as a whole, unlike wx^2 (w*x^2)
            return ("paren", inner) if inner[0] == "name" else inner
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
            opening = self.index
            self.advance()
            self.enter()
            self.abs_depth += 1
            inner = self.sum()
            self.abs_depth -= 1
            self._refuse_ambiguous_bar(opening)
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

    def root(self) -> Node:
        """``√x``, ``√(x + 1)``; ``√2x`` and ``√x y`` (√(2x) or √2·x?) are refused."""
        token = self.advance()
        self.enter()
        first = self.index
        bracketed = self.at("OP", "(")
        operand = self.group() if bracketed else self.unary_power()
        self.leave()
        if not bracketed and self._starts_product():
            argument = self.span(first, self.index)
            after = self._next_factor_text()
            written = token.source + self.span(first, self.index)
            raise self.fail(
                f"'{written}' has no single reading: write {token.source}({argument}{after}) "
                f"or {token.source}{argument}\u00b7{after}",
                token,
            )
        return ("call", "sqrt", [operand], token.position)

    def _refuse_ambiguous_bar(self, opening: int) -> None:
        """``|x|y|z|``: the bar after x may close ``|x|`` or open ``|y|``. When a value follows
        the bar and the other reading (the bar opens a nested ``|...|``) parses too, refuse.

        The other reading is tried within a bounded look-ahead (LOOKAHEAD tokens each,
        LOOKAHEAD_TOTAL in all); beyond it the bar closes, as it does when nothing follows.
        """
        following = self.peek()
        if self.budget is not None or self.lookahead <= 0 or not self.at("OP", "|"):
            return
        if not (following.kind in _PRIMARY_START or following.value == "("):
            return
        if self._other_bar_reading_parses(opening):
            raise self.fail(
                "absolute-value bars '|...|...|...|' have no single reading here: write "
                "abs(...) or put '*' next to the bars, e.g. |x|*y*|z| or |x*|y|*z|",
                self.tokens[opening],
            )

    def _other_bar_reading_parses(self, opening: int) -> bool:
        """Parse ``|...`` from ``opening`` again with a '*' before the current bar."""
        bar = self.index
        window = min(len(self.tokens) - 1, bar + LOOKAHEAD + 1)
        times = Token("OP", "*", self.token.position, False, "")
        tokens = [*self.tokens[opening:bar], times, *self.tokens[bar:window], self.tokens[-1]]
        other = Parser(tokens, self.text, replace(self.context, notes=[]))
        other.depth, other.abs_depth = self.depth, self.abs_depth
        other.budget = min(LOOKAHEAD, self.lookahead)
        try:
            other.primary()
        except (ParseError, RecursionError):
            return False
        finally:
            self.lookahead -= min(LOOKAHEAD, self.lookahead) - max(other.budget, 0)
        return True

    def group(self) -> Node:
        opening = self.expect("OP", "(", "'('")
        self.enter()
        saved = self.abs_depth
        self.abs_depth = 0
        if self.at("OP", ")"):
            raise self.fail("empty brackets '()'", opening)
        first = self.index
        inner = self.piecewise()
        if self._iverson(opening):
            self.index = first  # [y w x < 1] or (w x > 0): 1 where it holds, else 0
            inner = ("indicator", self.condition(), opening.position)
            self.context.note(f"{self.span(first - 1, self.index + 1)} is read as an indicator "
                              "(1 where the condition holds, else 0)")  # fmt: skip
        if self.at("OP", ","):
            raise self.fail("',' inside brackets: a tuple is not a value", self.token)
        self.expect("OP", ")", "a closing bracket")
        self.abs_depth = saved
        self.leave()
        return inner

    def _iverson(self, opening: Token) -> bool:
        """A comparison follows a bracket's first expression: ``[y w x < 1]`` (any relation or
        ``and``/``or``), or ``(w x > 0)`` as in NumPy (an inequality)."""
        if opening.source.endswith("["):
            return self.at("REL") or self.at("KW", "and") or self.at("KW", "or")
        return self.at("REL") and self.token.value in ("<", "<=", ">", ">=")

    def _iverson_ahead(self) -> bool:
        """The ``[`` here opens a bracket holding a comparison (not an index)."""
        depth = 0
        for token in self.tokens[self.index : self.index + LOOKAHEAD]:
            if token.kind == "OP" and token.value == "(":
                depth += 1
            elif token.kind == "OP" and token.value == ")":
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and (token.kind == "REL" or token.value in ("and", "or")):
                return True
            elif token.kind == "END":
                return False
        return False

    # ------------------------------------------------------------ names and calls
    def is_function(self, name: str) -> bool:
        return name in self.context.functions or name in self.context.known_functions

    def named(self) -> Node:
        token = self.advance()
        name = token.value
        if token.source != name and "." in token.source:
            self.context.note(f"{token.source} is read as {name}")
        if self.context.shapes and name in ("norm", "trace", "sum") and self.at("OP", "("):
            return ("call", name, self.arguments(name), token.position, 0)
        if name == "indicator" and self.at("OP", "("):
            return self.indicator(token)
        partial = _PARTIAL.fullmatch(name)
        if partial and self.at("NAME") and self.token.value in self.context.functions:
            function = self.advance()
            args = self.arguments(function.value)
            return ("partial", function.value, int(partial.group(1)), args, token.position)
        self._refuse_glued_function_letter(token)
        if self.is_function(name):
            called = self.at("OP", "(") or self.at("OP", "'")
            if name in self.context.symbol_or_function and not called:
                if name not in self.context.functions:
                    return ("name", name, token.position, token.source)
            return self.function(token)
        if self.at("OP", "'") and not self.context.shapes:
            raise self.fail(REFUSED["'"], self.token)
        if self.at("OP", "(") and self.token.source == "[" and not self._iverson_ahead():
            return self.indexed(token)
        if self.at("OP", "("):
            self._refuse_number_call(token)
            glued = self._glued_call(token)
            if glued is not None:
                return glued
            if (
                name not in self.context.symbols
                and not _UNAMBIGUOUS_PRODUCT.match(name)
                and not self._declared_matrix(name)
                and not _is_greek_letter(token)
                and not self._resolves(name)
                and not self._summed(name)
                and not self._iverson_ahead()
            ):
                raise self._unknown_function(token)
            if not (self.context.latex or name in self.context.symbols or self.token.spaced):
                self.context.note(f"{token.source}(...) is read as the product {name}*(...)")
        return ("name", name, token.position, token.source)

    def indicator(self, token: Token) -> Node:
        """``𝟙[y w x < 1]``, ``\\mathbb{1}\\{...\\}``: 1 where the condition holds, else 0."""
        opening = self.advance()
        self.enter()
        condition = self.condition()
        self.expect("OP", ")", "a closing bracket after the indicator's condition")
        self.leave()
        self.context.note(
            f"{token.source} is read as an indicator (1 where the condition holds, else 0)"
        )
        return ("indicator", condition, opening.position)

    def _glued_call(self, token: Token) -> Node | None:
        """``xsigmoid(w x)`` in a claim: known names then a function, x*sigmoid(w x)."""
        name = token.value
        if not self.context.resolve_names or name in self.context.symbols:
            return None
        for function in sorted(self.context.known_functions, key=len, reverse=True):
            prefix = name[: -len(function)]
            if len(function) < 2 or not name.endswith(function) or not prefix:
                continue
            from symgrad.text.names import resolve

            try:
                parts = (
                    (prefix,)
                    if prefix in self.context.symbols
                    else resolve(prefix, self.context.symbols)
                )
            except ParseError:
                return None
            if not parts:
                continue
            call = self.function(Token("NAME", function, token.position, False, function))
            self.context.note(f"{token.source}(...) is read as {'*'.join(parts)}*{function}(...)")
            factors = [("*", ("name", part, token.position, part)) for part in parts]
            return ("mul", [*factors, ("*", call)])
        return None

    def _summed(self, name: str) -> bool:
        """``x_i`` inside ``\\sum_{i=1}^{3}``: a name of the sum's terms (x1, x2, x3)."""
        return any(i in name.split("_")[1:] for i in self.sum_indices)

    def _resolves(self, name: str) -> bool:
        """A claim's name that stands for known names (``wx`` for w*x, ``lam`` for lambda)."""
        if not self.context.resolve_names:
            return False
        from symgrad.text.names import resolve

        try:
            return resolve(name, self.context.symbols) is not None
        except ParseError:
            return True  # refused with the choices when it is built

    def _declared_matrix(self, name: str) -> bool:
        """In shape mode: a declared matrix, or a row of one (``x_i`` for a declared ``X``)."""
        if not self.context.shapes:
            return False
        base = name.partition("_")[0]
        return base in self.context.matrices or base.upper() in self.context.matrices

    def indexed(self, token: Token) -> Node:
        """``x[1]`` is the name ``x1``; ``W[1,2]`` and ``W[1][2]`` are ``W1_2`` (as ``x_{1}`` and
        ``W_{1,2}`` in LaTeX), with a reading note; an index is written as whole numbers."""
        if self.context.shapes:
            raise self.fail("indexing a declared matrix with [...] is not supported", self.token)
        indices: list[str] = []
        while self.at("OP", "(") and self.token.source == "[":
            closing = self._index_brackets(token, indices)
        name = _indexed_name(token.value, indices)
        source = self.text[token.position : closing.position + len(closing.source)]
        self.context.note(f"{source} is read as the indexed name {name}")
        return ("name", name, token.position, source)

    def _index_brackets(self, token: Token, indices: list[str]) -> Token:
        """Read one ``[1]`` or ``[0, 2]`` into ``indices``; return the closing bracket."""
        opening = self.advance()
        while True:
            if not (self.at("NUM") and self.token.value.isdigit()):
                raise self._bad_index(token, opening)
            indices.append(self.advance().value)
            if not self.at("OP", ","):
                break
            self.advance()
        if not (self.at("OP", ")") and self.token.source == "]"):
            raise self._bad_index(token, opening)
        return self.advance()

    def _bad_index(self, token: Token, opening: Token) -> ParseError:
        name = token.source
        if self.at("NAME") and self.peek().source == "]":
            inner = self.token.source
            hint = f"for an indexed name write {name}_{inner}"
        else:
            hint = f"an index is a whole number ({name}[1] is read as {token.value}1)"
        return self.fail(
            f"{name}[...] has no single reading: {hint}; for a product write {name}*(...)",
            opening,
        )

    def _refuse_number_call(self, token: Token) -> None:
        """``x(1)`` looks like an index or a function value, not a product: refuse it."""
        offset = 2 if self.peek().kind == "OP" and self.peek().value in "+-" else 1
        number, closing = self.peek(offset), self.peek(offset + 1)
        if number.kind != "NUM" or closing.kind != "OP" or closing.value != ")":
            return
        if token.value in _WORDS:
            raise self.fail(_WORDS[token.value], token)
        inside = self.span(self.index + 1, self.index + offset + 1)
        index = (
            f"for an index write {_indexed_name(token.value, [inside])} "
            f"(or {token.source}[{inside}]); "
            if inside.isdigit()
            else ""
        )
        raise self.fail(
            f"{token.source}({inside}) has no single reading: {index}for a product write "
            f"{token.source}*({inside}); for a function declare it with --function",
            token,
        )

    def _refuse_glued_function_letter(self, token: Token) -> None:
        """``σw``: σ is the sigmoid when called and a symbol otherwise, so a Latin letter
        glued to it has two readings (σ(w) and σ*w): refuse it."""
        name, following = token.value, self.token
        if name not in self.context.symbol_or_function or token.source.isascii():
            return
        if following.kind == "NAME" and not following.spaced:
            raise self.fail(
                f"'{token.source}{following.source}' has no single reading: write "
                f"{token.source}({following.source}) for the function or "
                f"{token.source}*{following.source} for a product",
                token,
            )

    def _unknown_function(self, token: Token) -> ParseError:
        from symgrad.text.suggest import closest

        name = token.value
        if name in _WORDS:
            return self.fail(_WORDS[name], token)
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
        if (
            self.at("OP", "(")
            and name in ("softmax", "log_softmax")
            and name not in self.context.functions
        ):
            args = self.arguments(name)
            return ("softmax", name, args, self._component(name, token), token.position)
        if self.at("OP", "(") and name in ("clip", "clamp") and primes == 0 and power is None:
            return self._clip(self.arguments(name), token)
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
        self.keyword_stack.append({})
        if self.at("OP", ")"):
            raise self.fail(f"{name}() needs an argument", opening)
        while True:
            if name.lower() == "piecewise":
                args.append(self.piece())
            elif name == "where" and not args and name not in self.context.functions:
                args.append(self.condition())
            elif name in ("clip", "clamp") and self._keyword():
                pass
            else:
                args.append(self.piecewise())
            if self.at("OP", ","):
                self.advance()
                continue
            break
        self.expect("OP", ")", f"',' or ')' in {name}(...)")
        self.keywords = self.keyword_stack.pop()
        self.abs_depth = saved
        self.leave()
        return args

    def _keyword(self) -> bool:
        """``min=0`` / ``max=1`` (also ``a_min``, ``a_max``) in ``clamp(x, min=0)``."""
        token, following = self.token, self.peek()
        if not (token.kind == "NAME" and following.kind == "REL" and following.value == "="):
            return False
        if following.source != "=":
            return False
        key = {"min": "min", "a_min": "min", "lower": "min", "max": "max", "a_max": "max",
               "upper": "max"}.get(token.value)  # fmt: skip
        if key is None:
            raise self.fail(f"clip has no argument named {token.value!r}: use min= or max=")
        self.advance()
        self.advance()
        keywords = self.keyword_stack[-1]
        keywords[key] = self.piecewise()
        return True

    def _clip(self, args: list[Node], token: Token) -> Node:
        """clip(x, lo, hi), clip(x, lo), or with keywords: only an upper bound is -clip(-x, -hi)."""
        low, high = self.keywords.get("min"), self.keywords.get("max")
        if not self.keywords:
            return ("call", "clip", args, token.position, 0)
        if len(args) != 1:
            raise self.fail("clip: give the bounds by position or by name (min=, max=)", token)
        if low is not None:
            bounds = [low] if high is None else [low, high]
            return ("call", "clip", [args[0], *bounds], token.position, 0)
        flipped = ("call", "clip", [("neg", args[0]), ("neg", high)], token.position, 0)
        return ("neg", flipped)

    def _component(self, name: str, token: Token) -> int:
        """The index of ``softmax(...)[k]``: a whole number in square brackets."""
        if not (self.at("OP", "(") and self.token.source == "[" and self.peek().kind == "NUM"):
            raise self.fail(
                f"{name}(...) is a vector: pick a component, e.g. {name}(z0, z1, z2)[0]", token
            )
        self.advance()
        index = self.advance()
        if not index.value.isdigit():
            raise self.fail(f"the component of {name}(...) is a whole number", index)
        self.expect("OP", ")", "']' closing the component")
        return int(index.value)

    def piece(self) -> Node:
        """One ``(value, condition)`` pair of ``piecewise(...)``."""
        self.expect("OP", "(", "a pair (value, condition)")
        value = self.piecewise()
        self.expect("OP", ",", "',' between the value and its condition")
        condition = self.condition()
        self.expect("OP", ")", "')' closing the pair")
        return ("piece", value, condition)


def _bracketed(text: str) -> str:
    """``log(w)`` and ``x`` as they are, anything longer in brackets."""
    single = r"[A-Za-z_]\w*(\([^()]*\))?|\d+(\.\d+)?|\([^()]*\)"
    return text if re.fullmatch(single, text) else f"({text})"


def _is_greek_letter(token: Token) -> bool:
    """``λ`` or ``lambda`` written before a bracket: a coefficient (a product), as in ML texts."""
    return token.source in GREEK or (
        token.source.lstrip("\\") == token.value
        and token.value in GREEK.values()
        and token.value != "pi"
    )


def _indexed_name(base: str, indices: list[str]) -> str:
    """``x`` and ``[1]`` -> ``x1``; ``W1`` and ``[0, 2]`` -> ``W1_0_2`` (as LaTeX subscripts)."""
    joined = "_".join(indices)
    return base + joined if not base[-1].isdigit() else f"{base}_{joined}"


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
