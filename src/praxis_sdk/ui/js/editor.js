// A plain textarea with line numbers and the server's problems underlined beneath it.

import { h } from "./dom.js";

/** Wire up the editor in `root`; returns `{text(), setText(), mark(problems)}`. */
export function editor(root, onChange) {
  const area = root.querySelector("textarea");
  const marks = root.querySelector(".marks");
  const gutter = root.querySelector(".gutter");
  let problems = [];

  function render() {
    const lines = area.value.split("\n");
    gutter.textContent = lines.map((_, i) => i + 1).join("\n");
    const byLine = new Map();
    for (const p of problems) {
      if (p.line) byLine.set(p.line, [...(byLine.get(p.line) ?? []), p]);
    }
    marks.replaceChildren(...lines.flatMap((line, i) => {
      const found = byLine.get(i + 1);
      return [...(found ? underline(line, i + 1, found) : [line]), "\n"];
    }));
    sync();
  }

  function sync() {
    marks.scrollTop = area.scrollTop;
    marks.scrollLeft = area.scrollLeft;
    gutter.scrollTop = area.scrollTop;
  }

  area.addEventListener("input", () => {
    problems = [];
    render();
    onChange(area.value);
  });
  area.addEventListener("scroll", sync);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Tab") {
      event.preventDefault();
      area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
  });
  render();

  return {
    text: () => area.value,
    setText(text) {
      area.value = text;
      area.dispatchEvent(new Event("input"));
    },
    mark(found) {
      problems = found;
      render();
    },
  };
}

/** `line` with the problem spans wrapped: from the column to the end of its word. */
function underline(line, number, found) {
  const first = found[0];
  const message = found.map((p) => p.message).join("\n");
  const indent = line.search(/\S/);
  const start = first.column ? Math.min(first.column - 1, Math.max(line.length - 1, 0))
    : Math.max(indent, 0);
  let end = first.column ? line.slice(start).search(/\s/) : -1;
  end = end <= 0 ? line.length : start + end;
  const text = line.slice(start, end) || " ";
  return [line.slice(0, start),
    h("mark", { className: "problem", title: message,
      dataset: { line: String(number), column: String(first.column ?? "") } }, text),
    line.slice(end)];
}
