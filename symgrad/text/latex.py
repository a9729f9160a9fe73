"""LaTeX -> symgrad's tokens, with a whitelist of commands and no dropped or moved token.

The lexer reads the LaTeX that students write for a derivative (``\\frac``,
``\\sqrt``, ``^{}``/``_{}`` in either order, ``\\left( \\right)``, ``\\cdot``,
``\\hat{y}``, Greek letters, ``\\operatorname{sech}``, ``cases``) and emits the
tokens of :mod:`symgrad.text.grammar`, so both inputs share one grammar and one
builder. Any command not on the whitelist is refused by name: a formula is
never read as something nobody wrote.

Names: ``x_{1}`` and ``x_1`` are ``x1``, ``W_{1,2}`` is ``W1_2``, ``x_i`` and
``x^{(i)}`` are ``x_i``, ``\\hat{y}`` is ``y_hat``, ``\\theta_1`` is ``theta1``.
Letters side by side are a product (``wx`` is ``w*x``), as LaTeX typesets them,
except the words plain text refuses too (``nan``, ``inf``, ``oo``, ``mod``), which
are refused. ``\\frac{d}{dw}``, ``\\frac{dy}{dx}`` and ``\\frac{d J}{d w}`` are
derivative operators, refused like ``\\partial`` (a leading ``\\frac{dJ}{dw} =`` in
a claim is read as the claim's name by :mod:`symgrad.teaching.check`).

>>> from symgrad.text.parse import parse_expression
>>> parse_expression(r"x^{2}_{1} - x_{1}^{2}", latex=True)
0
>>> parse_expression(r"\\frac{1}{2}(\\hat{y} - y)^{2}", latex=True)
(-y + y_hat)**2/2
>>> latex_name(r"\\theta_{1}"), latex_name("w_0")
('theta1', 'w0')
"""

from __future__ import annotations

import re

from symgrad.errors import ParseError
from symgrad.text.grammar import GREEK, REFUSED_NAMES, Context, Token

GREEK_MACROS = {name for name in GREEK.values()} | {
    "varepsilon", "vartheta", "varphi", "varrho", "varsigma", "varpi", "ell",
    "Upsilon",
}  # fmt: skip
_VARIANTS = {
    "varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
    "varsigma": "sigma", "varpi": "pi",
}  # fmt: skip
FUNCTION_MACROS = {
    "exp", "ln", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "max", "min",
    "arcsin", "arccos", "arctan", "sgn", "sec", "csc", "cot",
}  # fmt: skip
OPERATORNAMES = {
    "sech", "relu", "ReLU", "softplus", "sigmoid", "sign", "sgn", "tanh", "exp", "log", "ln",
    "max", "min", "abs", "sigma", "heaviside", "H", "logistic", "clip", "clamp", "mean",
    "logsumexp", "asinh", "acosh", "atanh", "arsinh", "arcosh", "artanh", "arcsinh",
    "arccosh", "arctanh", "atan2", "arctan2", "sec", "csc", "cot", "expit", "softmax",
    "log_softmax", "square", "log1p", "expm1", "Relu", "sgm",
}  # fmt: skip
#: LaTeX spellings of the inverse hyperbolic functions (ISO: arsinh)
_LATEX_ALIASES = {"arsinh": "asinh", "arcosh": "acosh", "artanh": "atanh", "sgn": "sign",
                  "Relu": "relu", "sgm": "sigmoid"}  # fmt: skip
ACCENTS = {
    "hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
    "widetilde": "tilde", "dot": "dot",
}  # fmt: skip
FONTS = {
    "mathbf", "boldsymbol", "bm", "mathit", "vec", "mathnormal", "mathsf", "mathcal", "mathscr",
}  # fmt: skip
SPACES = {
    ",", ";", ":", "!", " ", "quad", "qquad", "displaystyle", "textstyle", "limits",
    "nolimits", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr",
}  # fmt: skip
TIMES = {"cdot", "times", "ast", "cdotp"}
RELATION_MACROS = {
    "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
    "lt": "<", "gt": ">", "ne": "!=", "neq": "!=",
}  # fmt: skip
BOOLEAN_MACROS = {"land": "and", "wedge": "and", "lor": "or", "vee": "or", "lnot": "not"}
TEXT_WORDS = {
    "if": "if", "for": "if", "when": "if", "otherwise": "otherwise", "else": "otherwise",
    "and": "and", "or": "or",
}  # fmt: skip
KNOWN_RUNS = (
    "softplus", "sigmoid", "relu", "tanh", "sinh", "cosh", "sech", "sqrt", "exp", "log",
    "sin", "cos", "tan", "abs", "max", "min", "ln",
)  # fmt: skip
#: letter runs that are refused words in plain text too (nan, inf, oo, mod), never m*o*d
REFUSED_RUNS = {word: reason for word, reason in REFUSED_NAMES.items() if len(word) > 1}
REFUSED_MACROS = {
    "top": "a transpose needs shapes: declare them with --shape (e.g. --shape w=k)",
    "intercal": "a transpose needs shapes: declare them with --shape (e.g. --shape w=k)",
    "partial": "a derivative sign inside the expression: give the derivative's expression "
    "itself (a leading \\frac{\\partial J}{\\partial w} = or \\frac{dJ}{dw} = is allowed)",
    "nabla": "a gradient sign inside the expression: give the gradient's expression itself",
    "infty": "infinity is not a value: symgrad works with finite real numbers",
    "pm": "'\\pm' has two readings: write the + and the - case separately",
    "mp": "'\\mp' has two readings: write the two cases separately",
    "sum": "sums need the index range and shapes: write the terms out, or see --shape",
    "prod": "products over an index are not supported: write the factors out",
    "int": "integrals are not supported",
    "lim": "limits are not supported",
    "|": "a norm ||v|| needs shapes: declare them with --shape",
    "lVert": "a norm ||v|| needs shapes: declare them with --shape",
    "rVert": "a norm ||v|| needs shapes: declare them with --shape",
    "Vert": "a norm ||v|| needs shapes: declare them with --shape",
    "\\": "a line break '\\\\': give one expression (derivations use --derivation)",
}
#: \frac{d}{dw}, \frac{dy}{dx}, \frac{d J}{d w}, \frac{d^2 y}{dx^2}: refused like \partial
_D = r"\s*(?:d|\\mathrm\s*\{\s*d\s*\}|\\operatorname\s*\{\s*d\s*\})"
_DERIVATIVE_TOP = re.compile(_D + r"(?![A-Za-z]{2})")
_DERIVATIVE_BOTTOM = re.compile(
    _D + r"\s*(?:[A-Za-z]|\\[A-Za-z]+)\s*(?:_\s*(?:\{[^{}]*\}|\w))?\s*"
    r"(?:\^\s*(?:\{\s*\d+\s*\}|\d))?\s*"
)
_DELIMITERS = re.compile(r"^\s*(\$\$|\$|\\\(|\\\[)(.*?)(\$\$|\$|\\\)|\\\])\s*$", re.S)
_MACRO = re.compile(r"\\([A-Za-z]+|.)")


def strip_math_delimiters(text: str) -> str:
    """``$x$``, ``$$x$$``, ``\\(x\\)`` and ``\\[x\\]`` -> ``x``."""
    match = _DELIMITERS.match(text)
    return match.group(2) if match else text


class _Lexer:
    def __init__(self, text: str, context: Context, offset: int = 0, full: str | None = None):
        self.text = text
        self.context = context
        self.offset = offset
        self.full = full if full is not None else text
        self.position = 0
        self.tokens: list[Token] = []
        self.spaced = False

    # ------------------------------------------------------------ helpers
    def fail(self, message: str, position: int | None = None) -> ParseError:
        where = self.offset + (self.position if position is None else position)
        return ParseError(message, self.full, min(where, max(len(self.full) - 1, 0)))

    def emit(self, kind: str, value: str, start: int, source: str = "") -> None:
        self.tokens.append(Token(kind, value, self.offset + start, self.spaced, source or value))
        self.spaced = False

    def skip_space(self) -> None:
        while self.position < len(self.text) and (
            self.text[self.position] == "~" or self.text[self.position].isspace()
        ):
            self.position += 1
            self.spaced = True

    def peek_macro(self) -> str | None:
        match = _MACRO.match(self.text, self.position)
        return match.group(1) if match else None

    def read_group(self) -> tuple[str, int]:
        """The raw text of ``{...}`` (balanced), or of one token; returns (text, start)."""
        self.skip_space()
        if self.position >= len(self.text):
            raise self.fail("a group {...} is missing at the end")
        char = self.text[self.position]
        if char == "{":
            depth = 0
            start = self.position
            for index in range(self.position, len(self.text)):
                if self.text[index] == "{" and (index == 0 or self.text[index - 1] != "\\"):
                    depth += 1
                elif self.text[index] == "}" and self.text[index - 1] != "\\":
                    depth -= 1
                    if depth == 0:
                        self.position = index + 1
                        return self.text[start + 1 : index], start + 1
            raise self.fail("unbalanced '{': a group is not closed", start)
        if char == "\\":
            match = _MACRO.match(self.text, self.position)
            start = self.position
            self.position = match.end()
            return match.group(0), start
        if char == "}":
            raise self.fail("a group {...} is missing")
        start = self.position
        self.position += 1
        return char, start

    def sub_tokens(self, text: str, start: int) -> list[Token]:
        lexer = _Lexer(text, self.context, self.offset + start, self.full)
        lexer.run()
        return lexer.tokens

    def emit_group(self, text: str, start: int) -> None:
        """``(`` tokens of ``text`` ``)``."""
        inner = self.sub_tokens(text, start)
        if not inner:
            raise self.fail("an empty group {}", start)
        self.emit("OP", "(", start - 1, "{")
        self.tokens.extend(inner)
        self.emit("OP", ")", start + len(text), "}")

    # ------------------------------------------------------------ main loop
    def run(self) -> None:
        while True:
            self.skip_space()
            if self.position >= len(self.text):
                return
            char = self.text[self.position]
            start = self.position
            digits = "0123456789"
            if char in digits or (
                char == "." and self.text[self.position + 1 : self.position + 2] in list(digits)
            ):
                match = re.compile(r"\d+(\.\d+)?|\.\d+").match(self.text, self.position)
                self.position = match.end()
                self.emit("NUM", match.group(0), start)
                self.after_atom()
            elif char.isascii() and char.isalpha():
                self.letters()
            elif char in GREEK:
                self.position += 1
                name = GREEK[char]
                if name == "pi":
                    self.emit("NAME", "pi", start, char)
                else:
                    self.name(name, start)
            elif char == "\\":
                self.macro()
            elif char in "{}":
                self.position += 1
                self.emit("OP", "(" if char == "{" else ")", start, char)
                if char == "}":
                    self.after_atom()
            elif char in "()[]":
                self.position += 1
                self.emit("OP", "(" if char in "([" else ")", start, char)
                if char in ")]":
                    self.after_atom()
            elif char in "+-*/,|":
                self.position += 1
                self.emit("OP", char, start)
            elif char == "^":
                self.position += 1
                self.superscript(start)
            elif char == "_":
                raise self.fail("a subscript '_' needs a name before it, e.g. x_1")
            elif char in "<>=":
                two = self.text[self.position : self.position + 2]
                op = two if two in ("<=", ">=") else char
                self.position += len(op)
                self.emit("REL", op, start)
            elif char == "'":
                self.position += 1
                self.emit("OP", "'", start)
            elif char == "&":
                raise self.fail(
                    "'&' aligns lines of a derivation: give one expression (derivations use "
                    "--derivation)"
                )
            elif char == "!":
                self.position += 1
                self.emit("OP", "!", start)
            else:
                raise self.fail(f"character {char!r} is not allowed in a LaTeX expression")

    def after_atom(self) -> None:
        """A sub- or superscript right after a number or a bracket."""
        self.skip_space()
        if self.text.startswith("_", self.position):
            raise self.fail("a subscript '_' needs a name before it, e.g. x_1")

    # ------------------------------------------------------------ names
    def letters(self) -> None:
        start = self.position
        match = re.compile(r"[A-Za-z]+").match(self.text, self.position)
        run = match.group(0)
        self.position = match.end()
        digits = re.compile(r"\d+").match(self.text, self.position)
        if run in REFUSED_RUNS:
            raise self.fail(REFUSED_RUNS[run], start)
        if run in KNOWN_RUNS or run == "sigma":
            self.context.note(f"{run} is read as the function \\{run}")
            self.emit("NAME", run, start)
            return
        head = next((f for f in KNOWN_RUNS if run.startswith(f) and len(run) > len(f)), None)
        if head is not None and head not in ("ln",):
            raise self.fail(
                f"'{run}' has no single reading: write \\{head} {run[len(head) :]} for the "
                f"function, or put \\cdot between the letters of a product",
                start,
            )
        if len(run) > 1:
            spaced = "*".join(run)
            self.context.note(
                f"{run} is read as {spaced} (letters side by side are a product in LaTeX)"
            )
        for index, letter in enumerate(run):
            last = index == len(run) - 1
            name = letter
            if last and digits:
                name += digits.group(0)
                self.position = digits.end()
            self.name(name, start + index, last)

    def name(self, base: str, start: int, scripts: bool = True) -> None:
        """Emit NAME for ``base`` with its sub- and superscripts, in either order."""
        subscript = None
        superscript = None
        while scripts:
            self.skip_space()
            if self.text.startswith("_", self.position) and subscript is None:
                self.position += 1
                raw, raw_start = self.read_group()
                subscript = self.subscript_text(raw, raw_start)
                continue
            if self.text.startswith("^", self.position) and superscript is None:
                self.position += 1
                raw, raw_start = self.read_group()
                inner = raw.strip()
                if re.fullmatch(r"\(\s*[A-Za-z]\s*\)", inner) and subscript is None:
                    subscript = inner.strip("() ")
                    continue
                superscript = (raw, raw_start)
                self.check_single_script(raw, raw_start)
                continue
            break
        name = _join(base, subscript)
        self.emit("NAME", name, start, self.text[start : self.position])
        if superscript is not None:
            self.emit_power(*superscript)

    def check_single_script(self, raw: str, raw_start: int) -> None:
        """``x^23`` typesets as x squared times 3: refuse it instead of guessing."""
        if raw_start > 0 and self.text[raw_start - 1] != "{" and raw.isdigit():
            if self.text[self.position : self.position + 1].isdigit():
                raise self.fail(
                    f"'^{raw}{self.text[self.position]}' has no single reading: write "
                    f"^{{{raw}{self.text[self.position]}}} or ^{{{raw}}} {self.text[self.position]}",
                    raw_start,
                )

    def subscript_text(self, raw: str, raw_start: int) -> str:
        if raw_start > 0 and self.text[raw_start - 1] != "{" and raw.isdigit():
            if self.text[self.position : self.position + 1].isdigit():
                raise self.fail(
                    f"'_{raw}{self.text[self.position]}' has no single reading: write "
                    f"_{{{raw}{self.text[self.position]}}} or _{{{raw}}} {self.text[self.position]}",
                    raw_start,
                )
        parts = []
        for piece in re.split(r"\s*,\s*", raw.strip()):
            piece = re.sub(r"\s+", "", piece)
            macro = re.fullmatch(r"\\([A-Za-z]+)", piece)
            if macro and macro.group(1) in GREEK_MACROS:
                piece = _VARIANTS.get(macro.group(1), macro.group(1))
            if not re.fullmatch(r"[A-Za-z0-9]+", piece):
                raise self.fail(f"subscript {{{raw}}} is not a name or index", raw_start)
            parts.append(piece)
        return "_".join(parts)

    def emit_power(self, raw: str, raw_start: int) -> None:
        inner = raw.strip()
        if inner in ("T", "\\top", "\\intercal") and self.context.shapes:
            self.emit("TRANSPOSE", "T", raw_start - 1, "^T")
            return
        if inner in ("T", "\\top", "\\intercal", "t"):
            raise self.fail(
                "a transpose (^T) needs shapes: declare them with --shape (e.g. --shape w=k)",
                raw_start,
            )
        self.emit("OP", "^", raw_start - 1, "^")
        self.emit_group(raw, raw_start)

    def superscript(self, start: int) -> None:
        raw, raw_start = self.read_group()
        self.check_single_script(raw, raw_start)
        self.position_after_power = self.position
        if raw.strip() in ("T", "\\top", "\\intercal") and self.context.shapes:
            self.emit("TRANSPOSE", "T", start, "^T")
            return
        if raw.strip() in ("T", "\\top", "\\intercal"):
            raise self.fail(
                "a transpose (^T) needs shapes: declare them with --shape (e.g. --shape w=k)",
                start,
            )
        self.emit("OP", "^", start, "^")
        self.emit_group(raw, raw_start)

    # ------------------------------------------------------------ commands
    def macro(self) -> None:
        start = self.position
        match = _MACRO.match(self.text, self.position)
        if match is None:
            raise self.fail("a backslash that starts no command", start)
        command = match.group(1)
        self.position = match.end()
        handler = _HANDLERS.get(command)
        if handler is not None:
            handler(self, command, start)
            return
        if command in GREEK_MACROS:
            name = _VARIANTS.get(command, command)
            if name == "pi":
                self.emit("NAME", "pi", start, "\\pi")
                return
            self.name(name, start)
            return
        if command in FUNCTION_MACROS:
            self.function_macro(command, start)
            return
        if command in TIMES:
            self.emit("OP", "*", start, "\\" + command)
            return
        if command in SPACES:
            self.spaced = True
            return
        if command in RELATION_MACROS:
            self.emit("REL", RELATION_MACROS[command], start, "\\" + command)
            return
        if command in BOOLEAN_MACROS:
            self.emit("KW", BOOLEAN_MACROS[command], start, "\\" + command)
            return
        if self.context.shapes and command in ("|", "lVert", "rVert", "Vert"):
            self.emit("OP", "|", start, "\\" + command)
            self.emit("OP", "|", start, "\\" + command)
            self.two_norm_subscript()
            return
        if command == "sum":
            self.index_sum(start)
            return
        if command in REFUSED_MACROS:
            raise self.fail(REFUSED_MACROS[command], start)
        raise self.fail(f"the LaTeX command \\{command} is not supported", start)

    def function_macro(self, command: str, start: int) -> None:
        name = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "sgn": "sign"}.get(
            command, command
        )
        self.skip_space()
        if command == "log" and self.text.startswith("_", self.position):
            self.position += 1
            raw, raw_start = self.read_group()
            if raw.strip() not in ("e", "\\mathrm{e}"):
                raise self.fail("only natural logarithms are supported: write \\ln", raw_start)
        if command in ("max", "min") and self.text.startswith("_", self.position):
            raise self.fail(f"\\{command} over an index is not supported: list the arguments")
        self.emit("NAME", name, start, "\\" + command)

    def frac(self, command: str, start: int) -> None:
        numerator, num_start = self.read_group()
        denominator, den_start = self.read_group()
        if _DERIVATIVE_TOP.match(numerator) and _DERIVATIVE_BOTTOM.fullmatch(denominator):
            raise self.fail(REFUSED_MACROS["partial"], start)
        self.emit("OP", "(", start, "\\frac")
        self.emit_group(numerator, num_start)
        self.emit("OP", "/", den_start - 1, "/")
        self.emit_group(denominator, den_start)
        self.emit("OP", ")", self.position, "")

    def sqrt(self, command: str, start: int) -> None:
        self.skip_space()
        if self.text.startswith("[", self.position):
            end = self.text.find("]", self.position)
            if end < 0:
                raise self.fail("\\sqrt[n] is missing its ']'")
            degree = self.text[self.position + 1 : end]
            degree_start = self.position + 1
            self.position = end + 1
            radicand, rad_start = self.read_group()
            self.emit("OP", "(", start, "\\sqrt")
            self.emit_group(radicand, rad_start)
            self.emit("OP", "^", start, "^")
            self.emit("OP", "(", start, "(")
            self.emit("NUM", "1", start, "1")
            self.emit("OP", "/", start, "/")
            self.emit_group(degree, degree_start)
            self.emit("OP", ")", start, ")")
            self.emit("OP", ")", self.position, "")
            return
        radicand, rad_start = self.read_group()
        self.emit("NAME", "sqrt", start, "\\sqrt")
        self.emit_group(radicand, rad_start)

    def accent(self, command: str, start: int) -> None:
        raw, raw_start = self.read_group()
        base = latex_name(raw, allow_accent=False, where=(self, raw_start))
        self.name(f"{base}_{ACCENTS[command]}", start)

    def font(self, command: str, start: int) -> None:
        raw, raw_start = self.read_group()
        if raw.strip() in ("1", "I") and command in _INDICATOR_FONTS:
            self.indicator(f"\\{command}{{{raw}}}", start)
            return
        if command in ("mathbb", "mathds", "mathbbm"):
            raise self.fail(f"\\{command}{{{raw}}} is a set, not a value", start)
        base = latex_name(raw, allow_accent=True, where=(self, raw_start))
        self.name(base, start)

    def operatorname(self, command: str, start: int) -> None:
        raw, raw_start = self.read_group()
        word = raw.strip()
        if command == "mathrm" and word == "e":
            for kind, value in (("NAME", "exp"), ("OP", "("), ("NUM", "1"), ("OP", ")")):
                self.emit(kind, value, start, "\\mathrm{e}")
            return
        if command == "mathrm" and word == "d":
            raise self.fail(REFUSED_MACROS["partial"], start)
        if command in ("text", "textrm", "mbox"):
            key = word.strip(" ,").lower()
            if key in TEXT_WORDS:
                value = TEXT_WORDS[key]
                self.emit("KW", value, start, f"\\{command}{{{raw}}}")
                return
            if word in OPERATORNAMES:
                name = _LATEX_ALIASES.get(word, word)
                self.emit("NAME", name, start, f"\\{command}{{{word}}}")
                return
            raise self.fail(f"\\{command}{{{word}}} is prose, not maths", start)
        if command == "operatorname" and word not in OPERATORNAMES:
            if word in self.context.functions:
                self.emit("NAME", word, start, f"\\operatorname{{{word}}}")
                return
            raise self.fail(
                f"\\operatorname{{{word}}} is not a known function (known: "
                f"{', '.join(sorted(OPERATORNAMES))}; declare others with --function)",
                start,
            )
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", word):
            raise self.fail(f"\\{command}{{{word}}} is not a name", start)
        if word in OPERATORNAMES or word in self.context.functions:
            self.emit("NAME", _LATEX_ALIASES.get(word, word), start, f"\\{command}{{{word}}}")
            return
        self.name(word, start)

    def indicator(self, source: str, start: int) -> None:
        """``\\mathbb{1}``: the indicator; ``\\mathbb{1}_{y w x < 1}`` takes its condition
        as a subscript, ``\\mathbb{1}[...]`` and ``\\mathbb{1}\\{...\\}`` in brackets."""
        self.emit("NAME", "indicator", start, source)
        self.skip_space()
        if self.text.startswith("_", self.position):
            self.position += 1
            raw, raw_start = self.read_group()
            self.emit_group(raw, raw_start)

    def left_right(self, command: str, start: int) -> None:
        self.skip_space()
        match = _MACRO.match(self.text, self.position)
        if match:
            self.position = match.end()
            delimiter = match.group(1)
            mapped = {"{": "(", "}": ")", "lvert": "|", "rvert": "|", "vert": "|", "|": None}
            if delimiter in mapped and mapped[delimiter]:
                self.emit("OP", mapped[delimiter], start, match.group(0))
                return
            if delimiter in ("lVert", "rVert", "|", "Vert") and self.context.shapes:
                self.emit("OP", "|", start, match.group(0))
                self.emit("OP", "|", start, match.group(0))
                self.two_norm_subscript()
                return
            if delimiter in ("lVert", "rVert", "|", "Vert"):
                raise self.fail(REFUSED_MACROS["|"], start)
            raise self.fail(f"\\{command}\\{delimiter} is not a supported delimiter", start)
        if self.position >= len(self.text):
            raise self.fail(f"\\{command} needs a delimiter", start)
        char = self.text[self.position]
        self.position += 1
        if char == ".":
            return
        if char in "([":
            self.emit("OP", "(", start, f"\\{command}{char}")
        elif char in ")]":
            self.emit("OP", ")", start, f"\\{command}{char}")
        elif char == "|":
            self.emit("OP", "|", start, f"\\{command}|")
        else:
            raise self.fail(f"\\{command}{char} is not a supported delimiter", start)

    def two_norm_subscript(self) -> None:
        """``\\|v\\|_2``: the Euclidean norm, which ``||v||`` is anyway."""
        match = re.compile(r"\s*_\s*(?:2|\{\s*2\s*\})").match(self.text, self.position)
        if match:
            self.position = match.end()
            self.context.note("||...||_2 is read as the Euclidean norm")

    def bars(self, command: str, start: int) -> None:
        self.emit("OP", "|", start, "\\" + command)

    def braces(self, command: str, start: int) -> None:
        self.emit("OP", "(" if command == "{" else ")", start, "\\" + command)

    def cases(self, command: str, start: int) -> None:
        raw, raw_start = self.read_group()
        if raw.strip() != "cases":
            raise self.fail(f"the environment {raw.strip()!r} is not supported", start)
        end = self.text.find("\\end{cases}", self.position)
        if end < 0:
            raise self.fail("\\begin{cases} without \\end{cases}", start)
        body_start = self.position
        body = self.text[body_start:end]
        self.position = end + len("\\end{cases}")
        self.emit("NAME", "piecewise", start, "\\begin{cases}")
        self.emit("OP", "(", start, "")
        rows = [r for r in re.split(r"\\\\", body) if r.strip()]
        offset = body_start
        for number, row in enumerate(rows):
            row_start = body.find(row, offset - body_start) + body_start
            if "&" not in row:
                raise self.fail("each row of cases needs 'value & condition'", row_start)
            value, condition = row.split("&", 1)
            if number:
                self.emit("OP", ",", row_start, ",")
            self.emit("OP", "(", row_start, "")
            self.tokens.extend(self.sub_tokens(value, row_start))
            self.emit("OP", ",", row_start + len(value), "&")
            cond_text = re.sub(r"^\s*,", "", condition)
            cond_start = row_start + len(value) + 1 + (len(condition) - len(cond_text))
            cond_tokens = self.sub_tokens(cond_text, cond_start)
            if cond_tokens and cond_tokens[0].kind == "KW" and cond_tokens[0].value == "if":
                cond_tokens = cond_tokens[1:]
            if not cond_tokens:
                raise self.fail("a row of cases has no condition", cond_start)
            self.tokens.extend(cond_tokens)
            self.emit("OP", ")", row_start + len(row), "")
            offset = row_start + len(row)
        self.emit("OP", ")", self.position, "\\end{cases}")

    def index_sum(self, start: int) -> None:
        """``\\sum_{i=1}^{n}``: a SUM token carrying the index and the bounds."""
        self.skip_space()
        if not self.text.startswith("_", self.position):
            raise self.fail("\\sum needs its index: write \\sum_{i=1}^{n}", start)
        self.position += 1
        lower_raw, lower_start = self.read_group()
        self.skip_space()
        if not self.text.startswith("^", self.position):
            raise self.fail("\\sum needs its upper bound: write \\sum_{i=1}^{n}", start)
        self.position += 1
        upper_raw, _ = self.read_group()
        index, _, lower = lower_raw.partition("=")
        index, lower, upper = index.strip(), (lower.strip() or "1"), upper_raw.strip()
        if not re.fullmatch(r"[A-Za-z]", index):
            raise self.fail(f"the summation index {index!r} must be one letter", lower_start)
        if not re.fullmatch(r"[A-Za-z]\w*|\d+", upper) or not re.fullmatch(r"\d+", lower):
            raise self.fail("write the sum's bounds as \\sum_{i=1}^{n}", lower_start)
        self.emit("SUM", f"{index}|{lower}|{upper}", start, "\\sum")

    def refuse_environment(self, command: str, start: int) -> None:
        raise self.fail("\\end without \\begin{cases}", start)


def _join(base: str, subscript: str | None) -> str:
    if not subscript:
        return base
    if subscript[0].isdigit() and not base[-1].isdigit():
        return base + subscript
    return f"{base}_{subscript}"


_INDICATOR_FONTS = {"mathbb", "mathbf", "mathds", "mathbbm", "boldsymbol", "bm", "mathrm"}

_HANDLERS = {
    "frac": _Lexer.frac,
    "dfrac": _Lexer.frac,
    "tfrac": _Lexer.frac,
    "cfrac": _Lexer.frac,
    "sqrt": _Lexer.sqrt,
    **{name: _Lexer.accent for name in ACCENTS},
    **{name: _Lexer.font for name in FONTS | {"mathbb", "mathds", "mathbbm"}},
    "operatorname": _Lexer.operatorname,
    "mathrm": _Lexer.operatorname,
    "text": _Lexer.operatorname,
    "textrm": _Lexer.operatorname,
    "mbox": _Lexer.operatorname,
    "left": _Lexer.left_right,
    "right": _Lexer.left_right,
    "lvert": _Lexer.bars,
    "rvert": _Lexer.bars,
    "vert": _Lexer.bars,
    "mid": _Lexer.bars,
    "{": _Lexer.braces,
    "}": _Lexer.braces,
    "begin": _Lexer.cases,
    "end": _Lexer.refuse_environment,
    "div": lambda self, command, start: self.emit("OP", "/", start, "\\div"),
}


def latex_name(text: str, allow_accent: bool = True, where=None) -> str:
    """The symgrad name of a LaTeX name: ``w_{0}`` -> ``w0``, ``\\hat{y}`` -> ``y_hat``."""
    from symgrad.text.grammar import Context as _Context

    context = _Context()
    lexer = _Lexer(text.strip(), context)
    try:
        lexer.run()
    except ParseError:
        if where is not None:
            owner, start = where
            raise owner.fail(f"{{{text}}} is not a name", start) from None
        raise
    tokens = lexer.tokens
    if len(tokens) == 1 and tokens[0].kind == "NAME":
        return tokens[0].value
    if where is not None:
        owner, start = where
        raise owner.fail(f"{{{text}}} is not a single name", start)
    raise ParseError(f"{text!r} is not a single name")


def lex_latex(text: str, context: Context) -> list[Token]:
    """Tokens of a LaTeX expression (``$...$`` delimiters are removed)."""
    inner = strip_math_delimiters(text)
    offset = text.find(inner) if inner != text else 0
    lexer = _Lexer(inner, context, offset, text)
    lexer.run()
    lexer.tokens.append(Token("END", "", len(text), lexer.spaced))
    return lexer.tokens
