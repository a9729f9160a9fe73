"""Histograms as inline SVG: no script, no image file, labels that never overlap.

Each bar is at least as wide as its label; when the bars would not fit the width the
labels are turned by 45 degrees, so a label never runs into the next one.

>>> svg = histogram_svg((("0", 1), ("1", 3)), "score distribution", "total points")
>>> svg.startswith("<svg") and svg.count("<rect") == 2
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence

CHAR_WIDTH = 7.0
MAX_WIDTH = 640
BAR_HEIGHT = 120


def histogram_svg(
    bins: Sequence[tuple[str, int]],
    title: str,
    axis: str,
    color: str = "#4a7ab5",
    small: bool = False,
) -> str:
    """A bar chart of ``bins`` (label, count) with ``axis`` under it."""
    bins = list(bins) or [("", 0)]
    height = BAR_HEIGHT // 2 if small else BAR_HEIGHT
    longest = max(len(label) for label, _ in bins)
    slot = max(22.0, CHAR_WIDTH * longest + 8) if not small else max(14.0, CHAR_WIDTH * longest + 6)
    turned = slot * len(bins) > MAX_WIDTH
    if turned:
        slot = max(16.0, min(slot, MAX_WIDTH / len(bins)))
    label_space = (CHAR_WIDTH * longest * 0.75 + 14) if turned else 16
    top = max((count for _, count in bins), default=0) or 1
    width = slot * len(bins) + 8
    total_height = height + label_space + 34
    parts = [
        f"<svg class='histogram' role='img' "
        f"width='{width:.0f}' height='{total_height:.0f}' viewBox='0 0 {width:.0f} "
        f"{total_height:.0f}' aria-label='{html.escape(title, quote=True)}'>"
        f"<title>{html.escape(title)}</title>"
    ]
    base = 16 + height
    for index, (label, count) in enumerate(bins):
        x = 4 + index * slot
        bar = height * count / top
        parts.append(
            f"<rect x='{x + 2:.1f}' y='{base - bar:.1f}' width='{slot - 4:.1f}' "
            f"height='{bar:.1f}' fill='{color}'><title>{html.escape(label)}: {count}</title></rect>"
        )
        if count:
            parts.append(
                f"<text x='{x + slot / 2:.1f}' y='{base - bar - 3:.1f}' text-anchor='middle' "
                f"font-size='11'>{count}</text>"
            )
        parts.append(_label(label, x + slot / 2, base, turned))
    parts.append(
        f"<line x1='4' y1='{base}' x2='{width - 4:.0f}' y2='{base}' stroke='#555'/>"
        f"<text x='{width / 2:.0f}' y='{total_height - 4:.0f}' text-anchor='middle' "
        f"font-size='11' fill='#444'>{html.escape(axis)}</text></svg>"
    )
    return "".join(parts)


def _label(label: str, x: float, base: float, turned: bool) -> str:
    text = html.escape(label)
    if turned:
        return (
            f"<text class='label' x='{x:.1f}' y='{base + 12:.1f}' text-anchor='end' font-size='11' "
            f"transform='rotate(-45 {x:.1f} {base + 12:.1f})'>{text}</text>"
        )
    return (
        f"<text class='label' x='{x:.1f}' y='{base + 13:.1f}' text-anchor='middle' "
        f"font-size='11'>{text}</text>"
    )


__all__ = ["histogram_svg"]
