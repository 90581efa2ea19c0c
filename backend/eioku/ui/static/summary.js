// The summary card (Azure Video Indexer's insights panel): what the video is about at a
// glance, from GET /v1/videos/{id}/summary — chapters, people with screen and talk time,
// speakers, names and terms said or shown, sounds, intro/credits and other segments, and
// languages. A section shows only when its stage found something; moments are buttons
// that go there.
import { api } from "./api.js";
import { clock, h } from "./dom.js";
import { useStyles } from "./styles.js";

const TOP = 6;
const TYPE_WORDS = { person: "person", org: "organisation", place: "place", date: "date", amount: "amount" };
const SEGMENT_WORDS = { intro: "intro", credits: "credits", black: "black screen", silence: "silence", colour_bars: "colour bars" };
/** "0:01–0:05", or one time when both ends read the same (a half-second black screen: "0:06"). */
const span = (start, end) => (clock(start) === clock(end) ? clock(start) : `${clock(start)}–${clock(end)}`);

function languageName(code) {
  try { return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code; } catch { return code; }
}

export class SummaryCard {
  constructor(videoId, { onGo }) {
    useStyles("summary.css");
    this.id = videoId;
    this.onGo = onGo;
    this.body = h("div", { class: "sum-body" });
    this.el = h("section", { class: "summary-card", "aria-labelledby": "summary-h", hidden: true },
      h("h2", { id: "summary-h" }, "Summary"), this.body);
  }

  async refresh() {
    let data;
    try { data = await api(`/v1/videos/${this.id}/summary`); } catch { return; }
    this.draw(data);
  }

  go(ms, label) {
    return h("button", { type: "button", class: "link-button sum-go", onclick: () => this.onGo(ms) }, label);
  }

  section(kind, title, entries) {
    if (!entries.length) return null;
    return h("div", { class: `sum-section sum-${kind}`, dataset: { section: kind } },
      h("h3", {}, title), h("ul", { class: "sum-list" }, entries.slice(0, TOP).map((e) => h("li", {}, e))));
  }

  draw(d) {
    const total = Math.max(1, d.duration_ms || 1);
    const pct = (ms) => `${Math.max(1, Math.round((ms / total) * 100))} %`;
    const sections = [
      d.chapters.length ? h("div", { class: "sum-section sum-chapters", dataset: { section: "chapters" } },
        h("h3", {}, "Chapters"),
        h("p", {}, `${d.chapters.length} ${d.chapters.length === 1 ? "chapter" : "chapters"}: `,
          d.chapters.map((c) => c.title).join(" · "))) : null,
      this.section("people", "People", d.people.map((p) => [
        this.go(p.first_ms, p.name || "Unnamed person"),
        ` on screen ${clock(p.screen_ms)} (${pct(p.screen_ms)})`,
        p.talk_ms ? `, talking ${clock(p.talk_ms)}` : ""])),
      this.section("speakers", "Speakers", d.speakers.map((s) => [
        s.first_ms == null ? h("span", { class: "sum-name" }, s.name) : this.go(s.first_ms, s.name),
        ` talks ${clock(s.talk_ms)} (${Math.round(s.share * 100)} % of the talk) in ${s.turns} ${s.turns === 1 ? "turn" : "turns"}`])),
      this.section("names", "Names", d.names.map((n) => [
        this.go(n.first_ms, n.name), ` ${TYPE_WORDS[n.type] || n.type} · ${n.mentions}×`])),
      this.section("terms", "Terms", d.terms.map((t) => [this.go(t.first_ms, t.name), ` ${t.mentions}×`])),
      this.section("sounds", "Sounds", d.sounds.map((s) => [
        this.go(s.first_ms, s.label), ` ${clock(s.total_ms)} (${pct(s.total_ms)})`])),
      this.section("segments", "Segments", d.segments.map((s) => [
        this.go(s.start_ms, SEGMENT_WORDS[s.type] || s.type.replaceAll("_", " ")), ` ${span(s.start_ms, s.end_ms)}`])),
      this.section("languages", "Languages", d.languages.map((l) => [
        h("span", { class: "sum-name" }, languageName(l.language)),
        ` ${l.source === "ocr" ? "on screen" : "spoken"} · ${l.lines} ${l.lines === 1 ? "line" : "lines"}`])),
    ].filter(Boolean);
    this.body.replaceChildren(...sections);
    this.el.hidden = !sections.length;
  }
}
