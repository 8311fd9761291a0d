// Workflows: a DSL editor checked by the server as you type, runs drawn live, cancel,
// and (with an LLM configured) a plain-language request planned first, run after.

import { api } from "./api.js";
import { debounce, errorBlock, fill, h, jsonBlock } from "./dom.js";
import { editor } from "./editor.js";
import * as events from "./events.js";
import { drawPlan, STATUS_TEXT } from "./plangraph.js";
import { resultBlock } from "./tools.js";

const EXAMPLE = "# One statement per line; see the README's DSL section.\n";
const FINISHED = new Set(["completed", "failed", "cancelled"]);

let edit = null;
let checked = { text: null, ok: false };
let run = null; // the RunView of the run on screen
let picked = null;
let poller = null;

const $ = (id) => document.getElementById(id);

function uid() {
  return crypto.randomUUID().replaceAll("-", "");
}

// ---------------------------------------------------------------- checking

async function validate(text) {
  if (!text.trim()) {
    checked = { text, ok: false };
    showProblems([]);
    $("dsl-status").dataset.state = "";
    $("dsl-status").textContent = "Type a script: CALL tool --arg value";
    updateButtons();
    return;
  }
  let reply;
  try {
    reply = await api("/workflows/validate", { method: "POST", body: { dsl: text } });
  } catch (error) {
    if (edit.text() !== text) return;
    checked = { text, ok: false };
    $("dsl-status").textContent = "";
    fill($("dsl-problems"), h("li", {}, errorBlock(error)));
    updateButtons();
    return;
  }
  if (edit.text() !== text) return; // typed on since: a newer check is coming
  const steps = reply.nodes.length;
  checked = { text, ok: reply.ok && steps > 0 };
  showProblems(reply.problems);
  const status = $("dsl-status");
  status.dataset.state = reply.ok ? "ok" : "problems";
  if (!reply.ok) {
    status.textContent = `${reply.problems.length} problem${reply.problems.length === 1 ? "" : "s"}`;
  } else {
    status.textContent = steps ? `✓ ${steps} step${steps === 1 ? "" : "s"}, ready to run`
      : "no steps yet: CALL tool --arg value";
  }
  if (reply.ok && !running()) {
    run = null;
    $("run-status").textContent = "preview";
    drawPlan($("plan-graph"), reply.nodes.map((n) => ({
      ...n, depends_on: reply.edges.filter((e) => e.target === n.id).map((e) => e.source),
      node: n.provider, status: "pending",
    })), null);
    fill($("step-detail"));
  }
  updateButtons();
}

const validateSoon = debounce(validate, 250);

function showProblems(problems) {
  edit.mark(problems);
  fill($("dsl-problems"), problems.map((p) => h("li", {
    className: "problem", dataset: { line: String(p.line ?? ""), column: String(p.column ?? "") },
  }, p.line ? h("strong", {}, `line ${p.line}${p.column ? `, column ${p.column}` : ""}: `) : null,
  p.message)));
}

// ---------------------------------------------------------------- running

function running() {
  return run !== null && !FINISHED.has(run.status);
}

function updateButtons() {
  $("run-start").disabled = running() || !checked.ok || checked.text !== edit.text();
  $("run-cancel").disabled = !running();
}

async function start() {
  const dsl = edit.text();
  const id = uid();
  run = { id, status: "pending", nodes: [], edges: [] };
  picked = null;
  updateButtons();
  fill($("step-detail"));
  try {
    render(await api("/workflows", { method: "POST", body: { id, dsl } }));
  } catch (error) {
    run = null;
    updateButtons();
    showProblems(error.details?.problems ?? []);
    fill($("step-detail"), errorBlock(error));
    return;
  }
  clearInterval(poller);
  poller = setInterval(sync, 2000); // in case the event stream dropped something
}

async function sync() {
  if (!run) return;
  try {
    render(await api(`/workflows/${run.id}`));
  } catch (error) {
    fill($("step-detail"), errorBlock(error));
  }
}

const syncSoon = debounce(sync, 120);

function render(view) {
  if (run && view.id !== run.id) return;
  run = view;
  const counts = {};
  for (const node of view.nodes) counts[node.status] = (counts[node.status] ?? 0) + 1;
  const status = $("run-status");
  status.dataset.state = view.status;
  status.textContent = `${view.status} · ${Object.entries(counts)
    .map(([k, n]) => `${n} ${STATUS_TEXT[k] ?? k}`).join(", ")}`;
  drawPlan($("plan-graph"), view.nodes.map((n) => ({
    ...n, node: n.result?.provider ?? n.provider, engine: n.result?.engine,
  })), pick);
  if (FINISHED.has(view.status)) {
    clearInterval(poller);
    if (view.error && !picked) fill($("step-detail"), errorBlock(view.error));
  }
  if (picked) pick(picked);
  updateButtons();
}

function pick(stepId) {
  picked = stepId;
  const node = run?.nodes.find((n) => n.id === stepId);
  if (!node) return;
  fill($("step-detail"),
    h("h4", {}, `${node.id}: ${node.tool ?? ""}`,
      h("span", { className: `badge ${node.status}` }, STATUS_TEXT[node.status] ?? node.status)),
    node.result ? resultBlock(node.result) : null,
    node.error && !node.result ? errorBlock(node.error) : null,
    node.arguments ? jsonBlock(node.arguments) : null);
}

function onNodeStatus(payload) {
  if (!run || payload.workflowId !== run.id) return;
  const node = run.nodes.find((n) => n.id === payload.nodeId);
  if (node) {
    node.status = payload.status;
    render(run);
  }
  syncSoon();
}

async function cancel() {
  if (!run) return;
  $("run-cancel").disabled = true;
  try {
    render(await api(`/workflows/${run.id}/cancel`, { method: "POST" }));
  } catch (error) {
    fill($("step-detail"), errorBlock(error));
    sync();
  }
}

// ---------------------------------------------------------------- plain language

/**
 * Whether the node can plan plain language: its health says so (an `llm` component), or
 * `POST /plan` with an empty request is refused as empty (400) rather than as impossible
 * (503: no LLM configured; 404: a node without `/plan`). The probe never reaches a model.
 */
async function llmAvailable() {
  try {
    const llm = (await api("/health")).components?.llm;
    if (llm) return !["disabled", "unhealthy"].includes(llm.status);
    await api("/plan", { method: "POST", body: { request: "" } });
    return true;
  } catch (error) {
    return error.status === 400;
  }
}

async function plan() {
  const request = $("plain-request").value.trim();
  if (!request) return;
  const note = $("plain-note");
  $("plain-plan").disabled = true;
  fill(note, "planning…");
  try {
    const reply = await api("/plan", { method: "POST", body: { request } });
    const dsl = reply.dsl ?? reply.plan?.dsl ?? (typeof reply.plan === "string" ? reply.plan : null);
    if (!dsl) throw Object.assign(new Error("the planner gave no DSL script"), { code: "plan" });
    edit.setText(dsl);
    fill(note, "The plan is in the editor: check it, then press Run.");
  } catch (error) {
    fill(note, errorBlock(error));
    if (error.status === 404 || error.status === 503) $("plain-box").hidden = !(await llmAvailable());
  } finally {
    $("plain-plan").disabled = false;
  }
}

// ---------------------------------------------------------------- view

export function mount() {
  edit = editor($("dsl-editor"), (text) => {
    updateButtons();
    validateSoon(text);
  });
  edit.setText(EXAMPLE);
  $("run-start").addEventListener("click", start);
  $("dsl").addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && !$("run-start").disabled) {
      event.preventDefault();
      start();
    }
  });
  $("run-cancel").addEventListener("click", cancel);
  $("plain-plan").addEventListener("click", plan);
  $("plain-request").addEventListener("keydown", (event) => event.key === "Enter" && plan());
  events.on("nodeStatusUpdate", onNodeStatus);
  events.onGap(() => running() && syncSoon());
  for (const type of ["workflowComplete", "workflowError"]) {
    events.on(type, (payload) => run && payload.workflowId === run.id && sync());
  }
  drawPlan($("plan-graph"), [], null);
}

export async function show() {
  $("plain-box").hidden = !(await llmAvailable());
}
