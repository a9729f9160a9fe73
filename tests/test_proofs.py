"""Every proof under proofs/ runs and obtains its expected verdict, step by step."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import proofs
from symgrad.cli import app


@pytest.mark.parametrize("name", proofs.NAMES)
def test_proof_holds(name):
    module = proofs.load(name)
    derivation = module.derive()
    assert derivation.failures() == []
    assert derivation.verdict == module.EXPECTED
    assert derivation.holds
    assert derivation.claim == module.CLAIM
    assert derivation.to_text().startswith(f"Claim ({name})")
    assert derivation.to_markdown().startswith(f"## {name}")


@pytest.mark.slow
def test_symgrad_proofs_table_exits_0():
    result = CliRunner().invoke(app, ["proofs"])
    assert result.exit_code == 0, result.output
    for name in proofs.NAMES:
        assert name in result.stdout
    assert f"{len(proofs.NAMES)} of {len(proofs.NAMES)} claims established." in result.stdout


@pytest.mark.slow
def test_symgrad_proofs_json_and_one_proof_markdown():
    result = CliRunner().invoke(app, ["proofs", "--json"])
    data = json.loads(result.stdout)
    assert data["all_hold"] and len(data["proofs"]) == len(proofs.NAMES)
    one = CliRunner().invoke(app, ["proofs", "linear_counterexample", "--format", "markdown"])
    assert one.exit_code == 0
    assert one.stdout.startswith("## linear_counterexample")
    assert "$$" in one.stdout or "$" in one.stdout


def test_unknown_proof_is_bad_input():
    result = CliRunner().invoke(app, ["proofs", "nope"])
    assert result.exit_code == 2


def test_proof_module_runs_as_script():
    done = subprocess.run(
        [sys.executable, "-m", "proofs.linear_counterexample"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert "Verdict: refuted (expected refuted)" in done.stdout
