// The transcript panel: lines follow playback; click a line to go there.
import { clock, h } from "./dom.js";

export class Transcript {
  constructor(items, onSeek) {
    this.onSeek = onSeek;
    this.follow = h("input", { id: "transcript-follow", type: "checkbox", checked: true });
    this.list = h("ol", { class: "transcript-lines" });
    this.el = h("section", { class: "transcript", "aria-labelledby": "transcript-h" },
      h("div", { class: "panel-head" }, h("h2", { id: "transcript-h" }, "Transcript"),
        h("label", { class: "check" }, this.follow, " Follow playback")),
      h("div", { class: "transcript-scroll", role: "region", tabindex: "0", "aria-label": "Transcript lines" }, this.list));
    this.setItems(items);
  }

  /** empty: what the panel says without a line ("No speech found.", "Speech is being analysed…"). */
  setItems(items, empty = this.empty ?? "No speech found.") {
    this.items = items;
    this.empty = empty;
    this.current = -1;
    this.list.replaceChildren(...(items.length ? items.map((item) => h("li", {},
      h("button", { type: "button", class: "line", onclick: () => this.onSeek(item.start_ms) },
        h("span", { class: "at" }, clock(item.start_ms)), " ", item.text))) : [h("li", { class: "muted transcript-empty" }, empty)]));
  }

  setTime(ms) {
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
