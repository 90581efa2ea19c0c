// Which analysis run is shown, per artifact type (the selection policy), and re-analysis;
// and where the analysis of a video is (AnalysisStatus): each stage queued, running (with
// its progress), completed or failed (with the reason), followed on the video's event
// stream, so the player fills its rows in as runs complete and every panel can tell
// "not analysed" from "analysing…" from "nothing found".
import { api } from "./api.js";
import { h, toast } from "./dom.js";

const TYPE_NAMES = {
  scene: "Scenes", "object.detection": "Objects", "face.detection": "Faces", "place.classification": "Places",
  "transcript.segment": "Speech", "ocr.text": "On-screen text", "video.metadata": "Metadata", "video.quality": "Quality",
  "text.embedding": "Search by meaning", "image.embedding": "Picture search",
};
/** The artifact type behind each kind of timeline row. */
export const TYPE_OF_KIND = {
  scene: "scene", object: "object.detection", face: "face.detection", place: "place.classification",
  transcript: "transcript.segment", ocr: "ocr.text",
};
const FINAL = new Set(["completed", "failed", "canceled"]);
const REFRESH_MS = 300; // runs completing together refresh the page once

export class AnalysisStatus {
  /** onComplete(): a run has completed (or failed): the page reloads what it shows. */
  constructor(videoId, onComplete) {
    this.videoId = videoId;
    this.onComplete = onComplete;
    this.runs = [];
    this.listeners = new Set();
    this.list = h("ul", { class: "stages" });
    this.el = h("section", { class: "analysis-status", "aria-labelledby": "analysis-h" },
      h("h2", { id: "analysis-h", class: "visually-hidden" }, "Analysis"), this.list,
      h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" }));
    this.live = this.el.lastChild;
  }

  /** Read the runs, then follow them while any is unfinished. */
  async refresh() {
    try { this.runs = (await api(`/v1/videos/${this.videoId}/runs`)).runs; } catch { this.runs = []; }
    this.render();
    if (this.runs.some((r) => !FINAL.has(r.status))) this.follow();
  }

  follow() {
    if (this.source || !window.EventSource) return;
    this.source = new EventSource(`/v1/videos/${this.videoId}/events`);
    this.source.addEventListener("run", (event) => this.update(JSON.parse(event.data)));
    this.source.addEventListener("done", () => { this.source.close(); this.source = null; });
  }

  close() { this.source?.close(); this.source = null; }

  update(run) {
    if (this.el.isConnected) this.shown = true;
    else if (this.shown) { this.close(); return; } // the page moved on
    const i = this.runs.findIndex((r) => r.run_id === run.run_id);
    const was = i >= 0 ? this.runs[i].status : null;
    if (i >= 0) this.runs[i] = run; else this.runs.push(run);
    this.render();
    if (FINAL.has(run.status) && was !== run.status) {
      this.live.textContent = `${stageName(run)}: ${run.status === "failed" ? "failed" : run.status}`;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.onComplete(), REFRESH_MS);
    }
  }

  /** Where the analysis of a kind of row is: none (no run), pending (queued or running,
   * with progress), failed (with error), done (a completed run: what it found is shown). */
  stateOf(kind) {
    const runs = this.runs.filter((r) => r.artifact_type === TYPE_OF_KIND[kind]);
    const pending = runs.filter((r) => r.status === "queued" || r.status === "running");
    if (runs.some((r) => r.status === "completed")) return { state: "done", again: pending.length > 0 };
    if (pending.length) {
      const running = pending.filter((r) => r.status === "running");
      return { state: "pending", running: running.length > 0,
               progress: running.length ? Math.max(...running.map((r) => r.progress || 0)) : 0 };
    }
    const failed = runs.filter((r) => r.status === "failed").pop();
    if (failed) return { state: "failed", error: failed.error || "no reason given" };
    return { state: "none", canceled: runs.length > 0 };
  }

  /** A kind's state in a few words: "not analysed", "queued", "analysing… 40 %",
   * "failed: reason", "done". */
  stateText(kind) {
    const s = this.stateOf(kind);
    if (s.state === "pending") return s.running ? `analysing…${s.progress > 0 ? ` ${Math.round(s.progress * 100)} %` : ""}` : "queued for analysis";
    if (s.state === "failed") return `analysis failed: ${s.error}`;
    if (s.state === "none") return s.canceled ? "analysis canceled" : "not analysed";
    return "done";
  }

  /** What an empty panel of a kind says: "Speech: not analysed.", "Speech: analysing… 40 %.",
   * "No speech found." (analysed, nothing there). */
  emptyText(kind, noun) {
    if (this.stateOf(kind).state === "done") return `No ${noun} found.`;
    const text = this.stateText(kind);
    return `${cap(noun)}: ${text}${text.endsWith("…") ? "" : "."}`;
  }

  /** Why a video shows nothing at all: "not analysed", "analysing…", or "nothing found". */
  overallText() {
    if (!this.runs.length) return "This video has not been analysed.";
    if (this.runs.some((r) => !FINAL.has(r.status))) return "Analysing… what is found appears here as each stage completes.";
    return "Nothing found in this video.";
  }

  render() {
    // one line per stage: the newest run of each analyzer (and type: an external producer may have several)
    const newest = new Map();
    for (const run of this.runs) newest.set(`${run.analyzer} ${run.artifact_type}`, run);
    const busy = this.runs.some((r) => !FINAL.has(r.status));
    // while analysing, every stage; afterwards only those that failed
    const items = [...newest.values()].filter((run) => busy || run.status === "failed").map((run) => {
      const state = run.status === "running" ? `running${run.progress > 0 ? ` ${Math.round(run.progress * 100)} %` : ""}`
        : run.status === "failed" ? `failed: ${run.error || "no reason given"}` : run.status;
      return h("li", { class: `run-stage run-${run.status}`, dataset: { analyzer: run.analyzer, status: run.status } },
        h("span", { class: "stage-name" }, stageName(run)), " ", h("span", { class: "stage-state" }, state),
        run.status === "running" && run.progress > 0 ? h("progress", { max: 100, value: Math.round((run.progress || 0) * 100), "aria-hidden": "true" }) : null);
    });
    this.el.dataset.busy = String(busy);
    const none = this.runs.length ? [] : [h("li", { class: "run-stage run-none" }, "This video has not been analysed.")];
    this.list.replaceChildren(...items, ...none);
    this.list.hidden = !items.length && !none.length;
    for (const listener of this.listeners) listener();
  }
}

function stageName(run) { return TYPE_NAMES[run.artifact_type] || run.analyzer; }
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

export function runsPanel(videoId, onChange, status = null) {
  const body = h("div", { class: "runs-body" }, h("p", {}, "The runs load when you open this panel."));
  const panel = h("details", { class: "panel" }, h("summary", {}, "Analysis runs"), body);
  panel.addEventListener("toggle", () => { if (panel.open) fill(videoId, body, onChange, status); });
  return panel;
}

async function fill(videoId, body, onChange, status) {
  const { runs } = await api(`/v1/videos/${videoId}/runs`);
  const types = [...new Set(runs.map((r) => r.artifact_type))];
  const selections = await Promise.all(types.map((t) => api(`/v1/videos/${videoId}/selection/${encodeURIComponent(t)}`)));
  const rows = types.map((type, i) => selector(videoId, type, runs.filter((r) => r.artifact_type === type), selections[i], onChange));
  const profile = h("select", { id: "reanalyse-profile" },
    ["fast", "balanced", "high_quality"].map((p) => h("option", { value: p }, p.replace("_", " "))));
  const again = h("form", { class: "inline-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const queued = await api(`/v1/videos/${videoId}/analyze`, { method: "POST", body: { profile: profile.value } });
      toast(`${queued.run_ids.length} runs queued with profile ${profile.value}; nothing already found is overwritten.`);
      if (status) {
        if (!body.dataset.following) { // the table follows the runs, at most once a second
          body.dataset.following = "true";
          let last = 0;
          status.listeners.add(() => {
            if (!body.isConnected || Date.now() - last < 1000) return;
            last = Date.now();
            fill(videoId, body, onChange, status);
          });
        }
        await status.refresh();
      } else watch(videoId, body, onChange);
    } catch (error) { toast(error.message, "error"); }
  } }, h("label", { for: "reanalyse-profile" }, "Analyse again with profile"), profile, h("button", { type: "submit" }, "Analyse"));
  body.replaceChildren(h("table", { class: "runs" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Shown run"), h("th", { scope: "col" }, "Runs"))),
    h("tbody", {}, rows)), again);
}

function describe(run) {
  const when = run.finished_at ? new Date(run.finished_at).toLocaleString() : "";
  return `${run.model_profile} · ${run.producer} · ${when}`;
}

function selector(videoId, type, runs, selection, onChange) {
  const done = runs.filter((r) => r.status === "completed");
  const id = `sel-${type.replace(/\W/g, "-")}`;
  const select = h("select", { id },
    h("option", { value: "default" }, "newest completed (default)"),
    h("option", { value: "best_quality" }, "best quality"),
    done.map((r) => h("option", { value: r.run_id }, describe(r))));
  select.value = selection.mode === "pinned" ? selection.pinned_run_id : selection.mode === "best_quality" ? "best_quality" : "default";
  select.addEventListener("change", async () => {
    const value = select.value;
    const body = value === "default" || value === "best_quality" ? { mode: value } : { mode: "pinned", pinned_run_id: value };
    try {
      await api(`/v1/videos/${videoId}/selection/${encodeURIComponent(type)}`, { method: "PUT", body });
      toast(`${TYPE_NAMES[type] || type}: showing ${select.selectedOptions[0].textContent}`);
      onChange();
    } catch (error) { toast(error.message, "error"); }
  });
  const states = runs.map((r) => r.status === "failed" ? `failed: ${r.error}` : r.status === "completed" ? "" : `${r.status} ${Math.round(r.progress * 100)} %`).filter(Boolean);
  return h("tr", {}, h("th", { scope: "row" }, h("label", { for: id }, TYPE_NAMES[type] || type)), h("td", {}, select),
    h("td", {}, `${done.length} completed`, states.length ? h("ul", { class: "run-states" }, states.map((s) => h("li", {}, s))) : null));
}

function watch(videoId, body, onChange) {
  if (!window.EventSource) return;
  const source = new EventSource(`/v1/videos/${videoId}/events`);
  source.addEventListener("done", () => { source.close(); fill(videoId, body, onChange); onChange(); });
  source.addEventListener("run", () => fill(videoId, body, onChange));
}
