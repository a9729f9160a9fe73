"""The page in a real browser: Debian's Chromium driven by Playwright (no browser download).

A real ``symgrad serve`` runs in a subprocess; every request the page makes is
recorded and anything that is not this server is blocked, so the page must
work offline. Screenshots of each tab are written to the test's tmp folder.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if BROWSER is None:  # pragma: no cover - .ci/run installs Debian's chromium
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "symgrad", "serve", "--port", str(port), "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("symgrad serve did not start: " + process.stderr.read().decode()[-500:])
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture()
def page(server):
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 900})

        def only_this_server(route):
            requests.append(route.request.url)
            if route.request.url.startswith(server):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_this_server)
        page = context.new_page()
        page.goto(server)
        page.requests = requests
        yield page
        browser.close()
    assert all(url.startswith(server) or url.startswith(("blob:", "data:")) for url in requests), (
        requests
    )


def test_type_a_loss_and_a_claim_see_the_preview_submit_read_the_verdict(page, tmp_path):
    page.fill("#check-loss", r"\frac{1}{2}(y - wx)^2")
    page.fill("#check-wrt", "w")
    page.fill("#check-claim", "(y - wx)x")
    # the preview follows the typing: the loss's 1/2 is a fraction, the claim's wx a product
    playwright.expect(page.locator("#check-loss-preview math mfrac")).to_have_count(1)
    playwright.expect(page.locator("#check-claim-preview")).to_contain_text("w*x")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .result")
    assert page.inner_text("#check-answer .badge") == "INCORRECT"
    assert "sign" in page.inner_text("#check-answer .diagnosis")
    page.screenshot(path=str(tmp_path / "check-hint.png"), full_page=True)
    # hint first: the true derivative only on request
    assert page.locator("#check-answer details.answer").count() == 0
    page.click("#check-answer button.reveal")
    page.wait_for_selector("#check-answer details.answer")
    page.click("#check-answer details.answer summary")
    assert page.locator("#check-answer details.answer math").count() >= 2
    page.screenshot(path=str(tmp_path / "check.png"), full_page=True)


def test_a_correct_derivation_line_by_line(page):
    page.check("input[name=answer-kind][value=derivation]")
    page.fill("#check-derivation", "J = (y - w*x)^2\ndJ/dw = 2(y - w*x)*(-x)\n= -2x(y - w*x)")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .result")
    assert page.inner_text("#check-answer .badge") == "CORRECT"


def test_bad_input_shows_one_line_and_the_page_keeps_working(page):
    page.fill("#check-loss", "(y - w*x")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .error")
    assert "\n" not in page.inner_text("#check-answer .error").strip()
    page.fill("#check-loss", "(y - w*x)^2")
    page.fill("#check-claim", "-2x(y - w x)")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .result")
    assert page.inner_text("#check-answer .badge") == "CORRECT"


def test_what_the_page_shows_back_is_escaped(page):
    page.fill("#check-loss", "<img src=x onerror=alert(1)>")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .error")
    assert page.locator("#check-answer img").count() == 0


def test_the_seed_question_is_prefilled_and_refuted(page, tmp_path):
    page.click("#tab-prove")
    assert page.input_value("#prove-loss") == "w0*x0 + w1*x1"
    assert page.input_value("#prove-ties") == "w0=w1"
    page.click("#prove-form button[type=submit]")
    page.wait_for_selector("#prove-answer .result")
    assert page.inner_text("#prove-answer .badge") == "REFUTED"
    assert "x0 = x1" in page.inner_text("#prove-answer")
    page.screenshot(path=str(tmp_path / "prove.png"), full_page=True)
    page.check("input[name=subject][value=model]")
    page.click("#prove-form button[type=submit]")
    playwright.expect(page.locator("#prove-answer .badge")).to_have_text("PROVEN", timeout=30_000)


def test_upload_the_example_class_and_download_its_report(page, tmp_path):
    from symgrad.teaching.grade import example_files

    key, answers = example_files()
    page.click("#tab-grade")
    page.set_input_files("#grade-key", str(key))
    page.set_input_files("#grade-answers", str(answers))
    page.click("#grade-form button[type=submit]")
    page.wait_for_selector("#grade-answer .result", timeout=120_000)
    assert "40 of 40 answers graded" in page.inner_text("#grade-status")
    assert page.locator("#grade-answer table.grades tr").count() > 8
    page.screenshot(path=str(tmp_path / "grade.png"), full_page=True)
    with page.expect_download() as report:
        page.click("text=Download report.html")
    saved = Path(report.value.path()).read_text()
    assert saved.startswith("<!DOCTYPE html>") and "Class report" in saved
    with page.expect_download() as gradebook:
        page.click("text=Download gradebook.csv")
    assert Path(gradebook.value.path()).read_text().startswith("student,")


def test_usable_on_a_phone(server, tmp_path):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=ARGS)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.goto(server)
        phone.click("#check-form button[type=submit]")
        phone.wait_for_selector("#check-answer .result")
        width = phone.evaluate("document.documentElement.scrollWidth")
        phone.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        browser.close()
    assert width <= 390


def test_a_derivation_is_judged_by_its_own_loss_line(page):
    page.check("input[name=answer-kind][value=derivation]")
    assert page.locator("#check-loss").is_hidden()
    page.fill(
        "#check-derivation",
        "J = -y log(sigmoid(z)) - (1-y) log(1-sigmoid(z))\n"
        "dJ/dz = -y(1-sigmoid(z)) + (1-y) sigmoid(z)\n= sigmoid(z) - y",
    )
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .result")
    assert page.inner_text("#check-answer .badge") == "CORRECT"
    assert page.locator("#check-answer button.reveal").count() == 0


def test_notation_follows_only_what_is_shown(page):
    page.check("input[name=answer-kind][value=derivation]")
    page.fill("#check-derivation", r"J = |w x|" + "\n" + r"\frac{\partial J}{\partial w} = x")
    page.check("input[name=answer-kind][value=claim]")
    page.fill("#check-loss", "abs(w*x)")
    page.fill("#check-claim", "x*sign(w*x)")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .result")
    assert page.inner_text("#check-answer .badge") == "CORRECT"


@pytest.mark.parametrize("preset", ["single-layer", "linear", "softmax", "mlp"])
def test_every_preset_in_the_list_answers(page, preset):
    page.click("#tab-prove")
    page.check("input[name=subject][value=model]")
    page.select_option("#prove-model", preset)
    page.click("#prove-form details.more summary")
    page.fill("#prove-init", "identical")
    page.click("#prove-form button[type=submit]")
    page.wait_for_selector("#prove-answer .result, #prove-answer .error")
    assert page.locator("#prove-answer .error").count() == 0, page.inner_text("#prove-answer")


def test_an_intermediate_name_defined_in_the_let_box(page):
    page.fill("#check-loss", "(sigmoid(w*x + b) - y)^2/2")
    page.fill("#check-claim", "(p - y) p (1 - p) x")
    page.click("#check-form details.more summary")
    page.fill("#check-let", "p = sigmoid(w*x + b)")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .result")
    assert page.inner_text("#check-answer .badge") == "CORRECT"
    page.fill("#check-let", "")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-answer .error")
    assert "uses p" in page.inner_text("#check-answer .error")
