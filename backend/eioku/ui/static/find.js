// Find in this video: words spoken (transcript), shown on screen (OCR), or both.
import { api, q } from "./api.js";
import { clock, h, snippet, toast } from "./dom.js";

export class FindPanel {
  constructor(videoId, { land, position, onQuery }) {
    this.id = videoId;
    this.land = land;
    this.position = position;
    this.onQuery = onQuery;
    this.query = "";
    this.source = h("select", { id: "find-source", name: "source" },
      h("option", { value: "all" }, "speech and screen"), h("option", { value: "transcript" }, "speech"),
      h("option", { value: "ocr" }, "on-screen text"));
    this.input = h("input", { id: "find-q", type: "search", name: "q", autocomplete: "off", placeholder: "invoice" });
    this.status = h("p", { class: "find-status", role: "status" });
    this.list = h("ol", { class: "matches" });
    // Enter submits: the next match (shift+Enter: the previous one)
    const form = h("form", { class: "find-form", role: "search", onsubmit: (event) => {
      event.preventDefault();
      this.submit("next");
    } },
    h("label", { for: "find-q" }, "Find words"), this.input,
    h("label", { for: "find-source" }, "in"), this.source,
    h("button", { type: "button", onclick: () => this.submit("prev") }, "Previous match"),
    h("button", { type: "submit" }, "Next match"));
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.shiftKey) { event.preventDefault(); this.submit("prev"); }
    });
    this.source.addEventListener("change", () => { if (this.query) this.search(this.query, { move: false }); });
    this.el = h("section", { class: "find", "aria-labelledby": "find-h" }, h("h2", { id: "find-h" }, "Find in this video"),
      form, this.status, this.list);
  }

  async submit(direction) {
    const text = this.input.value.trim();
    if (!text) return;
    if (text !== this.query) await this.search(text, { move: false });
    await this.step(direction);
  }

  /** List every match (from the start) and remember the query. */
  async search(text, { move }) {
    this.query = text;
    this.input.value = text;
    this.onQuery(text);
    try {
      const { matches } = await api(`/v1/videos/${this.id}/find${q({ q: text, source: this.source.value, limit: 200 })}`);
      this.status.textContent = matches.length ? `${matches.length}${matches.length === 200 ? "+" : ""} match${matches.length === 1 ? "" : "es"}` : `No match for “${text}”`;
      this.list.replaceChildren(...matches.map((m) => h("li", {}, h("button", { type: "button", class: "match",
        onclick: () => this.land({ start_ms: m.jump_to.start_ms, end_ms: m.jump_to.end_ms, source: m.source }) },
      h("span", { class: "at" }, clock(m.jump_to.start_ms)), " ",
      h("span", { class: `badge badge-${m.source}` }, m.source === "ocr" ? "on screen" : "speech"), " ",
      snippet(m.snippet)))));
      for (const [i, m] of matches.entries()) { this.list.children[i].firstChild._match = m; }
      if (move) await this.step("next");
    } catch (error) {
      this.status.textContent = error.message;
      this.list.replaceChildren();
    }
  }

  async step(direction) {
    if (!this.query) return;
    try {
      const { matches } = await api(`/v1/videos/${this.id}/find${q({ q: this.query, source: this.source.value, direction,
                                                                       from_ms: this.position(direction), limit: 1 })}`);
      if (!matches.length) { toast(`No ${direction === "next" ? "further" : "earlier"} match for “${this.query}”`); return; }
      const m = matches[0];
      this.land({ start_ms: m.jump_to.start_ms, end_ms: m.jump_to.end_ms, source: m.source === "ocr" ? "ocr" : "transcript" });
      for (const button of this.list.querySelectorAll("button.match")) {
        const mine = button._match && button._match.artifact_id === m.artifact_id;
        if (mine) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
      }
    } catch (error) { toast(error.message, "error"); }
  }
}
