// Collections: the list (/collections) and one collection (/collections/<id>):
// play its moments in order, reorder, remove, rename, refresh a saved query,
// export (editing timelines, CSV, JSON, one MP4) and share.
import { api } from "./api.js";
import { clock, h, toast } from "./dom.js";
import { momentPlayer, spanText } from "./moment-player.js";
import { shareDialog } from "./bookmarks.js";
import { useStyles } from "./styles.js";

const FORMATS = [["otio", "OpenTimelineIO (.otio)"], ["edl", "CMX 3600 EDL (.edl)"],
  ["xml", "Final Cut Pro 7 XML (.xml)"], ["fcpxml", "FCPXML (.fcpxml)"], ["csv", "CSV"], ["json", "JSON"]];

export async function render(main, { id }) {
  useStyles("moments.css");
  if (id) return renderOne(main, id);
  document.title = "Collections · Eioku";
  const { collections } = await api("/v1/collections");
  const name = h("input", { id: "new-collection", type: "text", maxlength: 200, required: true });
  const form = h("form", { class: "collection-actions", onsubmit: async (event) => {
    event.preventDefault();
    const made = await api("/v1/collections", { method: "POST", body: { name: name.value } });
    window.location.assign(`/collections/${made.collection_id}`);
  } }, h("label", { for: "new-collection" }, "New collection"), name, h("button", { type: "submit" }, "Create"));
  main.append(h("h1", {}, "Collections"), form,
    collections.length ? h("ul", { class: "collection-list" }, collections.map((c) => h("li", {},
      h("a", { href: `/collections/${c.collection_id}` }, c.name),
      ` · ${c.item_count} moment${c.item_count === 1 ? "" : "s"}, ${clock(c.duration_ms)}`,
      c.query ? ` · from the query ${c.query}` : "")))
      : h("p", {}, "No collections yet: press b in the player to bookmark a moment and add it to one."));
}

async function renderOne(main, id) {
  let data = await api(`/v1/collections/${id}`);
  const title = h("h1", {}, data.name);
  const summary = h("p", { class: "muted" });
  const stage = h("section", { class: "moment-player", "aria-label": "Play the collection" });
  const list = h("ol", { class: "collection-items", "aria-label": "Moments in order" });
  const live = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  let player;

  function show(keepIndex = 0) {
    document.title = `${data.name} · Eioku`;
    title.textContent = data.name;
    summary.textContent = `${data.item_count} moment${data.item_count === 1 ? "" : "s"}, ${clock(data.duration_ms)}`
      + (data.query ? ` · saved from the query ${data.query}` : "");
    // one list: each moment plays here (Play), opens in the player (its name) and is reordered
    list.replaceChildren(...data.items.map((item, n) => {
      const label = `${n + 1}. ${item.filename} ${spanText(item)}`;
      return h("li", { class: "collection-item", dataset: { item: item.item_id } },
        h("button", { type: "button", class: "moment-play", "aria-label": `Play: ${label}`,
                      onclick: () => player.go(n, true) }, "▶"),
        h("a", { class: "moment-label", href: `/videos/${item.video_id}?t=${(item.start_ms / 1000).toFixed(3)}` },
          `${item.filename} ${spanText(item)}`, item.note ? ` — ${item.note}` : ""),
        h("button", { type: "button", disabled: n === 0, "aria-label": `Move up: ${label}`, onclick: () => move(n, -1) }, "Move up"),
        h("button", { type: "button", disabled: n === data.items.length - 1, "aria-label": `Move down: ${label}`,
                      onclick: () => move(n, 1) }, "Move down"),
        h("button", { type: "button", "aria-label": `Remove: ${label}`, onclick: () => remove(item) }, "Remove"));
    }));
    const playing = (i) => list.querySelectorAll(".collection-item").forEach((li, n) => {
      li.classList.toggle("playing", n === i);
      if (n === i) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
    });
    player = momentPlayer(stage, data.items.map((i) => ({ ...i })), (m) => `/v1/videos/${m.video_id}/stream`,
                          { listed: false, onMoment: playing });
    if (keepIndex > 0 && keepIndex < data.items.length) player.go(keepIndex);
  }

  async function move(n, by) {
    const ids = data.items.map((i) => i.item_id);
    const [taken] = ids.splice(n, 1);
    ids.splice(n + by, 0, taken);
    data = await api(`/v1/collections/${id}/order`, { method: "PUT", body: { item_ids: ids } });
    show(player?.index() ?? 0);
    live.textContent = `Moved to place ${n + by + 1}`;
    list.querySelectorAll("li")[n + by]?.querySelector(by < 0 ? "button:nth-of-type(2)" : "button:nth-of-type(3)")?.focus();
  }

  async function remove(item) {
    data = await api(`/v1/collections/${id}/items/${item.item_id}`, { method: "DELETE" });
    show();
    live.textContent = `Removed ${item.filename} ${clock(item.start_ms)}`;
  }

  const rename = h("button", { type: "button", onclick: async () => {
    const name = window.prompt("The collection's new name:", data.name);
    if (!name) return;
    data = await api(`/v1/collections/${id}`, { method: "PATCH", body: { name } });
    show(player?.index() ?? 0);
  } }, "Rename");
  const refresh = data.query ? h("button", { type: "button", onclick: async () => {
    data = await api(`/v1/collections/${id}/refresh`, { method: "POST" });
    show();
    toast(`Refreshed: ${data.item_count} moments`);
  } }, "Refresh from the query") : null;
  const del = h("button", { type: "button", onclick: async () => {
    if (!window.confirm(`Delete the collection “${data.name}”? Its videos and bookmarks stay.`)) return;
    await api(`/v1/collections/${id}`, { method: "DELETE" });
    window.location.assign("/collections");
  } }, "Delete collection");
  const share = h("button", { type: "button", onclick: () => shareDialog({ collection_id: id })
    .catch((problem) => toast(problem.message, "error")) }, "Share link");

  main.append(h("p", {}, h("a", { href: "/collections" }, "All collections")), title, summary,
    h("div", { class: "collection-actions" }, rename, refresh, share, del),
    stage, h("h2", {}, "Order and edit"), list, exportsSection(id, () => data), live);
  show();
}

function exportsSection(id, current) {
  const progress = h("progress", { class: "export-progress", max: 1, value: 0, hidden: true, "aria-label": "MP4 progress" });
  const state = h("p", { role: "status", "aria-live": "polite" });
  const make = h("button", { type: "button", onclick: async () => {
    make.disabled = true;
    try {
      let c = await api("/v1/compilations", { method: "POST", body: { collection_id: id, title: current().name } });
      progress.hidden = false;
      while (c.state === "queued" || c.state === "running") {
        state.textContent = c.state === "queued" ? "Waiting for a worker…" : `Making the MP4: ${Math.round(c.progress * 100)} %`;
        progress.value = c.progress;
        await new Promise((r) => setTimeout(r, 1000));
        c = await api(`/v1/compilations/${c.compilation_id}`);
      }
      progress.value = c.progress;
      if (c.state === "ready") {
        state.replaceChildren("The MP4 is ready: ", h("a", { href: c.file_url, download: "" }, `download (${clock(c.duration_ms)})`));
      } else state.textContent = `The MP4 could not be made: ${c.error || c.state}`;
    } catch (problem) {
      state.textContent = problem.message;
    } finally {
      make.disabled = false;
    }
  } }, "Make one MP4");
  return h("section", { class: "collection-exports", "aria-labelledby": "exports-h" },
    h("h2", { id: "exports-h" }, "Export"),
    h("ul", {}, FORMATS.map(([fmt, label]) => h("li", {},
      h("a", { href: `/v1/collections/${id}/export.${fmt}`, download: "" }, label)))),
    h("p", {}, make), progress, state);
}
