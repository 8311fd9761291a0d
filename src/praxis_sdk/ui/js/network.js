// Network: this node in the middle, its peers around it, live from `peerUpdate` events.

import { api } from "./api.js";
import { clock, debounce, errorBlock, fill, h, jsonBlock, s } from "./dom.js";
import * as events from "./events.js";

const WIDTH = 640;
const HEIGHT = 420;
const CENTER = { x: WIDTH / 2, y: HEIGHT / 2 };
const RADIUS = 150;

let self = null; // {peer_id, name}
let peers = [];
let selected = null;
let shown = ""; // what the peer card shows now, to redraw it only when that changes
let poller = null;

const graph = () => document.getElementById("network-graph");

async function loadSelf() {
  const [card, health] = await Promise.all([api("/agent/card"), api("/health")]);
  self = { name: card.name ?? health.agent, peer_id: health.peer_id ?? card.peerId };
}

async function refresh() {
  const note = document.getElementById("network-note");
  try {
    if (!self) await loadSelf();
    const byName = (x, y) => (x.name || x.peer_id).localeCompare(y.name || y.peer_id);
    peers = (await api("/peers")).sort(byName); // a stable place for each peer
    const connected = peers.filter((p) => p.state === "connected").length;
    note.textContent = `${connected} connected, ${peers.length - connected} gone`;
  } catch (error) {
    peers = [];
    note.textContent = error.message;
  }
  draw();
  if (selected) showCard(selected, false);
}

const refreshSoon = debounce(refresh, 150);

function place(index, count) {
  const angle = -Math.PI / 2 + (2 * Math.PI * index) / Math.max(count, 1);
  return { x: CENTER.x + RADIUS * Math.cos(angle), y: CENTER.y + RADIUS * Math.sin(angle) };
}

function peerNode(peer, at) {
  const foundBy = peer.found_by ? [peer.found_by].flat().join(", ") : null;
  const above = at.y < CENTER.y - 1; // labels on the outer side, away from the link
  const lines = [peer.state, foundBy ? `found by ${foundBy}` : null].filter(Boolean);
  const first = above ? -50 - (lines.length - 1) * 15 : 54;
  return s("g", {
    class: `peer node ${peer.state}`, transform: `translate(${at.x},${at.y})`,
    tabindex: 0, role: "button", "data-peer-id": peer.peer_id, "data-state": peer.state,
    "data-name": peer.name, "aria-label": `${peer.name || peer.peer_id} ${peer.state}`,
    onclick: () => showCard(peer.peer_id),
    onkeydown: (event) => event.key === "Enter" && showCard(peer.peer_id),
  },
    s("circle", { r: 36, class: selected === peer.peer_id ? "selected" : null }),
    s("text", { class: "name", y: 5 }, short(peer.name || peer.peer_id, 12)),
    lines.map((line, i) => s("text", {
      class: `sub ${i ? "found-by" : "state"}`, y: first + i * 15,
    }, line)),
    s("title", {}, `${peer.name}\n${peer.peer_id}`));
}

/** The latency beside the middle of the link, pushed off the line sideways. */
function latency(peer, at) {
  if (peer.state !== "connected" || peer.rtt_ms === null || peer.rtt_ms === undefined) return null;
  const dx = at.x - CENTER.x;
  const dy = at.y - CENTER.y;
  const length = Math.hypot(dx, dy) || 1;
  return s("text", {
    class: "latency", x: (CENTER.x + at.x) / 2 + (-dy / length) * 34,
    y: (CENTER.y + at.y) / 2 + (dx / length) * 14 + 4,
  }, `${peer.rtt_ms.toFixed(1)} ms`);
}

function draw() {
  const svg = graph();
  const items = peers.map((peer, index) => ({ peer, at: place(index, peers.length) }));
  fill(svg,
    items.map(({ peer, at }) => s("line", {
      class: `link ${peer.state}`, x1: CENTER.x, y1: CENTER.y, x2: at.x, y2: at.y,
    })),
    items.map(({ peer, at }) => latency(peer, at)),
    s("g", { class: "node self", transform: `translate(${CENTER.x},${CENTER.y})` },
      s("circle", { r: 40 }),
      s("text", { class: "name", y: 5 }, short(self?.name ?? "this node", 14)),
      s("text", { class: "sub", y: 58 }, "this node")),
    items.map(({ peer, at }) => peerNode(peer, at)),
    peers.length ? null : s("text", { class: "empty", x: CENTER.x, y: 40 }, "no peers yet"));
}

function short(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

async function showCard(peerId, focus = true) {
  selected = peerId;
  const aside = document.getElementById("peer-card");
  const peer = peers.find((p) => p.peer_id === peerId);
  if (!peer) return;
  const summary = JSON.stringify({ ...peer, last_seen: null });
  if (!focus && summary === shown) return; // a poll that changed nothing: keep what is open
  shown = summary;
  if (focus) draw();
  let card = null;
  let tools = [];
  try {
    [card, tools] = await Promise.all([
      api("/p2p/cards").then((cards) => cards[peerId] ?? null),
      api("/tools").then((all) => all.filter((t) => t.source === "peer" && t.provider === peer.name)),
    ]);
  } catch (error) {
    fill(aside, errorBlock(error));
    return;
  }
  const rows = [
    ["State", peer.state],
    ["Peer id", peer.peer_id],
    ["Latency", peer.rtt_ms == null ? "–"
      : `${peer.rtt_ms.toFixed(1)} ms${peer.state === "gone" ? " (when last seen)" : ""}`],
    ["Found by", peer.found_by ? [peer.found_by].flat().join(", ") : "–"],
    ["Last seen", clock(peer.last_seen)],
    ["Version", peer.version ?? "–"],
    ["Capabilities", (peer.capabilities ?? []).join(", ") || "–"],
    ["Addresses", (peer.addresses ?? []).join("\n") || "–"],
  ];
  const cardOpen = aside.querySelector("details")?.open ?? false;
  fill(aside,
    h("h3", { className: "peer-title" }, peer.name || peer.peer_id,
      h("span", { className: `badge ${peer.state}` }, peer.state)),
    card?.description ? h("p", {}, card.description) : null,
    h("dl", { className: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h4", {}, `Tools (${tools.length || (peer.tools ?? []).length})`,
      peer.state === "gone" ? h("span", { className: "muted" }, "from its last card") : null),
    h("ul", { className: "peer-tools" },
      (tools.length ? tools : (peer.tools ?? []).map((name) => ({ name }))).map((tool) => toolLink(tool, peer))),
    card ? h("details", { open: cardOpen }, h("summary", {}, "Card"), jsonBlock(card)) : null);
}

/** A link to the Tools view with this peer's tool picked, ready to run. */
function toolLink(tool, peer) {
  const pick = () => sessionStorage.setItem("praxis.tool", `${tool.name}@${peer.name}`);
  return h("li", {}, h("a", { href: "#tools", onclick: pick }, tool.name),
    tool.description ? h("span", { className: "muted" }, ` ${tool.description}`) : null);
}

export function mount() {
  events.on("peerUpdate", refreshSoon);
  events.onGap(refreshSoon);
}

export function show() {
  refresh();
  poller = setInterval(refresh, 3000); // latency changes without an event
}

export function hide() {
  clearInterval(poller);
}
