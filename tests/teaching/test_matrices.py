"""Matrix claims for every size (issue 16): courses' formulas and real student mistakes.

Each incorrect claim is a mistake students make; the expected diagnosis is the
repair that symgrad proves right for every size.
"""

import json

import pytest
from typer.testing import CliRunner

import symgrad
from symgrad import check
from symgrad.cli import app
from symgrad.errors import ProblemError
from symgrad.teaching.matrices import ShapeError

runner = CliRunner()
LINEAR = ["X=n,k", "w=k", "y=n"]
SOFTMAX = ["X=n,k", "W=k,c", "Y=n,c"]
TWO_LAYER = ["X=n,k", "W=k,d", "b=1,d", "W2=d", "b2=1", "y=n"]


@pytest.mark.parametrize(
    "loss, wrt, claim, shapes",
    [
        ("norm(X@w - y)**2", "w", "2*X.T@(X@w - y)", LINEAR),
        ("norm(X@w - y)**2/n", "w", "2/n*X.T@(X@w - y)", LINEAR),
        ("||X w - y||^2", "w", "2 X^T (X w - y)", LINEAR),  # as courses type it
        ("(X@w - y).T@(X@w - y)", "w", "2*X.T@X@w - 2*X.T@y", LINEAR),
        ("norm(X@w - y)**2 + lam*norm(w)**2", "w", "2*X.T@(X@w - y) + 2*lam*w", LINEAR),
        # logistic regression with logits z = Xw: sum softplus(z) - y z
        ("sum(softplus(X@w) - hadamard(y, X@w))", "w", "X.T@(sigma(X@w) - y)", LINEAR),
        ("trace(W.T@W)", "W", "2*W", ["W=k,c"]),
        (
            r"\sum_{i=1}^{n} (y_i - x_i^\top w)^2",
            "w",
            r"\sum_{i=1}^{n} -2 x_i (y_i - x_i^\top w)",
            LINEAR,
        ),
    ],
)
def test_correct_matrix_claims_hold_for_every_size(loss, wrt, claim, shapes):
    latex = "\\" in loss
    result = check(loss, wrt, claim, shapes=shapes, latex_input=latex)
    assert result.verdict == "correct", (result.reason, result.diagnosis)
    assert result.scope.startswith("for all")


@pytest.mark.parametrize(
    "loss, wrt, claim, shapes, code",
    [
        ("norm(X@w - y)**2/n", "w", "2*X.T@(X@w - y)", LINEAR, "missing_mean"),
        ("norm(X@w - y)**2", "w", "-2*X.T@(X@w - y)", LINEAR, "sign_error"),
        ("norm(X@w - y)**2", "w", "X.T@(X@w - y)", LINEAR, "constant_factor"),
        ("norm(X@w - y)**2", "w", "2*X.T@(X@w - y)/n", LINEAR, "extra_mean"),
        ("norm(A@w - y)**2", "w", "2*A@(A@w - y)", ["A=k,k", "w=k", "y=k"], "missing_transpose"),
        (
            "sum(softplus(X@w) - hadamard(y, X@w))",
            "w",
            "X.T@(y - sigma(X@w))",
            LINEAR,
            "sign_error",
        ),
        ("trace(A@W@B)", "W", "B@A", ["A=k,k", "W=k,k", "B=k,k"], "missing_transpose"),
    ],
)
def test_student_mistakes_are_refuted_and_named(loss, wrt, claim, shapes, code):
    result = check(loss, wrt, claim, shapes=shapes)
    assert result.verdict == "incorrect"
    assert code in result.codes, result.diagnosis
    witness = result.witness
    assert witness.sizes and witness.matrices  # the smallest sizes, as small matrices
    assert witness.claimed != witness.true


def test_softmax_regression_gradient():
    # J = sum_i logsumexp(x_i W) - y_i . x_i W, written with the rows of X; a one-sample form
    loss = "log(exp(x0*w00 + x1*w10) + exp(x0*w01 + x1*w11)) - y0*(x0*w00 + x1*w10) - y1*(x0*w01 + x1*w11)"
    p0 = "exp(x0*w00 + x1*w10)/(exp(x0*w00 + x1*w10) + exp(x0*w01 + x1*w11))"
    assert check(loss, "w00", f"x0*({p0} - y0)").verdict == "correct"
    assert check(loss, "w00", f"x0*(y0 - {p0})").codes == ("sign_error",)


def test_two_layer_network_output_weights():
    f = "sigma(sigma(X@W + b)@W2 + b2)"
    claim = f"2*sigma(X@W + b).T@hadamard({f} - y, sigma'(sigma(X@W + b)@W2 + b2))"
    assert check(f"norm({f} - y)**2", "W2", claim, shapes=TWO_LAYER).verdict == "correct"
    wrong = claim.replace("sigma(X@W + b).T@", "sigma(X@W + b)@")  # product order / transpose
    with pytest.raises(ShapeError):
        check(f"norm({f} - y)**2", "W2", wrong, shapes=TWO_LAYER)


def test_up_to_factor_says_which_factor():
    result = check("norm(X@w - y)**2", "w", "X.T@(X@w - y)", shapes=LINEAR, up_to_factor=True)
    assert result.verdict == "correct"
    assert "1/2 times the gradient" in result.method
    with pytest.raises(ProblemError):
        check("w**2", "w", "w", up_to_factor=True)  # only for matrix claims


@pytest.mark.parametrize(
    "claim, hint",
    [
        ("2*X@(X@w - y)", "did you mean X.T?"),
        ("2*(X@w - y).T@X", "did you mean"),
        ("2*X.T@X@w - 2*y.T@X", "shapes do not fit"),
    ],
)
def test_shape_mismatches_name_both_shapes(claim, hint):
    with pytest.raises(ShapeError) as error:
        check("norm(X@w - y)**2", "w", claim, shapes=LINEAR)
    assert hint in str(error.value)
    assert "n x k" in str(error.value) or "1 x k" in str(error.value)


def test_cli_matrix_claim_transcripts():
    args = [
        "check",
        "norm(X@w - y)**2",
        "--wrt",
        "w",
        "--shape",
        "X=n,k",
        "--shape",
        "w=k",
        "--shape",
        "y=n",
    ]
    ok = runner.invoke(app, [*args, "--claim", "2*X.T@(X@w - y)", "--no-timing"])
    assert ok.exit_code == 0 and "CORRECT for all k >= 1, n >= 1" in ok.output
    bad = runner.invoke(
        app, [*args[:1], "norm(X@w - y)**2/n", *args[2:], "--claim", "2*X.T@(X@w - y)", "--json"]
    )
    assert bad.exit_code == 1
    data = json.loads(bad.output)
    assert data["codes"] == ["missing_mean"]
    assert data["witness"]["sizes"] == {"k": 1, "n": 2}
    refused = runner.invoke(app, [*args, "--claim", "2*X@(X@w - y)"])
    assert refused.exit_code == 2 and "did you mean X.T?" in refused.output
    for fmt in ("markdown", "latex"):
        shown = runner.invoke(app, [*args, "--claim", "2*X.T@(X@w - y)", "--format", fmt])
        assert shown.exit_code == 0 and "X^\\top" in shown.output


# ---------------------------------------------------------------- second review
LINEAR_SHAPES = ["X=n,k", "w=k", "y=n"]


def test_a_dropped_mean_factor_is_a_wrong_step():
    derivation = "J = norm(X@w - y)**2/n\ndJ/dw = 2*X.T@(X@w - y)/n\n= 2*X.T@(X@w - y)\n"
    result = symgrad.check_derivation(derivation, shapes=LINEAR_SHAPES)
    assert result.verdict == "incorrect" and result.first_wrong == 3


def test_a_claim_wrong_only_from_n_5_on_is_incorrect():
    claim = "2*X.T@(X@w - y)/((n-1)*(n-2)*(n-3)*(n-4) + 1)"
    result = symgrad.check("norm(X@w - y)**2", "w", claim, shapes=LINEAR_SHAPES)
    assert result.verdict == "incorrect"
    assert result.witness.sizes["n"] == 5


def test_a_size_inside_a_function_is_never_proven_by_small_sizes():
    loss = "-sum(hadamard(y, log(sigmoid(X@w))) + hadamard(1 - y, log(1 - sigmoid(X@w))))"
    claim = "X.T@(sigmoid(X@w + (n-1)*(n-2)*(n-3)*(n-4)) - y)"
    result = symgrad.check(loss, "w", claim, shapes=LINEAR_SHAPES)
    assert result.verdict == "incorrect"


def test_a_power_of_an_index_sum_counts_its_degree():
    result = symgrad.check(
        r"(\sum_{i=1}^{n} w^T w)^4",
        "w",
        r"8 (10 n^3 - 35 n^2 + 50 n - 24) (w^T w)^3 w",
        shapes=["w=k", "y=n"],
        latex_input=True,
    )
    assert result.verdict == "incorrect"


@pytest.mark.parametrize(
    ("loss", "claim"),
    [
        ("log(w.T@x)", "x/(w.T@x)"),
        ("exp(w.T@x)", "exp(w.T@x)*x"),
        ("log(1 + exp(-(x.T@w)))", "-x*sigmoid(-(x.T@w))"),
        ("log(norm(w)**2)", "2*w/norm(w)**2"),
    ],
)
def test_functions_of_one_by_one_expressions(loss, claim):
    result = symgrad.check(loss, "w", claim, shapes=["x=d", "w=d"])
    assert result.verdict == "correct", result.to_text()


def test_missing_sum_is_only_said_when_one_sample_is_right():
    mean = symgrad.check("norm(X@w - y)**2/n", "w", "X.T@(X@w - y)", shapes=LINEAR_SHAPES)
    assert mean.verdict == "incorrect" and "missing_sum" not in mean.codes
    trace = symgrad.check("trace(A@B@A.T)", "A", "2*A@B", shapes=["A=n,m", "B=m,m"])
    assert trace.verdict == "incorrect" and "missing_sum" not in trace.codes


def test_a_size_in_an_exponent_is_the_size():
    result = symgrad.check("norm(X@w - y)**2", "w", "2**n*X.T@(X@w - y)", shapes=LINEAR_SHAPES)
    assert result.verdict == "incorrect"
    assert result.witness.sizes["n"] >= 2
    assert "n" not in result.witness.point


def test_witness_text_shows_scalar_parameters_and_signs_in_errors():
    result = symgrad.check(
        "norm(X@w - y)**2 + lam*norm(w)**2", "w", "2*X.T@(X@w - y) + lam*w", shapes=LINEAR_SHAPES
    )
    assert "lam = " in result.to_text()
    with pytest.raises(symgrad.ParseError, match=r"2\*X.T @ X @ w - 2\*y"):
        symgrad.check("norm(X@w - y)**2", "w", "2*X.T@X@w - 2*y", shapes=LINEAR_SHAPES)
    with pytest.raises(symgrad.ProblemError, match="two shapes"):
        symgrad.check("norm(w)**2", "w", "2*w", shapes=["w=k", "w=n"])


def test_up_to_factor_with_a_size_dependent_ratio_is_incorrect():
    result = symgrad.check(
        "norm(X@w - y)**2/n", "w", "X.T@(X@w - y)", shapes=LINEAR_SHAPES, up_to_factor=True
    )
    assert result.verdict == "incorrect"


def test_derivation_lines_are_numbered_as_in_the_file():
    text = "# ridge\nJ = norm(w)**2\n\ndJ/dw = 2*w\n= 3*w\n"
    result = symgrad.check_derivation(text, shapes=["w=k"])
    assert result.first_wrong == 5


# ---------------------------------------------------------------- issue 22
SHAPES = ["X=n,k", "w=k", "y=n"]


@pytest.mark.parametrize(
    "loss, claim",
    [
        ("sum((y - X@w)**2)", "-2*X.T@(y - X@w)"),  # the elementwise square summed
        ("mean((X@w - y)**2)", "2/n X.T@(X@w - y)"),
        ("norm(X@w - y)**2/n", "2/n X'(Xw - y)"),  # a spaced coefficient, Xw run together
        ("norm(X@w - y)**2", "2*X.T.dot(X.dot(w) - y)"),
        ("norm(X@w - y)**2", "np.dot(2*X.T, np.dot(X, w) - y)"),
        ("mean(X@w - y)", "X.T@(0*y + 1)/n"),
    ],
)
def test_matrix_claims_as_students_write_them(loss, claim):
    assert check(loss, "w", claim, shapes=SHAPES).verdict == "correct"


@pytest.mark.parametrize(
    "loss, claim",
    [
        (r"\left\| X w - y \right\|^2", r"2 X^T (X w - y)"),
        (r"\left\| X w - y \right\|_2^2", r"2 X^T (X w - y)"),
        (r"\|X w - y\|_{2}^2", r"2 X^\top (X w - y)"),
    ],
)
def test_latex_norms_with_shapes(loss, claim):
    assert check(loss, "w", claim, shapes=SHAPES, latex_input=True).verdict == "correct"


def test_a_matrix_claim_with_an_undefined_name_is_not_graded():
    from symgrad.errors import UndefinedSymbolError

    with pytest.raises(UndefinedSymbolError, match="uses p"):
        check("norm(X@w - y)**2", "w", "2 X.T (X w - p)", shapes=SHAPES)


def test_a_reduction_of_a_matrix_without_one_reading_is_refused():
    with pytest.raises(ShapeError, match="no single reading"):
        check("norm(X@w - y)**2", "w", "logsumexp(X@w)", shapes=SHAPES)
