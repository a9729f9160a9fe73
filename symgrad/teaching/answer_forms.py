"""How students hand answers in: blanks, pasted LaTeX, parts named inside one answer, and
reading errors told in words for a student.

Nothing here decides correctness: these helpers only say what an answer's text is before
it is read (:mod:`symgrad.teaching.answer`) and rewrite a reading error for a student
(who never sees symgrad's command-line options).

>>> is_blank("  n/a ")
True
>>> unwrap_latex(r"$$\\frac{\\partial J}{\\partial w} = 2w \\,$$")
'\\\\frac{\\\\partial J}{\\\\partial w} = 2w'
>>> looks_like_latex(r"x\\sigma(wx)"), looks_like_latex("x sigma(wx)")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from symgrad.errors import SymgradError

#: a one-line claim longer than the expression reader takes, and a derivation's limit
MAX_CLAIM = 20_000
MAX_DERIVATION = 100_000

_PLACEHOLDERS = {
    "n/a", "none", "idk", "i don't know", "i dont know", "don't know", "dont know",
    "no answer", "no idea", "skip", "skipped", "blank", "empty", "nothing", "pass", "todo", "tbd",
}  # fmt: skip
_NO_CONTENT = re.compile(r"^[\s\-\u2013\u2014?.\u2026_/\\$]*$")
_LATEX_SIGN = re.compile(r"\\[A-Za-z]+|\\[\[\]()]|\\[,;:! ]|\$")
_DELIMITERS = [
    re.compile(r"^\$\$(.*)\$\$$", re.S),
    re.compile(r"^\$(.*)\$$", re.S),
    re.compile(r"^\\\[(.*)\\\]$", re.S),
    re.compile(r"^\\\((.*)\\\)$", re.S),
    re.compile(r"^\\begin\{(equation|displaymath|math)\*?\}(.*)\\end\{\1\*?\}$", re.S),
]
_TRAILING_SPACE = re.compile(r"(?:\s|\\[,;:! ]|\\q?quad\b|[.,;])+$")
_LEADING_SPACE = re.compile(r"^(?:\s|\\[,;:! ]|\\q?quad\b|\\displaystyle\b)+")
_SLASH_PARTIAL = re.compile(
    r"^\s*\\partial\s*(J|L)\s*/\s*\\partial\s*([A-Za-z]\w*|\\[A-Za-z]+)\s*=(?!=)"
)


def is_blank(text: str) -> bool:
    """No answer: empty, only punctuation or math delimiters, or a placeholder ('n/a', 'idk')."""
    stripped = text.strip()
    return bool(_NO_CONTENT.match(stripped)) or stripped.lower() in _PLACEHOLDERS


def looks_like_latex(text: str) -> bool:
    """Pasted LaTeX: a backslash command (``\\frac``, ``\\left(``, ``\\sigma``), ``\\[``, ``$``."""
    return bool(_LATEX_SIGN.search(text))


def unwrap_latex(text: str) -> str:
    """The maths inside ``$...$``, ``$$...$$``, ``\\[...\\]``, ``\\(...\\)`` or an equation
    environment, without leading or trailing spacing commands and punctuation;
    ``\\partial J/\\partial w =`` becomes the fraction form the readers know."""
    text = text.strip()
    for _ in range(3):
        for pattern in _DELIMITERS:
            match = pattern.match(text)
            if match:
                text = match.group(match.lastindex).strip()
                break
        else:
            break
    text = _LEADING_SPACE.sub("", _TRAILING_SPACE.sub("", text))
    return _SLASH_PARTIAL.sub(r"\\frac{\\partial \1}{\\partial \2} =", text)


def is_derivation(answer: str) -> bool:
    """An answer of several lines (or LaTeX align rows) is a derivation, judged line by line
    (the rows of a ``cases`` block are one expression)."""
    from symgrad.teaching.line_by_line import protect_cases

    rows = [r for r in protect_cases(answer).replace("\\\\", "\n").split("\n") if r.strip()]
    return len(rows) > 1


# ---------------------------------------------------------------- parts named in one answer
_PART_START = re.compile(
    r"\s*(?:[,;]|\band\b|\\q?quad\b|\\text\{\s*and\s*\})\s*"
    r"(?=(?:d\s*[A-Za-z]\w*\s*/\s*d|∂\s*[A-Za-z]\w*\s*/\s*∂|\\[dt]?frac\s*\{\s*(?:\\partial|d\b|"
    r"\\mathrm)|\\partial\s*[A-Za-z]\w*\s*/|\\nabla|∇|grad_))"
)


def named_parts(text: str, wrt: Sequence[str], latex: bool) -> dict[str, str] | None:
    """One answer that names its parts (``dJ/dw = ..., dJ/db = ...``, or a derivation with a
    ``dJ/dw = ...`` line and a ``dJ/db = ...`` line): parameter -> that part's text (for a
    derivation, the shared lines before the first derivative and the part's own lines).
    None when the parts are not named, named twice, or name a parameter not asked for."""
    if is_derivation(text):
        return _derivation_parts(text, wrt, latex)
    pieces = [p.strip() for p in _PART_START.split(text) if p.strip()]
    named: dict[str, str] = {}
    for piece in pieces:
        name = derivative_named(piece, latex)
        if name is None or name in named:
            return None
        named[name] = piece
    return named if len(named) > 1 and set(named) <= set(wrt) else None


def derivative_named(piece: str, latex: bool) -> str | None:
    """The parameter a piece ``dJ/dw = ...`` names, or None."""
    from symgrad.teaching.line_by_line import _left_side, _top_level_equals

    sides = _top_level_equals(piece)
    if len(sides) < 2 or not sides[0]:
        return None
    try:
        kind, _, name = _left_side(sides[0], latex or "\\" in sides[0])
    except SymgradError:
        return None
    return name if kind == "derivative" else None


def part_names(text: str, latex: bool) -> list[str]:
    """The parameters an answer's ``dJ/dw = ...`` pieces or derivation lines name, in order,
    repeats kept (empty when it names none, or cannot be read)."""
    from symgrad.teaching.line_by_line import read_derivation

    if is_derivation(text):
        try:
            statements, _ = read_derivation(text, True if latex else None)
        except SymgradError:
            return []
        return [s.wrt for s in statements if s.kind == "derivative" and s.wrt]
    pieces = [p.strip() for p in _PART_START.split(text) if p.strip()]
    return [name for name in (derivative_named(p, latex) for p in pieces) if name]


def _derivation_parts(text: str, wrt: Sequence[str], latex: bool) -> dict[str, str] | None:
    from symgrad.teaching.line_by_line import read_derivation

    try:
        statements, as_latex = read_derivation(text, True if latex else None)
    except SymgradError:
        return None
    shared: list[str] = []
    groups: dict[str, list[str]] = {}
    current: str | None = None
    rows: dict[int, str] = {}
    for statement in statements:
        if statement.kind == "derivative" and statement.wrt != current:
            if statement.wrt in groups:
                return None
            current = statement.wrt
            groups[current] = []
        if statement.number in rows:
            continue
        rows[statement.number] = statement.text
        (groups[current] if current is not None else shared).append(statement.text)
    if len(groups) < 2 or not set(groups) <= set(wrt):
        return None
    joiner = " \\\\ " if as_latex else "\n"
    return {name: joiner.join([*shared, *lines]) for name, lines in groups.items()}


# ---------------------------------------------------------------- words for a student
_FOR_STUDENTS = [
    (re.compile(r"^the claim for "), "your answer for "),
    (re.compile(r"^the claim "), "your answer "),
    (re.compile(r":? ?use --latex for LaTeX input"), " that could not be read"),
    (
        re.compile(r"'\$' is LaTeX: use --latex \(or remove the dollar signs\)"),
        "remove the '$' signs",
    ),
    (
        re.compile(r"needs shapes[:;]? ?(?:declare them with --shape)?\s*(?:\([^)]*\))?"),
        "needs matrices, and this question has none",
    ),
    (re.compile(r"give shapes with --shape \([^)]*\)"), "this question has no matrices"),
    (re.compile(r"\(derivations use --derivation\)"), "(or a derivation, one step per line)"),
    (re.compile(r"\s*\(known: [^)]*\)"), ""),
    (re.compile(r"define (it|them) with --let \"[^\"]*\" or write"), r"write"),
    (re.compile(r"but --wrt is (\w+)"), r"but the question asks for the derivative by \1"),
    (re.compile(r"give the right-hand side only, or the matching --wrt"), "answer the part asked"),
]
_WITH_OPTION = [
    re.compile(r"\s*\([^()]*\s--[a-z][a-z-]*[^()]*\)"),
    re.compile(r"[;:,]\s*[^;:,()]*--[a-z][a-z-]*[^;:()]*"),
    re.compile(r"\s*--[a-z][a-z-]*\b\S*"),
]


def for_students(message: str, limit: int = 300) -> str:
    """A reading error told for a student: no command-line options, at most ``limit``
    characters."""
    for pattern, replacement in _FOR_STUDENTS:
        message = pattern.sub(replacement, message)
    for pattern in _WITH_OPTION:
        message = pattern.sub("", message)
    message = message.strip(" ;:,")
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


__all__ = [
    "part_names",
    "MAX_CLAIM",
    "MAX_DERIVATION",
    "for_students",
    "is_blank",
    "is_derivation",
    "looks_like_latex",
    "derivative_named",
    "named_parts",
    "unwrap_latex",
]
