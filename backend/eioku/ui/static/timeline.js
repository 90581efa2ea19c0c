// The timeline: one row per kind and label on the player's clock.
// Rows come from GET /v1/videos/{id}/timeline; each row's kind/key are a jump's kind/label.
// Pointer (mouse, touch, pen): a click or tap seeks to where it lands, a drag scrubs with the
// preview showing; the hits under the pointer are listed in the tooltip (a tap pins it, with a
// button per hit to go to its start; a double-click goes to the start of the hit under it).
import { clock, h } from "./dom.js";
import { Insights } from "./insights.js";

const HAS_CONFIDENCE = new Set(["object", "face", "place"]);
const LABELLED = new Set(["sound", "segment"]); // rows whose items say what they are (item.text)
const PX_PER_SECOND_MAX = 200; // fully zoomed in, a second is this wide
const MIN_HIT_PX = 24; // a segment drawn narrower is still this wide to the pointer, centred on it
const MAX_LANES = 4; // overlapping segments stack in lanes; more overlap shares the last lane
const DRAG_PX = 4; // a pointer that moves further than this while down scrubs
const PINNED_MS = 4000; // a tapped tooltip goes away by itself after this
const TOOLTIP_HITS = 6; // hits listed in the tooltip, then "and N more"

export const rowKey = (row) => `${row.kind}:${row.key ?? ""}`;

export const KIND_WORD = { scene: "Scene", face: "Person", object: "Object", place: "Place", transcript: "Speech", ocr: "On-screen text", speaker: "Speaker", bookmark: "Bookmark", chapter: "Chapter", sound: "Sounds", segment: "Segments" };

/** What one hit of a row is called: "scene", "Alice", "cat", "speech line". */
export function noun(row) {
  return { scene: "scene", chapter: "chapter", transcript: "speech line", ocr: "on-screen text", bookmark: "bookmark", sound: "sound", segment: "segment" }[row.kind] || row.title;
}

/** Lane of each item (sorted by start): the first lane free at its start, at most MAX_LANES. */
export function lanes(items) {
  const ends = [];
  return items.map((item) => {
    let lane = ends.findIndex((end) => end <= item.start_ms);
    if (lane < 0) lane = ends.length < MAX_LANES ? ends.length : ends.indexOf(Math.min(...ends));
    ends[lane] = Math.max(ends[lane] ?? 0, item.end_ms);
    return lane;
  });
}

export class Timeline {
  /** rowActions(row): extra controls for a row's label (corrections: remove, rename). */
  constructor({ durationMs, rows, onSeek, onJump, onSelect, preview, rowActions }) {
    this.duration = Math.max(1, durationMs || 1);
    this.rows = rows;
    this.onSeek = onSeek;
    this.onJump = onJump;
    this.onSelect = onSelect;
    this.preview = preview;
    this.rowActions = rowActions;
    this.zoom = 1;
    this.now = 0;
    this.minConfidence = 0;
    this.hidden = new Set();
    // n / N walk the scenes until another row is chosen (the chapters row is drawn above them)
    const first = rows.find((r) => r.kind === "scene") || rows[0];
    this.selected = first ? rowKey(first) : null;
    this.current = null;
    this.drag = null;
    this.drawn = new Map(); // row key -> {row, items} as drawn (confidence filtered)
    this.el = h("section", { class: "timeline", "aria-labelledby": "timeline-h" });
    this.insights = new Insights({
      durationMs: this.duration,
      onSelect: (key) => this.select(key),
      onGo: (row, item) => this.goTo(row, item),
    });
    this.build();
  }

  row(key) { return this.rows.find((r) => rowKey(r) === key); }

  selectedRow() { return this.row(this.selected) || this.rows.find((r) => !this.hidden.has(rowKey(r))); }

  build() {
    const zoomRange = h("input", { id: "tl-zoom", type: "range", min: 0, max: 100, value: 0, step: 1,
                                   "aria-valuetext": "whole video" });
    zoomRange.addEventListener("input", () => this.setZoom(this.zoomFromSlider(Number(zoomRange.value))));
    this.zoomRange = zoomRange;
    const confidence = h("input", { id: "tl-confidence", type: "range", min: 0, max: 0.95, step: 0.05, value: 0,
                                    "aria-valuetext": "any confidence" });
    this.confidenceRange = confidence;
    this.confidenceOut = h("output", { for: "tl-confidence" }, "any");
    confidence.addEventListener("input", () => this.setConfidence(Number(confidence.value)));
    this.rowsMenu = h("div", { class: "rows-menu" });
    const toolbar = h("div", { class: "tl-toolbar" },
      h("h2", { id: "timeline-h" }, "Timeline"),
      h("div", { class: "tl-group" },
        h("button", { type: "button", class: "tl-zoom-button", "aria-label": "Zoom out", title: "Zoom out",
                      onclick: () => this.setZoom(this.zoom / 2) }, "−"),
        h("label", { for: "tl-zoom", class: "visually-hidden" }, "Zoom"), zoomRange,
        h("button", { type: "button", class: "tl-zoom-button", "aria-label": "Zoom in", title: "Zoom in",
                      onclick: () => this.setZoom(this.zoom * 2) }, "+"),
        h("button", { type: "button", onclick: () => this.setZoom(1) }, "Whole video")),
      h("div", { class: "tl-group" },
        h("label", { for: "tl-confidence" }, h("span", { class: "visually-hidden" }, "Minimum "), "Confidence"),
        confidence, this.confidenceOut),
      h("details", { class: "tl-rows" }, h("summary", {}, "Rows"), this.rowsMenu));
    this.labels = h("div", { class: "tl-labels" });
    this.inner = h("div", { class: "tl-inner" });
    this.scroller = h("div", { class: "tl-scroll", role: "region", tabindex: "0", "aria-label": "Timeline rows (scroll sideways when zoomed in)" }, this.inner);
    this.playhead = h("div", { class: "tl-playhead", "aria-hidden": "true" });
    this.tooltip = h("div", { class: "tl-tooltip", hidden: true, "aria-hidden": "true" });
    this.el.append(toolbar, h("div", { class: "tl-body" }, this.labels, this.scroller), this.tooltip);
    this.listen();
    this.drawRows();
  }

  listen() {
    const inner = this.inner;
    inner.addEventListener("pointerdown", (event) => this.pointerDown(event));
    inner.addEventListener("pointermove", (event) => this.pointerMove(event));
    inner.addEventListener("pointerup", (event) => this.pointerUp(event));
    inner.addEventListener("pointercancel", () => { this.drag = null; this.hideTooltip(); });
    inner.addEventListener("pointerleave", (event) => { if (!this.drag && !this.pinned && event.pointerType === "mouse") this.hideTooltip(); });
    inner.addEventListener("dblclick", (event) => {
      const [hit] = this.hitsAt(event.clientX, event.clientY);
      if (hit) this.goTo(hit.row, hit.item);
    });
    // a pinned tooltip goes on a tap (or click) anywhere else, and on Escape
    document.addEventListener("pointerdown", (event) => {
      if (this.pinned && !this.tooltip.contains(event.target) && !this.inner.contains(event.target)) this.hideTooltip();
    });
    this.el.addEventListener("keydown", (event) => { if (event.key === "Escape" && !this.tooltip.hidden) this.hideTooltip(); });
    this.scroller.addEventListener("wheel", (event) => {
      if (!event.ctrlKey) return; // ctrl + wheel zooms around the pointer
      event.preventDefault();
      this.setZoom(this.zoom * (event.deltaY < 0 ? 1.25 : 0.8), event.clientX);
    }, { passive: false });
  }

  pointerDown(event) {
    if (event.button !== 0) return;
    this.hideTooltip();
    this.drag = { id: event.pointerId, x: event.clientX, moved: false };
    this.inner.setPointerCapture?.(event.pointerId);
  }

  pointerMove(event) {
    const drag = this.drag;
    if (drag && drag.id === event.pointerId) {
      if (!drag.moved && Math.abs(event.clientX - drag.x) < DRAG_PX) return;
      drag.moved = true;
      event.preventDefault();
      const t = this.timeAt(event.clientX);
      this.scrubTo(t);
      this.showTooltip(event, t, [], { scrub: true });
    } else if (event.pointerType === "mouse" && !this.pinned) {
      const t = this.timeAt(event.clientX);
      this.showTooltip(event, t, this.hitsAt(event.clientX, event.clientY));
    }
  }

  pointerUp(event) {
    const drag = this.drag;
    if (!drag || drag.id !== event.pointerId) return;
    this.drag = null;
    const t = this.timeAt(event.clientX);
    this.onSeek(t);
    const hits = drag.moved ? [] : this.hitsAt(event.clientX, event.clientY);
    if (event.pointerType === "mouse") {
      this.showTooltip(event, t, hits);
    } else if (hits.length) {
      this.showTooltip(event, t, hits, { pinned: true }); // a tap on a hit: its buttons stay a while
    } else {
      this.hideTooltip(); // nothing to keep: the tooltip does not stick after a tap
    }
  }

  /** Seek while dragging, at most once a frame. */
  scrubTo(t) {
    this.scrubAt = t;
    if (this.scrubFrame) return;
    this.scrubFrame = requestAnimationFrame(() => {
      this.scrubFrame = null;
      this.onSeek(this.scrubAt);
    });
  }

  /** Go to the start of one hit (and mark it as the current one). */
  goTo(row, item) {
    this.hideTooltip();
    this.onSeek(item.start_ms);
    this.highlight(rowKey(row), item.start_ms);
  }

  /** The hits under a point: every drawn item of the row there whose span, widened to
   * MIN_HIT_PX when drawn narrower, holds the point; the pointer's own lane first. */
  hitsAt(clientX, clientY) {
    const rowEl = document.elementFromPoint(clientX, clientY)?.closest(".tl-row");
    const drawn = rowEl && this.drawn.get(rowEl.dataset.row);
    if (!drawn) return [];
    const rect = this.inner.getBoundingClientRect();
    const x = clientX - rect.left;
    const perMs = rect.width / this.duration;
    const laneEl = document.elementFromPoint(clientX, clientY)?.closest(".seg");
    const pointerLane = laneEl ? Number(laneEl.dataset.lane) : -1;
    const hits = [];
    drawn.items.forEach((item, i) => {
      let x0 = item.start_ms * perMs, x1 = item.end_ms * perMs;
      if (x1 - x0 < MIN_HIT_PX) {
        const mid = (x0 + x1) / 2;
        x0 = mid - MIN_HIT_PX / 2;
        x1 = mid + MIN_HIT_PX / 2;
      }
      if (x >= x0 && x <= x1) hits.push({ row: drawn.row, item, lane: drawn.lanes[i] });
    });
    return hits.sort((a, b) => (b.lane === pointerLane) - (a.lane === pointerLane) || a.item.start_ms - b.item.start_ms);
  }

  showTooltip(event, t, hits, { scrub = false, pinned = false } = {}) {
    const shown = hits.slice(0, TOOLTIP_HITS);
    const lines = shown.map(({ row, item }) => (pinned
      ? h("button", { type: "button", class: "tl-go", onclick: () => this.goTo(row, item) },
          `Go to ${this.describe(row, item)}`)
      : h("span", {}, this.describe(row, item))));
    if (hits.length > shown.length) lines.push(h("span", { class: "tl-more" }, `and ${hits.length - shown.length} more here`));
    if (!pinned && hits.length && !scrub) lines.push(h("span", { class: "tl-hint" }, "Double-click: go to its start"));
    this.tooltip.replaceChildren(
      this.preview && (scrub || !hits.length || event.pointerType === "mouse") ? this.preview(t) : "",
      h("span", { class: "tl-time" }, clock(t, true)), ...lines);
    this.tooltip.hidden = false;
    this.tooltip.classList.toggle("pinned", pinned);
    this.tooltip.setAttribute("aria-hidden", String(!pinned));
    this.pinned = pinned;
    clearTimeout(this.pinTimer);
    if (pinned) this.pinTimer = setTimeout(() => this.hideTooltip(), PINNED_MS);
    // above the pointer (a finger hides what is under it), inside the timeline's box
    const box = this.el.getBoundingClientRect();
    const width = this.tooltip.offsetWidth, height = this.tooltip.offsetHeight;
    const x = Math.max(0, Math.min(event.clientX - box.left - width / 2, box.width - width));
    let y = event.clientY - box.top - height - 14;
    if (y < 0) y = event.clientY - box.top + 18;
    this.tooltip.style.left = `${x}px`;
    this.tooltip.style.top = `${y}px`;
  }

  hideTooltip() {
    this.tooltip.hidden = true;
    this.pinned = false;
    clearTimeout(this.pinTimer);
  }

  maxZoom() {
    const width = this.scroller.clientWidth || 800;
    return Math.max(1, (this.duration / 1000) * PX_PER_SECOND_MAX / width);
  }

  zoomFromSlider(v) { return Math.exp((Math.log(this.maxZoom()) * v) / 100); }

  /** Zoom around a point of the screen (ctrl + wheel), else around the playhead: it stays
   * where it is when in view, else it comes to the middle. */
  setZoom(zoom, aroundClientX) {
    const max = this.maxZoom();
    const rect = this.scroller.getBoundingClientRect();
    let anchor = aroundClientX, t;
    if (anchor === undefined) {
      const x = rect.left + (this.now / this.duration) * this.inner.clientWidth - this.scroller.scrollLeft;
      anchor = x >= rect.left && x <= rect.right ? x : rect.left + this.scroller.clientWidth / 2;
      t = this.now;
    } else {
      t = this.timeAt(anchor);
    }
    this.zoom = Math.min(max, Math.max(1, zoom));
    this.inner.style.width = `${this.zoom * 100}%`;
    const fraction = max > 1 ? Math.log(this.zoom) / Math.log(max) : 0;
    this.zoomRange.value = String(Math.round(fraction * 100));
    const visibleS = (this.duration / 1000) / this.zoom;
    this.zoomRange.setAttribute("aria-valuetext", this.zoom <= 1 ? "whole video" : `${visibleS.toFixed(visibleS < 10 ? 1 : 0)} seconds visible`);
    this.drawRuler();
    this.scroller.scrollLeft = (t / this.duration) * this.inner.clientWidth - (anchor - rect.left);
  }

  setConfidence(value) {
    this.minConfidence = value;
    this.confidenceRange.value = String(value);
    this.confidenceOut.textContent = value ? `≥ ${Math.round(value * 100)} %` : "any";
    this.confidenceRange.setAttribute("aria-valuetext", value ? `at least ${Math.round(value * 100)} percent` : "any confidence");
    this.drawRows();
  }

  timeAt(clientX) {
    const rect = this.inner.getBoundingClientRect();
    return Math.max(0, Math.min(this.duration, ((clientX - rect.left) / rect.width) * this.duration));
  }

  describe(row, item) {
    const what = item.text ? `“${item.text.length > 80 ? `${item.text.slice(0, 77)}…` : item.text}”` : row.title;
    const conf = item.confidence != null ? ` · ${Math.round(item.confidence * 100)} %` : "";
    return `${what} · ${clock(item.start_ms, true)}–${clock(item.end_ms, true)}${conf}`;
  }

  drawRuler() {
    this.ruler?.remove();
    const width = (this.scroller.clientWidth || 800) * this.zoom;
    const seconds = this.duration / 1000;
    const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    const step = steps.find((s) => (s / seconds) * width >= 70) || 3600;
    const ticks = [];
    for (let s = 0; s <= seconds; s += step) {
      ticks.push(h("span", { class: "tick", style: { left: `${(s / seconds) * 100}%` } }, clock(s * 1000)));
    }
    this.ruler = h("div", { class: "tl-ruler", "aria-hidden": "true" }, ticks);
    this.inner.prepend(this.ruler);
  }

  /** The items of a row the confidence threshold keeps. */
  kept(row) {
    return row.items.filter((i) => !HAS_CONFIDENCE.has(row.kind) || i.confidence == null || i.confidence >= this.minConfidence);
  }

  label(row, key, selected, laneCount) {
    const label = h("div", { class: `tl-label kind-${row.kind}${selected ? " selected" : ""}`, role: "group",
                             "aria-label": `${KIND_WORD[row.kind]}: ${row.title}` },
      h("button", { type: "button", class: "row-select", "aria-pressed": String(selected), dataset: { focus: `select ${key}` },
                    title: `${KIND_WORD[row.kind]}: ${row.title} (select, then n / ] next, N / [ previous)`,
                    onclick: () => this.select(key) },
        h("span", { class: "visually-hidden" }, `${KIND_WORD[row.kind]}: `), row.title),
      h("button", { type: "button", class: "icon", dataset: { focus: `prev ${key}` }, "aria-label": `Previous ${noun(row)}`, title: `Previous ${noun(row)}`, onclick: () => this.onJump(row, "prev") }, "◀"),
      h("button", { type: "button", class: "icon", dataset: { focus: `next ${key}` }, "aria-label": `Next ${noun(row)}`, title: `Next ${noun(row)}`, onclick: () => this.onJump(row, "next") }, "▶"),
      this.rowActions?.(row) || [],
      h("button", { type: "button", class: "icon", "aria-label": `Hide the ${row.title} row`, title: "Hide this row", onclick: () => this.toggle(key, false) }, "×"));
    label.style.setProperty("--lanes", laneCount); // through the CSSOM: the page's CSP refuses style attributes
    return label;
  }

  drawRows() {
    // a label button pressed by keyboard keeps the focus through the redraw
    const focused = this.labels.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
    const visible = this.rows.filter((r) => !this.hidden.has(rowKey(r)));
    this.labels.replaceChildren(h("div", { class: "tl-label tl-ruler-label", "aria-hidden": "true" }));
    this.inner.replaceChildren(this.playhead);
    this.drawRuler();
    this.drawn.clear();
    for (const row of visible) {
      const key = rowKey(row);
      const selected = key === this.selected;
      const items = this.kept(row).slice().sort((a, b) => a.start_ms - b.start_ms);
      const laneOf = lanes(items);
      const laneCount = Math.max(1, ...laneOf.map((l) => l + 1));
      this.drawn.set(key, { row, items, lanes: laneOf });
      this.labels.append(this.label(row, key, selected, laneCount));
      const track = h("div", { class: `tl-row kind-${row.kind}${selected ? " selected" : ""}`, dataset: { row: key } },
        items.map((item, i) => h("div", {
          class: `seg${this.current && this.current.row === key && this.current.start === item.start_ms ? " current" : ""}`,
          style: { left: `${(item.start_ms / this.duration) * 100}%`,
                   width: `max(3px, ${((item.end_ms - item.start_ms) / this.duration) * 100}%)` },
          // sounds and segments: what each is (sounds.css colours them)
          dataset: { start: item.start_ms, lane: laneOf[i], ...(LABELLED.has(row.kind) ? { label: item.text } : {}) },
        })));
      track.style.setProperty("--lanes", laneCount);
      this.inner.append(track);
    }
    this.rowsMenu.replaceChildren(...this.rows.map((row) => {
      const key = rowKey(row);
      return h("label", { class: "check" }, h("input", { type: "checkbox", checked: !this.hidden.has(key),
        onchange: (event) => this.toggle(key, event.target.checked) }), ` ${row.title}`);
    }));
    const kept = this.rows.map((row) => ({ ...row, items: this.kept(row) }));
    const signature = kept.map((r) => `${rowKey(r)}=${r.title}=${r.items.length}`).join("|");
    if (signature !== this.insightsSignature || this.insights.rows?.length !== kept.length) {
      this.insightsSignature = signature;
      this.insights.update(kept, this.selected);
    } else {
      this.insights.setSelected(this.selected); // keeps its focus and open lists
    }
    if (focused) this.labels.querySelector(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }

  select(key) {
    this.selected = key;
    this.drawRows();
    this.onSelect?.(this.row(key));
  }

  toggle(key, show) {
    if (show) this.hidden.delete(key); else this.hidden.add(key);
    if (!show && this.selected === key) this.selected = this.selectedRow() ? rowKey(this.selectedRow()) : null;
    this.drawRows();
  }

  highlight(key, start) {
    this.current = { row: key, start };
    for (const el of this.inner.querySelectorAll(".seg.current")) el.classList.remove("current");
    const row = this.inner.querySelector(`.tl-row[data-row="${CSS.escape(key)}"]`);
    row?.querySelector(`.seg[data-start="${start}"]`)?.classList.add("current");
  }

  setTime(ms) {
    this.now = ms;
    const fraction = ms / this.duration;
    this.playhead.style.left = `${fraction * 100}%`;
    if (this.zoom > 1 && !this.drag) { // keep the playhead in view while playing
      const x = fraction * this.inner.clientWidth;
      const { scrollLeft, clientWidth } = this.scroller;
      if (x < scrollLeft || x > scrollLeft + clientWidth - 20) this.scroller.scrollLeft = x - clientWidth / 3;
    }
  }
}

export { HAS_CONFIDENCE };
