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
