"""Derivations checked line by line.

A derivation is text (one statement per line) or LaTeX (``align`` rows split
by ``\\\\``, with ``&=``). Three kinds of line:

=================  ==========================================================
``J = expr``       defines J (a later ``J = expr`` restates it: a step)
``dJ/dw = expr``   claims a derivative (also ``∂J/∂w``, ``\\frac{\\partial J}{\\partial w}``,
                   ``\\frac{dJ}{dw}``, ``\\nabla_w J``, ``grad_w J``)
``= expr``         a step: must equal the line before it
=================  ==========================================================

A line may chain several ``=``. Every line is judged: a definition is taken
as given; a derivative claim is checked against the true derivative of its
function; a step against its predecessor (so after a wrong line a student
still sees whether the rest follows). A wrong step that is nevertheless the
true derivative says so. With shapes every line is a matrix expression,
decided for every size.

>>> result = check_derivation("J = (w*x - y)^2\\ndJ/dw = 2*(w*x - y)*x\\n= 2*w*x^2 - 2*x*y")
>>> [line.verdict for line in result.lines], result.first_wrong
(['given', 'correct', 'correct'], None)
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from symgrad.errors import (
    BudgetError,
    ProblemError,
    SymgradError,
    UndefinedSymbolError,
    over_length,
)
from symgrad.results import Component, DerivationLine, DerivationResult
from symgrad.runtime.budget import Budget, binds_timeout
from symgrad.teaching.check import check
from symgrad.teaching.matcheck import compare_matrix_expressions
from symgrad.teaching.matrices import ShapeError, parse_shapes, read_matrix
from symgrad.teaching.matrix_text import node_latex
from symgrad.teaching.reading import definition_items, read_definitions, undefined_message
from symgrad.teaching.steps import compare_expressions
from symgrad.text.display import latex, tex_escape
from symgrad.text.parse import normalize_name, read

MAX_LINES = 200
MAX_TEXT = 100_000

_NAME = (
    r"[A-Za-z][A-Za-z0-9_]*|\\(?:mathcal|mathscr|mathrm|hat|bar|tilde)\s*\{\s*\\?[A-Za-z]+\s*\}"
    r"(?:_\{?[A-Za-z0-9]+\}?)?|\\[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?"
    r"|[^\W\d_][\w\u0300-\u036f\u2080-\u2089]*"
)
_DERIVATIVE_FORMS = [
    re.compile(rf"^d\s*(?P<f>{_NAME})\s*/\s*d\s*(?P<w>{_NAME})$"),
    re.compile(rf"^∂\s*(?P<f>{_NAME})\s*/\s*∂\s*(?P<w>{_NAME})$"),
    re.compile(
        rf"^\\[dt]?frac\s*\{{\s*(?:\\partial|\\mathrm\{{d\}}|d|∂)\s*(?P<f>{_NAME})\s*\}}\s*"
        rf"\{{\s*(?:\\partial|\\mathrm\{{d\}}|d|∂)\s*(?P<w>{_NAME})\s*\}}$"
    ),
    re.compile(rf"^\\partial\s*(?P<f>{_NAME})\s*/\s*\\partial\s*(?P<w>{_NAME})$"),
    re.compile(rf"^(?:\\nabla|∇|grad)\s*_\s*\{{?\s*(?P<w>{_NAME})\s*\}}?\s*(?P<f>{_NAME})$"),
    re.compile(rf"^(?P<f>{_NAME})'\s*\(\s*(?P<w>{_NAME})\s*\)$"),
    re.compile(rf"^(?:d|∂)\s*/\s*(?:d|∂)\s*(?P<w>{_NAME})\s*(?P<f>{_NAME})$"),
    re.compile(
        rf"^\\[dt]?frac\s*\{{\s*(?:\\partial|\\mathrm\{{d\}}|d)\s*\}}\s*"
        rf"\{{\s*(?:\\partial|\\mathrm\{{d\}}|d)\s*(?P<w>{_NAME})\s*\}}\s*(?P<f>{_NAME})$"
    ),
]
_DEFINITION = re.compile(rf"^(?P<f>{_NAME})\s*(?:(?:\\left)?\((?P<args>[^()]*?)(?:\\right)?\))?$")
_LET = re.compile(
    r"^(?:(?:let|where|with|define)\s+|\\text\s*\{\s*(?:let|where|with)\s*\}\s*)", re.I
)


@dataclass(frozen=True)
class Statement:
    """One line of the derivation: its kind, the function and parameter, the expression."""

    number: int
    text: str
    kind: str  # "definition", "let", "derivative" or "step"
    expression: str
    function: str = ""
    wrt: str = ""


# ---------------------------------------------------------------- reading
def is_latex(text: str) -> bool:
    """A derivation written in LaTeX (align rows, ``&=``, ``\\frac``, ``\\\\``)."""
    return bool(re.search(r"\\begin\{|&=|\\\\|\\frac|\\partial|\\left|\\cdot", text))


def split_rows(text: str, latex: bool) -> list[tuple[int, str]]:
    """(row number, row text) for every non-empty, non-comment row: the line of the file for
    plain text, the row of the align for LaTeX."""
    if not isinstance(text, str):
        raise ProblemError(f"a derivation is text, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise over_length(ProblemError(f"the derivation is longer than {MAX_TEXT} characters"))
    if latex:
        text = re.sub(
            r"\\(begin|end)\{(align\*?|aligned|equation\*?|gather\*?|split)\}", "\n", text
        )
        text = re.sub(r"\\(nonumber|notag|qquad|quad)\b|\\label\{[^}]*\}", " ", text)
        text = re.sub(r"(?m)%.*$", "", text)
        text = protect_cases(text)
        raw = [part for chunk in text.split("\\\\") for part in chunk.split("\n")]
    else:
        raw = text.split("\n")
    rows = []
    for line, row in enumerate(raw, start=1):
        row = re.sub(r"\s+", " ", row.replace("&", " ")).strip().rstrip(",.;").strip()
        row = restore_cases(row)
        if row.startswith("$") and row.endswith("$"):
            row = row.strip("$").strip()
        if row and not row.startswith(("#", "%", "//")):
            rows.append((line, row))
    if len(rows) > MAX_LINES:
        raise over_length(ProblemError(f"the derivation has more than {MAX_LINES} lines"))
    if latex:
        return [(number, row) for number, (_, row) in enumerate(rows, start=1)]
    return rows


_CASES = re.compile(r"\\begin\{cases\}.*?\\end\{cases\}", re.S)
_KEPT = "\x00"


_AMPERSAND = "\x01"


def protect_cases(text: str) -> str:
    """The ``\\\\``, ``&`` and line breaks inside ``cases`` belong to it, not to the rows."""
    return _CASES.sub(
        lambda m: m.group(0).replace("\\\\", _KEPT).replace("&", _AMPERSAND).replace("\n", " "),
        text,
    )


def restore_cases(text: str) -> str:
    return text.replace(_KEPT, "\\\\").replace(_AMPERSAND, "&")


def _top_level_equals(row: str) -> list[str]:
    """The row split at every '=' outside brackets (not '==', '<=', '>=', '!=')."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(row):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "=" and depth == 0:
            before = row[index - 1] if index else ""
            after = row[index + 1] if index + 1 < len(row) else ""
            if (before and before in "<>!=") or after == "=":
                continue
            parts.append(row[start:index])
            start = index + 1
    parts.append(row[start:])
    return [p.strip() for p in parts]


def _left_side(left: str, latex: bool) -> tuple[str, str, str]:
    """('derivative', f, w), ('definition', f, '') for the text left of the first '='."""
    compact = left.strip()
    for pattern in _DERIVATIVE_FORMS:
        match = pattern.match(compact)
        if match:
            return "derivative", _name(match["f"], latex), _name(match["w"], latex)
    match = _DEFINITION.match(compact)
    if match:
        return "definition", _name(match["f"], latex), ""
    raise ProblemError(
        f"cannot tell what {compact!r} is: write J = ..., dJ/dw = ... or = ... on each line"
    )


def _name(text: str, latex: bool) -> str:
    return normalize_name(text.strip(), latex)


def read_derivation(text: str, latex: bool | None = None) -> tuple[list[Statement], bool]:
    """The statements of a derivation, and whether it was read as LaTeX."""
    latex = is_latex(text) if latex is None else latex
    statements: list[Statement] = []
    for number, row in split_rows(text, latex):
        let = _LET.match(row)
        if let:
            statements.append(_let_statement(number, row, row[let.end() :], latex))
            continue
        parts = _top_level_equals(row)
        if len(parts) == 1:
            raise ProblemError(f"line {number} ({row!r}) has no '='")
        left, rights = parts[0], parts[1:]
        if left:
            kind, function, wrt = _left_side(left, latex)
        else:
            kind, function, wrt = "step", "", ""
        for index, right in enumerate(rights):
            if not right:
                raise ProblemError(f"line {number} ({row!r}) has nothing after an '='")
            this_kind = kind if index == 0 else "step"
            statements.append(Statement(number, row, this_kind, right, function, wrt))
    if not statements:
        raise ProblemError("the derivation is empty")
    return statements, latex


def _let_statement(number: int, row: str, body: str, latex: bool) -> Statement:
    """``let p = sigmoid(z)`` / ``where p = ...``: a name the following lines may use."""
    parts = _top_level_equals(body)
    if len(parts) != 2 or not parts[1]:
        raise ProblemError(f"line {number} ({row!r}): write a definition as 'let p = expression'")
    if not _DEFINITION.match(parts[0]):
        raise ProblemError(f"line {number} ({row!r}): {parts[0]!r} is not a name to define")
    return Statement(number, row, "let", parts[1], _name(parts[0], latex))


def load_derivation(path: str) -> str:
    """The text of a derivation file (``-`` is standard input), size-limited UTF-8.

    Anything that cannot be read (a closed standard input, a file that fails while being
    read) is a ProblemError: one line, exit 2.
    """
    data = _stdin_bytes() if path == "-" else _file_bytes(path)
    if len(data) > MAX_TEXT:
        raise over_length(ProblemError(f"the derivation is longer than {MAX_TEXT} bytes"))
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ProblemError("the derivation is not UTF-8 text") from None


def _stdin_bytes() -> bytes:
    import sys

    stream = sys.stdin
    try:
        if stream is None:
            raise OSError("standard input is closed")
        if hasattr(stream, "buffer"):
            return stream.buffer.read(MAX_TEXT + 1)
        text = stream.read(MAX_TEXT + 1)
        return text.encode() if isinstance(text, str) else bytes(text)
    except (OSError, ValueError, AttributeError) as error:
        reason = getattr(error, "strerror", None) or str(error) or "it is closed"
        raise ProblemError(f"cannot read the derivation from standard input ({reason})") from None


def _file_bytes(path: str) -> bytes:
    import stat

    try:
        info = os.stat(path)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ProblemError(f"cannot read the derivation {path!r}: {reason}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ProblemError(f"the derivation {path!r} is not a regular file")
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_TEXT + 1)
    except OSError as error:
        raise ProblemError(
            f"cannot read the derivation {path!r}: {error.strerror or error}"
        ) from None


# ---------------------------------------------------------------- judging
@dataclass
class _Chain:
    """What a step is compared with: the last expression, and the claim it continues."""

    expression: str = ""
    number: int = 0
    function: str = ""
    wrt: str = ""


@dataclass(frozen=True)
class _Options:
    """What every line is judged under: the question's setting and the output's wishes."""

    shapes: object = None
    functions: tuple[str, ...] = ()
    latex: bool = False
    assume: object = None
    constraints: object = None
    hide: bool = False


@binds_timeout
def check_derivation(
    text: str,
    loss: str | None = None,
    shapes: Sequence[str] | dict | None = None,
    functions: Sequence[str] = (),
    latex_input: bool | None = None,
    timeout: float = 60.0,
    let: object = None,
    assume: Sequence[str] | str | None = None,
    constraints: Sequence[str] | None = None,
    hint: bool = False,
) -> DerivationResult:
    """Judge every line of a derivation; the first wrong line is named.

    ``loss`` defines J when the derivation does not (``J = ...`` as its first line). ``let``
    defines names the lines may use (as ``let p = ...`` lines do); ``assume`` and
    ``constraints`` hold for every line, as in :func:`symgrad.teaching.check.check`; with
    ``hint`` no true derivative (nor its value at a witness) is shown.
    """
    if not isinstance(text, str):
        raise ProblemError(f"a derivation is text, not {type(text).__name__}")
    if loss is not None and not isinstance(loss, str):
        raise ProblemError(f"the loss of a derivation is text, not {type(loss).__name__}")
    budget = Budget(timeout)
    statements, latex = read_derivation(text, latex_input)
    definitions: dict[str, str] = {}
    if loss is not None:
        definitions["J"] = loss
    options = _Options(shapes, tuple(functions), latex, assume, constraints, hint)
    judge = _Judge(definitions, list(definition_items(let)), options, budget)
    lines = []
    chain = _Chain()
    for index, statement in enumerate(statements):
        share = budget.share(1 / (len(statements) - index), floor=0.2)
        line, chain = judge.line(statement, chain, share)
        lines.append(dataclasses.replace(line, tex=judge.tex(statement)))
    if not any(line.kind in ("derivative", "step") or line.verdict != "given" for line in lines):
        raise ProblemError(
            "the derivation claims nothing: after J = ..., add a line such as dJ/dw = ..."
        )
    wrong = [line.number for line in lines if line.verdict == "incorrect"]
    verdicts = {line.verdict for line in lines}
    verdict = "incorrect" if wrong else "unknown" if "unknown" in verdicts else "correct"
    return DerivationResult(
        verdict=verdict,
        lines=tuple(lines),
        first_wrong=wrong[0] if wrong else None,
        latex=latex,
        shapes=_shape_specs(shapes),
        elapsed_s=round(budget.elapsed(), 4),
        definitions=tuple(judge.lets_for(chain.function or "J")),
        hide=hint,
    )


def _on_line(statement: Statement, error: UndefinedSymbolError) -> UndefinedSymbolError:
    """The undefined names of a line, said for a derivation (define them with a let line)."""
    names = list(error.names) or ["a name"]
    message = undefined_message(f"line {statement.number}", names, "derivation")
    return UndefinedSymbolError(message, tuple(names))


def _shape_specs(shapes) -> tuple[str, ...]:
    if not shapes:
        return ()
    if isinstance(shapes, dict):
        return tuple(f"{name}={size}" for name, size in shapes.items())
    return (shapes,) if isinstance(shapes, str) else tuple(str(s) for s in shapes)


class _Judge:
    """Judges the lines in order, keeping the definitions and the chain of steps."""

    def __init__(self, definitions, lets, options: _Options, budget) -> None:
        self.definitions = definitions
        self.lets: list[tuple[str, str]] = lets
        self.options = options
        self.budget = budget
        self._names: dict[str, frozenset[str]] = {}

    def line(self, statement: Statement, chain: _Chain, share: Budget):
        """(the judged line, the chain the next step continues).

        A line that cannot be read leaves the chain as it was: the next step is
        compared with the last line that could be read.
        """
        if statement.kind == "let":
            return self._let(statement), chain
        if statement.kind == "definition" and statement.function not in self.definitions:
            self.definitions[statement.function] = statement.expression
            return self._given(statement), _Chain(
                statement.expression, statement.number, statement.function
            )
        if statement.kind == "definition":
            reference = _Chain(self.definitions[statement.function], 0, statement.function)
            judged = self._step(statement, reference, share)
            following = _Chain(statement.expression, statement.number, statement.function)
        elif statement.kind == "derivative":
            judged = self._derivative(statement, share)
            following = _Chain(
                statement.expression, statement.number, statement.function, statement.wrt
            )
        else:
            if not chain.expression:
                raise ProblemError(f"line {statement.number} starts with '=' but follows nothing")
            judged = self._step(statement, chain, share)
            following = dataclasses.replace(
                chain, expression=statement.expression, number=statement.number
            )
        if judged.codes == ("unreadable",):
            return judged, chain
        return judged, following

    # ------------------------------------------------------------ definitions
    def _let(self, statement: Statement) -> DerivationLine:
        """A ``let``/``where`` line: its right side must read in terms of the known names. A
        name defined before (by the question) may be restated with the same value."""
        earlier = [text for name, text in self.lets if name == statement.function]
        if statement.function in self.definitions or earlier:
            if earlier and self._same(earlier[0], statement.expression):
                return self._given(statement, "restates the definition given with the question")
            raise ProblemError(f"line {statement.number}: {statement.function} is defined twice")
        known = set().union(*(self._written(t) for t in self.definitions.values()))
        read_definitions(
            [*self.lets, (statement.function, statement.expression)],
            known | {n for n, _ in self.lets},
            self.options.functions,
            self.options.latex,
            door="derivation",
            in_loss=known,  # a name the loss uses is part of it: its definition brings symbols
        )
        self.lets.append((statement.function, statement.expression))
        return self._given(statement, "a definition (let) is taken as given")

    def _same(self, first: str, second: str) -> bool:
        """Two definitions of one name that are the same expression (up to normal form)."""
        try:
            a, b = (read(t, self.options.functions, latex=self.options.latex).expr
                    for t in (first, second))  # fmt: skip
        except SymgradError:
            return False
        return a == b or sympy.expand(a - b) == 0

    def _written(self, text: str) -> frozenset[str]:
        """The names a definition's text uses (cached)."""
        if text not in self._names:
            try:
                self._names[text] = read(
                    text, self.options.functions, latex=self.options.latex
                ).names
            except SymgradError:
                self._names[text] = frozenset()
        return self._names[text]

    def lets_for(self, function: str) -> list[tuple[str, str]]:
        """The definitions the lines about ``function`` are read with: the ``let`` lines and
        the definition lines of names that ``function`` uses (directly or through another)."""
        used, queue = set(), [function]
        while queue:
            name = queue.pop()
            for other in self._written(self.definitions.get(name, "")):
                if other in self.definitions and other not in used and other != function:
                    used.add(other)
                    queue.append(other)
        items = [(n, t) for n, t in self.definitions.items() if n in used]
        return [*items, *self.lets]

    def tex(self, statement: Statement) -> str:
        """LaTeX for the line's expression (as written, when the derivation is LaTeX)."""
        if self.options.latex:
            return statement.expression
        try:
            if self.options.shapes:
                node, _ = read_matrix(
                    statement.expression, parse_shapes(self.options.shapes), self.options.functions
                )
                return node_latex(node)
            return latex(read(statement.expression, self.options.functions).expr)
        except SymgradError:
            return r"\text{%s}" % tex_escape(statement.expression)

    def _given(self, statement: Statement, method: str = "") -> DerivationLine:
        return DerivationLine(
            statement.number,
            statement.text,
            statement.kind,
            "given",
            statement.expression,
            method=method or "a definition is taken as given",
            function=statement.function,
        )

    # ------------------------------------------------------------ claims and steps
    def _context(self, function: str, wrt: str = ""):
        from symgrad.teaching.steps import step_context

        return step_context(
            self.definitions[function],
            self.options.functions,
            self.options.latex,
            self.lets_for(function),
            self.options.assume,
            self.options.constraints,
            wrt=wrt,
            name=function,
        )

    def _derivative(self, statement: Statement, share: Budget) -> DerivationLine:
        function = self.definitions.get(statement.function)
        if function is None:
            return self._unreadable(
                statement,
                f"{statement.function} is not defined above (write "
                f"{statement.function} = ... first)",
                "derivative",
            )
        if not self.options.shapes and not self._depends(statement.function, statement.wrt):
            return self._constant(statement, share)
        try:
            result = check(
                function,
                statement.wrt,
                statement.expression,
                assume=self.options.assume,
                functions=self.options.functions,
                latex_input=self.options.latex,
                timeout=share.remaining(),
                hide_answer=self.options.hide,
                constraints=None if self.options.shapes else self.options.constraints,
                shapes=self.options.shapes or None,
                let=None if self.options.shapes else self._claim_lets(statement.function),
            )
        except UndefinedSymbolError as error:
            raise _on_line(statement, error) from None
        except BudgetError as error:
            return self._unreadable(statement, str(error), "derivative")
        except SymgradError as error:
            return self._refused(statement, error, "derivative")
        component = result.components[0] if result.components else None
        return self._from_component(statement, "derivative", component, None)

    def _claim_lets(self, function: str) -> list[tuple[str, str]]:
        """The definitions of a claim about ``function``, with ``function`` itself (``= x*J``)."""
        items = self.lets_for(function)
        text = self.definitions[function]
        if function not in self._written(text) and all(n != function for n, _ in items):
            items = [*items, (function, text)]
        return items

    def _depends(self, function: str, wrt: str) -> bool:
        """``function`` uses ``wrt`` (directly or through a definition it uses)."""
        names = set(self._written(self.definitions[function]))
        for _, text in self.lets_for(function):
            names |= self._written(text)
        return wrt in names

    def _constant(self, statement: Statement, share: Budget) -> DerivationLine:
        """``dJ/dx = ...`` for an x that J does not contain: the derivative is 0."""
        chain = _Chain("0", 0, statement.function, statement.wrt)
        line = self._step(statement, chain, share)
        if line.codes == ("unreadable",):
            return line
        return dataclasses.replace(
            line,
            kind="derivative",
            compared_with=None,
            method=f"{statement.wrt} does not occur in {statement.function}, so "
            f"d{statement.function}/d{statement.wrt} = 0"
            + (f" ({line.method})" if line.method else ""),
        )

    def _step(self, statement: Statement, chain: _Chain, share: Budget) -> DerivationLine:
        try:
            component = self._compare(chain, statement, share)
        except UndefinedSymbolError as error:
            raise _on_line(statement, error) from None
        except BudgetError as error:
            return self._unreadable(statement, str(error), "step")
        except SymgradError as error:
            return self._refused(statement, error, "step", chain.number or None)
        line = self._from_component(statement, "step", component, chain.number or None)
        if chain.number and chain.number < statement.number - 1:
            skipped = "line" if chain.number == statement.number - 2 else "lines"
            line = dataclasses.replace(
                line,
                note=(
                    f"compared with line {chain.number}: the {skipped} in between cannot be read"
                ),
            )
        if line.verdict == "incorrect" and chain.wrt and chain.function in self.definitions:
            line = self._against_the_derivative(line, statement, chain, share)
        return line

    def _compare(self, chain: _Chain, statement: Statement, share: Budget) -> Component:
        options = self.options
        if options.shapes:
            return compare_matrix_expressions(
                chain.expression,
                statement.expression,
                options.shapes,
                options.functions,
                options.latex,
                timeout=share.remaining() * 0.7,
            )
        context = (
            self._context(chain.function, chain.wrt) if chain.function in self.definitions else None
        )
        return compare_expressions(
            chain.expression,
            statement.expression,
            options.functions,
            options.latex,
            timeout=share.remaining() * 0.7,
            context=context,
        )

    def _against_the_derivative(self, line, statement, chain, share) -> DerivationLine:
        """A wrong step may still be the true derivative (a slip that the next line undid)."""
        if not self._depends(chain.function, chain.wrt) and not self.options.shapes:
            return line
        try:
            result = check(
                self.definitions[chain.function],
                chain.wrt,
                statement.expression,
                assume=self.options.assume,
                functions=self.options.functions,
                latex_input=self.options.latex,
                timeout=max(share.remaining(), 0.2),
                constraints=None if self.options.shapes else self.options.constraints,
                shapes=self.options.shapes or None,
                let=None if self.options.shapes else self._claim_lets(chain.function),
            )
        except SymgradError:
            return line
        if result.verdict == "correct":
            note = (
                f"it does not follow from the line before, but it is the true derivative "
                f"d{chain.function}/d{chain.wrt}"
            )
            return dataclasses.replace(line, note=note)
        return line

    def _from_component(self, statement, kind, component: Component | None, against):
        if component is None:
            return self._unreadable(statement, "nothing was judged", kind)
        note = ""
        if component.verdict == "correct" and component.exceptional is not None:
            there = (
                f" ({component.exceptional.convention})" if component.exceptional.convention else ""
            )
            note = (
                f"correct almost everywhere: not on {component.exceptional.zero_set}, where "
                f"{statement.function or 'the loss'} is not differentiable{there}"
            )
        return DerivationLine(
            statement.number,
            statement.text,
            kind,
            component.verdict,
            statement.expression,
            method=component.method,
            witness=component.witness,
            diagnosis=component.diagnosis,
            codes=component.codes,
            reason=component.reason,
            compared_with=against,
            function=statement.function,
            wrt=statement.wrt,
            note=note,
        )

    def _refused(self, statement, error: SymgradError, kind, against=None) -> DerivationLine:
        """A line whose shapes do not fit is wrong as written; one that cannot be read is
        undecided (as a single claim that cannot be read is refused, never marked wrong)."""
        message = error.one_line()
        if isinstance(error, ShapeError):
            return DerivationLine(
                statement.number,
                statement.text,
                kind,
                "incorrect",
                statement.expression,
                method="reading the line",
                diagnosis=(f"the line cannot be read: {message}",),
                codes=("unreadable",),
                function=statement.function,
                wrt=statement.wrt,
                compared_with=against,
            )
        return DerivationLine(
            statement.number,
            statement.text,
            kind,
            "unknown",
            statement.expression,
            reason=f"the line cannot be read: {message}",
            codes=("unreadable",),
            function=statement.function,
            wrt=statement.wrt,
            compared_with=against,
        )

    def _unreadable(self, statement, reason: str, kind) -> DerivationLine:
        return DerivationLine(
            statement.number,
            statement.text,
            kind,
            "unknown",
            statement.expression,
            reason=reason,
            function=statement.function,
            wrt=statement.wrt,
        )


__all__ = ["check_derivation", "is_latex", "load_derivation", "read_derivation", "split_rows"]
