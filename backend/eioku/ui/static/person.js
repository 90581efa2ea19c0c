// One person's page (/people/{id}): their name (renameable), every appearance
// across the library by video with a picture of each, played in order (a queue
// the player follows), and merging by choosing other people's faces.
import { api, q } from "./api.js";
import { clock, h, toast } from "./dom.js";
import { playQueue } from "./queue.js";
import { useStyles } from "./styles.js";
import { personVoices } from "./voices.js";

const PAGE = 200;  // appearances asked for at a time
const QUEUE_MAX = 2000;  // appearances "Play all" queues

const enc = encodeURIComponent;
const faceUrl = (id) => `/v1/people/${enc(id)}/face.jpg`;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** People by name, or by id until they have one. */
export const shown = (p) => p.name || p.cluster_id;
/** "Bob", "Bob and Carol", "Bob, Carol and person-9" */
export const joined = (names) => names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;

export async function render(main, { id }) {
  useStyles("pages.css");
  const person = await api(`/v1/people/${enc(id)}`);
  if (person.cluster_id !== id) history.replaceState(null, "", `/people/${enc(person.cluster_id)}`);
  document.title = `${shown(person)} · People · Eioku`;
  const page = new PersonPage(main, person);
  await page.draw();
}

class PersonPage {
  constructor(main, person) {
    this.main = main;
    this.person = person;
  }

  get id() { return this.person.cluster_id; }

  async draw() {
    const first = await api(`/v1/people/${enc(this.id)}/appearances${q({ limit: PAGE })}`);
    this.total = first.total;
    this.loaded = first.appearances;
    this.groups = h("div", { class: "person-videos" });
    this.more = h("button", { type: "button", onclick: () => this.loadMore() }, "Show more appearances");
    this.count = h("p", { class: "person-count" });
    this.main.replaceChildren(
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "/people" }, "People"), " › ", h("span", { "aria-current": "page" }, shown(this.person))),
      this.head(first),
      await personVoices(this.person),
      h("section", { "aria-labelledby": "appearances-h" },
        h("h2", { id: "appearances-h" }, "Appearances"), this.count, this.groups, this.more),
      await this.mergeSection(),
      this.mergedSection());
    this.drawAppearances();
  }

  head(first) {
    const name = h("input", { id: "person-name", name: "name", type: "text", value: this.person.name || "",
                              maxlength: 100, autocomplete: "off", placeholder: "e.g. Alice" });
    const rename = h("form", { class: "inline-form", onsubmit: async (event) => {
      event.preventDefault();
      const before = shown(this.person);
      try {
        this.person = await api(`/v1/people/${enc(this.id)}`, { method: "PATCH", body: { name: name.value } });
        toast(this.person.name ? `${before} is now called ${this.person.name}` : `${before}'s name removed`);
        await this.draw();
        document.getElementById("person-name")?.focus();
      } catch (error) { toast(error.message, "error"); }
    } }, h("label", { for: "person-name" }, "Name"), name, h("button", { type: "submit" }, "Save name"));
    const play = h("button", { type: "button", class: "primary", disabled: !first.total, onclick: () => this.playAll(0) },
      first.total === 1 ? "Play the appearance" : `Play all ${plural(first.total, "appearance")}`);
    return h("header", { class: "person-head" },
      h("img", { src: faceUrl(this.id), alt: `Face of ${shown(this.person)}`, width: 120, height: 120, class: "person-face" }),
      h("div", {},
        h("h1", {}, shown(this.person)),
        this.person.name ? h("p", { class: "muted" }, this.id) : null,
        h("p", {}, `${plural(first.total, "appearance")} in ${plural(first.videos, "video")}`),
        rename, play));
  }

  async loadMore() {
    const next = await api(`/v1/people/${enc(this.id)}/appearances${q({ limit: PAGE, offset: this.loaded.length })}`);
    this.loaded.push(...next.appearances);
    this.total = next.total;
    this.drawAppearances();
    this.groups.querySelectorAll(".appearance a")[this.loaded.length - next.appearances.length]?.focus();
  }

  drawAppearances() {
    const byVideo = new Map();
    this.loaded.forEach((a, index) => {
      if (!byVideo.has(a.video_id)) byVideo.set(a.video_id, []);
      byVideo.get(a.video_id).push({ ...a, index });
    });
    this.groups.replaceChildren(...[...byVideo.values()].map((items) => this.videoGroup(items)));
    if (!this.loaded.length) this.groups.append(h("p", {}, "No appearance in a completed analysis."));
    this.count.textContent = this.loaded.length < this.total
      ? `Showing ${this.loaded.length} of ${this.total}` : plural(this.total, "appearance");
    this.more.hidden = this.loaded.length >= this.total;
  }

  videoGroup(items) {
    const v = items[0];
    const headId = `video-${v.video_id}-${v.index}`;
    return h("section", { class: "person-video", "aria-labelledby": headId },
      h("h3", { id: headId }, h("a", { href: `/videos/${v.video_id}` }, v.title),
        h("span", { class: "muted" }, ` · ${plural(items.length, "appearance")}${v.duration_ms ? ` · ${clock(v.duration_ms)} long` : ""}`)),
      h("ol", { class: "appearances" }, items.map((a) => this.appearance(a))));
  }

  appearance(a) {
    const span = `${clock(a.start_ms)}–${clock(a.end_ms)}`;
    return h("li", { class: "appearance" },
      h("a", { href: `/videos/${a.video_id}${q({ t: (a.start_ms / 1000).toFixed(3) })}`,
               "aria-label": `Play ${span} in ${a.title}`,
               onclick: (event) => {
                 if (event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
                 event.preventDefault();
                 this.playAll(a.index);
               } },
        h("img", { src: `/v1/videos/${a.video_id}/thumbnail${q({ t_ms: a.start_ms, width: 160 })}`, alt: "",
                   width: 160, height: 90, loading: "lazy" }),
        h("span", { class: "appearance-time" }, span)));
  }

  /** Queue every appearance (from the server, past the loaded page) and play from ``index``. */
  async playAll(index) {
    let items = this.loaded;
    while (items.length < Math.min(this.total, QUEUE_MAX)) {
      const next = await api(`/v1/people/${enc(this.id)}/appearances${q({ limit: 1000, offset: items.length })}`);
      if (!next.appearances.length) break;
      items = items.concat(next.appearances);
    }
    playQueue(shown(this.person), items.slice(0, QUEUE_MAX).map((a) => ({
      video_id: a.video_id, title: a.title, start_ms: a.start_ms, end_ms: a.end_ms })), index);
  }

  async mergeSection() {
    const { people } = await api("/v1/people?limit=500");
    const others = people.filter((p) => p.cluster_id !== this.id);
    const name = shown(this.person);
    const section = h("section", { class: "merge-faces", "aria-labelledby": "merge-h" },
      h("h2", { id: "merge-h" }, `Also ${name}?`));
    if (!others.length) {
      section.append(h("p", { class: "muted" }, "Nobody else has been recognised yet."));
      return section;
    }
    const button = h("button", { type: "submit", disabled: true }, "Merge");
    const picks = others.map((p) => h("input", { type: "checkbox", name: "merge", value: p.cluster_id,
                                                 id: `pick-${p.cluster_id}`, onchange: () => update() }));
    const update = () => {
      const n = picks.filter((c) => c.checked).length;
      button.disabled = n === 0;
      button.textContent = n ? `Merge ${plural(n, "person", "people")} into ${name}` : "Merge";
    };
    const form = h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const chosen = others.filter((_, i) => picks[i].checked);
      const names = joined(chosen.map(shown));
      if (!window.confirm(`Merge ${names} into ${name}? Every face of theirs becomes ${name}'s, in every video. You can undo this.`)) return;
      const done = [];
      try {
        for (const p of chosen) {
          await api(`/v1/people/${enc(p.cluster_id)}/merge`, { method: "POST", body: { into: this.id } });
          done.push(shown(p));
        }
        toast(`Merged ${joined(done)} into ${name}`);
      } catch (error) {
        toast(`${done.length ? `Merged ${joined(done)} into ${name}; ` : ""}${error.message}`, "error");
      }
      this.person = await api(`/v1/people/${enc(this.id)}`);
      await this.draw();
    } },
    h("p", { class: "muted" }, `Choose the faces that are ${name} too: they are merged into ${name} (undo below).`),
    h("ul", { class: "face-picks" }, others.map((p, i) => h("li", {},
      picks[i],
      h("label", { for: `pick-${p.cluster_id}` },
        h("img", { src: faceUrl(p.cluster_id), alt: "", width: 96, height: 96, loading: "lazy" }),
        h("span", { class: "pick-name" }, shown(p)),
        h("span", { class: "muted" }, plural(p.videos, "video")))))),
    button);
    section.append(form);
    return section;
  }

  mergedSection() {
    const merged = this.person.merged_people || [];
    if (!merged.length) return "";
    const name = shown(this.person);
    return h("section", { "aria-labelledby": "merged-h" },
      h("h2", { id: "merged-h" }, `Merged into ${name}`),
      h("ul", { class: "merged-list" }, merged.map((m) => {
        const label = m.name ? `${m.name} (${m.cluster_id})` : m.cluster_id;
        return h("li", {}, label, " ", h("button", { type: "button", class: "link-button", onclick: async () => {
          try {
            await api(`/v1/people/${enc(m.cluster_id)}/unmerge`, { method: "POST" });
            toast(`${m.name || m.cluster_id} is a separate person again`);
            this.person = await api(`/v1/people/${enc(this.id)}`);
            await this.draw();
          } catch (error) { toast(error.message, "error"); }
        } }, `Separate ${m.name || m.cluster_id} again`));
      })));
  }
}
