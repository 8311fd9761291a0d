// A form generated from a tool's JSON Schema; `read()` gives the arguments it describes.

import { h } from "./dom.js";

function field(name, schema, required) {
  const id = `arg-${name}`;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  const common = { id, name, dataset: { type: type ?? "any" }, required };
  let input;
  if (Array.isArray(schema.enum)) {
    input = h("select", common,
      required ? null : h("option", { value: "" }, "–"),
      schema.enum.map((v) => h("option", { value: JSON.stringify(v) }, String(v))));
    input.dataset.type = "enum";
  } else if (type === "boolean") {
    input = h("input", { ...common, type: "checkbox", required: false,
      checked: schema.default === true });
  } else if (type === "integer" || type === "number") {
    input = h("input", { ...common, type: "number", step: type === "integer" ? "1" : "any",
      value: schema.default ?? "" });
  } else if (type === "object" || type === "array" || type === undefined) {
    input = h("textarea", { ...common, rows: 3, className: "mono",
      placeholder: type === "array" ? "[ ]" : type === "object" ? "{ }" : "JSON or text",
      value: schema.default !== undefined ? JSON.stringify(schema.default) : "" });
  } else {
    input = h("input", { ...common, type: "text", value: schema.default ?? "" });
  }
  return h("div", { className: "field" },
    h("label", { htmlFor: id }, name, required ? h("span", { className: "req" }, " *") : null,
      type ? h("span", { className: "muted" }, ` ${type}`) : null),
    input,
    schema.description ? h("small", { className: "muted" }, schema.description) : null);
}

/** The form's fields for `schema` (an object schema), in declared order. */
export function fields(schema) {
  const properties = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const names = Object.keys(properties);
  if (!names.length) return [h("p", { className: "muted" }, "This tool takes no arguments.")];
  return names.map((name) => field(name, properties[name] ?? {}, required.has(name)));
}

function value(input) {
  const raw = input.value;
  switch (input.dataset.type) {
    case "boolean":
      return input.checked;
    case "integer":
    case "number":
      return raw === "" ? undefined : Number(raw);
    case "enum":
      return raw === "" ? undefined : JSON.parse(raw);
    case "object":
    case "array":
      if (raw.trim() === "") return undefined;
      try {
        return JSON.parse(raw);
      } catch {
        throw new Error(`${input.name}: not valid JSON`);
      }
    case "any":
      if (raw.trim() === "") return undefined;
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw === "" && !input.required ? undefined : raw;
  }
}

/** The arguments filled in `form`; empty optional fields are left out. */
export function read(form) {
  const args = {};
  for (const input of form.querySelectorAll("[name]")) {
    if (!input.id.startsWith("arg-")) continue;
    const v = value(input);
    if (v !== undefined) args[input.name] = v;
  }
  return args;
}
