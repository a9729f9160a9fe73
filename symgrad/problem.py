"""Problem: a loss, its parameters and data, the tie, an init, assumptions and a dataset.

Symbols named as parameters (explicitly, by a tie or by an init) are
parameters; every other free symbol of the loss is data, universally
quantified. The tied subspace is T = {θ : θi = θj for i, j in one group}.

>>> problem = Problem.build("w0*x0 + w1*x1", ties=["w0=w1"])
>>> problem.parameters, problem.data, problem.ties
((w0, w1), (x0, x1), ((w0, w1),))
>>> problem.tie_map
{w1: w0}
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from symgrad.calculus import symbols_of
from symgrad.dataset import exact_number
from symgrad.errors import DatasetError, ParseError, ProblemError, TieError
from symgrad.parse import check_name, parse_expression, parse_relation, real_symbol

MODES = ("sgd", "full-batch")
INIT_PRESETS = ("zero", "constant")
SIGNS = {">": "positive", ">=": "nonnegative", "<": "negative", "<=": "nonpositive"}
FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}


def natural_key(symbol: sympy.Basic) -> tuple:
    """Sort key that puts w2 before w10."""
    parts = re.split(r"(\d+)", str(symbol))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def sort_symbols(symbols: Iterable[sympy.Symbol]) -> tuple[sympy.Symbol, ...]:
    return tuple(sorted(set(symbols), key=natural_key))


@dataclass(frozen=True)
class Problem:
    """A tie question, validated on construction by :meth:`build`."""

    loss: sympy.Expr
    parameters: tuple[sympy.Symbol, ...]
    data: tuple[sympy.Symbol, ...]
    ties: tuple[tuple[sympy.Symbol, ...], ...]
    init: Mapping[sympy.Symbol, sympy.Expr] | None = None
    equations: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    signs: Mapping[sympy.Symbol, str] = field(default_factory=dict)
    dataset: tuple[Mapping[sympy.Symbol, sympy.Rational], ...] | None = None
    mode: str = "sgd"
    functions: tuple[str, ...] = ()
    symmetries: tuple[Mapping[sympy.Symbol, sympy.Symbol], ...] = ()
    source: str = ""

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        loss: str | sympy.Expr,
        ties: Sequence[str | Sequence[str | sympy.Symbol]] | None = None,
        params: Sequence[str | sympy.Symbol] | str | None = None,
        init: str | Mapping[str | sympy.Symbol, object] | None = None,
        assume: Sequence[str] | str | None = None,
        dataset: Sequence[Mapping[str | sympy.Symbol, object]] | None = None,
        mode: str = "sgd",
        functions: Sequence[str] = (),
        symmetries: Sequence[Mapping[sympy.Symbol, sympy.Symbol]] = (),
        parameter_order: Sequence[sympy.Symbol] | None = None,
    ) -> Problem:
        """Validate and assemble a problem from text or SymPy objects."""
        functions = tuple(functions)
        if isinstance(loss, str):
            source = loss
            loss = parse_expression(loss, functions)
        elif isinstance(loss, sympy.Expr):
            source = ""
        else:
            raise ProblemError(f"the loss must be text or a SymPy expression, not {loss!r}")
        if loss.is_number:
            raise ProblemError(f"the loss {source!r} has no symbols: nothing to train")
        loss_symbols = symbols_of(loss)
        present = {s.name: s for s in loss_symbols}
        if mode not in MODES:
            raise ProblemError(f"mode={mode!r} is not one of {', '.join(MODES)}")

        named: list[sympy.Symbol] = []
        if params is not None:
            names = params.split(",") if isinstance(params, str) else params
            for name in names:
                named.append(_known_symbol(name, present, "parameter"))

        tie_groups = [_tie_group(tie, present) for tie in (ties or [])]
        seen: dict[sympy.Symbol, int] = {}
        for index, group in enumerate(tie_groups):
            for symbol in group:
                if symbol in seen:
                    raise TieError(
                        f"parameter {symbol} appears in two ties "
                        f"({_group_text(tie_groups[seen[symbol]])} and {_group_text(group)}): "
                        "merge them into one tie such as a=b=c"
                    )
                seen[symbol] = index

        init_map, init_preset = _init_values(init, present)
        parameters = set(named) | set(seen) | set(init_map)
        if init_preset is not None:
            if not parameters:
                raise ProblemError(
                    f"init {init_preset!r} needs to know the parameters: name them with "
                    "params (--params w0,w1) or a tie"
                )
            value = sympy.S.Zero if init_preset == "zero" else real_symbol("c")
            if value in loss_symbols:
                raise ProblemError("init 'constant' uses the symbol c, which the loss uses too")
            init_map = {p: init_map.get(p, value) for p in parameters}
        if not parameters:
            raise ProblemError("no parameters: name them with a tie (w0=w1), params or an init")
        if parameter_order is not None:
            ordered = tuple(p for p in parameter_order if p in parameters)
            ordered += sort_symbols(parameters - set(ordered))
        else:
            ordered = sort_symbols(parameters)
        data = sort_symbols(loss_symbols - parameters)

        if init_map:
            for symbol, value in init_map.items():
                clash = value.free_symbols & loss_symbols
                if clash:
                    raise ProblemError(
                        f"init {symbol}={value} uses {', '.join(map(str, clash))}, "
                        "which is a symbol of the loss: use a fresh name"
                    )
        if tie_groups:
            final_ties = tuple(tuple(sort_symbols(g)) for g in tie_groups)
            if init_map:
                for group in final_ties:
                    values = {p: init_map[p] for p in group if p in init_map}
                    if len(set(values.values())) > 1:
                        listed = ", ".join(f"{p}={v}" for p, v in values.items())
                        raise TieError(
                            f"the init ({listed}) does not lie in the tie "
                            f"{_group_text(group)}: tied parameters must start equal"
                        )
        elif init_map:
            by_value: dict[sympy.Expr, list[sympy.Symbol]] = {}
            for symbol in ordered:
                if symbol in init_map:
                    by_value.setdefault(init_map[symbol], []).append(symbol)
            final_ties = tuple(tuple(g) for g in by_value.values() if len(g) > 1)
            if not final_ties:
                raise TieError(
                    "the init gives every parameter a different value, so nothing is tied: "
                    "give a tie such as w0=w1"
                )
        else:
            raise TieError("no tie: give one such as w0=w1, or an init such as zero")

        equations, signs = _assumptions(assume, present, set(ordered), functions)
        rows = _dataset(dataset, data) if dataset is not None else None
        return cls(
            loss=loss,
            parameters=ordered,
            data=data,
            ties=final_ties,
            init={p: init_map[p] for p in ordered if p in init_map} if init_map else None,
            equations=equations,
            signs=signs,
            dataset=rows,
            mode=mode,
            functions=functions,
            symmetries=tuple(symmetries),
            source=source,
        )

    # ------------------------------------------------------------ derived
    @functools.cached_property
    def position(self) -> dict[sympy.Symbol, int]:
        """Index of each parameter in ``parameters``."""
        return {p: i for i, p in enumerate(self.parameters)}

    @property
    def tie_map(self) -> dict[sympy.Symbol, sympy.Symbol]:
        """Each tied parameter -> the first parameter of its group (a point of T)."""
        return {p: group[0] for group in self.ties for p in group[1:]}

    @property
    def tied_pairs(self) -> tuple[tuple[sympy.Symbol, sympy.Symbol], ...]:
        """(first, other) for every other member of each tie group."""
        return tuple((group[0], p) for group in self.ties for p in group[1:])

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

    def partition(self) -> list[tuple[sympy.Symbol, ...]]:
        """Tie groups plus singletons: the partition of all parameters that defines T."""
        tied = {p for group in self.ties for p in group}
        return [*self.ties, *((p,) for p in self.parameters if p not in tied)]

    def describe_tie(self) -> str:
        return ", ".join(_group_text(g) for g in self.ties)


def _known_symbol(
    name: str | sympy.Symbol, present: Mapping[str, sympy.Symbol], what: str
) -> sympy.Symbol:
    text = name.name if isinstance(name, sympy.Symbol) else str(name).strip()
    if not text:
        raise ProblemError(f"empty {what} name")
    if text not in present:
        check_name(text, what)
        known = ", ".join(sorted(present, key=lambda n: natural_key(n)))
        raise TieError(f"{what} {text!r} does not occur in the loss (its symbols: {known})")
    return present[text]


def _tie_group(
    tie: str | Sequence[str | sympy.Symbol], present: Mapping[str, sympy.Symbol]
) -> tuple[sympy.Symbol, ...]:
    names = tie.split("=") if isinstance(tie, str) else list(tie)
    if len(names) < 2:
        raise TieError(f"tie {tie!r} needs two or more parameters, e.g. w0=w1")
    group = [_known_symbol(name, present, "tied parameter") for name in names]
    if len(set(group)) < len(group):
        duplicate = next(s for s in group if group.count(s) > 1)
        raise TieError(f"parameter {duplicate} is tied to itself in {tie!r}")
    return tuple(group)


def _group_text(group: Sequence[sympy.Symbol]) -> str:
    return " = ".join(str(s) for s in group)


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
            raise ProblemError(
                f"init item {item.strip()!r} is not NAME=VALUE (or use zero, constant)"
            )
        if name.strip() in mapping:
            raise ProblemError(f"init gives {name.strip()} twice")
        mapping[name.strip()] = value.strip()
    if not mapping:
        raise ProblemError("empty init: give NAME=VALUE pairs, zero or constant")
    return mapping


def _init_values(
    init: str | Mapping | None, present: Mapping[str, sympy.Symbol]
) -> tuple[dict[sympy.Symbol, sympy.Expr], str | None]:
    if init is None:
        return {}, None
    if isinstance(init, str):
        init = parse_init(init)
        if isinstance(init, str):
            return {}, init
    values: dict[sympy.Symbol, sympy.Expr] = {}
    for name, value in init.items():
        symbol = _known_symbol(name, present, "initialised parameter")
        values[symbol] = _init_value(value, symbol)
    return values, None


def _init_value(value: object, symbol: sympy.Symbol) -> sympy.Expr:
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool):
        raise ProblemError(f"init {symbol}={value!r} is not a number")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        exact = Fraction(repr(value))
        return sympy.Rational(exact.numerator, exact.denominator)
    try:
        return parse_expression(str(value))
    except ParseError as error:
        raise ProblemError(f"init {symbol}={value}: {error.message}") from None


def _assumptions(
    assume: Sequence[str] | str | None,
    present: Mapping[str, sympy.Symbol],
    parameters: set[sympy.Symbol],
    functions: Sequence[str],
) -> tuple[tuple[tuple[sympy.Expr, sympy.Expr], ...], dict[sympy.Symbol, str]]:
    if assume is None:
        return (), {}
    items = [assume] if isinstance(assume, str) else list(assume)
    equations: list[tuple[sympy.Expr, sympy.Expr]] = []
    signs: dict[sympy.Symbol, str] = {}
    for item in items:
        for part in _split_conjunction(item):
            lhs, op, rhs = parse_relation(part, functions)
            symbols = (lhs - rhs).free_symbols
            unknown = sorted(str(s) for s in symbols if s.name not in present)
            if unknown:
                raise ProblemError(
                    f"assumption {part.strip()!r} names {', '.join(unknown)}, "
                    "which the loss does not use"
                )
            on_parameters = sorted(str(s) for s in symbols & parameters)
            if on_parameters:
                raise ProblemError(
                    f"assumption {part.strip()!r} constrains parameter(s) "
                    f"{', '.join(on_parameters)}: assumptions are about data; use a tie or an init"
                )
            if op == "=":
                equations.append((lhs, rhs))
                continue
            if rhs.is_zero and lhs.is_Symbol:
                signs[lhs] = SIGNS[op]
            elif lhs.is_zero and rhs.is_Symbol:
                signs[rhs] = SIGNS[FLIPPED[op]]
            else:
                raise ProblemError(
                    f"assumption {part.strip()!r}: inequalities must compare one data symbol "
                    "with 0, e.g. 'x > 0'"
                )
    return tuple(equations), signs


def _split_conjunction(text: str) -> list[str]:
    parts = re.split(r"\band\b|;", text)
    return [p for p in parts if p.strip()]


def _dataset(
    rows: Sequence[Mapping[str | sympy.Symbol, object]], data: Sequence[sympy.Symbol]
) -> tuple[dict[sympy.Symbol, sympy.Rational], ...]:
    if not rows:
        raise DatasetError("the dataset has no rows")
    by_name = {s.name: s for s in data}
    result = []
    for number, row in enumerate(rows, start=1):
        converted: dict[sympy.Symbol, sympy.Rational] = {}
        for key, value in row.items():
            name = key.name if isinstance(key, sympy.Symbol) else str(key)
            if name not in by_name:
                raise DatasetError(
                    f"dataset row {number}: column {name!r} names no data symbol of the loss "
                    f"(data: {', '.join(by_name) or 'none'})"
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


def named_parameters(
    wrt: str | Sequence[str], present: Mapping[str, sympy.Symbol]
) -> list[sympy.Symbol]:
    """The symbols named by ``wrt`` (``"w0,w1"`` or a list), each required to be in the loss."""
    names = [n.strip() for n in (wrt.split(",") if isinstance(wrt, str) else wrt) if n.strip()]
    if not names:
        raise ProblemError("--wrt needs at least one parameter name")
    symbols = []
    for name in names:
        check_name(name, "parameter")
        if name not in present:
            raise ProblemError(f"--wrt names {name!r}, which the loss does not use")
        symbols.append(present[name])
    return symbols
