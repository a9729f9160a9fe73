"""'Did you mean ...?': the closest known name to a mistyped one.

>>> closest("tanhh", ["tanh", "exp", "sigmoid"])
'tanh'
>>> closest("identicle", ["identical", "zero", "constant"])
'identical'
>>> closest("xyz", ["tanh"]) is None
True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.7) -> str | None:
    """The candidate most similar to ``name`` (case-insensitive), or None if none is close."""
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return lowered[name.lower()]
    normalized = name.lower().replace("_", "-")
    for candidate in pool:
        if candidate.lower().replace("_", "-") == normalized:
            return candidate
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[matches[0]] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean X?)`` or an empty string."""
    guess = closest(name, candidates)
    return f" (did you mean {guess}?)" if guess else ""


def as_product(name: str, known: Iterable[str]) -> str | None:
    """``w*x`` when ``name`` (``wx``) splits into two known names, else None.

    >>> as_product("wx", ["w", "x", "y"])
    'w*x'
    """
    known = set(known)
    if len(name) < 2 or not name.isalpha():
        return None
    for cut in range(1, len(name)):
        left, right = name[:cut], name[cut:]
        if left in known and right in known:
            return f"{left}*{right}"
    return None
