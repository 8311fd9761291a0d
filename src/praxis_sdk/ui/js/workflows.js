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
const TASK_ENDED = new Set(["completed", "failed", "canceled", "rejected"]);

let edit = null;
let checked = { text: null, ok: false };
let run = null; // the RunView of the run on screen
let picked = null;
let poller = null;
let ran = null; // the script of the run on screen: checking it again keeps the run drawn
let planned = null; // {request, dsl} of the last plan from POST /plan
let asking = null; // {id, run} of the plain-language request being run
let follower = null;

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
  if (reply.ok && !running() && !(run && text === ran)) {
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
  $("run-start").disabled = running() || asking !== null || !checked.ok
    || checked.text !== edit.text();
  $("run-cancel").disabled = !running();
  plainButtons();
}

async function start() {
  const dsl = edit.text();
  const id = uid();
  ran = dsl;
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
 * Whether the node can plan plain language: `POST /plan` with an empty request is refused
 * as empty (400) when a planner is configured, and as impossible without one (503: no
 * LLM; 404: a node without `/plan`). The probe never reaches a model.
 */
async function llmAvailable() {
  try {
    await api("/plan", { method: "POST", body: { request: "" } });
    return true;
  } catch (error) {
    return error.status === 400;
  }
}

function plainButtons() {
  $("plain-plan").disabled = asking !== null;
  $("plain-run").disabled = asking !== null || running() || !planned
    || planned.request !== $("plain-request").value.trim();
}

async function plan() {
  const request = $("plain-request").value.trim();
  if (!request || asking) return;
  const note = $("plain-note");
  planned = null;
  $("plain-plan").disabled = true;
  fill($("plain-answer"));
  fill(note, "planning…");
  try {
    const reply = await api("/plan", { method: "POST", body: { request } });
    planned = { request, dsl: reply.dsl };
    edit.setText(reply.dsl);
    fill(note, "The plan is in the editor (nothing has run). Run request runs it and asks "
      + "the model for the answer; Run runs the script as edited, without one.");
  } catch (error) {
    fill(note, "no plan: nothing has run");
    fill($("plain-answer"), errorBlock(error));
    if (error.status === 404 || error.status === 503) $("plain-box").hidden = !(await llmAvailable());
  } finally {
    plainButtons();
  }
}

/** Run the planned request as a task of kind "request" and follow it to its answer. */
async function runRequest() {
  if (!planned || asking || running()) return;
  fill($("plain-answer"));
  fill($("plain-note"), "running the request…");
  let task;
  try {
    task = await api("/execute?wait=false", { method: "POST", body: { request: planned.request } });
  } catch (error) {
    fill($("plain-note"), "the request was not accepted");
    fill($("plain-answer"), errorBlock(error));
    return;
  }
  asking = { id: task.id };
  plainButtons();
  clearInterval(follower);
  follower = setInterval(follow, 1500); // in case the event stream dropped something
  follow();
}

/** Show the request's run in the graph and, once it has ended, its answer. */
async function follow() {
  if (!asking) return;
  const mine = asking;
  let task;
  try {
    task = await api(`/tasks/${encodeURIComponent(mine.id)}`);
  } catch (error) {
    fill($("plain-answer"), errorBlock(error));
    return;
  }
  if (asking !== mine) return;
  const runId = task.meta?.run_id;
  if (runId && mine.run !== runId) {
    mine.run = runId;
    await adopt(runId);
  }
  if (!TASK_ENDED.has(task.state)) return;
  asking = null;
  clearInterval(follower);
  await sync();
  const answer = task.result?.answer;
  fill($("plain-note"), `request ${task.state}`);
  fill($("plain-answer"), answer ? h("p", { className: "answer" }, answer) : null,
    task.error ? errorBlock(task.error) : null);
  plainButtons();
}

/** Draw the run the request started, with the script it runs in the editor. */
async function adopt(runId) {
  run = { id: runId, status: "pending", nodes: [], edges: [] };
  picked = null;
  fill($("step-detail"));
  let view;
  try {
    view = await api(`/workflows/${encodeURIComponent(runId)}`);
    const script = view.task_id ? (await api(`/tasks/${encodeURIComponent(view.task_id)}`)).input?.dsl : null;
    if (script) {
      ran = script;
      if (edit.text() !== script) edit.setText(script);
    }
  } catch (error) {
    fill($("step-detail"), errorBlock(error));
    return;
  }
  render(view);
  clearInterval(poller);
  poller = setInterval(sync, 2000);
}

function onRequestProgress(payload) {
  if (!asking || payload.taskId !== asking.id) return;
  if (payload.message) fill($("plain-note"), `${payload.stage}: ${payload.message}`);
  followSoon();
}

const followSoon = debounce(follow, 100);

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
  $("plain-run").addEventListener("click", runRequest);
  $("plain-request").addEventListener("keydown", (event) => event.key === "Enter" && plan());
  $("plain-request").addEventListener("input", plainButtons);
  events.on("requestProgress", onRequestProgress);
  events.on("taskStatusUpdate", (payload) => asking && payload.taskId === asking.id && followSoon());
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
