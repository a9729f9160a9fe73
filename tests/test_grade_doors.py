"""Every door of ``symgrad grade``, tried with hostile input: one line and exit 2 (or a graded
class), never a traceback, never a hang past the budget, never a lost or torn file.

Each case prepares a folder holding a small key (``key.toml``) and answers
(``answers.csv``), runs the command line, and checks the exit code, the one-line message,
that every file that was there before is byte for byte the same (unless the case writes
it on purpose), and that no temporary file is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from symgrad.cli import app

runner = CliRunner()
KEY = '[[question]]\nid = "q1"\nloss = "(y - w x)^2"\nwrt = ["w"]\npoints = 2\n'
ANSWERS = "student,question,answer\ns1,q1,-2x(y - wx)\ns2,q1,2x(y - wx)\n"


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "key.toml").write_text(KEY)
    (tmp_path / "answers.csv").write_text(ANSWERS)
    return tmp_path


def _state(folder: Path) -> dict[str, str]:
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.startswith("fifo"):
            state[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def _run(folder: Path, args: list[str], timeout: float = 60):
    cwd = os.getcwd()
    os.chdir(folder)
    start = time.monotonic()
    try:
        result = runner.invoke(app, ["grade", *args, "--no-timing"])
    finally:
        os.chdir(cwd)
    assert time.monotonic() - start < timeout, args
    assert "Traceback" not in (result.stderr + result.stdout), result.stderr[-800:]
    assert not any(p.name.endswith(".tmp") for p in folder.rglob("*")), list(folder.rglob("*"))
    return result


def _refused(folder: Path, args: list[str], message: str, code: int = 2, timeout: float = 60):
    before = _state(folder)
    result = _run(folder, args, timeout)
    assert result.exit_code == code, (args, result.exit_code, result.stdout[-400:], result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and re.search(message, lines[0]), (args, result.stderr)
    assert _state(folder) == before, args  # nothing written, nothing lost
    return result


# ---------------------------------------------------------------- outputs
def _link(folder):
    (folder / "link.csv").symlink_to(folder / "answers.csv")


def _hard(folder):
    os.link(folder / "answers.csv", folder / "hard.csv")


def _fifo(folder):
    os.mkfifo(folder / "fifo.jsonl")


def _notes(folder):
    (folder / "notes.jsonl").write_text("my notes\n")
    (folder / "notes.html").write_text("<p>my page</p>")
    (folder / "grades.csv").write_text("name,mark\nann,9\n")
    (folder / "report.md").write_text("# My report\n")


def _key_named_html(folder):
    (folder / "key.html").write_text(KEY)


def _feedback_owned(folder):
    (folder / "fb").mkdir()
    (folder / "fb" / "s1.md").write_text("s1's own notes")


OUTPUT_CASES = [
    # (name, setup, arguments after 'answers.csv --key key.toml', message)
    ("out is the answers", None, ["--out", "answers.csv"], "same file as the answers"),
    ("out by another path", None, ["--out", "./sub/../answers.csv"], "same file as the answers"),
    ("out is a symlink to the answers", _link, ["--out", "link.csv"], "same file as the answers"),
    ("out is a hard link to the answers", _hard, ["--out", "hard.csv"], "same file"),
    ("gradebook is the answers", None, ["--gradebook", "answers.csv"], "same file as the answers"),
    ("feedback dir is the answers", None, ["--feedback-dir", "answers.csv"], "same file"),
    (
        "report is the key",
        _key_named_html,
        ["--key", "key.html", "--report", "key.html"],
        "same file as the key",
    ),  # fmt: skip
    ("two outputs in one file", None, ["--out", "g.csv", "--gradebook", "g.csv"], "same file"),
    ("out is a FIFO", _fifo, ["--out", "fifo.jsonl"], "not a regular file"),
    ("out is a device", None, ["--out", "/dev/null"], "must end in|not a regular file"),
    ("out is a folder", lambda f: (f / "d.jsonl").mkdir(), ["--out", "d.jsonl"], "a folder"),
    ("out in a missing folder", None, ["--out", "no/g.jsonl"], "does not exist"),
    ("out of another kind", None, ["--out", "graded.txt"], "must end in .csv or .jsonl"),
    ("out is not symgrad's", _notes, ["--out", "notes.jsonl"], "not written by symgrad"),
    ("resume a file not symgrad's", _notes, ["--out", "notes.jsonl", "--resume"], "not written"),
    ("resume without out", None, ["--resume"], "resume needs"),
    ("report is not symgrad's", _notes, ["--report", "notes.html"], "not written by symgrad"),
    ("md report is not symgrad's", _notes, ["--report", "report.md"], "not written by symgrad"),
    ("gradebook is not symgrad's", _notes, ["--gradebook", "grades.csv"], "not written"),
    ("report of another kind", None, ["--report", "r.pdf"], "must end in .html or .md"),
    ("report in a missing folder", None, ["--report", "no/r.html"], "does not exist"),
    ("gradebook of another kind", None, ["--gradebook", "g.xlsx"], "must end in .csv"),
    ("feedback file not symgrad's", _feedback_owned, ["--feedback-dir", "fb"], "not written"),
    ("feedback dir is a file", _notes, ["--feedback-dir", "notes.html"], "not a folder"),
    ("feedback format", None, ["--feedback-dir", "fb", "--feedback-format", "pdf"], "markdown"),
    ("overrides is the out", None, ["--overrides", "o.csv", "--out", "o.csv"], "same file"),
]


@pytest.mark.parametrize(
    "name, setup, args, message", OUTPUT_CASES, ids=[c[0] for c in OUTPUT_CASES]
)
def test_an_output_that_could_lose_a_file_is_refused(tmp_path, name, setup, args, message):
    folder = _folder(tmp_path)
    (folder / "sub").mkdir()
    if setup:
        setup(folder)
    _refused(folder, ["answers.csv", "--key", "key.toml", *args], message)


def test_a_second_run_on_the_same_out_is_refused_while_the_first_writes(tmp_path):
    from symgrad.teaching.files import locked

    folder = _folder(tmp_path)
    with locked(folder / "graded.jsonl", "--out"):
        _refused(folder, ["answers.csv", "--key", "key.toml", "--out", "graded.jsonl"],
                 "being written by another symgrad grade")  # fmt: skip


# ---------------------------------------------------------------- answers
def _write(name: str, data: str | bytes):
    def setup(folder: Path) -> None:
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())

    return setup


def _sparse(folder: Path) -> None:
    with open(folder / "huge.csv", "wb") as handle:
        handle.truncate(64 * 2**20)


ANSWER_CASES = [
    ("missing file", None, "nothere.csv", "cannot read the answers file"),
    ("a device", None, "/dev/zero", "not a regular file"),
    ("a FIFO", _fifo, "fifo.jsonl", "not a regular file"),
    ("a folder", lambda f: (f / "d.csv").mkdir(), "d.csv", "not a regular file"),
    ("not UTF-8", _write("a.csv", b"student,question,answer\ns,q1,caf\xe9\n"), "a.csv", "UTF-8"),
    ("larger than the limit", _sparse, "huge.csv", "exceeds"),
    ("unclosed quote", _write("a.csv", 'student,question,answer\ns,q1,"2w\n'), "a.csv", "quote"),
    ("extra field", _write("a.csv", "student,question,answer\ns,q1,max(w, 0)\n"), "a.csv",
     "more fields than the header"),  # fmt: skip
    ("no header", _write("a.csv", "s,q1,2w\n"), "a.csv", "header must name"),
    ("twice", _write("a.csv", "student,question,answer\ns,q1,1\ns,q1,2\n"), "a.csv", "two answers"),
    ("unknown question", _write("a.csv", "student,question,answer\ns,q9,1\n"), "a.csv", "q9"),
    ("empty student", _write("a.csv", "student,question,answer\n ,q1,1\n"), "a.csv", "empty"),
    ("control in a name", _write("a.csv", "student,question,answer\n\x1b[2J,q1,1\n"), "a.csv",
     "control character"),  # fmt: skip
    ("JSONL huge integer", _write("a.jsonl", '{"student": ' + "9" * 5000 + "}\n"), "a.jsonl",
     "4300 digits"),  # fmt: skip
    ("JSONL deep nesting", _write("a.jsonl", "[" * 100_000 + "]" * 100_000 + "\n"), "a.jsonl",
     "nested too deeply"),  # fmt: skip
    ("JSONL not an object", _write("a.jsonl", "[1, 2]\n"), "a.jsonl", "not a JSON object"),
    ("JSONL broken", _write("a.jsonl", "{'a': 1}\n"), "a.jsonl", "not JSON"),
    ("JSONL answer an object", _write("a.jsonl", json.dumps(
        {"student": "s", "question": "q1", "answer": {"w": 1}}) + "\n"), "a.jsonl", "text"),
]  # fmt: skip


@pytest.mark.parametrize(
    "name, setup, answers, message", ANSWER_CASES, ids=[c[0] for c in ANSWER_CASES]
)
def test_an_answers_file_that_cannot_be_read_is_one_line(tmp_path, name, setup, answers, message):
    folder = _folder(tmp_path)
    if setup:
        setup(folder)
    _refused(folder, [answers, "--key", "key.toml", "--out", "g.jsonl"], message, timeout=30)
    assert not (folder / "g.jsonl").exists()


# ---------------------------------------------------------------- the key
def _key(text: str):
    return _write("key.toml", text)


MANY = "".join(f'[[question]]\nid = "q{i}"\nloss = "w"\nwrt = ["w"]\n' for i in range(3000))
HOT = ", ".join(f"y{i}" for i in range(3000))
KEY_CASES = [
    ("missing", lambda f: (f / "key.toml").unlink(), "cannot read the key"),
    ("not TOML", _key("[[question]\n"), "not valid TOML"),
    ("nested TOML", _key("a = " + "[" * 100_000 + "]" * 100_000), "not valid TOML|nested"),
    ("3,000 questions", _key(MANY), "at most 1000"),
    ("one-hot over 3,000 names", _key(KEY + f'constraints = ["one-hot({HOT})"]\n'), "at most 256"),
    ("unknown field", _key(KEY + 'colour = "red"\n'), "unknown field"),
    ("infinite points", _key(KEY.replace("points = 2", "points = inf")), "from 0 to 1e6"),
    ("negative points", _key(KEY.replace("points = 2", "points = -1")), "from 0 to 1e6"),
    ("unreadable loss", _key(KEY.replace("(y - w x)^2", "(y - w x")), "key: question 'q1'"),
    ("a parameter the loss lacks", _key(KEY.replace('["w"]', '["v"]')), "does not use"),
    ("an id twice", _key(KEY + KEY), "appears twice"),
    ("a bad rubric", _key(KEY + "[question.rubric]\nsign_error = -3\n"), "rubric"),
    ("a non-text field", _key(KEY + "functions = 5\n"), "functions must be text"),
]


@pytest.mark.parametrize("name, setup, message", KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_a_bad_key_is_one_line_and_quick(tmp_path, name, setup, message):
    folder = _folder(tmp_path)
    setup(folder)
    _refused(folder, ["answers.csv", "--key", "key.toml", "--timeout", "10"], message, timeout=12)


@pytest.mark.slow
def test_a_long_key_is_checked_within_the_budget(tmp_path):
    folder = _folder(tmp_path)
    many = "".join(
        f'[[question]]\nid = "q{i}"\nloss = "(y - w x)^2 + {i} w"\nwrt = ["w"]\n'
        for i in range(900)
    )
    _key(many)(folder)
    _refused(folder, ["answers.csv", "--key", "key.toml", "--timeout", "3"],
             "ran out of the time budget", code=3, timeout=8)  # fmt: skip


# ---------------------------------------------------------------- the Dask door
SCHEDULER_CASES = [
    ("ucx", "ucx://10.0.0.1:8786", "ucx:// is not supported"),
    ("tls", "tls://10.0.0.1:8786", "tls:// needs certificates"),
    ("inproc", "inproc://1/2/3", "inproc://"),
    ("no port", "tcp://localhost", "not an address"),
    ("garbage", "not an address at all", "not an address"),
    ("unknown host", "tcp://no-such-host.invalid:8786", "no Dask scheduler answers"),
]


@pytest.mark.parametrize(
    "name, address, message", SCHEDULER_CASES, ids=[c[0] for c in SCHEDULER_CASES]
)
def test_a_scheduler_that_is_no_dask_scheduler_is_one_line(tmp_path, name, address, message):
    folder = _folder(tmp_path)
    _refused(folder, ["answers.csv", "--key", "key.toml", "--scheduler", address], message)


@pytest.mark.parametrize("greeting", [b"HTTP/1.1 400 Bad Request\r\n\r\n", None])
def test_a_web_server_or_a_silent_peer_is_refused_within_the_timeout(tmp_path, greeting):
    from tests.teaching.test_cluster import _Server

    folder = _folder(tmp_path)
    server = _Server(greeting)
    try:
        _refused(folder, ["answers.csv", "--key", "key.toml", "--scheduler", server.address,
                          "--timeout", "2"], "no Dask scheduler answers", timeout=6)  # fmt: skip
    finally:
        server.close()


# ---------------------------------------------------------------- options and overrides
OPTION_CASES = [
    ("no workers", ["--workers", "0"], "--workers"),
    ("too many workers", ["--workers", "100000"], "--workers"),
    ("a zero budget", ["--timeout", "0"], "positive|timeout"),
    ("an answer budget of nan", ["--answer-timeout", "nan"], "nan|answer-timeout"),
    ("overrides missing", ["--overrides", "none.csv"], "cannot read the overrides"),
    ("nothing to grade", [], "give ANSWERS"),
]


@pytest.mark.parametrize("name, args, message", OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_a_bad_option_is_exit_2(tmp_path, name, args, message):
    folder = _folder(tmp_path)
    base = [] if name == "nothing to grade" else ["answers.csv", "--key", "key.toml"]
    result = _run(folder, [*base, *args])
    assert result.exit_code == 2 and re.search(message, result.stderr + result.stdout), (
        result.stderr
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("student,question,points\ns2,q1,3\n", "from 0 to 2"),
        ("student,question,points\ns2,q1,inf\n", "not a number"),
        ("student,question,points\nzz,q1,1\n", "not in the answers file"),
        ("student,question,points\ns2,q1,1\ns2,q1,1\n", "a second override"),
    ],
)
def test_a_bad_override_is_one_line(tmp_path, text, message):
    folder = _folder(tmp_path)
    (folder / "o.csv").write_text(text)
    _refused(folder, ["answers.csv", "--key", "key.toml", "--overrides", "o.csv"], message)


def test_json_errors_are_one_json_object(tmp_path):
    folder = _folder(tmp_path)
    result = _run(folder, ["answers.csv", "--key", "key.toml", "--out", "answers.csv", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert set(error) == {"error", "kind", "exit"} and "same file" in error["error"]


# ---------------------------------------------------------------- hostile answers, graded
HOSTILE_ROWS = [
    ("=cmd|' /C calc'!A0", "-2x(y - wx)"),
    ("@SUM(1+1)", "2"),
    ("+1", "x" * 140_000),  # a cell beyond the CSV module's limit: that row's too_long
    ("-1", "9**9**9**9"),
    ("<b>bold</b> & co", "__import__('os').system('touch /tmp/pwned')"),
    ("tab\tname", "(" * 500),
    ("newline", "\n".join(["dJ/dw = 1"] * 300)),  # a derivation of 300 lines
    ("dollar $x$", r"\frac{\partial J}{\partial w} = -2x(y - wx)"),
    ("nul", "2\x00w"),
]


def test_hostile_answers_are_graded_and_every_output_is_safe(tmp_path):
    import csv
    import io

    folder = _folder(tmp_path)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "question", "answer"])
    writer.writerows([(student, "q1", answer) for student, answer in HOSTILE_ROWS])
    (folder / "answers.csv").write_text(out.getvalue())
    result = _run(folder, ["answers.csv", "--key", "key.toml", "--out", "g.csv", "--report",
                           "r.md", "--gradebook", "gb.csv", "--feedback-dir", "fb",
                           "--answer-timeout", "5"], timeout=60)  # fmt: skip
    assert result.exit_code in (0, 3), result.stderr
    gradebook = list(csv.reader(io.StringIO((folder / "gb.csv").read_text())))
    for row in gradebook[1:]:
        assert not row[0].lstrip(" ").startswith(("=", "+", "-", "@", "\t")), row
    graded = list(csv.DictReader(io.StringIO((folder / "g.csv").read_text())))
    verdicts = {r["student"].lstrip("'"): r["verdict"] for r in graded}
    assert verdicts["+1"] == "too_long" and verdicts["=cmd|' /C calc'!A0"] == "correct"
    assert verdicts["newline"] == "too_long" and verdicts["dollar $x$"] == "correct"
    assert verdicts["nul"] == "unreadable"
    for r in graded:
        assert not r["student"].startswith(("=", "+", "-", "@")), r["student"]
    markdown = (folder / "r.md").read_text()
    assert "<b>" not in markdown and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in markdown
    assert len(list((folder / "fb").iterdir())) == len(HOSTILE_ROWS)
    assert not Path("/tmp/pwned").exists()


# ---------------------------------------------------------------- files that look like symgrad's
GRADED_CSV_HEADER = (
    "student,question,verdict,points,max_points,codes,feedback,components,notes,override,"
    "fingerprint\n"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _lookalikes(folder: Path) -> None:
    """Files a teacher may keep, each starting the way a careless test would take for symgrad's."""
    files = {
        "roster.csv": "student,email,final exam\nann,ann@example.org,17\n",
        "week2.csv": "student,question,answer\nann,q1,2x(y - wx)\n",
        "other-key.csv": "student,q9 (1),total (1)\nann,1,1\n",
        "rows.csv": GRADED_CSV_HEADER + "ann,q1,correct,2,2,,correct,[],[],,abc\n",
        "partial.csv": "student,question,verdict,points,max_points\nann,q1,correct,2,2\n",
        "notes.md": "# Class report\n\nmy notes on the class\n",
        "fbnotes.md": "<!-- symgrad feedback -->\n# Feedback for ann\n",
        "late-mark.md": "# My notes\n<!-- symgrad class report -->\n",
        "notes.html": "<html><body><p>Notes on the symgrad class report</p></body></html>",
        "fb.html": "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='generator' content='symgrad feedback'><title>x</title>",
        "mine.jsonl": '{"student": "ann", "question": "q1", "verdict": "correct", "points": 2}\n',
        "mine.tex": "\\section{Class report}\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    (folder / "r-histogram.png").write_bytes(PNG_SIGNATURE + b"\0\0\0\rIHDR symgrad plot")
    (folder / "fbm").mkdir()
    (folder / "fbm" / "s1.md").write_text("# Feedback for s1\n\n<!-- symgrad feedback -->\nmine\n")
    (folder / "fbh").mkdir()
    (folder / "fbh" / "s1.html").write_text("<p>my page about the symgrad feedback</p>")


LOOKALIKE_CASES = [
    # (name, arguments after 'answers.csv --key key.toml', message)
    ("gradebook over a roster", ["--gradebook", "roster.csv"], "not written by symgrad"),
    ("gradebook over another week's answers", ["--gradebook", "week2.csv"], "not written"),
    ("gradebook over another key's gradebook", ["--gradebook", "other-key.csv"], "not written"),
    ("gradebook over graded rows", ["--gradebook", "rows.csv"], "not written by symgrad"),
    ("out over a gradebook-like csv", ["--out", "partial.csv"], "not written by symgrad"),
    ("out over a roster", ["--out", "roster.csv"], "not written by symgrad"),
    ("out over a teacher's jsonl", ["--out", "mine.jsonl"], "not written by symgrad"),
    ("md report over notes titled Class report", ["--report", "notes.md"], "not written"),
    ("md report over a feedback file", ["--report", "fbnotes.md"], "not written"),
    ("md report over a late marker", ["--report", "late-mark.md"], "not written"),
    ("html report over a page naming it", ["--report", "notes.html"], "not written"),
    ("html report over a feedback page", ["--report", "fb.html"], "not written"),
    ("report histogram over a png", ["--report", "r.md"], "histogram.*not written"),
    ("tex report", ["--report", "mine.tex"], "must end in .html or .md"),
    ("md feedback with a late marker", ["--feedback-dir", "fbm"], "not written by symgrad"),
    ("html feedback naming the marker", ["--feedback-dir", "fbh", "--feedback-format", "html"],
     "not written by symgrad"),
]  # fmt: skip


@pytest.mark.parametrize(
    "name, args, message", LOOKALIKE_CASES, ids=[c[0] for c in LOOKALIKE_CASES]
)
def test_a_file_that_only_looks_like_an_output_of_symgrad_is_never_replaced(
    tmp_path, name, args, message
):
    folder = _folder(tmp_path)
    _lookalikes(folder)
    result = _refused(folder, ["answers.csv", "--key", "key.toml", *args], message)
    assert "delete it first" in result.stderr or "must end" in result.stderr


def test_every_output_symgrad_wrote_is_replaced_by_the_next_run(tmp_path):
    folder = _folder(tmp_path)
    for outputs in (
        ["--out", "g.jsonl", "--report", "r.md", "--gradebook", "gb.csv", "--feedback-dir", "fb"],
        ["--out", "g.csv", "--report", "r.html", "--feedback-dir", "fh",
         "--feedback-format", "html"],
    ):  # fmt: skip
        for _ in range(2):
            result = _run(folder, ["answers.csv", "--key", "key.toml", *outputs])
            assert result.exit_code == 0, result.stderr
    assert (folder / "gb.csv").read_text().startswith("student,q1 (2),total (2)\n")
    assert (folder / "r.md").read_text().startswith("<!-- symgrad class report -->\n# Class report")
    assert (folder / "fb" / "s1.md").read_text().startswith("<!-- symgrad feedback -->\n")


def test_a_gradebook_of_other_questions_is_refused_after_the_key_changes(tmp_path):
    folder = _folder(tmp_path)
    assert (
        _run(folder, ["answers.csv", "--key", "key.toml", "--gradebook", "gb.csv"]).exit_code == 0
    )
    (folder / "key.toml").write_text(KEY.replace("points = 2", "points = 3"))
    _refused(folder, ["answers.csv", "--key", "key.toml", "--gradebook", "gb.csv"],
             r"not written.*gradebook of these questions starts 'student,q1 \(3\),total \(3\)'")  # fmt: skip


# ---------------------------------------------------------------- outputs that cannot be written
UNWRITABLE_CASES = [
    ("gradebook in /proc", ["--gradebook", "/proc/g.csv"], "cannot write in the folder"),
    ("report in /proc", ["--report", "/proc/r.html"], "cannot write in the folder"),
    ("md report in /proc", ["--report", "/proc/r.md"], "cannot write in the folder"),
    ("out in /proc", ["--out", "/proc/g.jsonl"], "cannot write in the folder"),
    ("feedback dir in /proc", ["--feedback-dir", "/proc/fb"], "cannot write in the folder"),
    ("feedback dir in /sys", ["--feedback-dir", "/sys/fb"], "cannot write in the folder"),
    ("feedback dir is /proc/self", ["--feedback-dir", "/proc/self"], "cannot write in the folder"),
    ("feedback dir under a file", ["--feedback-dir", "answers.csv/sub"], "'answers.csv' is a file"),
    ("gradebook under a file's folder", ["--gradebook", "answers.csv/a/g.csv"],
     "'answers.csv' is a file"),
]  # fmt: skip


@pytest.mark.parametrize(
    "name, args, message", UNWRITABLE_CASES, ids=[c[0] for c in UNWRITABLE_CASES]
)
def test_an_output_that_cannot_be_written_is_refused_before_any_grading(
    tmp_path, monkeypatch, name, args, message
):
    from symgrad.teaching import grade as grading

    def no_grading(*_, **__):
        raise AssertionError("graded before the outputs were checked")

    monkeypatch.setattr(grading._Run, "grade", no_grading)
    folder = _folder(tmp_path)
    result = _refused(folder, ["answers.csv", "--key", "key.toml", *args], message)
    assert "internal" not in result.stderr


def test_an_os_error_while_writing_is_one_line_never_internal(tmp_path, monkeypatch):
    from symgrad.teaching import grade as grading

    def refuse(*_, **__):
        raise PermissionError(13, "Permission denied")

    folder = _folder(tmp_path)
    monkeypatch.setattr(Path, "mkdir", refuse)
    result = _run(folder, ["answers.csv", "--key", "key.toml", "--feedback-dir", "fb"])
    assert result.exit_code == 2 and "Permission denied" in result.stderr, result.stderr
    assert "internal" not in result.stderr
    assert grading.FEEDBACK_FORMATS  # the module the refusal comes from


# ---------------------------------------------------------------- feedback file names
def test_two_ids_that_map_to_one_feedback_file_get_two_files(tmp_path):
    folder = _folder(tmp_path)
    (folder / "answers.csv").write_text(
        "student,question,answer\nZoë Lee,q1,-2x(y - wx)\nZoe_Lee-377deefbbc,q1,2x(y - wx)\n"
        "Ann,q1,-2x(y - wx)\nann,q1,0\nANN.md,q1,0\n"
    )
    result = _run(folder, ["answers.csv", "--key", "key.toml", "--feedback-dir", "fb"])
    assert result.exit_code == 0, result.stderr
    files = sorted((folder / "fb").iterdir())
    assert len(files) == 5 and len({f.name.casefold() for f in files}) == 5
    assert "Written: 5 feedback files in fb" in result.stdout
    owners = {f.read_text().split("\n")[1] for f in files}
    assert owners == {f"# Feedback for {name}" for name in
                      ("Zoë Lee", "Zoe\\_Lee-377deefbbc", "Ann", "ann", "ANN.md")}  # fmt: skip


def test_resume_with_a_smaller_answers_file_is_refused_and_the_rows_kept(tmp_path):
    folder = _folder(tmp_path)
    assert _run(folder, ["answers.csv", "--key", "key.toml", "--out", "g.jsonl"]).exit_code == 0
    (folder / "one.csv").write_text("student,question,answer\ns1,q1,-2x(y - wx)\n")
    _refused(folder, ["one.csv", "--key", "key.toml", "--out", "g.jsonl", "--resume"],
             r"holds 1 graded row\(s\) of answers that are not in this answers file")  # fmt: skip


# ---------------------------------------------------------------- feedback files meet other files
def test_a_feedback_file_that_is_the_report_or_an_input_is_refused(tmp_path):
    folder = _folder(tmp_path)
    (folder / "fb").mkdir()
    _refused(folder, ["answers.csv", "--key", "key.toml", "--feedback-dir", "fb",
                      "--report", "fb/s1.md"], "'fb/s1.md' is the same file as --report")  # fmt: skip
    (folder / "fb" / "s2.md").write_text(ANSWERS)  # the answers, kept in the feedback folder
    _refused(folder, ["fb/s2.md", "--key", "key.toml", "--feedback-dir", "fb"],
             "'fb/s2.md' is the same file as the answers")  # fmt: skip
    (folder / "fb" / "s1.html").write_text(KEY)  # the key, named as s1's html feedback
    _refused(folder, ["answers.csv", "--key", "fb/s1.html", "--feedback-dir", "fb",
                      "--feedback-format", "html"], "same file as the key")  # fmt: skip


def test_the_feedback_format_is_read_in_any_case(tmp_path):
    folder = _folder(tmp_path)
    result = _run(folder, ["answers.csv", "--key", "key.toml", "--feedback-dir", "fb",
                           "--feedback-format", "HTML"])  # fmt: skip
    assert result.exit_code == 0 and sorted(p.name for p in (folder / "fb").iterdir()) == [
        "s1.html", "s2.html"]  # fmt: skip


@pytest.mark.parametrize("where", ["ftruncate", "is_dir"])
def test_any_file_system_error_during_a_run_is_one_line_exit_2(tmp_path, monkeypatch, where):
    folder = _folder(tmp_path)
    (folder / "fb").mkdir()

    def fail(*_, **__):
        raise OSError(5, "Input/output error", "graded.jsonl")

    if where == "ftruncate":
        monkeypatch.setattr(os, "ftruncate", fail)
    else:
        monkeypatch.setattr(Path, "is_dir", lambda self: fail() if self.name == "fb" else True)
    result = _run(folder, ["answers.csv", "--key", "key.toml", "--out", "graded.jsonl",
                           "--feedback-dir", "fb"])  # fmt: skip
    assert result.exit_code == 2 and "internal" not in result.stderr, result.stderr
    assert "Input/output error" in result.stderr and len(result.stderr.splitlines()) == 1
