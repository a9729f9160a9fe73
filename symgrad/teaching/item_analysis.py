"""The class report's data: totals, score bins, and per question the item analysis.

Per question: the share correct, the mean points, the most common codes with an example
each, the answer groups (answers whose readings are identical, counted, as Gradescope
groups them), a histogram of the points, and a discrimination figure: the item-rest
correlation, i.e. the Pearson correlation between the points on the question and each
student's points on the other questions (the point-biserial coefficient when the
question is scored right or wrong). Statistics describe the class; they decide nothing.

>>> score_bins([0, 1, 1, 2], 2)
(('0', 1), ('1', 2), ('2', 1))
>>> score_bins([0.5, 9.5], 20)[:2]
(('0–10%', 1), ('10–20%', 0))
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from symgrad.results import AnswerGroup, ClassReport, GradedAnswer, QuestionStats
from symgrad.teaching.key import Question

WHOLE_BINS = 12
MAX_GROUPS = 50


def score_bins(values: Sequence[float], top: float) -> tuple[tuple[str, int], ...]:
    """One bin per score when scores are whole numbers up to 12, else ten bins of 10% of
    ``top`` each (the last one closed, so full marks fall in it)."""
    top = float(top) or 1.0
    whole = top.is_integer() and all(float(v).is_integer() for v in values)
    if whole and top <= WHOLE_BINS:
        counts = Counter(int(v) for v in values)
        return tuple((str(k), counts.get(k, 0)) for k in range(int(top) + 1))
    counts = [0] * 10
    for value in values:
        counts[min(max(int(value * 10 // top), 0), 9)] += 1
    return tuple((f"{10 * k}–{10 * k + 10}%", count) for k, count in enumerate(counts))


def discrimination(rows: Sequence[GradedAnswer], totals: dict[str, float]) -> float | None:
    """The item-rest correlation of one question's rows (None when it is undefined)."""
    pairs = [(r.points, totals[r.student] - r.points) for r in rows if r.student in totals]
    if len(pairs) < 3:
        return None
    xs, ys = zip(*pairs)
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def answer_groups(rows: Sequence[GradedAnswer]) -> tuple[AnswerGroup, ...]:
    """Answers that read the same (or, unread, that are the same text), largest group first."""
    groups: dict[tuple, list[GradedAnswer]] = {}
    for row in rows:
        raw = " ; ".join(" ".join(part.split()) for part in row.answer)
        if row.reading:
            key: tuple = ("read", row.reading)
        else:
            key = ("blank",) if row.verdict == "blank" else ("text", row.verdict, raw)
        groups.setdefault(key, []).append(row)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), -g[0].auto_points))
    return tuple(
        AnswerGroup(
            reading=group[0].reading,
            count=len(group),
            verdict=group[0].verdict,
            points=group[0].auto_points,
            codes=group[0].codes,
            example=" ; ".join(group[0].answer),
            students=tuple(r.student for r in group),
        )
        for group in ordered[:MAX_GROUPS]
    )


def loss_reading(question: Question) -> str:
    """The question's loss in Python syntax (for typesetting), or '' when it is a matrix loss."""
    if question.shapes:
        return ""
    from symgrad.errors import SymgradError
    from symgrad.exact.printing import to_str
    from symgrad.teaching.reading import read_loss

    try:
        parsed = read_loss(question.loss, question.functions, question.format == "latex", False)
    except (SymgradError, RecursionError):
        return ""
    return to_str(parsed.expr)


def _examples(mine: Sequence[GradedAnswer], codes: Counter) -> dict[str, tuple[str, str]]:
    examples = {}
    for code in codes:
        example = next(r for r in mine if code in r.codes)
        examples[code] = (" ; ".join(example.answer), example.feedback)
    return examples


def question_stats(
    question: Question, mine: Sequence[GradedAnswer], totals: dict[str, float]
) -> QuestionStats:
    """How the class did on one question."""
    codes = Counter(code for r in mine for code in r.codes)
    return QuestionStats(
        id=question.id,
        loss=question.loss,
        answers=len(mine),
        correct=sum(r.verdict == "correct" for r in mine),
        mean_points=sum(r.points for r in mine) / len(mine) if mine else 0.0,
        max_points=question.max_points,
        codes=dict(codes.most_common()),
        examples=_examples(mine, codes),
        loss_reading=loss_reading(question),
        wrt=question.wrt,
        groups=answer_groups(mine),
        discrimination=discrimination(mine, totals),
        points_histogram=score_bins([r.points for r in mine], question.max_points),
    )


def class_report(
    rows: Sequence[GradedAnswer],
    questions: Sequence[Question],
    answers: int,
    seconds: float,
    hide_answer: bool = False,
) -> ClassReport:
    """The class report of graded ``rows`` (in the answers file's order)."""
    totals: dict[str, float] = {}
    for row in rows:
        totals[row.student] = totals.get(row.student, 0.0) + row.points
    by_question: dict[str, list[GradedAnswer]] = {q.id: [] for q in questions}
    for row in rows:
        by_question.setdefault(row.question, []).append(row)
    return ClassReport(
        answers=answers,
        graded=len(rows),
        seconds=round(seconds, 3),
        students=len(totals),
        totals=dict(sorted(totals.items())),
        max_total=sum(q.max_points for q in questions),
        questions=tuple(question_stats(q, by_question[q.id], totals) for q in questions),
        verdicts=dict(Counter(r.verdict for r in rows)),
        rows=tuple(rows),
        hide_answer=hide_answer,
    )


__all__ = ["answer_groups", "class_report", "discrimination", "question_stats", "score_bins"]
