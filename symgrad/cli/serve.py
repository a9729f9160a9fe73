"""``symgrad serve``: the web page and its JSON API on this machine."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from symgrad.cli.app import app
from symgrad.cli.running import run_command
from symgrad.errors import SymgradError

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def _is_local(host: str) -> bool:
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8000,
    timeout: Annotated[
        float, typer.Option(min=0.5, max=3600, help="Each request's time budget in seconds.")
    ] = 10.0,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Requests computed at once.")] = 2,
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
        if not _is_local(host):
            typer.echo(
                f"symgrad: warning: serving on {host}: anyone who can reach this address can "
                "use the page and the API (there is no login)",
                err=True,
            )
        application = create_app(timeout=timeout, workers=workers)
        application.state.server.jobs.warm_up()
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"symgrad: serving on http://{shown}:{port}/ (Ctrl-C stops)", err=True)
        if open_browser:
            import threading
            import webbrowser

            threading.Timer(1.0, webbrowser.open, (f"http://{shown}:{port}/",)).start()
        uvicorn.run(application, host=host, port=port, log_level="warning")
        return 0

    run_command(False, float("inf"), work)
