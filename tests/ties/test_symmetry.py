"""The permutation route on the loss graph: a symmetry found there is one for SymPy too, the
node map it produces is what the certificate checks, and the presets need one cyclic shift
of the neurons per hidden layer."""

import random

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from symgrad import model
from symgrad.exact import functions as fn
from symgrad.exact.graph import ExprGraph
from symgrad.text.parse import real_symbol
from symgrad.ties.independent import node_map_holds, reachable_nodes
from symgrad.ties.symmetry import is_symmetry, node_map, orbits, symmetry_proof

a, b, c, x, y = (real_symbol(n) for n in "abcxy")
SYMBOLS = [a, b, c, x, y]
PERMUTATIONS = [{a: b, b: a}, {a: b, b: c, c: a}, {a: c, c: a}, {x: y, y: x}]

trees = st.recursive(
    st.sampled_from([*SYMBOLS, sympy.Integer(3)]),
    lambda inner: st.tuples(
        st.sampled_from(["add", "mul", "tanh", "pow", "max"]),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=12,
)


def _expression(tree):
    if not isinstance(tree, tuple):
        return tree
    op, children = tree
    args = [_expression(t) for t in children]
    if op == "add":
        return sympy.Add(*args)
    if op == "mul":
        return sympy.Mul(*args)
    if op == "tanh":
        return sympy.tanh(args[0])
    if op == "pow":
        return args[0] ** 3
    return fn.Max(*args)


def _symmetrised(tree, sigma):
    """expr + sigma(expr) + sigma^2(expr) + ...: symmetric under sigma by construction."""
    expr = _expression(tree)
    total, image = expr, expr
    for _ in range(len(sigma) - 1):
        image = image.xreplace(sigma)
        total += image
    return total


@given(trees, st.sampled_from(PERMUTATIONS))
def test_a_symmetry_on_the_graph_is_a_symmetry_for_sympy(tree, sigma):
    expr = _expression(tree)
    if is_symmetry(expr, sigma):
        assert expr.xreplace(sigma) == expr


@given(trees, st.sampled_from(PERMUTATIONS))
def test_symmetric_by_construction_is_found_and_its_node_map_holds(tree, sigma):
    expr = _symmetrised(tree, sigma)
    assert expr.xreplace(sigma) == expr
    graph = ExprGraph.from_sympy(expr)
    nodes = graph.below(graph.root)
    images = node_map(graph, sigma, nodes)
    assert images[graph.root] == graph.root
    assert node_map_holds(graph, sigma, images, reachable_nodes(graph))


@given(trees, st.sampled_from(PERMUTATIONS), st.data())
def test_a_node_map_with_one_entry_changed_is_refused(tree, sigma, data):
    expr = _symmetrised(tree, sigma)
    graph = ExprGraph.from_sympy(expr)
    assume(graph.size > 1)
    images = node_map(graph, sigma, graph.below(graph.root))
    nodes = reachable_nodes(graph)
    moved = [i for i in nodes if images[i] != i or graph.heads[i] is None]
    i = data.draw(st.sampled_from(moved))
    forged = list(images)
    forged[i] = data.draw(st.sampled_from([j for j in range(graph.size) if j != images[i]]))
    assert not node_map_holds(graph, sigma, forged, nodes)


def test_the_identity_node_map_does_not_prove_a_swap():
    graph = ExprGraph.from_sympy((y - a * x - b * x) ** 2)
    identity = list(range(graph.size))
    assert not node_map_holds(graph, {a: b, b: a}, identity, reachable_nodes(graph))


def test_an_asymmetric_loss_is_not_a_symmetry():
    assert not is_symmetry(a * x + b * y, {a: b, b: a})
    assert is_symmetry(a * x + b * x, {a: b, b: a})
    assert is_symmetry(fn.Max(a * x, b * x) ** 2, {a: b, b: a})
    assert not is_symmetry(a**b, {a: b, b: a})


def test_an_opaque_node_is_never_identified_with_its_image():
    loss = sympy.Subs(a * x, x, 1) + sympy.Subs(b * x, x, 1)
    assert loss.xreplace({a: b, b: a}) == loss
    assert not is_symmetry(loss, {a: b, b: a})  # conservative: no proof, never a wrong one


@pytest.mark.parametrize("hidden", ["2", "3", "4,3", "5,2,3"])
def test_a_preset_needs_one_cyclic_shift_per_hidden_layer(hidden):
    net = model("mlp", inputs=2, hidden=hidden, activation="tanh", samples=2)
    groups = net.identical_groups()
    proof = symmetry_proof(net.graph, net.parameters, groups, net.symmetries())
    assert proof is not None
    assert len(proof.generators) == len(hidden.split(","))
    assert set(orbits(net.parameters, proof.generators)) == {frozenset(g) for g in groups}
    nodes = reachable_nodes(net.graph)
    for sigma, images in zip(proof.generators, proof.node_maps):
        assert node_map_holds(net.graph, sigma, images, nodes)
        # the written-out SymPy loss is symmetric too (a second engine agrees)
        assert net.loss.xreplace(sigma) == net.loss


def test_a_tie_across_roles_has_no_permutation_proof():
    net = model("two-layer", inputs=2, hidden=3, activation="tanh")
    groups = [tuple(net.parameters[:2]), *((p,) for p in net.parameters[2:])]
    assert symmetry_proof(net.graph, net.parameters, groups, net.symmetries()) is None


def test_a_random_relabelling_of_a_symmetric_sum_is_found():
    rng = random.Random(3)
    ws = [real_symbol(f"w{i}") for i in range(6)]
    loss = sympy.Add(*(sympy.tanh(w * x + y) ** 2 for w in ws))
    shuffled = ws[:]
    rng.shuffle(shuffled)
    sigma = {u: v for u, v in zip(ws, shuffled) if u != v}
    assert is_symmetry(loss, sigma)


def test_a_parameter_left_out_of_the_partition_is_a_block_of_its_own():
    loss = (y - a * x - b * x - c * x) ** 2
    # c is left out: a swap of a and c must not count, a swap of a and b proves (a, b)
    proof = symmetry_proof(loss, [a, b, c], [(a, b)], [{a: c, c: a}, {a: b, b: a}])
    assert proof is not None and proof.generators == ({a: b, b: a},)
    # a candidate that moves a data symbol is never used
    assert symmetry_proof(loss, [a, b], [(a, b)], [{a: b, b: a, x: y, y: x}]) is None
