"""How much of a result the text output shows: ``quiet`` (the verdict line), ``normal``
(the plain-words sentence and the key lines) or ``verbose`` (everything, the certificate and
its independent re-check included).

A result kind may register a ``quiet`` renderer (a run of ``simulate`` has no verdict word).

``verbose`` is the registered ``text`` renderer (what ``str(result)`` gives); ``normal`` is
the ``brief`` renderer where a result kind has one, else the full text without its
certificate and re-check lines; ``quiet`` is the first line that starts with a verdict word.
"""

from __future__ import annotations

from symgrad.results import render

LEVELS = ("quiet", "normal", "verbose")
VERDICT_WORDS = ("PROVEN", "REFUTED", "CORRECT", "INCORRECT", "UNKNOWN")
_DETAIL_PREFIXES = ("Certificate:", "Re-checked:")


def text_at(result: object, level: str = "normal", timing: bool = True) -> str:
    """``result`` as text at ``level`` (one of :data:`LEVELS`)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if level == "verbose":
        return render(result, "text", timing)
    if level == "quiet":
        try:
            return render(result, "quiet")
        except KeyError:
            return verdict_line(_brief(result, timing))
    return _brief(result, timing)


def _brief(result: object, timing: bool) -> str:
    try:
        return render(result, "brief", timing)
    except KeyError:
        full = render(result, "text", timing)
    lines = full.splitlines()
    kept = [line for line in lines if not line.startswith(_DETAIL_PREFIXES)]
    if len(kept) < len(lines):
        kept.append(_backing(getattr(result, "verdict", None)))
    return "\n".join(kept)


#: verdicts that rest on an exact certificate, re-checked before they leave the library
_ESTABLISHED = ("proven", "refuted", "correct", "incorrect")


def _backing(verdict: str | None) -> str:
    """How the verdict is known; an undecided one claims no certificate and no re-check."""
    if verdict in _ESTABLISHED:
        return "How we know: exact, and re-checked independently (-v shows how)."
    return (
        "What we know: no exact verdict was established (see the reason); -v shows what was tried."
    )


def verdict_line(text: str) -> str:
    """The first line that starts with a verdict word (else the first line)."""
    lines = text.splitlines() or [""]
    for line in lines:
        if line.startswith(VERDICT_WORDS):
            return line
    return lines[0]
