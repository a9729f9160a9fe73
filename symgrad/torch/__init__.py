"""The PyTorch bridge: a model exported by ``torch.export`` into known operations
(:mod:`.tracing`, :mod:`.lowering`), classes of dimensions that must be permuted
together (:mod:`.axes`) and the unit permutations they allow (:mod:`.symmetry`, the
proofs), parameters that never move (:mod:`.stationary`), exact and interval forward
and backward passes (:mod:`.exact_tensor`, the witnesses), and prove / collapse /
simulate for ``nn.Module`` s (:mod:`.verdicts`, :mod:`.simulation`).

Importing this package needs neither torch nor numpy: the names below are loaded on
first use (PEP 562), and torch is imported when a model is traced
(``pip install 'symgrad[torch]'``).

>>> import symgrad.torch
>>> sorted(symgrad.torch.__all__)[:3]
['CollapseWarning', 'assert_no_collapse', 'check_init']
"""

from __future__ import annotations

import importlib

_LAZY = {
    "check_init": "symgrad.torch.api",
    "assert_no_collapse": "symgrad.torch.api",
    "warn_if_collapsed": "symgrad.torch.api",
    "collapsed_layers": "symgrad.torch.api",
    "CollapseWarning": "symgrad.torch.api",
    "from_torch": "symgrad.torch.models",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    """Load a public name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'symgrad.torch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
