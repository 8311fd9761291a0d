// A workflow plan as an SVG graph: steps in layers by dependency, coloured by status.

import { fill, s } from "./dom.js";

const BOX = { w: 170, h: 62 };
const GAP = { x: 40, y: 36 };
const PAD = 20;
const MIN_WIDTH = 420; // one or two steps are not drawn huge
export const STATUS_TEXT = {
  pending: "pending", running: "running", completed: "done", failed: "failed",
  skipped: "skipped", cancelled: "cancelled",
};

/** Each step's layer: one more than the deepest step it depends on. */
function layers(nodes) {
  const deps = new Map(nodes.map((n) => [n.id, n.depends_on ?? []]));
  const depth = new Map();
  const visit = (id, seen = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(deps.get(id) ?? []).filter((x) => deps.has(x)).map((x) => visit(x, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  nodes.forEach((n) => visit(n.id));
  return depth;
}

function short(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Draw `nodes` (each `{id, tool, depends_on, status, node, engine}`) into `svg`;
 * `onPick(id)` is called when a step is clicked.
 */
export function drawPlan(svg, nodes, onPick) {
  if (!nodes.length) {
    svg.setAttribute("viewBox", `0 0 ${MIN_WIDTH} 80`);
    fill(svg, s("text", { class: "empty", x: MIN_WIDTH / 2, y: 45 }, "no plan yet"));
    return;
  }
  const depth = layers(nodes);
  const rows = [];
  for (const node of nodes) (rows[depth.get(node.id)] ??= []).push(node);
  const widest = Math.max(...rows.map((r) => r?.length ?? 0));
  const width = Math.max(MIN_WIDTH, PAD * 2 + widest * BOX.w + (widest - 1) * GAP.x);
  const height = PAD * 2 + rows.length * BOX.h + (rows.length - 1) * GAP.y;
  const at = new Map();
  rows.forEach((row, r) => {
    const rowWidth = row.length * BOX.w + (row.length - 1) * GAP.x;
    row.forEach((node, i) => {
      at.set(node.id, { x: (width - rowWidth) / 2 + i * (BOX.w + GAP.x), y: PAD + r * (BOX.h + GAP.y) });
    });
  });
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const edges = nodes.flatMap((node) => (node.depends_on ?? []).filter((d) => at.has(d)).map((dep) => {
    const from = at.get(dep);
    const to = at.get(node.id);
    const x1 = from.x + BOX.w / 2;
    const y1 = from.y + BOX.h;
    const x2 = to.x + BOX.w / 2;
    const y2 = to.y;
    const mid = (y1 + y2) / 2;
    return s("path", { class: "edge", d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2 - 4}`,
      "marker-end": "url(#arrow)" });
  }));
  fill(svg,
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 8, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
    edges,
    nodes.map((node) => {
      const { x, y } = at.get(node.id);
      const status = node.status ?? "pending";
      const notRun = !node.engine && (status === "skipped" || status === "cancelled");
      const where = notRun ? "not run" : [node.node ?? "any node", node.engine].filter(Boolean).join(" · ");
      return s("g", {
        class: `step ${status}`, transform: `translate(${x},${y})`, tabindex: 0, role: "button",
        "data-step-id": node.id, "data-status": status,
        "aria-label": `${node.tool ?? node.id} ${STATUS_TEXT[status] ?? status}`,
        onclick: () => onPick?.(node.id),
        onkeydown: (event) => event.key === "Enter" && onPick?.(node.id),
      },
        s("rect", { width: BOX.w, height: BOX.h, rx: 8 }),
        s("text", { class: "name", x: 10, y: 20 }, short(node.tool ?? node.id, 20)),
        s("text", { class: "sub", x: 10, y: 37 }, short(where, 26)),
        s("text", { class: "status", x: 10, y: 53 }, STATUS_TEXT[status] ?? status),
        s("title", {}, [`${node.id}: ${node.tool ?? ""}`, where, status,
          node.condition ? `if ${node.condition}` : null].filter(Boolean).join("\n")));
    }));
}
