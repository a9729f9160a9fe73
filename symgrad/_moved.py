"""Import paths from before the package had rooms (``symgrad.prove``, ``symgrad.parse``, ...).

Scripts written against the flat layout keep working: an old path resolves to the
module in its new room (the same module object, not a copy), on first import.
New code imports from the rooms (``symgrad.ties.prove``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MOVED = {
    "budget": "runtime.budget",
    "worker": "runtime.worker",
    "functions": "exact.functions",
    "dag": "exact.dag",
    "ranges": "exact.ranges",
    "printing": "exact.printing",
    "calculus": "exact.calculus",
    "compile": "exact.compile",
    "evaluate": "exact.evaluate",
    "sampling": "exact.sampling",
    "zero": "exact.zero",
    "solve": "exact.solve",
    "kinks": "exact.kinks",
    "grammar": "text.grammar",
    "latex": "text.latex",
    "parse": "text.parse",
    "display": "text.display",
    "suggest": "text.suggest",
    "torch_graph": "torch.graph",
    "torch_symmetry": "torch.symmetry",
    "exact_tensor": "torch.exact_tensor",
    "torch_models": "torch.models",
    "problem": "ties.problem",
    "dataset": "ties.dataset",
    "models": "ties.models",
    "constraints": "ties.constraints",
    "gradient": "ties.gradient",
    "symmetry": "ties.symmetry",
    "condition": "ties.condition",
    "multistep": "ties.multistep",
    "prove": "ties.prove",
    "certify": "ties.certify",
    "collapse": "ties.collapse",
    "simulate": "ties.simulate",
    "parametric": "ties.parametric",
    "check": "teaching.check",
    "diagnose": "teaching.diagnose",
    "line_by_line": "teaching.line_by_line",
    "matrices": "teaching.matrices",
    "matcheck": "teaching.matcheck",
    "matrix_diagnose": "teaching.matrix_diagnose",
    "grade": "teaching.grade",
    "report": "render",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``symgrad.<old>`` and loads it as the module ``symgrad.<new>``."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, old = fullname.partition(".")
        if package != "symgrad" or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def __init__(self) -> None:
        self._specs: dict[str, object] = {}

    def create_module(self, spec):
        module = importlib.import_module(f"symgrad.{MOVED[spec.name.partition('.')[2]]}")
        self._specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module):
        # the import system stamped the alias's spec on the module: give it back its own
        module.__spec__ = self._specs.pop(module.__name__, module.__spec__)


def install() -> None:
    """Resolve the old paths (idempotent)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
