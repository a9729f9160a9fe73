"""``symgrad serve``: the web page and a JSON API over the same library (needs ``symgrad[web]``).

:func:`create_app` builds the ASGI app (:mod:`.app`); requests are answered in
killable worker processes (:mod:`.jobs`) by the command line's own request code
(:mod:`.answers`). The page (``page/``) is served as one self-contained file.
"""

from __future__ import annotations


def create_app(
    timeout: float = 10.0,
    workers: int = 4,
    queue: int = 16,
    grade_timeout: float = 600.0,
    hosts: tuple[str, ...] | None = None,
):
    """The ASGI app (Starlette); ``timeout`` is each request's budget in seconds (see
    :func:`symgrad.web.app.create_app`)."""
    from symgrad.web.app import create_app as build

    return build(timeout, workers, queue, grade_timeout, hosts)
