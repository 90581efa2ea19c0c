// The chapter list beside the video: each chapter of the selected chapters run (the
// timeline's "chapter" row: its items are the chapters, their text the titles) as a
// button that goes to its start; the chapter playing now is marked (aria-current).
// Hidden while the video has no chapters.
import { clock, h, spokenClock } from "./dom.js";
import { useStyles } from "./styles.js";

export class ChapterList {
  constructor(onGo) {
    useStyles("summary.css");
    this.onGo = onGo;
    this.items = [];
    this.list = h("ol", { class: "chapter-list" });
    this.el = h("section", { class: "chapters", "aria-labelledby": "chapters-h", hidden: true },
      h("h2", { id: "chapters-h" }, "Chapters"), this.list);
  }

  /** items: [{start_ms, end_ms, text}] in time order. */
  setItems(items) {
    this.items = items;
    this.current = -1;
    this.el.hidden = !items.length;
    this.list.replaceChildren(...items.map((item, n) => h("li", {},
      h("button", { type: "button", class: "chapter-go", dataset: { start: item.start_ms },
                    "aria-label": `Chapter ${n + 1}: ${item.text || ""}, at ${spokenClock(item.start_ms)}`,
                    onclick: () => this.onGo(item.start_ms) },
        h("span", { class: "at" }, clock(item.start_ms)), " ",
        h("span", { class: "chapter-title" }, item.text || `Chapter ${n + 1}`)))));
  }

  /** Mark the chapter that holds ``ms``. */
  setTime(ms) {
    let now = -1;
    this.items.forEach((item, n) => { if (item.start_ms <= ms) now = n; });
    if (now === this.current) return;
    this.current = now;
    this.list.querySelectorAll("button").forEach((b, n) => {
      if (n === now) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    });
  }
}
