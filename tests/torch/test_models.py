"""PyTorch models: traced, proven by unit permutations, refuted exactly, checked against torch."""

from __future__ import annotations

import json
import re
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402, N812
from typer.testing import CliRunner  # noqa: E402

import symgrad  # noqa: E402
from symgrad.cli import app  # noqa: E402
from symgrad.errors import ProblemError  # noqa: E402
from symgrad.torch.exact_tensor import (  # noqa: E402
    as_fraction,
    centre,
    enclosure_ends,
    gradients,
    is_rational,
)
from symgrad.torch.graph import ModelTraceError  # noqa: E402
from symgrad.torch.witnesses import witness_points as _points  # noqa: E402

runner = CliRunner()


def constant(model: nn.Module, value: float = 0.1) -> nn.Module:
    for p in model.parameters():
        nn.init.constant_(p, value)
    return model


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.norm = nn.LayerNorm(6)
        self.fc2 = nn.Linear(6, 6)
        self.out = nn.Linear(6, 2)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        h = h + F.silu(self.fc2(self.norm(h)))
        return self.out(h)


class Concat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 4)
        self.b = nn.Linear(3, 4)
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return self.out(torch.cat([F.softplus(self.a(x)), F.gelu(self.b(x))], dim=1))


class Functional(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 2 * 2, 2)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv(x)), 2)
        h = F.avg_pool2d(h, 2)
        return self.fc(torch.flatten(h, 1)) * 0.5


class FunctionalParams(nn.Module):
    """Parameters used through F.conv2d / F.linear / F.layer_norm, a view and F.dropout."""

    def __init__(self) -> None:
        super().__init__()
        self.cw = nn.Parameter(torch.randn(3, 1, 3, 3) * 0.3)
        self.cb = nn.Parameter(torch.randn(3) * 0.1)
        self.w1 = nn.Parameter(torch.randn(4, 12) * 0.3)
        self.b1 = nn.Parameter(torch.randn(4) * 0.1)
        self.ln_w = nn.Parameter(torch.ones(4))
        self.ln_b = nn.Parameter(torch.zeros(4))
        self.w2 = nn.Parameter(torch.randn(2, 4) * 0.3)

    def forward(self, x):
        h = F.max_pool2d(F.relu(F.conv2d(x, self.cw, self.cb, 1, 1)), 2)
        h = F.dropout(h, 0.5, training=self.training)
        h = torch.tanh(F.linear(h.view(h.size(0), -1), self.w1, self.b1))
        return F.linear(F.layer_norm(h, (4,), self.ln_w, self.ln_b), self.w2)


def conv1d():
    return nn.Sequential(
        nn.Conv1d(2, 4, 3), nn.Sigmoid(), nn.Flatten(), nn.Identity(), nn.Linear(4 * 6, 3)
    )


def conv2d():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 3, 2),
        nn.Tanh(),
        nn.AvgPool2d(1),
        nn.Flatten(),
        nn.Linear(3 * 2 * 2, 2),
    )


MODELS = {
    "linear-relu": (lambda: nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)), (1, 3)),
    "tanh-sigmoid": (
        lambda: nn.Sequential(
            nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2)
        ),
        (2, 3),
    ),
    "softplus-gelu-silu": (
        lambda: nn.Sequential(
            nn.Linear(2, 3),
            nn.Softplus(),
            nn.Linear(3, 3),
            nn.GELU(),
            nn.Linear(3, 3),
            nn.SiLU(),
            nn.Linear(3, 1),
        ),
        (1, 2),
    ),
    "residual-layernorm": (Residual, (1, 4)),
    "concat": (Concat, (1, 3)),
    "functional-conv-pools": (Functional, (1, 1, 8, 8)),
    "conv1d": (conv1d, (1, 2, 8)),
    "conv2d-pools": (conv2d, (1, 1, 8, 8)),
    "functional-params": (FunctionalParams, (1, 1, 4, 4)),
}


def float_params(model):
    return {k: v.detach().double().clone() for k, v in model.named_parameters()}


def train(model, example_shape, optimizer="sgd", steps=100, loss=F.mse_loss, seed=0):
    """Float64 training from the model's init (dropout off, as symgrad reads it)."""
    model = model.double().eval()
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*example_shape, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        y = torch.randn(*model(x).shape, generator=gen, dtype=torch.float64)
    params = list(model.parameters())
    opt = (
        torch.optim.SGD(params, lr=0.01)
        if optimizer == "sgd"
        else torch.optim.Adam(params, lr=1e-3)
    )
    for _ in range(steps):
        opt.zero_grad()
        loss(model(x), y).backward()
        opt.step()
    return dict(model.named_parameters())


def entry(params, name):
    tensor, index = re.match(r"(.+)\[(.*)\]\Z", name).groups()
    return float(params[tensor].detach()[tuple(int(i) for i in index.split(","))])


# ---------------------------------------------------------------- exact gradients
@pytest.mark.parametrize("name", sorted(MODELS))
def test_exact_gradients_agree_with_autograd(name):
    build, shape = MODELS[name]
    torch.manual_seed(3)
    model = build().double().eval()
    traced = symgrad.from_torch(model, shape)
    x, y, _ = _points(traced, 1, seed=5)[0]
    _, exact = gradients(traced.graph, traced.graph.parameters, x, y)
    tx = torch.tensor(np.asarray(x, dtype=float))
    ty = torch.tensor(np.asarray(y, dtype=float))
    model.zero_grad()
    F.mse_loss(model(tx), ty).backward()
    for key, parameter in model.named_parameters():
        for index, value in np.ndenumerate(exact[key]):
            assert abs(centre(value) - float(parameter.grad[index])) < 1e-9, (key, index)


@pytest.mark.parametrize("name", ["linear-relu", "functional-conv-pools"])
def test_cross_entropy_enclosures_agree_with_autograd(name):
    """Rational up to the loss: exact centres with a rigorous radius from the softmax."""
    build, shape = MODELS[name]
    torch.manual_seed(4)
    model = build().double()
    traced = symgrad.from_torch(model, shape, loss="cross-entropy")
    assert traced.graph.rational_until_loss
    x, y, _ = _points(traced, 1, seed=5)[0]
    _, exact = gradients(traced.graph, traced.graph.parameters, x, y)
    model.zero_grad()
    tx, ty = (torch.tensor(np.asarray(a, dtype=float)) for a in (x, y))
    F.cross_entropy(model(tx), ty).backward()
    for key, parameter in model.named_parameters():
        for index, value in np.ndenumerate(exact[key]):
            low, high = (value, value) if is_rational(value) else enclosure_ends(value)
            assert high - low < 1e-40
            assert abs(centre(value) - float(parameter.grad[index])) < 1e-9, (key, index)


# ---------------------------------------------------------------- proofs hold in torch
@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_proven_groups_stay_equal_in_torch_training(name, optimizer):
    build, shape = MODELS[name]
    model = constant(build(), 0.1)
    result = symgrad.collapse(symgrad.from_torch(model, shape), timeout=120)
    assert result.verdict == "proven"
    params = train(model, shape, optimizer)
    for group in result.groups:
        values = [entry(params, n) for n in group]
        scale = max(1.0, max(abs(v) for v in values))
        assert max(values) - min(values) <= 1e-10 * scale, group


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_split_witness_separates_in_torch(name):
    build, shape = MODELS[name]
    model = constant(build(), 0.1)
    traced = symgrad.from_torch(model, shape)
    result = symgrad.collapse(traced, timeout=120)
    assert result.witnesses, "a constant init always has pairs that must separate"
    points = {label: (x, y) for x, y, label in _points(traced, 2, seed=1)}
    for witness in result.witnesses[:5]:
        x, y = points[witness.point["input"]]
        trial = constant(build(), 0.1).double()
        tx = torch.tensor(np.asarray(x, dtype=float))
        ty = torch.tensor(np.asarray(y, dtype=float))
        opt = torch.optim.SGD(trial.parameters(), lr=0.1)
        for _ in range(witness.steps):
            opt.zero_grad()
            F.mse_loss(trial(tx), ty).backward()
            opt.step()
        params = dict(trial.named_parameters())
        a, b = (entry(params, n) for n in witness.pair)
        assert abs(a - b) > 1e-12, witness.pair


def test_layers_are_reported_by_module_name():
    model = constant(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)))
    result = symgrad.collapse(symgrad.from_torch(model, (1, 4)))
    payload = result.to_dict()
    assert payload["layers"]["0"]["units"] == 8
    assert payload["layers"]["0"]["effective_width"] == 1
    # no symmetry moves the output units: no width is claimed, and the reason is given
    assert payload["layers"]["2"]["effective_width"] is None
    assert payload["layers"]["2"]["reason"].startswith("its units reach the loss directly")
    assert ["0.weight[0, 1]", "0.weight[1, 1]"] == result.to_dict(full=True)["groups"][1][:2]
    assert payload["groups"][1] == ["0.weight[0..7, 1]"]
    assert "8 neurons behave as 1" in payload["summary"][0]


def test_named_modules_and_channels():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3)
            self.fc1 = nn.Linear(16 * 4 * 4, 2)

        def forward(self, x):
            return self.fc1(torch.flatten(torch.relu(self.conv1(x)), 1))

    result = symgrad.collapse(symgrad.from_torch(constant(Net()), (1, 1, 6, 6)))
    assert result.layers["conv1"] == {
        "units": 16,
        "effective_width": 1,
        "unit": "channels",
        "argument": "permutations of its units leave the loss unchanged",
    }
    assert result.summary()[0].startswith("conv1: 16 channels behave as 1")


# ---------------------------------------------------------------- symbolic route
def test_same_partition_as_the_symbolic_route():
    """A 2-2-1 tanh network small enough to expand: both routes give the same groups."""
    model = constant(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)), 0.25)
    torch_groups = {
        frozenset(g) for g in symgrad.collapse(symgrad.from_torch(model, (1, 2))).groups
    }
    names = {
        "a00": "0.weight[0, 0]",
        "a01": "0.weight[0, 1]",
        "a10": "0.weight[1, 0]",
        "a11": "0.weight[1, 1]",
        "b0": "0.bias[0]",
        "b1": "0.bias[1]",
        "v0": "2.weight[0, 0]",
        "v1": "2.weight[0, 1]",
        "c": "2.bias[0]",
    }
    loss = "(v0*tanh(a00*x0 + a01*x1 + b0) + v1*tanh(a10*x0 + a11*x1 + b1) + c - y)**2"
    init = ",".join(f"{k}=1/4" for k in names)
    symbolic = symgrad.collapse(loss, init=init, params=list(names))
    symbolic_groups = {frozenset(names[p] for p in g) for g in symbolic.groups if len(g) > 1}
    assert torch_groups == symbolic_groups


# ---------------------------------------------------------------- prove and refute
def duplicated(bias: bool, outgoing: bool) -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():
        model[0].weight[5] = model[0].weight[3]
        if bias:
            model[0].bias[5] = model[0].bias[3]
        if outgoing:
            model[2].weight[:, 5] = model[2].weight[:, 3]
    return model


def test_duplicated_row_alone_is_refuted_with_the_row_pair():
    traced = symgrad.from_torch(duplicated(bias=False, outgoing=False), (1, 6))
    result = symgrad.prove(traced, ties=["0.weight[3]=0.weight[5]"])
    assert result.verdict == "refuted"
    assert {n.split("[")[1][0] for n in result.witness.pair} == {"3", "5"}
    assert any("0.bias" in note for note in result.notes)


def test_duplicated_unit_is_proven():
    traced = symgrad.from_torch(duplicated(bias=True, outgoing=True), (1, 6))
    result = symgrad.prove(traced, ties=["0.weight[3]=0.weight[5]", "0.bias[3]=0.bias[5]"])
    assert result.verdict == "proven", result.to_text()
    params = train(duplicated(bias=True, outgoing=True), (1, 6), "adam")
    assert torch.allclose(params["0.weight"][3], params["0.weight"][5], rtol=1e-10, atol=0)


def test_zero_init_relu_first_layer_never_moves():
    """With zero init and relu'(0) = 0 the first layer (and the second layer's weights) never
    move: not by a permutation, but because their gradient is exactly 0 while they are 0."""
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), 0.0)
    traced = symgrad.from_torch(model, (1, 3))
    result = symgrad.prove(traced, ties=["0.weight[0, 0]=0.weight[0, 1]"])
    assert result.verdict == "proven", result.to_text()
    assert "never move" in result.method
    assert symgrad.prove(traced).verdict == "refuted"  # the output biases do separate
    for optimizer in ("sgd", "adam"):
        params = train(constant(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), 0.0),
                       (1, 3), optimizer)  # fmt: skip
        assert float(params["0.weight"].detach().abs().max()) == 0.0
        assert float(params["2.weight"].detach().abs().max()) == 0.0


def test_constant_init_prove_refutes_columns():
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    result = symgrad.prove(symgrad.from_torch(model, (1, 3)))
    assert result.verdict == "refuted"
    assert result.witness.certified_by == "exact rational arithmetic"


def test_cross_entropy_witness_uses_intervals():
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)))
    result = symgrad.prove(symgrad.from_torch(model, (1, 3), loss="cross-entropy"))
    assert result.verdict == "refuted"
    assert "interval" in result.witness.certified_by


def test_init_modes_and_bad_ties():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    traced = symgrad.from_torch(model, (1, 3))
    assert symgrad.collapse(traced, init="identical").layers["0"]["effective_width"] == 1
    assert symgrad.collapse(traced, init="constant").verdict == "proven"
    with pytest.raises(symgrad.TieError, match="did you mean"):
        symgrad.prove(traced, ties=["0.wieght[0]=0.weight[1]"])
    with pytest.raises(symgrad.TieError, match="out of range"):
        symgrad.prove(traced, ties=["0.weight[9]=0.weight[1]"])
    with pytest.raises(ProblemError, match="not one of"):
        symgrad.prove(traced, init="random")


def test_simulate_a_torch_model(tmp_path):
    pytest.importorskip("matplotlib")
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)))
    run = symgrad.simulate(symgrad.from_torch(model, (1, 3)), steps=20, lr=0.1)
    assert run.steps[-1] == 20 and len(run.max_difference) == len(run.steps)
    assert "float64" in run.to_text()
    first, second = run.parameters[:2]
    assert [row[0] for row in run.values] == [row[1] for row in run.values]  # a proven group
    run.plot(tmp_path / "run.png")
    run.write_csv(tmp_path / "run.csv")
    assert (tmp_path / "run.png").stat().st_size > 1000
    assert (tmp_path / "run.csv").read_text().startswith(f'step,"{first}"')


# ---------------------------------------------------------------- errors
def test_unsupported_module_is_named_with_the_supported_list():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2))
    with pytest.raises(ModelTraceError, match=r"1 \(Upsample\): .* supported: Linear") as error:
        symgrad.from_torch(model, (1, 1, 6, 6))
    assert len(str(error.value)) < 200


def test_untraceable_model_is_bad_input():
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            if x.sum() > 0:
                return self.fc(x)
            return x

    with pytest.raises(ModelTraceError, match="cannot trace"):
        symgrad.from_torch(Branchy(), (1, 2))


def test_without_torch_the_message_says_how_to_install(monkeypatch):
    from symgrad.torch.graph import require_torch

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ProblemError, match=r"pip install 'symgrad\[torch\]'"):
        require_torch()


@pytest.fixture()
def model_file(tmp_path):
    path = tmp_path / "nets.py"
    path.write_text(
        textwrap.dedent("""
        import torch
        from torch import nn

        def make_model():
            model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
            for p in model.parameters():
                nn.init.constant_(p, 0.1)
            return model

        def broken():
            raise RuntimeError("no weights file")
    """)
    )
    return path


def test_cli_collapse_and_prove(model_file):
    result = runner.invoke(
        app, ["collapse", "--torch", f"{model_file}:make_model", "--input-shape", "1,4", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["layers"]["0"] == {
        "units": 6,
        "effective_width": 1,
        "unit": "neurons",
        "argument": "permutations of its units leave the loss unchanged",
    }
    proof = runner.invoke(
        app, ["prove", "--torch", f"{model_file}:make_model", "--input-shape", "1,4"]
    )
    assert proof.exit_code == 1 and proof.stdout.startswith("REFUTED"), proof.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--torch", "{file}:broken", "--input-shape", "1,4"], "broken() raised RuntimeError"),
        (["--torch", "{file}:make_modle", "--input-shape", "1,4"], "did you mean"),
        (["--torch", "{file}:make_model"], "--input-shape"),
        (["--torch", "{file}:make_model", "--input-shape", "1,5"], "fails on an input"),
        (["--torch", "missing.py:make", "--input-shape", "1,4"], "not a Python file"),
        (["--torch", "{file}", "--input-shape", "1,4"], "FILE.py:FACTORY"),
        (["--torch", "{file}:make_model", "--input-shape", "a,b"], "positive sizes"),
    ],
)
def test_cli_bad_model_input_is_exit_2(model_file, arguments, message):
    arguments = [a.replace("{file}", str(model_file)) for a in arguments]
    result = runner.invoke(app, ["collapse", *arguments])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- review findings
def test_two_d_pooling_of_a_one_d_signal_is_refused():
    """MaxPool2d on (N, C, L) pools across channels: never a channel symmetry."""
    model = nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(12, 1))  # fmt: skip
    with pytest.raises(ModelTraceError, match=r"needs \(batch, channels"):
        symgrad.from_torch(constant(model), (1, 1, 14))


@pytest.mark.parametrize(
    "module",
    [lambda: nn.Conv2d(1, 2, 3), lambda: nn.Conv1d(2, 2, 3)],
)
def test_unbatched_convolution_input_is_read_as_torch_reads_it(module):
    """torch reads an unbatched input as a batch of one: so does the trace (its channels are
    the data's, the output channels meet the target)."""
    torch.manual_seed(1)
    model = module().double()
    shape = (1, 6, 6) if isinstance(model, nn.Conv2d) else (2, 8)
    traced = symgrad.from_torch(model, shape)
    x, y, _ = _points(traced, 1, seed=5)[0]
    _, exact = gradients(traced.graph, traced.graph.parameters, x, y)
    model.zero_grad()
    tx, ty = (torch.tensor(np.asarray(a, dtype=float)) for a in (x, y))
    F.mse_loss(model(tx), ty).backward()
    for key, parameter in model.named_parameters():
        for index, value in np.ndenumerate(exact[key]):
            assert abs(float(as_fraction(value)) - float(parameter.grad[index])) < 1e-9


def test_chained_ties_give_the_same_verdict_as_one_tie():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        model[2].weight.fill_(0.3)
    traced = symgrad.from_torch(model, (1, 3))
    chained = symgrad.prove(traced, ties=[
        "0.weight[0]=0.weight[1]", "0.bias[0]=0.bias[1]",
        "0.weight[2]=0.weight[1]", "0.bias[2]=0.bias[1]",
    ])  # fmt: skip
    joined = symgrad.prove(traced, ties=["0.weight[0]=0.weight[1]=0.weight[2]",
                                         "0.bias[0]=0.bias[1]=0.bias[2]"])  # fmt: skip
    assert chained.verdict == joined.verdict == "proven"


def test_exact_zero_gradient_enclosures_do_not_crash():
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), 0.0)
    traced = symgrad.from_torch(model, (1, 3))
    assert symgrad.collapse(traced).verdict == "proven"
    result = symgrad.prove(traced)
    assert result.verdict == "refuted"
    assert "0" in result.to_text()


def test_cross_entropy_witnesses_over_several_steps():
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)))
    result = symgrad.collapse(symgrad.from_torch(model, (2, 3), loss="cross-entropy"))
    assert result.verdict == "proven"
    assert any(w.steps > 1 for w in result.witnesses)


def test_shared_weights_are_never_permuted():
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(4, 4)
            self.fc2 = nn.Linear(4, 4)
            self.fc2.weight = self.fc1.weight
            self.out = nn.Linear(4, 1)

        def forward(self, x):
            return self.out(torch.tanh(self.fc2(torch.tanh(self.fc1(x)))))

    result = symgrad.collapse(symgrad.from_torch(constant(Tied()), (1, 4)))
    assert result.layers["fc1"]["argument"].startswith("no unit permutation found")


def test_concatenating_a_tensor_with_itself_keeps_the_units_tied():
    """cat([h, h]) @ W.T = h @ (W1 + W2).T: the units of fc1 see the same summed outgoing
    weight, so a unit swap (in both blocks of fc2's columns at once) is a symmetry."""

    class CatSelf(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(3, 4)
            self.fc2 = nn.Linear(8, 1)

        def forward(self, x):
            h = torch.tanh(self.fc1(x))
            return self.fc2(torch.cat([h, h], dim=1))

    model = constant(CatSelf())
    with torch.no_grad():
        model.fc2.weight[0, 4:] = 0.7
    result = symgrad.collapse(symgrad.from_torch(model, (1, 3)))
    assert result.layers["fc1"]["effective_width"] == 1
    for optimizer in ("sgd", "adam"):
        trial = constant(CatSelf())
        with torch.no_grad():
            trial.fc2.weight[0, 4:] = 0.7
        params = train(trial, (1, 3), optimizer)
        rows = params["fc1.weight"].detach()
        assert float((rows - rows[0]).abs().max()) <= 1e-12


@pytest.mark.parametrize(
    ("forward", "message"),
    [
        (lambda m, x: F.max_pool2d(m(x), 3, 2, 1), "padding"),
        (lambda m, x: F.max_pool2d(m(x), 2, ceil_mode=True), "ceil_mode"),
        (lambda m, x: torch.div(m(x), 2, rounding_mode="floor"), "rounding mode"),
    ],
)
def test_options_that_change_the_maths_are_refused(forward, message):
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3, padding=1)

        def forward(self, x):
            return forward(self.conv, x)

    with pytest.raises(ModelTraceError, match=message):
        symgrad.from_torch(Net(), (1, 1, 6, 6))


def test_average_pool_divisor_override_is_refused():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2, divisor_override=1))
    with pytest.raises(ModelTraceError, match="divisor_override"):
        symgrad.from_torch(model, (1, 1, 6, 6))


def test_bad_parameters_and_shapes_are_bad_input():
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight[0, 0] = float("nan")
    with pytest.raises(ModelTraceError, match="NaN"):
        symgrad.from_torch(model, (1, 2))
    with pytest.raises(ProblemError, match="more than"):
        symgrad.from_torch(nn.Linear(2, 2), (100000, 100000, 2))


def test_the_users_model_keeps_its_mode_and_divergence_is_reported():
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1), nn.Linear(3, 1)).train()
    traced = symgrad.from_torch(model, (1, 2))
    assert model.training
    run = symgrad.simulate(traced, steps=5, lr="1e300")
    assert any("diverged" in note for note in run.notes)


def test_loss_modules_are_read_as_their_functional_forms():
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)))
    assert symgrad.from_torch(model, (1, 3), loss=nn.CrossEntropyLoss()).graph.loss == (
        "cross-entropy"
    )
    traced = symgrad.from_torch(model, (1, 3), loss=nn.MSELoss(reduction="sum"))
    assert symgrad.collapse(traced).layers["0"]["effective_width"] == 1
    with pytest.raises(ModelTraceError, match="label smoothing"):
        symgrad.from_torch(model, (1, 3), loss=nn.CrossEntropyLoss(label_smoothing=0.1))
    with pytest.raises(ModelTraceError, match=r"loss \(KLDivLoss\)"):
        symgrad.from_torch(model, (1, 3), loss=nn.KLDivLoss())


def test_a_parameter_used_directly_is_read():
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.scale = nn.Parameter(torch.ones(2))

        def forward(self, x):
            return self.fc(x) * self.scale

    traced = symgrad.from_torch(constant(Scaled()), (1, 2))
    assert symgrad.prove(traced).verdict == "refuted"
    assert "scale" in traced.graph.parameters


def test_samples_as_pairs_a_dataset_class_labels_or_a_count():
    from torch.utils.data import TensorDataset

    model = constant(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)))
    xs = torch.tensor([[[1.0, 2.0, 3.0]], [[0.5, -1.0, 2.0]]])
    labels = torch.tensor([[2], [0]])
    for samples in (list(zip(xs, labels)), TensorDataset(xs, labels), 3):
        traced = symgrad.from_torch(model, (1, 3), loss="cross-entropy", samples=samples)
        result = symgrad.prove(traced)
        assert result.verdict == "refuted"
        if not isinstance(samples, int):
            assert result.witness.point["input"].startswith("sample ")
    with pytest.raises(ProblemError, match="class 7"):
        symgrad.from_torch(model, (1, 3), loss="cross-entropy",
                           samples=[(xs[0], torch.tensor([7]))])  # fmt: skip


@pytest.mark.parametrize("form", ["shape", "size", "size_getitem", "view"])
def test_flattening_views_are_flatten(form):
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 3, padding=1)
            self.fc = nn.Linear(48, 2)

        def forward(self, x):
            h = F.relu(self.conv(x))
            if form == "shape":
                h = h.reshape(h.shape[0], -1)
            elif form == "size":
                h = h.view(h.size(0), -1)
            elif form == "size_getitem":
                h = h.reshape(h.size()[0], -1)
            else:
                h = h.view(-1, 48)
            return self.fc(h)

    result = symgrad.collapse(symgrad.from_torch(constant(Net()), (2, 1, 4, 4)))
    assert result.layers["conv"]["effective_width"] == 1


class Res(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 6)
        self.fc3 = nn.Linear(6, 3)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        return self.fc3(h + self.fc2(h))


@pytest.mark.slow
def test_residual_mixing_moves_the_two_layers_together():
    """h + fc2(h): a swap of fc1's units must swap fc2's rows and columns alike; at a constant
    init that joint swap fixes the init, so both layers' units stay tied (torch agrees)."""
    result = symgrad.collapse(symgrad.from_torch(constant(Res()), (1, 4)))
    assert result.layers["fc1"]["effective_width"] == 1
    assert result.layers["fc1"]["moves_with"] == ["fc2"]
    assert "moving together with fc2" in result.summary()[0]
    for optimizer in ("sgd", "adam"):
        params = train(constant(Res()), (1, 4), optimizer)
        for group in result.groups:
            values = [entry(params, n) for n in group]
            assert max(values) - min(values) <= 1e-10 * max(1.0, max(map(abs, values)))


def test_simulate_with_no_proven_group_and_bounded_constants():
    traced = symgrad.from_torch(nn.Sequential(nn.Linear(4, 2)), (1, 4))
    run = symgrad.simulate(traced, init="constant", steps=3)
    assert run.steps[-1] == 3
    with pytest.raises(ProblemError, match="between 1e-12 and 1e6"):
        symgrad.collapse(traced, init="constant=1e400")
