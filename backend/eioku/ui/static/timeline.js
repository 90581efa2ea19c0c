// The timeline: one row per kind and label on the player's clock.
// Rows come from GET /v1/videos/{id}/timeline; each row's kind/key are a jump's kind/label.
import { clock, h } from "./dom.js";

const HAS_CONFIDENCE = new Set(["object", "face", "place"]);
const PX_PER_SECOND_MAX = 200; // fully zoomed in, a second is this wide

export const rowKey = (row) => `${row.kind}:${row.key ?? ""}`;

const KIND_WORD = { scene: "Scene", face: "Person", object: "Object", place: "Place", transcript: "Speech", ocr: "On-screen text" };

/** What one hit of a row is called: "scene", "Alice", "cat", "speech line". */
export function noun(row) {
  return { scene: "scene", transcript: "speech line", ocr: "on-screen text" }[row.kind] || row.title;
}

export class Timeline {
  constructor({ durationMs, rows, onSeek, onJump, onSelect, preview }) {
    this.duration = Math.max(1, durationMs || 1);
    this.rows = rows;
    this.onSeek = onSeek;
    this.onJump = onJump;
    this.onSelect = onSelect;
    this.preview = preview;
    this.zoom = 1;
    this.minConfidence = 0;
    this.hidden = new Set();
    this.selected = rows.length ? rowKey(rows[0]) : null;
    this.current = null;
    this.el = h("section", { class: "timeline", "aria-labelledby": "timeline-h" });
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
    const confidenceOut = h("output", { for: "tl-confidence" }, "any");
    confidence.addEventListener("input", () => {
      this.minConfidence = Number(confidence.value);
      const text = this.minConfidence ? `≥ ${Math.round(this.minConfidence * 100)} %` : "any";
      confidenceOut.textContent = text;
      confidence.setAttribute("aria-valuetext", this.minConfidence ? `at least ${Math.round(this.minConfidence * 100)} percent` : "any confidence");
      this.drawRows();
    });
    this.rowsMenu = h("div", { class: "rows-menu" });
    const toolbar = h("div", { class: "tl-toolbar" },
      h("h2", { id: "timeline-h" }, "Timeline"),
      h("div", { class: "tl-group" },
        h("button", { type: "button", onclick: () => this.setZoom(this.zoom / 2) }, "Zoom out"),
        h("label", { for: "tl-zoom" }, "Zoom"), zoomRange,
        h("button", { type: "button", onclick: () => this.setZoom(this.zoom * 2) }, "Zoom in"),
        h("button", { type: "button", onclick: () => this.setZoom(1) }, "Whole video")),
      h("div", { class: "tl-group" }, h("label", { for: "tl-confidence" }, "Minimum confidence"), confidence, confidenceOut),
      h("details", { class: "tl-rows" }, h("summary", {}, "Rows"), this.rowsMenu));
    this.labels = h("div", { class: "tl-labels" });
    this.inner = h("div", { class: "tl-inner" });
    this.scroller = h("div", { class: "tl-scroll", role: "region", tabindex: "0", "aria-label": "Timeline rows (scroll sideways when zoomed in)" }, this.inner);
    this.playhead = h("div", { class: "tl-playhead", "aria-hidden": "true" });
    this.tooltip = h("div", { class: "tl-tooltip", hidden: true, "aria-hidden": "true" });
    this.el.append(toolbar, h("div", { class: "tl-body" }, this.labels, this.scroller), this.tooltip);
    this.inner.addEventListener("click", (event) => {
      const seg = event.target.closest(".seg");
      this.onSeek(seg ? Number(seg.dataset.start) : this.timeAt(event.clientX));
    });
    this.inner.addEventListener("mousemove", (event) => this.hover(event));
    this.inner.addEventListener("mouseleave", () => { this.tooltip.hidden = true; });
    this.scroller.addEventListener("wheel", (event) => {
      if (!event.ctrlKey) return; // ctrl + wheel zooms around the pointer
      event.preventDefault();
      this.setZoom(this.zoom * (event.deltaY < 0 ? 1.25 : 0.8), event.clientX);
    }, { passive: false });
    this.drawRows();
  }

  maxZoom() {
    const width = this.scroller.clientWidth || 800;
    return Math.max(1, (this.duration / 1000) * PX_PER_SECOND_MAX / width);
  }

  zoomFromSlider(v) { return Math.exp((Math.log(this.maxZoom()) * v) / 100); }

  setZoom(zoom, aroundClientX) {
    const max = this.maxZoom();
    const anchor = aroundClientX ?? (this.scroller.getBoundingClientRect().left + this.scroller.clientWidth / 2);
    const t = this.timeAt(anchor);
    this.zoom = Math.min(max, Math.max(1, zoom));
    this.inner.style.width = `${this.zoom * 100}%`;
    const fraction = max > 1 ? Math.log(this.zoom) / Math.log(max) : 0;
    this.zoomRange.value = String(Math.round(fraction * 100));
    const visibleS = (this.duration / 1000) / this.zoom;
    this.zoomRange.setAttribute("aria-valuetext", this.zoom <= 1 ? "whole video" : `${visibleS.toFixed(visibleS < 10 ? 1 : 0)} seconds visible`);
    this.drawRuler();
    const rect = this.scroller.getBoundingClientRect();
    this.scroller.scrollLeft = (t / this.duration) * this.inner.clientWidth - (anchor - rect.left);
  }

  timeAt(clientX) {
    const rect = this.inner.getBoundingClientRect();
    return Math.max(0, Math.min(this.duration, ((clientX - rect.left) / rect.width) * this.duration));
  }

  hover(event) {
    const seg = event.target.closest(".seg");
    const t = this.timeAt(event.clientX);
    this.tooltip.replaceChildren(
      this.preview ? this.preview(t) : "",
      h("span", {}, seg ? seg.dataset.describe : clock(t, true)));
    this.tooltip.hidden = false;
    const box = this.el.getBoundingClientRect();
    const x = Math.min(event.clientX - box.left + 12, box.width - 200);
    this.tooltip.style.left = `${Math.max(0, x)}px`;
    this.tooltip.style.top = `${event.clientY - box.top + 16}px`;
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

  drawRows() {
    const visible = this.rows.filter((r) => !this.hidden.has(rowKey(r)));
    this.labels.replaceChildren(h("div", { class: "tl-label tl-ruler-label", "aria-hidden": "true" }));
    this.inner.replaceChildren(this.playhead);
    this.drawRuler();
    for (const row of visible) {
      const key = rowKey(row);
      const selected = key === this.selected;
      this.labels.append(h("div", { class: `tl-label kind-${row.kind}${selected ? " selected" : ""}`, role: "group", "aria-label": `${KIND_WORD[row.kind]}: ${row.title}` },
        h("button", { type: "button", class: "row-select", "aria-pressed": String(selected),
                      title: `${KIND_WORD[row.kind]}: ${row.title} (select, then n / ] next, N / [ previous)`,
                      onclick: () => this.select(key) },
          h("span", { class: "visually-hidden" }, `${KIND_WORD[row.kind]}: `), row.title),
        h("button", { type: "button", class: "icon", "aria-label": `Previous ${noun(row)}`, title: `Previous ${noun(row)}`, onclick: () => this.onJump(row, "prev") }, "◀"),
        h("button", { type: "button", class: "icon", "aria-label": `Next ${noun(row)}`, title: `Next ${noun(row)}`, onclick: () => this.onJump(row, "next") }, "▶"),
        h("button", { type: "button", class: "icon", "aria-label": `Hide the ${row.title} row`, title: "Hide this row", onclick: () => this.toggle(key, false) }, "×")));
      const items = row.items.filter((i) => !HAS_CONFIDENCE.has(row.kind) || i.confidence == null || i.confidence >= this.minConfidence);
      this.inner.append(h("div", { class: `tl-row kind-${row.kind}${selected ? " selected" : ""}`, dataset: { row: key } },
        items.map((item) => h("div", {
          class: `seg${this.current && this.current.row === key && this.current.start === item.start_ms ? " current" : ""}`,
          style: { left: `${(item.start_ms / this.duration) * 100}%`,
                   width: `max(3px, ${((item.end_ms - item.start_ms) / this.duration) * 100}%)` },
          dataset: { start: item.start_ms, describe: this.describe(row, item) },
        }))));
    }
    this.rowsMenu.replaceChildren(...this.rows.map((row) => {
      const key = rowKey(row);
      return h("label", { class: "check" }, h("input", { type: "checkbox", checked: !this.hidden.has(key),
        onchange: (event) => this.toggle(key, event.target.checked) }), ` ${row.title}`);
    }));
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
    const fraction = ms / this.duration;
    this.playhead.style.left = `${fraction * 100}%`;
    if (this.zoom > 1) { // keep the playhead in view while playing
      const x = fraction * this.inner.clientWidth;
      const { scrollLeft, clientWidth } = this.scroller;
      if (x < scrollLeft || x > scrollLeft + clientWidth - 20) this.scroller.scrollLeft = x - clientWidth / 3;
    }
  }
}

export { HAS_CONFIDENCE };
