// Health: each component's report, and live figures from `/metrics` (Prometheus text).

import { api, metricsText } from "./api.js";
import { errorBlock, fill, h, s } from "./dom.js";

const EVERY_MS = 2000;
const HISTORY = 30;
let timer = null;
let last = null; // {at, calls, requests}
const history = { calls: [], requests: [] };

/** `name{labels} value` lines -> [{name, labels, value}] (comments skipped). */
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!match) continue;
    const labels = {};
    for (const [, k, v] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return out;
}

const sum = (samples, name, keep = () => true) =>
  samples.filter((m) => m.name === name && keep(m.labels)).reduce((a, m) => a + m.value, 0);

/** The median from a histogram's cumulative buckets (upper bound of the bucket holding it). */
function p50(samples, name) {
  const buckets = new Map();
  for (const m of samples.filter((x) => x.name === `${name}_bucket`)) {
    const le = m.labels.le === "+Inf" ? Infinity : Number(m.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + m.value);
  }
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const count = buckets.get(Infinity) ?? 0;
  if (!count) return null;
  return bounds.find((b) => buckets.get(b) >= count / 2) ?? null;
}

function spark(values) {
  const max = Math.max(1e-9, ...values);
  const step = 120 / Math.max(values.length - 1, 1);
  const points = values.map((v, i) => `${i * step},${28 - (v / max) * 26}`).join(" ");
  return s("svg", { class: "spark", viewBox: "0 0 120 30", "aria-hidden": "true" },
    s("polyline", { points }));
}

function figure(label, value, id, values) {
  return h("div", { className: "figure", dataset: { figure: id } },
    h("span", { className: "muted" }, label), h("strong", {}, value), values?.length > 1 ? spark(values) : null);
}

function ms(seconds) {
  if (seconds === null) return "–";
  return seconds === Infinity ? "> 60 s" : `≤ ${Math.round(seconds * 1000)} ms`;
}

async function figures() {
  let samples;
  try {
    samples = parseMetrics(await metricsText());
  } catch (error) {
    fill(document.getElementById("figures"), errorBlock(error));
    return;
  }
  const now = performance.now();
  const calls = sum(samples, "praxis_tool_calls_total");
  const requests = sum(samples, "praxis_http_requests_total");
  const toolErrors = sum(samples, "praxis_tool_calls_total", (l) => l.outcome !== "ok");
  const httpErrors = sum(samples, "praxis_http_requests_total", (l) => l.status?.startsWith("5"));
  if (last) {
    const seconds = (now - last.at) / 1000;
    history.calls = [...history.calls, (calls - last.calls) / seconds].slice(-HISTORY);
    history.requests = [...history.requests, (requests - last.requests) / seconds].slice(-HISTORY);
  }
  last = { at: now, calls, requests };
  const rate = (list) => (list.length ? list.at(-1).toFixed(2) : "…");
  fill(document.getElementById("figures"),
    figure("tool calls / s", rate(history.calls), "calls", history.calls),
    figure("HTTP requests / s", rate(history.requests), "requests", history.requests),
    figure("p50 tool latency", ms(p50(samples, "praxis_tool_duration_seconds")), "p50-tool"),
    figure("p50 HTTP latency", ms(p50(samples, "praxis_http_request_duration_seconds")), "p50-http"),
    figure("tool errors", String(toolErrors), "tool-errors"),
    figure("HTTP 5xx", String(httpErrors), "http-errors"));
}

function details(report) {
  const rows = Object.entries(report).filter(([k]) => k !== "status");
  return h("dl", { className: "facts" }, rows.map(([k, v]) => [
    h("dt", {}, k.replaceAll("_", " ")),
    h("dd", {}, typeof v === "object" && v !== null ? nested(v) : String(v)),
  ]));
}

/** Engines, MCP servers and the like: each entry with its status and its other fields. */
function nested(value) {
  if (Array.isArray(value)) {
    if (!value.length) return "none";
    return value.every((v) => typeof v !== "object") ? value.join(", ")
      : h("ul", { className: "nested" }, value.map((v) => h("li", {}, entry(v))));
  }
  const names = Object.keys(value);
  if (!names.length) return "none";
  return h("ul", { className: "nested" }, names.map((k) => h("li", {}, h("strong", {}, k), " ",
    value[k] && typeof value[k] === "object" ? entry(value[k]) : String(value[k]))));
}

const STATE_KEYS = new Set(["status", "state", "available"]);

function entry(item) {
  if (!item || typeof item !== "object") return String(item);
  const state = item.status ?? item.state ?? (typeof item.available === "boolean"
    ? (item.available ? "available" : "unavailable") : null);
  const rest = Object.entries(item).filter(([k, v]) => !STATE_KEYS.has(k) && v !== null && v !== undefined);
  return [state ? h("span", { className: `badge ${state}` }, state) : null,
    rest.map(([k, v]) => h("span", { className: "muted" },
      ` ${k === "reason" ? "" : `${k.replaceAll("_", " ")}: `}${typeof v === "object" ? JSON.stringify(v) : v}`))];
}

async function components() {
  let report;
  try {
    report = await api("/health");
  } catch (error) {
    fill(document.getElementById("components"), errorBlock(error));
    return;
  }
  const badge = document.getElementById("health-status");
  badge.textContent = report.status;
  badge.className = `badge ${report.status}`;
  fill(document.getElementById("components"),
    h("div", { className: "card", dataset: { component: "node" } },
      h("h3", {}, report.agent), details({ version: report.version, uptime: `${Math.round(report.uptime_s)} s`, peer_id: report.peer_id ?? "–" })),
    Object.entries(report.components).map(([name, part]) =>
      h("div", { className: `card ${part.status}`, dataset: { component: name } },
        h("h3", {}, name, " ", h("span", { className: `badge ${part.status}` }, part.status)),
        details(part))));
}

function tick() {
  figures();
  components();
}

export function mount() {}

export function show() {
  tick();
  timer = setInterval(tick, EVERY_MS);
}

export function hide() {
  clearInterval(timer);
  last = null;
  history.calls = [];
  history.requests = [];
}
