"""The key: read from a file, TOML text or tables; checked within the run's budget."""

import time

import pytest

from symgrad.errors import BudgetError, ProblemError
from symgrad.runtime.budget import Budget
from symgrad.teaching.grade import example_files
from symgrad.teaching.key import MAX_QUESTIONS, load_key

TEXT = '[[question]]\nid = "q"\nloss = "(y - w x)^2"\nwrt = ["w"]\n'


def test_a_key_as_toml_text_a_file_or_tables_is_the_same_key(tmp_path):
    path = tmp_path / "key.toml"
    path.write_text(TEXT)
    from_text, from_file = load_key(TEXT), load_key(path)
    from_tables = load_key([{"id": "q", "loss": "(y - w x)^2", "wrt": ["w"]}])
    assert from_text == from_file == from_tables
    assert len(load_key(example_files()[0].read_text())) == 5


def test_a_path_that_does_not_exist_is_named():
    with pytest.raises(ProblemError, match="cannot read the key 'nokey.toml'"):
        load_key("nokey.toml")


def test_too_many_questions_are_refused_at_once():
    entries = [{"id": f"q{i}", "loss": "w", "wrt": ["w"]} for i in range(MAX_QUESTIONS + 1)]
    start = time.monotonic()
    with pytest.raises(ProblemError, match="at most 1000"):
        load_key(entries)
    assert time.monotonic() - start < 1.0


def test_checking_a_long_key_stops_with_the_budget():
    entries = [{"id": f"q{i}", "loss": f"(y - w x)^2 + {i} w", "wrt": ["w"]} for i in range(400)]
    start = time.monotonic()
    with pytest.raises(BudgetError, match="checking the key"):
        load_key(entries, Budget(0.5))
    assert time.monotonic() - start < 5


def test_equal_questions_are_checked_once(monkeypatch):
    import symgrad.teaching.check as checking

    calls = []
    real = checking.check
    monkeypatch.setattr(checking, "check", lambda *a, **k: calls.append(1) or real(*a, **k))
    load_key([{"id": f"q{i}", "loss": "(y - w x)^2", "wrt": ["w"]} for i in range(50)])
    assert len(calls) == 1


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"id": ["a"], "loss": "w", "wrt": ["w"]}, "id must be text"),
        ({"id": "a\nb", "loss": "w", "wrt": ["w"]}, "one line"),
        ({"id": "a", "loss": 5, "wrt": ["w"]}, "loss must be text"),
        ({"id": "a", "loss": "w", "wrt": 5}, "wrt must be text"),
        ({"id": "a", "loss": "w", "wrt": "w", "assume": {"x": 1}}, "assume must be text"),
        ({"id": "a", "loss": "w", "wrt": "w", "feedback": {"c": 5}}, "feedback maps"),
        ({"id": "a", "loss": "w", "wrt": "w", "let": 5}, "let must be text"),
        ({"id": "a", "loss": "w", "wrt": "w", "up_to_factor": "yes"}, "true or false"),
        (
            {
                "id": "a",
                "loss": "w y",
                "wrt": "w",
                "constraints": ["one-hot(" + ", ".join(f"y{i}" for i in range(3000)) + ")"],
            },
            "at most 256",
        ),
    ],
)
def test_a_field_of_the_wrong_kind_is_a_bad_key(entry, message):
    with pytest.raises(ProblemError, match=message):
        load_key([entry])


# ---------------------------------------------------------------- codes the key may name
@pytest.mark.parametrize(
    "table, code, near",
    [
        ("rubric", "constant_factr", "constant_factor"),
        ("rubric", "sign_eror", "sign_error"),
        ("rubric", "wrongline", "wrong_line"),
        ("rubric", "Sign_Error", "sign_error"),
        ("rubric", "correct", None),  # a correct part keeps its points: not a rubric code
        ("feedback", "sign_eror", "sign_error"),
        ("feedback", "missing_transpos", "missing_transpose"),
        ("feedback", "unreadble", "unreadable"),
        ("feedback", "zzz", None),
    ],
)
def test_a_code_symgrad_never_gives_is_refused_with_the_nearest(table, code, near):
    value = 1 if table == "rubric" else "a sentence"
    key = {"question": [{"id": "q", "loss": "w^2", "wrt": ["w"], table: {code: value}}]}
    with pytest.raises(ProblemError) as error:
        load_key(key)
    message = error.value.one_line()
    assert f"{table} code {code!r} is not a code symgrad gives" in message
    assert (f"did you mean {near!r}?" in message) if near else "did you mean" not in message


def test_every_code_symgrad_gives_may_be_named():
    from symgrad.teaching.codes import FEEDBACK_CODES, RUBRIC_CODES
    from symgrad.teaching.diagnose import CODES

    assert set(CODES) <= set(RUBRIC_CODES) and set(RUBRIC_CODES) <= set(FEEDBACK_CODES)
    key = {"question": [{"id": "q", "loss": "w^2", "wrt": ["w"],
                         "rubric": dict.fromkeys(RUBRIC_CODES, 0.5),
                         "feedback": dict.fromkeys(FEEDBACK_CODES, "a sentence")}]}  # fmt: skip
    [question] = load_key(key)
    assert set(question.rubric) == set(RUBRIC_CODES)


def test_the_codes_in_the_readme_are_codes_the_key_may_name():
    import re
    from pathlib import Path

    from symgrad.teaching.codes import FEEDBACK_CODES

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### `symgrad grade`")[1].split("### `symgrad serve`")[0]
    table = section.split("| code | the answer |")[1].split("\n\n")[0]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M)) <= set(FEEDBACK_CODES)


def test_a_rubric_typo_on_the_command_line_is_one_line_and_exit_2(tmp_path):
    from typer.testing import CliRunner

    from symgrad.cli import app

    (tmp_path / "key.toml").write_text(
        '[[question]]\nid = "q1"\nloss = "(y - w x)^2"\nwrt = ["w"]\npoints = 3\n'
        "[question.rubric]\nconstant_factr = 2\n"
    )
    (tmp_path / "a.csv").write_text("student,question,answer\ns,q1,-x(y - w x)\n")
    result = CliRunner().invoke(
        app, ["grade", str(tmp_path / "a.csv"), "--key", str(tmp_path / "key.toml")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "symgrad: error: key: question 'q1': rubric code 'constant_factr' is not a code "
        "symgrad gives: did you mean 'constant_factor'?"
    ]


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"wrt": ["zz"]}, r"wrt names 'zz', which the loss does not use"),
        ({"loss": "\\frac{1}{2} w", "wrt": ["w"]}, r'use format = "latex" for LaTeX input'),
        ({"loss": "x^T W", "wrt": ["W"]}, r'a transpose needs shapes \(shapes = \["w=k"\]\)'),
        ({"wrt": ["w", "w"]}, r"wrt names w twice"),
    ],
)
def test_an_error_inside_a_question_names_the_key_fields_not_cli_options(entry, message):
    """A teacher writes a key, not a command line: no --wrt, --latex or --shape."""
    with pytest.raises(ProblemError, match=message) as error:
        load_key([{"id": "q", "loss": "(y - w x)^2", "wrt": ["w"], **entry}])
    assert "--" not in str(error.value)


def test_in_key_terms():
    from symgrad.teaching.key import in_key_terms

    assert in_key_terms("--wrt names 'zz'") == "wrt names 'zz'"
    assert in_key_terms("declare them with --shape (e.g. --shape X=n,k --shape y=n)") == (
        'declare them with shapes (e.g. shapes = ["X=n,k"] shapes = ["y=n"])'
    )
    assert in_key_terms('define it with --let "p = ..."') == 'define it with let "p = ..."'
    assert in_key_terms("declare it with --function F") == "declare it with functions F"
