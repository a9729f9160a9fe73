"""``symgrad explain``: the words the outputs use, in plain words."""

from __future__ import annotations

from typing import Annotated

import typer

from symgrad.cli.app import EXIT_HOLDS, app
from symgrad.cli.options import JsonOption
from symgrad.cli.running import run_command


@app.command()
def explain(
    term: Annotated[
        list[str] | None, typer.Argument(help="A term, e.g. 'measure zero' (all when left out).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Explain a term the outputs use (tied subspace, measure zero, witness, certificate,
    re-check, interval arithmetic, ...); without TERM, the whole glossary.

    Examples:

      symgrad explain measure zero

      symgrad explain
    """
    import json

    from symgrad.render.glossary import GLOSSARY, glossary_text, lookup

    def work() -> int:
        if term:
            name, text = lookup(" ".join(term))
            entries = {name: text}
            shown = f"{name}: {text}"
        else:
            entries, shown = dict(GLOSSARY), glossary_text()
        typer.echo(json.dumps({"terms": entries}, indent=2) if as_json else shown)
        return EXIT_HOLDS

    run_command(as_json, 10.0, work)
