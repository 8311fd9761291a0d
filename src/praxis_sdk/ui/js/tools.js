// Tools: the whole catalog (local, MCP, peer); a form from the input schema runs one.

import { api } from "./api.js";
import { errorBlock, fill, h, jsonBlock } from "./dom.js";
import * as events from "./events.js";
import { fields, read } from "./schemaform.js";

let catalog = [];
let selected = null; // "name@provider"

const key = (tool) => `${tool.name}@${tool.provider}`;

async function refresh() {
  try {
    catalog = await api("/tools");
  } catch (error) {
    fill(document.querySelector("#tool-list tbody"),
      h("tr", {}, h("td", { colSpan: 4 }, errorBlock(error))));
    return;
  }
  const wanted = sessionStorage.getItem("praxis.tool");
  if (wanted) {
    sessionStorage.removeItem("praxis.tool");
    selected = wanted;
  }
  list();
  const tool = catalog.find((t) => key(t) === selected);
  if (tool && (wanted || !document.querySelector("#tool-detail form"))) detail(tool);
}

function list() {
  const filter = document.getElementById("tool-filter").value.trim().toLowerCase();
  const shown = catalog.filter((t) => !filter ||
    [t.name, t.source, t.provider, t.engine].some((v) => String(v ?? "").toLowerCase().includes(filter)));
  document.getElementById("tool-count").textContent = `${catalog.length}`;
  fill(document.querySelector("#tool-list tbody"), shown.map((tool) =>
    h("tr", {
      className: key(tool) === selected ? "selected" : "", tabIndex: 0,
      dataset: { tool: tool.name, provider: tool.provider ?? "" },
      onclick: () => detail(tool),
      onkeydown: (event) => event.key === "Enter" && detail(tool),
    },
      h("td", {}, tool.name, tool.preferred === false ? h("span", { className: "muted" }, " (shadowed)") : null),
      h("td", {}, h("span", { className: `badge ${tool.source}` }, tool.source)),
      h("td", {}, tool.provider ?? ""),
      h("td", {}, tool.engine ?? ""))));
}

function detail(tool) {
  selected = key(tool);
  list();
  const result = h("div", { className: "result", id: "tool-result", "aria-live": "polite" });
  const button = h("button", { type: "submit", className: "primary" }, "Run");
  const form = h("form", { className: "tool-form", noValidate: true, onsubmit: (event) => {
    event.preventDefault();
    run(tool, form, button, result);
  } }, fields(tool.input_schema), button);
  fill(document.getElementById("tool-detail"),
    h("h3", {}, tool.name),
    h("p", {}, tool.description || h("span", { className: "muted" }, "No description.")),
    h("dl", { className: "facts" },
      [["Source", tool.source], ["Provider", tool.provider], ["Engine", tool.engine]]
        .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "–")])),
    h("details", {}, h("summary", {}, "Input schema"), jsonBlock(tool.input_schema)),
    form,
    result);
}

async function run(tool, form, button, out) {
  let args;
  try {
    args = read(form);
  } catch (error) {
    fill(out, errorBlock({ code: "invalid_input", message: error.message }));
    return;
  }
  button.disabled = true;
  fill(out, h("p", { className: "muted" }, "running…"));
  try {
    const result = await api(`/tools/${encodeURIComponent(tool.name)}/invoke`, {
      method: "POST", body: { arguments: args, provider: tool.provider },
    });
    fill(out, resultBlock(result));
  } catch (error) {
    fill(out, errorBlock(error));
  } finally {
    button.disabled = false;
  }
}

/** A tool result (INTERFACES 4.2): ok or its error, where it ran, its content. */
export function resultBlock(result) {
  const text = (result.content ?? []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
  return h("div", { className: `tool-result ${result.ok ? "ok" : "failed"}`, dataset: { ok: String(result.ok) } },
    h("p", {},
      h("span", { className: `badge ${result.ok ? "completed" : "failed"}` }, result.ok ? "ok" : "failed"),
      ` ${result.provider ?? ""} · ${result.engine ?? ""} · ${Math.round(result.duration_ms ?? 0)} ms`),
    result.error ? errorBlock(result.error) : null,
    result.structured != null ? jsonBlock(result.structured)
      : text ? h("pre", { className: "json" }, text) : null);
}

export function mount() {
  document.getElementById("tool-filter").addEventListener("input", list);
  events.on("peerUpdate", () => {
    if (!document.getElementById("view-tools").hidden) refresh();
  });
}

export function show() {
  refresh();
}
