"""Maths inside sentences and readings, typeset: MathML for HTML, ``$...$`` for Markdown.

A reading (an answer as understood, or a loss) is symgrad's own output in Python syntax;
it is read back with symgrad's parser and typeset, or, when it does not read back (a
matrix expression such as ``X.T @ (X @ w - y)``), typeset token by token.

In a feedback sentence only what is plainly an expression is typeset: a run of words
joined by ``+`` or ``-`` whose words are numbers, one-letter or indexed names, or contain
``*``, ``/``, ``^`` or a bracket, with balanced brackets, that reads back. Everything
else stays words (escaped). Display only: nothing here decides anything.

>>> [kind for kind, _ in segments("the term lambda*w should be 2*lambda*w")]
['text', 'maths', 'text', 'maths']
"""

from __future__ import annotations

import functools
import re

import sympy

from symgrad.errors import SymgradError
from symgrad.text.display import latex
from symgrad.text.mathml import derivative_mathml, linear_mathml, mathml

MAX_READ = 2_000
_OPERAND = re.compile(
    r"^(?:[0-9]+(?:\.[0-9]+)?|[A-Za-z](?:_?[0-9]+)?|[A-Za-z]\w*(?:_\w+)*"
    r"|[\w.()*/^+\-\[\]]*[*/^()][\w.()*/^+\-\[\]]*)$"
)
_JOINER = {"+", "-", "−"}
_DERIVATIVE = re.compile(r"^d\((.+)\)/d([A-Za-z]\w*)$|^dJ/d([A-Za-z]\w*)$")
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda", "mu",
    "nu", "rho", "sigma", "tau", "phi", "psi", "omega",
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def expression(text: str) -> sympy.Expr | None:
    """A reading read back with symgrad's parser (None when it does not read)."""
    if not text or len(text) > MAX_READ:
        return None
    from symgrad.text.parse import read

    try:
        parsed = read(text)
    except (SymgradError, RecursionError, ValueError, TypeError):
        return None
    return parsed.expr if isinstance(parsed.expr, sympy.Expr) else None


def reading_mathml(text: str) -> str:
    """A reading as a ``<math>`` element (token by token when it does not read back)."""
    parsed = expression(text)
    if parsed is not None:
        return mathml(parsed)
    return linear_mathml(text)


def reading_latex(text: str) -> str:
    """A reading as ``$...$`` for Markdown (escaped code when it does not read back)."""
    parsed = expression(text)
    if parsed is None:
        return "`" + text.replace("`", "'").replace("\n", " ")[:300] + "`"
    return "$" + _tex_for_markdown(latex(parsed)) + "$"


def _tex_for_markdown(tex: str) -> str:
    """LaTeX inside ``$...$`` in Markdown: no HTML, no end of the maths, no table bar."""
    tex = tex.replace("<", r"\lt ").replace(">", r"\gt ").replace("&", r"\&").replace("$", r"\$")
    return tex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")


def _operand(word: str) -> bool:
    if word.lower() in _GREEK:
        return True
    if not _OPERAND.match(word):
        return False
    return len(word) <= 3 or any(ch in word for ch in "*/^()") or word[0].isdigit()


def _plain(word: str) -> bool:
    """A word with an operator or bracket in it (not just a name or a number)."""
    return any(ch in word for ch in "*/^()")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char in "(["
        depth -= char in ")]"
        if depth < 0:
            return False
    return depth == 0


@functools.lru_cache(maxsize=4096)
def segments(sentence: str) -> tuple[tuple[str, str], ...]:
    """The sentence as ('text', words) and ('maths', expression text) pieces, in order; the
    pieces joined give the sentence back (spaces are kept in the text pieces)."""
    words = sentence.split(" ")
    pieces: list[tuple[str, str]] = []

    def add(kind: str, text: str, glued: bool) -> None:
        space = "" if glued or not pieces else " "
        if kind == "text" and pieces and pieces[-1][0] == "text":
            pieces[-1] = ("text", pieces[-1][1] + space + text)
        elif kind == "text":
            pieces.append(("text", space + text))
        else:
            if space:
                add("text", "", False)
            pieces.append(("maths", text))

    index = 0
    while index < len(words):
        end, text, tail = _span(words, index)
        if end > index:
            add("maths", text, False)
            if tail:
                add("text", tail, True)
            index = end
        else:
            add("text", words[index], False)
            index += 1
    return tuple(p for p in pieces if p[1])


def _span(words: list[str], start: int) -> tuple[int, str, str]:
    """The longest maths span from ``start``: (end, its text, punctuation after it)."""
    best = (start, "", "")
    end = start
    while end < len(words):
        word = words[end].rstrip(",;:.")
        if not _operand(word) and not (_DERIVATIVE.match(word)):
            break
        text = " ".join([*words[start:end], word])
        tail = words[end][len(word) :]
        if any(_plain(w) for w in text.split(" ")) and _balanced(text):
            if _DERIVATIVE.match(text) or expression(text) is not None:
                best = (end + 1, text, tail)
        if tail or end + 1 >= len(words) or words[end + 1] not in _JOINER:
            break
        end += 2
    return best


def sentence_mathml(sentence: str) -> str:
    """A feedback sentence as HTML: words escaped, expressions as MathML."""
    import html

    out = []
    for kind, text in segments(sentence):
        if kind == "text":
            out.append(html.escape(text))
            continue
        derivative = _DERIVATIVE.match(text)
        if derivative:
            out.append(_derivative_html(derivative))
        else:
            out.append(reading_mathml(text))
    return "".join(out)


def _derivative_html(match: re.Match) -> str:
    inner, wrt, plain = match.group(1), match.group(2), match.group(3)
    if plain:
        return derivative_mathml(plain)
    parsed = expression(inner)
    body = mathml(parsed).removeprefix("<math>").removesuffix("</math>") if parsed else ""
    return (
        f"<math><mfrac><mrow><mo>∂</mo><mo>(</mo>{body}<mo>)</mo></mrow>"
        f"<mrow><mo>∂</mo><mi>{wrt}</mi></mrow></mfrac></math>"
    )


def sentence_markdown(sentence: str, escape) -> str:
    """A feedback sentence for Markdown: words escaped by ``escape``, expressions ``$...$``."""
    out = []
    for kind, text in segments(sentence):
        if kind == "text" or _DERIVATIVE.match(text):
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()) :] if text.strip() else ""
            out.append(lead + escape(text) + trail if text.strip() else text)
        else:
            out.append(reading_latex(text))
    return "".join(out)


__all__ = [
    "expression",
    "reading_latex",
    "reading_mathml",
    "segments",
    "sentence_markdown",
    "sentence_mathml",
]
