"""``symgrad serve``: the web page and its JSON API on this machine."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from symgrad.cli.app import app
from symgrad.cli.running import run_command
from symgrad.errors import SymgradError

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def _is_local(host: str) -> bool:
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _bind(host: str, port: int):
    """A listening socket (before anything says "serving"): a taken port is bad input."""
    import socket

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listening = socket.socket(family, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(128)
    except (OSError, OverflowError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SymgradError(f"cannot listen on {_shown(host)}:{port}: {reason}") from None
    return listening


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8000,
    timeout: Annotated[
        float, typer.Option(min=0.5, max=3600, help="Each request's time budget in seconds.")
    ] = 10.0,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Requests computed at once.")] = 4,
    grade_timeout: Annotated[
        float,
        typer.Option(min=1, max=86400, help="Budget of a class graded in the background (s)."),
    ] = 600.0,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the page in a browser.")
    ] = False,
) -> None:
    """Serve the web page (check a derivative, decide a tie, grade a class) and its JSON API.

    Example:

      symgrad serve --port 8000
    """

    def work() -> int:
        try:
            import uvicorn

            from symgrad.web.app import create_app
        except ImportError:
            raise SymgradError(
                "symgrad serve needs the web extra: pip install 'symgrad[web]'"
            ) from None
        listening = _bind(host, port)
        address = f"http://{_shown(host)}:{listening.getsockname()[1]}/"
        local = _is_local(host)
        if not local:
            typer.echo(
                f"symgrad: warning: serving on {host}: anyone who can reach this address can "
                "use the page and the API (there is no login)",
                err=True,
            )
        application = create_app(
            timeout=timeout,
            workers=workers,
            grade_timeout=grade_timeout,
            hosts=tuple(dict.fromkeys((*LOOPBACK_HOSTS, host))) if local else None,
        )
        application.state.server.jobs.warm_up()
        typer.echo(f"symgrad: serving on {address} (Ctrl-C stops)", err=True)
        if open_browser:
            import threading
            import webbrowser

            threading.Timer(1.0, webbrowser.open, (address,)).start()
        config = uvicorn.Config(application, log_level="warning")
        uvicorn.Server(config).run(sockets=[listening])
        return 0

    run_command(False, float("inf"), work)
