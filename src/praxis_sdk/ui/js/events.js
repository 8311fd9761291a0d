// The node's bus events over WebSocket (`/ws/events`), reconnecting with backoff.
// WebSocket rather than EventSource: the browser can send the token as `?token=` there.

import { socketUrl } from "./api.js";

const listeners = new Map(); // event type -> Set of callbacks ("*" gets every event)
const stateListeners = new Set();
let socket = null;
let backoff = 500;
let timer = null;

/** Call `callback(payload, frame)` for each event of `type`; returns an unsubscribe. */
export function on(type, callback) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(callback);
  return () => listeners.get(type).delete(callback);
}

/** Call `callback(state)` when the stream opens ("open") or drops ("closed"). */
export function onState(callback) {
  stateListeners.add(callback);
}

function emit(frame) {
  for (const type of [frame.type, "*"]) {
    for (const callback of listeners.get(type) ?? []) {
      try {
        callback(frame.payload ?? {}, frame);
      } catch (error) {
        console.error(`event ${frame.type}:`, error);
      }
    }
  }
}

function setState(state) {
  for (const callback of stateListeners) callback(state);
}

/** Open the stream (again); safe to call while it is open. */
export function connect() {
  clearTimeout(timer);
  if (socket && socket.readyState <= WebSocket.OPEN) return;
  socket = new WebSocket(socketUrl("/ws/events"));
  socket.addEventListener("open", () => {
    backoff = 500;
    setState("open");
  });
  socket.addEventListener("message", (message) => {
    try {
      emit(JSON.parse(message.data));
    } catch (error) {
      console.error("bad event frame", error);
    }
  });
  socket.addEventListener("close", () => {
    socket = null;
    setState("closed");
    timer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  });
}

/**
 * Call `callback()` whenever events may have been missed: the stream (re)opened, or the
 * node dropped some for us (`eventsDropped`). Views reload what they show.
 */
export function onGap(callback) {
  onState((state) => state === "open" && callback());
  on("eventsDropped", callback);
}

/** Close and reopen, e.g. after the token changed. */
export function reconnect() {
  if (socket) {
    socket.close();
  } else {
    connect();
  }
}
