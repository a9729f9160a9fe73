"""A name in a claim read against the names the problem knows: spelling variants and run-together
products.

A claim is read knowing the loss's names (and the names definitions introduce). A name that
is not one of them is resolved here, and the reading is shown in a note:

- a spelling variant of exactly one known name: ``w_0`` for ``w0``, ``x1`` for ``x_1``,
  ``yhat`` for ``y_hat`` (the same letters and digits, underscores aside), ``lam``,
  ``lmbda`` or ``lambd`` for ``lambda`` (Python reserves ``lambda``);
- known names written together: ``wx`` is ``w*x`` and ``w0x0`` is ``w0*x0`` when the parts are
  known and ``wx`` is not; a name that splits in more than one way (``abc`` with ``a``,
  ``ab``, ``bc`` and ``c`` known) has no single reading and is refused with the choices.

Anything else stays a name: the caller decides what an unknown name means (in a claim it is
an input error, never a free symbol). Nothing here guesses between two known names.

>>> resolve("wx", {"w", "x", "y"})
('w', 'x')
>>> resolve("w_0", {"w0", "x0"})
('w0',)
>>> resolve("p", {"w", "x"}) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable

from symgrad.errors import ParseError

#: spellings of a Greek name that Python code uses because the word itself is reserved
ALIASES = {
    "lam": "lambda",
    "lmbda": "lambda",
    "lambd": "lambda",
    "lmbd": "lambda",
    "lamda": "lambda",
    "Lam": "Lambda",
}
MAX_SPLIT_LENGTH = 40


def _squeezed(name: str) -> str:
    return name.replace("_", "")


def variant_of(name: str, known: Iterable[str]) -> str | None:
    """The one known name that ``name`` spells differently (underscores, a Python alias)."""
    known = set(known)
    if name in known:
        return None
    alias = ALIASES.get(name)
    if alias in known:
        return alias
    matches = [k for k in known if _squeezed(k) == _squeezed(name) and k != name]
    return matches[0] if len(matches) == 1 else None


def splits(name: str, known: Iterable[str], limit: int = 3) -> list[tuple[str, ...]]:
    """The ways of writing ``name`` as two or more known names side by side (at most ``limit``).

    Which suffixes can be split at all is worked out first (one pass from the end), so the
    search never explores a prefix that cannot be completed.
    """
    known = {k for k in known if k}
    if len(name) > MAX_SPLIT_LENGTH or name in known:
        return []
    size = len(name)
    completes = [False] * (size + 1)
    completes[size] = True
    for start in range(size - 1, -1, -1):
        completes[start] = any(
            name[start:end] in known and completes[end] for end in range(start + 1, size + 1)
        )
    found: list[tuple[str, ...]] = []

    def walk(start: int, parts: tuple[str, ...]) -> None:
        if len(found) >= limit:
            return
        if start == size:
            if len(parts) > 1:
                found.append(parts)
            return
        for end in range(size, start, -1):
            if name[start:end] in known and completes[end]:
                walk(end, (*parts, name[start:end]))

    if completes[0]:
        walk(0, ())
    return found


def resolve(name: str, known: Iterable[str]) -> tuple[str, ...] | None:
    """The known name(s) that ``name`` stands for: one for a variant, several for a product.

    None when ``name`` is known itself or stands for nothing known. A name with two or more
    product readings is refused (ParseError) with the choices.
    """
    known = set(known)
    if name in known:
        return None
    variant = variant_of(name, known)
    if variant is not None:
        return (variant,)
    readings = splits(name, known)
    if not readings and "_" in name:  # w_1x_1: the names w1 and x1, written with subscripts
        squeezed: dict[str, list[str]] = {}
        for k in known:
            squeezed.setdefault(_squeezed(k), []).append(k)
        unique = {s: ks[0] for s, ks in squeezed.items() if len(ks) == 1}
        readings = [tuple(unique[p] for p in parts) for parts in splits(_squeezed(name), unique)]
    if len(readings) > 1:
        choices = " or ".join("*".join(parts) for parts in readings)
        raise ParseError(
            f"{name} has no single reading: write {choices} (with '*' or spaces between the names)"
        )
    return readings[0] if readings else None


__all__ = ["ALIASES", "resolve", "splits", "variant_of"]
