"""Rendering of results: plain text, Markdown (with $...$ maths), LaTeX and JSON-ready dicts.

One module per result kind; each renderer is registered for its result type
(:func:`symgrad.results.renders`), and results call them through ``to_text()``,
``to_markdown()``, ``to_latex()`` and ``to_dict()``. The LaTeX forms are
document bodies for ``amsmath``; the Markdown forms keep maths inside ``$...$``
that KaTeX renders. Importing this package registers every renderer.
"""

from symgrad.render import (  # noqa: F401 - each module registers its renderers
    check,
    collapse,
    derivation,
    grade,
    gradient,
    html,
    model,
    parametric,
    proof,
    reprs,
    trajectory,
)
from symgrad.render.check import check_headline, matrix_witness_lines
from symgrad.render.derivation import derivation_headline
from symgrad.render.proof import headline, latex_tie

__all__ = [
    "check_headline",
    "derivation_headline",
    "headline",
    "latex_tie",
    "matrix_witness_lines",
]
