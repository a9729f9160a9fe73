"use strict";
// symgrad's page: forms -> the JSON API; results come back as HTML fragments with MathML
// that the server escaped; anything the page writes itself goes through textContent.

const $ = (id) => document.getElementById(id);
const lines = (text) => text.split("\n").map((s) => s.trim()).filter((s) => s.length > 0);

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (e) { data = { error: "the server sent no JSON" }; }
  if (!response.ok) {
    const error = new Error((data && data.error) || `HTTP ${response.status}`);
    error.kind = data && data.kind;
    throw error;
  }
  return data;
}

function showError(target, error) {
  target.replaceChildren();
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = error.message;
  target.appendChild(p);
}

function showHtml(target, html) {
  // html is a fragment the server rendered: every user text in it is escaped
  target.innerHTML = html;
}

// ---------------------------------------------------------------- tabs
const tabs = ["check", "prove", "grade"];
function select(name) {
  for (const tab of tabs) {
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    $(`panel-${tab}`).hidden = tab !== name;
  }
}
for (const tab of tabs) $(`tab-${tab}`).addEventListener("click", () => select(tab));

// ---------------------------------------------------------------- live preview
function notation(text) {
  const chosen = $("check-notation").value;
  if (chosen === "auto") return text.includes("\\");
  return chosen === "latex";
}

let lossNames = [];
function preview(input, target, latexOf, names) {
  let timer = null;
  let asked = 0;
  const run = async () => {
    const text = input.value.split("\n")[0];
    const ticket = ++asked;
    if (!text.trim()) { target.replaceChildren(); return; }
    try {
      const data = await post("/api/read", { text, latex: latexOf(text), names: names() });
      if (ticket !== asked) return;
      target.innerHTML = "Understood: " + data.mathml;
      if (data.notes.length) {
        const note = document.createElement("span");
        note.textContent = ` (${data.notes.join("; ")})`;
        target.appendChild(note);
      }
      if (input.id.endsWith("-loss")) lossNames = data.names;
    } catch (error) {
      if (ticket === asked) showError(target, error);
    }
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 300); });
  run();
}
// the loss and the claim share one notation: a backslash in either means LaTeX
const checkNotation = () => notation($("check-loss").value + $("check-claim").value);
preview($("check-loss"), $("check-loss-preview"), checkNotation, () => []);
preview($("check-claim"), $("check-claim-preview"), checkNotation, () => lossNames);
preview($("prove-loss"), $("prove-loss-preview"), (t) => t.includes("\\"), () => []);

// ---------------------------------------------------------------- check my derivative
for (const radio of document.querySelectorAll("input[name=answer-kind]")) {
  radio.addEventListener("change", () => {
    const derivation = document.querySelector("input[name=answer-kind]:checked").value === "derivation";
    $("claim-box").hidden = derivation;
    $("loss-wrt-box").hidden = derivation;
    $("derivation-box").hidden = !derivation;
  });
}

const derivationMode = () =>
  document.querySelector("input[name=answer-kind]:checked").value === "derivation";

function checkRequest(hint) {
  // only what the student sees is sent: a derivation carries its own loss (its J = line)
  const body = {};
  const lets = lines($("check-let").value);
  const assume = lines($("check-assume").value);
  if (lets.length) body.let = lets;
  if (assume.length) body.assume = assume;
  if (derivationMode()) {
    body.derivation = $("check-derivation").value;
    body.latex = notation($("check-derivation").value);
  } else {
    const loss = $("check-loss").value.trim();
    Object.assign(body, {
      loss, wrt: $("check-wrt").value.trim(), claim: lines($("check-claim").value), hint,
      latex: notation(loss + $("check-claim").value),
    });
  }
  return body;
}

async function runCheck(hint) {
  const answer = $("check-answer");
  const button = $("check-form").querySelector("button[type=submit]");
  button.disabled = true;
  answer.textContent = "Checking…";
  try {
    const data = await post("/api/page/check", checkRequest(hint));
    showHtml(answer, data.html);
    if (hint && !derivationMode() && data.result.verdict === "incorrect") {
      const reveal = document.createElement("button");
      reveal.type = "button";
      reveal.className = "reveal";
      reveal.textContent = "Show the true derivative";
      reveal.addEventListener("click", () => runCheck(false));
      answer.appendChild(reveal);
    }
  } catch (error) {
    showError(answer, error);
  } finally {
    button.disabled = false;
  }
}
$("check-form").addEventListener("submit", (event) => { event.preventDefault(); runCheck(true); });

// ---------------------------------------------------------------- does the tie persist?
for (const radio of document.querySelectorAll("input[name=subject]")) {
  radio.addEventListener("change", () => {
    const model = document.querySelector("input[name=subject]:checked").value === "model";
    $("loss-box").hidden = model;
    $("model-box").hidden = !model;
    if (model && $("prove-ties").value.trim() === "w0=w1") {
      $("prove-ties").value = "";
      $("prove-init").value = "identical";
    }
  });
}

// the options each preset takes (see `symgrad models`)
const PRESET_OPTIONS = {
  "linear": ["inputs"], "softmax": ["inputs"], "single-layer": ["inputs", "activation"],
  "two-layer": ["inputs", "hidden", "activation"], "mlp": ["inputs", "hidden", "activation"],
};
function showPresetOptions() {
  const takes = PRESET_OPTIONS[$("prove-model").value];
  for (const option of ["inputs", "hidden", "activation"]) {
    $(`prove-${option}`).parentElement.hidden = !takes.includes(option);
  }
  if ($("prove-model").value === "mlp" && !$("prove-hidden").value.includes(",")) $("prove-hidden").value = "3,3";
}
$("prove-model").addEventListener("change", showPresetOptions);

function proveRequest() {
  const model = document.querySelector("input[name=subject]:checked").value === "model";
  const body = {};
  if (model) {
    body.model = $("prove-model").value;
    for (const option of PRESET_OPTIONS[body.model]) {
      const value = $(`prove-${option}`).value.trim();
      if (value) body[option] = value;
    }
  } else {
    body.loss = $("prove-loss").value.trim();
    body.latex = body.loss.includes("\\");
  }
  const ties = lines($("prove-ties").value);
  const assume = lines($("prove-assume").value);
  if (ties.length) body.ties = ties;
  if (assume.length) body.assume = assume;
  if ($("prove-init").value.trim()) body.init = $("prove-init").value.trim();
  return body;
}

$("prove-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = $("prove-answer");
  const button = $("prove-form").querySelector("button[type=submit]");
  button.disabled = true;
  answer.textContent = "Deciding…";
  try {
    showHtml(answer, (await post("/api/page/prove", proveRequest())).html);
  } catch (error) {
    showError(answer, error);
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- grade a class
function download(name, text, type) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.textContent = `Download ${name}`;
  link.className = "download";
  return link;
}

async function grade(body) {
  const status = $("grade-status");
  const bar = $("grade-progress");
  const answer = $("grade-answer");
  answer.replaceChildren();
  bar.hidden = false;
  bar.value = 0;
  status.textContent = "Grading…";
  try {
    let job = await post("/api/grade", { ...body, wait: false });
    while (job.status === "running") {
      if (job.total) { bar.max = job.total; bar.value = job.done; }
      status.textContent = `Graded ${job.done || 0} of ${job.total || "?"} answers…`;
      await new Promise((resolve) => setTimeout(resolve, 400));
      const response = await fetch(`/api/grade/${encodeURIComponent(job.job)}`);
      job = await response.json();
      if (!response.ok) throw new Error(job.error || `HTTP ${response.status}`);
    }
    bar.max = 1; bar.value = 1;
    status.textContent = job.summary;
    showHtml(answer, job.html);
    const links = document.createElement("p");
    links.appendChild(download("report.html", job.report_html, "text/html"));
    links.appendChild(document.createTextNode(" · "));
    links.appendChild(download("gradebook.csv", job.gradebook_csv, "text/csv"));
    answer.prepend(links);
  } catch (error) {
    status.textContent = "";
    showError(answer, error);
  } finally {
    bar.hidden = true;
  }
}

$("grade-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = $("grade-key").files[0];
  const answers = $("grade-answers").files[0];
  if (!key || !answers) { showError($("grade-answer"), new Error("choose a key and an answers file")); return; }
  const body = { key: await key.text(), answers: await answers.text() };
  if (/\.csv$/i.test(answers.name)) body.answers_format = "csv";
  else if (/\.jsonl?$/i.test(answers.name)) body.answers_format = "jsonl";
  grade(body);  // otherwise the server tells CSV from JSONL by the content
});
$("grade-example").addEventListener("click", () => grade({ example: true }));
