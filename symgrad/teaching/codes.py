"""The codes a graded answer can carry: what a key's ``rubric`` and ``feedback`` may name.

A code the key names that symgrad never gives (a typo such as ``constant_factr``) would
silently change nobody's points, so the key is refused with the nearest code.
"""

from __future__ import annotations

import difflib

from symgrad.results import READING_VERDICTS

#: named mistakes (:mod:`symgrad.teaching.diagnose`, :mod:`symgrad.teaching.matrix_diagnose`)
MISTAKES = (
    "sign_error", "constant_factor", "rounded_decimal", "missing_chain_factor",
    "missing_factor", "extra_factor", "wrong_variable", "antiderivative", "only_on_a_region",
    "wrong_at_a_kink", "evaluated_at_a_point", "one_term_wrong", "wrong_symbol",
    "missing_transpose", "wrong_order", "missing_mean", "extra_mean", "missing_sum",
)  # fmt: skip
#: a derivation with a wrong line (:mod:`symgrad.teaching.answer`)
DERIVATION = ("wrong_line",)
#: what cannot be judged as mathematics, and an answer out of its budget
NOT_JUDGED = (*READING_VERDICTS, "timeout")
RUBRIC_CODES = (*MISTAKES, *DERIVATION, *NOT_JUDGED)
#: feedback may also replace the sentence of a correct or undecided answer
FEEDBACK_CODES = (*RUBRIC_CODES, "correct", "unknown")


def unknown_code_message(code: str, known: tuple[str, ...]) -> str:
    """Why ``code`` is refused, with the nearest code symgrad gives."""
    near = difflib.get_close_matches(code, known, n=1, cutoff=0.6)
    hint = f"did you mean {near[0]!r}?" if near else "the codes are listed in the README"
    return f"{code!r} is not a code symgrad gives: {hint}"


__all__ = ["FEEDBACK_CODES", "MISTAKES", "RUBRIC_CODES", "unknown_code_message"]
