"""What every renderer shares: the timing note and Markdown escaping."""

from __future__ import annotations

NOT_COVERED = "dropout, noise injection and other per-coordinate randomness"


def timing_text(seconds: float, timing: bool) -> str:
    """The elapsed time as ' (0.123 s)', or nothing when timing is off (diffable output)."""
    return f" ({seconds:.3f} s)" if timing else ""


def md_escape(text: str) -> str:
    """Plain text inside Markdown: no stray maths or emphasis."""
    for char in ("\\", "*", "_", "$", "`", "|"):
        text = text.replace(char, "\\" + char)
    return text
