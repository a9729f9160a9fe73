"""The verdicts of the PyTorch bridge on the cases the issue found wrong, each checked against
torch's own training: train-mode randomness, frozen parameters, widths where nothing is
claimed, zero inits through residual paths, a model that returns one number."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402, N812

import symgrad  # noqa: E402
from tests.torch import everyday  # noqa: E402
from tests.torch.support import constant, separates, stays_equal, trained  # noqa: E402


def test_train_mode_dropout_claims_nothing_about_the_units_it_masks():
    """Dropout in train mode gives each unit its own mask: the layer before it is never
    claimed (torch's rows differ), the layer after it still is (same masked input)."""
    build = lambda: constant(everyday.dropout_mlp()).train()  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
    assert result.layers["0"]["effective_width"] is None
    assert "dropout" in result.layers["0"]["reason"]
    assert result.layers["3"]["effective_width"] == 1
    assert separates(build, (3, 4), ("0.weight[0, 0]", "0.weight[1, 0]"))
    assert stays_equal(build, (3, 4), [g for g in result.groups if len(g) > 1])
    assert any("train mode" in note for note in result.notes)


def test_train_mode_dropout_is_refuted_with_a_mask_and_rechecked():
    build = lambda: constant(everyday.dropout_mlp()).train()  # noqa: E731
    proof = symgrad.prove(symgrad.from_torch(build(), (3, 4)), ties=["0.weight[0]=0.weight[1]"])
    assert proof.verdict in ("refuted", "unknown")
    if proof.verdict == "refuted":
        assert "autograd agrees" in proof.certificate


def test_eval_mode_dropout_is_the_identity():
    build = lambda: constant(everyday.dropout_mlp()).eval()  # noqa: E731
    result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
    assert result.layers["0"]["effective_width"] == 1
    assert any("eval mode" in note for note in result.notes)


@pytest.mark.slow
def test_batch_norm_reads_the_mode_and_keeps_its_claims_in_both():
    for mode in ("train", "eval"):
        build = lambda: getattr(constant(everyday.batch_norm_mlp()), mode)()  # noqa: E731, B023
        result = symgrad.collapse(symgrad.from_torch(build(), (3, 4)))
        assert result.verdict == "proven"
        assert stays_equal(build, (3, 4), [g for g in result.groups if len(g) > 1], steps=40)
        assert any(("batch statistics" if mode == "train" else "running") in n
                   for n in result.notes)  # fmt: skip


def test_frozen_parameters_never_move_and_witnesses_agree_with_autograd():
    def build():
        model = constant(nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1)))
        model[0].weight.requires_grad_(False)
        return model

    proof = symgrad.prove(symgrad.from_torch(build(), (3, 4)))
    assert proof.verdict == "refuted"
    assert "autograd agrees" in proof.certificate
    frozen_side = [n for n in proof.witness.pair if n.startswith("0.weight")]
    for name in frozen_side:
        assert proof.witness.gradients[name] == 0  # a frozen entry moves by nothing
    assert separates(build, (3, 4), proof.witness.pair)
    ties = symgrad.prove(symgrad.from_torch(build(), (3, 4)),
                         ties=["0.weight[0, 0]=0.weight[0, 1]"])  # fmt: skip
    assert ties.verdict == "proven"  # two frozen entries: neither ever moves
    params = trained(build, (3, 4))
    assert float(params["0.weight"][0, 0]) == float(params["0.weight"][0, 1])


def test_a_frozen_layer_collapses_because_it_never_moves_not_by_a_symmetry():
    """A constant frozen layer before a random one: its units stay equal because they are
    frozen; no swap of them is a symmetry (the next layer's columns differ), and the text
    and JSON say so, never that swapping leaves the loss unchanged."""

    def build():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        nn.init.constant_(model[0].weight, 0.3)
        nn.init.constant_(model[0].bias, 0.1)
        model[0].requires_grad_(False)
        return model

    result = symgrad.collapse(symgrad.from_torch(build(), (2, 3)))
    layer = result.layers["0"]
    assert result.verdict == "proven" and layer["effective_width"] == 1
    assert "frozen" in layer["argument"] and "permutation" not in layer["argument"]
    line = next(line for line in str(result).splitlines() if line.strip().startswith("layer 0"))
    assert "frozen" in line and "swapping" not in line
    assert stays_equal(build, (2, 3), [g for g in result.groups if len(g) > 1])


def test_no_width_where_nothing_is_claimed_and_never_proven_without_groups():
    class TwiceOnTheStream(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.f = nn.Linear(4, 4)

        def forward(self, x):
            return x + self.f(x + self.f(x))

    result = symgrad.collapse(symgrad.from_torch(constant(TwiceOnTheStream()), (2, 4)))
    payload = result.to_dict()
    assert payload["layers"]["f"]["effective_width"] is None
    assert payload["layers"]["f"]["reason"]
    assert payload["effective_width"] == [None]
    assert not (payload["verdict"] == "proven" and not payload["groups"])
    assert json.loads(json.dumps(payload))["verdict"] in ("refuted", "unknown")


@pytest.mark.parametrize("combine", ["add", "mul"])
def test_zero_init_through_a_residual_path_does_not_crash_and_is_proven(combine):
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            hidden = F.relu(self.fc(x))
            return x + hidden if combine == "add" else x * hidden

    build = lambda: constant(Net(), 0.0)  # noqa: E731
    proof = symgrad.prove(symgrad.from_torch(build(), (2, 4)))
    assert proof.verdict == "proven"  # relu'(0) = 0: fc never moves
    params = trained(build, (2, 4), steps=30)
    assert float(params["fc.weight"].detach().abs().max()) == 0.0


def test_a_model_that_returns_one_number():
    class Summed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return torch.tanh(self.fc(x)).sum()

    traced = symgrad.from_torch(constant(Summed()), (2, 4))
    assert symgrad.prove(traced).verdict == "refuted"
    as_loss = symgrad.from_torch(constant(Summed()), (2, 4), loss="output")
    result = symgrad.collapse(as_loss)
    assert result.verdict == "proven"
    assert result.layers["fc"]["effective_width"] == 1  # the sum treats the 3 units alike


def test_json_groups_are_index_ranges_unless_full():
    model = constant(nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4)))
    result = symgrad.collapse(symgrad.from_torch(model, (1, 64)))
    compact = json.dumps(result.to_dict()["groups"])
    full = json.dumps(result.to_dict(full=True)["groups"])
    assert len(compact) * 8 < len(full)
    assert result.to_dict()["tensors"]["0.weight"]["groups"] == 64
    assert result.to_dict()["groups"][0] == ["0.weight[0..31, 0]"]


def test_a_model_without_parameters_is_bad_input():
    with pytest.raises(symgrad.ProblemError, match="no parameters"):
        symgrad.from_torch(nn.ReLU(), (1, 4))


def test_a_scalar_parameter_is_an_entry_like_any_other():
    class Tempered(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc, self.out = nn.Linear(4, 6), nn.Linear(6, 2)
            self.temperature = nn.Parameter(torch.tensor(2.0))

        def forward(self, x):
            return self.out(torch.tanh(self.fc(x) / self.temperature))

    result = symgrad.collapse(symgrad.from_torch(constant(Tempered()), (2, 4)))
    assert result.layers["fc"]["effective_width"] == 1
    assert symgrad.prove(symgrad.from_torch(constant(Tempered()), (2, 4))).verdict == "refuted"


def test_attention_dropout_in_train_mode_names_the_heads_it_cannot_claim():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp, self.head = nn.Linear(3, 8), nn.Linear(8, 1)
            self.att = nn.MultiheadAttention(8, 2, dropout=0.2, batch_first=True)

        def forward(self, x):
            e = torch.tanh(self.inp(x))
            a, _ = self.att(e, e, e)
            return self.head(a.mean(1))

    result = symgrad.collapse(symgrad.from_torch(constant(Net()).train(), (2, 4, 3)))
    assert result.layers["att"]["units"] == 2
    assert result.layers["att"]["effective_width"] is None
    assert "dropout" in result.layers["att"]["reason"]


def test_a_parameter_the_loss_never_reads_never_moves_and_is_still_tied():
    """An unused layer at the same value as the used ones: it never moves (torch leaves its
    gradient None), so ties between it and a moving entry break, ties inside it hold."""

    class WithUnused(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc, self.unused, self.out = nn.Linear(3, 4), nn.Linear(3, 4), nn.Linear(4, 1)

        def forward(self, x):
            return self.out(torch.relu(self.fc(x)))

    build = lambda: constant(WithUnused(), 0.0)  # noqa: E731
    traced = symgrad.from_torch(build(), (2, 3))
    proof = symgrad.prove(traced)
    assert proof.verdict == "refuted"  # the output bias moves, everything else stays 0
    assert separates(build, (2, 3), proof.witness.pair)
    inside = symgrad.prove(traced, ties=["unused.weight[0]=unused.weight[1]"])
    assert inside.verdict == "proven"
    assert traced.graph.frozen >= {"unused.weight", "unused.bias"}
    assert symgrad.collapse(traced).layers["unused"]["reason"].startswith("the loss never reads")
