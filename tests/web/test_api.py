"""The JSON API answers what the command line answers, and its doors hold."""

from __future__ import annotations

import json
import threading
import time

import pytest
from typer.testing import CliRunner

pytest.importorskip("starlette", reason="symgrad[web] is not installed")
from starlette.testclient import TestClient  # noqa: E402

from symgrad.cli import app as cli  # noqa: E402
from symgrad.web import create_app  # noqa: E402

runner = CliRunner()
HEAVY = "(" + " + ".join(f"w{i}*x{i}" for i in range(12)) + ")**40"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(timeout=8, workers=2, queue=4)) as client:
        yield client


def _cli_json(args: list[str]) -> dict:
    result = runner.invoke(cli, [*args, "--json"])
    return json.loads(result.stdout)


def _same(api: dict, cli_json: dict) -> None:
    api, cli_json = dict(api), dict(cli_json)
    api.pop("elapsed_s"), cli_json.pop("elapsed_s")
    assert api == cli_json


@pytest.mark.parametrize(
    "body, args",
    [
        (
            {"loss": "w0*x0 + w1*x1", "ties": ["w0=w1"]},
            ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1"],
        ),
        (
            {"loss": "w0*x0 + w1*x1", "ties": [["w0", "w1"]], "assume": "x0=x1"},
            ["prove", "w0*x0 + w1*x1", "--tie", "w0=w1", "--assume", "x0=x1"],
        ),
        (
            {"model": "two-layer", "inputs": "2", "hidden": "3", "init": "identical"},
            [
                "prove",
                "--model",
                "two-layer",
                "--inputs",
                "2",
                "--hidden",
                "3",
                "--init",
                "identical",
            ],
        ),
        (
            {"loss": "w0**2 + 2*w1**2", "init": {"w0": 0, "w1": 0}},
            ["prove", "w0**2 + 2*w1**2", "--init", "w0=0,w1=0"],
        ),
    ],
)
def test_prove_answers_what_the_cli_prints(client, body, args):
    response = client.post("/api/prove", json=body)
    assert response.status_code == 200
    _same(response.json(), _cli_json(args))


@pytest.mark.parametrize(
    "body, args",
    [
        (
            {"loss": "(y - w*x)^2", "wrt": "w", "claim": "-2x(y - w x)"},
            ["check", "(y - w*x)^2", "--wrt", "w", "--claim", "-2x(y - w x)"],
        ),
        (
            {"loss": "(y - w*x)**2", "wrt": ["w"], "claim": ["2*x*(y - w*x)"]},
            ["check", "(y - w*x)**2", "--wrt", "w", "--claim", "2*x*(y - w*x)"],
        ),
        (
            {"loss": r"\frac{1}{2}(y - wx)^2", "wrt": "w", "claim": r"-(y - wx)x", "latex": True},
            ["check", r"\frac{1}{2}(y - wx)^2", "--wrt", "w", "--claim", r"-(y - wx)x", "--latex"],
        ),
        (
            {"loss": "w0**2 + w0*w1", "wrt": "w0,w1", "claim": ["2*w0", "w0"]},
            ["check", "w0**2 + w0*w1", "--wrt", "w0,w1", "--claim", "2*w0", "--claim", "w0"],
        ),
        (
            {"loss": "x*log(w)", "wrt": "w", "claim": "x/w", "assume": ["w > 0"]},
            ["check", "x*log(w)", "--wrt", "w", "--claim", "x/w", "--assume", "w > 0"],
        ),
    ],
)
def test_check_answers_what_the_cli_prints(client, body, args):
    response = client.post("/api/check", json=body)
    assert response.status_code == 200
    _same(response.json(), _cli_json(args))


def test_a_derivation_is_text_never_a_path(client, tmp_path):
    derivation = "J = (y - w*x)^2\ndJ/dw = 2(y - w*x)*(-x)\n= -2x(y - w*x)\n"
    path = tmp_path / "d.txt"
    path.write_text(derivation)
    response = client.post("/api/check", json={"derivation": derivation})
    assert response.status_code == 200
    _same(response.json(), _cli_json(["check", "--derivation", str(path)]))
    assert response.json()["verdict"] == "correct"
    # a path sent as the derivation is read as maths, never opened
    refused = client.post("/api/check", json={"derivation": str(path)})
    assert refused.status_code in (200, 400)
    assert refused.json().get("verdict") != "correct"


def test_a_dataset_is_csv_text(client):
    body = {"loss": "w0*x0 + w1*x1", "ties": ["w0=w1"], "dataset": "x0,x1\n1,2\n2,1\n",
            "mode": "full-batch"}  # fmt: skip
    response = client.post("/api/prove", json=body)
    assert response.status_code == 200 and response.json()["verdict"] == "proven"
    sgd = client.post("/api/prove", json={**body, "mode": "sgd"})
    assert sgd.json()["verdict"] == "refuted"
    path = client.post("/api/prove", json={**body, "dataset": "/etc/passwd"})
    assert path.status_code == 400


@pytest.mark.parametrize(
    "path, content, status, kind",
    [
        ("/api/check", b"{not json", 400, "json"),
        ("/api/check", b"[1, 2]", 400, "RequestError"),
        ("/api/check", b'{"loss": 5, "wrt": "w", "claim": "1"}', 400, "RequestError"),
        ("/api/check", b'{"loss": "w**2", "wrt": "w"}', 400, "RequestError"),
        ("/api/check", b'{"loss": "w**2", "wrt": "w", "claim": "2w", "file": "/etc/passwd"}',
         400, "RequestError"),
        ("/api/prove", b'{"ties": ["w0=w1"]}', 400, "RequestError"),
        ("/api/prove", b'{"loss": "w0*x0", "ties": [[1, 2]]}', 400, "RequestError"),
        ("/api/prove", b'{"loss": "w0*x0", "mode": "fast"}', 400, "RequestError"),
        ("/api/check", b'{"loss": "__import__(\'os\').system(\'id\')", "wrt": "w", "claim": "1"}',
         400, "ParseError"),
        ("/api/check", b'{"loss": "w.__class__", "wrt": "w", "claim": "1"}', 400, "ParseError"),
        ("/api/read", b'{"text": "eval(1)"}', 400, "ParseError"),
        ("/api/check", b"x" * (64 * 1024 + 1), 413, "too_large"),
        ("/api/prove", b"{" + b" " * (2 * 1024 * 1024) + b"}", 413, "too_large"),
        ("/api/nowhere", b"{}", 404, "http"),
    ],
)  # fmt: skip
def test_bad_requests_get_one_line_and_a_4xx(client, path, content, status, kind):
    response = client.post(path, content=content)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "kind"} and body["kind"] == kind
    assert "\n" not in body["error"] and "Traceback" not in body["error"]


def test_get_on_an_api_route_is_405(client):
    response = client.get("/api/check")
    assert response.status_code == 405 and response.json()["kind"] == "http"


def test_a_heavy_request_answers_within_the_budget_and_the_server_keeps_serving(client):
    start = time.monotonic()
    response = client.post("/api/prove", json={"loss": HEAVY, "ties": ["w0=w1"], "steps": 3})
    elapsed = time.monotonic() - start
    assert elapsed < 8 + 2
    assert response.status_code in (200, 408)
    if response.status_code == 200:
        assert response.json()["verdict"] in ("unknown", "refuted")
    after = client.post("/api/check", json={"loss": "w**2", "wrt": "w", "claim": "2*w"})
    assert after.status_code == 200 and after.json()["verdict"] == "correct"


def test_a_slow_request_never_blocks_a_quick_one(client):
    slow = threading.Thread(
        target=client.post,
        args=("/api/prove",),
        kwargs={"json": {"loss": HEAVY, "ties": ["w0=w1"]}},
    )
    slow.start()
    time.sleep(0.5)
    start = time.monotonic()
    quick = client.post("/api/check", json={"loss": "w**2", "wrt": "w", "claim": "2*w"})
    assert quick.status_code == 200 and time.monotonic() - start < 5
    slow.join()


def test_a_full_queue_is_503_not_a_hang():
    with TestClient(create_app(timeout=3, workers=1, queue=1)) as client:
        results = []

        def ask():
            results.append(client.post("/api/prove", json={"loss": HEAVY, "ties": ["w0=w1"]}))

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        codes = sorted(r.status_code for r in results)
        assert 503 in codes
        assert all(code in (200, 408, 503) for code in codes)


def test_read_shows_the_reading_as_mathml(client):
    response = client.post("/api/read", json={"text": r"\frac{1}{2}(y - wx)^2"})
    body = response.json()
    assert response.status_code == 200
    assert body["understood"] == "(-w*x + y)**2/2" and body["latex"] is True
    assert body["mathml"].startswith("<math") and "<mfrac>" in body["mathml"]
    assert body["names"] == ["w", "x", "y"]


def test_the_page_form_of_an_answer_holds_json_and_escaped_html(client):
    response = client.post(
        "/api/page/check", json={"loss": "(y - w*x)^2", "wrt": "w", "claim": "2x(y - wx)"}
    )
    body = response.json()
    assert body["result"]["verdict"] == "incorrect"
    assert "<section class='result check incorrect'>" in body["html"]
    assert "<script" not in body["html"]


def test_grade_the_example_class_with_report_and_gradebook(client):
    response = client.post("/api/grade", json={"example": True})
    body = response.json()
    assert response.status_code == 200
    assert body["class"]["answers"] == 40
    header, *rows = body["gradebook_csv"].strip().splitlines()
    assert header.startswith("student,") and len(rows) == 8
    assert body["report_html"].startswith("<!DOCTYPE html>")


def test_grade_as_a_job_reports_progress_then_the_result(client):
    started = client.post("/api/grade", json={"example": True, "wait": False})
    assert started.status_code == 202
    job = started.json()["job"]
    for _ in range(200):
        status = client.get(f"/api/grade/{job}").json()
        if status["status"] != "running":
            break
        time.sleep(0.2)
    assert status["status"] == "done" and status["class"]["answers"] == 40
    assert client.get("/api/grade/nope").status_code == 404


def test_grade_refuses_a_key_that_is_not_toml(client):
    response = client.post("/api/grade", json={"key": "[[question", "answers": "a,b\n"})
    assert response.status_code == 400 and "TOML" in response.json()["error"]


def test_the_page_is_self_contained_under_a_strict_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    page = response.text
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    for tab in ("Check my derivative", "Does the tie persist?", "Grade a class"):
        assert tab in page
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert page.count(f'nonce="{nonce}"') == 2


def test_serve_without_the_web_extra_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = runner.invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "pip install 'symgrad[web]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_only_loopback_addresses_count_as_local():
    from symgrad.cli.serve import _is_local

    assert _is_local("127.0.0.1") and _is_local("::1") and _is_local("localhost")
    assert (
        not _is_local("0.0.0.0") and not _is_local("192.168.1.5") and not _is_local("example.org")
    )


def test_another_site_cannot_drive_the_server():
    with TestClient(create_app(timeout=5, hosts=("127.0.0.1", "localhost", "testserver"))) as c:
        body = {"loss": "w**2", "wrt": "w", "claim": "2*w"}
        assert c.post("/api/check", json=body).status_code == 200
        foreign = c.post("/api/check", json=body, headers={"Origin": "http://evil.example"})
        assert foreign.status_code == 403 and foreign.json()["kind"] == "forbidden"
        rebound = c.post("/api/check", json=body, headers={"Host": "evil.example:8000"})
        assert rebound.status_code == 403
        same = c.post("/api/check", json=body, headers={"Origin": "http://testserver"})
        assert same.status_code == 200


@pytest.mark.parametrize("depth", [9, 50, 600, 5000])
def test_deeply_nested_json_is_400(client, depth):
    body = b'{"loss": ' + b"[" * depth + b"]" * depth + b"}"
    response = client.post("/api/check", content=body)
    assert response.status_code == 400 and response.json()["kind"] == "json"


def test_a_class_over_64_kb_is_413_and_a_class_answers_within_the_budget(client):
    big = {"example": False, "key": "x" * (65 * 1024), "answers": ""}
    assert client.post("/api/grade", json=big).status_code == 413
    key = (
        '[[question]]\nid = "q1"\nloss = "'
        + "*".join(f"sin(w+{i})" for i in range(1, 120))
        + '"\nwrt = "w"\n'
    )
    start = time.monotonic()
    slow = client.post(
        "/api/grade", json={"key": key, "answers": "student,question,answer\ns,q1,0\n"}
    )
    assert time.monotonic() - start < 8 + 2
    assert slow.status_code in (200, 400, 408)


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"example": True, "key": "[[question]]"}, "either example or key"),
        ({"loss": "w0*x0 + w1*x1", "ties": ["w0=w1"], "dataset": ""}, "empty"),
        ({"loss": "w0*x0", "init": {"w0": float("nan")}}, "finite number"),
        ({"loss": "w0*x0", "init": {"w0": True}}, "finite number"),
        ({"loss": "w0**2", "wrt": "zz", "claim": "1"}, "wrt"),
    ],
)  # fmt: skip
def test_errors_name_the_request_fields(client, body, fragment):
    path = "/api/grade" if "example" in body else ("/api/check" if "wrt" in body else "/api/prove")
    response = client.post(path, content=json.dumps(body, allow_nan=True))
    assert response.status_code == 400
    assert fragment in response.json()["error"] and "--" not in response.json()["error"]


def test_numbers_and_lists_where_the_cli_takes_text(client):
    as_numbers = client.post(
        "/api/prove",
        json={"model": "mlp", "inputs": 2, "hidden": [2, 2], "init": "identical", "steps": "3"},
    )
    as_text = client.post(
        "/api/prove", json={"model": "mlp", "inputs": "2", "hidden": "2,2", "init": "identical"}
    )
    assert as_numbers.status_code == as_text.status_code == 200
    assert as_numbers.json()["verdict"] == as_text.json()["verdict"] == "proven"
    decimals = client.post(
        "/api/prove", json={"loss": "w0*x0 + w1*x1", "init": {"w0": 0.1, "w1": 0.1}}
    )
    assert decimals.status_code == 200 and decimals.json()["verdict"] == "refuted"


def test_every_result_kind_has_a_page_form(client):
    response = client.post(
        "/api/page/prove",
        json={"model": "two-layer", "inputs": "k", "hidden": "d", "init": "identical"},
    )
    assert response.status_code == 200
    assert response.json()["result"]["verdict"] == "proven" and "PROVEN" in response.json()["html"]


def test_grade_jobs_beyond_the_queue_are_503_at_once(client):
    codes = [client.post("/api/grade", json={"example": True, "wait": False}).status_code
             for _ in range(5)]  # fmt: skip
    assert 202 in codes and 503 in codes
    time.sleep(1)


def test_serve_reports_a_taken_port_as_bad_input():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        result = runner.invoke(cli, ["serve", "--port", str(taken.getsockname()[1])])
    assert result.exit_code == 2
    assert "cannot listen on 127.0.0.1" in result.stderr and "serving" not in result.stderr


def test_let_and_hint_pass_through_as_on_the_command_line(client):
    body = {"loss": "(sigmoid(w*x + b) - y)^2/2", "wrt": "w", "claim": "(p - y) p (1 - p) x",
            "let": {"p": "sigmoid(w*x + b)"}}  # fmt: skip
    response = client.post("/api/check", json=body)
    assert response.status_code == 200 and response.json()["verdict"] == "correct"
    args = ["check", body["loss"], "--wrt", "w", "--claim", body["claim"], "--let",
            "p = sigmoid(w*x + b)"]  # fmt: skip
    _same(response.json(), _cli_json(args))
    undefined = client.post("/api/check", json={**body, "let": None})
    assert undefined.status_code == 400 and undefined.json()["kind"] == "UndefinedSymbolError"
    assert "--let" not in undefined.json()["error"]
    hinted = client.post(
        "/api/check", json={"loss": "(y - w*x)^2", "wrt": "w", "claim": "2x(y-wx)", "hint": True}
    )
    assert hinted.json()["verdict"] == "incorrect" and hinted.json()["derivative"] is None


def test_accented_names_are_typeset_with_their_accent():
    from symgrad.text.mathml import mathml
    from symgrad.text.parse import read

    assert '<mover accent="true"><mi>y</mi><mo>^</mo></mover>' in mathml(
        read(r"\hat{y} - y", latex=True).expr
    )
