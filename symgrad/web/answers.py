"""What a web request asks, answered by the same code as the command line.

A JSON body is checked field by field (names, types) and turned into the
arguments of the matching ``symgrad`` command, then answered by that command's
own request function (:func:`symgrad.cli.check.check_result`,
:func:`symgrad.cli.prove.prove_result`), so ``POST /api/check`` returns exactly
the object ``symgrad check --json`` prints. Nothing from a request is ever
used as a file path: a dataset or a derivation comes as text.
This module runs inside a worker process (:mod:`symgrad.web.jobs`).
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Mapping
from enum import Enum

from symgrad.cli.check import check as check_command
from symgrad.cli.check import check_result
from symgrad.cli.options import Arguments, Format, Mode
from symgrad.cli.prove import prove as prove_command
from symgrad.cli.prove import prove_result
from symgrad.errors import BudgetError, SymgradError
from symgrad.results import render

TEXT, FLAG, NUMBER, TEXTS = "text", "flag", "number", "texts"
TIES, VALUES, NAMED = "ties", "values", "named"  # [["a", "b"]], {"w0": 0}, {"X": "n,k"}
SIZE, SIZES, WHOLE = "size", "sizes", "whole"  # 3 or "k"; [8, 8] or "8,8"; 2 or "2"


class RequestError(SymgradError):
    """A request body that is not what the endpoint takes (a missing or mistyped field)."""


# field -> (its type, the command's parameter it sets)
CHECK_FIELDS = {
    "loss": (TEXT, "loss"),
    "wrt": (TEXTS, "wrt"),
    "claim": (TEXTS, "claim"),
    "derivation": (TEXT, None),
    "latex": (FLAG, "latex_input"),
    "assume": (TEXTS, "assume"),
    "shapes": (NAMED, "shape"),
    "let": (NAMED, "let"),
    "functions": (TEXTS, "function"),
    "hint": (FLAG, "hint"),
    "hide_answer": (FLAG, "hide_answer"),
    "up_to_factor": (FLAG, "up_to_factor"),
    "steps": (FLAG, "steps"),
}
PROVE_FIELDS = {
    "loss": (TEXT, "loss"),
    "model": (TEXT, "model"),
    "ties": (TIES, "tie"),
    "init": (VALUES, "init"),
    "assume": (TEXTS, "assume"),
    "params": (TEXTS, "params"),
    "functions": (TEXTS, "function"),
    "dataset": (TEXT, None),
    "mode": (TEXT, "mode"),
    "steps": (WHOLE, "steps"),
    "latex": (FLAG, "latex_input"),
    "inputs": (SIZE, "inputs"),
    "hidden": (SIZES, "hidden"),
    "outputs": (SIZE, "outputs"),
    "activation": (TEXT, "activation"),
    "output_activation": (TEXT, "output_activation"),
    "bias": (FLAG, "bias"),
    "loss_kind": (TEXT, "loss_kind"),
    "samples": (SIZE, "samples"),
    "rows": (WHOLE, "rows"),
    "dimension": (WHOLE, "dimension"),
}


def answer(kind: str, payload: object, seconds: float, progress: Callable | None = None):
    """(HTTP status, JSON body) for one request; errors as ``{"error", "kind"}``.

    ``progress(("progress", done, total))`` reports a long request's progress.
    """
    try:
        if kind == "grade":
            return 200, _grade(payload, seconds, progress)
        return 200, ANSWERS[kind](payload, seconds)
    except BudgetError as error:
        return 408, {"error": _fields(error.one_line()), "kind": "timeout"}
    except SymgradError as error:
        return 400, {"error": _fields(error.one_line()), "kind": type(error).__name__}
    except RecursionError:
        return 400, {"error": "expression too deeply nested to process", "kind": "ParseError"}
    except MemoryError:
        return 408, {"error": "out of memory", "kind": "timeout"}


_FLAGS = {
    "--wrt": "wrt", "--claim": "claim", "--derivation": "derivation", "--assume": "assume",
    "--shape": "shapes", "--let": "let", "--function": "functions", "--tie": "ties",
    "--init": "init", "--params": "params", "--model": "model", "--dataset": "dataset",
    "--inputs": "inputs", "--hidden": "hidden", "--outputs": "outputs", "--loss": "loss_kind",
    "--samples": "samples", "--activation": "activation", "--latex": "latex", "LOSS": "loss",
}  # fmt: skip


def _fields(message: str) -> str:
    """An error message in the API's words: the fields a request has, not the CLI's flags."""
    return re.sub(
        r"(?<![\w-])(--[a-z][a-z-]*|LOSS)(?![\w-])",
        lambda m: _FLAGS.get(m.group(1), m.group(1)),
        message,
    )


def _body(payload: object, fields: Mapping[str, tuple]) -> dict:
    if not isinstance(payload, Mapping):
        raise RequestError("the body must be a JSON object")
    unknown = sorted(set(payload) - set(fields))
    if unknown:
        raise RequestError(f"unknown field {unknown[0]!r} (fields: {', '.join(sorted(fields))})")
    return {name: _typed(name, value, fields[name][0]) for name, value in payload.items()}


def _typed(name: str, value: object, kind: str) -> object:
    """The field's value in the command's form, or a RequestError that names the field."""
    if value is None:
        return None
    converted = _CONVERTERS[kind](value)
    if converted is None:
        raise RequestError(f"field {name!r} must be {_EXPECTED[kind]}, not {type(value).__name__}")
    return converted


def _texts(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _named(value: object) -> list[str] | None:
    """``{"X": "n,k"}`` -> ``["X=n,k"]``; strings as they are."""
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return [f"{k}={v}" for k, v in value.items()]
    return _texts(value)


def _ties(value: object) -> list[str] | None:
    """``[["w0", "w1"], "a=b=c"]`` -> ``["w0=w1", "a=b=c"]``."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return None
    ties = []
    for group in value:
        if isinstance(group, str):
            ties.append(group)
        elif isinstance(group, list) and all(isinstance(n, str) for n in group):
            ties.append("=".join(group))
        else:
            return None
    return ties


def _values(value: object) -> str | None:
    """``{"w0": 0, "w1": "1/2", "w2": 0.1}`` -> ``"w0=0,w1=1/2,w2=0.1"`` (a decimal is read
    exactly, 0.1 as 1/10); a string as it is (``zero``, ...)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return None
    pairs = []
    for name, number in value.items():
        if (
            isinstance(number, bool)
            or not isinstance(number, (int, float, str))
            or (isinstance(number, float) and not math.isfinite(number))
        ):
            raise RequestError(
                f"field 'init': the value of {str(name)[:40]!r} must be a finite number or a "
                f'string such as "1/2", not {json.dumps(number)[:40]}'
            )
        pairs.append(f"{name}={number!r}" if isinstance(number, float) else f"{name}={number}")
    return ",".join(pairs)


def _size(value: object) -> str | None:
    """A size: a whole number or a name (``3``, ``"3"``, ``"k"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else None


def _sizes(value: object) -> str | None:
    """Hidden widths: ``3``, ``[8, 8]``, ``"8,8"`` or names."""
    if isinstance(value, list) and value and all(_size(v) is not None for v in value):
        return ",".join(_size(v) for v in value)
    return _size(value)


def _whole(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


_CONVERTERS: dict[str, Callable[[object], object]] = {
    FLAG: lambda v: v if isinstance(v, bool) else None,
    NUMBER: lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None,
    TEXT: lambda v: v if isinstance(v, str) else None,
    TEXTS: _texts,
    NAMED: _named,
    TIES: _ties,
    VALUES: _values,
    SIZE: _size,
    SIZES: _sizes,
    WHOLE: _whole,
}
_EXPECTED = {
    FLAG: "true or false",
    NUMBER: "a whole number",
    TEXT: "a string",
    TEXTS: "a string or a list of strings",
    NAMED: "a list of strings or an object of strings",
    TIES: 'a list of tie groups (strings like "a=b" or lists of names)',
    VALUES: "a string or an object of values",
    SIZE: "a whole number or a name",
    SIZES: "a width, a list of widths or a comma list",
    WHOLE: "a whole number",
}


def _arguments(command: Callable, body: Mapping, fields: Mapping, seconds: float) -> Arguments:
    """The command's arguments with its own defaults, set from the body's fields."""
    values = {
        name: (None if p.default is inspect.Parameter.empty else p.default)
        for name, p in inspect.signature(command).parameters.items()
    }
    for field, value in body.items():
        parameter = fields[field][1]
        if parameter is None or value is None:
            continue
        if parameter not in values:
            raise RequestError(f"field {field!r} is not supported here")
        values[parameter] = value
    values.update(timeout=seconds, fmt=Format.text, as_json=True, no_timing=False)
    return Arguments(**values)


def _check(payload: object, seconds: float):
    body = _body(payload, CHECK_FIELDS)
    a = _arguments(check_command, body, CHECK_FIELDS, seconds)
    if isinstance(a.wrt, list):
        a.wrt = ",".join(a.wrt)
    if body.get("derivation") is None and not (body.get("loss") and a.wrt and a.claim):
        raise RequestError("give loss, wrt and claim (or a derivation)")
    return check_result(a, body.get("derivation"))


def _prove(payload: object, seconds: float):
    from symgrad.ties.dataset import read_rows

    body = _body(payload, PROVE_FIELDS)
    a = _arguments(prove_command, body, PROVE_FIELDS, seconds)
    if isinstance(a.params, list):
        a.params = ",".join(a.params)
    a.mode = _enum(Mode, a.mode, "mode")
    if not (body.get("loss") or body.get("model")):
        raise RequestError("give a loss or a model")
    dataset = read_rows(body["dataset"]) if body.get("dataset") is not None else None
    return prove_result(a, dataset)


def _enum(kind: type[Enum], value: object, name: str) -> Enum:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise RequestError(f"field {name!r} must be one of {choices}") from None


def _read(payload: object, seconds: float) -> dict:
    """How symgrad reads a text (the page's live preview)."""
    from symgrad.exact.printing import to_str
    from symgrad.text.mathml import mathml
    from symgrad.text.parse import read

    body = _body(payload, {"text": (TEXT, None), "latex": (FLAG, None), "names": (TEXTS, None)})
    text = body.get("text") or ""
    latex = body.get("latex")
    if latex is None:
        latex = "\\" in text
    parsed = read(text, symbols=body.get("names") or (), latex=latex)
    return {
        "understood": to_str(parsed.expr),
        "mathml": mathml(parsed.expr),
        "notes": list(parsed.notes),
        "latex": latex,
        "names": sorted(s.name for s in parsed.expr.free_symbols),
    }


def _page(compute: Callable) -> Callable:
    """The page's form of an answer: the JSON object and an HTML fragment of the result."""

    def both(payload: object, seconds: float) -> dict:
        from symgrad.render.html import any_html

        result = compute(payload, seconds)
        return {"result": result.to_dict(), "html": any_html(result)}

    return both


ANSWERS: dict[str, Callable] = {
    "check": lambda payload, seconds: _check(payload, seconds).to_dict(),
    "prove": lambda payload, seconds: _prove(payload, seconds).to_dict(),
    "read": _read,
    "page-check": _page(_check),
    "page-prove": _page(_prove),
}


GRADE_FIELDS = {
    "key": (TEXT, None),
    "answers": (TEXT, None),
    "answers_format": (TEXT, None),
    "example": (FLAG, None),
    "hide_answer": (FLAG, None),
    "wait": (FLAG, None),
}


def _grade(payload: object, seconds: float, progress: Callable | None) -> dict:
    """A class graded from the key's TOML text and the answers' CSV or JSONL text."""
    from symgrad.render.grade import class_to_html
    from symgrad.render.html import class_fragment
    from symgrad.teaching.grade import grade
    from symgrad.teaching.gradebook import gradebook_csv

    body = _body(payload, GRADE_FIELDS)
    key, records = _class_files(body)

    def report_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(("progress", done, total))

    rows, report = grade(
        key,
        records,
        workers=2,
        hide_answer=bool(body.get("hide_answer")),
        progress=report_progress,
        timeout=seconds,
    )
    maxima = {q.id: q.max_points for q in report.questions}
    return {
        "status": "done",
        "class": report.to_dict(),
        "rows": [render(row, "dict") for row in rows],
        "summary": f"{report.graded} of {report.answers} answers graded, {report.students} "
        f"students, mean score {report.score_mean:.2f} of {report.max_total:g}.",
        "html": class_fragment(report, rows),
        "report_html": class_to_html(report),
        "gradebook_csv": gradebook_csv(rows, maxima),
    }


def _class_files(body: Mapping) -> tuple[dict, list]:
    """The key as parsed TOML and the answers as records (text only: never a path)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    from symgrad.teaching.grade import answers_from_text, example_files

    if body.get("example"):
        if body.get("key") is not None or body.get("answers") is not None:
            raise RequestError("give either example or key and answers, not both")
        key_path, answers_path = example_files()
        key_text, answers_text = key_path.read_text(), answers_path.read_text()
        answers_format = "csv"
    else:
        key_text, answers_text = body.get("key"), body.get("answers")
        if not key_text or not answers_text:
            raise RequestError("give key (TOML text) and answers (CSV or JSONL text), or example")
        answers_format = body.get("answers_format") or (
            "jsonl" if answers_text.lstrip().startswith("{") else "csv"
        )
    try:
        key = tomllib.loads(key_text)
    except tomllib.TOMLDecodeError as error:
        raise RequestError(f"the key is not TOML: {error}") from None
    return key, answers_from_text(answers_text, answers_format)
