"""The web app: the page at ``/`` and a JSON API that mirrors the command line.

``POST /api/check`` and ``POST /api/prove`` answer with exactly the object
``symgrad check --json`` / ``symgrad prove --json`` prints; ``POST /api/read``
shows how symgrad reads a text (the page's live preview); ``POST /api/grade``
grades a class (``"wait": false`` returns a job to poll at
``GET /api/grade/{job}``). Bad input is HTTP 400 ``{"error", "kind"}`` in one
line; a body over 64 KB is 413; every request is computed in a killable worker
within the server's budget (:mod:`symgrad.web.jobs`): an ``unknown`` verdict,
or 408 when even that could not be said in time; 503 when every worker and
queue place is taken. The page is one self-contained HTML file (no network)
under a strict Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from symgrad.web.jobs import Abandoned, Busy, Jobs, OutOfTime

ICON = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><rect width='16' height='16' "
    "rx='3' fill='#2855d8'/><text x='8' y='12' font-size='11' text-anchor='middle' "
    "fill='#fff' font-family='serif'>∂</text></svg>"
)
MAX_BODY = 64 * 1024
MAX_DEPTH = 8  # the deepest body the API takes is a list of lists of names
PREVIEW_BUDGET = 3.0
KEEP_GRADES = 8
GRADE_TTL = 3600.0
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(message.split())[:400], "kind": kind}, status)


class _TooLarge(Exception):
    pass


def _too_deep(value: object) -> bool:
    """Nested deeper than any body the API takes (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return False


async def _json_body(request: Request, limit: int = MAX_BODY) -> object:
    """The request's JSON body, read at most ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks).decode("utf-8"))
    except RecursionError:
        raise ValueError("the body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"the body is not JSON: {error}") from None
    if _too_deep(body):
        raise ValueError("the body is nested too deeply")
    return body


def _foreign(request: Request, hosts: tuple[str, ...] | None) -> str | None:
    """Why a request must be refused as coming from another site, or None.

    A browser sends ``Origin`` on every cross-site request: it must be this server. With
    ``hosts`` (the server listens on loopback only), the ``Host`` must be one of them too,
    which stops DNS rebinding.
    """
    host = request.headers.get("host", "")
    if hosts is not None and host.rsplit(":", 1)[0] not in hosts and host not in hosts:
        return f"this server answers for {', '.join(hosts)}, not {host[:60]!r}"
    origin = request.headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1] != host:
        return "requests from another site are refused"
    return None


def _page() -> str:
    files = resources.files("symgrad.web") / "page"
    page = (files / "index.html").read_text(encoding="utf-8")
    return page.replace("{{CSS}}", (files / "page.css").read_text(encoding="utf-8")).replace(
        "{{JS}}", (files / "page.js").read_text(encoding="utf-8")
    )


class Server:
    """The routes, the worker pools and the grade jobs of one running server."""

    def __init__(
        self,
        timeout: float = 10.0,
        workers: int = 4,
        queue: int = 16,
        grade_timeout: float = 600.0,
        hosts: tuple[str, ...] | None = None,
    ) -> None:
        self.timeout, self.grade_timeout, self.hosts = timeout, grade_timeout, hosts
        self.jobs = Jobs(workers=workers, queue=queue)
        self.previews = Jobs(workers=2, queue=8)
        self.grading = Jobs(workers=1, queue=2)
        self.grades: dict[str, dict] = {}
        self.page = _page()

    async def icon(self, request: Request) -> Response:
        return Response(ICON, media_type="image/svg+xml")

    async def index(self, request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        policy = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        return HTMLResponse(
            self.page.replace("{{NONCE}}", nonce),
            headers={"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"},
        )

    async def _payload(self, request: Request) -> object | Response:
        """The request's JSON body, or the response that refuses it."""
        refused = _foreign(request, self.hosts)
        if refused is not None:
            return _error(403, refused, "forbidden")
        try:
            return await _json_body(request)
        except _TooLarge:
            return _error(
                413, f"the body is over {MAX_BODY // 1024} KB (a large class: symgrad grade)",
                "too_large",
            )  # fmt: skip
        except ValueError as error:
            return _error(400, str(error), "json")
        except ClientDisconnect:
            return Response(status_code=400)

    def endpoint(self, kind: str):
        jobs, seconds = (self.previews, min(self.timeout, PREVIEW_BUDGET)) if kind == "read" else (
            self.jobs, self.timeout
        )  # fmt: skip

        async def handle(request: Request) -> Response:
            payload = await self._payload(request)
            if isinstance(payload, Response):
                return payload
            return await self.computed(jobs, kind, payload, seconds, request=request)

        return handle

    async def computed(self, jobs, kind, payload, seconds: float, progress=None, request=None):
        gone = request.is_disconnected if request is not None else None
        try:
            answer = await jobs.run(kind, payload, seconds, progress, gone)
        except Busy as error:
            return _error(503, f"busy: {error}; try again", "busy")
        except OutOfTime as error:
            return _error(408, f"{error} ({seconds:g} s)", "timeout")
        except Abandoned:
            return Response(status_code=499)
        return JSONResponse(answer.body, answer.status)

    async def grade(self, request: Request) -> Response:
        payload = await self._payload(request)
        if isinstance(payload, Response):
            return payload
        if isinstance(payload, dict) and payload.get("wait") is False:
            return self._start_grading(payload)
        return await self.computed(self.grading, "grade", payload, self.timeout, request=request)

    def _start_grading(self, payload: dict) -> Response:
        if not self.grading.has_room():
            return _error(503, "busy: other classes are being graded; try again", "busy")
        self._forget_old_grades()
        job_id = secrets.token_urlsafe(12)
        job = {"job": job_id, "status": "running", "done": 0, "total": 0, "started": time.time()}
        self.grades[job_id] = job

        def progress(done: int, total: int) -> None:
            job.update(done=done, total=total)

        async def work() -> None:
            response = await self.computed(
                self.grading, "grade", payload, self.grade_timeout, progress
            )
            body = json.loads(response.body)
            job.update(body if response.status_code == 200 else {"error": body["error"]})
            job["status"] = "done" if response.status_code == 200 else "failed"
            job["http_status"] = response.status_code

        job["task"] = asyncio.get_running_loop().create_task(work())
        return JSONResponse(self._public(job), 202)

    def _forget_old_grades(self) -> None:
        """Keep at most KEEP_GRADES jobs for at most an hour, dropping finished ones first."""
        now = time.time()
        for job_id, job in list(self.grades.items()):
            if now - job["started"] > GRADE_TTL:
                self.grades.pop(job_id, None)
        finished = [j for j, job in self.grades.items() if job["status"] != "running"]
        while len(self.grades) >= KEEP_GRADES and finished:
            self.grades.pop(finished.pop(0), None)

    @staticmethod
    def _public(job: dict) -> dict:
        return {k: v for k, v in job.items() if k not in ("task", "started", "http_status")}

    async def grade_status(self, request: Request) -> Response:
        job = self.grades.get(request.path_params["job"])
        if job is None:
            return _error(404, "no such grading job (jobs are kept for an hour)", "not_found")
        status = job.get("http_status", 200)
        return JSONResponse(self._public(job), 200 if status == 200 else status)


async def _http_error(request: Request, error: HTTPException) -> Response:
    return _error(error.status_code, str(error.detail), "http")


async def _internal_error(request: Request, error: Exception) -> Response:
    return _error(500, f"internal error ({type(error).__name__}); please report it", "internal")


def create_app(
    timeout: float = 10.0,
    workers: int = 4,
    queue: int = 16,
    grade_timeout: float = 600.0,
    hosts: tuple[str, ...] | None = None,
) -> Starlette:
    """The ASGI app; ``timeout`` is each request's budget in seconds (a class graded as a
    job, ``"wait": false``, gets ``grade_timeout``); ``hosts``, when given, are the only
    ``Host`` names answered (DNS rebinding)."""
    server = Server(timeout, workers, queue, grade_timeout, hosts)
    routes = [
        Route("/", server.index, methods=["GET"]),
        Route("/favicon.ico", server.icon, methods=["GET"]),
        Route("/api/check", server.endpoint("check"), methods=["POST"]),
        Route("/api/prove", server.endpoint("prove"), methods=["POST"]),
        Route("/api/read", server.endpoint("read"), methods=["POST"]),
        Route("/api/page/check", server.endpoint("page-check"), methods=["POST"]),
        Route("/api/page/prove", server.endpoint("page-prove"), methods=["POST"]),
        Route("/api/grade", server.grade, methods=["POST"]),
        Route("/api/grade/{job}", server.grade_status, methods=["GET"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        for jobs in (server.jobs, server.previews, server.grading):
            jobs.close()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        lifespan=lifespan,
    )
    app.state.server = server
    return app
