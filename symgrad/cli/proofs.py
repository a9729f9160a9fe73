"""``symgrad proofs``: the claims of the Q&A threads symgrad grew from, as runnable proofs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from symgrad.cli.app import (
    EXIT_FAILS,
    EXIT_HOLDS,
    app,
)
from symgrad.cli.options import (
    Format,
    FormatOption,
    JsonOption,
    QuietOption,
    TimeoutOption,
    TimingOption,
    VerboseOption,
)
from symgrad.cli.running import echo_text, level_of, progress_bar, run_command


@app.command()
def proofs(
    name: Annotated[str | None, typer.Argument(help="Print one proof in full.")] = None,
    fmt: FormatOption = Format.text,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    timeout: TimeoutOption = 600.0,
    no_timing: TimingOption = False,
) -> None:
    """Run the claims of the Q&A threads symgrad grew from as proofs; NAME prints one in full.

    Exit 0 only when every obtained verdict matches the expected one.

    Examples:

      symgrad proofs

      symgrad proofs linear_counterexample --format markdown
    """
    import proofs as catalogue

    def work() -> int:
        names = [name] if name is not None else list(catalogue.NAMES)
        derivations, rows = _run_proofs(names, quiet=as_json or quiet)
        ok = all(row["holds"] for row in rows)
        if as_json:
            typer.echo(json.dumps({"proofs": rows, "all_hold": ok}, indent=2))
        elif name is not None:
            derivation = derivations[0]
            if fmt is Format.markdown:
                typer.echo(derivation.to_markdown())
            elif fmt is Format.latex:
                typer.echo(derivation.to_latex())
            else:
                text = derivation.to_text()
                quiet_line = text.rstrip().splitlines()[-1]  # "Verdict: ..."
                echo_text(quiet_line if level_of(quiet, verbose) == "quiet" else text)
        elif quiet:
            typer.echo(_proof_table(rows, fmt, not no_timing).splitlines()[-1])
        else:
            echo_text(_proof_table(rows, fmt, not no_timing))
        return EXIT_HOLDS if ok else EXIT_FAILS

    run_command(as_json, timeout, work)


def _run_proofs(names: list[str], quiet: bool) -> tuple[list, list[dict]]:
    """Each named proof run, with a progress bar on a terminal: its derivation and its row."""
    import time

    import proofs as catalogue

    rows, derivations = [], []
    with progress_bar(len(names), quiet, "proofs") as advance:
        for done, name in enumerate(names):
            if advance:
                advance(done, f"proof {name}")
            start = time.monotonic()
            derivation = catalogue.load(name).derive()
            derivations.append(derivation)
            rows.append(
                {
                    "name": derivation.name,
                    "claim": derivation.claim,
                    "expected": derivation.expected,
                    "obtained": derivation.verdict,
                    "holds": derivation.holds,
                    "seconds": round(time.monotonic() - start, 3),
                    "failures": derivation.failures(),
                }
            )
    return derivations, rows


def _proof_table(rows: list[dict], fmt: Format, timing: bool = True) -> str:
    if fmt is Format.markdown:
        head = "| proof | claim | expected | obtained |" + (" time (s) |" if timing else "")
        lines = [head, "|---|---|---|---|" + ("---|" if timing else "")]
        for row in rows:
            lines.append(
                f"| {row['name']} | {row['claim']} | {row['expected']} | {row['obtained']} |"
                + (f" {row['seconds']:.2f} |" if timing else "")
            )
        return "\n".join(lines)
    if fmt is Format.latex:
        from symgrad.text.display import tex_escape

        body = [r"\begin{tabular}{llll}", r"proof & expected & obtained & match \\ \hline"]
        for row in rows:
            body.append(
                f"{tex_escape(row['name'])} & {row['expected']} & {row['obtained']} & "
                f"{'yes' if row['holds'] else 'no'} \\\\"
            )
        body.append(r"\end{tabular}")
        return "\n".join(body)
    width = max(len(row["name"]) for row in rows)
    lines = [
        f"{'proof':<{width}}  expected  obtained  match  "
        + ("time (s)  " if timing else "")
        + "claim"
    ]
    for row in rows:
        claim = row["claim"] if len(row["claim"]) <= 70 else row["claim"][:67] + "..."
        seconds = f"{row['seconds']:>8.2f}  " if timing else ""
        lines.append(
            f"{row['name']:<{width}}  {row['expected']:<8}  {row['obtained']:<8}  "
            f"{'yes' if row['holds'] else 'NO':<5}  {seconds}{claim}"
        )
    matched = sum(row["holds"] for row in rows)
    lines.append(f"{matched} of {len(rows)} claims established.")
    return "\n".join(lines)
