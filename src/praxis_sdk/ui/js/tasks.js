// Tasks: every kind (DSL, workflow, tool, A2A ...) from GET /tasks, filtered by kind and
// state; one task's input, steps, result, artifacts and error.

import { api } from "./api.js";
import { clock, debounce, errorBlock, fill, h, jsonBlock } from "./dom.js";
import * as events from "./events.js";
import { STATUS_TEXT } from "./plangraph.js";
import { resultBlock } from "./tools.js";

const PAGE = 50;
let items = [];
let total = 0;
let selected = null;
let asked = 0; // the latest list request: older answers are dropped

const $ = (id) => document.getElementById(id);

function query(offset) {
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  if ($("task-kind").value) params.set("kind", $("task-kind").value);
  if ($("task-state").value) params.set("state", $("task-state").value);
  return `/tasks?${params}`;
}

async function load(more = false) {
  const mine = ++asked;
  try {
    const page = await api(query(more ? items.length : 0));
    if (mine !== asked) return;
    items = more ? [...items, ...page.items] : page.items;
    total = page.total;
  } catch (error) {
    fill($("task-list").tBodies[0], h("tr", {}, h("td", { colSpan: 4 }, errorBlock(error))));
    return;
  }
  $("task-count").textContent = `${total}`;
  $("task-more").hidden = items.length >= total;
  fill($("task-list").tBodies[0], items.length ? items.map(row)
    : h("tr", {}, h("td", { colSpan: 4, className: "muted" }, "no tasks")));
}

const reload = debounce(() => {
  if (!$("view-tasks").hidden) load();
  if (selected && !$("view-tasks").hidden) detail(selected);
}, 300);

function row(task) {
  return h("tr", {
    className: task.id === selected ? "selected" : "", tabIndex: 0, dataset: { task: task.id },
    onclick: () => detail(task.id), onkeydown: (e) => e.key === "Enter" && detail(task.id),
  },
    h("td", { className: "mono", title: task.id }, task.id.slice(0, 12)),
    h("td", {}, task.kind),
    h("td", {}, h("span", { className: `badge ${task.state}` }, task.state)),
    h("td", {}, clock(task.created_at)));
}

async function detail(id) {
  selected = id;
  for (const tr of $("task-list").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.task === id);
  const aside = $("task-detail");
  let task;
  try {
    task = await api(`/tasks/${encodeURIComponent(id)}`);
  } catch (error) {
    fill(aside, errorBlock(error));
    return;
  }
  const runId = task.meta?.run_id;
  let steps = null;
  if (runId) {
    try {
      steps = (await api(`/workflows/${encodeURIComponent(runId)}`)).nodes;
    } catch {
      steps = null;
    }
  }
  fill(aside,
    h("h3", {}, `${task.kind} task `, h("span", { className: `badge ${task.state}` }, task.state)),
    h("dl", { className: "facts" },
      [["Id", task.id], ["Created", clock(task.created_at)], ["Updated", clock(task.updated_at)],
        ["Context", task.context_id ?? "–"], ["Run", runId ?? "–"]]
        .map(([k, v]) => [h("dt", {}, k), h("dd", { className: "mono" }, v)])),
    h("h4", {}, "Input"), inputBlock(task.input),
    steps ? [h("h4", {}, "Steps"), stepsTable(steps)] : null,
    task.error ? [h("h4", {}, "Error"), errorBlock(task.error)] : null,
    artifacts(task),
    task.result != null ? h("details", { open: !steps }, h("summary", {}, "Result"), jsonBlock(task.result)) : null);
}

function inputBlock(input) {
  if (typeof input?.dsl === "string") return h("pre", { className: "json" }, input.dsl);
  return jsonBlock(input);
}

function stepsTable(steps) {
  return h("table", { className: "list steps" },
    h("thead", {}, h("tr", {}, ["Step", "Tool", "Node", "Engine", "Status", "ms"].map((t) => h("th", {}, t)))),
    h("tbody", {}, steps.map((step) => h("tr", { dataset: { step: step.id, status: step.status } },
      h("td", {}, step.id), h("td", {}, step.tool ?? ""),
      h("td", {}, step.result?.provider ?? step.provider ?? ""),
      h("td", {}, step.result?.engine ?? ""),
      h("td", {}, h("span", { className: `badge ${step.status}` }, STATUS_TEXT[step.status] ?? step.status)),
      h("td", {}, step.result ? Math.round(step.result.duration_ms) : "")))));
}

/** A2A artifacts (`result.artifacts` with parts) or a tool result, as each is shaped. */
function artifacts(task) {
  const result = task.result;
  const list = result?.artifacts ?? task.meta?.artifacts;
  if (Array.isArray(list) && list.length) {
    return [h("h4", {}, "Artifacts"), list.map((artifact) => h("div", { className: "artifact" },
      h("strong", {}, artifact.name ?? artifact.artifactId ?? "artifact"),
      (artifact.parts ?? []).map((part) => part.text !== undefined
        ? h("pre", { className: "json" }, part.text)
        : jsonBlock(part.data ?? part))))];
  }
  if (result && typeof result === "object" && "ok" in result && "tool" in result) {
    return [h("h4", {}, "Tool result"), resultBlock(result)];
  }
  return null;
}

export function mount() {
  for (const id of ["task-kind", "task-state"]) $(id).addEventListener("change", () => load());
  $("task-more").addEventListener("click", () => load(true));
  events.on("taskStatusUpdate", reload);
  events.onGap(reload);
}

export function show() {
  load();
}
