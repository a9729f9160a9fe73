"""Pausing Python's cycle collector while a large acyclic structure is built or walked.

Building the expression graph of a wide network makes hundreds of thousands of
tuples; each allocation burst triggers the cycle collector, which then traverses
everything built so far (about 40% of the build time of a 256-wide MLP). The
structures made here hold no reference cycles (refcounting frees them), so the
collector is paused for the duration and restored afterwards, also on errors.

>>> import gc
>>> with collector_paused():
...     gc.isenabled()
False
>>> gc.isenabled()
True
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
