// "Skip intro" / "Skip credits" over the picture while the playhead is inside one of the
// video's typed segments (the timeline's "segment" row: items with text intro|credits, from
// the selected segments run). A real button: Tab reaches it, Enter/Space press it, a finger
// taps it (44 px tall); pressing it goes to the segment's end. It never takes the focus by
// itself; a polite status line says when it appears, once per segment.
import { h, spokenClock } from "./dom.js";
import { useStyles } from "./styles.js";

const SKIPPABLE = { intro: "Skip intro", credits: "Skip credits" };

export class SkipButton {
  constructor(onSkip) {
    useStyles("sounds.css");
    this.onSkip = onSkip;
    this.items = [];
    this.current = null;
    this.button = h("button", { type: "button", class: "skip-segment", onclick: () => this.skip() });
    this.said = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    this.el = h("div", { class: "skip-slot" }, this.button, this.said);
    this.button.hidden = true;
  }

  /** items: the segments row's items [{start_ms, end_ms, text}] (any type; only intro and credits skip). */
  setItems(items) {
    this.items = (items || []).filter((i) => SKIPPABLE[i.text] && i.end_ms > i.start_ms);
    this.current = null;
    this.announced = null;
    this.setTime(this.now ?? 0);
  }

  setTime(ms) {
    this.now = ms;
    // inside [start, end - 1 s): at the very end there is nothing left to skip
    const inside = this.items.find((i) => ms >= i.start_ms && ms < i.end_ms - 1000) || null;
    if (inside === this.current) return;
    this.current = inside;
    this.button.hidden = !inside;
    if (!inside) return;
    const what = SKIPPABLE[inside.text];
    this.button.textContent = what;
    this.button.setAttribute("aria-label", `${what}: go to ${spokenClock(inside.end_ms)}`);
    this.button.title = `${what} (to ${spokenClock(inside.end_ms)})`;
    this.button.dataset.type = inside.text;
    const key = `${inside.text}@${inside.start_ms}`;
    if (this.announced !== key) {
      this.announced = key;
      this.said.textContent = `${what} available`;
    }
  }

  skip() {
    if (!this.current) return;
    const to = this.current.end_ms;
    this.current = null;
    this.button.hidden = true;
    this.onSkip(to);
  }
}
