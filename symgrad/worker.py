"""A killable worker process for heavy symbolic stages (``simplify``, ``solve``, ``factor``).

:func:`run_with_budget` forks a worker, caps its memory, waits at most the
budget for its answer and kills it at the deadline. The worker dies with its
parent: it asks the kernel for ``SIGKILL`` when the parent goes
(``PR_SET_PDEATHSIG`` on Linux) and also watches the parent's pid, so a
``SIGTERM``, ``SIGHUP`` or ``SIGKILL`` sent to symgrad alone leaves no orphan.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable

from symgrad.errors import BudgetError

WORKER_MEMORY_BYTES = 4 * 2**30
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux), and watch too."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.2)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def run_with_budget(function: Callable[[], object], seconds: float, stage: str) -> object:
    """Run ``function()`` in a forked worker; kill it and raise BudgetError at the deadline."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    parent = os.getpid()

    def target() -> None:
        _die_with_parent(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
        except (ValueError, OSError):
            pass
        try:
            sender.send(("ok", function()))
        except MemoryError:
            sender.send(("memory", None))
        except RecursionError:
            sender.send(("error", "nested too deeply"))
        except Exception as error:  # noqa: BLE001 - reported to the parent as a failure
            sender.send(("error", f"{type(error).__name__}: {str(error)[:200]}"))

    worker = context.Process(target=target, daemon=True)
    worker.start()
    sender.close()
    seconds = max(seconds, 0.01)
    deadline = time.monotonic() + seconds
    status, payload = "error", "no answer"
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BudgetError(f"{stage} ran out of its {seconds:.3g} s budget")
            if receiver.poll(min(remaining, 0.05)):
                try:
                    status, payload = receiver.recv()
                except EOFError:
                    raise BudgetError(f"{stage} stopped without an answer") from None
                break
            if not worker.is_alive() and not receiver.poll(0):
                raise BudgetError(f"{stage} stopped without an answer (out of memory?)")
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(1)
        receiver.close()
    if status == "memory":
        raise BudgetError(f"{stage} ran out of memory")
    if status == "error":
        raise BudgetError(f"{stage} failed: {payload}")
    return payload
