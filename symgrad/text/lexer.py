"""Plain-text maths as people type it, as tokens: names, numbers, operators, relations.

:func:`lex_text` reads one token at a time (:func:`_token_at`, :func:`_operator_at`); the
grammar (:mod:`symgrad.text.grammar`) turns tokens into a tree. Characters students type on
phones or paste from documents are read as what they mean, each shown in a reading note
where the expression alone would not show it: fullwidth forms (``（ ）＋``) as their ASCII
letters, mathematical italic letters (``𝑤𝑥``) as plain ones, vulgar fractions (``½``) as
numbers, ``𝟙`` as the indicator, and the NumPy/PyTorch/math prefixes of function names
(``np.exp``, ``torch.sigmoid``, ``F.relu``) as the functions they name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from symgrad.errors import ParseError

#: names refused in text and LaTeX alike, with the reason
REFUSED_NAMES = {
    "E": "E is not a name in symgrad: write e or exp(1) for Euler's number, or use another name",
    "I": "I is not a name in symgrad (symbols are real): use another name",
    "oo": "oo (infinity) is not a value: symgrad works with finite real numbers",
    "inf": "inf is not a value: symgrad works with finite real numbers",
    "infinity": "infinity is not a value: symgrad works with finite real numbers",
    "nan": "nan is not a value: symgrad works with finite real numbers",
    "NaN": "NaN is not a value: symgrad works with finite real numbers",
    "zoo": "zoo is not a value: symgrad works with finite real numbers",
    "mod": "'mod' (the remainder) is not an operation in symgrad: give the expression without it",
}

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho",
    "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta",
    "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
    "ℓ": "ell",
}  # fmt: skip
#: vulgar fractions typed on phones, as exact numbers
VULGAR = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5",
    "⅗": "3/5", "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅐": "1/7", "⅛": "1/8", "⅜": "3/8",
    "⅝": "5/8", "⅞": "7/8", "⅑": "1/9", "⅒": "1/10",
}  # fmt: skip
INDICATOR = "𝟙"  # 𝟙, the double-struck one
#: Cyrillic letters that phone keyboards give for the Latin ones they look like
LOOK_ALIKES = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
}  # fmt: skip
#: module prefixes of NumPy, PyTorch, math and friends: ``np.exp`` is exp
MODULES = {
    "np", "numpy", "torch", "math", "F", "tf", "jnp", "sp", "scipy", "scipy.special", "special",
    "torch.nn", "torch.nn.functional", "nn", "nn.functional", "tf.math", "tf.nn",
    "torch.special", "jax", "jax.numpy", "jax.nn", "sympy",
}  # fmt: skip
#: a module's function (or constant) -> symgrad's name for it
ATTRIBUTES = {
    "exp": "exp", "log": "log", "sqrt": "sqrt", "abs": "abs", "absolute": "abs", "fabs": "abs",
    "sign": "sign", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh",
    "cosh": "cosh", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "asin": "asin",
    "acos": "acos", "atan": "atan", "arctan2": "atan2", "atan2": "atan2", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "asinh": "asinh", "acosh": "acosh",
    "atanh": "atanh", "maximum": "max", "minimum": "min", "max": "max", "min": "min",
    "fmax": "max", "fmin": "min", "clip": "clip", "clamp": "clip", "sum": "sum",
    "mean": "mean", "square": "square", "power": "pow", "pow": "pow", "log1p": "log1p",
    "expm1": "expm1", "log2": "log2", "log10": "log10", "heaviside": "heaviside",
    "where": "where", "sigmoid": "sigmoid", "expit": "sigmoid", "logistic": "sigmoid",
    "relu": "relu", "softplus": "softplus", "softmax": "softmax", "log_softmax": "log_softmax",
    "logsumexp": "logsumexp", "factorial": "factorial", "comb": "binomial", "pi": "pi",
    "e": "e", "sec": "sec", "csc": "csc", "cot": "cot", "dot": "dot", "matmul": "dot",
    "multiply": "multiply", "mul": "multiply", "divide": "divide", "true_divide": "divide",
    "div": "divide", "add": "add", "subtract": "subtract", "sub": "subtract",
    "negative": "negative", "neg": "negative",
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
    """Read a name starting at ``start``: letters, digits, '_', Greek, accents, subscripts.

    A Greek letter is a whole letter: it starts a name or follows '_', and a Latin
    letter after it starts the next name, so ``πx`` is pi*x, ``λw`` is lambda*w and
    ``wλ`` is w*lambda, while ``θ1``, ``θ₁`` and ``σ_w`` stay one name. A letter with an
    accent ends its name the same way (``ŷx`` is y_hat*x). Runs of ASCII letters are one
    name (``pix``, ``wx``).
    """
    parts: list[str] = []
    position = start
    closed = False  # after a Greek letter or an accent only digits, subscripts and '_' follow
    while position < len(text):
        char = text[position]
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        if char in GREEK:
            if position > start and text[position - 1] != "_":
                break
            parts.append(GREEK[char])
            closed = True
        elif char in SUBSCRIPTS:
            parts.append(SUBSCRIPTS[char])
        elif char in ACCENTS and parts:
            parts.append("_" + ACCENTS[char])
            closed = True
        elif base.isascii() and (base.isalnum() or base == "_"):
            if (position == start and base.isdigit()) or (closed and base.isalpha()):
                break
            closed = closed and base != "_"
            parts.append(base)
            for mark in marks:
                if mark not in ACCENTS:
                    raise ParseError(f"character {char!r} is not allowed in a name", text, position)
                parts.append("_" + ACCENTS[mark])
                closed = True
        else:
            break
        position += 1
    name = "".join(parts)
    return name, position, text[start:position]


_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


_DIGITS = frozenset("0123456789")


def plain_characters(text: str) -> str:
    """Fullwidth forms and mathematical letters as the ASCII they stand for, one for one
    (so positions in messages stay right): ``（w＋1）`` is ``(w+1)``, ``𝑤𝑥`` is ``wx``."""
    chars = []
    for char in text:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:
            char = chr(code - 0xFEE0)
        elif code == 0x3000:
            char = " "
        elif char == "′":
            char = "'"
        elif char in LOOK_ALIKES:
            char = LOOK_ALIKES[char]
        elif (0x1D400 <= code <= 0x1D7FF and char != INDICATOR) or 0x2100 <= code <= 0x214F:
            plain = unicodedata.normalize("NFKC", char)
            if len(plain) == 1 and (plain.isascii() or plain in GREEK) and char != "ℓ":
                char = plain
        chars.append(char)
    return "".join(chars)


def lex_text(text: str) -> list[Token]:
    """Tokens of plain-text maths (Python-like, with the students' extensions)."""
    text = plain_characters(unicodedata.normalize("NFC", text))
    tokens: list[Token] = []
    position = 0
    spaced = False
    length = len(text)
    while position < length:
        if text[position].isspace():
            spaced = True
            position += 1
            continue
        token, position = _token_at(text, position, spaced)
        tokens.append(token)
        spaced = False
    tokens.append(Token("END", "", length, spaced))
    return tokens


def _token_at(text: str, start: int, spaced: bool) -> tuple[Token, int]:
    """The token that starts at ``start`` (not a space), and the position after it."""
    char = text[start]
    if char in SUPERSCRIPTS:
        return _superscript(text, start, spaced)
    if char in _DIGITS or (char == "." and text[start + 1 : start + 2] in _DIGITS):
        number = _NUMBER.match(text, start).group(0)
        after = text[start + len(number) : start + len(number) + 3]
        if after.startswith("..") or after.startswith("\u2026"):
            raise ParseError(
                f"'{number}...' repeats its digits: write the exact number as a fraction "
                "(0.333... is 1/3)",
                text,
                start,
            )
        return Token("NUM", number, start, spaced, number), start + len(number)
    if char in VULGAR:
        if start and text[start - 1] in _DIGITS:
            raise ParseError(
                f"'{text[start - 1]}{char}' has no single reading: write the number as a "
                f"fraction (e.g. 5/2) or put '*' between them",
                text,
                start - 1,
            )
        return Token("NUM", VULGAR[char], start, spaced, char), start + 1
    if char == INDICATOR:
        return Token("NAME", "indicator", start, spaced, char), start + 1
    if char == "_":
        raise ParseError("names start with a letter, not '_'", text, start)
    if char in GREEK or (
        unicodedata.normalize("NFD", char)[0].isascii()
        and unicodedata.normalize("NFD", char)[0].isalpha()
    ):
        name, end, source = _name_at(text, start)
        if name in MODULES and text[end : end + 1] == "." and text[end + 1 : end + 2].isalpha():
            return _module_function(text, start, name, end, spaced)
        return Token("KW" if name in KEYWORDS else "NAME", name, start, spaced, source), end
    operator = _operator_at(text, start)
    if operator is not None:
        kind, value, source = operator
        return Token(kind, value, start, spaced, source), start + len(source)
    if char in REFUSED:
        raise ParseError(REFUSED[char], text, start)
    if char == ".":
        raise ParseError(
            "'.' here is not part of a number: attribute access is not allowed", text, start
        )
    raise ParseError(f"character {char!r} is not allowed in an expression", text, start)


def _module_function(text: str, start: int, path: str, end: int, spaced: bool):
    """``np.exp``, ``torch.nn.functional.relu``, ``math.pi``: the function (or constant)
    the module's name stands for, as one NAME token whose source is the dotted name."""
    while text[end : end + 1] == "." and text[end + 1 : end + 2].isalpha():
        segment, after, _ = _name_at(text, end + 1)
        if f"{path}.{segment}" in MODULES:
            path, end = f"{path}.{segment}", after
            continue
        source = text[start:after]
        if segment not in ATTRIBUTES:
            raise ParseError(
                f"{source} is not a function symgrad knows: write the maths itself "
                "(exp, log, sqrt, tanh, sigmoid, relu, max, clip, sum, mean, ...)",
                text,
                start,
            )
        return Token("NAME", ATTRIBUTES[segment], start, spaced, source), after
    raise ParseError(f"{text[start:end]} names a module, not a function", text, start)


def _superscript(text: str, start: int, spaced: bool) -> tuple[Token, int]:
    """A power written in superscript digits (``x²``, ``x⁻¹``)."""
    position, digits = start, ""
    while position < len(text) and text[position] in SUPERSCRIPTS:
        digits += SUPERSCRIPTS[text[position]]
        position += 1
    if not re.fullmatch(r"-?\d+", digits):
        raise ParseError(f"superscript {text[start:position]!r} is not a power", text, start)
    return Token("SUP", digits, start, spaced, text[start:position]), position


def _operator_at(text: str, start: int) -> tuple[str, str, str] | None:
    """(kind, value, source) of the operator, relation or symbol at ``start``, if any."""
    char = text[start]
    if text.startswith("**", start):
        return "OP", "^", "**"
    if text[start : start + 2] in RELATIONS:
        pair = text[start : start + 2]
        return "REL", RELATIONS[pair], pair
    if char in RELATIONS:
        return "REL", RELATIONS[char], char
    if char in OPERATORS:
        return "OP", OPERATORS[char], char
    if char == "\u221a":
        return "SQRT", "sqrt", char
    if char in "'@":
        return "OP", char, char
    if char == "!":
        return "OP", "!", char
    after = text[start + 2 : start + 3]
    if text.startswith(".T", start) and not (after.isalnum() or after == "_"):
        return "OP", ".T", ".T"
    if text.startswith(".dot(", start):
        return "OP", "@", ".dot"
    return None
