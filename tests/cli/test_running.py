"""How a command prints: -q, the default and -v; colour on a terminal (NO_COLOR,
FORCE_COLOR); progress on stderr only on a terminal; --json the same bytes everywhere.

The terminal cases run the installed program under a pseudo-terminal (``pty.openpty``):
CliRunner's streams are never terminals.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from symgrad.cli import app
from symgrad.cli.running import coloured, level_of, spinner, wants_colour
from symgrad.errors import SymgradError

runner = CliRunner()
SEED = ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1"]
ESC = "\x1b["


def run(*args, env=None):
    return runner.invoke(app, list(args), env=env)


# ---------------------------------------------------------------- levels
def test_quiet_prints_the_verdict_line_only():
    result = run(*SEED, "-q")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("REFUTED: w0 and w1 get different gradients")


def test_the_default_leads_with_plain_words_and_fits_about_15_lines():
    result = run(*SEED)
    lines = result.stdout.splitlines()
    assert result.exit_code == 1 and 8 <= len(lines) <= 16
    assert lines[0] == (
        "REFUTED: w0 and w1 get different gradients at the first step (1 and 2 at w0 = w1 = 0, "
        "x0 = 1, x1 = 2), so gradient descent separates them; for them to stay equal from "
        "every equal start, every data point needs x0 = x1; random data almost surely does not."
    )
    assert "Certificate:" not in result.stdout and "Re-checked:" not in result.stdout
    assert "-v shows the certificate" in lines[-1]


def test_verbose_shows_everything_the_certificate_and_its_recheck():
    default, verbose = run(*SEED), run(*SEED, "--verbose")
    assert verbose.exit_code == default.exit_code == 1
    for word in ("Witness (exact)", "Optimizers:", "Certificate:", "Re-checked:"):
        assert word in verbose.stdout and word not in default.stdout
    assert verbose.stdout.splitlines()[0] == default.stdout.splitlines()[0]


def test_a_plain_word_comes_before_each_precise_term_in_the_default():
    text = run(*SEED).stdout
    for term in ("tied subspace", "measure-zero"):
        position = text.index(term)
        assert "w0 = w1" in text[:position] and "random data" in text[:position]


@pytest.mark.parametrize(
    "args, first",
    [
        (["check", "(y - w*x)**2", "--wrt", "w", "--claim", "-2*x*(y - w*x)"], "CORRECT"),
        (["check", "(y - w*x)**2", "--wrt", "w", "--claim", "2*x*(y - w*x)"], "INCORRECT"),
        (["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--assume", "x0=x1"], "PROVEN"),
        (["collapse", "--model", "two-layer", "--inputs", "2", "--hidden", "3"], "PROVEN"),
    ],
)
def test_every_level_keeps_the_verdict_word_first(args, first):
    codes = set()
    for level in ([], ["-q"], ["-v"]):
        result = run(*args, *level)
        codes.add(result.exit_code)
        assert result.stdout.startswith(first + " ") or result.stdout.startswith(first + ":")
    assert len(codes) == 1  # the level never changes the exit code
    assert len(run(*args, "-q").stdout.splitlines()) == 1


@pytest.mark.parametrize(
    "args, expected",
    [
        (["grad", "w*x", "--wrt", "w", "--at", "w=1,x=2"], "dJ/dw = x   = 2 at the point\n"),
        (["grad", "w0*w1", "--wrt", "w0,w1"], "dJ/dw0 = w1\ndJ/dw1 = w0\n"),
        (["collapse", "--model", "two-layer", "--inputs", "2", "--hidden", "3"],
         "PROVEN: 4 groups of parameters stay equal forever (12 parameters in all).\n"),
        (["prove", "--model", "two-layer", "--inputs", "k", "--hidden", "d", "--init",
          "identical"], "PROVEN: for all d >= 1, k >= 1: identical neurons get identical "),
    ],
)  # fmt: skip
def test_quiet_for_commands_without_a_verdict_line_of_their_own(args, expected):
    result = run(*args, "-q")
    assert result.exit_code == 0 and result.stdout.startswith(expected)


def test_models_quiet_lists_names_and_summaries():
    lines = run("models", "-q").stdout.splitlines()
    assert len(lines) == 7 and lines[0].startswith("linear: ")
    assert all(": " in line and not line.startswith(" ") for line in lines)


def test_quiet_and_verbose_together_is_bad_input():
    result = run(*SEED, "-q", "-v")
    assert result.exit_code == 2 and "not both" in result.stderr


@pytest.mark.parametrize("level", ["-q", "-v"])
def test_json_ignores_the_level(level):
    plain = json.loads(run(*SEED, "--json").stdout)
    other = json.loads(run(*SEED, "--json", level).stdout)
    plain.pop("elapsed_s"), other.pop("elapsed_s")
    assert plain == other


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_documents_keep_their_full_content_at_every_level(fmt):
    quiet = run(*SEED, "--format", fmt, "-q", "--no-timing").stdout
    assert quiet == run(*SEED, "--format", fmt, "--no-timing").stdout
    assert "Re-checked" in quiet


def test_level_of():
    assert level_of(False, False) == "normal"
    assert level_of(True, False) == "quiet" and level_of(False, True) == "verbose"
    with pytest.raises(SymgradError):
        level_of(True, True)


# ---------------------------------------------------------------- colour
def test_only_verdict_words_at_the_start_of_a_line_are_coloured():
    text = "REFUTED: w0 and w1 ...\nNote: UNKNOWN stays plain here\nCORRECT almost everywhere: x"
    lines = coloured(text).split("\n")
    assert lines[0] == "\x1b[1;31mREFUTED\x1b[0m: w0 and w1 ..."
    assert lines[1] == "Note: UNKNOWN stays plain here"
    assert lines[2] == "\x1b[1;32mCORRECT\x1b[0m almost everywhere: x"


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_colour_follows_no_color_and_force_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert wants_colour(_Terminal()) and not wants_colour(object())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(_Terminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert wants_colour(object())


def test_force_color_colours_through_a_pipe_and_json_never():
    coloured_run = run(*SEED, "-q", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert coloured_run.stdout.startswith("\x1b[1;31mREFUTED\x1b[0m: ")
    assert ESC not in run(*SEED, "--json", env={"FORCE_COLOR": "1", "NO_COLOR": ""}).stdout
    assert ESC not in run(*SEED, env={"NO_COLOR": "1"}).stdout


# ---------------------------------------------------------------- a real terminal
def _program() -> list[str]:
    return [sys.executable, "-m", "symgrad"]


def _read_all(fd: int, process: subprocess.Popen) -> bytes:
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    return b"".join(chunks)


def _on_terminal(args: list[str], env_extra: dict | None = None, stderr_too: bool = True):
    """Run symgrad with stdout (and stderr) on a pseudo-terminal: (stdout bytes, stderr
    bytes or None, exit code)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"TERM": "xterm", "COLUMNS": "100", **(env_extra or {})})
    out_main, out_child = pty.openpty()
    err_main, err_child = pty.openpty() if stderr_too else (None, None)
    process = subprocess.Popen(
        _program() + args,
        stdout=out_child,
        stderr=err_child if stderr_too else subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(out_child)
    if stderr_too:
        os.close(err_child)
    stdout = _read_all(out_main, process)
    stderr = _read_all(err_main, process) if stderr_too else process.stderr.read()
    os.close(out_main)
    if stderr_too:
        os.close(err_main)
    return stdout, stderr, process.returncode


@pytest.mark.slow
def test_the_verdict_word_is_coloured_on_a_terminal_and_not_with_no_color():
    out, _, code = _on_terminal(SEED + ["-q"])
    assert code == 1 and out.startswith(b"\x1b[1;31mREFUTED\x1b[0m: w0 and w1")
    plain, _, code = _on_terminal(SEED + ["-q"], {"NO_COLOR": "1"})
    assert code == 1 and plain.startswith(b"REFUTED: w0 and w1") and b"\x1b[" not in plain


def _timeless(output: bytes) -> bytes:
    lines = output.split(b"\n")
    kept = [line for line in lines if not line.lstrip().startswith(b'"elapsed_s"')]
    assert len(kept) == len(lines) - 1
    return b"\n".join(kept)


@pytest.mark.slow
def test_json_is_byte_identical_on_a_terminal_and_through_a_pipe():
    args = SEED + ["--json", "--no-timing"]
    on_terminal, terminal_err, code = _on_terminal(args)
    piped = subprocess.run(_program() + args, capture_output=True, timeout=120)
    assert code == piped.returncode == 1
    # a pseudo-terminal turns "\n" into "\r\n" on the way out: undo only that; the
    # elapsed time is the one value that differs between any two runs
    on_terminal = on_terminal.replace(b"\r\n", b"\n")
    assert _timeless(on_terminal) == _timeless(piped.stdout)
    assert b"\x1b[" not in on_terminal and not terminal_err and not piped.stderr
    json.loads(piped.stdout)


@pytest.mark.slow
def test_progress_shows_on_a_terminal_stderr_and_never_when_piped():
    args = ["simulate", "--model", "two-layer", "--inputs", "2", "--hidden", "3",
            "--steps", "20000", "--no-timing"]  # fmt: skip
    _, progress, code = _on_terminal(args)
    assert code == 0 and b"gradient descent" in progress
    piped = subprocess.run(_program() + args, capture_output=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == b""
    _, quiet_progress, _ = _on_terminal([*args, "--json"])
    assert quiet_progress == b""


def _on_one_terminal(args: list[str]) -> bytes:
    """Run symgrad with stdout and stderr on the same pseudo-terminal, as a user sees it."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"TERM": "xterm", "COLUMNS": "100"})
    main, child = pty.openpty()
    process = subprocess.Popen(
        _program() + args, stdout=child, stderr=child, stdin=subprocess.DEVNULL, env=env
    )
    os.close(child)
    shown = _read_all(main, process)
    os.close(main)
    return shown


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, answer",
    [
        (["simulate", "--model", "two-layer", "--inputs", "2", "--hidden", "3",
          "--init", "identical,random", "--steps", "3000"], b"From the identical init"),
        (["simulate", "--model", "two-layer", "--inputs", "2", "--hidden", "3",
          "--steps", "3000"], b"From the identical init"),
        (["proofs", "zero_init"], b"Claim (zero_init)"),
    ],
)  # fmt: skip
def test_progress_is_cleared_before_the_answer_and_never_drawn_after_it(args, answer):
    shown = _on_one_terminal(args)
    assert b"gradient descent" in shown or b"proof zero_init" in shown  # progress was drawn
    start = shown.index(answer)
    before, after = shown[:start], shown[start:]
    # the bar's line is erased before the answer, never left for it to glue onto
    assert before.rstrip(b"\r\n").endswith(b"\x1b[2K") or before.endswith(b"\n")
    assert not before.endswith(b"0:00:00") and not before.endswith(b"\x1b[0m")
    assert b"gradient descent" not in after and "━".encode() not in after
    assert b"proof zero_init" not in after


@pytest.mark.slow
def test_one_proof_quiet_is_its_verdict_line():
    result = run("proofs", "linear_counterexample", "-q")
    assert result.exit_code == 0
    assert result.stdout == "Verdict: refuted (expected refuted) - the claim is established.\n"


class _TerminalBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_spinner_shows_only_once_the_work_takes_its_delay(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    quick, slow = _TerminalBuffer(), _TerminalBuffer()
    monkeypatch.setattr(sys, "stderr", quick)
    with spinner("proving", quiet=False, delay=0.5):
        pass
    assert quick.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", slow)
    with spinner("proving", quiet=False, delay=0.05):
        time.sleep(0.4)
    assert "proving" in slow.getvalue()
    silent = _TerminalBuffer()
    monkeypatch.setattr(sys, "stderr", silent)
    with spinner("proving", quiet=True, delay=0.0):
        time.sleep(0.2)
    assert silent.getvalue() == ""


@pytest.mark.slow
def test_proofs_name_the_proof_running_on_a_terminal():
    _, progress, code = _on_terminal(["proofs", "zero_init"])
    assert code == 0 and b"proof zero_init" in progress


@pytest.mark.parametrize("delay", [0.0, 0.001, 0.01])
def test_the_spinner_never_starts_after_its_work_is_done(monkeypatch, delay):
    monkeypatch.setenv("TERM", "xterm")
    for _ in range(20):  # the timer may fire while the work ends: it must not draw after
        stream = _TerminalBuffer()
        monkeypatch.setattr(sys, "stderr", stream)
        with spinner("proving", quiet=False, delay=delay):
            pass
        written = stream.getvalue()
        time.sleep(0.02)
        assert stream.getvalue() == written
