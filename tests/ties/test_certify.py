"""The certificate check itself: it must catch verdicts that are wrong, by its own path.

Each test forges a verdict the deciding code did not make (a witness with equal
gradients, a point off the tie, a permutation that is not a symmetry, a zero
test that was wrong) and hands it to the check, which must refuse it: an
exception in strict mode (the test suite's), ``unknown`` otherwise.
"""

import dataclasses

import pytest

from symgrad import prove
from symgrad.runtime.budget import Budget
from symgrad.text.parse import real_symbol
from symgrad.ties.certify import CertificateFailure, certify_proof

w0, w1 = real_symbol("w0"), real_symbol("w1")


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.setenv("SYMGRAD_STRICT_CERTIFICATES", "0")


def _refuted():
    return prove("w0*x0 + w1*x1", ties=["w0=w1"])


def test_a_witness_with_equal_gradients_is_refused(lenient):
    result = _refuted()
    forged = dataclasses.replace(result.witness, point={**result.witness.point, "x0": 2, "x1": 2})
    checked = certify_proof(dataclasses.replace(result, witness=forged), Budget(10))
    assert checked.verdict == "unknown"
    assert "not certainly different" in checked.reason


def test_a_witness_off_the_tied_subspace_is_refused(lenient):
    result = _refuted()
    forged = dataclasses.replace(result.witness, point={**result.witness.point, "w1": 5})
    checked = certify_proof(dataclasses.replace(result, witness=forged), Budget(10))
    assert checked.verdict == "unknown" and "tied subspace" in checked.reason


def test_a_witness_outside_the_assumptions_is_refused(lenient):
    result = prove("w0*x0 + w1*x1 + y", ties=["w0=w1"], assume="y > 0")
    forged = dataclasses.replace(result.witness, point={**result.witness.point, "y": -1})
    checked = certify_proof(dataclasses.replace(result, witness=forged), Budget(10))
    assert checked.verdict == "unknown" and "violates" in checked.reason


def test_misreported_gradient_values_are_refused(lenient):
    result = _refuted()
    forged = dataclasses.replace(result.witness, gradients={"w0": 1, "w1": 7})
    checked = certify_proof(dataclasses.replace(result, witness=forged), Budget(10))
    assert checked.verdict == "unknown" and "reported gradient" in checked.reason


def test_a_permutation_that_is_not_a_symmetry_is_refused(lenient):
    result = prove("(y - w0*x - w1*x)**2", ties=["w0=w1"])
    assert result.kind == "permutation"
    problem = dataclasses.replace(result.problem, loss=result.problem.loss + w0)
    checked = certify_proof(dataclasses.replace(result, problem=problem), Budget(10))
    assert checked.verdict == "unknown"


def test_a_wrong_zero_test_is_turned_into_its_refutation(lenient):
    result = prove("w0**2*w1 + w0*w1**2", ties=["w0=w1"])
    assert result.verdict == "proven"
    problem = dataclasses.replace(result.problem, loss=result.problem.loss + w0**3)
    forged = dataclasses.replace(result, problem=problem, kind="zero-test")
    checked = certify_proof(forged, Budget(10))
    assert checked.verdict == "refuted"
    assert checked.witness.gradients["w0"] != checked.witness.gradients["w1"]


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("SYMGRAD_STRICT_CERTIFICATES", "1")
    result = _refuted()
    forged = dataclasses.replace(result.witness, point={**result.witness.point, "x1": 1})
    with pytest.raises(CertificateFailure):
        certify_proof(dataclasses.replace(result, witness=forged), Budget(10))


def test_every_verdict_carries_what_was_rechecked():
    assert _refuted().certificate.startswith("the witness was re-checked")
    assert "permutations were re-applied" in prove("w0*w1", ties=["w0=w1"]).certificate
    stationary = prove("w0**2 + w1**2", init="zero", params="w0,w1")
    assert stationary.kind in ("permutation", "stationary")
    assert stationary.certificate


@pytest.mark.slow
def test_a_two_step_witness_is_rerun_independently():
    from symgrad import model

    net = model("two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False)
    result = prove(net, ties=["W1_0_0=W1_1_0"], init={str(p): 0 for p in net.parameters})
    assert result.verdict == "refuted" and result.witness.steps == 2
    assert "2-step witness was re-run" in result.certificate


@pytest.mark.slow
def test_a_forged_step_count_is_refused(lenient):
    from symgrad import model

    net = model("two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False)
    result = prove(net, ties=["W1_0_0=W1_1_0"], init={str(p): 0 for p in net.parameters})
    forged = dataclasses.replace(result.witness, steps=1)
    checked = certify_proof(dataclasses.replace(result, witness=forged), Budget(20))
    assert checked.verdict == "unknown"


# ---------------------------------------------------------------- a preset's node maps
def _preset_proof():
    from symgrad import model

    net = model("mlp", inputs=2, hidden="3,2", activation="tanh", samples=2)
    result = prove(net, init="identical")
    assert result.kind == "permutation" and result.node_maps
    assert "node by node on the loss's graph" in result.certificate
    return net, result


def _with_maps(result, generators, maps):
    proof = result.node_maps[0]
    forged = dataclasses.replace(proof, generators=tuple(generators), node_maps=tuple(maps))
    return dataclasses.replace(result, symmetries=tuple(generators), node_maps=(forged,))


def test_a_forged_node_map_is_refused(lenient):
    _, result = _preset_proof()
    proof = result.node_maps[0]
    images = list(proof.node_maps[0])
    moved = next(i for i, j in enumerate(images) if i != j and proof.graph.heads[i] is not None)
    images[moved] = moved  # claims that a moved node stays where it is
    forged = _with_maps(result, proof.generators, [images, *proof.node_maps[1:]])
    checked = certify_proof(forged, Budget(10))
    assert checked.verdict == "unknown"


def test_a_non_symmetry_with_the_identity_as_its_node_map_is_refused(lenient):
    net, result = _preset_proof()
    proof = result.node_maps[0]
    w = net.neurons[0]
    # swap the incoming weights of two neurons but not their outgoing ones: not a symmetry
    sigma = {w[0][0]: w[1][0], w[1][0]: w[0][0]}
    identity = list(range(proof.graph.size))
    forged = _with_maps(result, [sigma, *proof.generators[1:]], [identity, *proof.node_maps[1:]])
    checked = certify_proof(forged, Budget(10))
    assert checked.verdict == "unknown"


def test_node_maps_of_another_loss_are_not_used(lenient):
    from symgrad import model

    _, result = _preset_proof()
    other = model("mlp", inputs=2, hidden="3,2", activation="sigmoid", samples=2)
    # the problem now asks about another loss (symmetric but for one term): the maps are about
    # a graph it does not have, so the check re-applies the permutations to the SymPy loss
    problem = dataclasses.replace(result.problem, loss=other.loss + other.parameters[0])
    checked = certify_proof(dataclasses.replace(result, problem=problem), Budget(30))
    assert checked.verdict == "unknown"


def test_a_preset_proof_passes_both_the_graph_and_the_sympy_check():
    from symgrad.ties.certify import _Check

    _, result = _preset_proof()
    check = _Check(result, Budget(30))
    on_graph = check.graph_symmetries(check.graph_proof(result.node_maps))
    on_sympy = check.sympy_symmetries(result.problem.loss, result.symmetries)
    assert on_graph == on_sympy == list(result.symmetries)


def test_orbits_smaller_than_the_tie_groups_are_refused(lenient):
    _, result = _preset_proof()
    proof = result.node_maps[0]
    # keep only the first layer's shift: the second layer's tie groups are not orbits
    forged = _with_maps(result, proof.generators[:1], proof.node_maps[:1])
    checked = certify_proof(forged, Budget(10))
    assert checked.verdict == "unknown" and "orbit" in checked.reason


@pytest.mark.parametrize("entry", [0.5, "x", None, 10**30, -1])
def test_a_node_map_holding_anything_but_node_numbers_is_refused(lenient, entry):
    _, result = _preset_proof()
    proof = result.node_maps[0]
    images = list(proof.node_maps[0])
    moved = next(i for i, j in enumerate(images) if i != j)
    images[moved] = entry
    forged = _with_maps(result, proof.generators, [images, *proof.node_maps[1:]])
    assert certify_proof(forged, Budget(10)).verdict == "unknown"
