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
