"""Grading on a Dask cluster: the address checked, the scheduler probed, the run in budget.

A scheduler is a ``tcp://host:port`` address (or ``host:port``), or a connected
``distributed.Client``. Other protocols are refused with one line (``tls://`` needs
certificates, which a Client built in Python carries; ``ucx://`` and ``inproc://`` are
not for this door). Before Dask connects, the address is probed with a plain socket: a
Dask scheduler greets a new connection with a short handshake (an 8-byte length, then
msgpack frames), so anything else (a web server, a closed port, a silent peer) is refused
within the budget, and Dask never sizes a buffer from a stranger's bytes.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable

from symgrad.errors import BudgetError, ProblemError
from symgrad.runtime.budget import Budget
from symgrad.teaching.files import quote

PROBE_SECONDS = 10.0
HANDSHAKE_LIMIT = 1 << 20
_ADDRESS = re.compile(r"^(?:tcp://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})/?$")


def is_client(value: object) -> bool:
    """A connected ``distributed.Client`` (or something that submits like one)."""
    return callable(getattr(value, "submit", None)) and hasattr(value, "scheduler")


def check_scheduler(scheduler: object) -> None:
    """Refuse a scheduler that is neither a tcp address nor a Client (before any work)."""
    if scheduler is None or is_client(scheduler):
        return
    if not isinstance(scheduler, str):
        raise ProblemError(
            f"scheduler must be a Dask address such as 'tcp://host:8786' or a "
            f"distributed.Client, not {type(scheduler).__name__}"
        )
    _host_port(scheduler)


def _host_port(address: str) -> tuple[str, int]:
    scheme = address.split("://", 1)[0].lower() if "://" in address else "tcp"
    if scheme != "tcp":
        why = {
            "tls": "tls:// needs certificates: connect a distributed.Client in Python and pass it",
            "ucx": "ucx:// is not supported here: use the scheduler's tcp:// address",
            "inproc": "inproc:// lives inside one process: pass its distributed.Client instead",
        }.get(scheme, "use the scheduler's tcp:// address")
        raise ProblemError(f"--scheduler {quote(address)}: {why}")
    match = _ADDRESS.match(address.strip())
    if not match or not 0 < int(match.group(2)) < 65536:
        raise ProblemError(
            f"--scheduler {quote(address)} is not an address such as tcp://host:8786"
        )
    return match.group(1).strip("[]"), int(match.group(2))


def probe(address: str, budget: Budget) -> None:
    """Refuse an address where no Dask scheduler answers (within the budget)."""
    host, port = _host_port(address)
    seconds = max(min(PROBE_SECONDS, budget.remaining()), 0.1)
    deadline = time.monotonic() + seconds
    try:
        with socket.create_connection((host, port), timeout=seconds) as connection:
            length = int.from_bytes(_read(connection, 8, deadline), "little")
            if not 0 < length <= HANDSHAKE_LIMIT:
                raise OSError("it does not greet as a Dask scheduler does")
            greeting = _read(connection, min(length, 4096), deadline)
    except (OSError, ValueError) as error:
        reason = "no answer in time" if isinstance(error, TimeoutError) else error
        raise ProblemError(f"no Dask scheduler answers at {quote(address)} ({reason})") from None
    if b"compression" not in greeting and b"pickle-protocol" not in greeting:
        raise ProblemError(f"no Dask scheduler answers at {quote(address)} (an unknown greeting)")


def _read(connection: socket.socket, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        connection.settimeout(remaining)
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise OSError("the connection was closed")
        data += chunk
    return data


def run_on_cluster(
    scheduler: object, tasks: list, on_done: Callable, answer_timeout: float, budget: Budget
) -> None:
    """Run the grading tasks on a Dask cluster (an address already :func:`probe`'d); a lost
    task is a ``timeout`` row."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ProblemError(
            "--scheduler needs dask.distributed: pip install 'symgrad[dask]'"
        ) from None
    from symgrad.teaching.answer import grade_answer

    own = isinstance(scheduler, str)
    if own:
        try:
            client = Client(scheduler, timeout=max(min(30.0, budget.remaining()), 1.0))
        except (OSError, TimeoutError, ValueError) as error:
            raise ProblemError(
                f"cannot reach the Dask scheduler {quote(scheduler)} ({str(error)[:100]})"
            ) from None
    else:
        client = scheduler
    try:
        _collect(client, as_completed, grade_answer, tasks, on_done, answer_timeout, budget)
    finally:
        if own:
            client.close()


def _collect(client, as_completed, grade_answer, tasks, on_done, answer_timeout, budget) -> None:
    futures = {client.submit(grade_answer, *payload, pure=False): key for key, payload in tasks}
    seconds = budget.remaining()
    try:
        waiting = as_completed(list(futures), timeout=seconds if seconds < 1e8 else None)
        for future in waiting:
            key = futures.pop(future)
            try:
                wait = max(min(answer_timeout * 2 + 30, budget.remaining()), 0.1)
                outcome = future.result(timeout=wait)
            except Exception as error:  # noqa: BLE001 - a lost task is a timeout, not a crash
                outcome = {
                    "verdict": "timeout",
                    "reason": f"the cluster did not answer ({type(error).__name__})",
                }
            on_done(key, outcome)
            if budget.expired():
                raise BudgetError("grading ran out of its total time budget")
    except TimeoutError:
        raise BudgetError("grading on the cluster ran out of its total time budget") from None
    finally:
        for future in futures:
            future.cancel()


__all__ = ["check_scheduler", "is_client", "probe", "run_on_cluster"]
