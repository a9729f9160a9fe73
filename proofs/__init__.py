"""The claims of the seed threads (../shared/seeds) as runnable, checked proofs.

Each module states one claim, derives it with symgrad's public helpers and
returns a :class:`symgrad.derivation.Derivation`; ``python -m proofs.NAME``
prints it, ``symgrad proofs`` runs them all.
"""

from __future__ import annotations

import importlib

NAMES = (
    "general_case",
    "linear_counterexample",
    "vector_rows",
    "identity_network",
    "activations",
    "output_neurons",
    "zero_init",
    "degenerate_data",
    "matrix_gradients",
    "two_layer_gradients",
)


def load(name: str):
    """The proof module ``name`` (it has CLAIM, EXPECTED and derive())."""
    if name not in NAMES:
        from symgrad.errors import SymgradError

        raise SymgradError(f"unknown proof {name!r}: choose one of {', '.join(NAMES)}")
    return importlib.import_module(f"proofs.{name}")
