"""The expression graph: canonical numbers (equal exactly for equal trees up to the order of
+ * max min), the SymPy expression it stands for, and the facts read from it without a walk."""

import dataclasses

import sympy
from hypothesis import given
from hypothesis import strategies as st

from symgrad.exact import functions as fn
from symgrad.exact.dag import function_types, symbols_of, tree_size
from symgrad.exact.domain import domain_of, domain_of_graph
from symgrad.exact.graph import ExprGraph, LossField, graph_of, is_materialized
from symgrad.text.parse import real_symbol

a, b, c, x = (real_symbol(n) for n in "abcx")
LEAVES = [a, b, c, x, sympy.Integer(2), sympy.Rational(-1, 3)]


def _expression(tree, unevaluated_functions=False):
    """A SymPy expression (evaluated as usual) from a nested ('op', children) tree; with
    ``unevaluated_functions``, tanh and sigmoid of a symbolic argument are left as written,
    as the presets make them (``tanh(-a)`` is not turned into ``-tanh(a)``)."""
    if not isinstance(tree, tuple):
        return tree
    op, children = tree
    args = [_expression(t, unevaluated_functions) for t in children]

    def applied(function):
        if unevaluated_functions and not args[0].is_number:
            return function(args[0], evaluate=False)
        return function(args[0])

    return {
        "add": lambda: sympy.Add(*args),
        "mul": lambda: sympy.Mul(*args),
        "pow": lambda: sympy.Pow(args[0], 2),
        "tanh": lambda: applied(sympy.tanh),
        "max": lambda: fn.Max(*args),
        "sigmoid": lambda: applied(fn.sigmoid),
    }[op]()


trees = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.tuples(
        st.sampled_from(["add", "mul", "pow", "tanh", "max", "sigmoid"]),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=10,
)


@given(trees, trees)
def test_equal_numbers_exactly_for_equal_expressions(first, second):
    e1, e2 = _expression(first), _expression(second)
    graph = ExprGraph.from_sympy(sympy.Tuple(e1, e2))
    n1, n2 = graph.children[graph.root]
    assert (n1 == n2) == (e1 == e2)


@given(trees)
def test_a_graph_of_a_sympy_expression_answers_like_a_walk(tree):
    expr = _expression(tree)
    graph = ExprGraph.from_sympy(expr)
    assert graph.to_sympy() is expr
    assert graph.symbols() == symbols_of(expr)
    assert graph.head_types() == function_types(expr)
    assert graph.tree_size() == tree_size(expr)
    assert graph.size == len(graph.below(graph.root))


def test_commutative_arguments_are_numbered_in_canonical_order():
    graph = ExprGraph()
    na, nb = graph.leaf(a), graph.leaf(b)
    assert graph.add(na, nb) == graph.add(nb, na)
    assert graph.apply(fn.Max, na, nb) == graph.apply(fn.Max, nb, na)
    # not for a power
    assert graph.power(na, nb) != graph.power(nb, na)


def test_sums_and_products_flatten_like_sympy():
    graph = ExprGraph()
    na, nb, nc = graph.leaf(a), graph.leaf(b), graph.leaf(c)
    graph.root = graph.add(graph.add(na, nb), nc)
    assert graph.to_sympy() == a + b + c
    assert len(graph.children[graph.root]) == 3
    product = graph.mul(graph.mul(na, nb), nc)
    assert graph.to_sympy(product) == a * b * c


def test_negation_is_written_as_sympy_writes_it():
    graph = ExprGraph()
    na, nb = graph.leaf(a), graph.leaf(b)
    total = graph.add(graph.mul(na, graph.apply(sympy.tanh, nb)), nb)
    graph.root = graph.negate(total)
    assert graph.to_sympy() == -(a * sympy.tanh(b) + b)
    assert graph.to_sympy(graph.negate(graph.negate(graph.mul(na, nb)))) == a * b


@given(trees)
def test_a_built_graph_writes_out_the_same_expression(tree):
    """Building through the graph API gives what SymPy builds from the same operations."""
    graph = ExprGraph()

    def build(t):
        if not isinstance(t, tuple):
            return graph.leaf(t)
        op, children = t
        nodes = [build(u) for u in children]
        if op == "add":
            return graph.add(*nodes)
        if op == "mul":
            return graph.mul(*nodes)
        if op == "pow":
            return graph.power(nodes[0], graph.leaf(sympy.Integer(2)))
        if op == "max":
            return graph.apply(fn.Max, *nodes) if len(nodes) > 1 else nodes[0]
        head = {"tanh": sympy.tanh, "sigmoid": fn.sigmoid}[op]
        return graph.apply(head, nodes[0])

    graph.root = build(tree)
    written = graph.to_sympy()
    assert written == _expression(tree, unevaluated_functions=True)
    # and, evaluated, exactly SymPy's evaluated form
    assert written.doit() == _expression(tree)


def test_a_class_with_its_own_equality_stays_opaque():
    y = real_symbol("y")
    opaque = sympy.Subs(x * y, x, 1)  # Subs defines its own __eq__
    graph = ExprGraph.from_sympy(opaque + y)
    numbers = {graph.to_sympy(i): i for i in range(graph.size)}
    assert numbers[opaque] in graph.opaque  # (and its Tuple arguments, which define __eq__ too)
    assert numbers[y] not in graph.opaque
    assert graph.symbols() == {y}  # SymPy's free symbols: the bound x is left out


def test_domain_from_the_graph_looks_only_where_the_domain_can_shrink():
    harmless = ExprGraph.from_sympy((a - b) ** 2 + sympy.log(sympy.exp(a) + sympy.exp(b) + 1))
    assert domain_of_graph(harmless) == ()
    restricting = sympy.log(a) + sympy.sqrt(b - 1) + 1 / (c - 2)
    assert domain_of_graph(ExprGraph.from_sympy(restricting)) == domain_of(restricting)


@dataclasses.dataclass(frozen=True)
class _Holder:
    loss: sympy.Expr = LossField()


def test_a_loss_field_writes_out_sympy_once_and_only_when_read():
    graph = ExprGraph()
    graph.root = graph.add(graph.leaf(a), graph.apply(sympy.tanh, graph.leaf(b)))
    holder = _Holder(graph)
    assert graph_of(holder) is graph and not is_materialized(holder)
    assert holder.loss == a + sympy.tanh(b)
    assert holder.loss is holder.loss
    # replacing the field replaces both forms
    other = dataclasses.replace(holder, loss=a * b)
    assert other.loss == a * b and graph_of(other).to_sympy() == a * b
