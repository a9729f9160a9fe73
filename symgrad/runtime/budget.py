"""Time budgets that bind wherever the library is called from.

A :class:`Budget` is a deadline on ``time.monotonic()``; every heavy stage
either checks it (loops over expression DAGs, evaluation, searches) or runs
in the killable worker of :mod:`symgrad.exact.zero` with the time that is left.
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

import functools
import inspect
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from symgrad.errors import BudgetError, ProblemError

T = TypeVar("T")

#: "no practical limit": budgets beyond this are treated as unlimited
UNLIMITED = 10**9


def seconds_value(value: object, name: str = "timeout") -> float:
    """A budget in seconds: a positive number; ``inf`` or huge values mean no practical limit."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value))
        except ValueError:
            raise ProblemError(f"{name}={value!r} is not a number of seconds") from None
    try:
        value = float(value)
    except OverflowError:
        value = math.inf if value > 0 else -math.inf
    if math.isnan(value) or value <= 0:
        raise ProblemError(f"{name}={value!r} must be a positive number of seconds")
    return min(value, UNLIMITED)


class Budget:
    """A deadline, with the stage names that spent it.

    A sub-budget (:meth:`share`) remembers the caller's whole budget, which is
    what an error message names.
    """

    def __init__(
        self, seconds: float = 60.0, start: float | None = None, whole: float | None = None
    ) -> None:
        self.seconds = seconds_value(seconds)
        self.start = time.monotonic() if start is None else start
        self.deadline = self.start + self.seconds
        self.whole = self.seconds if whole is None else whole

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
                f"{stage} ran out of the time budget of {self.whole:g} s "
                "(raise it with --timeout or timeout=)"
            )

    def share(self, fraction: float, cap: float | None = None, floor: float = 0.05) -> Budget:
        """A sub-budget: ``fraction`` of what is left (at most ``cap`` seconds)."""
        seconds = self.remaining() * fraction
        if cap is not None:
            seconds = min(seconds, cap)
        return Budget(max(seconds, floor), whole=self.whole)


_CURRENT: ContextVar[Budget | None] = ContextVar("symgrad_budget", default=None)


@contextmanager
def binding(budget: Budget) -> Iterator[Budget]:
    """Make ``budget`` the one that :func:`tick` checks, in this thread or task."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def binds_timeout(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator: the call's ``timeout`` argument binds every step inside it (see :func:`tick`)."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise ProblemError(f"{function.__name__}: {error}") from None
        bound.apply_defaults()
        with binding(Budget(bound.arguments.get("timeout", 60.0))):
            return function(*args, **kwargs)

    return wrapper


def tick(stage: str = "the computation") -> None:
    """Check the budget of the call in progress (cheap; for loops deep in the library)."""
    budget = _CURRENT.get()
    if budget is not None and time.monotonic() >= budget.deadline:
        budget.check(stage)


def current_budget() -> Budget | None:
    """The budget of the call in progress, if any."""
    return _CURRENT.get()


def current_seconds(default: float = 60.0) -> float:
    """The whole budget of the call in progress, in seconds (``default`` outside one)."""
    budget = _CURRENT.get()
    return budget.whole if budget is not None else default


def as_budget(budget: Budget | float | None, default: float = 60.0) -> Budget:
    if isinstance(budget, Budget):
        return budget
    return Budget(default if budget is None else budget)
