// The transcript panel: lines follow playback; click a line to go there. Each line can
// be corrected (✎: its words, its start and end) and a corrected line undone; the
// changes go to the server (corrections.js), which keeps them over later analyses.
import { clock, h, spokenClock } from "./dom.js";
import { correctLine, correctionsDialog, pageVideoId, transcriptLines, undoCorrection } from "./corrections.js";
import { Speakers } from "./speakers.js";

const seconds = (ms) => (ms / 1000).toFixed(1);

export class Transcript {
  /** options.videoId: the video (default: the page's); options.onChanged: after a correction;
   * options.onLines: with the lines as the server shows them (each with its translation, if any). */
  constructor(items, onSeek, { videoId = pageVideoId(), onChanged = null, onLines = null } = {}) {
    this.onSeek = onSeek;
    this.videoId = videoId;
    this.onChanged = onChanged;
    this.onLines = onLines;
    this.loading = 0;
    this.editing = null; // the artifact id of the line being edited
    this.speakers = new Speakers(); // who says each line ("Alice: …"), from the timeline's speaker rows
    this.follow = h("input", { id: "transcript-follow", type: "checkbox", checked: true });
    this.list = h("ol", { class: "transcript-lines" });
    this.el = h("section", { class: "transcript", "aria-labelledby": "transcript-h" },
      h("div", { class: "panel-head" }, h("h2", { id: "transcript-h" }, "Transcript"),
        h("label", { class: "check" }, this.follow, " Follow playback"),
        videoId ? h("button", { type: "button", class: "corrections-open", "aria-haspopup": "dialog",
                                onclick: (event) => correctionsDialog(videoId, event.currentTarget) }, "Corrections") : null),
      h("div", { class: "transcript-scroll", role: "region", tabindex: "0", "aria-label": "Transcript lines" }, this.list));
    this.setItems(items);
  }

  /** The timeline's speaker rows: each line then says who speaks it (drawn with the next setItems). */
  setSpeakers(rows) {
    this.speakers = new Speakers(rows);
  }

  /** empty: what the panel says without a line ("No speech found.", "Speech is being analysed…").
   * The lines are drawn at once; their ids (to correct them by) follow from the server. */
  setItems(items, empty = this.empty ?? "No speech found.") {
    this.items = items;
    this.empty = empty;
    if (this.editing) return; // the form stays; the lines are asked for again when it closes
    this.render();
    if (this.videoId && items.length) this.loadLines();
  }

  /** The lines with their ids and corrections, as the server shows them now. */
  async loadLines(focus = null) {
    const ticket = ++this.loading;
    let lines;
    try {
      lines = await transcriptLines(this.videoId);
    } catch {
      return; // the lines stay as drawn, without correction buttons
    }
    if (ticket !== this.loading || this.editing) return;
    this.items = lines;
    this.onLines?.(lines);
    this.render(focus);
  }

  render(focus = null) {
    this.current = -1;
    this.list.replaceChildren(...(this.items.length ? this.items.map((item, i) => this.line(item, i))
      : [h("li", { class: "muted transcript-empty" }, this.empty)]));
    if (focus) this.list.querySelector(`[data-focus="${CSS.escape(focus)}"]`)?.focus();
    if (this.lastMs !== undefined) this.setTime(this.lastMs);
  }

  line(item, i) {
    const at = clock(item.start_ms);
    // names that tell lines apart for a screen reader: when, and how it begins
    const which = `the line at ${spokenClock(item.start_ms)}, “${item.text.length > 40 ? `${item.text.slice(0, 37)}…` : item.text}”`;
    const corrected = item.correction_id
      ? h("span", { class: "corrected-mark", title: `The machine heard: “${item.machine_text}”` }, "corrected") : null;
    const tools = item.artifact_id ? h("span", { class: "line-tools" },
      h("button", { type: "button", class: "icon", dataset: { focus: `edit ${i}` }, title: "Correct this line",
                    "aria-label": `Correct ${which}`, onclick: () => this.edit(i) }, "✎"),
      item.correction_id ? h("button", { type: "button", class: "icon", dataset: { focus: `undo ${i}` },
        title: `Undo the correction (the machine heard: “${item.machine_text}”)`,
        "aria-label": `Undo the correction of ${which}`,
        onclick: () => this.undo(item, i) }, "↶") : null) : null;
    const who = this.speakers.at(item.start_ms, item.end_ms);
    const said = who ? h("span", { class: "speaker", style: { color: who.colour, fontWeight: "600" } }, `${who.name}: `) : null;
    return h("li", { dataset: { index: i } },
      h("button", { type: "button", class: "line", onclick: () => this.onSeek(item.start_ms) },
        h("span", { class: "at" }, at), " ", said, item.text, corrected,
        item.translation ? h("span", { class: "translation", lang: "en" }, item.translation) : null), tools);
  }

  /** Replace line i by a form: its words, start and end (seconds); Enter saves, Escape cancels. */
  edit(i) {
    const item = this.items[i];
    const li = this.list.children[i];
    if (!item || !li) return;
    this.editing = item.artifact_id;
    const id = `line-edit-${i}`;
    const words = h("textarea", { id: `${id}-text`, rows: 2, maxlength: 5000 }, item.text);
    const start = h("input", { id: `${id}-start`, type: "number", step: "0.1", min: "0", value: seconds(item.start_ms), inputmode: "decimal" });
    const end = h("input", { id: `${id}-end`, type: "number", step: "0.1", min: "0", value: seconds(item.end_ms), inputmode: "decimal" });
    const error = h("p", { class: "form-error", role: "alert" });
    const cancel = () => { this.editing = null; this.render(`edit ${i}`); this.loadLines(`edit ${i}`); };
    const form = h("form", { class: "line-edit", "aria-label": `Correct the line at ${clock(item.start_ms)}`,
      onsubmit: async (event) => {
        event.preventDefault();
        const changes = {};
        const text = words.value.trim();
        if (text !== item.text) changes.text = text;
        const startMs = Math.round(Number(start.value) * 1000), endMs = Math.round(Number(end.value) * 1000);
        if (start.value === "" || end.value === "" || !Number.isFinite(startMs) || !Number.isFinite(endMs)) {
          error.textContent = "Start and end are seconds, like 12.5.";
          return;
        }
        if (startMs !== item.start_ms) changes.start_ms = startMs;
        if (endMs !== item.end_ms) changes.end_ms = endMs;
        if (!Object.keys(changes).length) { cancel(); return; }
        try {
          await correctLine(this.videoId, item.artifact_id, changes);
        } catch (e) {
          error.textContent = e.message;
          return;
        }
        this.editing = null;
        await this.loadLines(`edit ${this.indexNear(startMs, i)}`);
        this.onChanged?.();
      },
      onkeydown: (event) => {
        if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); cancel(); }
        if (event.key === "Enter" && event.target === words && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
      } },
      h("label", { for: words.id }, "Words"), words,
      h("div", { class: "times" },
        h("label", { for: start.id }, "Start (s)"), start, h("label", { for: end.id }, "End (s)"), end),
      error,
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Save"),
        h("button", { type: "button", onclick: cancel }, "Cancel")),
      h("p", { class: "hint" }, "Enter saves, Shift+Enter starts a new line, Escape cancels."));
    li.replaceChildren(form);
    words.focus();
    words.setSelectionRange(words.value.length, words.value.length);
  }

  /** The index of the line starting nearest to ms (a line moved by its new start). */
  indexNear(ms, fallback) {
    let best = fallback, distance = Infinity;
    this.items.forEach((item, i) => {
      const d = Math.abs(item.start_ms - ms);
      if (d < distance) { best = i; distance = d; }
    });
    return best;
  }

  async undo(item, i) {
    try {
      await undoCorrection(this.videoId, item.correction_id);
    } catch (e) {
      const li = this.list.children[i];
      li?.append(h("p", { class: "form-error", role: "alert" }, e.message));
      return;
    }
    await this.loadLines(`edit ${i}`);
    this.onChanged?.();
  }

  setTime(ms) {
    this.lastMs = ms;
    if (this.editing) return;
    // the last line that started at or before now, unless it ended more than a moment ago
    let lo = 0, hi = this.items.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid].start_ms <= ms) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found >= 0 && this.items[found].end_ms + 300 < ms) found = -1;
    if (found === this.current) return;
    const buttons = this.list.querySelectorAll("button.line");
    buttons[this.current]?.removeAttribute("aria-current");
    this.current = found;
    const now = buttons[found];
    if (!now) return;
    now.setAttribute("aria-current", "true");
    if (this.follow.checked) {
      const box = this.list.parentElement;
      const top = now.offsetTop - box.offsetTop;
      if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - now.offsetHeight) box.scrollTop = top - box.clientHeight / 3;
    }
  }
}
