"""How an answer is read against its question: one path for ``check``, derivations and ``grade``.

A claim is read knowing the loss's names, the parameters and the names that definitions
introduce (``--let "p = sigmoid(w*x + b)"``, a ``let p = ...`` or ``where p = ...`` line of a
derivation, a ``let`` table in a grade key). A defined name is substituted before anything is
compared, so ``(p - y)*x`` is judged as ``(sigmoid(w*x + b) - y)*x``; the definitions are
shown in the "Understood:" line. A name that is still unknown after the readings of
:mod:`symgrad.text.names` (``wx`` is w*x, ``w_0`` is w0) makes the claim not gradable as
written: :class:`~symgrad.errors.UndefinedSymbolError`, never a verdict.

>>> let = read_definitions(["p = sigmoid(w*x)"], {"w", "x", "y"})
>>> let.texts
('p = sigmoid(w*x)',)
>>> read_claim("(p - y)*x", {"w", "x", "y"}, let).expr
x*(-y + sigmoid(w*x))
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sympy

from symgrad.errors import ParseError, ProblemError, UndefinedSymbolError
from symgrad.exact.printing import to_str
from symgrad.text.parse import Parsed, check_name, normalize_name, read
from symgrad.ties.problem import wrt_names

_DEFINITION = re.compile(
    r"^\s*(?:let|where|with|and)?\s*(?P<name>[^=:<>!]+?)\s*:?=(?!=)(?P<body>.*)$", re.S
)
MAX_DEFINITIONS = 50

#: how the user defines a name, per door (the message says what to type)
HOW_TO_DEFINE = {
    "check": '--let "{name} = ..."',
    "derivation": 'a line "let {name} = ..."',
    "grade": "a let table in the key",
}


@dataclass(frozen=True)
class Definitions:
    """Named intermediate expressions, in terms of the loss's symbols, in the order given."""

    exprs: Mapping[str, sympy.Expr] = dataclasses.field(default_factory=dict)
    texts: tuple[str, ...] = ()
    domain: tuple = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.exprs)

    def substitute(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` with every defined name replaced by its definition."""
        mapping = {
            s: self.exprs[s.name]
            for s in expr.free_symbols
            if isinstance(s, sympy.Symbol) and s.name in self.exprs
        }
        return expr.xreplace(mapping) if mapping else expr

    def __bool__(self) -> bool:
        return bool(self.exprs)


def definition_items(let: object) -> list[tuple[str, str]]:
    """(name as written, right side) for each definition: a text ``"p = ..."``, a list of them,
    or a mapping ``{"p": "..."}``."""
    if let is None:
        return []
    if isinstance(let, str):
        entries: list = [let]
    elif isinstance(let, Mapping):
        entries = [(k, v) for k, v in let.items()]
    elif isinstance(let, (list, tuple)):
        entries = list(let)
    else:
        raise ProblemError(
            f"let must be text, a list of texts or a mapping, not {type(let).__name__}"
        )
    if len(entries) > MAX_DEFINITIONS:
        raise ProblemError(f"more than {MAX_DEFINITIONS} definitions")
    items = []
    for entry in entries:
        if isinstance(entry, tuple) and len(entry) == 2:
            name, body = entry
            if not isinstance(name, str) or not isinstance(body, str):
                raise ProblemError("a definition maps a name to an expression (text)")
            items.append((name, body))
            continue
        if not isinstance(entry, str):
            raise ProblemError(
                f"a definition must be text such as 'p = ...', not {type(entry).__name__}"
            )
        match = _DEFINITION.match(entry)
        if not match or not match["body"].strip():
            raise ProblemError(
                f"cannot read the definition {entry!r}: write it as 'p = expression'"
            )
        items.append((match["name"], match["body"]))
    return items


def read_definitions(
    let: object,
    known: Iterable[str],
    functions: Sequence[str] = (),
    latex: bool = False,
    protected: Iterable[str] = (),
    door: str = "check",
    in_loss: Iterable[str] = (),
) -> Definitions:
    """Read the definitions; each may use the known names and the names defined before it.

    ``protected`` names (the parameters) cannot be defined. A definition of a name the loss
    uses (``in_loss``) is part of the loss and may bring new symbols (``p = sigmoid(w*x)`` for
    the loss ``(p - y)^2``); any other is read like a claim, so an unknown name in it is an
    UndefinedSymbolError.
    """
    known = set(known)
    protected, in_loss = set(protected), set(in_loss)
    exprs: dict[str, sympy.Expr] = {}
    texts: list[str] = []
    domain: list = []
    for written, body in definition_items(let):
        name = _definition_name(written, latex)
        if name in protected:
            raise ProblemError(f"{name} is a parameter: a definition cannot redefine it")
        if name in exprs:
            raise ProblemError(f"{name} is defined twice")
        what = f"the definition of {name}"
        if name in in_loss:
            parsed = with_definitions(
                _read_part_of_loss(body, known | set(exprs), functions, latex, what),
                Definitions(exprs),
            )
            known |= parsed.names - set(exprs)
        else:
            parsed = read_claim(body, known, Definitions(exprs), functions, latex, what=what,
                                door=door)  # fmt: skip
        exprs[name] = parsed.expr
        domain.extend(parsed.domain)
        texts.append(f"{name} = {to_str(parsed.expr)}")
    return Definitions(exprs, tuple(texts), tuple(dict.fromkeys(domain)))


def _in_context(error: ParseError, what: str) -> ParseError:
    """``error`` with what was being read in front (its kind of limit kept)."""
    placed = ParseError(f"{what}: {error.message}", error.text, error.position)
    placed.limit = error.limit
    return placed


def _read_part_of_loss(body: str, known: set[str], functions, latex: bool, what: str) -> Parsed:
    try:
        parsed = read(body, functions, symbols=known, latex=latex)
    except ParseError as error:
        raise _in_context(error, what) from None
    if not isinstance(parsed.expr, sympy.Expr):
        raise ProblemError(f"{what} must be an expression, not a condition")
    return parsed


def _definition_name(written: str, latex: bool) -> str:
    try:
        name = normalize_name(written, latex or "\\" in written)
        return check_name(name, "defined name")
    except ParseError as error:
        raise ProblemError(f"cannot define {written.strip()!r}: {error.message}") from None


def read_claim(
    text: str,
    known: Iterable[str],
    definitions: Definitions | None = None,
    functions: Sequence[str] = (),
    latex: bool = False,
    e_is_symbol: bool = False,
    what: str = "the claim",
    door: str = "check",
) -> Parsed:
    """The claim read against the known and the defined names, definitions substituted.

    A name that is neither known nor defined (after the readings of :mod:`symgrad.text.names`)
    is an :class:`~symgrad.errors.UndefinedSymbolError` naming it and saying how to define it.
    """
    return with_definitions(
        read_written(text, known, definitions, functions, latex, e_is_symbol, what, door),
        definitions or Definitions(),
    )


def read_written(
    text: str,
    known: Iterable[str],
    definitions: Definitions | None = None,
    functions: Sequence[str] = (),
    latex: bool = False,
    e_is_symbol: bool = False,
    what: str = "the claim",
    door: str = "check",
) -> Parsed:
    """The claim as written (defined names kept), every name known or defined."""
    known = set(known) | set((definitions or Definitions()).names)
    text = _TRAILING.sub("", text) or text
    try:
        parsed = read(
            text, functions, symbols=known, e_is_symbol=e_is_symbol, latex=latex,
            resolve_names=True,
        )  # fmt: skip
    except ParseError as error:
        parsed = None if latex else _as_latex(text, functions, known, e_is_symbol, error)
        if parsed is None:
            raise _in_context(error, what) from None
    undefined = sorted(parsed.names - known)
    if undefined:
        raise UndefinedSymbolError(undefined_message(what, undefined, door), tuple(undefined))
    if not isinstance(parsed.expr, sympy.Expr):
        raise ProblemError(f"{what} must be an expression, not a condition")
    return parsed


_TRAILING = re.compile(r"(?<!\d)[.;,]\s*$|\s+$")
_LATEX_SIGNS = re.compile(r"\\[A-Za-z]+|^\s*\$.*\$\s*$", re.S)


def _as_latex(text: str, functions, known, e_is_symbol: bool, error: ParseError) -> Parsed | None:
    """Plain text that is LaTeX after all (``$...$``, ``\\frac``): read as LaTeX, with a
    note; None when it does not look like LaTeX or does not read as LaTeX either."""
    if not _LATEX_SIGNS.search(text):
        return None
    try:
        parsed = read(text, functions, symbols=known, e_is_symbol=e_is_symbol, latex=True,
                      resolve_names=True)  # fmt: skip
    except ParseError:
        return None
    return dataclasses.replace(parsed, notes=("read as LaTeX (it has $...$ or \\commands)",
                                              *parsed.notes))  # fmt: skip


def with_definitions(parsed: Parsed, definitions: Definitions) -> Parsed:
    """``parsed`` with the defined names it uses substituted (and their domain added)."""
    if not (parsed.names & definitions.names):
        return parsed
    own = tuple(dataclasses.replace(c, expr=definitions.substitute(c.expr)) for c in parsed.domain)
    return dataclasses.replace(
        parsed,
        expr=definitions.substitute(parsed.expr),
        domain=tuple(dict.fromkeys((*own, *definitions.domain))),
    )


def undefined_message(what: str, names: Sequence[str], door: str = "check") -> str:
    """One line: which names are undefined and how to define them."""
    listed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    them = "them" if len(names) > 1 else "it"
    how = HOW_TO_DEFINE.get(door, HOW_TO_DEFINE["check"]).format(name=names[0])
    return (
        f"{what} uses {listed}, which the loss does not contain: define {them} with {how} "
        f"or write {them} out"
    )


# ---------------------------------------------------------------- a claim against its loss
_PREFIX_TEXT = re.compile(
    r"^\s*(?:d|\u2202)\s*([A-Za-z]\w*)?\s*/\s*(?:d|\u2202)\s*([A-Za-z\u0370-\u03ff]\w*)\s*=(?!=)"
)
#: J'(w) =, L'(w) =, ∇_w J =, grad_w J =
_PREFIX_PRIME = re.compile(
    r"^\s*(?:[A-Za-z]\w*'\s*\(\s*([A-Za-z\u0370-\u03ff]\w*)\s*\)"
    r"|(?:\u2207|grad|nabla)_?\{?([A-Za-z\u0370-\u03ff]\w*)\}?\s*[A-Za-z]?\w*)\s*=(?!=)"
)
_PREFIX_LATEX = re.compile(
    r"^\s*\\[dt]?frac\s*\{\s*(?:\\partial|d|\\mathrm\{d\})\s*([^{}]*?|\\mathcal\{\w\})\s*\}\s*"
    r"\{\s*(?:\\partial|d|\\mathrm\{d\})\s*([^{}]*?)\s*\}\s*([^=]*?)=(?!=)"
)
_PREFIX_NABLA = re.compile(r"^\s*\\nabla_\s*\{?\s*([^{}\s]+)\s*\}?\s*[A-Za-z]*\s*(\([^)]*\))?\s*=")
_LOSS_PREFIX = re.compile(
    r"^\s*(?:J|L|\\mathcal\{L\}|\\ell|loss|\\mathcal\{J\})\s*(\([^)=]*\))?\s*=(?!=)"
)


def strip_claim_prefix(text: str, wrt: str, latex: bool) -> tuple[str, str | None]:
    """``dJ/dw = ...`` or ``\\frac{\\partial J}{\\partial w} = ...`` -> (the right side, a note)."""
    for pattern in (_PREFIX_LATEX, _PREFIX_NABLA) if latex else (_PREFIX_TEXT, _PREFIX_PRIME):
        match = pattern.match(text)
        if not match:
            continue
        if pattern is _PREFIX_PRIME:
            variable = match.group(1) or match.group(2)
        else:
            variable = match.group(2) if pattern is not _PREFIX_NABLA else match.group(1)
        name = normalize_name(variable.strip(), latex) if variable else None
        if name and name != wrt:
            raise ProblemError(
                f"the claim is a derivative with respect to {name}, but --wrt is {wrt}: "
                "give the right-hand side only, or the matching --wrt"
            )
        return text[match.end() :], None
    return text, None


def strip_loss_prefix(text: str) -> tuple[str, str | None]:
    """``J = ...``, ``L(w) = ...``, ``\\mathcal{L} = ...`` -> (the right side, None)."""
    match = _LOSS_PREFIX.match(text)
    if match:
        return text[match.end() :], None
    return text, None


@dataclass
class Reading:
    """A loss and its claims as read: the claims with definitions substituted, and as written."""

    loss: Parsed
    claims: list[Parsed]
    wrt: list[sympy.Symbol]
    notes: list[str]
    written: list[sympy.Expr] = dataclasses.field(default_factory=list)
    definitions: Definitions = dataclasses.field(default_factory=Definitions)


def _claim_texts(claim: object, count: int) -> list[str]:
    if isinstance(claim, str):
        texts = [claim]
    elif isinstance(claim, (list, tuple)):
        texts = list(claim)
    else:
        raise ProblemError(f"claim must be text or a list of texts, not {type(claim).__name__}")
    if len(texts) == 1 and count > 1 and isinstance(texts[0], str) and ";" in texts[0]:
        texts = texts[0].split(";")
    if len(texts) != count:
        raise ProblemError(
            f"{count} parameter(s) in --wrt but {len(texts)} --claim(s): give one "
            "claim per parameter, in the same order"
        )
    for text in texts:
        if not isinstance(text, str):
            raise ProblemError(f"a claim must be text, not {type(text).__name__}")
    return texts


def read_loss(loss: object, functions: Sequence[str], latex: bool, e_is_symbol: bool) -> Parsed:
    """The loss: text (a leading ``J =`` is allowed) or a SymPy expression."""

    if isinstance(loss, str):
        text, _ = strip_loss_prefix(loss)
        parsed = read(text, functions, e_is_symbol=e_is_symbol, latex=latex)
    elif isinstance(loss, sympy.Expr):
        parsed = Parsed.of_sympy(loss)
    else:
        raise ProblemError(
            f"the loss must be text or a SymPy expression, not {type(loss).__name__}"
        )
    if not isinstance(parsed.expr, sympy.Expr):
        raise ProblemError("the loss must be an expression, not a condition")
    return parsed


def _defined_loss(parsed: Parsed, definitions: Definitions) -> Parsed:
    """The loss with the defined names it uses substituted (``(p - y)^2`` with p defined)."""
    if not definitions or not (parsed.names & definitions.names):
        return parsed
    used = {n for n in parsed.names if n in definitions.names}
    names = (parsed.names - definitions.names).union(
        s.name for n in used for s in definitions.exprs[n].free_symbols
    )
    return dataclasses.replace(with_definitions(parsed, definitions), names=frozenset(names))


def read_context(
    loss: object,
    names: Sequence[str],
    functions: Sequence[str] = (),
    latex: bool = False,
    let: object = None,
    door: str = "check",
) -> tuple[Parsed, Definitions, frozenset[str]]:
    """(the loss with the defined names it uses substituted, the definitions, the names a
    claim may use): what every claim and every line about this loss is read against."""
    parsed_loss = read_loss(loss, functions, latex, "e" in names)
    defined = {_definition_name(name, latex) for name, _ in definition_items(let)}
    definitions = read_definitions(
        let, (set(parsed_loss.names) - defined) | set(names), functions, latex, names, door,
        in_loss=defined & set(parsed_loss.names),
    )  # fmt: skip
    parsed_loss = _defined_loss(parsed_loss, definitions)
    return parsed_loss, definitions, frozenset(parsed_loss.names) | frozenset(names)


_J = re.compile(r"(?<![\\\w])J(?![\w'])")


def _with_the_loss(let: object, loss: object, latex: bool, claims: Sequence[str]) -> list:
    """The definitions, and J for the loss itself when a claim uses J (``dJ/dw = x J`` reads
    J as the loss, as a derivation does) and neither the loss nor a definition names J."""
    items = definition_items(let)
    if not isinstance(loss, str) or any(_definition_name(n, latex) == "J" for n, _ in items):
        return items
    text, _ = strip_loss_prefix(loss)
    if _uses_j(text, latex) or not any(_uses_j(_claim_body(c, latex), latex) for c in claims):
        return items
    return [*items, ("J", text)]


def _uses_j(text: str, latex: bool) -> bool:
    """The text names J (in LaTeX, letters side by side are separate names: ``xJ``)."""
    if latex:
        return "J" in re.sub(r"\\[A-Za-z]+", " ", text)
    return bool(_J.search(text))


def _claim_body(text: str, latex: bool) -> str:
    """The claim without a leading ``dJ/dw =`` (whose J is not the claim's)."""
    for pattern in (_PREFIX_LATEX, _PREFIX_NABLA) if latex else (_PREFIX_TEXT, _PREFIX_PRIME):
        match = pattern.match(text)
        if match:
            return text[match.end() :]
    return text


def read_problem(
    loss: object,
    wrt: object,
    claim: object,
    functions: Sequence[str] = (),
    latex: bool = False,
    let: object = None,
    door: str = "check",
) -> Reading:
    """Loss, definitions and claims read on one path (check, derivations and grade alike)."""
    from symgrad.ties.problem import named_parameters

    names = wrt_names(wrt, latex)
    texts = _claim_texts(claim, len(names))
    parsed_loss, definitions, known = read_context(
        loss, names, functions, latex, _with_the_loss(let, loss, latex, texts), door
    )
    notes = list(parsed_loss.notes)
    present = {s.name: s for s in parsed_loss.symbols}
    params = named_parameters(names, present, parsed_loss.names)
    notes += [
        f"{p} cancels out of the loss: its derivative is 0" for p in params if p.name not in present
    ]
    claims, written = [], []
    for text, name in zip(texts, names):
        body, _ = strip_claim_prefix(text, name, latex)
        what = f"the claim for dJ/d{name}"
        parsed = read_written(body, known, definitions, functions, latex, "e" in names, what, door)
        written.append(parsed.expr)
        claims.append(with_definitions(parsed, definitions))
        notes += [n for n in parsed.notes if n not in notes]
    return Reading(parsed_loss, claims, params, list(dict.fromkeys(notes)), written, definitions)


__all__ = [
    "Definitions",
    "Reading",
    "read_context",
    "read_loss",
    "read_problem",
    "strip_claim_prefix",
    "strip_loss_prefix",
    "wrt_names",
    "HOW_TO_DEFINE",
    "definition_items",
    "read_claim",
    "read_written",
    "with_definitions",
    "read_definitions",
    "undefined_message",
]
