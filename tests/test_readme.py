"""Every ``$ symgrad ...`` transcript in the README is run and compared with its output.

Commands of one README run in order in a fresh folder (so ``printf ... > file.csv`` feeds
the next command); ``echo $?`` prints the previous exit code. A line ``...`` in the README
stands for any number of lines; timings such as ``(0.043 s)`` are compared as numbers of
seconds, not exact values.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TIMING = re.compile(r"\(\d+\.\d+ s\)")


def transcripts(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every ``$ `` line inside a code block."""
    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = (line[2:], [])
                found.append(current)
            elif current is not None:
                current[1].append(line)
    return found


def normalize(line: str) -> str:
    return TIMING.sub("(T s)", line.rstrip())


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line, where an expected '...' stands for any number of actual lines."""
    expected = [normalize(line) for line in expected]
    actual = [normalize(line) for line in actual]
    while expected and expected[-1] == "":
        expected.pop()
    while actual and actual[-1] == "":
        actual.pop()
    pattern = "\n".join(re.escape(line) if line != "..." else "(?:.*\n?)*?" for line in expected)
    pattern = pattern.replace("\n(?:.*\n?)*?\n", "\n(?:.*\n)*?")
    return re.fullmatch(pattern, "\n".join(actual), flags=re.S) is not None


def run_all(tmp_path: Path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    last = 0
    for command, expected in transcripts(README.read_text()):
        if command == "echo $?":
            yield command, expected, [str(last)]
            continue
        completed = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        last = completed.returncode
        yield command, expected, (completed.stdout + completed.stderr).splitlines()


def test_readme_has_transcripts():
    assert len(transcripts(README.read_text())) >= 20


@pytest.mark.slow
def test_every_transcript_matches(tmp_path):
    mismatches = []
    for command, expected, actual in run_all(tmp_path):
        if not matches(expected, actual):
            mismatches.append(
                f"$ {command}\n--- README\n"
                + "\n".join(expected)
                + "\n--- actual\n"
                + "\n".join(actual)
            )
    assert not mismatches, "\n\n".join(mismatches)
