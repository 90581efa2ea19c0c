// Insights beside the video: what was found, grouped by kind (people, objects, places,
// speech, on-screen text, scenes), each group collapsible (remembered in localStorage),
// the rows with the most screen time first and "Show all" for the rest. Each person and
// label says its share of the video (overlaps merged) and how often it appears; its
// appearances are buttons that go to their start. Drawn from the timeline's rows.
import { clock, h } from "./dom.js";

const CLOSED_KEY = "eioku.insights.closed"; // kinds whose group is collapsed
const TOP = 5; // rows (or lines) shown before "Show all"
const GROUPS = [
  { kind: "face", title: "People" }, { kind: "object", title: "Objects" }, { kind: "place", title: "Places" },
  { kind: "speaker", title: "Speakers" }, { kind: "transcript", title: "Speech" }, { kind: "ocr", title: "On-screen text" },
  { kind: "scene", title: "Scenes" },
];
const LINES = new Set(["transcript", "ocr", "scene"]); // one row of lines, listed line by line

const key = (row) => `${row.kind}:${row.key ?? ""}`;

/** Milliseconds covered by a set of spans, overlaps counted once. */
export function coveredMs(items) {
  const spans = items.map((i) => [i.start_ms, i.end_ms]).sort((a, b) => a[0] - b[0]);
  let total = 0, start = null, end = null;
  for (const [s, e] of spans) {
    if (end === null || s > end) {
      if (end !== null) total += end - start;
      start = s;
      end = e;
    } else {
      end = Math.max(end, e);
    }
  }
  return end === null ? total : total + end - start;
}

function readClosed() {
  try { return new Set(JSON.parse(localStorage.getItem(CLOSED_KEY) || "[]")); } catch { return new Set(); }
}

function writeClosed(closed) {
  try { localStorage.setItem(CLOSED_KEY, JSON.stringify([...closed])); } catch { /* storage refused */ }
}

export class Insights {
  constructor({ durationMs, onSelect, onGo }) {
    this.duration = Math.max(1, durationMs || 1);
    this.onSelect = onSelect;
    this.onGo = onGo;
    this.closed = readClosed();
    this.showAll = new Set(); // kinds (and row keys) showing everything
    this.body = h("div", { class: "ins-groups" });
    this.el = h("section", { class: "insights", "aria-labelledby": "insights-h" },
      h("h2", { id: "insights-h" }, "Insights"), this.body);
  }

  /** Percent of the video a set of spans covers: "12 %", "< 1 %". */
  share(items) {
    const percent = (coveredMs(items) / this.duration) * 100;
    return percent > 0 && percent < 1 ? "< 1 %" : `${Math.round(percent)} %`;
  }

  stats(items, kind) {
    const n = items.length;
    if (kind === "scene") return `${n} ${n === 1 ? "scene" : "scenes"}, ${clock(this.duration / n)} long on average`;
    if (kind === "speaker") { // talk time: how long, and its share of everyone's talk
      const talk = items.reduce((ms, t) => ms + t.end_ms - t.start_ms, 0);
      const all = (this.rows || []).filter((r) => r.kind === "speaker")
        .reduce((ms, r) => ms + r.items.reduce((m, t) => m + t.end_ms - t.start_ms, 0), 0);
      return `${clock(talk)} talking (${Math.round((talk / Math.max(all, 1)) * 100)} % of the talk) · ${n} ${n === 1 ? "turn" : "turns"}`;
    }
    return `${this.share(items)} of the video · ${n} ${n === 1 ? "appearance" : "appearances"}`;
  }

  update(rows, selected) {
    this.rows = rows;
    this.selected = selected;
    const groups = GROUPS.map((g) => ({ ...g, rows: rows.filter((r) => r.kind === g.kind && r.items.length) }))
      .filter((g) => g.rows.length);
    this.body.replaceChildren(...(groups.length ? groups.map((g) => this.group(g))
      : [h("p", { class: "muted ins-empty" }, this.emptyMessage())]));
  }

  /** emptyText, unless the video's other rows (chapters, sounds, segments…) did find
   * something: then not "Nothing found in this video" beside a summary that lists it. */
  emptyMessage() {
    const said = this.emptyText();
    const elsewhere = (this.rows || []).some((r) => r.items?.length);
    return elsewhere && said.startsWith("Nothing found")
      ? "No people, objects, places, speech or on-screen text found: the summary and the timeline show what was." : said;
  }

  /** What an empty panel says; the player sets it from the analysis status
   * (not analysed, analysing, nothing found). */
  emptyText() { return "Nothing found in this video yet."; }

  /** Say again why the panel is empty (the analysis moved on). */
  refreshEmpty() {
    const empty = this.body.querySelector(".ins-empty");
    if (empty) empty.textContent = this.emptyMessage();
  }

  /** Mark the selected row without redrawing (a pressed button keeps the focus). */
  setSelected(selected) {
    this.selected = selected;
    for (const entry of this.body.querySelectorAll(".ins-entry")) {
      const on = entry.dataset.row === selected;
      entry.classList.toggle("selected", on);
      entry.querySelector(".ins-name").setAttribute("aria-pressed", String(on));
    }
  }

  group(g) {
    const open = !this.closed.has(g.kind);
    const count = LINES.has(g.kind) ? g.rows.reduce((n, r) => n + r.items.length, 0) : g.rows.length;
    const details = h("details", { class: `ins-group kind-${g.kind}`, open, dataset: { kind: g.kind } },
      h("summary", {}, h("span", { class: "ins-title" }, g.title), " ", h("span", { class: "ins-count" }, `(${count})`)));
    details.addEventListener("toggle", () => {
      if (details.open) this.closed.delete(g.kind); else this.closed.add(g.kind);
      writeClosed(this.closed);
    });
    if (LINES.has(g.kind)) {
      for (const row of g.rows) details.append(this.lines(row));
      return details;
    }
    const rows = g.rows.map((row) => ({ row, covered: coveredMs(row.items) })).sort((a, b) => b.covered - a.covered);
    const all = this.showAll.has(g.kind);
    const list = h("ul", { class: "ins-list" }, (all ? rows : rows.slice(0, TOP)).map(({ row }) => this.entry(row)));
    details.append(list, this.more(g.kind, rows.length, g.title.toLowerCase()));
    return details;
  }

  /** "Show all 12 people" / "Show fewer" for a group (or a row's lines), when there are more. */
  more(id, total, what) {
    if (total <= TOP) return "";
    const all = this.showAll.has(id);
    return h("button", { type: "button", class: "link-button ins-more", "aria-expanded": String(all), onclick: () => {
      if (all) this.showAll.delete(id); else this.showAll.add(id);
      this.update(this.rows, this.selected);
    } }, all ? `Show the top ${TOP}` : `Show all ${total} ${what}`);
  }

  /** A person or label: name (selects its timeline row), share, appearances, a strip of where. */
  entry(row) {
    const selected = key(row) === this.selected;
    return h("li", { class: `ins-entry${selected ? " selected" : ""}`, dataset: { row: key(row) } },
      h("div", { class: "ins-head" },
        h("button", { type: "button", class: "ins-name", "aria-pressed": String(selected),
                      title: "Select its timeline row (n / ] next, N / [ previous)",
                      onclick: () => this.onSelect(key(row)) }, row.title),
        h("span", { class: "ins-stats" }, this.stats(row.items, row.kind))),
      this.strip(row.items),
      h("details", { class: "ins-apps" }, h("summary", {}, `Appearances of ${row.title}`),
        h("ol", {}, row.items.map((item) => h("li", {},
          h("button", { type: "button", class: "link-button", onclick: () => this.onGo(row, item) },
            `${clock(item.start_ms)}–${clock(item.end_ms)}`,
            item.confidence != null ? ` · ${Math.round(item.confidence * 100)} %` : ""))))));
  }

  /** Speech, on-screen text, scenes: the share, then the lines in time order. */
  lines(row) {
    const id = key(row);
    const all = this.showAll.has(id);
    const items = all ? row.items : row.items.slice(0, TOP);
    const what = { transcript: "lines", ocr: "texts", scene: "scenes" }[row.kind];
    return h("div", { class: "ins-lines" },
      h("p", { class: "ins-stats" }, this.stats(row.items, row.kind)),
      this.strip(row.items),
      h("ol", { class: "ins-list" }, items.map((item) => h("li", {},
        h("button", { type: "button", class: "ins-line", onclick: () => this.onGo(row, item) },
          h("span", { class: "at" }, clock(item.start_ms)), " ",
          item.text ? item.text : `to ${clock(item.end_ms)} (${clock(item.end_ms - item.start_ms)})`)))),
      this.more(id, row.items.length, what));
  }

  /** Where in the video: the spans on a thin strip (drawn only; the timeline is the control). */
  strip(items) {
    return h("div", { class: "ins-strip", "aria-hidden": "true" }, items.map((i) => h("span", {
      style: { left: `${(i.start_ms / this.duration) * 100}%`,
               width: `max(2px, ${((i.end_ms - i.start_ms) / this.duration) * 100}%)` } })));
  }
}
