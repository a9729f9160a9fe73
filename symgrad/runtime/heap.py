"""Keeping Python's cycle collector off a large acyclic structure while it is built and used.

Building the expression graph of a wide network makes hundreds of thousands of
tuples; each allocation burst triggers the cycle collector, which then traverses
everything built so far (about 40% of the build time of a 256-wide MLP). The
graph holds no reference cycles (refcounting frees it), so the collector is paused
while it is built (:func:`collector_paused`), and while a verdict is decided the
objects alive at the start (the graph among them) are left out of its scans
(:func:`heap_frozen`, ``gc.freeze``); both are undone afterwards, also on errors.

>>> import gc
>>> with collector_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
>>> with heap_frozen():
...     gc.get_freeze_count() > 0
True
>>> gc.get_freeze_count()
0
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cycle collector inside the block (if it was enabled), re-enable it after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Leave every object alive now out of the collector's scans inside the block.

    Objects made inside the block are collected as usual; ``gc.unfreeze`` at the end
    returns the frozen ones to the collector. If objects are frozen already (by the host
    program, or an enclosing block), nothing is done: their freeze is not undone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
