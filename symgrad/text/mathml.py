"""Expressions as MathML, for pages a browser typesets without any script or network.

SymPy's presentation printer, with symgrad's names (``W1_0_2`` is
:math:`W^{(1)}_{0,2}`, ``x0`` is :math:`x_0`, Greek names as letters) and
PyTorch's conventions shown as they are (``Heaviside(z, 0)``). The output is
MathML Core, which Chromium, Firefox and Safari render natively; an
expression too large to typeset is shown as cut-off text instead.

>>> import sympy
>>> w, x = sympy.symbols("w x", real=True)
>>> mathml(2*x*w)
'<math><mrow><mn>2</mn><mo>&InvisibleTimes;</mo><mi>w</mi><mo>&InvisibleTimes;</mo><mi>x</mi></mrow></math>'
"""

from __future__ import annotations

import html
import re

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.pretty.pretty_symbology import greek_unicode

from symgrad.exact.dag import tree_size
from symgrad.exact.printing import to_str
from symgrad.text.display import written_out

MAX_NODES = 2_000
TEXT_LIMIT = 400
_INDEXED = re.compile(r"^([A-Za-z]+)(\d+)_(\d+(?:_\d+)*)$")
_ACCENTED = re.compile(r"^(.+?)_(hat|bar|tilde|dot)$")
ACCENTS = {"hat": "^", "bar": "\u00af", "tilde": "~", "dot": "\u02d9"}
_SUBSCRIPT = re.compile(r"^([A-Za-z]+?)_?(\d+)$")
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega",
}  # fmt: skip


class _Printer(MathMLPresentationPrinter):
    def _print_Symbol(self, sym, style="plain"):
        return self._symbol(sym.name)

    def _symbol(self, name: str):
        accented = _ACCENTED.match(name)
        if accented:  # y_hat: ŷ
            over = self.dom.createElement("mover")
            over.setAttribute("accent", "true")
            over.appendChild(self._symbol(accented.group(1)))
            mark = self.dom.createElement("mo")
            mark.appendChild(self.dom.createTextNode(ACCENTS[accented.group(2)]))
            over.appendChild(mark)
            return over
        indexed = _INDEXED.match(name)
        if indexed:  # W1_0_2: layer 1, entry (0, 2)
            base, layer, entries = indexed.groups()
            sup = self.dom.createElement("msubsup")
            sup.appendChild(self._identifier(base))
            sup.appendChild(self._text_row(", ".join(entries.split("_"))))
            sup.appendChild(self._text_row(f"({layer})"))
            return sup
        subscripted = _SUBSCRIPT.match(name)
        if subscripted and subscripted.group(1).lower() not in ("log", "exp"):
            sub = self.dom.createElement("msub")
            sub.appendChild(self._identifier(subscripted.group(1)))
            sub.appendChild(self._text_row(subscripted.group(2)))
            return sub
        return self._identifier(name)

    def _identifier(self, name: str):
        node = self.dom.createElement("mi")
        if name.lower() in GREEK:
            name = greek_unicode.get(name, greek_unicode.get(name.lower(), name))
        node.appendChild(self.dom.createTextNode(name))
        return node

    def _text_row(self, text: str):
        node = self.dom.createElement("mn" if text.replace(", ", "").isdigit() else "mi")
        node.appendChild(self.dom.createTextNode(text))
        return node


def mathml(expr: object, display: bool = False) -> str:
    """``expr`` as a ``<math>`` element (block when ``display``), or escaped text if too large."""
    block = ' display="block"' if display else ""
    expr = written_out(expr, MAX_NODES)
    if expr is None:
        return f"<code>{html.escape(f'<expression of more than {MAX_NODES} nodes>')}</code>"
    if not isinstance(expr, sympy.Basic):
        return f"<math{block}><mtext>{html.escape(str(expr))}</mtext></math>"
    if tree_size(expr, stop=MAX_NODES) > MAX_NODES:
        text = to_str(expr)
        if len(text) > TEXT_LIMIT:
            text = text[:TEXT_LIMIT] + f"... ({len(text)} characters)"
        return f"<code>{html.escape(text)}</code>"
    printed = (
        _Printer()
        .doprint(expr)
        .replace("<mo>-</mo>", "<mo>\u2212</mo>")
        .replace("<mi>sigmoid</mi>", "<mi>\u03c3</mi>")
    )
    return f"<math{block}>{printed}</math>"


def symbol_mathml(name: str) -> str:
    """A parameter or data name as MathML (``W1_0_2``, ``x0``, ``sigma``)."""
    return mathml(sympy.Symbol(name, real=True))


def derivative_mathml(parameter: str, of: str = "J") -> str:
    """The partial derivative sign ∂J/∂w as MathML."""
    denominator = _Printer()._symbol(parameter).toxml()
    return (
        f"<math><mfrac><mrow><mi>∂</mi><mi>{html.escape(of)}</mi></mrow>"
        f"<mrow><mi>∂</mi>{denominator}</mrow></mfrac></math>"
    )


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_]\w*)|(?P<transpose>\.T\b|')"
    r"|(?P<power>\*\*|\^)|(?P<op>[-+*/@=,<>]|\u2212)|(?P<open>[(\[{])|(?P<close>[)\]}])"
    r"|(?P<other>\S))"
)
_OPERATORS = {"*": "&InvisibleTimes;", "@": "&InvisibleTimes;", "-": "\u2212"}


def linear_mathml(text: str, limit: int = TEXT_LIMIT) -> str:
    """An expression written out token by token as MathML (names, numbers, operators, ``A.T``
    as a transpose, ``x**2`` as a power): for readings SymPy cannot rebuild, such as matrix
    expressions (``X.T @ (X @ w - y)``). Longer than ``limit`` characters: cut off."""
    if len(text) > limit:
        text = text[:limit]
        cut = "<mo>\u2026</mo>"
    else:
        cut = ""
    items: list[str] = []
    stack: list[int] = []
    superscript = False
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group(match.lastgroup)
        item = _token_mathml(kind, value)
        if kind == "open":
            stack.append(len(items))
        if kind == "transpose" and items:
            base = _last_operand(items, stack)
            items[base:] = [f"<msup><mrow>{''.join(items[base:])}</mrow><mi>\u22a4</mi></msup>"]
            continue
        if superscript and items:
            items[-1] = f"<msup>{items[-1]}{item}</msup>"
            superscript = False
            continue
        if kind == "power":
            superscript = True
            continue
        items.append(item)
        if kind == "close" and stack:
            stack.pop()
    return f"<math><mrow>{''.join(items)}{cut}</mrow></math>"


def _token_mathml(kind: str, value: str) -> str:
    if kind == "number":
        return f"<mn>{value}</mn>"
    if kind == "name":
        return (
            _Printer()._symbol(value).toxml()
            if len(value) < 40
            else f"<mi>{html.escape(value)}</mi>"
        )
    if kind == "op":
        return f"<mo>{_OPERATORS.get(value, html.escape(value))}</mo>"
    return f"<mo>{html.escape(value)}</mo>"


def _last_operand(items: list[str], stack: list[int]) -> int:
    """Where the operand just before a transpose starts: its bracket, or its last token."""
    if items[-1] == "<mo>)</mo>":
        depth = 0
        for index in range(len(items) - 1, -1, -1):
            depth += items[index] == "<mo>)</mo>"
            depth -= items[index] == "<mo>(</mo>"
            if depth == 0:
                return index
    return len(items) - 1
