"""Vectors and matrices as courses write them, checked for every size.

Shapes are declared (``X=n,k``, ``w=k``: a vector is a column); sizes are
whole numbers or names (a name means every positive integer). Expressions use
``@`` (and ``*`` or juxtaposition where one side is a scalar, or for a matrix
product), ``.T`` / ``'`` / ``^T``, ``norm(v)`` / ``||v||``, ``sum(A)``,
``trace(A)``, elementwise functions (``tanh(X@W + b)``, a row vector broadcast
over the rows), and LaTeX ``\\sum_{i=1}^{n}`` with ``x_i`` (row i of X) and
``y_i``. Shapes are inferred symbolically, so a mismatch names both shapes.

Deciding a claimed gradient for every size rests on a finite-size argument.
Replace every nonlinear function of a contraction (``tanh(X@W + b)``,
``sqrt(...)``) by fresh independent entries ("atoms"); the claim and the true
gradient are then sums of products of entries and of functions of single
entries, each term using at most t index values of every dimension. If such an
identity holds at a size N >= t it holds at every size (an injection of the t
values used by any term into [t] maps the terms of size N one-to-one onto the
terms of size t), and a size symbol appearing in the coefficients (``1/n``, a
sum whose index is free) makes them rational in N of degree at most D, so the
sizes t .. t + D settle it; the sizes below t are checked one by one. symgrad
computes bounds t and D from the expressions and checks every size up to
t + D exactly, with the atoms independent (a stronger identity, so a sound
one). A refutation is an exact rational witness at the smallest sizes.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from symgrad.errors import BudgetError, ParseError, ProblemError, UndefinedSymbolError
from symgrad.text.grammar import Context, lex_text, parse_tokens
from symgrad.text.names import resolve
from symgrad.text.parse import Builder, _context, check_name, normalize_name, real_symbol
from symgrad.ties.problem import quote

MAX_SIZE = 8
MAX_COMBINATIONS = 400
MAX_ENTRIES = 2_500


# ---------------------------------------------------------------- shapes
def size_of(text: str) -> sympy.Expr:
    """A size: a whole number >= 1, or a name (a positive integer symbol)."""
    text = str(text).strip()
    if re.fullmatch(r"\d+", text):
        value = int(text)
        if not 1 <= value <= 1000:
            raise ProblemError(f"size {text} is out of range (1..1000)")
        return sympy.Integer(value)
    check_name(text, "size")
    return sympy.Symbol(text, integer=True, positive=True)


def parse_shapes(specs: Iterable[str] | Mapping[str, object] | None) -> dict[str, tuple]:
    """``["X=n,k", "w=k"]`` -> ``{"X": (n, k), "w": (k, 1)}`` (a vector is a column)."""
    if specs is None:
        return {}
    items = specs.items() if isinstance(specs, Mapping) else None
    shapes: dict[str, tuple] = {}
    if items is None:
        if isinstance(specs, str):
            specs = [specs]
        pairs = []
        for spec in specs:
            if not isinstance(spec, str) or "=" not in spec:
                raise ProblemError(f"shape {quote(spec)} is not NAME=SIZE[,SIZE], e.g. X=n,k")
            name, _, sizes = spec.partition("=")
            pairs.append((name, sizes))
        items = pairs
    for name, sizes in items:
        name = check_name(normalize_name(str(name)), "matrix")
        parts = [
            s for s in (sizes.split(",") if isinstance(sizes, str) else sizes) if str(s).strip()
        ]
        if not 1 <= len(parts) <= 2:
            raise ProblemError(f"shape of {name}: one size (a vector) or two (a matrix)")
        dims = tuple(size_of(p) for p in parts)
        shape = dims if len(dims) == 2 else (dims[0], sympy.S.One)
        if name in shapes and shapes[name] != shape:
            raise ProblemError(
                f"{name} is given two shapes: {shape_text(shapes[name])} and {shape_text(shape)}"
            )
        shapes[name] = shape
    return shapes


def shape_text(shape: tuple) -> str:
    rows, cols = shape
    if cols == 1 and rows == 1:
        return "a scalar"
    if cols == 1:
        return f"a vector of {rows}"
    return f"{rows} x {cols}"


# ---------------------------------------------------------------- expression nodes
@dataclass(frozen=True)
class Node:
    """A matrix expression: its shape, its parts, and what it is."""

    kind: str
    shape: tuple
    parts: tuple = ()
    data: object = None
    text: str = ""

    @property
    def scalar(self) -> bool:
        return self.shape == (sympy.S.One, sympy.S.One)


def leaf(name: str, shape: tuple) -> Node:
    return Node("leaf", shape, data=name, text=name)


def scalar(expr: sympy.Expr, text: str = "") -> Node:
    return Node("scalar", (sympy.S.One, sympy.S.One), data=expr, text=text or str(expr))


class ShapeError(ParseError):
    """Shapes that do not fit; the message names both."""


def _wrapped(node: Node) -> str:
    """The node's text, in parentheses where a product or transpose would misread it."""
    if node.kind == "add" or node.text.startswith("-"):
        return f"({node.text})"
    return node.text


def _transposed(node: Node) -> Node:
    text = f"{node.text}.T" if node.kind in ("leaf", "row") else f"({node.text}).T"
    return Node("transpose", (node.shape[1], node.shape[0]), (node,), text=text)


def _same_size(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Sizes are whole numbers or size names, so equal sizes are equal expressions."""
    return sympy.sympify(a) == sympy.sympify(b)


def _fits(a: tuple, b: tuple) -> bool:
    return _same_size(a[1], b[0])


def matmul(a: Node, b: Node) -> Node:
    if a.scalar or b.scalar:
        return scale(a, b)
    if not _fits(a.shape, b.shape):
        hint = _transpose_hint(a, b)
        raise ShapeError(
            f"{_wrapped(a)} @ {_wrapped(b)}: the shapes do not fit ({shape_text(a.shape)} times "
            f"{shape_text(b.shape)}){hint}"
        )
    return Node("matmul", (a.shape[0], b.shape[1]), (a, b), text=f"{_wrapped(a)} @ {_wrapped(b)}")


def _core(node: Node) -> Node:
    """The matrix factor of a scaled matrix (``X`` in ``2*X``): what a transpose hint names."""
    while node.kind == "scale":
        node = node.parts[1] if node.parts[0].scalar else node.parts[0]
    return node


def _transpose_hint(a: Node, b: Node) -> str:
    def named(node: Node) -> str:
        core = _core(node)
        return _transposed(core).text

    if _fits((a.shape[1], a.shape[0]), b.shape):
        return f"; did you mean {named(a)}?"
    if _fits(a.shape, (b.shape[1], b.shape[0])):
        return f"; did you mean {named(b)}?"
    if _fits(b.shape, a.shape):
        return f"; did you mean {_wrapped(b)} @ {_wrapped(a)}?"
    return ""


def scale(a: Node, b: Node) -> Node:
    if not a.scalar and not b.scalar:
        raise ShapeError(
            f"{a.text} * {b.text}: '*' between two matrices ({shape_text(a.shape)} and "
            f"{shape_text(b.shape)}) has no single reading: write @ for a matrix product"
        )
    shape = b.shape if a.scalar else a.shape
    if a.kind == "scalar" and a.data == -1:
        return Node("scale", shape, (a, b), text=f"-{_wrapped(b)}")
    if b.kind == "inverse":
        inner = b.parts[0].text
        divisor = inner if re.fullmatch(r"\w+", inner) else f"({inner})"
        return Node("scale", shape, (a, b), text=f"{_wrapped(a)}/{divisor}")
    return Node("scale", shape, (a, b), text=f"{_wrapped(a)}*{_wrapped(b)}")


def add(a: Node, b: Node, sign: int = 1) -> Node:
    text = f"{a.text} {'+' if sign > 0 else '-'} {_wrapped(b) if sign < 0 else b.text}"
    shape = _broadcast(a, b, text)
    if sign < 0:
        b = scale(scalar(sympy.S.NegativeOne), b)
    return Node("add", shape, (a, b), text=text)


def _broadcast(a: Node, b: Node, text: str = "") -> tuple:
    """The shape of a + b: equal shapes, a scalar, or a row/column vector along a matrix."""
    if a.scalar:
        return b.shape
    if b.scalar:
        return a.shape
    same = [_same_size(x, y) for x, y in zip(a.shape, b.shape)]
    if all(same):
        return a.shape
    for big, small in ((a, b), (b, a)):
        if small.shape[0] == 1 and _same_size(small.shape[1], big.shape[1]):
            return big.shape
        if small.shape[1] == 1 and _same_size(small.shape[0], big.shape[0]):
            return big.shape
    raise ShapeError(
        f"{text or a.text + ' + ' + b.text}: the shapes do not fit ({shape_text(a.shape)} and "
        f"{shape_text(b.shape)})"
    )


# ---------------------------------------------------------------- reading
#: functions of several values (or a vector) that are not applied entry by entry
_NOT_ELEMENTWISE = {
    "mean", "logsumexp", "softmax", "log_softmax", "clip", "where", "pow", "power", "atan2",
    "binomial", "max", "min", "Max", "Min",
}  # fmt: skip


class MatrixBuilder(Builder):
    """Build the grammar's tree into matrix :class:`Node` objects (scalars are 1 x 1)."""

    def __init__(self, text: str, context: Context, shapes: Mapping[str, tuple]) -> None:
        super().__init__(text, context)
        self.shapes = dict(shapes)
        self.bound: dict[str, sympy.Expr] = {}
        sizes = {s for shape in self.shapes.values() for s in shape if isinstance(s, sympy.Symbol)}
        self.sizes = {real_symbol(str(s)): s for s in sizes}

    def _scalar(self, tree: tuple) -> Node:
        """A scalar subexpression; a size name in it (``1/n``) is the size itself."""
        value = self.build(tree).xreplace(self.sizes)
        return scalar(value, str(value))

    def node(self, tree: tuple) -> Node:
        kind = tree[0]
        handler = getattr(self, f"_m_{kind}", None)
        if handler is not None:
            return handler(tree)
        return self._scalar(tree)

    def _m_paren(self, tree) -> Node:
        return self.node(tree[1])

    def _m_name(self, tree) -> Node:
        name = tree[1]
        if name in self.shapes:
            self.names.add(name)
            shape = self.shapes[name]
            return leaf(name, shape)
        base, _, index = name.partition("_")
        base = self._matrix_of(base)
        if index in self.bound and base in self.shapes:
            self.names.add(base)
            shape = self.shapes[base]
            return Node(
                "row", (shape[1], sympy.S.One), data=(base, index, shape), text=f"{base}_{index}"
            )
        parts = self._run_together(name, tree[2])
        if parts:
            self.context.note(f"{name} is read as {' '.join(parts)} (side by side: a product)")
            factors = [("*", ("name", part, tree[2], part)) for part in parts]
            return self._m_mul(("mul", factors))
        return self._scalar(tree)

    def _run_together(self, name: str, position) -> tuple[str, ...] | None:
        """``Xw`` in a claim, with X and w declared (or known from the loss): X w."""
        if not self.context.resolve_names:
            return None
        known = set(self.context.symbols) | set(self.shapes)
        if name in known or name in {str(s) for s in self.sizes.values()}:
            return None
        try:
            parts = resolve(name, known)
        except ParseError as error:
            raise self.fail(error.message, position) from None
        return parts if parts and len(parts) > 1 else None

    def _matrix_of(self, base: str) -> str:
        """``x`` in ``x_i`` is a row of ``X`` when only ``X`` is declared (x_i, y_i as courses write)."""
        if base not in self.shapes and base.upper() in self.shapes and base.islower():
            return base.upper()
        return base

    def _m_num(self, tree) -> Node:
        return self._scalar(tree)

    def _m_neg(self, tree) -> Node:
        inner = self.node(tree[1])
        return scale(scalar(sympy.S.NegativeOne), inner)

    def _m_add(self, tree) -> Node:
        result = None
        for sign, term in tree[1]:
            value = self.node(term)
            if result is None:
                result = value if sign > 0 else scale(scalar(sympy.S.NegativeOne), value)
            else:
                result = add(result, value, sign)
        return result

    def _m_mul(self, tree) -> Node:
        result = None
        for op, factor in tree[1]:
            value = self.node(factor)
            if result is None:
                result = value
            elif op == "/":
                if not value.scalar:
                    raise ShapeError(
                        f"division by {value.text}, which is {shape_text(value.shape)}"
                    )
                result = scale(
                    result, Node("inverse", value.shape, (value,), text=f"1/{value.text}")
                )
            elif op == "@":
                result = matmul(result, value)
            elif result.scalar or value.scalar:
                result = scale(result, value)
            else:
                result = matmul(result, value)
        return result

    def _m_transpose(self, tree) -> Node:
        return _transposed(self.node(tree[1]))

    def _m_pow(self, tree) -> Node:
        base = self.node(tree[1])
        if base.kind == "scalar":
            return self._scalar(tree)
        exponent = self.build(tree[2]).xreplace(self.sizes)
        if not base.scalar:
            if base.kind == "call" and base.data == "norm":
                pass
            raise ShapeError(
                f"({base.text})^{exponent}: a power of {shape_text(base.shape)} has no single "
                "reading: write norm(v)^2, v.T@v, or a product"
            )
        text = f"{_wrapped(base)}^{exponent}" if base.kind != "pow" else f"({base.text})^{exponent}"
        return Node("pow", base.shape, (base,), data=exponent, text=text)

    def _m_call(self, tree) -> Node:
        name, args = tree[1], tree[2]
        squares = self._sum_of_squares(name, args, tree[3])
        if squares is not None:
            return squares
        if name in ("norm", "sum", "trace"):
            if len(args) != 1:
                raise ShapeError(f"{name} takes one argument")
            inner = self.node(args[0])
            if name == "trace" and not _same_size(inner.shape[0], inner.shape[1]):
                raise ShapeError(
                    f"trace of {inner.text}, which is {shape_text(inner.shape)}, not square"
                )
            return Node(
                name, (sympy.S.One, sympy.S.One), (inner,), data=name, text=f"{name}({inner.text})"
            )
        if name in ("hadamard", "multiply"):
            return self._hadamard(args)
        if name == "dot" and len(args) == 2:
            return self._dot(args)
        if name in ("add", "subtract") and len(args) == 2:
            a, b = (self.node(x) for x in args)
            return add(a, b, 1 if name == "add" else -1)
        values = [self.node(a) for a in args]
        if name in _NOT_ELEMENTWISE and any(not v.scalar for v in values):
            return self._reduction(name, args, values, tree[3])
        if len(values) == 1 and (not values[0].scalar or values[0].kind != "scalar"):
            return Node(
                "apply",
                values[0].shape,
                (values[0],),
                data=(name, tree[4] if len(tree) > 4 else 0),
                text=f"{name}({values[0].text})",
            )
        if all(v.kind == "scalar" for v in values):
            return self._scalar(tree)
        raise ShapeError(f"{name} of several matrix expressions has no single reading")

    def _reduction(self, name: str, args, values, position) -> Node:
        """``mean(v)`` of a vector is sum(v)/length; other reductions of matrices are refused."""
        if name == "mean" and len(values) == 1 and 1 in (values[0].shape[0], values[0].shape[1]):
            vector = values[0]
            length = vector.shape[0] if vector.shape[1] == 1 else vector.shape[1]
            size = (
                ("num", str(length), position)
                if length.is_Integer
                else ("name", str(length), position, str(length))
            )
            return self.node(("mul", [("*", ("call", "sum", args, position, 0)), ("/", size)]))
        raise ShapeError(
            f"{name}(...) of a matrix expression has no single reading here: write it with "
            "sum(...), norm(...)^2 or the entries"
        )

    def _sum_of_squares(self, name: str, args, position) -> Node | None:
        """``sum(v**2)`` and ``mean(v**2)`` for a vector v: the elementwise squares summed is
        ``norm(v)^2`` (the only reading that sums them), and the mean divides by v's length."""
        if name not in ("sum", "mean") or len(args) != 1 or args[0][0] != "pow":
            return None
        base, exponent = args[0][1], args[0][2]
        if exponent[:2] != ("num", "2"):
            return None
        vector = self.node(base)
        if vector.scalar or not (vector.shape[0] == 1 or vector.shape[1] == 1):
            return None
        norm = ("pow", ("call", "norm", [base], position, 0), ("num", "2", position), position)
        self.context.note(f"{name}(v**2) of a vector v is read as norm(v)^2" + (
            " divided by its length" if name == "mean" else ""))  # fmt: skip
        if name == "sum":
            return self.node(norm)
        length = vector.shape[0] if vector.shape[1] == 1 else vector.shape[1]
        size = (
            ("num", str(length), position)
            if length.is_Integer
            else ("name", str(length), position, str(length))
        )
        return self.node(("mul", [("*", norm), ("/", size)]))

    def _dot(self, args) -> Node:
        """``np.dot(a, b)``: a @ b, and for two column vectors their inner product a.T @ b."""
        a, b = (self.node(x) for x in args)
        if a.scalar or b.scalar:
            return scale(a, b)
        if a.shape[1] == 1 and b.shape[1] == 1:
            self.context.note(
                f"dot({a.text}, {b.text}) of two vectors is read as {a.text}.T @ {b.text}"
            )
            return matmul(_transposed(a), b)
        return matmul(a, b)

    def _hadamard(self, args) -> Node:
        """``hadamard(A, B)``: the elementwise product (a row or column broadcast along)."""
        if len(args) != 2:
            raise ShapeError("hadamard takes two arguments: hadamard(A, B)")
        a, b = (self.node(x) for x in args)
        shape = _broadcast(a, b, f"hadamard({a.text}, {b.text})")
        return Node("hadamard", shape, (a, b), text=f"hadamard({a.text}, {b.text})")

    def _m_indexsum(self, tree) -> Node:
        index, lower, upper, body = tree[1], tree[2], tree[3], tree[4]
        size = size_of(upper)
        if lower != "1":
            raise ShapeError("sums run from 1: write \\sum_{i=1}^{n}")
        saved = dict(self.bound)
        self.bound[index] = size
        inner = self.node(body)
        self.bound = saved
        return Node(
            "indexsum", inner.shape, (inner,), data=(index, size), text=f"sum_{index}({inner.text})"
        )

    def _m_true(self, tree):
        raise ShapeError("a condition where a matrix expression is expected")


def read_matrix(
    text: str,
    shapes: Mapping[str, tuple],
    functions: Iterable[str] = (),
    latex: bool = False,
    known: Iterable[str] | None = None,
    names: set | None = None,
) -> tuple[Node, list[str]]:
    """Parse ``text`` with the declared ``shapes``: the expression node and reading notes.

    With ``known`` (the loss's names) the text is read as a claim: a run-together name is read
    through the declared and known names (``Xw`` is X w), and any other unknown name is an
    UndefinedSymbolError. ``names``, when given, receives the names the text uses.
    """
    from symgrad.text.parse import _precheck

    _precheck(text)
    claim = known is not None
    known = set(known or ())
    context = _context(functions, tuple(shapes) + tuple(known), False, latex, claim)
    context.known_functions = context.known_functions | {"hadamard"}
    context.shapes = True
    context.matrices = frozenset(shapes)
    if latex:
        from symgrad.text.latex import lex_latex

        tokens = lex_latex(text, context)
    else:
        tokens = lex_text(text)
    tree = parse_tokens(tokens, text, context)
    builder = MatrixBuilder(text, context, shapes)
    try:
        node = builder.node(tree)
    except ShapeError as error:
        raise ShapeError(error.message) from None
    sizes = {str(s) for s in builder.sizes}
    if claim:
        undefined = sorted(builder.names - known - set(shapes) - sizes)
        if undefined:
            listed = ", ".join(undefined)
            raise UndefinedSymbolError(
                f"the claim uses {listed}, which neither the loss nor the shapes contain: "
                "write it out in the loss's names",
                tuple(undefined),
            )
    if names is not None:
        names |= builder.names
    return node, list(context.notes)


# ---------------------------------------------------------------- concrete sizes
@dataclass
class Instance:
    """Concrete sizes, the entry symbols of every declared matrix and the atoms made so far."""

    sizes: dict
    shapes: Mapping[str, tuple]
    leaves: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Exact symbolic entries grow with the sizes: declared numbers such as X=1000,1000
        (a million entries) are refused at once, as out of any time budget."""
        entries = sum(math.prod(self.dims(shape)) for shape in self.shapes.values())
        if entries > MAX_ENTRIES:
            shown = ", ".join(f"{name}={','.join(map(str, self.dims(shape)))}"
                              for name, shape in self.shapes.items())  # fmt: skip
            raise BudgetError(
                f"out of the time budget: the sizes {shown} need {entries} exact entries (the "
                f"limit is {MAX_ENTRIES}); declare sizes by name (e.g. --shape X=n,k), and "
                "symgrad checks every size"
            )

    def dims(self, shape: tuple) -> tuple[int, int]:
        return tuple(int(sympy.sympify(s).xreplace(self.sizes)) for s in shape)

    def matrix(self, name: str) -> sympy.Matrix:
        if name not in self.leaves:
            rows, cols = self.dims(self.shapes[name])
            if cols == 1 and self.shapes[name][1] == 1:
                entries = [[real_symbol(f"{name}_{i}")] for i in range(rows)]
            else:
                entries = [
                    [real_symbol(f"{name}_{i}_{j}") for j in range(cols)] for i in range(rows)
                ]
            self.leaves[name] = sympy.Matrix(entries)
        return self.leaves[name]


def evaluate(
    node: Node, instance: Instance, bound: Mapping[str, int] | None = None
) -> sympy.Matrix:
    """The node at concrete sizes: a SymPy Matrix of expressions in the entry symbols
    (each distinct subexpression evaluated once per instance)."""
    key = (node, tuple(sorted((bound or {}).items())))
    if key not in instance.values:
        instance.values[key] = _evaluate(node, instance, bound or {})
    return instance.values[key]


def _evaluate(node: Node, instance: Instance, bound: Mapping[str, int]) -> sympy.Matrix:
    kind = node.kind
    if kind == "scalar":
        value = sympy.sympify(node.data).xreplace(instance.sizes)
        return sympy.Matrix([[value]])
    if kind == "leaf":
        return instance.matrix(node.data)
    if kind == "row":
        base, index, _ = node.data
        matrix = instance.matrix(base)
        if matrix.cols == 1:
            return sympy.Matrix([[matrix[bound[index], 0]]])
        return matrix[bound[index], :].T
    parts = [evaluate(p, instance, bound) for p in node.parts] if kind != "indexsum" else []
    if kind == "transpose":
        return parts[0].T
    if kind == "matmul":
        return parts[0] * parts[1]
    if kind == "scale":
        a, b = parts
        if a.shape == (1, 1):
            return b.applyfunc(lambda e: a[0, 0] * e)
        return a.applyfunc(lambda e: e * b[0, 0])
    if kind == "inverse":
        return sympy.Matrix([[1 / parts[0][0, 0]]])
    if kind == "add":
        return _broadcast_add(parts[0], parts[1])
    if kind == "hadamard":
        return _broadcast_with(parts[0], parts[1], lambda x, y: x * y)
    if kind == "pow":
        return sympy.Matrix([[parts[0][0, 0] ** sympy.sympify(node.data)]])
    if kind == "norm":
        return sympy.Matrix([[sympy.sqrt(sum(e**2 for e in parts[0]))]])
    if kind == "sum":
        return sympy.Matrix([[sum(parts[0])]])
    if kind == "trace":
        return sympy.Matrix([[parts[0].trace()]])
    if kind == "apply":
        name, primes = node.data
        return parts[0].applyfunc(lambda e: _apply(name, primes, e, instance))
    if kind == "indexsum":
        index, size = node.data
        count = int(sympy.sympify(size).xreplace(instance.sizes))
        total = None
        for i in range(count):
            term = evaluate(node.parts[0], instance, {**bound, index: i})
            total = term if total is None else total + term
        return total
    raise ProblemError(f"cannot evaluate {kind}")


def _apply(name: str, primes: int, value: sympy.Expr, instance: Instance) -> sympy.Expr:
    if not primes:
        from symgrad.text.parse import KNOWN_FUNCTIONS

        return KNOWN_FUNCTIONS[name][0](value)
    variable, derivative = _derivative_template(name, primes)
    return derivative.xreplace({variable: value})


@functools.lru_cache(maxsize=64)
def _derivative_template(name: str, primes: int) -> tuple[sympy.Symbol, sympy.Expr]:
    """(u, f^(primes)(u)) once per function: differentiating per entry is slow."""
    from symgrad.text.parse import KNOWN_FUNCTIONS

    variable = sympy.Dummy("u", real=True)
    return variable, sympy.diff(KNOWN_FUNCTIONS[name][0](variable), variable, primes)


def _broadcast_add(a: sympy.Matrix, b: sympy.Matrix) -> sympy.Matrix:
    return _broadcast_with(a, b, lambda x, y: x + y)


def _broadcast_with(a: sympy.Matrix, b: sympy.Matrix, op) -> sympy.Matrix:
    """``op`` entry by entry, a scalar, row or column broadcast along the other operand."""
    rows, cols = max(a.rows, b.rows), max(a.cols, b.cols)

    def entry(m: sympy.Matrix, i: int, j: int) -> sympy.Expr:
        return m[i if m.rows > 1 else 0, j if m.cols > 1 else 0]

    return sympy.Matrix(rows, cols, lambda i, j: op(entry(a, i, j), entry(b, i, j)))


# ---------------------------------------------------------------- the finite-size bound
def _merge(a: dict, b: dict, how) -> dict:
    return {k: how(a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b)}


def _dims(shape: tuple) -> dict:
    counts: dict = {}
    for size in shape:
        if isinstance(size, sympy.Symbol):
            counts[size] = counts.get(size, 0) + 1
    return counts


def _is_contraction(node: Node) -> bool:
    return node.kind not in ("leaf", "row", "scalar", "transpose") or (
        node.kind == "transpose" and _is_contraction(node.parts[0])
    )


def _symbolic(shape: tuple) -> set:
    return {size for size in shape if isinstance(size, sympy.Symbol)}


def _broadcast_dims(part: Node, whole: Node) -> set:
    """The size symbols along which ``part`` is repeated to fill ``whole``'s shape."""
    return {
        whole.shape[axis]
        for axis in (0, 1)
        if isinstance(whole.shape[axis], sympy.Symbol) and part.shape[axis] == 1
    }


@functools.lru_cache(maxsize=4096)
def flat_dims(node: Node) -> frozenset:
    """Size symbols along which some term of the node's entries may not depend on the index.

    Only a sum over such a dimension can make a coefficient depend on its size
    (``sum(X + 1) = sum(X) + n*k``); leaves vary along every dimension.
    """
    kind = node.kind
    if kind in ("leaf", "row", "scalar", "inverse", "pow", "norm", "sum", "trace"):
        return frozenset()
    parts = [flat_dims(p) for p in node.parts]
    if kind in ("transpose", "apply", "indexsum"):
        return parts[0]
    if kind in ("matmul", "scale"):
        return parts[0] | parts[1]
    if kind == "add":
        extra = _broadcast_dims(node.parts[0], node) | _broadcast_dims(node.parts[1], node)
        return parts[0] | parts[1] | frozenset(extra)
    if kind == "hadamard":
        first = parts[0] | _broadcast_dims(node.parts[0], node)
        second = parts[1] | _broadcast_dims(node.parts[1], node)
        return frozenset(first & second)
    raise ProblemError(f"no flatness rule for {kind}")


def index_counts(node: Node, opaque_atoms: bool = False) -> tuple[dict, dict, int]:
    """(t, d, depth): index values per dimension in any term, extra degree per dimension,
    and the nesting depth of atoms (nonlinear functions of contractions).

    The degree grows only where a sum runs over a dimension along which a term may be
    constant (see :func:`flat_dims`). With ``opaque_atoms`` (an expression that is
    compared, never differentiated) the inside of an atom adds no degree: the
    abstraction replaces it by independent entries.
    """
    kind = node.kind
    if kind == "leaf":
        return _dims(node.shape), {}, 0
    if kind == "row":
        return _dims(node.data[2]), {}, 0
    if kind == "scalar":
        return {}, _size_degrees(sympy.sympify(node.data)), 0
    results = [index_counts(p, opaque_atoms) for p in node.parts]
    counts = [r[0] for r in results]
    extra = {}
    for r in results:
        extra = _merge(extra, r[1], lambda x, y: x + y)
    depth = max((r[2] for r in results), default=0)

    def summed(sizes) -> None:
        for size in sizes:
            extra[size] = extra.get(size, 0) + 1

    if kind == "matmul":
        inner = node.parts[0].shape[1]
        total = _merge(counts[0], counts[1], lambda x, y: x + y)
        if isinstance(inner, sympy.Symbol):
            total[inner] = max(total.get(inner, 0) - 1, 1)
            if inner in flat_dims(node.parts[0]) & flat_dims(node.parts[1]):
                summed([inner])
        return total, extra, depth
    if kind in ("scale", "hadamard"):
        return _merge(counts[0], counts[1], lambda x, y: x + y), extra, depth
    if kind == "add":
        return _merge(counts[0], counts[1], max), extra, depth
    if kind in ("transpose",):
        return counts[0], extra, depth
    if kind in ("sum", "trace"):
        summed(_symbolic(node.parts[0].shape) & flat_dims(node.parts[0]))
        return counts[0], extra, depth
    if kind == "indexsum":
        _, size = node.data
        if isinstance(size, sympy.Symbol):
            summed([size])
        return counts[0], extra, depth
    if kind == "pow" and node.parts[0].kind == "norm" and _even(node.data):
        # ||v||^(2m) = (sum of squares)^m: a polynomial, not an atom
        vector = node.parts[0].parts[0]
        inner_t, inner_d, inner_depth = index_counts(vector, opaque_atoms)
        power = int(sympy.sympify(node.data))
        for size in _symbolic(vector.shape) & flat_dims(vector):
            inner_d = {**inner_d, size: inner_d.get(size, 0) + power // 2}
        return {k: v * power for k, v in inner_t.items()}, inner_d, inner_depth
    if kind == "pow":
        exponent = sympy.sympify(node.data)
        if exponent.is_Integer and exponent >= 0:
            power = int(exponent)
            return (
                {k: v * power for k, v in counts[0].items()},
                {k: v * power for k, v in extra.items()},
                depth,
            )
        return {}, extra, depth + 1
    if kind in ("norm", "inverse"):
        if kind == "norm" and not opaque_atoms:
            summed(_symbolic(node.parts[0].shape) & flat_dims(node.parts[0]))
        return {}, {} if opaque_atoms and kind == "norm" else extra, depth + 1
    if kind == "apply":
        if _is_contraction(node.parts[0]):
            return _dims(node.shape), {} if opaque_atoms else extra, depth + 1
        return counts[0], extra, depth
    raise ProblemError(f"no index count for {kind}")


def _even(exponent: object) -> bool:
    value = sympy.sympify(exponent)
    return bool(value.is_Integer and value > 0 and value % 2 == 0)


def _size_degrees(expr: sympy.Expr) -> dict:
    """Degree of each size symbol in a scalar coefficient (numerator plus denominator)."""
    numerator, denominator = sympy.fraction(sympy.together(expr))
    degrees = {}
    for symbol in expr.free_symbols:
        if symbol.is_integer and symbol.is_positive:
            try:
                degrees[symbol] = sympy.degree(numerator, symbol) + sympy.degree(
                    denominator, symbol
                )
            except sympy.PolynomialError:
                degrees[symbol] = 4
    return degrees


UNBOUNDED = math.inf


def numeric_sizes(node: Node) -> tuple[dict, set]:
    """Sizes that enter as numbers (``1/n``, ``n*X``, a power of such a factor): the degree
    each adds, which the finite-size argument must add to its bound; and the sizes that enter
    where no polynomial degree bounds them (inside a nonlinear function, an exponent, a root),
    for which no finite set of sizes decides every size."""
    kind = node.kind
    if kind == "scalar":
        value = sympy.sympify(node.data)
        sizes = {s for s in value.free_symbols if s.is_integer and s.is_positive}
        if not sizes:
            return {}, set()
        if value.is_rational_function(*sizes):
            return _size_degrees(value), set()
        return {}, sizes
    degrees: dict = {}
    unbounded: set = set()
    for part in node.parts:
        d, u = numeric_sizes(part)
        degrees = _merge(degrees, d, lambda x, y: x + y)
        unbounded |= u
    if kind == "pow":
        exponent = sympy.sympify(node.data)
        unbounded |= {s for s in exponent.free_symbols if s.is_integer and s.is_positive}
        if exponent.is_Integer:
            degrees = {k: v * abs(int(exponent)) for k, v in degrees.items()}
        else:
            unbounded |= set(degrees)
    if kind in ("apply", "norm"):
        unbounded |= set(degrees)
    if kind == "indexsum":
        _, size = node.data
        unbounded |= {s for s in sympy.sympify(size).free_symbols} - {size}
    return degrees, unbounded


def _with_numeric_sizes(bounds: dict, nodes: Sequence[Node]) -> dict:
    bounds = dict(bounds)
    for node in nodes:
        degrees, unbounded = numeric_sizes(node)
        for size, degree in degrees.items():
            bounds[size] = bounds.get(size, 1) + degree
        for size in unbounded:
            bounds[size] = UNBOUNDED
    return bounds


def size_bounds(loss: Node, claim: Node, parameter_shape: tuple) -> dict:
    """The largest size of each dimension that the finite-size argument needs checked."""
    t_loss, d_loss, depth = index_counts(loss)
    t_claim, d_claim, _ = index_counts(claim, opaque_atoms=True)
    param = _dims(parameter_shape)
    bounds = {}
    for dim in set(t_loss) | set(t_claim) | set(param) | set(d_loss) | set(d_claim):
        t = max(t_loss.get(dim, 0) + param.get(dim, 0) * (1 + depth), t_claim.get(dim, 0), 1)
        d = max(d_loss.get(dim, 0), d_claim.get(dim, 0))
        bounds[dim] = t + d
    return _with_numeric_sizes(bounds, (loss, claim))


def equality_bounds(first: Node, second: Node) -> dict:
    """The sizes the finite-size argument needs for ``first == second`` (no derivative)."""
    t_a, d_a, _ = index_counts(first, opaque_atoms=True)
    t_b, d_b, _ = index_counts(second, opaque_atoms=True)
    dims = set(t_a) | set(t_b) | set(d_a) | set(d_b)
    dims |= {s for node in (first, second) for s in node.shape if isinstance(s, sympy.Symbol)}
    bounds = {
        dim: max(t_a.get(dim, 0), t_b.get(dim, 0), 1) + max(d_a.get(dim, 0), d_b.get(dim, 0))
        for dim in dims
    }
    return _with_numeric_sizes(bounds, (first, second))


def size_combinations(bounds: Mapping, cap: int = MAX_SIZE) -> tuple[list[dict], bool]:
    """Every assignment of sizes 1..bound (capped); the flag says whether the cap cut some."""
    dims = sorted(bounds, key=str)
    ranges = [range(1, min(bounds[d], cap) + 1) for d in dims]
    complete = all(bounds[d] <= cap for d in dims)
    combos = [dict(zip(dims, values)) for values in itertools.product(*ranges)]
    combos.sort(key=lambda c: (sum(c.values()), tuple(c[d] for d in dims)))
    if len(combos) > MAX_COMBINATIONS:
        combos, complete = combos[:MAX_COMBINATIONS], False
    return combos, complete
