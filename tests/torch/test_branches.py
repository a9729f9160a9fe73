"""Identical branches: sub-networks exchanged wholesale (summed, or concatenated with the next
layer's column blocks), only when their parameters are equal; torch's training agrees."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import symgrad  # noqa: E402
from symgrad.torch.branches import branch_sets, signatures  # noqa: E402
from tests.torch import everyday  # noqa: E402
from tests.torch.support import seeded, separates, stays_equal  # noqa: E402


def two_nets_copy():
    model = seeded(everyday.TwoNets())
    model.n2.load_state_dict(model.n1.state_dict())
    return model


def branches_copy():
    model = seeded(everyday.Branches())
    with torch.no_grad():
        model.b.weight.copy_(model.a.weight)
        model.b.bias.copy_(model.a.bias)
        model.out.weight[:, 3:] = model.out.weight[:, :3]
    return model


def test_two_identical_sub_networks_summed_stay_identical():
    traced = symgrad.from_torch(two_nets_copy(), (3, 4))
    proof = symgrad.prove(traced)
    assert proof.verdict == "proven", proof.to_text()
    assert "together" in proof.method
    assert stays_equal(two_nets_copy, (3, 4), [("n1.0.weight[0, 0]", "n2.0.weight[0, 0]"),
                                               ("n1.2.bias[1]", "n2.2.bias[1]")])  # fmt: skip


def test_two_identical_branches_concatenated_stay_identical():
    proof = symgrad.prove(symgrad.from_torch(branches_copy(), (3, 4)))
    assert proof.verdict == "proven", proof.to_text()
    assert stays_equal(branches_copy, (3, 4), [("a.weight[1, 2]", "b.weight[1, 2]"),
                                               ("out.weight[0, 1]", "out.weight[0, 4]")])  # fmt: skip


def test_branches_with_different_outgoing_columns_are_not_exchanged():
    def build():
        model = branches_copy()
        with torch.no_grad():
            model.out.weight[0, 4] += 0.5
        return model

    proof = symgrad.prove(symgrad.from_torch(build(), (3, 4)),
                          ties=["a.weight[1]=b.weight[1]"])  # fmt: skip
    assert proof.verdict == "refuted"
    assert separates(build, (3, 4), proof.witness.pair)


def test_signatures_see_through_parameters_but_not_through_different_ops():
    class Mixed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b, self.c = nn.Linear(4, 3), nn.Linear(4, 3), nn.Linear(4, 3)

        def forward(self, x):
            return torch.tanh(self.a(x)) + torch.tanh(self.b(x)) + torch.relu(self.c(x))

    model = seeded(Mixed())
    model.b.load_state_dict(model.a.state_dict())
    model.c.load_state_dict(model.a.state_dict())
    traced = symgrad.from_torch(model, (2, 4))
    values = dict(traced.graph.parameters)
    (found,) = branch_sets(traced.graph, values)
    assert found.count == 2 and found.kind == "sum"
    assert sorted(found.params) == [("a.bias", "a.weight"), ("b.bias", "b.weight")]
    assert len(set(signatures(traced.graph).values())) < len(traced.graph.ops)
    assert branch_sets(traced.graph, None) == []


@pytest.mark.slow
def test_k_heads_in_a_module_list_concatenated():
    class Heads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = nn.ModuleList([nn.Linear(4, 2) for _ in range(3)])
            self.out = nn.Linear(6, 1)

        def forward(self, x):
            return self.out(torch.cat([torch.relu(h(x)) for h in self.heads], dim=-1))

    def build():
        model = seeded(Heads())
        with torch.no_grad():
            for head in model.heads[1:]:
                head.load_state_dict(model.heads[0].state_dict())
            model.out.weight[:, 2:4] = model.out.weight[:, 0:2]
            model.out.weight[:, 4:6] = model.out.weight[:, 0:2]
        return model

    result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
    branch = [s for s in result.symmetries if s["unit"] == "branches"]
    assert branch and branch[0]["units"] == 3 and branch[0]["effective_width"] == 1
    assert symgrad.prove(symgrad.from_torch(build(), (3, 4))).verdict == "proven"
    assert stays_equal(build, (3, 4), [g for g in result.groups if len(g) > 1])
