// Bookmarks: mark this moment (key b in the player, a button on search results),
// with a note, tags and, if you like, straight into a collection; share a moment.
import { api } from "./api.js";
import { clock, h, toast } from "./dom.js";
import { useStyles } from "./styles.js";

const NEW = "__new__";

/** A dialog that marks [startMs, endMs] of a video; resolves the bookmark (or null). */
export function openBookmarkDialog({ videoId, startMs, endMs = null, label = "" }) {
  useStyles("moments.css");
  return new Promise((resolve) => {
    const id = `bm-${Math.random().toString(36).slice(2, 8)}`;
    const range = h("input", { type: "checkbox", id: `${id}-range`, checked: endMs != null && endMs > startMs });
    const end = h("input", { type: "number", id: `${id}-end`, min: 0, step: "0.1",
                             value: ((endMs != null && endMs > startMs ? endMs : startMs + 5000) / 1000).toFixed(1) });
    const note = h("textarea", { id: `${id}-note`, rows: 3, maxlength: 2000 });
    const tags = h("input", { type: "text", id: `${id}-tags`, autocomplete: "off", placeholder: "dog, best take" });
    const collection = h("select", { id: `${id}-collection` }, h("option", { value: "" }, "No collection"));
    const newName = h("input", { type: "text", id: `${id}-newname`, maxlength: 200, hidden: true,
                                 "aria-label": "New collection's name" });
    const error = h("p", { class: "error", role: "alert" });
    const save = h("button", { type: "submit" }, "Save bookmark");
    const dialog = h("dialog", { class: "bookmark-dialog", "aria-labelledby": `${id}-h` },
      h("form", { method: "dialog", onsubmit: (event) => { event.preventDefault(); submit(); } },
        h("h2", { id: `${id}-h` }, `Bookmark ${label ? `${label} at ` : ""}${clock(startMs, true)}`),
        h("label", { for: `${id}-note` }, "Note"), note,
        h("label", { for: `${id}-tags` }, "Tags (comma separated)"), tags,
        h("p", {}, range, " ", h("label", { for: `${id}-range`, style: { display: "inline" } }, "A range")),
        h("label", { for: `${id}-end` }, "Ends at (seconds)"), end,
        h("label", { for: `${id}-collection` }, "Add to collection"), collection, newName,
        error,
        h("menu", {}, h("button", { type: "button", onclick: () => close(null) }, "Cancel"), save)));
    collection.addEventListener("change", () => { newName.hidden = collection.value !== NEW; if (!newName.hidden) newName.focus(); });
    end.addEventListener("input", () => { range.checked = true; });
    dialog.addEventListener("cancel", () => close(null));
    document.body.append(dialog);
    dialog.showModal();
    note.focus();
    api("/v1/collections").then(({ collections }) => {
      collection.append(...collections.map((c) => h("option", { value: c.collection_id }, c.name)),
        h("option", { value: NEW }, "New collection…"));
    }).catch(() => collection.append(h("option", { value: NEW }, "New collection…")));

    function close(result) {
      dialog.close();
      dialog.remove();
      resolve(result);
    }

    async function submit() {
      save.disabled = true;
      error.textContent = "";
      try {
        const endMs2 = range.checked ? Math.round(Number.parseFloat(end.value) * 1000) : null;
        const bookmark = await api(`/v1/videos/${videoId}/bookmarks`, { method: "POST", body: {
          start_ms: startMs, end_ms: endMs2, note: note.value,
          tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean) } });
        let target = collection.value;
        if (target === NEW) {
          target = (await api("/v1/collections", { method: "POST", body: { name: newName.value || "New collection" } })).collection_id;
        }
        if (target) {
          await api(`/v1/collections/${target}/items`, { method: "POST", body: { bookmark_ids: [bookmark.bookmark_id] } });
        }
        toast(`Bookmarked ${clock(bookmark.start_ms)}${target ? " and added to the collection" : ""}`);
        close(bookmark);
      } catch (problem) {
        error.textContent = problem.message;
        save.disabled = false;
      }
    }
  });
}

/** A share link to a moment or a collection, in a small dialog with a Copy button. */
export async function shareDialog(body) {
  useStyles("moments.css");
  const made = await api("/v1/shares", { method: "POST", body });
  const url = new URL(made.url, window.location.origin).href;
  const field = h("input", { type: "text", readonly: true, value: url, id: "share-url", class: "share-url" });
  const dialog = h("dialog", { class: "bookmark-dialog", "aria-labelledby": "share-h" },
    h("h2", { id: "share-h" }, "Share link"),
    h("p", {}, `Anyone with this link can watch ${body.collection_id ? "this collection" : "this moment"} — and nothing else — until ${new Date(made.expires_at).toLocaleString()}.`),
    h("label", { for: "share-url" }, "Link"), field,
    h("menu", {},
      h("button", { type: "button", onclick: async () => {
        try { await navigator.clipboard.writeText(url); toast("Link copied"); } catch { field.select(); }
      } }, "Copy"),
      h("button", { type: "button", onclick: () => { dialog.close(); dialog.remove(); } }, "Close")));
  document.body.append(dialog);
  dialog.showModal();
  field.select();
  return made;
}

/** The player's Bookmark and Share buttons; key b opens the bookmark dialog. */
export function installBookmarks(player) {
  const open = async () => {
    const wasPlaying = !player.video.paused;
    player.video.pause();
    const saved = await openBookmarkDialog({ videoId: player.id, startMs: Math.round(player.nowMs()) });
    if (saved) {
      player.announce(`Bookmark saved at ${clock(saved.start_ms)}`);
      player.reload();
    } else if (wasPlaying) player.video.play().catch(() => {});
  };
  const share = () => shareDialog({ video_id: player.id, start_ms: Math.round(player.nowMs()) })
    .catch((problem) => toast(problem.message, "error"));
  player.bookmarks = { open };
  const tools = player.stage?.querySelector(".player-tools");
  tools?.append(h("span", { class: "moment-tools" },
    h("button", { type: "button", onclick: open, "aria-keyshortcuts": "b" }, "Bookmark"),
    h("button", { type: "button", onclick: share }, "Share moment")));
}

/** A search hit's Bookmark button. */
export function bookmarkButton(hit) {
  return h("button", { type: "button", class: "hit-bookmark",
                       "aria-label": `Bookmark ${hit.filename} at ${clock(hit.start_ms)}`,
                       onclick: () => openBookmarkDialog({ videoId: hit.video_id, startMs: hit.start_ms,
                                                           endMs: hit.end_ms, label: hit.filename }) },
    "Bookmark");
}

/** A combined query's results: save the query as a collection (refreshable as new videos match). */
export function saveQueryButton(text) {
  return h("button", { type: "button", class: "save-query", onclick: async () => {
    const name = window.prompt("Name of the new collection:", text.slice(0, 200));
    if (!name) return;
    try {
      const made = await api("/v1/collections", { method: "POST", body: { name, query: text } });
      window.location.assign(`/collections/${made.collection_id}`);
    } catch (problem) {
      toast(problem.message, "error");
    }
  } }, "Save as a collection");
}
