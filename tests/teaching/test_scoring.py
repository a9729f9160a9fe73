"""Points per component: all or nothing by default, a key's rubric per diagnosis code."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from symgrad.errors import ProblemError
from symgrad.teaching.grade import grade
from symgrad.teaching.key import Question, load_key
from symgrad.teaching.scoring import component_points

RUBRIC_KEY = {
    "question": [
        {
            "id": "q",
            "loss": "(y - w x)^2",
            "wrt": ["w"],
            "points": 3,
            "rubric": {"constant_factor": 2, "sign_error": 1, "wrong_line": 2.5},
        }
    ]
}


@pytest.mark.parametrize(
    "answer, points, why",
    [
        ("-2x(y - wx)", 3, "correct: the part's points"),
        ("-x(y - wx)", 2, "a forgotten factor 2: the rubric's 2 of 3"),
        ("2x(y - wx)", 1, "a sign error: the rubric's 1"),
        ("-2w(y - wx)", 0, "a mistake the rubric does not name earns nothing"),
        ("dJ/dw = -2x(y - wx)\n= -2xy + 2wx^2 + 1\n= -2x(y - wx)", 2.5, "a wrong line, right end"),
        ("", 0, "blank"),
    ],
)
def test_a_rubric_gives_points_per_mistake(answer, points, why):
    rows, _ = grade(RUBRIC_KEY, [{"student": "s", "question": "q", "answer": answer}])
    assert rows[0].points == points, (why, rows[0].codes, rows[0].feedback)


def test_without_a_rubric_a_part_is_all_or_nothing():
    key = {"question": [dict(RUBRIC_KEY["question"][0], rubric=None)]}
    key["question"][0].pop("rubric")
    rows, _ = grade(key, [{"student": "s", "question": "q", "answer": "-x(y - wx)"}])
    assert rows[0].points == 0


def test_each_part_is_capped_by_its_own_points():
    key = {
        "question": [
            {"id": "q", "loss": "(y - w x - b)^2", "wrt": ["w", "b"], "points": [2, 1],
             "rubric": {"sign_error": 5}}
        ]
    }  # fmt: skip
    rows, _ = grade(key, [{"student": "s", "question": "q", "answer": "2x(y-wx-b); 2(y-wx-b)"}])
    assert [c["points"] for c in rows[0].components] == [2, 1] and rows[0].points == 3


@given(
    part=st.floats(0, 100, allow_nan=False),
    amounts=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0, 200, allow_nan=False)),
    codes=st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3),
    verdict=st.sampled_from(["correct", "incorrect", "unknown", "blank"]),
)
def test_component_points_stay_within_the_part(part, amounts, codes, verdict):
    question = Question("q", "w", ("w",), points=(part,), rubric=amounts)
    points = component_points(question, 0, {"verdict": verdict, "codes": codes})
    assert 0 <= points <= part
    if verdict != "correct" and any(c not in amounts for c in codes):
        assert points == 0  # a mistake the rubric does not name earns nothing
    if verdict == "correct" and not set(codes) & set(amounts):
        assert points == part


@pytest.mark.parametrize(
    "rubric, message",
    [
        ({"sign_error": -1}, "from 0 to 1e6"),
        ({"sign_error": float("inf")}, "from 0 to 1e6"),
        ({"sign error!": 1}, "is not a code"),
        ({"sign_error": "1"}, "from 0 to 1e6"),
        ("sign_error = 1", "maps diagnosis codes"),
    ],
)
def test_a_bad_rubric_is_a_bad_key(rubric, message):
    with pytest.raises(ProblemError, match=message):
        load_key({"question": [dict(RUBRIC_KEY["question"][0], rubric=rubric)]})


# ---------------------------------------------------------------- a derivation with a wrong line
MIDDLE_WRONG = "dJ/dw = 2(y - w x)(-x)\n= 2x(y - w x)\n= -2x(y - w x)"
LAST_WRONG = "dJ/dw = 2(y - w x)(-x)\n= 2x(y - w x)"
ALL_WRONG = "dJ/dw = 2(y - w x)(x)\n= 2x(y - w x)"


def _graded(answer: str, rubric: dict | None, points: float = 2):
    from symgrad.teaching.answer import grade_answer
    from symgrad.teaching.answers import Answer
    from symgrad.teaching.scoring import graded_row

    [question] = load_key(
        {
            "question": [
                {
                    "id": "q",
                    "loss": "(y - w x)^2",
                    "wrt": ["w"],
                    "points": points,
                    **({"rubric": rubric} if rubric else {}),
                }
            ]
        }  # fmt: skip
    )
    outcome = grade_answer(question, [answer], "text", 20, False)
    return graded_row(Answer("s", "q", (answer,), None, 1), question, outcome)


@pytest.mark.parametrize(
    "answer, rubric, points",
    [
        (MIDDLE_WRONG, None, 0),  # all or nothing: a wrong line is not nothing wrong
        (MIDDLE_WRONG, {"sign_error": 1}, 0),  # wrong_line is not named: it earns nothing
        (MIDDLE_WRONG, {"wrong_line": 1.5}, 1.5),
        (MIDDLE_WRONG, {"wrong_line": 5}, 2),  # capped by the part
        (LAST_WRONG, {"sign_error": 1}, 0),  # the same rule when the last line is wrong too
        (LAST_WRONG, {"sign_error": 1, "wrong_line": 1.5}, 1),  # the smallest amount
        (ALL_WRONG, {"sign_error": 1, "wrong_line": 1}, 1),
        (ALL_WRONG, None, 0),
    ],
)
def test_a_derivation_with_a_wrong_line_is_incorrect_and_earns_the_rubrics_amount(
    answer, rubric, points
):
    row = _graded(answer, rubric)
    assert row.verdict == "incorrect" and "wrong_line" in row.codes, (row.verdict, row.codes)
    assert row.points == points, (row.codes, row.feedback)
    assert row.components[0]["verdict"] == "incorrect"


def test_the_feedback_says_the_last_line_is_right_but_a_line_is_not():
    row = _graded(MIDDLE_WRONG, None)
    assert row.feedback.startswith("the last line is the right derivative, but line 2")


@pytest.mark.parametrize(
    "loss, steps",
    [
        ("(y - w x)^2", ["-2x(y - w x)", "2w x^2 - 2x y"]),
        ("w^3 + x w", ["3w^2 + x", "x + 3 w w"]),
        ("σ(w x)", ["σ(w x)(1 - σ(w x)) x", "x σ(w x) - x σ(w x)^2"]),
    ],
)
def test_inserting_a_wrong_line_into_a_right_derivation_never_keeps_full_points(loss, steps):
    """Metamorphic: a right derivation earns full points; the same derivation with a wrong
    line inserted before its right last line is incorrect and earns only the rubric's
    amount for wrong_line (none without it), by construction."""
    from symgrad.teaching.answer import grade_answer

    [question] = load_key({"question": [{"id": "q", "loss": loss, "wrt": ["w"], "points": 2}]})
    right = f"dJ/dw = {steps[0]}\n" + "\n".join(f"= {s}" for s in steps[1:])
    wrong = right + f"\n= 2*({steps[-1]})\n= {steps[-1]}"
    assert grade_answer(question, [right], "text", 20, False)["verdict"] == "correct"
    outcome = grade_answer(question, [wrong], "text", 20, False)
    assert outcome["verdict"] == "incorrect"
    assert "wrong_line" in outcome["components"][0]["codes"]
    assert component_points(question, 0, outcome["components"][0]) == 0


# ---------------------------------------------------------------- feedback sentences
def _feedback(answer: str, feedback: dict | None = None) -> str:
    from symgrad.teaching.answer import grade_answer
    from symgrad.teaching.scoring import feedback_text

    [question] = load_key(
        {
            "question": [
                {
                    "id": "q",
                    "loss": "-y ln(σ(w x + b)) - (1 - y) ln(1 - σ(w x + b))",
                    "wrt": ["w", "b"],
                    "constraints": ["y in {0, 1}"],
                    **({"feedback": feedback} if feedback else {}),
                }
            ]
        }  # fmt: skip
    )
    parts = [part.strip() for part in answer.split(";")]
    return feedback_text(question, grade_answer(question, parts, "text", 20, False))


@pytest.mark.parametrize(
    "answer, feedback, expected",
    [
        ("(y - σ(w x + b)) x ; y - σ(w x + b)", None,
         "w: sign error: the claim is exactly minus the true derivative. "
         "b: sign error: the claim is exactly minus the true derivative."),
        ("σ(w x + b) - y ; σ(w x + b) - y", {"missing_chain_factor": "Chain rule: a factor x."},
         "w: Chain rule: a factor x. b: correct."),
        ("(σ(w x + b) - y) x ; (σ(w x + b) - y) x", {"correct": "Well done!"},
         "w: Well done! b: your answer has an extra factor x."),
    ],
)  # fmt: skip
def test_the_parts_of_the_feedback_are_separated(answer, feedback, expected):
    assert _feedback(answer, feedback) == expected


@given(st.lists(st.sampled_from(["a sentence", "one.", "why?", "wow!", "e.g..", ""]),
                min_size=1, max_size=3))  # fmt: skip
def test_every_part_ends_as_a_sentence_before_the_next_label(texts):
    from symgrad.teaching.scoring import feedback_text

    question = Question("q", "w*b", ("w", "b"), points=(1.0, 1.0))
    texts = [t for t in texts if t] or ["x"]
    part = {"name": "w", "verdict": "incorrect", "codes": [], "feedback": texts}
    other = {"name": "b", "verdict": "correct", "codes": [], "feedback": []}
    text = feedback_text(question, {"verdict": "incorrect", "components": [part, other]})
    first, second = text.split(" b: ")
    assert first.startswith("w: ") and first.endswith((".", "?", "!"))
    assert second == "correct."
