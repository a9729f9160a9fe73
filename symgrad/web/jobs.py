"""Requests computed in killable worker processes, a few at a time, each within its budget.

Every request runs in a process of its own, forked from a warm server process
(``forkserver`` with symgrad preloaded, so a request starts in milliseconds and
no thread of the web server is ever forked). At most ``workers`` requests
compute at once; up to ``queue`` more wait for a slot; beyond that the server
answers "busy". A request whose answer is not back by its deadline has its
process killed: a slow request costs its own budget and never blocks the
others. The deadline covers the wait in the queue too, so every request is
answered within the server's budget.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Any

PRELOAD = ["symgrad.web.answers"]


class Busy(Exception):
    """Every worker is taken and the queue is full."""


class OutOfTime(Exception):
    """The request's budget ran out before its answer came back."""


class Abandoned(Exception):
    """The client went away: its worker was stopped."""


@dataclass(frozen=True)
class Answer:
    """An HTTP status and the JSON body the worker computed."""

    status: int
    body: Any


def _work(connection, kind: str, payload: object, seconds: float) -> None:
    """In the worker process: answer one request and send (status, body) back.

    The worker's parent is the fork server, which ends with the web server; the
    worker ends with its parent.
    """
    from symgrad.runtime.worker import _die_with_parent
    from symgrad.web.answers import answer

    _die_with_parent(os.getppid())
    try:
        status, body = answer(kind, payload, seconds, progress=connection.send)
    except BaseException as error:  # noqa: BLE001 - reported, never raised into the server
        status, body = (
            500,
            {"error": f"internal error ({type(error).__name__})", "kind": "internal"},
        )
    connection.send(("done", status, body))
    connection.close()


class Jobs:
    """Bounded concurrency over killable worker processes."""

    def __init__(self, workers: int = 2, queue: int = 16) -> None:
        self.workers, self.queue = workers, queue
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0
        self._running: set = set()

    def warm_up(self) -> None:
        """Start the fork server now (it imports symgrad once), not on the first request."""
        process = self._context.Process(target=os.getpid)
        process.start()
        process.join()

    def has_room(self) -> bool:
        """A request would start now or find a waiting place."""
        running = self.workers - (self._slots._value if self._slots is not None else self.workers)
        return running < self.workers or self._waiting < self.queue

    async def run(
        self, kind: str, payload: object, seconds: float, on_progress=None, gone=None
    ) -> Answer:
        """Answer ``kind`` for ``payload`` within ``seconds`` (waiting included).

        ``gone()``, an async callable, says whether the client went away: its worker
        is then stopped at once rather than at the deadline.
        """
        deadline = time.monotonic() + seconds
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        if self._waiting >= self.queue:
            raise Busy(f"{self.workers} requests are running and {self.queue} are waiting")
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), max(deadline - time.monotonic(), 0.01))
        except asyncio.TimeoutError:
            raise OutOfTime("the server was busy for the whole budget") from None
        finally:
            self._waiting -= 1
        try:
            return await self._in_worker(kind, payload, deadline, on_progress, gone)
        finally:
            self._slots.release()

    async def _in_worker(self, kind, payload, deadline: float, on_progress, gone) -> Answer:
        receive, send = self._context.Pipe(duplex=False)
        # the library's own budget ends a little before the deadline, so that it answers
        # "unknown" itself; the deadline kills the process if it does not
        library = max(0.2, (deadline - time.monotonic()) * 0.9 - 0.3)
        process = self._context.Process(
            target=_work, args=(send, kind, payload, library), daemon=False
        )
        process.start()
        send.close()
        self._running.add(process)
        try:
            return await self._receive(receive, deadline, on_progress, gone)
        finally:
            self._running.discard(process)
            if process.is_alive():
                process.kill()
            await asyncio.to_thread(process.join, 5)
            receive.close()

    async def _receive(self, receive, deadline: float, on_progress, gone) -> Answer:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OutOfTime("out of the time budget")
            ready = await asyncio.to_thread(receive.poll, min(remaining, 0.25))
            if not ready:
                if gone is not None and await gone():
                    raise Abandoned("the client went away")
                continue
            try:
                message = receive.recv()
            except EOFError:
                raise OutOfTime("the worker stopped without an answer (out of memory?)") from None
            if message[0] == "done":
                return Answer(message[1], message[2])
            if on_progress is not None:
                on_progress(*message[1:])

    def close(self) -> None:
        """Kill what still runs (the server is stopping)."""
        for process in list(self._running):
            process.kill()
