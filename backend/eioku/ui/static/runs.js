// Which analysis run is shown, per artifact type (the selection policy), and re-analysis.
import { api } from "./api.js";
import { h, toast } from "./dom.js";

const TYPE_NAMES = {
  scene: "Scenes", "object.detection": "Objects", "face.detection": "Faces", "place.classification": "Places",
  "transcript.segment": "Speech", "ocr.text": "On-screen text", "video.metadata": "Metadata", "video.quality": "Quality",
};

export function runsPanel(videoId, onChange) {
  const body = h("div", { class: "runs-body" }, h("p", {}, "The runs load when you open this panel."));
  const panel = h("details", { class: "panel" }, h("summary", {}, "Analysis runs"), body);
  panel.addEventListener("toggle", () => { if (panel.open) fill(videoId, body, onChange); });
  return panel;
}

async function fill(videoId, body, onChange) {
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
      watch(videoId, body, onChange);
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
