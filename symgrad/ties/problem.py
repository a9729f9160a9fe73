"""Problem: a loss, its parameters and data, the tie, an init, assumptions and a dataset.

Symbols named as parameters (explicitly, by a tie or by an init) are
parameters; every other free symbol of the loss is data, universally
quantified. The tied subspace is T = {θ : θi = θj for i, j in one group}.
An init fixes some parameters; :attr:`Problem.start` is the point of T it
describes (parameters without a value stay free, tied to their group).

>>> problem = Problem.build("w0*x0 + w1*x1", ties=["w0=w1"])
>>> problem.parameters, problem.data, problem.ties
((w0, w1), (x0, x1), ((w0, w1),))
>>> problem.tie_map
{w1: w0}
>>> Problem.build("(w0 - w1)**2*x + b*z", params="w0,w1,b", init="w0=1,w1=1").start
{b: b, w0: 1, w1: 1}
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from symgrad.errors import DatasetError, ParseError, ProblemError, TieError
from symgrad.exact.domain import Constraint, domain_of_graph
from symgrad.exact.graph import ExprGraph, LossField, graph_of
from symgrad.runtime.budget import tick
from symgrad.text.parse import (
    Parsed,
    check_name,
    normalize_name,
    parse_expression,
    parse_relation,
    read,
    real_symbol,
)
from symgrad.text.suggest import did_you_mean
from symgrad.ties.dataset import exact_number

MODES = ("sgd", "full-batch")
INIT_PRESETS = ("zero", "constant")
SIGNS = {">": "positive", ">=": "nonnegative", "<": "negative", "<=": "nonpositive"}
FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
SIGN_TEXT = {"positive": "> 0", "nonnegative": ">= 0", "negative": "< 0", "nonpositive": "<= 0"}


def natural_key(symbol: sympy.Basic) -> tuple:
    """Sort key that puts w2 before w10."""
    parts = re.split(r"(\d+)", str(symbol))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def sort_symbols(symbols: Iterable[sympy.Symbol]) -> tuple[sympy.Symbol, ...]:
    return tuple(sorted(set(symbols), key=natural_key))


def quote(text: object, limit: int = 80) -> str:
    """User input quoted for an error message, cut to about ``limit`` characters."""
    shown = str(text)
    if len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return repr(shown)


@dataclass(frozen=True)
class Assumptions:
    """Conditions on the data: equations, sign conditions and other relations."""

    equations: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    signs: Mapping[sympy.Symbol, str] = field(default_factory=dict)
    relations: tuple[sympy.Basic, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.equations or self.signs or self.relations)

    def texts(self) -> list[str]:
        from symgrad.exact.printing import to_str

        return (
            [f"{to_str(a)} = {to_str(b)}" for a, b in self.equations]
            + [f"{s} {SIGN_TEXT[sign]}" for s, sign in self.signs.items()]
            + [to_str(r) for r in self.relations]
        )

    def booleans(self) -> list[sympy.Basic]:
        """Every assumption as a SymPy relation."""
        ops = {"positive": sympy.Gt, "nonnegative": sympy.Ge, "negative": sympy.Lt}
        ops["nonpositive"] = sympy.Le
        return (
            [sympy.Eq(a, b, evaluate=False) for a, b in self.equations]
            + [ops[sign](s, 0) for s, sign in self.signs.items()]
            + list(self.relations)
        )


@dataclass(frozen=True)
class Problem:
    """A tie question, validated on construction by :meth:`build`.

    The loss is held as an :class:`~symgrad.exact.graph.ExprGraph` (:attr:`graph`),
    made once; ``loss`` reads it as SymPy (a preset's loss is written out in SymPy
    only when a stage asks for it).
    """

    loss: sympy.Expr = LossField()
    parameters: tuple[sympy.Symbol, ...]
    data: tuple[sympy.Symbol, ...]
    ties: tuple[tuple[sympy.Symbol, ...], ...]
    init: Mapping[sympy.Symbol, sympy.Expr] | None = None
    assumptions: Assumptions = field(default_factory=Assumptions)
    dataset: tuple[Mapping[sympy.Symbol, sympy.Rational], ...] | None = None
    mode: str = "sgd"
    functions: tuple[str, ...] = ()
    symmetries: tuple[Mapping[sympy.Symbol, sympy.Symbol], ...] = ()
    source: str = ""
    domain: tuple[Constraint, ...] = ()
    names: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        loss: str | sympy.Expr | Parsed,
        ties: Sequence[str | Sequence[str | sympy.Symbol]] | None = None,
        params: Sequence[str | sympy.Symbol] | str | None = None,
        init: str | Mapping[str | sympy.Symbol, object] | None = None,
        assume: Sequence[str] | str | None = None,
        dataset: Sequence[Mapping[str | sympy.Symbol, object]] | None = None,
        mode: str = "sgd",
        functions: Sequence[str] = (),
        symmetries: Sequence[Mapping[sympy.Symbol, sympy.Symbol]] = (),
        parameter_order: Sequence[sympy.Symbol] | None = None,
        latex: bool = False,
    ) -> Problem:
        """Validate and assemble a problem from text or SymPy objects."""
        functions = _names_list(functions, "functions")
        parsed, graph, source = _parsed_loss(loss, functions, params, ties, latex)
        loss_symbols = graph.symbols()
        if not loss_symbols or not issubclass(graph.heads[graph.root] or sympy.Expr, sympy.Expr):
            raise ProblemError(f"the loss {quote(source)} has no symbols: nothing to train")
        present = {s.name: s for s in loss_symbols}
        written = set(parsed.names) | set(present)
        if mode not in MODES:
            raise ProblemError(f"mode={quote(mode)} is not one of {', '.join(MODES)}")

        named = _parameter_names(params, present, written, latex)
        tie_groups = _tie_groups(ties, present, written, latex)
        init_map, init_preset = _init_values(init, present, written, latex)
        parameters = set(named) | {p for g in tie_groups for p in g} | set(init_map)
        cancelled = sort_symbols(p for p in parameters if p not in loss_symbols)
        if init_preset is not None:
            init_map = _preset_init(init_preset, parameters, init_map, loss_symbols)
        if not parameters:
            raise ProblemError("no parameters: name them with a tie (w0=w1), params or an init")
        ordered = _order(parameters, parameter_order)
        data = sort_symbols(loss_symbols - parameters)
        _check_init_symbols(init_map, loss_symbols)
        final_ties = _final_ties(tie_groups, init_map, ordered)
        assumptions = _assumptions(assume, present, set(ordered), functions, written)
        domain = _domain(parsed, graph)
        rows = _dataset(dataset, data) if dataset is not None else None
        if rows is not None:
            _check_rows(rows, assumptions, domain, set(ordered))
        return cls(
            loss=graph,
            parameters=ordered,
            data=data,
            ties=final_ties,
            init={p: init_map[p] for p in ordered if p in init_map} if init_map else None,
            assumptions=assumptions,
            dataset=rows,
            mode=mode,
            functions=functions,
            symmetries=tuple(symmetries),
            source=source,
            domain=domain,
            names=frozenset(written),
            notes=parsed.notes
            + tuple(f"{p} cancels out of the loss: its gradient is 0" for p in cancelled),
        )

    # ------------------------------------------------------------ derived
    @property
    def graph(self) -> ExprGraph:
        """The loss as a hash-consed expression graph: its symbols, functions and canonical
        numbering, computed once."""
        return graph_of(self)

    @functools.cached_property
    def position(self) -> dict[sympy.Symbol, int]:
        """Index of each parameter in ``parameters``."""
        return {p: i for i, p in enumerate(self.parameters)}

    @property
    def tie_map(self) -> dict[sympy.Symbol, sympy.Symbol]:
        """Each tied parameter -> the first parameter of its group (a point of T)."""
        return {p: group[0] for group in self.ties for p in group[1:]}

    @functools.cached_property
    def tied_pairs(self) -> tuple[tuple[sympy.Symbol, sympy.Symbol], ...]:
        """(first, other) for every other member of each tie group."""
        return tuple((group[0], p) for group in self.ties for p in group[1:])

    @property
    def tied(self) -> list[sympy.Symbol]:
        """Every parameter in some tie group, in parameter order."""
        members = {p for group in self.ties for p in group}
        return [p for p in self.parameters if p in members]

    @functools.cached_property
    def start(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The init as a point of T: every parameter -> its value, its group's, or itself.

        A group with an init value anywhere takes that value for all members;
        a parameter with no value in a group without one is its group's first
        parameter; a free singleton stays itself (universally quantified).
        """
        init = self.init or {}
        point: dict[sympy.Symbol, sympy.Expr] = {}
        for group in self.partition():
            values = [init[p] for p in group if p in init]
            value = values[0] if values else group[0]
            for p in group:
                point[p] = value
        return {p: point[p] for p in self.parameters}

    @property
    def init_symbols(self) -> tuple[sympy.Symbol, ...]:
        if not self.init:
            return ()
        return sort_symbols(s for v in self.init.values() for s in v.free_symbols)

    @property
    def init_is_numeric(self) -> bool:
        return (
            bool(self.init)
            and len(self.init) == len(self.parameters)
            and not any(v.free_symbols for v in self.init.values())
        )

    @property
    def equations(self) -> tuple[tuple[sympy.Expr, sympy.Expr], ...]:
        return self.assumptions.equations

    @property
    def signs(self) -> Mapping[sympy.Symbol, str]:
        return self.assumptions.signs

    def partition(self) -> list[tuple[sympy.Symbol, ...]]:
        """Tie groups plus singletons: the partition of all parameters that defines T."""
        tied = {p for group in self.ties for p in group}
        return [*self.ties, *((p,) for p in self.parameters if p not in tied)]

    def describe_tie(self) -> str:
        return ", ".join(_group_text(g) for g in self.ties)


# ---------------------------------------------------------------- building steps
def _names_list(values: object, what: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise ProblemError(f"{what} must be a list of names, not {type(values).__name__}")
    names = []
    for value in values:
        if not isinstance(value, str):
            raise ProblemError(f"{what} must be names (text), got {type(value).__name__}")
        names.append(check_name(value.strip(), "function"))
    return tuple(names)


def _mentions_e(*items: object) -> bool:
    for item in items:
        if item is None:
            continue
        text = item if isinstance(item, str) else " ".join(map(str, _flatten(item)))
        if re.search(r"(?<![A-Za-z0-9_])e(?![A-Za-z0-9_])", text):
            return True
    return False


def _flatten(item: object) -> list:
    if isinstance(item, (list, tuple, set, frozenset)):
        return [x for sub in item for x in _flatten(sub)]
    return [item]


def _parsed_loss(loss, functions, params, ties, latex) -> tuple[Parsed, ExprGraph, str]:
    """The reading of the loss, its graph (made once here) and the text it came from."""
    if isinstance(loss, Parsed):
        return loss, ExprGraph.from_sympy(loss.expr), ""
    if isinstance(loss, str):
        parsed = read(loss, functions, e_is_symbol=_mentions_e(params, ties), latex=latex)
        return parsed, ExprGraph.from_sympy(parsed.expr), loss
    if isinstance(loss, sympy.Expr):
        loss = ExprGraph.from_sympy(loss)
    if isinstance(loss, ExprGraph):
        graph = _check_functions(loss, functions)
        return Parsed(None, frozenset(s.name for s in graph.symbols())), graph, ""
    raise ProblemError(f"the loss must be text or a SymPy expression, not {type(loss).__name__}")


def _check_functions(graph: ExprGraph, functions: Sequence[str]) -> ExprGraph:
    """A SymPy loss may apply an undefined function only if it is declared; it is made
    the real function the parser would make of that name."""
    from sympy.core.function import AppliedUndef

    real = {}
    for number in graph.nodes_with((AppliedUndef,)):
        head = graph.heads[number]
        name = head.__name__
        if name not in functions:
            raise ProblemError(
                f"the loss applies the undefined function {name}: declare it with "
                f"functions=[{name!r}] (--function {name})"
            )
        if len(graph.children[number]) != 1:
            raise ProblemError(f"the declared function {name} takes one argument")
        if head != sympy.Function(name, real=True):
            applied = graph.to_sympy(number)
            real[applied] = sympy.Function(name, real=True)(*applied.args)
    forbidden = {sympy.I, sympy.zoo, sympy.nan, sympy.oo}
    if any(graph.atoms[i] in forbidden for i in graph.leaves) or graph.nodes_with(
        (sympy.Integral, sympy.Derivative)
    ):
        raise ProblemError("the loss must be a real expression without I, oo, nan or integrals")
    if not real:
        return graph
    return ExprGraph.from_sympy(graph.to_sympy().xreplace(real))


def _known_symbol(
    name: str | sympy.Symbol,
    present: Mapping[str, sympy.Symbol],
    what: str,
    written: set[str] | None = None,
    latex: bool = False,
) -> sympy.Symbol | None:
    """The loss symbol named ``name``; a fresh real symbol if it was written but cancelled
    out (its gradient is 0)."""
    if isinstance(name, sympy.Symbol) and present.get(name.name) is name:
        return name  # a preset names its own symbols (68k of them for a 256-wide MLP)
    tick("reading the parameters")
    if isinstance(name, sympy.Symbol):
        text = name.name
    elif isinstance(name, str):
        text = normalize_name(name, latex)
    else:
        raise ProblemError(f"{what} must be a name, not {type(name).__name__}")
    if not text:
        raise ProblemError(f"empty {what} name")
    if text in present:
        return present[text]
    check_name(text, what)
    if written is not None and text in written:
        return real_symbol(text)
    known = ", ".join(sorted(present, key=natural_key))
    raise TieError(
        f"{what} {quote(text, 40)} does not occur in the loss (its symbols: "
        f"{quote(known, 200)[1:-1]}){did_you_mean(text, present)}{_product_hint(text, present)}"
    )


def _product_hint(text: str, present: Mapping[str, sympy.Symbol]) -> str:
    """'wx is read as one symbol; did you mean w*x?' when a loss name contains ``text``."""
    for name in present:
        if len(name) > len(text) and name.startswith(text) and name[len(text) :].isalpha():
            return f"; {name} is read as one symbol: did you mean {text}*{name[len(text) :]}?"
    return ""


def _parameter_names(params, present, written, latex=False) -> list[sympy.Symbol]:
    if params is None:
        return []
    if isinstance(params, str):
        names = params.split(",")
    elif isinstance(params, (list, tuple, set, frozenset)):
        names = list(params)
    else:
        raise ProblemError(f"params must be names, not {type(params).__name__}")
    named = []
    for name in names:
        named.append(_known_symbol(name, present, "parameter", written, latex))
    return named


def _tie_groups(ties, present, written, latex=False) -> list[tuple[sympy.Symbol, ...]]:
    if ties is None:
        return []
    if isinstance(ties, str):
        ties = [ties]
    if not isinstance(ties, (list, tuple)):
        raise ProblemError(f"ties must be a list such as ['w0=w1'], not {type(ties).__name__}")
    groups = [_tie_group(tie, present, written, latex) for tie in ties]
    seen: dict[sympy.Symbol, int] = {}
    for index, group in enumerate(groups):
        for symbol in group:
            if symbol in seen:
                raise TieError(
                    f"parameter {symbol} appears in two ties "
                    f"({quote(_group_text(groups[seen[symbol]]))[1:-1]} and "
                    f"{quote(_group_text(group))[1:-1]}): merge them into one tie such as a=b=c"
                )
            seen[symbol] = index
    return [g for g in groups if len(g) > 1]


def _tie_group(tie, present, written, latex=False) -> tuple[sympy.Symbol, ...]:
    if isinstance(tie, str):
        names = tie.split("=")
    elif isinstance(tie, (list, tuple)):
        names = list(tie)
    else:
        raise TieError(f"a tie must be text such as 'w0=w1' or a list of names, not {quote(tie)}")
    if len(names) < 2:
        raise TieError(f"tie {quote(tie)} needs two or more parameters, e.g. w0=w1")
    group = []
    for name in names:
        group.append(_known_symbol(name, present, "tied parameter", written, latex))
    if len(set(group)) < len(group):
        duplicate = next(s for s in group if group.count(s) > 1)
        raise TieError(f"parameter {duplicate} is tied to itself in {quote(tie)}")
    return tuple(group)


def _group_text(group: Sequence[sympy.Symbol]) -> str:
    return " = ".join(s.name if type(s) is sympy.Symbol else str(s) for s in group)


def _preset_init(preset, parameters, init_map, loss_symbols):
    if not parameters:
        raise ProblemError(
            f"init {preset!r} needs to know the parameters: name them with "
            "params (--params w0,w1) or a tie"
        )
    value = sympy.S.Zero if preset == "zero" else real_symbol("c")
    if value in loss_symbols:
        raise ProblemError("init 'constant' uses the symbol c, which the loss uses too")
    return {p: init_map.get(p, value) for p in parameters}


def _order(parameters, parameter_order) -> tuple[sympy.Symbol, ...]:
    if parameter_order is None:
        return sort_symbols(parameters)
    ordered = tuple(p for p in parameter_order if p in parameters)
    return ordered + sort_symbols(parameters - set(ordered))


def _check_init_symbols(init_map, loss_symbols) -> None:
    for symbol, value in init_map.items():
        clash = value.free_symbols & loss_symbols
        if clash:
            raise ProblemError(
                f"init {symbol}={value} uses {', '.join(map(str, clash))}, "
                "which is a symbol of the loss: use a fresh name"
            )


def same_start(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Whether two init values are equal as numbers, ``(1+sqrt(2))**2`` and ``3+2*sqrt(2)`` too.

    Decided exactly (expand, then simplify, then ``equals``); a constant difference
    that no rewriting settles is compared at 100 digits, where a difference above
    1e-60 is certain. Values with free symbols (``c``) are equal only as expressions.
    """
    if a is b or a == b:
        return True
    difference = sympy.sympify(a) - sympy.sympify(b)
    if difference == 0 or sympy.expand(difference) == 0:
        return True
    if difference.free_symbols:
        return sympy.simplify(difference) == 0
    magnitude = abs(difference.evalf(100))
    if magnitude.is_number and magnitude > sympy.Float("1e-60"):
        return False
    if sympy.simplify(difference) == 0 or difference.equals(0):
        return True
    raise ProblemError(
        f"cannot decide whether the init values {a} and {b} are equal: write them in a simpler form"
    )


def _classes(values: Mapping[sympy.Symbol, sympy.Expr], ordered) -> list[list[sympy.Symbol]]:
    """The parameters grouped by equal init value (in the given order).

    Values are bucketed by a cheap key (the expression, or a 30-digit value for a
    constant) and compared exactly only within a bucket.
    """
    buckets: dict[object, list[list[sympy.Symbol]]] = {}
    order: list[list[sympy.Symbol]] = []
    for symbol in ordered:
        if symbol not in values:
            continue
        value = values[symbol]
        classes = buckets.setdefault(_value_key(value), [])
        for members in classes:
            if same_start(values[members[0]], value):
                members.append(symbol)
                break
        else:
            classes.append([symbol])
            order.append(classes[-1])
    return order


def _value_key(value: sympy.Expr) -> object:
    if value.is_Atom and not value.is_number:
        return value
    if value.free_symbols:
        return sympy.expand(value)
    return ("number", round(float(value.evalf(30)), 9))


def _final_ties(tie_groups, init_map, ordered):
    if tie_groups:
        final = tuple(tuple(sort_symbols(g)) for g in tie_groups)
        for group in final:
            values = {p: init_map[p] for p in group if p in init_map}
            if len(_classes(values, list(values))) > 1:
                listed = ", ".join(f"{p}={v}" for p, v in values.items())
                raise TieError(
                    f"the init ({quote(listed)[1:-1]}) does not lie in the tie "
                    f"{quote(_group_text(group))[1:-1]}: tied parameters must start equal"
                )
        return final
    if init_map:
        final = tuple(tuple(g) for g in _classes(init_map, ordered) if len(g) > 1)
        if not final:
            raise TieError(
                "the init gives every parameter a different value, so nothing is tied: "
                "give a tie such as w0=w1"
            )
        return final
    raise TieError("no tie: give one such as w0=w1, or an init such as zero")


def parse_init(text: str) -> str | dict[str, str]:
    """``'zero'``, ``'constant'`` or ``'w0=0,w1=1/2'`` -> a preset name or a mapping."""
    text = text.strip()
    if text in INIT_PRESETS:
        return text
    mapping: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            from symgrad.text.suggest import closest

            guess = closest(item.strip(), (*INIT_PRESETS, "identical"))
            hint = f" (did you mean {guess}?)" if guess else ""
            raise ProblemError(
                f"init item {quote(item.strip())} is not NAME=VALUE (or use zero, constant)" + hint
            )
        if name.strip() in mapping:
            raise ProblemError(f"init gives {quote(name.strip())} twice")
        mapping[name.strip()] = value.strip()
    if not mapping:
        raise ProblemError("empty init: give NAME=VALUE pairs, zero or constant")
    return mapping


def _init_values(
    init: str | Mapping | None,
    present: Mapping[str, sympy.Symbol],
    written: set[str],
    latex: bool = False,
) -> tuple[dict[sympy.Symbol, sympy.Expr], str | None]:
    if init is None:
        return {}, None
    if isinstance(init, str):
        init = parse_init(init)
        if isinstance(init, str):
            return {}, init
    if not isinstance(init, Mapping):
        raise ProblemError(f"init must be text or a mapping, not {type(init).__name__}")
    values: dict[sympy.Symbol, sympy.Expr] = {}
    checked: dict[sympy.Basic, sympy.Expr] = {}  # a preset's init repeats a few values
    for name, value in init.items():
        symbol = _known_symbol(name, present, "initialised parameter", written, latex)
        if symbol is None:
            continue
        if isinstance(value, sympy.Basic) and value in checked:
            values[symbol] = checked[value]
            continue
        values[symbol] = _init_value(value, symbol, latex)
        if isinstance(value, sympy.Basic):
            checked[value] = values[symbol]
    return values, None


def _init_value(value: object, symbol: sympy.Symbol, latex: bool = False) -> sympy.Expr:
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr) or value.has(sympy.I, sympy.oo, sympy.nan, sympy.zoo):
            raise ProblemError(f"init {symbol}={quote(value)} is not a real value")
        return value
    if isinstance(value, bool):
        raise ProblemError(f"init {symbol}={value!r} is not a number")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ProblemError(f"init {symbol}={value!r} is not a finite number")
        exact = Fraction(repr(value))
        return sympy.Rational(exact.numerator, exact.denominator)
    if not isinstance(value, str):
        raise ProblemError(f"init {symbol}: {type(value).__name__} is not a number")
    try:
        parsed = parse_expression(value, latex=latex or "\\" in value)
    except ParseError as error:
        raise ProblemError(f"init {symbol}={quote(value)}: {error.message}") from None
    from symgrad.text.parse import is_finite_number

    if not parsed.free_symbols and not is_finite_number(parsed):
        raise ProblemError(f"init {symbol}={quote(value)} is not a finite real number")
    return parsed


# ---------------------------------------------------------------- assumptions
def _assumptions(
    assume: Sequence[str] | str | None,
    present: Mapping[str, sympy.Symbol],
    parameters: set[sympy.Symbol],
    functions: Sequence[str],
    written: set[str],
) -> Assumptions:
    if assume is None:
        return Assumptions()
    items = [assume] if isinstance(assume, str) else assume
    if not isinstance(items, (list, tuple)):
        raise ProblemError(f"assume must be text or a list of texts, not {type(assume).__name__}")
    equations: list[tuple[sympy.Expr, sympy.Expr]] = []
    signs: dict[sympy.Symbol, set[str]] = {}
    relations: list[sympy.Basic] = []
    for item in items:
        if not isinstance(item, str):
            raise ProblemError(f"an assumption must be text, not {type(item).__name__}")
        for part in _split_conjunction(item):
            lhs, op, rhs = parse_relation(_membership_as_equation(part), functions)
            _check_assumption_symbols(part, lhs - rhs, present, parameters, written)
            lhs, rhs = lhs.xreplace(present_map(present)), rhs.xreplace(present_map(present))
            if op == "=":
                equations.append((lhs, rhs))
            elif op == "!=":
                relations.append(sympy.Ne(lhs, rhs))
            elif rhs.is_zero and lhs.is_Symbol:
                signs.setdefault(lhs, set()).add(SIGNS[op])
            elif lhs.is_zero and rhs.is_Symbol:
                signs.setdefault(rhs, set()).add(SIGNS[FLIPPED[op]])
            else:
                relation = {">": sympy.Gt, ">=": sympy.Ge, "<": sympy.Lt, "<=": sympy.Le}[op]
                relations.append(relation(lhs, rhs))
    final_signs: dict[sympy.Symbol, str] = {}
    for symbol, kinds in signs.items():
        sign = _combine_signs(symbol, kinds)
        if sign == "zero":
            equations.append((symbol, sympy.S.Zero))
        else:
            final_signs[symbol] = sign
    return Assumptions(tuple(equations), final_signs, tuple(relations))


def present_map(present: Mapping[str, sympy.Symbol]) -> dict[sympy.Symbol, sympy.Symbol]:
    return {real_symbol(name): symbol for name, symbol in present.items()}


def _check_assumption_symbols(part, difference, present, parameters, written) -> None:
    symbols = difference.free_symbols
    unknown = sorted(s.name for s in symbols if s.name not in present)
    if unknown:
        cancelled = [n for n in unknown if n in written]
        if cancelled:
            raise ProblemError(
                f"assumption {quote(part.strip())} names {', '.join(cancelled)}, which "
                "cancels out of the loss"
            )
        raise ProblemError(
            f"assumption {quote(part.strip())} names {', '.join(unknown)}, "
            f"which the loss does not use{did_you_mean(unknown[0], present)}"
        )
    on_parameters = sorted(s.name for s in symbols if present.get(s.name) in parameters)
    if on_parameters:
        raise ProblemError(
            f"assumption {quote(part.strip())} constrains parameter(s) "
            f"{', '.join(on_parameters)}: assumptions are about data; use a tie or an init"
        )


def _combine_signs(symbol: sympy.Symbol, kinds: set[str]) -> str:
    """One sign condition from several; contradictions are errors."""
    lower = {"positive", "nonnegative"} & kinds
    upper = {"negative", "nonpositive"} & kinds
    if lower and upper:
        if kinds >= {"nonnegative", "nonpositive"} and not kinds & {"positive", "negative"}:
            return "zero"
        raise ProblemError(
            f"the assumptions on {symbol} contradict each other "
            f"({' and '.join(f'{symbol} {SIGN_TEXT[k]}' for k in sorted(kinds))}): "
            "no data satisfies them"
        )
    if "positive" in kinds:
        return "positive"
    if "negative" in kinds:
        return "negative"
    return next(iter(kinds))


_MEMBERSHIP = re.compile(r"^\s*([^\s{}]+)\s*(?:\bin\b|\u2208)\s*\{([^{}]*)\}\s*$")


_LOOKS_MEMBER = re.compile(r"^\s*([^\s{}]+)\s*(?:\bin\b|\u2208)\s*(.*)$", re.S)
_EXAMPLE = "such as 'y in {0, 1}'"


def membership_shape_error(text: str) -> str | None:
    """What is wrong with a set of values (``y in {0, 1``: the '{' is never closed), or None
    when ``text`` is a well-formed ``NAME in {v1, v2, ...}`` or no set at all."""
    looks = _LOOKS_MEMBER.match(text)
    if not looks:
        return None
    member = _MEMBERSHIP.match(text)
    rest = looks.group(2)
    if member:
        for value in member.group(2).split(","):
            if re.search(r"\d\s+[-+]?[\d.]", value.strip()):
                return f"separate the values inside the braces with commas, {_EXAMPLE}"
        return None
    if not rest.startswith("{"):
        return f"write the values in braces, {_EXAMPLE}"
    if rest.count("{") > rest.count("}"):
        column = len(text) - len(rest) + 1
        return f"the '{{' at column {column} is never closed: add '}}' after the last value, {_EXAMPLE}"
    return f"write one name, 'in', and the values in braces, {_EXAMPLE}"


def _membership_as_equation(text: str) -> str:
    """``y in {0, 1}`` as the equation ``(y - (0))*(y - (1)) = 0``: the same real solution
    set, so the tie is decided on exactly those values."""
    problem = membership_shape_error(text)
    if problem:
        raise ProblemError(f"assumption {quote(text)}: {problem}")
    member = _MEMBERSHIP.match(text)
    if not member:
        return text
    values = [v.strip() for v in member.group(2).split(",") if v.strip()]
    if not values or len(values) > 16:
        raise ProblemError(f"assumption {quote(text)}: list 1 to 16 values inside the braces")
    name = member.group(1)
    return "*".join(f"({name} - ({value}))" for value in values) + " = 0"


def _split_conjunction(text: str) -> list[str]:
    parts = re.split(r"\band\b|;|\u2227", text)
    return [p for p in parts if p.strip()]


def _domain(parsed: Parsed, graph: ExprGraph) -> tuple[Constraint, ...]:
    constraints = list(parsed.domain)
    for constraint in domain_of_graph(graph):
        if constraint not in constraints:
            constraints.append(constraint)
    return tuple(constraints)


# ---------------------------------------------------------------- datasets
def _dataset(
    rows: Sequence[Mapping[str | sympy.Symbol, object]], data: Sequence[sympy.Symbol]
) -> tuple[dict[sympy.Symbol, sympy.Rational], ...]:
    if not isinstance(rows, (list, tuple)):
        raise DatasetError(f"the dataset must be a list of rows, not {type(rows).__name__}")
    if not rows:
        raise DatasetError("the dataset has no rows")
    by_name = {s.name: s for s in data}
    result = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise DatasetError(f"dataset row {number} is not a mapping of names to numbers")
        converted: dict[sympy.Symbol, sympy.Rational] = {}
        for key, value in row.items():
            name = key.name if isinstance(key, sympy.Symbol) else str(key)
            if name not in by_name:
                raise DatasetError(
                    f"dataset row {number}: column {quote(name, 40)} names no data symbol of the "
                    f"loss (data: {quote(', '.join(by_name) or 'none')[1:-1]})"
                )
            converted[by_name[name]] = _exact_cell(value, number, name)
        missing = [s.name for s in data if s not in converted]
        if missing:
            raise DatasetError(
                f"dataset row {number}: no value for data symbol(s) {', '.join(missing)}"
            )
        result.append(converted)
    return tuple(result)


def _exact_cell(value: object, row: int, column: str) -> sympy.Rational:
    if isinstance(value, sympy.Rational):
        return value
    exact = exact_number(value, row, column)
    return sympy.Rational(exact.numerator, exact.denominator)


def _check_rows(rows, assumptions: Assumptions, domain, parameters) -> None:
    """Every dataset row satisfies every assumption (and the data part of the domain)."""
    from symgrad.exact.evaluate import Undecided, evaluate

    checks = [(b, f"the assumption {_text(b)}") for b in assumptions.booleans()]
    checks += [
        (c.as_boolean(), f"the loss's domain ({c.text})")
        for c in domain
        if not (c.expr.free_symbols & parameters)
    ]
    for number, row in enumerate(rows, start=1):
        point = {s: Fraction(int(v.p), int(v.q)) for s, v in row.items()}
        for boolean, what in checks:
            try:
                holds = evaluate(boolean, point)
            except (Undecided, ZeroDivisionError, ValueError, OverflowError):
                holds = _holds_symbolically(boolean, row)
            if holds is False:
                values = ", ".join(
                    f"{s} = {row[s]}"
                    for s in sorted(boolean.free_symbols, key=natural_key)
                    if s in row
                )
                raise DatasetError(f"dataset row {number} ({values}) violates {what}")


def _holds_symbolically(boolean, row) -> bool | None:
    value = boolean.xreplace(row)
    if value in (sympy.true, sympy.false):
        return bool(value)
    if isinstance(value, sympy.Eq):
        difference = sympy.simplify(value.lhs - value.rhs)
        if difference == 0:
            return True
        return None
    return None


def _text(boolean) -> str:
    from symgrad.exact.printing import to_str

    if isinstance(boolean, sympy.Eq):
        return f"{to_str(boolean.lhs)} = {to_str(boolean.rhs)}"
    return to_str(boolean)


def wrt_names(wrt: object, latex: bool, empty: str = "--wrt needs a parameter name") -> list[str]:
    """The parameter names of ``wrt`` (``"w0,w1"`` or a list), normalized; ``empty`` is the
    message when it names none."""
    if isinstance(wrt, str):
        raw = wrt.split(",")
    elif isinstance(wrt, (list, tuple)):
        raw = list(wrt)
    else:
        raise ProblemError(f"wrt must be a name or a list of names, not {type(wrt).__name__}")
    names = []
    for item in raw:
        if not isinstance(item, str):
            raise ProblemError(f"wrt must be names (text), got {type(item).__name__}")
        if item.strip():
            names.append(normalize_name(item, latex))
    if not names:
        raise ProblemError(empty)
    return names


def named_parameters(
    wrt: str | Sequence[str],
    present: Mapping[str, sympy.Symbol],
    written: Iterable[str] = (),
    latex: bool = False,
) -> list[sympy.Symbol]:
    """The symbols named by ``wrt`` (``"w0,w1"`` or a list).

    A name written in the loss text that cancelled out is returned as a fresh
    real symbol (its derivative is 0); a name the text never mentions is an error.
    """
    names = wrt_names(wrt, latex, "--wrt needs at least one parameter name")
    written = set(written)
    symbols = []
    for name in names:
        check_name(name, "parameter")
        if name in present:
            symbols.append(present[name])
        elif name in written:
            symbols.append(real_symbol(name))
        else:
            raise ProblemError(
                f"--wrt names {quote(name, 40)}, which the loss does not use"
                f"{did_you_mean(name, present)}{_product_hint(name, present)}"
            )
        if len(set(symbols)) < len(symbols):
            raise ProblemError(f"--wrt names {name} twice")
    return symbols
