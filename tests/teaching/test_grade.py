"""Grading a class: the example class end to end, every diagnosis code, resume, Dask, hostility.

Each diagnosis case says why the code is true for that answer (and the
negative cases why it is not); the certificate check runs under every answer.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import symgrad
from symgrad.cli import app
from symgrad.errors import DatasetError, ProblemError
from symgrad.teaching.grade import example_files, grade, load_key, read_graded

runner = CliRunner()
KEY, ANSWERS = example_files()

# (student, question) -> (verdict, points, codes), worked out by hand for the example class
EXPECTED = {
    ("s01", "q1"): ("correct", 1, ()),
    ("s02", "q1"): ("incorrect", 0, ("sign_error",)),  # 2x(y - wx) = -true
    ("s03", "q1"): ("incorrect", 0, ("constant_factor",)),  # -x(y - wx) = true/2
    ("s04", "q1"): ("incorrect", 0, ("missing_factor",)),  # -2(y - wx) * x = true
    ("s05", "q1"): ("correct", 1, ()),  # 'wx' is read as w*x: w and x are the loss's names
    ("s06", "q1"): ("incorrect", 0, ("antiderivative",)),  # d/dw[-(y - wx)^3/(3x)] = J
    ("s07", "q1"): ("incorrect", 0, ("wrong_variable",)),  # dJ/dx = -2w(y - wx)
    ("s08", "q1"): ("unreadable", 0, ("unreadable",)),  # unbalanced bracket
    ("s01", "q2"): ("correct", 2, ()),
    ("s02", "q2"): ("incorrect", 0, ("sign_error",)),
    ("s03", "q2"): ("incorrect", 1, ("missing_chain_factor",)),  # lacks d(wx + b)/dw = x
    ("s04", "q2"): ("incorrect", 1, ("extra_factor",)),  # dJ/db times x
    ("s05", "q2"): ("correct", 2, ()),  # expanded form
    ("s06", "q2"): ("wrong_shape", 0, ("wrong_shape",)),  # one part for two parameters
    ("s07", "q2"): ("correct", 2, ()),
    ("s08", "q2"): ("correct", 2, ()),  # sigmoid written out
    ("s01", "q3"): ("correct", 2, ()),
    ("s02", "q3"): ("incorrect", 0, ("one_term_wrong",)),  # lambda w instead of 2 lambda w
    ("s03", "q3"): ("incorrect", 0, ("one_term_wrong",)),  # the penalty term is missing
    ("s04", "q3"): ("correct", 2, ()),  # λ for lambda
    ("s05", "q3"): ("incorrect", 0, ("sign_error",)),
    ("s06", "q3"): ("incorrect", 0, ("one_term_wrong",)),  # 2 lambda instead of 2 lambda w
    ("s07", "q3"): ("correct", 2, ()),  # expanded
    ("s08", "q3"): ("correct", 2, ()),
    ("s01", "q4"): ("correct", 2, ()),
    ("s02", "q4"): ("incorrect", 1, ("missing_chain_factor",)),  # lacks d(wx)/dw = x
    ("s03", "q4"): ("correct", 2, ()),  # sech^2 = 1 - tanh^2
    ("s04", "q4"): ("incorrect", 0, ("sign_error",)),
    ("s05", "q4"): ("incorrect", 0, ("constant_factor",)),  # twice the derivative
    ("s06", "q4"): ("incorrect", 1, ("missing_factor",)),  # lacks the factor v
    ("s07", "q4"): ("correct", 2, ()),
    ("s08", "q4"): ("unreadable", 0, ("unreadable", "other")),  # \operatorname{foo}; 1 is wrong
    ("s01", "q5"): ("correct", 1, ()),
    ("s02", "q5"): ("incorrect", 0, ("one_term_wrong",)),  # 1 for sign(w): right only for w > 0
    ("s03", "q5"): ("incorrect", 0, ("rounded_decimal",)),  # 0.333 * 3 = 0.999
    ("s04", "q5"): ("incorrect", 0, ("one_term_wrong",)),  # one term too many
    ("s05", "q5"): ("incorrect", 0, ("antiderivative",)),
    ("s06", "q5"): ("correct", 1, ()),
    ("s07", "q5"): ("correct", 1, ()),
    ("s08", "q5"): ("blank", 0, ("blank",)),  # empty
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("class") / "graded.jsonl"
    return grade(KEY, ANSWERS, out=out, workers=2), out


def test_example_class_is_graded_as_worked_out_by_hand(graded):
    (rows, report), _ = graded
    assert len(rows) == 40
    for row in rows:
        verdict, points, codes = EXPECTED[(row.student, row.question)]
        assert (row.verdict, row.points, row.codes) == (verdict, points, codes), row
    assert report.totals == {
        "s01": 8, "s02": 1, "s03": 3, "s04": 3, "s05": 3, "s06": 2, "s07": 7, "s08": 4,
    }  # fmt: skip
    assert report.score_mean == pytest.approx(31 / 8)


def test_teacher_feedback_replaces_symgrad_sentences(graded):
    (rows, _), _ = graded
    row = next(r for r in rows if (r.student, r.question) == ("s02", "q1"))
    assert row.feedback == "Check the sign: the inner derivative of (y - w x) is -x."
    partial = next(r for r in rows if (r.student, r.question) == ("s03", "q2"))
    assert "w: The chain rule" in partial.feedback and "b: correct" in partial.feedback
    assert [c["verdict"] for c in partial.components] == ["incorrect", "correct"]


def test_graded_file_holds_every_row(graded):
    _, out = graded
    lines = out.read_text().splitlines()
    assert len(lines) == 40
    record = json.loads(lines[0])
    assert set(record) == {
        "student", "question", "verdict", "points", "max_points", "codes", "feedback", "components",
        "notes", "override", "fingerprint",
    }  # fmt: skip
    assert {"name", "verdict", "codes", "points", "reading"} == set(record["components"][0])


def test_report_in_markdown_and_html(graded, tmp_path):
    (_, report), _ = graded
    report.write(tmp_path / "r.md")
    report.write(tmp_path / "r.html")
    markdown = (tmp_path / "r.md").read_text()
    assert "## The class at a glance" in markdown and "| q3 | 4/8 (50%)" in markdown
    assert "for example" in markdown and "## Students" in markdown
    assert "| s01 | 1 | 2 | 2 | 2 | 1 | **8** |" in markdown  # every student with their points
    html = (tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg class='histogram'" in html
    assert "http" not in html.replace("http-equiv", "")  # nothing outside the file


# ---------------------------------------------------------------- every diagnosis code
CODES = [
    # (loss, wrt, claim, code, why)
    ("(y - w*x)^2", "w", "2x(y - w x)", "sign_error", "the claim is -1 times the derivative"),
    ("(y - w*x)^2", "w", "-x(y - w x)", "constant_factor", "1/2 times the derivative"),
    ("w/3", "w", "0.333", "rounded_decimal", "0.333 = 999/1000 * (1/3)"),
    ("tanh(w x)", "w", "1 - tanh(w x)^2", "missing_chain_factor", "times x it is the derivative"),
    ("(y - w*x)^2", "w", "-2(y - w x)", "missing_factor", "times x it is the derivative"),
    ("x*w^2", "w", "2 w x^2", "extra_factor", "x times the derivative 2wx"),
    ("(y - w*x)^2", "w", "-2w(y - w x)", "wrong_variable", "dJ/dx"),
    ("w^2 x", "w", "w^3 x/3", "antiderivative", "its derivative is the loss"),
    ("sqrt(w^2)", "w", "1", "only_on_a_region", "sign(w) = 1 exactly where w > 0"),
    ("w^2 exp(x)", "w", "2w", "evaluated_at_a_point", "the derivative 2w e^x at x = 0"),
    ("w^2 + lambda w^2", "w", "2w + lambda w", "one_term_wrong", "lambda w should be 2 lambda w"),
]


@pytest.mark.parametrize("loss, wrt, claim, code, why", CODES, ids=[c[3] for c in CODES])
def test_every_code_is_produced_where_it_is_true(loss, wrt, claim, code, why):
    result = symgrad.check(loss, wrt, claim)
    assert result.verdict == "incorrect" and result.codes == (code,), (why, result.diagnosis)


NOT_CODES = [
    # a different mistake, where the code must not appear
    ("(y - w*x)^2", "w", "-2x(y - w x) + 1", "sign_error"),
    ("(y - w*x)^2", "w", "-2x(y - 2w x)", "constant_factor"),
    ("w/3", "w", "0.5", "rounded_decimal"),
    ("tanh(w x)", "w", "x(1 - tanh(w x))", "missing_chain_factor"),
    ("(y - w*x)^2", "w", "-2(y - w)", "missing_factor"),
    ("x*w^2", "w", "2 w + x", "extra_factor"),
    ("(y - w*x)^2", "w", "-2w(y - w x) + x", "wrong_variable"),
    ("w^2 x", "w", "w^3 x", "antiderivative"),
    ("sqrt(w^2)", "w", "2", "only_on_a_region"),
    ("w^2 exp(x)", "w", "3w", "evaluated_at_a_point"),
    ("w^2 + lambda w^2", "w", "3w + 3 lambda w", "one_term_wrong"),
]


@pytest.mark.parametrize("loss, wrt, claim, code", NOT_CODES, ids=[c[3] for c in NOT_CODES])
def test_no_code_where_it_is_false(loss, wrt, claim, code):
    result = symgrad.check(loss, wrt, claim)
    assert result.verdict == "incorrect" and code not in result.codes


def test_hidden_answer_mode_never_prints_the_derivative():
    rows, _ = grade(
        KEY,
        [{"student": "a", "question": "q3", "answer": "-2x(y - w x) + lambda w"}],
        hide_answer=True,
        workers=1,
    )
    assert rows[0].codes == ("one_term_wrong",)
    assert "2*lambda*w" not in rows[0].feedback
    result = symgrad.check("(y - w x)^2", "w", "2x(y - w x)", hide_answer=True)
    assert "-2*x" not in result.to_text() and result.to_dict()["derivative"] is None


def test_constraints_pick_the_witness_and_decide_correctness():
    loss = "-y ln(σ(w x)) - (1 - y) ln(1 - σ(w x))"
    wrong = symgrad.check(loss, "w", "(y - σ(w x)) x", constraints=["y in {0, 1}"])
    assert wrong.witness.point["y"] in (0, 1)
    # (1 - w) y = (y - w) y when y is 0 or 1, not in general
    assert symgrad.check("(y - w)^2 y", "w", "-2(1 - w) y", constraints=["y in {0, 1}"]).holds
    assert not symgrad.check("(y - w)^2 y", "w", "-2(1 - w) y").holds
    hot = symgrad.check("-a ln(p) - b ln(q) + w*(a + b)", "w", "1", constraints=["one-hot(a, b)"])
    assert hot.holds


# ---------------------------------------------------------------- robustness
@pytest.mark.slow
def test_hostile_and_slow_answers_do_not_stop_the_batch(tmp_path):
    answers = [
        {
            "student": "h1",
            "question": "q1",
            "answer": "__import__('os').system('touch /tmp/pwned_grade')",
        },
        {"student": "h2", "question": "q1", "answer": "9**9**9**9"},
        {"student": "h3", "question": "q1", "answer": "(" * 500},
        {"student": "h4", "question": "q1", "answer": "x" * 100_000},
        {"student": "h5", "question": "q1", "answer": "-2x(y - w x)"},
        {
            "student": "h6",
            "question": "q3",
            "answer": "-2x(y - w x) + 2 lambda w*((sin(x) + cos(y))**2 + (cos(x) - sin(y))**2 - 2*sin(x - y))**30/2**30",
        },
    ]
    rows, _ = grade(KEY, answers, workers=2, answer_timeout=2)
    verdicts = {r.student: r.verdict for r in rows}
    # 9**9**9**9 is ten characters whose value would have more than 2000 digits: the text
    # is not too long, its value is unreadable (with the reason)
    assert verdicts["h1"] == verdicts["h2"] == verdicts["h3"] == "unreadable"
    assert verdicts["h4"] == "too_long"
    assert verdicts["h5"] == "correct"
    assert verdicts["h6"] in ("timeout", "correct", "unknown")
    assert not Path("/tmp/pwned_grade").exists()


def test_same_text_is_graded_once():
    from symgrad.teaching.grade import load_answers, plan

    questions = load_key(KEY)
    records = [{"student": f"s{i}", "question": "q1", "answer": "-2x(y - w x)"} for i in range(5)]
    records.append({"student": "t", "question": "q1", "answer": " -2x(y  - w x) "})
    records.append({"student": "u", "question": "q3", "answer": "-2x(y - w x)"})
    groups = plan(load_answers(records, questions), {q.id: q for q in questions})
    assert sorted(len(g) for g in groups.values()) == [1, 6]
    rows, _ = grade(KEY, records, workers=1)
    assert [r.verdict for r in rows] == ["correct"] * 6 + ["incorrect"]


@pytest.mark.slow
def test_resume_after_an_interruption(tmp_path):
    out = tmp_path / "graded.csv"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "symgrad",
            "grade",
            str(ANSWERS),
            "--key",
            str(KEY),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and len(out.read_text().splitlines()) >= 6:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    partial = read_graded(out)
    assert 0 < len(partial) < 40
    rows, _ = grade(KEY, ANSWERS, out=out, resume=True, workers=2)
    assert len(rows) == 40
    assert len(read_graded(out)) == 40
    assert {(r.student, r.question) for r in rows} == set(EXPECTED)


@pytest.mark.slow
def test_dask_cluster_gives_the_same_results_as_the_local_pool(graded):
    from dask.distributed import Client, LocalCluster

    (local_rows, _), _ = graded
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        rows, report = grade(KEY, ANSWERS, scheduler=client)
    assert [(r.student, r.question, r.verdict, r.points, r.codes) for r in rows] == [
        (r.student, r.question, r.verdict, r.points, r.codes) for r in local_rows
    ]
    assert report.graded == 40


# ---------------------------------------------------------------- the command line
def test_cli_example_class(tmp_path):
    os.chdir(tmp_path)
    result = runner.invoke(
        app, ["grade", "--example", "--report", "report.html", "--out", "graded.jsonl", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answers"] == data["graded"] == 40
    assert data["per_question"]["q3"]["correct"] == 0.5
    assert data["score_mean"] == pytest.approx(31 / 8)  # s05's 'wx' reads as w*x: correct
    assert (tmp_path / "report.html").exists() and (tmp_path / "graded.jsonl").exists()


@pytest.mark.parametrize(
    "key_text, fragment",
    [
        ("[[question]]\nid = 'a'\n", "no 'loss'"),
        ("[[question]]\nid = 'a'\nloss = 'w*x'\nwrt = ['v']\n", "does not use"),
        ("not toml = = 1", "not valid TOML"),
        ("[[question]]\nid='a'\nloss='w'\nwrt=['w']\npoints=[1,2]\n", "one number"),
    ],
)
def test_bad_keys_exit_2(tmp_path, key_text, fragment):
    key = tmp_path / "key.toml"
    key.write_text(key_text)
    result = runner.invoke(app, ["grade", str(ANSWERS), "--key", str(key)])
    assert result.exit_code == 2 and fragment in result.stderr


def test_bad_answers_files_exit_2(tmp_path):
    bad = tmp_path / "a.csv"
    bad.write_text("name,answer\nx,1\n")
    assert runner.invoke(app, ["grade", str(bad), "--key", str(KEY)]).exit_code == 2
    bad.write_text("student,question,answer\ns,q9,1\n")
    result = runner.invoke(app, ["grade", str(bad), "--key", str(KEY)])
    assert result.exit_code == 2 and "q9" in result.stderr
    with pytest.raises(DatasetError):
        grade(KEY, "/dev/zero")
    with pytest.raises(ProblemError):
        load_key({"question": [{"id": 1}]})


def test_jsonl_answers_with_lists(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps(
            {"student": "x", "question": "q2", "answer": ["(σ(w x + b) - y) x", "σ(w x + b) - y"]}
        )
        + "\n"
    )
    rows, _ = grade(KEY, path, workers=1)
    assert rows[0].verdict == "correct" and rows[0].points == 2


# ---------------------------------------------------------------- third review
def _one(question: dict, answers: list[dict], **options):
    rows, report = grade([question], answers, workers=1, **options)
    return rows, report


SQUARE = {"id": "q", "loss": "(y - w*x)**2", "wrt": ["w"], "constraints": ["y in {0, 1}"]}


def test_diagnoses_under_constraints_say_where_they_hold():
    rows, _ = _one(SQUARE, [{"student": "a", "question": "q", "answer": "-2x(y - w x) + 2y"}])
    assert rows[0].verdict == "incorrect"
    assert "when y = 1" in rows[0].feedback and "right when y = 0" in rows[0].feedback


def test_a_row_format_reads_the_answer_not_the_loss():
    question = {"id": "q", "loss": r"(y - w x)^{2}", "wrt": ["w"], "format": "latex"}
    rows, _ = _one(question, [
        {"student": "a", "question": "q", "answer": "-2*x*(y - w*x)", "format": "text"},
    ])  # fmt: skip
    assert rows[0].verdict == "correct", rows[0].feedback


def test_a_derivation_and_a_one_line_answer_are_not_the_same_answer():
    question = {"id": "q", "loss": "w**2", "wrt": ["w"]}
    rows, _ = _one(question, [
        {"student": "a", "question": "q", "answer": "dJ/dw = 2*w\n= 3*w"},
        {"student": "b", "question": "q", "answer": "dJ/dw = 2*w = 3*w"},
    ])  # fmt: skip
    keys = {row.student: row for row in rows}
    assert keys["a"].verdict == "incorrect" and "wrong_line" in keys["a"].codes


def test_declared_functions_are_graded():
    question = {"id": "q", "loss": "f(w*x)", "wrt": ["w"], "functions": ["f"]}
    rows, _ = _one(question, [{"student": "a", "question": "q", "answer": "x f'(w x)"}])
    assert rows[0].verdict == "correct", rows[0].feedback


def test_one_unreadable_component_keeps_the_others_credit():
    question = {"id": "q", "loss": "w**2*b", "wrt": ["w", "b"], "points": [2, 3]}
    rows, _ = _one(question, [{"student": "a", "question": "q", "answer": "2 w b; w^2("}])
    assert rows[0].points == 2 and rows[0].verdict == "unreadable"


def test_latex_spacing_is_not_a_component_separator():
    question = {"id": "q", "loss": "w^{2} b", "wrt": ["w", "b"], "format": "latex"}
    rows, _ = _one(question, [{"student": "a", "question": "q", "answer": r"2 w\;b; w^{2}"}])
    assert rows[0].verdict == "correct", rows[0].feedback


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('student,question,answer\ns1,q1,"2*w\ns2,q1,3\n', "unclosed quote"),
        ("student,question,answer\ns1,q1,max(w, 0)\n", "more fields than the header"),
        ("student,question,answer\ns1,q1,2\ns1,q1,3\n", "two answers of student"),
    ],
)
def test_answers_files_that_would_lose_or_double_rows_are_refused(tmp_path, text, message):
    path = tmp_path / "answers.csv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=message):
        grade(KEY, path, workers=1)


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("\ufeffstudent,question,answer\ns1,q1,2\n", encoding="utf-8")
    rows, _ = grade(KEY, path, workers=1)
    assert len(rows) == 1


@pytest.mark.slow
def test_resume_after_a_torn_line_keeps_every_row_whole(tmp_path):
    out = tmp_path / "graded.jsonl"
    grade(KEY, ANSWERS, out=out, workers=2)
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:5]) + "\n" + lines[5][:20])  # interrupted mid-line
    rows, _ = grade(KEY, ANSWERS, out=out, workers=2, resume=True)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(written) == 40
    assert len({(r["student"], r["question"]) for r in written}) == 40


def test_hidden_answers_stay_hidden_in_derivation_feedback():
    question = {"id": "q", "loss": "w**2/2 + lam*w**2/2", "wrt": ["w"]}
    rows, _ = _one(
        question,
        [{"student": "a", "question": "q", "answer": "dJ/dw = w + lam*w\n= w + 2*lam*w"}],
        hide_answer=True,
    )
    assert "should be" not in rows[0].feedback and "true derivative" not in rows[0].feedback


def test_points_must_be_finite():
    with pytest.raises(ProblemError, match="from 0 to 1e6"):
        load_key([{"id": "q", "loss": "w**2", "wrt": ["w"], "points": float("inf")}])


# ---------------------------------------------------------------- issue 22
LOGISTIC_KEY = {
    "question": [
        {
            "id": "q",
            "loss": "-y ln(σ(w x + b)) - (1 - y) ln(1 - σ(w x + b))",
            "wrt": ["w"],
            "constraints": ["y in {0, 1}"],
            "let": {"p": "σ(w x + b)"},
        }
    ]
}


@pytest.mark.parametrize(
    "answer, verdict, codes",
    [
        ("(p - y) x", "correct", ()),  # the key's let table defines p
        ("(σ(wx + b) - y) x", "correct", ()),
        ("(a - y) x", "undefined_symbol", ("undefined_symbol",)),  # never incorrect
        ("p - y", "incorrect", ("missing_chain_factor",)),
        ("(p - y x", "unreadable", ("unreadable",)),
    ],
)
def test_a_key_let_table_and_the_undefined_symbol_code(answer, verdict, codes):
    rows, report = grade(LOGISTIC_KEY, [{"student": "s", "question": "q", "answer": answer}])
    assert (rows[0].verdict, rows[0].codes) == (verdict, codes)
    if verdict == "undefined_symbol":
        assert "uses a, which the question does not define" in rows[0].feedback
        assert rows[0].points == 0 and report.verdicts == {"undefined_symbol": 1}


def test_a_let_table_given_as_a_list_of_texts():
    key = {"question": [dict(LOGISTIC_KEY["question"][0], let=["p = σ(w x + b)"])]}
    rows, _ = grade(key, [{"student": "s", "question": "q", "answer": "(p - y) x"}])
    assert rows[0].verdict == "correct"


def test_a_bad_let_table_is_a_bad_key():
    key = {"question": [dict(LOGISTIC_KEY["question"][0], let={"p": "q + 1"})]}
    with pytest.raises(ProblemError, match="the definition of p uses q"):
        load_key(key)


def test_one_undefined_component_keeps_the_others_credit():
    key = {"question": [{"id": "q", "loss": "(y - w x - b)^2", "wrt": ["w", "b"]}]}
    rows, _ = grade(
        key, [{"student": "s", "question": "q", "answer": "-2x(y - wx - b); -2(y - q)"}]
    )
    assert [c["verdict"] for c in rows[0].components] == ["correct", "undefined_symbol"]
    assert rows[0].points == 1 and rows[0].verdict == "undefined_symbol"


def test_derivation_answers_use_the_keys_assumptions_and_constraints():
    key = {
        "question": [
            {"id": "q", "loss": "(w - y)^2", "wrt": ["w"], "constraints": ["y in {0, 1}"]},
            {"id": "r", "loss": "w^2 x", "wrt": ["w"], "assume": ["x > 0"]},
        ]
    }
    answers = [
        {"student": "s", "question": "q", "answer": "dJ/dw = 2(w - y)\n= 2w - 2y^2"},
        {"student": "s", "question": "r", "answer": "dJ/dw = 2 w x\n= 2 w abs(x)"},
    ]
    rows, _ = grade(key, answers)
    assert [r.verdict for r in rows] == ["correct", "correct"]
    assert all("wrong_line" not in r.codes for r in rows)


def test_a_derivation_answer_with_its_own_let_line():
    key = {"question": [{"id": "q", "loss": "(σ(w x) - y)^2", "wrt": ["w"]}]}
    answer = "let p = σ(w x)\ndJ/dw = 2(p - y) p (1 - p) x\n= 2x(p - y)p(1 - p)"
    rows, _ = grade(key, [{"student": "s", "question": "q", "answer": answer}])
    assert rows[0].verdict == "correct"


def test_the_key_file_that_fails_to_read_is_a_bad_key(tmp_path, monkeypatch):
    key = tmp_path / "key.toml"
    key.write_text("[[question]]\nid = 'a'\nloss = 'w'\nwrt = ['w']\n")
    real_open = open

    def failing_open(path, *args, **kwargs):
        if str(path) == str(key):
            raise OSError(5, "Input/output error")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    result = runner.invoke(app, ["grade", str(ANSWERS), "--key", str(key)])
    assert result.exit_code == 2 and "cannot read the key" in result.stderr


@pytest.mark.parametrize(
    "answer, verdict",
    [
        ("2x(wx - y) = 2wx^2 - 2xy", "correct"),  # a one-line chain is a short derivation
        ("dJ/dw = 2x(wx - y) = 2wx^2 - 2xy", "correct"),
        ("2x(wx - y) = 2wx^2 + 2xy", "incorrect"),
    ],
)
def test_a_one_line_chain_of_equalities_is_graded_as_a_derivation(answer, verdict):
    key = {"question": [{"id": "q", "loss": "(y - w x)^2", "wrt": ["w"]}]}
    rows, _ = grade(key, [{"student": "s", "question": "q", "answer": answer}])
    assert rows[0].verdict == verdict
