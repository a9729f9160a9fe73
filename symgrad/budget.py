"""Time budgets that bind wherever the library is called from.

A :class:`Budget` is a deadline on ``time.monotonic()``; every heavy stage
either checks it (loops over expression DAGs, evaluation, searches) or runs
in the killable worker of :mod:`symgrad.zero` with the time that is left.
Nothing relies on signals, so the budget binds in any thread.
Optional stages (conditions, pretty forms, extra witnesses) take a
:meth:`Budget.share` and are dropped with a note when it runs out; a verdict
that is already certified is always reported.

>>> budget = Budget(10)
>>> 9 < budget.remaining() <= 10
True
>>> Budget(float("inf")).remaining() > 1e8
True
"""

from __future__ import annotations

import math
import time

from symgrad.errors import BudgetError, ProblemError

#: "no practical limit": budgets beyond this are treated as unlimited
UNLIMITED = 10**9


def seconds_value(value: object, name: str = "timeout") -> float:
    """A budget in seconds: a positive number; ``inf`` or huge values mean no practical limit."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value))
        except ValueError:
            raise ProblemError(f"{name}={value!r} is not a number of seconds") from None
    value = float(value)
    if math.isnan(value) or value <= 0:
        raise ProblemError(f"{name}={value!r} must be a positive number of seconds")
    return min(value, UNLIMITED)


class Budget:
    """A deadline, with the stage names that spent it."""

    def __init__(self, seconds: float = 60.0, start: float | None = None) -> None:
        self.seconds = seconds_value(seconds)
        self.start = time.monotonic() if start is None else start
        self.deadline = self.start + self.seconds

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def check(self, stage: str = "the computation") -> None:
        """Raise BudgetError if the deadline has passed."""
        if time.monotonic() >= self.deadline:
            raise BudgetError(
                f"{stage} ran out of the time budget of {self.seconds:g} s "
                "(raise it with --timeout or timeout=)"
            )

    def share(self, fraction: float, cap: float | None = None, floor: float = 0.05) -> Budget:
        """A sub-budget: ``fraction`` of what is left (at most ``cap`` seconds)."""
        seconds = self.remaining() * fraction
        if cap is not None:
            seconds = min(seconds, cap)
        return Budget(max(seconds, floor))


def as_budget(budget: Budget | float | None, default: float = 60.0) -> Budget:
    if isinstance(budget, Budget):
        return budget
    return Budget(default if budget is None else budget)
