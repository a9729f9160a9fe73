"""Item analysis: answer groups, discrimination known by construction, histogram bins."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symgrad.results import GradedAnswer
from symgrad.teaching.grade import grade
from symgrad.teaching.item_analysis import answer_groups, discrimination, score_bins


def _row(student, question, points, reading="", verdict="correct", answer=("x",)):
    component = {"name": "w", "verdict": verdict, "codes": [], "reading": reading}
    return GradedAnswer(student, question, verdict, points, 1.0, (), "", (component,), answer)


def test_discrimination_of_a_question_that_follows_the_rest_is_one():
    # students who do well elsewhere get q right: the item-rest correlation is exactly 1
    rows = []
    for index, (good, rest) in enumerate([(1, 3), (1, 3), (0, 0), (0, 0), (1, 3)]):
        rows += [_row(f"s{index}", "q", good), _row(f"s{index}", "r", rest)]
    totals = {f"s{i}": sum(r.points for r in rows if r.student == f"s{i}") for i in range(5)}
    assert discrimination([r for r in rows if r.question == "q"], totals) == pytest.approx(1.0)
    flipped = [_row(r.student, "q", 1 - r.points) for r in rows if r.question == "q"]
    totals = {s: 1 - next(r.points for r in rows if r.student == s and r.question == "q") + t
              - next(r.points for r in rows if r.student == s and r.question == "q")
              for s, t in totals.items()}  # fmt: skip
    assert discrimination(flipped, totals) == pytest.approx(-1.0)


def test_discrimination_is_undefined_without_spread():
    rows = [_row(f"s{i}", "q", 1) for i in range(5)]
    assert discrimination(rows, {f"s{i}": 3.0 + i for i in range(5)}) is None
    assert discrimination(rows[:2], {"s0": 1.0, "s1": 2.0}) is None


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 10)), min_size=3, max_size=30))
def test_discrimination_is_a_correlation(pairs):
    rows = [_row(f"s{i}", "q", p) for i, (p, _) in enumerate(pairs)]
    totals = {f"s{i}": p + rest for i, (p, rest) in enumerate(pairs)}
    value = discrimination(rows, totals)
    assert value is None or -1.0 <= value <= 1.0


def test_identical_readings_are_one_group_whatever_the_writing():
    key = {"question": [{"id": "q", "loss": "(y - w x)^2", "wrt": ["w"]}]}
    answers = ["-2x(y - wx)", "-2*x*(y - w*x)", r"-2x\left(y - wx\right)", "2x(wx - y)",
               "2x(y - wx)", "", "?"]  # fmt: skip
    rows, report = grade(key, [{"student": f"s{i}", "question": "q", "answer": a}
                               for i, a in enumerate(answers)])  # fmt: skip
    groups = report.questions[0].groups
    # the same expression as read, however written; 2x(wx - y) is another reading of it
    assert [(g.count, g.verdict) for g in groups] == [
        (3, "correct"), (2, "blank"), (1, "correct"), (1, "incorrect"),
    ]  # fmt: skip
    assert groups[0].students == ("s0", "s1", "s2") and groups[0].reading == "-2*x*(-w*x + y)"


def test_answers_that_were_not_read_group_by_their_text():
    rows = [_row("a", "q", 0, verdict="unreadable", answer=("2x(",)),
            _row("b", "q", 0, verdict="unreadable", answer=("2x( ",)),
            _row("c", "q", 0, verdict="unreadable", answer=("3x(",))]  # fmt: skip
    assert [g.count for g in answer_groups(rows)] == [2, 1]


@pytest.mark.parametrize(
    "values, top, bins",
    [
        ([0, 2, 2, 8], 8, 9),  # whole scores up to 12: one bin per score
        ([0.5, 1.5], 2, 10),  # halves: 10% bins
        ([0, 13, 20], 20, 10),  # a maximum above 12: 10% bins
    ],
)
def test_score_bins(values, top, bins):
    made = score_bins(values, top)
    assert len(made) == bins and sum(count for _, count in made) == len(values)


@given(st.lists(st.floats(0, 37, allow_nan=False), max_size=50))
def test_every_score_falls_in_one_bin(values):
    assert sum(count for _, count in score_bins(values, 37)) == len(values)
