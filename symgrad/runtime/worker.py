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
import os
import pickle
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
    """Run ``function()`` in a forked worker; kill it and raise BudgetError at the deadline.

    A plain ``os.fork`` (not a multiprocessing daemon), so it also works inside
    daemonic processes such as pool and Dask workers.
    """
    seconds = max(seconds, 0.01)
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(read_end)
        status = 0
        try:
            _die_with_parent(parent)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
            except (ValueError, OSError):
                pass
            try:
                message = ("ok", function())
            except MemoryError:
                message = ("memory", None)
            except RecursionError:
                message = ("error", "nested too deeply")
            except Exception as error:  # noqa: BLE001 - reported to the parent as a failure
                message = ("error", f"{type(error).__name__}: {str(error)[:200]}")
            try:
                data = pickle.dumps(message)
            except Exception as error:  # noqa: BLE001
                data = pickle.dumps(("error", f"unpicklable result ({type(error).__name__})"))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001 - never return into the parent's code
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        data = _read_until(read_end, pid, time.monotonic() + seconds, seconds, stage)
    finally:
        os.close(read_end)
        _reap(pid)
    try:
        status, payload = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a torn message from a killed worker
        raise BudgetError(f"{stage} stopped without an answer (out of memory?)") from None
    if status == "memory":
        raise BudgetError(f"{stage} ran out of memory")
    if status == "error":
        raise BudgetError(f"{stage} failed: {payload}")
    return payload


def _read_until(fd: int, pid: int, deadline: float, seconds: float, stage: str) -> bytes:
    import select

    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _kill(pid)
            raise BudgetError(f"{stage} ran out of its {seconds:.3g} s budget")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.05))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            if not chunks:
                raise BudgetError(f"{stage} stopped without an answer (out of memory?)")
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    _kill(pid)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


ISOLATED_MEMORY_BYTES = 16 * 2**30
MARGIN_SECONDS = 0.5


def run_isolated(
    function: Callable[[], object], seconds: float, stage: str, whole: float | None = None
) -> object:
    """Run ``function()`` (which runs the user's own code) in a forked worker that is
    SIGKILLed at the deadline, whatever the code does with signals or ``except:``.

    The worker's result comes back pickled; an exception it raised is raised here again
    (a SymgradError keeps its kind, so bad input stays bad input). Past the deadline (plus
    a small margin for the answer to arrive) this raises BudgetError.
    """
    seconds = max(seconds, 0.01)
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(read_end)
        _isolated_child(function, parent, write_end)
    os.close(write_end)
    try:
        data = _read_until(read_end, pid, time.monotonic() + seconds + MARGIN_SECONDS, seconds,
                           stage)  # fmt: skip
    except BudgetError as error:
        if "without an answer" in str(error):
            raise BudgetError(
                f"{stage} stopped without an answer (the code exited, or ran out of memory)"
            ) from None
        raise BudgetError(
            f"{stage} ran out of the time budget of {whole or seconds:g} s (raise it with "
            "--timeout)"
        ) from None
    finally:
        os.close(read_end)
        _reap(pid)
    try:
        status, payload = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a torn message from a killed worker
        raise BudgetError(f"{stage} stopped without an answer (out of memory?)") from None
    if status == "raise":
        raise payload
    if status == "error":
        raise BudgetError(f"{stage} failed: {payload}")
    return payload


def _isolated_child(function: Callable[[], object], parent: int, write_end: int) -> None:
    status = 0
    try:
        _die_with_parent(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.dup2(2, 1)  # what the user's code prints goes to stderr: stdout is for the result
        try:
            resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_MEMORY_BYTES, ISOLATED_MEMORY_BYTES))
        except (ValueError, OSError):
            pass
        try:
            message = ("ok", function())
        except MemoryError:
            message = ("error", "out of memory")
        except BaseException as error:  # noqa: BLE001 - re-raised in the parent
            message = ("raise", error)
        try:
            data = pickle.dumps(message)
        except Exception as error:  # noqa: BLE001
            data = pickle.dumps(("error", f"{type(error).__name__}: {str(error)[:200]}"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except BaseException:  # noqa: BLE001 - never return into the parent's code
        status = 1
    finally:
        os._exit(status)
