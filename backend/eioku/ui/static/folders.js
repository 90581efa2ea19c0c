// Library folders on the library page: add a folder, follow its first scan
// (found, hashed, queued), see what each holds, pause, rescan, remove.
import { api } from "./api.js";
import { h, toast } from "./dom.js";

const POLL_BUSY_MS = 1000;
const POLL_IDLE_MS = 10000;

function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

function scanLine(lib) {
  const s = lib.scan;
  if (lib.paused) return "Paused";
  if (s.state === "pending") return lib.watched_by ? "Waiting for its first scan…" : "Waiting for a server to scan it (eioku serve)";
  if (s.state === "scanning") return `Scanning: ${s.found} found · ${s.hashed} hashed · ${s.queued} queued`;
  if (s.state === "failed") return `Last scan failed: ${s.error}`;
  const how = lib.watch ? "watched" : "rescanned periodically";
  return lib.watched_by ? `Up to date, ${how}` : "Up to date; no server watches it now";
}

function countsLine(c) {
  const parts = [plural(c.files, "file"), `${c.analysed} analysed`];
  if (c.queued) parts.push(`${c.queued} queued`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.missing) parts.push(`${c.missing} missing`);
  return parts.join(" · ");
}

function row(lib, reload) {
  const id = `folder-${lib.library_id}`;
  const s = lib.scan;
  const busy = !lib.paused && (s.state === "scanning" || s.state === "pending");
  const act = (label, fn) => h("button", { type: "button", class: "link-button", onclick: async () => {
    try { await fn(); await reload(); } catch (error) { toast(error.message, "error"); }
  } }, label);
  const path = `/v1/libraries/${lib.library_id}`;
  return h("li", { class: `folder${lib.paused ? " paused" : ""}`, id, "aria-labelledby": `${id}-name`,
                   dataset: { state: lib.paused ? "paused" : s.state } },
    h("div", { class: "folder-head" },
      h("strong", { id: `${id}-name` }, lib.name), " ", h("code", { class: "muted" }, lib.path)),
    h("p", { class: `folder-scan${s.state === "failed" ? " warn" : ""}`, role: "status" }, scanLine(lib)),
    busy && s.found ? h("progress", { max: s.found, value: Math.min(s.hashed, s.found),
                                      "aria-label": `Files of ${lib.name} hashed` }) : null,
    h("p", { class: "folder-counts", dataset: { files: lib.counts.files, missing: lib.counts.missing } },
      countsLine(lib.counts)),
    h("div", { class: "card-actions" },
      act(lib.paused ? `Resume ${lib.name}` : `Pause ${lib.name}`,
          () => api(path, { method: "PATCH", body: { paused: !lib.paused } })),
      lib.paused ? null : act(`Rescan ${lib.name}`, () => api(`${path}/rescan`, { method: "POST" })),
      lib.counts.missing ? act(`Forget ${plural(lib.counts.missing, "missing video")}`, async () => {
        if (!window.confirm(`Forget the ${plural(lib.counts.missing, "video")} of ${lib.name} whose files are gone, with everything found in them?`)) return;
        const { deleted } = await api(`${path}/purge`, { method: "POST" });
        toast(`${plural(deleted, "missing video")} forgotten`);
      }) : null,
      h("button", { type: "button", class: "link-button danger", onclick: async () => {
        if (!window.confirm(`Stop following ${lib.path}? Its videos stay in the library; your files are never touched.`)) return;
        try { await api(path, { method: "DELETE" }); await reload(); toast(`${lib.name} removed`); }
        catch (error) { toast(error.message, "error"); }
      } }, `Remove ${lib.name}`)));
}

/** The folders section; ``onChange`` refreshes the video cards when a scan brings videos. */
export function foldersSection(onChange) {
  const list = h("ul", { class: "folders", "aria-live": "polite" });
  const pathInput = h("input", { id: "folder-path", type: "text", name: "path", required: true, autocomplete: "off",
                                 placeholder: "/media/videos" });
  const nameInput = h("input", { id: "folder-name", type: "text", name: "name", autocomplete: "off", placeholder: "(the folder's name)" });
  const exclude = h("input", { id: "folder-exclude", type: "text", name: "exclude", autocomplete: "off", placeholder: "*.tmp, Trash" });
  const watch = h("input", { id: "folder-watch", type: "checkbox", name: "watch", checked: true });
  const profile = h("select", { id: "folder-profile", name: "profile" },
    h("option", { value: "fast" }, "fast"), h("option", { value: "balanced", selected: true }, "balanced"),
    h("option", { value: "high_quality" }, "high quality"));
  const status = h("p", { class: "form-status", role: "status" });
  let timer = null;
  let lastSeen = null;
  let lastDrawn = null;

  async function reload() {
    clearTimeout(timer);
    let libs = [];
    try { ({ libraries: libs } = await api("/v1/libraries")); } catch { timer = setTimeout(reload, POLL_IDLE_MS); return; }
    const drawn = JSON.stringify(libs);
    if (drawn !== lastDrawn) {  // a poll that changes nothing leaves the list (and the focus) alone
      lastDrawn = drawn;
      list.replaceChildren(...libs.map((lib) => row(lib, reload)));
      if (!libs.length) list.append(h("li", { class: "muted" }, "No folders yet: add one below, or run ", h("code", {}, "eioku library add PATH"), "."));
    }
    const seen = libs.map((l) => `${l.counts.files}/${l.counts.missing}/${l.scan.queued}`).join();
    if (lastSeen !== null && seen !== lastSeen) onChange();
    lastSeen = seen;
    const busy = libs.some((l) => !l.paused && (l.scan.state === "scanning" || l.scan.state === "pending" || l.scan.rescan_requested));
    timer = setTimeout(reload, busy ? POLL_BUSY_MS : POLL_IDLE_MS);
  }

  const form = h("form", { class: "add-form", onsubmit: async (event) => {
    event.preventDefault();
    const body = { path: pathInput.value.trim(), watch: watch.checked, profile: profile.value,
                   exclude: exclude.value.split(",").map((g) => g.trim()).filter(Boolean) };
    if (nameInput.value.trim()) body.name = nameInput.value.trim();
    try {
      const lib = await api("/v1/libraries", { method: "POST", body });
      status.textContent = `Added ${lib.name}: scanning ${lib.path}…`;
      form.reset();
      watch.checked = true;
      await reload();
    } catch (error) { status.textContent = `Could not add it: ${error.message}`; }
  } },
  h("div", { class: "field" }, h("label", { for: "folder-path" }, "Folder inside a media root (EIOKU_MEDIA_ROOTS)"), pathInput),
  h("div", { class: "field" }, h("label", { for: "folder-name" }, "Name"), nameInput),
  h("div", { class: "field" }, h("label", { for: "folder-exclude" }, "Skip (globs, comma separated)"), exclude),
  h("div", { class: "field" }, h("label", { for: "folder-profile" }, "Profile"), profile),
  h("label", { class: "check" }, watch, " Watch for changes (off: periodic rescans, e.g. network mounts)"),
  h("button", { type: "submit" }, "Add folder"), status);

  window.addEventListener("pagehide", () => clearTimeout(timer));
  reload();
  return h("section", { class: "library-folders", "aria-labelledby": "folders-h" },
    h("h2", { id: "folders-h" }, "Folders"), list,
    h("details", { class: "add-video" }, h("summary", {}, "Add a folder"), form));
}
