// Small DOM helpers: build elements (HTML and SVG) without innerHTML, format values.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name in element && !(element instanceof SVGElement)) {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** An HTML element: `h("td", {className: "x"}, "text", otherNode)`. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element: `s("circle", {cx: 1, cy: 2, r: 3})`. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace the children of `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return build(parent, {}, children);
}

/** Pretty JSON in a `<pre>`. */
export function jsonBlock(value, className = "json") {
  return h("pre", { className }, JSON.stringify(value, null, 2));
}

/** "12:03:04" for a unix time in seconds (or an ISO string). */
export function clock(when) {
  if (when === null || when === undefined) return "";
  const date = typeof when === "number" ? new Date(when * 1000) : new Date(when);
  return date.toLocaleTimeString([], { hour12: false });
}

/** An API error shown as the API gave it: code, message and each problem. */
export function errorBlock(error) {
  const problems = error?.details?.problems ?? [];
  return h("div", { className: "error-box", role: "alert" },
    h("strong", {}, error?.code ?? "error"), ": ", error?.message ?? String(error),
    problems.length > 1
      ? h("ul", {}, problems.map((p) => h("li", {}, p.line ? `line ${p.line}: ` : "", p.message)))
      : null);
}

/** Run `fn` once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
