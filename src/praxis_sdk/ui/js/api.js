// The node's HTTP API, with the bearer token this tab was given (if the node wants one).

const TOKEN_KEY = "praxis.token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An error reply of the API: `{error: {code, message, details}}` and its status. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? "http_error";
    this.details = error?.details ?? {};
  }
}

let askToken = async () => false;

/** Set what is called when the node says 401: it resolves true once a new token is kept. */
export function onUnauthorized(handler) {
  askToken = handler;
}

function headers(body) {
  const out = { Accept: "application/json" };
  if (body !== undefined) out["Content-Type"] = "application/json";
  const kept = token.get();
  if (kept) out.Authorization = `Bearer ${kept}`;
  return out;
}

async function reply(response) {
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: { code: "bad_reply", message: text.slice(0, 300) } };
  }
  if (!response.ok) {
    const detail = data?.detail;
    const message = typeof detail === "string" ? detail : detail ? JSON.stringify(detail) : text;
    const error = data?.error ?? { message: message || `HTTP ${response.status}` };
    throw new ApiError(response.status, error);
  }
  return data;
}

/** Call the API; on 401 ask for the token once and try again. */
export async function api(path, { method = "GET", body, retry = true } = {}) {
  const response = await fetch(path, {
    method,
    headers: headers(body),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && retry && (await askToken())) {
    return api(path, { method, body, retry: false });
  }
  return reply(response);
}

/** `/metrics` as text (open without a token). */
export async function metricsText() {
  const response = await fetch("/metrics", { headers: { Accept: "text/plain" } });
  if (!response.ok) throw new ApiError(response.status, null);
  return response.text();
}

/** The WebSocket URL of `path` with the token as `?token=` (browsers cannot set headers). */
export function socketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const kept = token.get();
  if (kept) url.searchParams.set("token", kept);
  return url.href;
}
