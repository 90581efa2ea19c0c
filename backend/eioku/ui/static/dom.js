// Small DOM helpers: element building, time formatting, safe snippets.

/** h("button", {class: "x", onclick: fn}, "text", child) -> element */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "style" && typeof value === "object") {
      Object.assign(el.style, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** 83450 -> "1:23" (or "1:23.4" with tenths, "1:02:03" past an hour) */
export function clock(ms, tenths = false) {
  const total = Math.max(0, ms) / 1000;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const sec = tenths ? seconds.toFixed(1).padStart(4, "0") : String(Math.floor(seconds)).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${sec}` : `${minutes}:${sec}`;
}

/** Spoken form of a clock for screen readers: "1 minute 23 seconds". */
export function spokenClock(ms) {
  const total = Math.floor(Math.max(0, ms) / 1000);
  const parts = [];
  const hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), seconds = total % 60;
  if (hours) parts.push(`${hours} hour${hours === 1 ? "" : "s"}`);
  if (minutes) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  parts.push(`${seconds} second${seconds === 1 ? "" : "s"}`);
  return parts.join(" ");
}

/** A search snippet ("… pay the <mark>invoice</mark> …") as safe nodes: only
 * the <mark> pairs the server inserted become elements, everything else is text. */
export function snippet(text) {
  const out = document.createDocumentFragment();
  const parts = String(text).split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const part of parts) {
    if (part === "<mark>") { marked = true; continue; }
    if (part === "</mark>") { marked = false; continue; }
    if (part) out.append(marked ? h("mark", {}, part) : document.createTextNode(part));
  }
  return out;
}

let toastTimer;
/** A short message in the polite live region. */
export function toast(message, kind = "info") {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.dataset.kind = kind;
  el.classList.add("visible");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("visible"), 5000);
}

/** Seconds in a URL (?t=12.5) -> ms, or null. */
export function msFromParam(value) {
  const seconds = Number.parseFloat(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null;
}

export const KIND_NAMES = {
  scene: "Scenes", face: "People", object: "Objects", place: "Places",
  transcript: "Speech", ocr: "On-screen text",
};
