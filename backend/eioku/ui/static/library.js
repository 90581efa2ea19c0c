// The library: video cards (sorted, filtered, a page at a time) with live
// analysis progress (the stage and an estimate; cancel), and adding videos
// (upload with byte progress, or a path). The URL holds the view
// (?title=&status=&sort=&page=); an event updates only the card it concerns.
import { api, q } from "./api.js";
import { clock, h, toast } from "./dom.js";
import { foldersSection } from "./folders.js";
import { useStyles } from "./styles.js";

const ANALYZERS = ["metadata", "scenes", "quality", "objects", "transcript", "ocr", "faces", "places", "embeddings"];
export const PAGE_SIZE = 100;
const SORTS = [
  ["recorded", "Recording date (oldest first)"], ["-recorded", "Recording date (newest first)"],
  ["-added", "Date added (newest first)"], ["added", "Date added (oldest first)"],
  ["title", "Title (A–Z)"], ["-title", "Title (Z–A)"],
  ["duration", "Duration (shortest first)"], ["-duration", "Duration (longest first)"],
];
const STATUSES = [
  ["", "Any"], ["analysed", "Analysed"], ["analysing", "Analysing"], ["not_analysed", "Not analysed"],
  ["failed", "An analyzer failed"], ["missing", "File missing"],
];
const UPDATE_MS = 500;  // events arrive in bursts while analysers work: update cards at most this often

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The view the URL asks for. */
function viewFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const sort = params.get("sort");
  const status = params.get("status");
  return {
    title: params.get("title") || "",
    status: STATUSES.some(([v]) => v === status) ? status : "",
    sort: SORTS.some(([v]) => v === sort) ? sort : "recorded",
    page: Math.max(1, Number.parseInt(params.get("page"), 10) || 1),
  };
}

export async function render(main) {
  useStyles("pages.css");
  document.title = "Library · Eioku";
  const library = new Library(viewFromUrl());
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Library"), library.count),
    foldersSection(() => library.refresh().catch(() => {})),
    addSection(() => library.refresh()),
    library.controls(),
    h("section", { "aria-labelledby": "videos-h" }, h("h2", { id: "videos-h", class: "visually-hidden" }, "Videos"),
      library.grid, library.pager));
  await library.refresh();
  library.listen();
}

class Library {
  constructor(view) {
    this.view = view;
    this.count = h("p", { id: "library-count", class: "muted", role: "status" });
    this.grid = h("div", { class: "cards", "aria-busy": "true" });
    this.pager = h("nav", { class: "pager", "aria-label": "Pages of videos" });
    this.pending = new Set();
    this.timer = null;
  }

  controls() {
    const title = h("input", { id: "library-filter", type: "search", name: "title", value: this.view.title, autocomplete: "off",
                               placeholder: "part of a title" });
    const status = h("select", { id: "library-status", name: "status" },
      STATUSES.map(([value, label]) => h("option", { value, selected: value === this.view.status }, label)));
    const sort = h("select", { id: "library-sort", name: "sort" },
      SORTS.map(([value, label]) => h("option", { value, selected: value === this.view.sort }, label)));
    let typing = null;
    const change = (debounce) => {
      clearTimeout(typing);
      typing = setTimeout(() => this.show({ title: title.value.trim(), status: status.value, sort: sort.value, page: 1 }),
                          debounce ? 300 : 0);
    };
    title.addEventListener("input", () => change(true));
    status.addEventListener("change", () => change(false));
    sort.addEventListener("change", () => change(false));
    return h("form", { class: "list-controls", "aria-label": "Which videos, in which order", onsubmit: (e) => { e.preventDefault(); change(false); } },
      h("div", { class: "field" }, h("label", { for: "library-filter" }, "Filter by title"), title),
      h("div", { class: "field" }, h("label", { for: "library-status" }, "Status"), status),
      h("div", { class: "field" }, h("label", { for: "library-sort" }, "Sort by"), sort));
  }

  async show(view) {
    this.view = view;
    const params = new URLSearchParams();
    if (view.title) params.set("title", view.title);
    if (view.status) params.set("status", view.status);
    if (view.sort !== "recorded") params.set("sort", view.sort);
    if (view.page > 1) params.set("page", view.page);
    const search = params.toString();
    history.replaceState(null, "", `/${search ? `?${search}` : ""}`);
    await this.refresh();
  }

  async refresh() {
    const { title, status, sort, page } = this.view;
    const offset = (page - 1) * PAGE_SIZE;
    const { cards, total } = await api(`/v1/library${q({ limit: PAGE_SIZE, offset, sort, q: title, status })}`);
    const filtered = Boolean(title || status);
    this.count.textContent = filtered ? `${plural(total, "video")} match` : plural(total, "video");
    this.grid.setAttribute("aria-busy", "false");
    this.drawPager(total);
    if (!cards.length) {
      if (total && page > 1) { await this.show({ ...this.view, page: Math.ceil(total / PAGE_SIZE) }); return; }
      this.grid.replaceChildren(filtered ? h("p", { class: "empty" }, "No video matches.")
        : h("p", { class: "empty" }, "No videos yet. Add one above, or run ", h("code", {}, "eioku analyze FILE"), "."));
      return;
    }
    this.grid.replaceChildren(...cards.map((c) => this.card(c)));
  }

  drawPager(total) {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const page = Math.min(this.view.page, pages);
    if (pages === 1) { this.pager.replaceChildren(); return; }
    const go = (n) => this.show({ ...this.view, page: n }).then(() => this.grid.querySelector("a")?.focus());
    const first = (page - 1) * PAGE_SIZE + 1;
    this.pager.replaceChildren(
      h("button", { type: "button", disabled: page <= 1, onclick: () => go(page - 1) }, "Previous page"),
      h("span", {}, `Page ${page} of ${pages} · videos ${first}–${Math.min(total, page * PAGE_SIZE)} of ${total}`),
      h("button", { type: "button", disabled: page >= pages, onclick: () => go(page + 1) }, "Next page"));
  }

  card(c) {
    const v = c.video;
    const id = `card-${v.video_id}`;
    const current = c.current;
    const bar = current ? h("progress", { max: 1, value: current.progress, "aria-label": `Analysis progress of ${v.filename}` }) : null;
    return h("article", { class: `card${v.missing_since ? " missing" : ""}`, id, "aria-labelledby": `${id}-title`, dataset: { videoId: v.video_id } },
      h("a", { href: `/videos/${v.video_id}`, class: "card-link" },
        h("img", { class: "poster", alt: "", width: 320, height: 180, loading: "lazy",
                   src: `/v1/videos/${v.video_id}/thumbnail${q({ t_ms: c.poster_ms, width: 320 })}`,
                   onerror: (event) => event.target.replaceWith(h("div", { class: "poster" })) }),  // no picture: grey
        h("h2", { id: `${id}-title` }, v.filename)),
      h("p", { class: "card-meta" }, v.duration_ms ? clock(v.duration_ms) : "duration unknown",
        ` · ${plural(c.scenes, "scene")} · ${c.people} ${c.people === 1 ? "person" : "people"} · ${plural(c.objects, "object")}`),
      h("p", { class: `card-status${c.failed && !current ? " warn" : ""}`, dataset: { status: current ? "active" : c.runs ? "done" : "none" } }, statusLine(c)),
      bar,
      h("div", { class: "card-actions" },
        !c.runs ? h("button", { type: "button", onclick: () => this.analyse(v) }, `Analyse ${v.filename}`) : null,
        current ? h("button", { type: "button", onclick: () => this.cancel(v) }, `Cancel analysis of ${v.filename}`) : null,
        h("button", { type: "button", class: "link-button danger", onclick: () => this.remove(v) }, `Remove ${v.filename}`)));
  }

  /** Draw one card again from the server, keeping the focus on the same control. */
  async update(videoId) {
    const old = document.getElementById(`card-${videoId}`);
    if (!old) return;
    const fresh = this.card(await api(`/v1/library/${videoId}`));
    const focused = old.contains(document.activeElement) ? document.activeElement.textContent : null;
    old.replaceWith(fresh);
    if (focused) [...fresh.querySelectorAll("a, button")].find((el) => el.textContent === focused)?.focus();
  }

  async analyse(video) {
    try {
      await api(`/v1/videos/${video.video_id}/analyze`, { method: "POST", body: { profile: "fast" } });
      toast(`Analysis of ${video.filename} queued`);
      await this.update(video.video_id);
    } catch (error) { toast(error.message, "error"); }
  }

  async cancel(video) {
    if (!window.confirm(`Cancel the analysis of ${video.filename}? Analyzers that finished keep their results; the others stop.`)) return;
    try {
      const { cancelled } = await api(`/v1/videos/${video.video_id}/cancel`, { method: "POST" });
      toast(cancelled.length ? `Analysis of ${video.filename} cancelled (${plural(cancelled.length, "analyzer")} stopped)`
        : `${video.filename} had nothing left to cancel`);
      await this.update(video.video_id);
    } catch (error) { toast(error.message, "error"); }
  }

  async remove(video) {
    if (!window.confirm(`Remove ${video.filename} from the library? Everything found in it is forgotten; a file you registered by path stays on disk.`)) return;
    try {
      await api(`/v1/videos/${video.video_id}`, { method: "DELETE" });
      document.getElementById(`card-${video.video_id}`)?.remove();
      toast(`Removed ${video.filename}`);
    } catch (error) { toast(error.message, "error"); }
  }

  /** One event stream for the whole library: each run event updates its video's card only. */
  listen() {
    if (!window.EventSource) return;
    const source = new EventSource("/v1/events");
    source.addEventListener("run", (event) => {
      try { this.pending.add(JSON.parse(event.data).asset_id); } catch { return; }
      this.timer ??= setTimeout(() => this.flush(), UPDATE_MS);
    });
    window.addEventListener("pagehide", () => source.close());
  }

  async flush() {
    const ids = [...this.pending];
    this.pending.clear();
    try { await Promise.all(ids.map((id) => this.update(id))); } catch { /* the next event retries */ }
    this.timer = null;
    if (this.pending.size) this.timer = setTimeout(() => this.flush(), UPDATE_MS);
  }
}

/** "12 s", "4 min", "1 h 5 min" */
export function duration(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

function statusLine(c) {
  if (c.video.missing_since) return "File missing: kept with its analysis until purged";
  const now = c.current;
  if (now) {
    const stage = now.running.length ? `Analysing: ${now.running.join(", ")}`
      : `Waiting for a worker (${now.waiting.join(", ")})`;
    const eta = now.eta_s !== null ? ` · about ${duration(now.eta_s)} left` : "";
    return `${stage} · ${now.done} of ${now.runs} done · ${Math.round(now.progress * 100)} %${eta}`;
  }
  if (!c.runs) return "Not analysed";
  if (c.failed) return `Analysed, ${plural(c.failed, "analyzer")} failed or cancelled`;
  return "Analysed";
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

function megabytes(bytes) { return `${(bytes / 1e6).toFixed(1)} MB`; }

/** POST a file with XMLHttpRequest (fetch cannot report upload progress). */
function sendFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/videos/upload");
    xhr.responseType = "json";
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) { resolve(xhr.response); return; }
      const detail = xhr.response?.detail;
      const reason = typeof detail === "string" ? detail : Array.isArray(detail) ? detail.map((d) => d.msg).join("; ")
        : `${xhr.status} ${xhr.statusText}`;
      reject(Object.assign(new Error(reason), { status: xhr.status }));
    };
    xhr.onerror = () => reject(new Error("the connection was lost"));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

function addSection(onAdded) {
  const upload = analysisFields("upload");
  const file = h("input", { id: "upload-file", type: "file", name: "file", accept: "video/*,audio/*", required: true });
  const uploadStatus = h("p", { class: "form-status", role: "status" });
  const uploadBar = h("progress", { class: "upload-progress", max: 1, value: 0, hidden: true, "aria-label": "Upload progress" });
  const uploadButton = h("button", { type: "submit" }, "Upload and analyse");
  const uploadForm = h("form", { class: "add-form", onsubmit: async (event) => {
    event.preventDefault();
    if (!file.files.length) return;
    const chosen = file.files[0];
    const choice = upload.read();
    uploadStatus.dataset.state = "busy";
    uploadStatus.textContent = `Uploading ${chosen.name}…`;
    uploadBar.hidden = false;
    uploadButton.disabled = true;
    try {
      await api("/v1/videos?limit=1");  // signs in first when the server asks for its token
      const registered = await sendFile(chosen, (loaded, total) => {
        uploadBar.max = total || 1;
        uploadBar.value = loaded;
        uploadStatus.textContent = `Uploading ${chosen.name}: ${megabytes(loaded)} of ${megabytes(total)} (${Math.round((loaded / (total || 1)) * 100)} %)`;
      });
      uploadStatus.textContent = `Uploaded ${chosen.name}; queueing its analysis…`;
      await api(`/v1/videos/${registered.video_id}/analyze`, { method: "POST", body: choice });
      uploadStatus.textContent = registered.created ? `Uploaded ${chosen.name}: analysis queued.`
        : `${chosen.name} was already in the library: analysis queued.`;
      uploadStatus.dataset.state = "done";
      uploadForm.reset();
      onAdded();
    } catch (error) {
      const refused = error.status === 415 ? "Not a video or audio file" : error.status === 413 ? "Too large" : "Upload failed";
      uploadStatus.textContent = `${refused}: ${error.message}`;
      uploadStatus.dataset.state = "error";
    } finally {
      uploadBar.hidden = true;
      uploadButton.disabled = false;
    }
  } },
  h("div", { class: "field" }, h("label", { for: "upload-file" }, "Video file"), file), ...upload.nodes,
  uploadButton, uploadBar, uploadStatus);

  const byPath = analysisFields("path");
  const path = h("input", { id: "add-path", type: "text", name: "path", required: true, autocomplete: "off",
                            placeholder: "/media/videos/holiday.mp4" });
  const pathStatus = h("p", { class: "form-status", role: "status" });
  const pathForm = h("form", { class: "add-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const registered = await api("/v1/videos", { method: "POST", body: { path: path.value.trim(), analyze: true, ...byPath.read() } });
      pathStatus.textContent = `Added: analysis queued (${plural(registered.run_ids.length, "analyzer")}).`;
      pathStatus.dataset.state = "done";
      pathForm.reset();
      onAdded();
    } catch (error) {
      pathStatus.textContent = `Could not add it: ${error.message}`;
      pathStatus.dataset.state = "error";
    }
  } },
  h("div", { class: "field" }, h("label", { for: "add-path" }, "Path inside a media folder (EIOKU_MEDIA_ROOTS)"), path),
  ...byPath.nodes, h("button", { type: "submit" }, "Add and analyse"), pathStatus);

  return h("details", { class: "add-video" }, h("summary", {}, "Add a video"),
    h("div", { class: "add-forms" },
      h("section", { "aria-labelledby": "upload-h" }, h("h2", { id: "upload-h" }, "Upload"), uploadForm),
      h("section", { "aria-labelledby": "path-h" }, h("h2", { id: "path-h" }, "From a media folder"), pathForm)));
}
