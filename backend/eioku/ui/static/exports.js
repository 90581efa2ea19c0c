// The player's Export panel: subtitles, everything found as JSON, and a clip of a
// range checked in the page (from < to, inside the video, at most the server's
// clip length). Each download is fetched with its progress shown, then saved
// under the name the server gives it (the video's own name).
import { ApiError, api } from "./api.js";
import { clock, h } from "./dom.js";
import { useStyles } from "./styles.js";

let limits = null;
/** The server's limits (GET /v1/exports/limits), asked once a page. */
function exportLimits() {
  limits ??= api("/v1/exports/limits").catch(() => ({ clip_max_s: null }));
  return limits;
}

/** The file name a Content-Disposition header gives (RFC 5987 filename* first). */
export function dispositionName(header, fallback) {
  if (!header) return fallback;
  const star = header.match(/filename\*=UTF-8''([^;\s]+)/i);
  if (star) {
    try { return decodeURIComponent(star[1]); } catch { /* malformed: the plain name */ }
  }
  const plain = header.match(/filename="([^"]*)"/i);
  return plain ? plain[1] : fallback;
}

function megabytes(bytes) {
  if (bytes < 1e3) return `${bytes} bytes`;
  if (bytes < 1e6) return `${Math.round(bytes / 1e3)} kB`;
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

/** Fetch ``url`` showing its progress in ``status`` and ``bar``, then save it. */
async function download(url, fallback, { status, bar, button }) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  bar.hidden = false;
  bar.removeAttribute("value");  // indeterminate until the first bytes say how many
  status.textContent = "Preparing…";
  try {
    const response = await fetch(url);
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
      throw new ApiError(response.status, typeof detail === "string" ? detail : "the server refused it");
    }
    const total = Number(response.headers.get("content-length")) || 0;
    const name = dispositionName(response.headers.get("content-disposition"), fallback);
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (total) { bar.max = total; bar.value = received; }
      status.textContent = total ? `Downloading ${name}: ${Math.round((received / total) * 100)} % of ${megabytes(total)}`
        : `Downloading ${name}: ${megabytes(received)}`;
    }
    const blob = new Blob(chunks, { type: response.headers.get("content-type") || "application/octet-stream" });
    const link = h("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    status.textContent = `Saved ${name} (${megabytes(received)})`;
    status.dataset.state = "done";
  } catch (error) {
    status.textContent = `Could not download it: ${error.message}`;
    status.dataset.state = "error";
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    bar.hidden = true;
    button.onsettle?.();
  }
}

/** A button that downloads ``url`` with its own progress line. */
function downloadRow(label, url, fallback, extra = {}) {
  const status = h("span", { class: "export-status", role: "status" });
  const bar = h("progress", { class: "export-progress", hidden: true, "aria-label": `${label}: progress` });
  const button = h("button", { type: "button", onclick: () => download(url(), fallback, { status, bar, button }), ...extra }, label);
  return { button, status, bar, el: h("li", {}, button, bar, status) };
}

/** Why a clip range is refused, or "" when it is fine. Times in seconds. */
export function clipProblem(fromS, toS, durationMs, maxS) {
  if (!Number.isFinite(fromS) || !Number.isFinite(toS)) return "Give both times in seconds.";
  if (fromS < 0) return "The clip cannot start before 0:00.";
  if (toS <= fromS) return "The clip must end after it starts.";
  if (durationMs && fromS * 1000 >= durationMs) return `The clip must start before the end of the video (${clock(durationMs)}).`;
  if (durationMs && toS * 1000 > durationMs + 1) return `The clip must end by the end of the video (${clock(durationMs)}).`;
  if (maxS && toS - fromS > maxS) return `A clip is at most ${maxS} s long on this server; this one is ${Math.round(toS - fromS)} s.`;
  return "";
}

/** The Export panel of a player (``player``: id, duration, info.filename, scenes, nowMs()). */
export function exportsPanel(player) {
  useStyles("pages.css");
  const base = `/v1/videos/${player.id}`;
  const title = (player.info?.filename || "video").replace(/\.[^.]+$/, "");
  const rows = [
    downloadRow("Subtitles (WebVTT)", () => `${base}/subtitles.vtt`, `${title}.vtt`),
    downloadRow("Subtitles (SRT)", () => `${base}/subtitles.srt`, `${title}.srt`),
    downloadRow("Everything found (JSON with provenance)", () => `${base}/export.json`, `${title}.export.json`),
  ];
  const durationS = () => (player.duration || 0) / 1000;
  const from = h("input", { id: "clip-from", type: "number", min: 0, step: 0.1, value: 0, inputmode: "decimal",
                            "aria-describedby": "clip-problem" });
  const to = h("input", { id: "clip-to", type: "number", min: 0.1, step: 0.1, inputmode: "decimal",
                          value: Math.min(10, durationS() || 10).toFixed(1), "aria-describedby": "clip-problem" });
  if (durationS()) { from.max = durationS(); to.max = durationS(); }
  const problem = h("p", { id: "clip-problem", class: "field-error", role: "alert" });
  const range = () => [Math.round(Number(from.value) * 1000), Math.round(Number(to.value) * 1000)];
  const clip = downloadRow("Download clip", () => {
    const [f, t] = range();
    return `${base}/clip?from_ms=${f}&to_ms=${t}`;
  }, `${title}.clip.mp4`);
  let maxS = null;
  const check = () => {
    const why = clipProblem(Number.parseFloat(from.value), Number.parseFloat(to.value), player.duration, maxS);
    problem.textContent = why;
    for (const input of [from, to]) {
      if (why) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    clip.button.disabled = Boolean(why) || clip.button.getAttribute("aria-busy") === "true";
    return !why;
  };
  clip.button.onsettle = check;
  from.addEventListener("input", check);
  to.addEventListener("input", check);
  exportLimits().then((l) => {
    maxS = l.clip_max_s;
    if (maxS) hint.textContent = `At most ${maxS} s (${clock(maxS * 1000)}) a clip.`;
    check();
  });
  const hint = h("p", { class: "muted", id: "clip-hint" });
  const useScene = h("button", { type: "button", onclick: () => {
    const now = player.nowMs();
    const start = player.scenes.filter((s) => s <= now).pop() ?? 0;
    const end = player.scenes.find((s) => s > now) ?? player.duration;
    from.value = (start / 1000).toFixed(1);
    to.value = (end / 1000).toFixed(1);
    check();
  } }, "Current scene");
  const fromHere = h("button", { type: "button", onclick: () => {
    from.value = (player.nowMs() / 1000).toFixed(1);
    check();
  } }, "Start here");
  const toHere = h("button", { type: "button", onclick: () => {
    to.value = (player.nowMs() / 1000).toFixed(1);
    check();
  } }, "End here");
  check();
  return h("details", { class: "panel exports-panel" }, h("summary", {}, "Export"),
    h("ul", { class: "exports" }, rows.map((r) => r.el)),
    h("div", { class: "clip-form" },
      h("label", { for: "clip-from" }, "Clip from (s)"), from, h("label", { for: "clip-to" }, "to (s)"), to,
      useScene, fromHere, toHere),
    problem, hint,
    h("ul", { class: "exports" }, clip.el));
}
