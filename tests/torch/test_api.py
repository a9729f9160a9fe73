"""What a training script calls: symgrad.torch.check_init, assert_no_collapse, the warning hook,
and the lazy package (importing symgrad.torch costs nothing and needs no torch)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import symgrad.torch as bridge  # noqa: E402
from tests.torch.support import constant, seeded  # noqa: E402


def mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def test_check_init_returns_the_collapse_result():
    result = bridge.check_init(constant(mlp()), (1, 4))
    assert result.verdict == "proven"
    assert result.layers["0"]["effective_width"] == 1
    assert "nn.init.kaiming_uniform_" in result.summary()[0]


def test_assert_no_collapse_names_the_layer_and_the_fix():
    with pytest.raises(AssertionError, match=r"0 collapses to width 1 of 8.*kaiming_uniform_"):
        bridge.assert_no_collapse(constant(mlp()), (1, 4))
    assert bridge.assert_no_collapse(seeded(mlp()), (1, 4)).layers["0"]["effective_width"] == 8
    bridge.assert_no_collapse(constant(mlp()), (1, 4), allow=("0",))


def test_the_warning_hook_is_one_line_per_layer_and_returns_the_model():
    model = constant(mlp())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert bridge.warn_if_collapsed(model, (1, 4)) is model
    lines = [str(w.message) for w in caught if issubclass(w.category, bridge.CollapseWarning)]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith("symgrad: 0 collapses to width 1 of 8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bridge.warn_if_collapsed(seeded(mlp()), (1, 4))
    assert not [w for w in caught if issubclass(w.category, bridge.CollapseWarning)]


def test_weights_that_never_move_are_reported_too():
    model = constant(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), 0.0)
    with pytest.raises(AssertionError, match="never moves"):
        bridge.assert_no_collapse(model, (1, 3))


def test_importing_the_bridge_needs_neither_torch_nor_numpy():
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['numpy'] = None\n"
        "import symgrad.torch as t\n"
        "assert 'check_init' in dir(t) and callable(t.__getattr__)\n"
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.stdout.strip() == "ok", done.stderr
    with pytest.raises(AttributeError):
        bridge.no_such_name  # noqa: B018
