// The console: the token prompt, the header and switching between the views.

import { api, onUnauthorized, token } from "./api.js";
import * as events from "./events.js";
import * as health from "./health.js";
import * as network from "./network.js";
import * as tasks from "./tasks.js";
import * as tools from "./tools.js";
import * as workflows from "./workflows.js";

const VIEWS = { network, tools, workflows, tasks, health };
let current = null;
let pendingToken = null;

/** Show the token dialog; resolves true once a token the node accepts is kept. */
function askToken() {
  pendingToken ??= new Promise((resolve) => {
    const dialog = document.getElementById("token-dialog");
    const form = document.getElementById("token-form");
    const input = document.getElementById("token-input");
    const error = document.getElementById("token-error");
    error.textContent = token.get() ? "That token was not accepted." : "";
    token.clear();
    const submit = async (event) => {
      event.preventDefault();
      token.set(input.value.trim());
      try {
        await api("/tasks?limit=1", { retry: false });
      } catch (failure) {
        token.clear();
        error.textContent = failure.status === 401 ? "That token was not accepted." : failure.message;
        return;
      }
      form.removeEventListener("submit", submit);
      dialog.close();
      input.value = "";
      pendingToken = null;
      events.reconnect();
      resolve(true);
    };
    form.addEventListener("submit", submit);
    dialog.addEventListener("cancel", (event) => event.preventDefault());
    dialog.showModal();
    input.focus();
  });
  return pendingToken;
}

function route() {
  const name = location.hash.slice(1) in VIEWS ? location.hash.slice(1) : "network";
  for (const link of document.querySelectorAll(".tabs a")) {
    link.setAttribute("aria-current", link.dataset.view === name ? "page" : "false");
  }
  for (const view of Object.keys(VIEWS)) {
    document.getElementById(`view-${view}`).hidden = view !== name;
  }
  if (current && current !== VIEWS[name]) current.hide?.();
  current = VIEWS[name];
  current.show?.();
}

async function header() {
  try {
    const report = await api("/health");
    document.getElementById("node-name").textContent = report.agent;
    document.getElementById("node-version").textContent = `v${report.version}`;
    document.title = `${report.agent} · Praxis console`;
    const dot = document.getElementById("node-status");
    dot.dataset.state = report.status;
    dot.title = `node ${report.status}`;
  } catch {
    document.getElementById("node-status").dataset.state = "unhealthy";
  }
}

async function start() {
  onUnauthorized(askToken);
  events.onState((state) => {
    document.getElementById("stream-status").dataset.state = state;
  });
  await header();
  try {
    await api("/tasks?limit=1"); // asks for the token now if the node wants one
  } catch (error) {
    console.warn("API check:", error.message);
  }
  for (const view of Object.values(VIEWS)) view.mount();
  events.connect();
  window.addEventListener("hashchange", route);
  route();
  setInterval(header, 10000);
}

start();
