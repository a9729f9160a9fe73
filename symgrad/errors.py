"""The exception hierarchy: every error symgrad raises on bad input is a SymgradError."""

from __future__ import annotations

from typing import TypeVar


class SymgradError(Exception):
    """Root of every error symgrad raises for bad input or an impossible request.

    ``limit`` says which kind of limit the input went over, where that matters: ``"length"``
    for text longer than symgrad reads (characters, lines, parts, terms, digits typed),
    None otherwise (a value too large or nesting too deep is not a length).
    """

    limit: str | None = None

    def one_line(self) -> str:
        """The message as one line, fit for stderr."""
        return " ".join(str(self).split())


E = TypeVar("E", bound=SymgradError)


class ParseError(SymgradError):
    """Text that is not a valid symgrad expression; carries the 0-based position."""

    def __init__(self, message: str, text: str = "", position: int | None = None) -> None:
        self.message = message
        self.text = text
        self.position = position
        super().__init__(self._format())

    def _format(self) -> str:
        if self.position is None or not self.text:
            return self.message
        snippet = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return f"{self.message} (at column {self.position + 1} of {snippet!r})"

    def caret(self) -> str:
        """Two lines: the text and a caret under the offending position."""
        if self.position is None or not self.text or len(self.text) > 200:
            return ""
        return f"{self.text}\n{' ' * self.position}^"


class UndefinedSymbolError(ParseError):
    """A claim (or a line of a derivation) uses a name that neither the loss contains nor a
    definition introduces: it is not gradable as written. ``names`` lists those names."""

    def __init__(self, message: str, names: tuple[str, ...] = ()) -> None:
        self.names = tuple(names)
        super().__init__(message)


def over_length(error: E) -> E:
    """``error``, marked as text over a length limit (``error.limit == "length"``)."""
    error.limit = "length"
    return error


class ProblemError(SymgradError):
    """A problem that is not well posed (names, parameters, init, assumptions)."""


class TieError(ProblemError):
    """A tie that names an unknown parameter, repeats one, or ties nothing."""


class DatasetError(SymgradError):
    """A dataset file or table that cannot be read; the message names row and column."""


class ModelError(SymgradError):
    """A model preset asked for with unknown name or invalid options."""


class BudgetError(SymgradError):
    """A computation that ran out of its time or memory budget."""
