"""Joint symmetries: classes of dimensions that span several layers, each kind checked against
torch's own training (the truth), and the dimension algebra itself (unify, split, reshape)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402

import symgrad  # noqa: E402
from symgrad.torch.axes import Dims, _groups  # noqa: E402
from tests.torch import everyday  # noqa: E402
from tests.torch.support import constant, seeded, separates, stays_equal  # noqa: E402


def _groups_of(result):
    return [g for g in result.groups if len(g) > 1]


@pytest.mark.slow
def test_residual_stream_moves_with_the_layer_that_writes_it():
    """relu(inp(x)) + tanh(f1(h)) + tanh(f2(h)): inp's units, f1's and f2's rows and columns and
    out's columns are one class; at a constant init all of them stay tied."""
    build = lambda: constant(everyday.ResidualMLP())  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
    assert result.layers["inp"]["effective_width"] == 1
    assert set(result.layers["inp"]["moves_with"]) == {"f1", "f2"}
    assert stays_equal(build, (3, 4), _groups_of(result))


def test_a_residual_block_around_the_input_frees_only_its_hidden_units():
    build = lambda: constant(everyday.ResidualBlock())  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
    assert result.layers["w1"]["effective_width"] == 1
    assert result.layers["w2"]["effective_width"] is None  # its units are the input's
    assert result.layers["w2"]["reason"]
    assert stays_equal(build, (3, 4), _groups_of(result))


def test_a_module_used_twice_permutes_its_rows_and_columns_together():
    build = lambda: constant(everyday.UsedTwice())  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
    assert result.layers["f"]["effective_width"] == 1
    assert result.layers["f"]["moves_with"] == ["inp"]
    assert stays_equal(build, (3, 4), _groups_of(result))


@pytest.mark.slow
def test_attention_heads_move_q_k_v_and_the_output_projection_together():
    """MultiheadAttention: the head axis is a factor of the projections' rows and of the
    output projection's columns; at a constant init heads and their dimensions stay tied."""
    build = lambda: constant(everyday.MHA())  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (2, 3, 3)))
    heads = [s for s in result.symmetries if s["unit"] == "heads"]
    assert heads and heads[0]["units"] == 2 and heads[0]["effective_width"] == 1
    assert any("att.in_proj_weight" in s["tensors"] and "att.out_proj.weight" in s["tensors"]
               for s in result.symmetries)  # fmt: skip
    assert stays_equal(build, (2, 3, 3), _groups_of(result))


@pytest.mark.slow
def test_hand_written_attention_heads_too():
    build = lambda: constant(everyday.Attention())  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (2, 3, 8)))
    assert any(s["units"] == 2 for s in result.symmetries)  # the 2 heads of d // heads
    assert stays_equal(build, (2, 3, 8), _groups_of(result))


def test_an_lstm_permutes_its_four_gates_alike():
    build = lambda: constant(everyday.LSTMCellNet())  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (2, 3, 3)))
    assert (
        result.layers["cell"]
        == {
            "units": 4,
            "effective_width": 1,
            "unit": "neurons",
            "argument": "permutations of its units leave the loss unchanged",
            "moves_with": ["out"],
        }
        or result.layers["cell"]["effective_width"] == 1
    )
    assert stays_equal(build, (2, 3, 3), _groups_of(result), steps=60)


@pytest.mark.slow
def test_a_duplicated_lstm_unit_is_proven_and_a_half_copy_is_refuted():
    def duplicated(rows_only: bool):
        model = seeded(everyday.LSTMNet(), 4)
        hidden = 4
        with torch.no_grad():
            lstm = model.lstm
            for gate in range(4):
                for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                    tensor = getattr(lstm, name)
                    tensor[gate * hidden + 1] = tensor[gate * hidden + 0]
            if not rows_only:
                w = lstm.weight_hh_l0
                w[:, 1] = w[:, 0]
                for gate in range(4):
                    w[gate * hidden + 1, 1] = w[gate * hidden + 0, 0]
                    w[gate * hidden + 1, 0] = w[gate * hidden + 0, 1]
                model.out.weight[:, 1] = model.out.weight[:, 0]
        return model

    proof = symgrad.prove(symgrad.from_torch(duplicated(False), (2, 3, 3)))
    assert proof.verdict == "proven", proof.to_text()
    assert stays_equal(lambda: duplicated(False), (2, 3, 3),
                       [("lstm.weight_ih_l0[0, 0]", "lstm.weight_ih_l0[1, 0]"),
                        ("lstm.weight_hh_l0[0, 0]", "lstm.weight_hh_l0[0, 1]")])  # fmt: skip
    refuted = symgrad.prove(symgrad.from_torch(duplicated(True), (2, 3, 3)))
    assert refuted.verdict == "refuted"
    assert separates(lambda: duplicated(True), (2, 3, 3), refuted.witness.pair)


# ---------------------------------------------------------------- the dimension algebra
def test_unify_links_atoms_and_refines_an_atom_into_a_product():
    dims = Dims()
    a, b = dims.new(6), dims.new(6)
    dims.unify(a, b)
    assert dims.find(a) == dims.find(b)
    h, d = dims.split(a, [2, 3], "product", "regrouped")
    assert dims.kind[dims.find(b)] == "product"
    assert [dims.find(f) for f in dims.factors(b)] == [dims.find(h), dims.find(d)]


def test_conflicting_structures_pin_instead_of_guessing():
    dims = Dims()
    left = dims.product([dims.new(2), dims.new(3)])
    right = dims.product([dims.new(3), dims.new(2)])
    dims.unify(left, right, "regrouped")
    assert dims.find(left) in dims.pinned_roots()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_groupings_multiply_to_the_same_sizes(left, data):
    """Property: _groups pairs consecutive runs with equal products, or refuses."""
    right = data.draw(st.permutations(left)) if data.draw(st.booleans()) else list(left)
    groups = _groups(left, right, multiplicative=True)
    if groups is None:
        return
    for (i0, i1), (j0, j1) in groups:
        assert np.prod(left[i0:i1]) == np.prod(right[j0:j1])


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(
        [
            ((2, 6), (2, 2, 3)),
            ((2, 3, 4), (6, 4)),
            ((4, 6), (4, 2, 3)),
            ((3, 8), (3, 2, 4)),
            ((2, 12), (2, 3, 4)),
        ]
    ),  # fmt: skip
    st.integers(0, 10_000),
)
def test_a_reshape_commutes_with_the_permutations_it_allows(shapes, seed):
    """Metamorphic: permuting the units of a free factor before a reshape equals permuting the
    reshaped tensor the way the classes say (the reshape rule is equivariant)."""
    from symgrad.torch.axis_rules import _reshape
    from symgrad.torch.graph import Op
    from symgrad.torch.symmetry import axis_permutation

    source, target = shapes
    dims = Dims()
    nodes = [dims.new(s) for s in source]
    out = _reshape(dims, None, Op("r", "reshape", attrs=(("shape", target),)), [nodes], target)
    rng = np.random.default_rng(seed)
    array = rng.standard_normal(source)

    class Classes:
        pass

    classes = Classes()
    classes.dims = dims
    leaves = {dims.find(f) for n in out for f in _atoms(dims, n)}
    for root in leaves:
        if dims.size[root] < 2:
            continue
        u, v = rng.choice(dims.size[root], 2, replace=False)
        before = [axis_permutation(classes, n, root, int(u), int(v)) for n in nodes]
        after = [axis_permutation(classes, n, root, int(u), int(v)) for n in out]
        moved = array[np.ix_(*[p if p is not None else np.arange(s)
                               for p, s in zip(before, source)])]  # fmt: skip
        expected = array.reshape(target)[np.ix_(*[p if p is not None else np.arange(s)
                                                  for p, s in zip(after, target)])]  # fmt: skip
        assert np.array_equal(moved.reshape(target), expected)


def _atoms(dims: Dims, node: int) -> list[int]:
    root = dims.find(node)
    if dims.kind[root] == "atom":
        return [root]
    return [a for c in dims.children[root] for a in _atoms(dims, c)]


def test_a_sequential_without_free_units_claims_nothing():
    model = constant(nn.Sequential(nn.Linear(3, 2)))
    result = symgrad.collapse(symgrad.from_torch(model, (1, 3)))
    assert result.layers["0"]["effective_width"] is None
    assert result.verdict in ("refuted", "unknown")
