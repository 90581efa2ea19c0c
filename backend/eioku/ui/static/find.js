// Find in this video: words spoken (transcript), shown on screen (OCR), or both
// (stems and prefixes match: "invoices", "contract" finds "contractor"; a phrase may
// run on to the next line); or by meaning (GET /v1/search, hybrid, this video):
// speech, screen text and shots ranked by how well they match, walked best first.
// Enter after the last match wraps to the first (shift+Enter: before the first, to
// the last), and says so.
import { api, q } from "./api.js";
import { clock, h, snippet, toast } from "./dom.js";
import { strengthMark } from "./search.js";

const BADGES = { transcript: "speech", ocr: "on screen", shot: "shot", picture: "picture", object: "object", place: "place", face: "person" };

export class FindPanel {
  constructor(videoId, { land, position, onQuery }) {
    this.id = videoId;
    this.land = land;
    this.position = position;
    this.onQuery = onQuery;
    this.query = "";
    this.source = h("select", { id: "find-source", name: "source" },
      h("option", { value: "all" }, "speech and screen"), h("option", { value: "transcript" }, "speech"),
      h("option", { value: "ocr" }, "on-screen text"), h("option", { value: "meaning" }, "meaning (best first)"));
    this.input = h("input", { id: "find-q", type: "search", name: "q", autocomplete: "off", placeholder: "invoice" });
    this.status = h("p", { class: "find-status", role: "status" });
    this.list = h("ol", { class: "matches" });
    // Enter submits: the next match (shift+Enter: the previous one)
    const form = h("form", { class: "find-form", role: "search", onsubmit: (event) => {
      event.preventDefault();
      this.submit("next");
    } },
    h("label", { for: "find-q" }, "Find"), this.input,
    h("label", { for: "find-source" }, "in"), this.source,
    h("button", { type: "button", onclick: () => this.submit("prev") }, "Previous match"),
    h("button", { type: "submit" }, "Next match"));
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.shiftKey) { event.preventDefault(); this.submit("prev"); }
    });
    // a new source searches for what the box holds now (not the query before it)
    this.source.addEventListener("change", () => {
      const text = this.input.value.trim();
      if (text) this.search(text, { move: false });
    });
    this.el = h("section", { class: "find", "aria-labelledby": "find-h" }, h("h2", { id: "find-h" }, "Find in this video"),
      form, this.status, this.list);
  }

  async submit(direction) {
    const text = this.input.value.trim();
    if (!text) return;
    if (text !== this.query) await this.search(text, { move: false });
    await this.step(direction);
  }

  /** Ranked moments of this video for a query in one's own words. */
  async meaning(text) {
    const { hits } = await api(`/v1/search${q({ q: text, mode: "hybrid", scope: "video", video_id: this.id, limit: 50 })}`);
    return hits.map((hit, i) => ({ artifact_id: `hit-${i}`, source: hit.source, snippet: hit.snippet, strength: hit.strength,
                                    jump_to: { start_ms: hit.start_ms, end_ms: hit.end_ms } }));
  }

  /** List every match (from the start, or best first by meaning) and remember the query. */
  async search(text, { move }) {
    this.query = text;
    this.input.value = text;
    this.onQuery(text);
    this.ranked = null;
    try {
      const { matches } = this.source.value === "meaning" ? { matches: this.ranked = await this.meaning(text) }
        : await api(`/v1/videos/${this.id}/find${q({ q: text, source: this.source.value, limit: 200 })}`);
      const none = this.ranked ? `Nothing relevant for “${text}”` : `No match for “${text}”`;
      this.status.textContent = matches.length ? `${matches.length}${matches.length === 200 ? "+" : ""} match${matches.length === 1 ? "" : "es"}` : none;
      this.list.replaceChildren(...matches.map((m) => h("li", {}, h("button", { type: "button", class: "match",
        onclick: () => this.land({ start_ms: m.jump_to.start_ms, end_ms: m.jump_to.end_ms, source: m.source }) },
      h("span", { class: "at" }, clock(m.jump_to.start_ms)), " ",
      h("span", { class: `badge badge-${m.source}` }, BADGES[m.source] || m.source), " ",
      m.strength ? strengthMark(m.strength) : "", m.strength ? " " : "",
      snippet(m.snippet)))));
      for (const [i, m] of matches.entries()) { this.list.children[i].firstChild._match = m; }
      if (move) await this.step("next");
    } catch (error) {
      this.status.textContent = error.message;
      this.list.replaceChildren();
    }
  }

  /** Tell in the status line (read out) and as a toast. */
  say(message) {
    this.status.textContent = message;
    toast(message);
  }

  async step(direction) {
    if (!this.query) return;
    if (this.ranked) { this.stepRanked(direction); return; }
    try {
      const { matches } = await api(`/v1/videos/${this.id}/find${q({ q: this.query, source: this.source.value, direction,
                                                                       from_ms: this.position(direction), limit: 1 })}`);
      let m = matches[0];
      if (!m) { // past the last (or before the first): wrap around, and say so
        const { matches: around } = await api(`/v1/videos/${this.id}/find${q({ q: this.query, source: this.source.value, direction, limit: 1 })}`);
        if (!around.length) { this.say(`No match for “${this.query}”`); return; }
        m = around[0];
        this.say(direction === "next" ? "Wrapped to the start" : "Wrapped to the end");
      }
      this.land({ start_ms: m.jump_to.start_ms, end_ms: m.jump_to.end_ms, source: m.source === "ocr" ? "ocr" : "transcript" });
      for (const button of this.list.querySelectorAll("button.match")) {
        const mine = button._match && button._match.artifact_id === m.artifact_id;
        if (mine) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
      }
    } catch (error) { toast(error.message, "error"); }
  }

  /** By meaning, "next" is the next best moment, not the next in time. */
  stepRanked(direction) {
    const buttons = [...this.list.querySelectorAll("button.match")];
    const at = buttons.findIndex((b) => b.getAttribute("aria-current") === "true");
    if (!this.ranked.length) { this.say(`Nothing relevant for “${this.query}”`); return; }
    let next = direction === "next" ? at + 1 : at - 1;
    if (next >= this.ranked.length) { next = 0; this.say("Wrapped to the best match"); }
    if (next < 0) { next = this.ranked.length - 1; this.say("Wrapped to the last match"); }
    const m = this.ranked[next];
    this.land({ start_ms: m.jump_to.start_ms, end_ms: m.jump_to.end_ms, source: m.source });
    buttons.forEach((b, i) => { if (i === next) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current"); });
  }
}
