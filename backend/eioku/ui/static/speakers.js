// Who speaks: the timeline's speaker rows (one per speaker, its turns as items) give each
// transcript line its speaker — the one whose turn holds the line's middle — and each
// speaker a colour, the same wherever it shows. Colours are dark enough for text on the
// panels (contrast >= 4.5:1 on white).
const COLOURS = ["#1d4ed8", "#b91c1c", "#047857", "#7e22ce", "#b45309", "#0e7490", "#be185d", "#4d7c0f"];

export class Speakers {
  /** rows: timeline rows of kind "speaker" (title: the name shown, items: its turns). */
  constructor(rows = []) {
    // colours by first turn, so a video's first speaker is always the first colour
    this.rows = [...rows].sort((a, b) => (a.items[0]?.start_ms ?? 0) - (b.items[0]?.start_ms ?? 0));
    this.turns = this.rows.flatMap((row, i) => row.items.map((t) => ({ ...t, who: i })))
      .sort((a, b) => a.start_ms - b.start_ms);
  }

  get any() { return this.turns.length > 0; }

  /** The speaker of [start, end) ({name, colour}), or null: the turn holding its middle,
   * else the one sharing most of it. */
  at(start, end) {
    if (!this.turns.length) return null;
    const middle = (start + end) / 2;
    let best = null, most = 0;
    for (const t of this.turns) {
      if (t.start_ms > end) break;
      if (t.start_ms <= middle && middle < t.end_ms) { best = t.who; break; }
      const shared = Math.min(t.end_ms, end) - Math.max(t.start_ms, start);
      if (shared > most) { most = shared; best = t.who; }
    }
    return best === null ? null : { name: this.rows[best].title, colour: COLOURS[best % COLOURS.length] };
  }

  colourOf(key) {
    const i = this.rows.findIndex((r) => r.key === key);
    return i < 0 ? null : COLOURS[i % COLOURS.length];
  }
}
