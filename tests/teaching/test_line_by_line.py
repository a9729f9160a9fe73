"""Derivations checked line by line (issue 16): text and LaTeX, scalars and matrices."""

import json

import pytest
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.errors import ProblemError
from symgrad.teaching.grade import grade_answer, load_key
from symgrad.teaching.line_by_line import check_derivation, read_derivation

runner = CliRunner()

S = "sigmoid(w*x + b)"
LOGISTIC = [
    f"J = -(y*log({S}) + (1 - y)*log(1 - {S}))",
    f"dJ/dw = -(y/{S} - (1 - y)/(1 - {S}))*{S}*(1 - {S})*x",
    f"= -(y*(1 - {S}) - (1 - y)*{S})*x",
    f"= -(y - y*{S} - {S} + y*{S})*x",
    f"= -(y - {S})*x",
    f"= ({S} - y)*x",
]


def _with_error(line: int, replacement: str) -> str:
    lines = list(LOGISTIC)
    lines[line - 1] = replacement
    return "\n".join(lines)


def test_a_correct_derivation_has_every_line_right():
    result = check_derivation("\n".join(LOGISTIC))
    assert result.verdict == "correct"
    assert [line.verdict for line in result.lines] == ["given"] + ["correct"] * 5
    assert result.first_wrong is None


@pytest.mark.parametrize(
    "line, wrong",
    [
        (2, f"dJ/dw = -(y/{S} - (1 - y)/(1 - {S}))*{S}*(1 - {S})"),  # chain factor x missing
        (4, f"= -(y - y*{S} - {S} - y*{S})*x"),  # a sign slip in the middle
        (6, f"= (y - {S})*x"),  # the last line's sign
    ],
)
def test_the_first_wrong_line_is_named(line, wrong):
    result = check_derivation(_with_error(line, wrong))
    assert result.verdict == "incorrect"
    assert result.first_wrong == line
    judged = {x.number: x for x in result.lines}
    assert judged[line].witness is not None
    assert all(judged[n].verdict in ("given", "correct") for n in range(1, line))


def test_lines_after_a_wrong_line_are_checked_against_their_predecessor():
    result = check_derivation(_with_error(4, f"= -(y - y*{S} - {S} - y*{S})*x"))
    judged = {x.number: x for x in result.lines}
    assert judged[5].verdict == "incorrect"  # does not follow from the wrong line 4
    assert "true derivative" in judged[5].note  # ... but is the true derivative
    assert judged[6].verdict == "correct"  # follows from line 5


def test_latex_align_as_students_write_it():
    text = r"""
\begin{align*}
J(w) &= (y - \sigma(w x))^2 \\
\frac{\partial J}{\partial w} &= 2 (y - \sigma(w x)) \cdot (-\sigma(w x)(1 - \sigma(w x))) x \\
&= -2x (y - \sigma(wx)) \sigma(wx) (1 - \sigma(wx)) \\
&= -2x (y - \sigma(wx)) \sigma(wx)^2
\end{align*}
"""
    result = check_derivation(text)
    assert result.latex
    assert [x.verdict for x in result.lines] == ["given", "correct", "correct", "incorrect"]
    assert result.first_wrong == 4
    assert r"\checkmark" in result.to_latex() and r"\times" in result.to_latex()


def test_matrix_derivation_with_a_transpose_slip():
    text = "\n".join(
        [
            "J = norm(X@w - y)^2/n",
            "= (X@w - y).T@(X@w - y)/n",
            "dJ/dw = (2*X.T@X@w - 2*X.T@y)/n",
            "= 2*X@(X@w - y)/n",
            "= 2*X.T@(X@w - y)/n",
        ]
    )
    result = check_derivation(text, shapes=["X=n,k", "w=k", "y=n"])
    verdicts = [x.verdict for x in result.lines]
    assert verdicts == ["given", "correct", "correct", "incorrect", "correct"]
    assert "did you mean X.T?" in result.lines[3].diagnosis[0]
    assert "compared with line 3" in result.lines[4].note


def test_several_equals_on_one_line_and_comments():
    statements, latex = read_derivation("# logistic\nJ = (w - 1)^2\ndJ/dw = 2*(w - 1) = 2*w - 2")
    assert not latex
    assert [s.kind for s in statements] == ["definition", "derivative", "step"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("J = w^2\n= ", "nothing after"),
        ("w^2 + 1", "no '='"),
        ("= w", "follows nothing"),
        ("x + y = 2", "cannot tell"),
    ],
)
def test_malformed_derivations_are_clear_errors(text, message):
    with pytest.raises(ProblemError, match=message):
        check_derivation(text)


def test_cli_derivation_text_json_and_stdin(tmp_path):
    path = tmp_path / "logistic.txt"
    path.write_text(_with_error(4, f"= -(y - y*{S} - {S} - y*{S})*x"))
    shown = runner.invoke(app, ["check", "--derivation", str(path), "--no-timing"])
    assert shown.exit_code == 1
    assert "line 4 is the first wrong line" in shown.output
    assert "  4 ✗" in shown.output
    data = json.loads(runner.invoke(app, ["check", "--derivation", str(path), "--json"]).output)
    assert data["first_wrong"] == 4
    assert {"text", "verdict", "method", "witness", "diagnosis"} <= set(data["lines"][3])
    piped = runner.invoke(app, ["check", "--derivation", "-"], input="\n".join(LOGISTIC))
    assert piped.exit_code == 0
    refused = runner.invoke(app, ["check", "--derivation", str(path), "--wrt", "w"])
    assert refused.exit_code == 2


def test_grade_accepts_a_derivation_as_an_answer():
    [question] = load_key({"question": [{"id": "q", "loss": LOGISTIC[0][4:], "wrt": "w"}]})
    answer = "\n".join(LOGISTIC[1:3] + [f"= -(y - y*{S} - {S} - y*{S})*x", f"= (y - {S})*x"])
    outcome = grade_answer(question, [answer], "text", 30, False)
    assert outcome["verdict"] == "incorrect"
    assert "wrong_line" in outcome["components"][0]["codes"]
    assert any("line 3" in f for f in outcome["components"][0]["feedback"])


# ---------------------------------------------------------------- issue 22: one reading path
def test_a_let_or_where_line_defines_a_name_the_lines_use():
    text = "\n".join(
        [
            "J = (p - y)^2",
            "where p = sigmoid(w x)",
            "dJ/dw = 2(p - y) p (1 - p) x",
            "= 2 x p (1 - p)(p - y)",
        ]
    )
    result = check_derivation(text)
    assert [x.verdict for x in result.lines] == ["given", "given", "correct", "correct"]
    assert result.lines[1].kind == "let"


@pytest.mark.parametrize(
    "lines",
    [
        [f"J = -(y*log({S}) + (1 - y)*log(1 - {S}))", f"let p = {S}", "dJ/dw = (p - y) x"],
        [
            f"J = -(y*log({S}) + (1 - y)*log(1 - {S}))",
            "let z = w x + b",
            "let a = σ(z)",
            "dJ/dw = (a - y) x",
        ],
        [f"J = -(y*log({S}) + (1 - y)*log(1 - {S}))", f"with ŷ = {S}", "dJ/dw = (ŷ - y) x"],
        ["J = sigmoid(z)", "z = w*x + b", "dJ/dw = sigmoid(z) (1 - sigmoid(z)) x"],
    ],
)
def test_intermediate_names_in_derivations(lines):
    assert check_derivation("\n".join(lines)).verdict == "correct"


def test_an_undefined_name_on_a_line_is_an_input_error_naming_the_line():
    from symgrad.errors import UndefinedSymbolError

    with pytest.raises(UndefinedSymbolError, match='line 2 uses q.*"let q = ..."'):
        check_derivation("J = (y - w x)^2\ndJ/dw = -2x(q - w x)")
    result = runner.invoke(app, ["check", "--derivation", "-"], input="J = w^2\ndJ/dw = 2p")
    assert result.exit_code == 2 and "uses p" in result.stderr


def test_a_line_may_mention_j_itself():
    assert check_derivation("J = exp(w x)\ndJ/dw = x J").verdict == "correct"
    assert check_derivation("J = exp(w x)\ndJ/dw = J").verdict == "incorrect"


def test_the_derivative_for_a_symbol_j_lacks_is_zero():
    result = check_derivation("J = w^2\ndJ/dx = 0")
    assert result.verdict == "correct" and "does not occur in J" in result.lines[1].method
    assert check_derivation("J = w^2\ndJ/dx = 2w").verdict == "incorrect"


@pytest.mark.parametrize("text", ["J = w^2", "J = w^2\nlet p = w", "J = (y - w x)^2\nz = w x"])
def test_a_derivation_that_claims_nothing_is_refused(text):
    with pytest.raises(ProblemError, match="claims nothing"):
        check_derivation(text)


def test_one_line_is_one_line():
    assert "(1 line)" not in check_derivation("J = w^2\n= w*w").to_text()
    result = check_derivation("dJ/dw = 2w", loss="w^2")
    assert "(1 line)" in result.to_text()


def test_the_domain_of_j_holds_on_every_line():
    """The loss x log(w) is real only for w > 0: x/w and x/|w| agree there (the old check of
    a step found a witness at w = -1)."""
    result = check_derivation("J = x log(w)\ndJ/dw = x/w\n= x/abs(w)")
    assert result.verdict == "correct"


def test_assumptions_and_constraints_hold_on_every_line():
    text = "J = w^2 x\ndJ/dw = 2 w x\n= 2 w abs(x)"
    assert check_derivation(text).verdict == "incorrect"
    assert check_derivation(text, assume="x > 0").verdict == "correct"
    labels = "J = (w - y)^2\ndJ/dw = 2(w - y)\n= 2w - 2y^2"
    assert check_derivation(labels).verdict == "incorrect"
    assert check_derivation(labels, constraints=["y in {0, 1}"]).verdict == "correct"


def test_a_latex_definition_line_with_mathcal_l():
    text = r"\mathcal{L} &= (w x - y)^2 \\ \frac{\partial \mathcal{L}}{\partial w} &= 2(w x - y) x"
    result = check_derivation(text)
    assert result.verdict == "correct" and result.lines[1].function == "L"


def test_a_cases_block_is_one_expression():
    text = (
        r"J &= \max(0, 1 - y w x) \\"
        "\n"
        r"\frac{\partial J}{\partial w} &= \begin{cases} -y x & y w x < 1 \\ 0 & \text{otherwise} \end{cases}"
    )
    result = check_derivation(text)
    assert result.verdict == "correct" and "almost everywhere" in result.lines[1].note


def test_a_line_that_cannot_be_read_is_undecided_not_wrong():
    result = check_derivation("J = w^2\ndJ/dw = 2w +* 1")
    assert result.lines[1].verdict == "unknown" and result.lines[1].codes == ("unreadable",)
    assert result.verdict == "unknown" and "cannot be read" in result.lines[1].reason


def test_hint_hides_the_derivative_at_the_witness():
    result = check_derivation("J = w^2 x\ndJ/dw = 2 w", hint=True)
    text = result.to_text()
    assert "which is not dJ/dw there" in text and "dJ/dw gives" not in text


def test_derivation_stdin_closed_and_a_file_that_fails_to_read(tmp_path, monkeypatch):
    from symgrad.teaching import line_by_line

    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(ProblemError, match="standard input"):
        line_by_line.load_derivation("-")
    path = tmp_path / "d.txt"
    path.write_text("J = w^2\ndJ/dw = 2w")

    def failing_open(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(ProblemError, match="Input/output error"):
        line_by_line.load_derivation(str(path))


@pytest.mark.parametrize(
    "text",
    [
        "J(w) = w^2\nJ'(w) = 2w",
        "J = w^2\nd/dw J = 2w",
        r"J &= w^2 \\ \frac{d}{dw} J &= 2w",
        "J = w^2\n∂J/∂w = 2w",
        "J = w^2\n∇_w J = 2w",
    ],
)
def test_every_way_of_naming_the_derivative(text):
    result = check_derivation(text)
    assert [x.kind for x in result.lines] == ["definition", "derivative"]
    assert result.verdict == "correct"


def test_a_let_line_may_restate_the_questions_definition():
    text = "let p = σ(w x)\ndJ/dw = 2(p - y) p (1 - p) x"
    result = check_derivation(text, loss="(σ(w x) - y)^2", let={"p": "sigmoid(w*x)"})
    assert result.verdict == "correct"
    with pytest.raises(ProblemError, match="defined twice"):
        check_derivation("let p = w\ndJ/dw = 2(p - y) p (1 - p) x", loss="(σ(w x) - y)^2",
                         let={"p": "sigmoid(w*x)"})  # fmt: skip
