// The library: video cards with live analysis progress, and adding videos.
import { api, q } from "./api.js";
import { clock, h, toast } from "./dom.js";
import { foldersSection } from "./folders.js";

const ANALYZERS = ["metadata", "scenes", "quality", "objects", "transcript", "ocr", "faces", "places", "embeddings"];

export async function render(main) {
  document.title = "Library · Eioku";
  const grid = h("div", { class: "cards", "aria-live": "polite", "aria-busy": "true" });
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Library"), h("p", { id: "library-count", class: "muted" })),
    foldersSection(() => refresh(grid).catch(() => {})),
    addSection(() => refresh(grid)),
    h("section", { "aria-labelledby": "videos-h" }, h("h2", { id: "videos-h", class: "visually-hidden" }, "Videos"), grid));
  await refresh(grid);
  listen(grid);
}

async function refresh(grid) {
  const { cards, total } = await api("/v1/library?limit=500");
  document.getElementById("library-count").textContent = `${total} video${total === 1 ? "" : "s"}`;
  grid.setAttribute("aria-busy", "false");
  if (!cards.length) {
    grid.replaceChildren(h("p", { class: "empty" }, "No videos yet. Add one above, or run ", h("code", {}, "eioku analyze FILE"), "."));
    return;
  }
  grid.replaceChildren(...cards.map(card));
}

function status(c) {
  if (c.video.missing_since) return "File missing: kept with its analysis until purged";
  if (c.active) return `Analysing… ${Math.round(c.progress * 100)} %`;
  if (!c.runs) return "Not analysed";
  if (c.failed) return `Analysed, ${c.failed} analyzer${c.failed === 1 ? "" : "s"} failed`;
  return "Analysed";
}

function card(c) {
  const v = c.video;
  const id = `card-${v.video_id}`;
  const bar = c.active ? h("progress", { max: 1, value: c.progress, "aria-label": `Analysis progress of ${v.filename}` }) : null;
  return h("article", { class: `card${v.missing_since ? " missing" : ""}`, id, "aria-labelledby": `${id}-title`, dataset: { videoId: v.video_id } },
    h("a", { href: `/videos/${v.video_id}`, class: "card-link" },
      h("img", { class: "poster", alt: "", width: 320, height: 180, loading: "lazy",
                 src: `/v1/videos/${v.video_id}/thumbnail${q({ t_ms: c.poster_ms, width: 320 })}` }),
      h("h2", { id: `${id}-title` }, v.filename)),
    h("p", { class: "card-meta" }, v.duration_ms ? clock(v.duration_ms) : "duration unknown",
      ` · ${c.scenes} scene${c.scenes === 1 ? "" : "s"} · ${c.people} ${c.people === 1 ? "person" : "people"} · ${c.objects} object${c.objects === 1 ? "" : "s"}`),
    h("p", { class: `card-status${c.failed ? " warn" : ""}`, dataset: { status: c.active ? "active" : c.runs ? "done" : "none" } }, status(c)),
    bar,
    h("div", { class: "card-actions" },
      !c.runs ? h("button", { type: "button", onclick: () => analyse(v.video_id) }, `Analyse ${v.filename}`) : null,
      h("button", { type: "button", class: "link-button danger", onclick: () => remove(v) }, `Remove ${v.filename}`)));
}

async function analyse(videoId) {
  try {
    await api(`/v1/videos/${videoId}/analyze`, { method: "POST", body: { profile: "fast" } });
    toast("Analysis queued");
  } catch (error) { toast(error.message, "error"); }
}

async function remove(video) {
  if (!window.confirm(`Remove ${video.filename} from the library? Everything found in it is forgotten; a file you registered by path stays on disk.`)) return;
  try {
    await api(`/v1/videos/${video.video_id}`, { method: "DELETE" });
    document.getElementById(`card-${video.video_id}`)?.remove();
    toast(`Removed ${video.filename}`);
  } catch (error) { toast(error.message, "error"); }
}

/** One event stream for the whole library: cards update as runs progress. */
function listen(grid) {
  if (!window.EventSource) return;
  const source = new EventSource("/v1/events");
  let pending = null;
  source.addEventListener("run", () => {
    // many events arrive together while analysers work: refresh at most twice a second
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      try { await refresh(grid); } catch { /* the next event retries */ }
    }, 500);
  });
  window.addEventListener("pagehide", () => source.close());
}

function analysisFields(prefix) {
  const profile = h("select", { id: `${prefix}-profile`, name: "profile" },
    h("option", { value: "fast" }, "fast"), h("option", { value: "balanced" }, "balanced"),
    h("option", { value: "high_quality" }, "high quality"));
  const boxes = ANALYZERS.map((name) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "analyzers", value: name, checked: true }), ` ${name}`));
  return {
    nodes: [h("div", { class: "field" }, h("label", { for: `${prefix}-profile` }, "Profile"), profile),
            h("fieldset", { class: "analyzers" }, h("legend", {}, "Analyzers"), boxes)],
    read: () => ({ profile: profile.value,
                   analyzers: boxes.map((l) => l.firstChild).filter((b) => b.checked).map((b) => b.value) }),
  };
}

function addSection(onAdded) {
  const upload = analysisFields("upload");
  const file = h("input", { id: "upload-file", type: "file", name: "file", accept: "video/*,audio/*", required: true });
  const uploadStatus = h("p", { class: "form-status", role: "status" });
  const uploadForm = h("form", { class: "add-form", onsubmit: async (event) => {
    event.preventDefault();
    if (!file.files.length) return;
    const choice = upload.read();
    const form = new FormData();
    form.append("file", file.files[0]);
    uploadStatus.textContent = `Uploading ${file.files[0].name}…`;
    try {
      const registered = await api("/v1/videos/upload", { method: "POST", form });
      await api(`/v1/videos/${registered.video_id}/analyze`, { method: "POST", body: choice });
      uploadStatus.textContent = registered.created ? `Uploaded ${file.files[0].name}: analysis queued.`
        : `${file.files[0].name} was already in the library: analysis queued.`;
      uploadForm.reset();
      onAdded();
    } catch (error) { uploadStatus.textContent = `Upload failed: ${error.message}`; }
  } },
  h("div", { class: "field" }, h("label", { for: "upload-file" }, "Video file"), file), ...upload.nodes,
  h("button", { type: "submit" }, "Upload and analyse"), uploadStatus);

  const byPath = analysisFields("path");
  const path = h("input", { id: "add-path", type: "text", name: "path", required: true, autocomplete: "off",
                            placeholder: "/media/videos/holiday.mp4" });
  const pathStatus = h("p", { class: "form-status", role: "status" });
  const pathForm = h("form", { class: "add-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const registered = await api("/v1/videos", { method: "POST", body: { path: path.value.trim(), analyze: true, ...byPath.read() } });
      pathStatus.textContent = `Added: analysis queued (${registered.run_ids.length} analyzers).`;
      pathForm.reset();
      onAdded();
    } catch (error) { pathStatus.textContent = `Could not add it: ${error.message}`; }
  } },
  h("div", { class: "field" }, h("label", { for: "add-path" }, "Path inside a media folder (EIOKU_MEDIA_ROOTS)"), path),
  ...byPath.nodes, h("button", { type: "submit" }, "Add and analyse"), pathStatus);

  return h("details", { class: "add-video" }, h("summary", {}, "Add a video"),
    h("div", { class: "add-forms" },
      h("section", { "aria-labelledby": "upload-h" }, h("h2", { id: "upload-h" }, "Upload"), uploadForm),
      h("section", { "aria-labelledby": "path-h" }, h("h2", { id: "path-h" }, "From a media folder"), pathForm)));
}
