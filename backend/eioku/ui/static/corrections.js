// Corrections: a person fixes what the machines got wrong — a transcript line's words
// or timing (transcript.js), a label of the timeline removed or renamed (the row's ✎
// button, from timeline.js's rowActions) — and can undo it: the Undo of the message
// that follows, Ctrl+Z (⌘Z) outside a text field, or a corrected line's own Undo.
// Every change is a request to /v1/videos/{id}/corrections; the server applies it
// beneath every later analysis. After each, "eioku:corrected" is sent on document
// ({videoId}) so the player reloads what it shows (timeline, captions, transcript).
import { api } from "./api.js";
import { h, toast } from "./dom.js";

export const CORRECTED = "eioku:corrected";
const LABEL_TYPES = { object: "object.detection", place: "place.classification" };
const UNDO_SHOWN_MS = 10_000;

// this page's own stylesheet, beside the others (no build step: a link added once)
if (!document.querySelector('link[href="/ui/corrections.css"]')) {
  document.head.append(h("link", { rel: "stylesheet", href: "/ui/corrections.css" }));
}

/** The id of the video this page plays (/videos/{id}), or null. */
export function pageVideoId() {
  return location.pathname.match(/^\/videos\/([0-9a-f-]{36})(?:\/|$)/)?.[1] ?? null;
}

const base = (videoId) => `/v1/videos/${videoId}/corrections`;

/** The transcript lines as every read shows them, with ids, and the corrections they show. */
export async function transcriptLines(videoId) {
  return (await api(`${base(videoId)}/lines`)).lines;
}

/** A line's new words and/or timing ({text, start_ms, end_ms}; what is left out stays). */
export async function correctLine(videoId, artifactId, changes) {
  const result = await api(`${base(videoId)}/lines`, { method: "POST", body: { artifact_id: artifactId, ...changes } });
  done(videoId, result, "Line corrected.");
  return result;
}

/** Remove a label from the video (to: null) or rename it. */
export async function correctLabel(videoId, row, to = null) {
  const body = { artifact_type: LABEL_TYPES[row.kind], label: row.key ?? row.title,
                 action: to === null ? "remove" : "rename", ...(to === null ? {} : { to }) };
  const result = await api(`${base(videoId)}/labels`, { method: "POST", body });
  done(videoId, result, to === null ? `“${row.title}” removed from this video.` : `“${row.title}” is now “${to}”.`);
  return result;
}

/** Undo one correction: what it replaced shows again. */
export async function undoCorrection(videoId, correctionId) {
  const result = await api(`${base(videoId)}/${correctionId}/undo`, { method: "POST" });
  undoable = undoable.filter((c) => c.correctionId !== correctionId);
  hideUndo();
  toast("Correction undone.");
  changed(videoId);
  return result;
}

function changed(videoId) {
  document.dispatchEvent(new CustomEvent(CORRECTED, { detail: { videoId } }));
}

// ---- undo: the last corrections made on this page ----------------------------------
let undoable = []; // {videoId, correctionId, what}, newest last
let undoBar = null;
let undoTimer = null;

function done(videoId, result, what) {
  undoable.push({ videoId, correctionId: result.correction.correction_id, what });
  showUndo(what);
  changed(videoId);
}

function showUndo(what) {
  if (!undoBar) {
    undoBar = h("div", { class: "undo-bar", role: "status", "aria-live": "polite" });
    document.body.append(undoBar);
  }
  undoBar.replaceChildren(h("span", {}, what, " "),
    h("button", { type: "button", class: "undo-last", onclick: () => undoLast() }, "Undo"),
    h("button", { type: "button", class: "icon", "aria-label": "Dismiss", onclick: hideUndo }, "×"));
  undoBar.hidden = false;
  clearTimeout(undoTimer);
  undoTimer = setTimeout(hideUndo, UNDO_SHOWN_MS);
}

function hideUndo() {
  clearTimeout(undoTimer);
  if (!undoBar) return;
  const hadFocus = undoBar.contains(document.activeElement);
  undoBar.hidden = true;
  if (hadFocus) document.getElementById("main")?.focus();
}

/** Undo the newest correction made on this page that is still in force. */
export async function undoLast() {
  const last = undoable.at(-1);
  if (!last) { toast("Nothing to undo."); return; }
  try {
    await undoCorrection(last.videoId, last.correctionId);
  } catch (error) {
    undoable.pop(); // undone elsewhere already (409), or gone: not ours to undo any more
    toast(error.message, "error");
  }
}

function typing(el) {
  return el && (el.isContentEditable || ["TEXTAREA", "SELECT"].includes(el.tagName) ||
                (el.tagName === "INPUT" && !["range", "checkbox", "radio", "button", "submit"].includes(el.type)));
}

document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === "z"
      && !typing(document.activeElement) && undoable.length) {
    event.preventDefault();
    undoLast();
  }
});

// ---- the timeline's label corrections -----------------------------------------------

/** rowActions for the timeline: a ✎ button on object and place rows that opens the label dialog. */
export function labelActions(videoId) {
  return (row) => (LABEL_TYPES[row.kind] ? h("button", {
    type: "button", class: "icon correct-label", "aria-haspopup": "dialog",
    "aria-label": `Correct the label ${row.title}`, title: "Remove or rename this label in this video",
    onclick: (event) => labelDialog(videoId, row, event.currentTarget),
  }, "✎") : null);
}

/** The dialog: remove the label from this video, or rename it. */
export function labelDialog(videoId, row, opener = null) {
  const name = h("input", { id: "label-rename", type: "text", value: row.title, maxlength: 200, autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert" });
  const close = () => { dialog.close(); dialog.remove(); if (opener?.isConnected) opener.focus(); };
  const attempt = async (to) => {
    error.textContent = "";
    try {
      await correctLabel(videoId, row, to);
      close();
    } catch (e) {
      error.textContent = e.message;
    }
  };
  const dialog = h("dialog", { class: "correct-dialog", "aria-labelledby": "correct-h" },
    h("h2", { id: "correct-h" }, `Correct “${row.title}”`),
    h("p", { class: "muted" }, "Wrong here? Remove it from this video or give it its right name. It stays so when the video is analysed again, and can be undone."),
    h("p", {}, h("button", { type: "button", class: "danger", onclick: () => attempt(null) }, `Remove “${row.title}” from this video`)),
    h("form", { class: "rename-form", onsubmit: (event) => {
      event.preventDefault();
      const to = name.value.trim();
      if (!to) { error.textContent = "Give the new name, or remove the label."; return; }
      attempt(to);
    } },
      h("label", { for: "label-rename" }, "Rename to"), name, h("button", { type: "submit" }, "Rename")),
    error,
    h("p", { class: "dialog-actions" }, h("button", { type: "button", onclick: close }, "Cancel")));
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
  name.select();
  return dialog;
}

// ---- every correction of the video in force, each with its undo ------------------------

const KIND_WORDS = {
  segment: (c) => `Line at ${(c.value.start_ms / 1000).toFixed(1)} s: “${c.origin.text}” → “${c.value.text}”`,
  remove_label: (c) => `“${c.origin.label}” removed`,
  rename_label: (c) => `“${c.origin.label}” renamed “${c.value.to}”`,
};

/** A dialog listing the corrections shown now (who, when), each with Undo: labels removed
 * long ago have no row left to undo them from. */
export async function correctionsDialog(videoId, opener = null) {
  const list = h("ul", { class: "corrections-list" });
  const close = () => { dialog.close(); dialog.remove(); if (opener?.isConnected) opener.focus(); };
  const dialog = h("dialog", { class: "correct-dialog", "aria-labelledby": "corrections-h" },
    h("h2", { id: "corrections-h" }, "Corrections of this video"), list,
    h("p", { class: "dialog-actions" }, h("button", { type: "button", onclick: close }, "Close")));
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(); });
  const fill = async () => {
    const { corrections } = await api(base(videoId));
    const shown = corrections.filter((c) => c.in_force).reverse();
    list.replaceChildren(...(shown.length ? shown.map((c) => {
      const what = KIND_WORDS[c.kind](c);
      return h("li", {}, h("span", {}, what, h("span", { class: "muted" }, ` · ${c.author}, ${new Date(c.created_at).toLocaleString()}`)),
        h("button", { type: "button", "aria-label": `Undo: ${what}`, onclick: async () => {
          try { await undoCorrection(videoId, c.correction_id); } catch (e) { toast(e.message, "error"); }
          await fill();
          (list.querySelector("button") || dialog.querySelector(".dialog-actions button")).focus();
        } }, "Undo"));
    }) : [h("li", { class: "muted" }, "Nothing corrected: what you see is what the analysis found.")]));
  };
  document.body.append(dialog);
  await fill();
  dialog.showModal();
  return dialog;
}
