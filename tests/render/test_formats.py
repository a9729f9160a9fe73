"""Every format renders: LaTeX compiles with amsmath, Markdown maths renders with KaTeX.

With ``pdflatex`` on the PATH the LaTeX bodies are compiled; with node and the
katex package (``SYMGRAD_KATEX`` or a resolvable ``katex``) every ``$...$``
segment is rendered with ``throwOnError``. Without them a LaTeX-aware
structural check runs instead (balanced groups and environments, known
commands, no double superscripts), so the test always checks something.
CI installs both tools (see .ci/run).
"""

import json
import os
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from symgrad.cli import app

runner = CliRunner()

COMMANDS = [
    ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1"],
    ["prove", "(y - w0*x0 - w1*x1)**2", "--tie", "w0=w1"],
    ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--assume", "tan(x0) = 0"],
    ["prove", "w0**2 + 2*w1**2", "--init", "w0=0,w1=0"],
    ["prove", "tanh(w0*x0) + tanh(w1*x1)", "--tie", "w0=w1", "--init", "w0=1/2,w1=1/2"],
    ["prove", "--model", "two-layer", "--inputs", "2", "--hidden", "3", "--init", "identical"],
    ["prove", "--model", "two-layer", "--inputs", "k", "--hidden", "d", "--samples", "n"],
    ["prove", "(y - sigma(w0*x0) - sigma(w1*x1))**2", "--tie", "w0=w1", "--function", "sigma"],
    ["check", "(y - w*x)**2", "--wrt", "w", "--claim", "2*x*(y - w*x)"],
    [
        "check",
        r"\frac{1}{2}(\hat{y} - y)^{2}",
        "--wrt",
        "y",
        "--claim",
        r"-(\hat{y} - y)",
        "--latex",
    ],
    ["check", "w0**2 + w0*w1", "--wrt", "w0,w1", "--claim", "2*w0", "--claim", "w0"],
    ["grad", "(y - w*x)**2", "--wrt", "w", "--at", "w=0,x=1,y=2"],
    [
        "collapse",
        "--model",
        "two-layer",
        "--inputs",
        "2",
        "--hidden",
        "3",
        "--activation",
        "sigmoid",
        "--no-bias",
        "--init",
        "zero",
    ],
    ["simulate", "--model", "two-layer", "--steps", "3", "--exact", "--lr", "1/10"],
    ["proofs", "linear_counterexample"],
]


def _output(args, fmt):
    result = runner.invoke(app, [*args, "--format", fmt])
    assert result.exit_code in (0, 1, 3), result.output
    return result.stdout


# ---------------------------------------------------------------- LaTeX
_KNOWN = set(
    r"""frac partial left right cdot quad text paragraph begin end align sigma
    operatorname tanh exp log sin cos sinh cosh sqrt max min in ne eta wedge vee emph
    textbackslash textless textgreater textbar textasciitilde mathrm item itemize verbatim
    subsection enumerate textbf dots hat bar tilde sign theta lambda pi operatorname
    left right tan sech lambda mu alpha beta gamma delta epsilon right infty le ge cdots
    Heaviside vert lvert rvert mid sum substack limits prod displaystyle mathbf ensuremath""".split()
)


def _structural_latex(body: str) -> None:
    depth = 0
    for char in re.sub(r"\\[{}]", "", body):
        depth += char == "{"
        depth -= char == "}"
        assert depth >= 0, "a '}' closes nothing"
    assert depth == 0, "unbalanced braces"
    begins = re.findall(r"\\begin\{(\w+\*?)\}", body)
    ends = re.findall(r"\\end\{(\w+\*?)\}", body)
    assert begins == list(reversed(ends)) or sorted(begins) == sorted(ends)
    for command in re.findall(r"\\([A-Za-z]+)", body):
        assert command in _KNOWN or len(command) <= 2, f"unknown command \\{command}"
    assert not re.search(r"\^\{[^{}]*\}\^", body), "double superscript"


def _compile(body: str, tmp_path) -> None:
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
        "\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    (tmp_path / "doc.tex").write_text(document)
    completed = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-2000:]


def _cases() -> list:
    """The commands as test cases; the symbolic-size proof (several seconds) is slow."""
    return [
        pytest.param(a, id=" ".join(a[:2]), marks=[pytest.mark.slow] if "k" in a else [])
        for a in COMMANDS
    ]


@pytest.mark.parametrize("args", _cases())
def test_latex_output_compiles(args, tmp_path):
    body = _output(args, "latex")
    assert body.strip()
    if shutil.which("pdflatex"):
        _compile(body, tmp_path)
    else:
        _structural_latex(body)


# ---------------------------------------------------------------- Markdown with KaTeX
def _katex() -> str | None:
    if not shutil.which("node"):
        return None
    candidates = [os.environ.get("SYMGRAD_KATEX"), "katex"]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            ["node", "-e", f"require({json.dumps(candidate)})"], capture_output=True, timeout=30
        )
        if probe.returncode == 0:
            return candidate
    return None


def _segments(markdown: str) -> list[str]:
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)
    text = re.sub(r"\\\$", "", text)
    return re.findall(r"\$\$(.+?)\$\$|\$(.+?)\$", text, flags=re.S)


def _render_with_katex(module: str, segments: list[str]) -> None:
    script = (
        f"const katex = require({json.dumps(module)});"
        "const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "for (const item of items) { katex.renderToString(item, {throwOnError: true}); }"
    )
    completed = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(segments),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


@pytest.mark.parametrize("args", _cases())
def test_markdown_maths_renders(args):
    markdown = _output(args, "markdown")
    segments = [a or b for a, b in _segments(markdown)]
    module = _katex()
    if module:
        _render_with_katex(module, segments)
    else:
        for segment in segments:
            _structural_latex(segment)


@pytest.mark.parametrize(
    "args, needles",
    [
        (COMMANDS[0], ["Refuted", "x_{0} = x_{1}"]),
        (COMMANDS[3], ["Proven", "stationary"]),
        (COMMANDS[8], ["Incorrect", "sign error"]),
    ],
)
def test_no_format_drops_the_verdict(args, needles):
    for fmt in ("markdown", "latex"):
        output = _output(args, fmt)
        for needle in needles:
            assert needle.lower() in output.lower(), (fmt, needle)


@pytest.mark.parametrize(
    "loss, ties, options",
    [
        ("w0*x0 + w1*x1", ["w0=w1"], {}),
        ("(w0 + w1)*x", ["w0=w1"], {}),
        ("(y - w0*x0 - w1*x1)^2", ["w0=w1"], {"init": "w0=0,w1=0"}),
    ],
)
def test_markdown_leads_with_the_plain_sentence_and_keeps_the_headline(loss, ties, options):
    from symgrad import prove
    from symgrad.render.common import md_escape
    from symgrad.render.proof import headline, plain_sentence

    result = prove(loss, ties=ties, **options)
    document = result.to_markdown()
    first = document.splitlines()[0]
    assert first == f"**{result.verdict.capitalize()}.** {md_escape(plain_sentence(result))}"
    assert md_escape(headline(result)) in document
    assert result._repr_markdown_() == document
