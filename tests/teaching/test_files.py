"""The files of a grading run: outputs that could lose a file are refused before any work."""

import os
import re
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symgrad.errors import DatasetError, ProblemError
from symgrad.teaching.files import (
    Output,
    check_outputs,
    locked,
    read_text,
    safe_file_names,
    symgrad_wrote,
    write_atomically,
)

OURS = symgrad_wrote(b"symgrad")


def _refused(tmp_path, target, *inputs, ours=OURS, folder=False):
    with pytest.raises(ProblemError) as error:
        check_outputs(
            [Output("--out", Path(target), ours, folder)],
            [(f"input {i}", Path(p)) for i, p in enumerate(inputs)],
        )
    return error.value.one_line()


def test_an_output_that_is_an_input_is_refused_by_path_link_or_inode(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("student,question,answer\n")
    (tmp_path / "link.csv").symlink_to(answers)
    os.link(answers, tmp_path / "hard.csv")
    for target in (answers, tmp_path / "link.csv", tmp_path / "hard.csv",
                   tmp_path / "sub" / ".." / "answers.csv"):  # fmt: skip
        (tmp_path / "sub").mkdir(exist_ok=True)
        assert "same file as input 0" in _refused(tmp_path, target, answers)
    assert answers.read_text() == "student,question,answer\n"


def test_two_outputs_may_not_be_one_file(tmp_path):
    target = tmp_path / "r.csv"
    with pytest.raises(ProblemError, match="same file as --a"):
        check_outputs([Output("--a", target, OURS), Output("--b", target, OURS)], [])


def test_what_is_not_a_regular_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo.jsonl")
    (tmp_path / "dir.jsonl").mkdir()
    assert "not a regular file" in _refused(tmp_path, tmp_path / "fifo.jsonl")
    assert "a folder" in _refused(tmp_path, tmp_path / "dir.jsonl")
    assert "not a regular file" in _refused(tmp_path, "/dev/null")
    assert "does not exist" in _refused(tmp_path, tmp_path / "nowhere" / "x.jsonl")
    (tmp_path / "file").write_text("x")
    assert "not a folder" in _refused(tmp_path, tmp_path / "file", folder=True)


def test_a_file_symgrad_did_not_write_is_left_alone(tmp_path):
    mine = tmp_path / "mine.html"
    mine.write_text("<p>my notes</p>")
    assert "was not written by symgrad" in _refused(tmp_path, mine)
    assert mine.read_text() == "<p>my notes</p>"
    ours = tmp_path / "ours.html"
    ours.write_text("<meta name='generator' content='symgrad class report'>")
    check_outputs([Output("--report", ours, OURS)], [])  # a report symgrad wrote may be replaced


def test_an_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "g.csv"
    write_atomically(target, "a\n" * 1000)
    write_atomically(target, "b\n")
    assert target.read_text() == "b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]


def test_an_atomic_write_that_fails_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "g.csv"
    target.write_text("old")

    def failing_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ProblemError, match="No space left"):
        write_atomically(target, "new", "--gradebook")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["g.csv"]


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    target = tmp_path / "graded.jsonl"
    with locked(target, "--out"):
        failures = []

        def second():
            try:
                with locked(target, "--out"):
                    pass
            except ProblemError as error:
                failures.append(error.one_line())

        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    assert failures and "being written by another symgrad grade" in failures[0]
    with locked(target, "--out"):  # released: the next run may write
        pass


def test_inputs_are_read_with_a_bound(tmp_path):
    with pytest.raises(DatasetError, match="not a regular file"):
        read_text("/dev/zero", "answers file")
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(DatasetError, match="exceeds 1000 bytes"):
        read_text(big, "answers file", limit=1000)
    (tmp_path / "latin.csv").write_bytes(b"caf\xe9")
    with pytest.raises(DatasetError, match="not UTF-8"):
        read_text(tmp_path / "latin.csv", "answers file")


@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=30, unique=True))
def test_feedback_file_names_are_safe_and_distinct_whatever_the_ids(ids):
    names = safe_file_names(ids, ".md")
    assert set(names) == set(ids)
    files = list(names.values())
    assert len({f.casefold() for f in files}) == len(files)  # distinct, even ignoring case
    for name in files:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}\.md", name), name


@pytest.mark.parametrize(
    "student, name",
    [("s01", "s01.md"), ("Ann Lee", None), ("../../etc/passwd", None), ("CON", None), (".", None)],
)
def test_feedback_file_names_keep_plain_ids_and_hash_the_others(student, name):
    made = safe_file_names([student], ".md")[student]
    if name:
        assert made == name
    else:
        assert (
            "/" not in made and made != f"{student}.md" and re.search(r"-[0-9a-f]{10}\.md$", made)
        )


@given(st.lists(st.text(min_size=1, max_size=70), min_size=1, max_size=12, unique=True))
def test_feedback_file_names_stay_distinct_when_ids_are_other_ids_file_names(ids):
    """The hostile class: a student whose id is exactly the cleaned, hashed name another id
    gets (or that name in other case): every file name is still distinct, ignoring case,
    and the names do not depend on the order of the ids."""
    taken = [name.removesuffix(".md") for name in safe_file_names(ids, ".md").values()]
    hostile = list(dict.fromkeys([*ids, *taken, *(t.upper() for t in taken)]))
    names = safe_file_names(hostile, ".md")
    files = list(names.values())
    assert len({f.casefold() for f in files}) == len(files) == len(hostile)
    assert safe_file_names(list(reversed(hostile)), ".md") == names
    for name in files:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,140}\.md", name), name


def test_the_id_that_is_another_ids_file_name_keeps_its_name():
    names = safe_file_names(["Zoë Lee", "Zoe_Lee-377deefbbc"], ".md")
    assert names["Zoe_Lee-377deefbbc"] == "Zoe_Lee-377deefbbc.md"
    assert names["Zoë Lee"].startswith("Zoe_Lee-377deefbbc") and names["Zoë Lee"] != (
        "Zoe_Lee-377deefbbc.md"
    )
    assert safe_file_names(["NUL.txt"], ".md")["NUL.txt"] != "NUL.txt.md"  # a Windows device


# ---------------------------------------------------------------- what proves symgrad wrote a file
def _kinds():
    from symgrad.teaching.files import (
        HTML_FEEDBACK_START,
        HTML_REPORT_START,
        MARKDOWN_FEEDBACK_START,
        MARKDOWN_REPORT_START,
        exact_header,
        is_histogram,
        starts_with,
    )
    from symgrad.teaching.graded_file import is_graded_file

    return {
        "md report": starts_with(MARKDOWN_REPORT_START),
        "md feedback": starts_with(MARKDOWN_FEEDBACK_START),
        "html report": starts_with(HTML_REPORT_START),
        "html feedback": starts_with(HTML_FEEDBACK_START),
        "gradebook": exact_header("student,q1 (2),total (2)\n"),
        "histogram": is_histogram,
        "graded csv": is_graded_file,
    }


TEACHER_STARTS = ["student,", "student,question,answer\n", "# Class report\n", "<!DOCTYPE html>",
                  "<!-- symgrad", "student,q1 (2),total (2)", '{"student": "ann"}',
                  "\x89PNG\r\n\x1a\n", "student,question,verdict,points,max_points\n"]  # fmt: skip


@given(start=st.sampled_from(TEACHER_STARTS), rest=st.text(max_size=200))
def test_a_file_that_only_starts_like_an_output_is_never_taken_for_one(
    start, rest, tmp_path_factory
):
    """Whatever a teacher's file holds after a start that looks like symgrad's, it is not
    taken for an output of any kind unless it begins with that kind's exact first bytes."""
    folder = tmp_path_factory.mktemp("t")
    path = folder / "file.csv"
    text = start + rest
    path.write_text(text, encoding="utf-8")
    exact = {
        "gradebook": text.startswith("student,q1 (2),total (2)\n"),
        "md report": text.startswith("<!-- symgrad class report -->\n"),
        "md feedback": text.startswith("<!-- symgrad feedback -->\n"),
    }
    for kind, ours in _kinds().items():
        if kind in ("html report", "html feedback", "histogram", "graded csv"):
            assert not ours(path), (kind, text)  # these starts are never in TEACHER_STARTS
        else:
            assert ours(path) == exact[kind], (kind, text)
