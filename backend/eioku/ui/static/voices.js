// Voices across the library (/voices) and one voice (/voices/{id}): the speakers of
// every video matched into voices, like people for faces. Name a voice, merge two
// that are the same voice (and separate them again), link a voice to the person
// whose face it is (and undo the link: the rule never makes it again), see its
// talk time and turns, and play or open any turn. A linked voice and its person
// have one name: naming either names both.
import { api, q } from "./api.js";
import { clock, h, toast } from "./dom.js";
import { playQueue } from "./queue.js";
import { useStyles } from "./styles.js";

const enc = encodeURIComponent;
const PAGE = 200;  // turns asked for at a time
const QUEUE_MAX = 2000;  // turns "Play all" queues
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const personName = (p) => p.name || p.cluster_id;
/** "Bob (voice-2)" for a named voice, "voice-2" otherwise. */
const labelOf = (v) => v.shown_as !== v.voice_id ? `${v.shown_as} (${v.voice_id})` : v.voice_id;
// ids in element ids: voices are "voice-N" but a merged-away id may be anything the API says
const safe = (id) => String(id).replace(/[^A-Za-z0-9_-]/g, "_");

/** "3:20 talking · 12 turns · 2 videos" */
export function voiceStats(v) {
  return `${clock(v.talk_ms)} talking · ${plural(v.turns, "turn")} · ${plural(v.videos, "video")}`;
}

async function people() {
  try { return (await api("/v1/people?limit=500")).people; } catch { return []; }
}

export async function render(main, { id }) {
  useStyles("pages.css");
  useStyles("voices.css");
  if (id) return renderVoice(main, id);
  document.title = "Voices · Eioku";
  main.append(h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "/people" }, "People"), " › ", h("span", { "aria-current": "page" }, "Voices")),
    h("h1", {}, "Voices"),
    h("p", { class: "lede" }, "Everyone the speakers analyzer heard, matched across every video. Name a voice, merge two entries that are the same voice, and link a voice to the face it belongs to: a linked voice and its person share one name. Open a voice to play every turn."));
  const list = h("div", { class: "voices-list" });
  main.append(list);
  const fill = async (focusId) => {
    const [{ voices }, everyone] = await Promise.all([api("/v1/voices?limit=500"), people()]);
    if (!voices.length) {
      list.replaceChildren(h("p", {}, "No voices yet: analyse videos with the speakers analyzer."));
      return;
    }
    list.replaceChildren(...voices.map((v) => voiceCard(v, voices, everyone, fill)));
    if (focusId) document.getElementById(focusId)?.focus();
  };
  await fill();
}

/** Run an action, say what it did (or why it failed), then redraw. */
async function act(call, said, refresh, focusId) {
  try {
    const result = await call();
    toast(typeof said === "function" ? said(result) : said);
    await refresh(focusId);
    return result;
  } catch (error) {
    toast(error.message, "error");
    return null;
  }
}

function renameForm(v, refresh, prefix = "voice-name") {
  const fieldId = `${prefix}-${safe(v.voice_id)}`;
  const input = h("input", { id: fieldId, name: "name", type: "text", maxlength: 100, autocomplete: "off",
                             value: v.shown_as !== v.voice_id ? v.shown_as : "", placeholder: "e.g. Alice" });
  return h("form", { class: "inline-form", onsubmit: (event) => {
    event.preventDefault();
    const before = v.shown_as;
    act(() => api(`/v1/voices/${enc(v.voice_id)}`, { method: "PATCH", body: { name: input.value } }),
      (saved) => saved.shown_as !== saved.voice_id
        ? `${before} is now called ${saved.shown_as}${saved.person_id ? " (voice and face)" : ""}`
        : `${before}'s name removed`, refresh, fieldId);
  } },
  h("label", { for: fieldId }, v.person_id ? `Name for ${v.voice_id} and its person` : `Name for ${v.voice_id}`),
  input, h("button", { type: "submit" }, "Save name"));
}

/** Linked: the face, who, how, and undo; not linked: choose the person whose face it is. */
function linkPart(v, everyone, refresh, prefix = "voice-person") {
  const fieldId = `${prefix}-${safe(v.voice_id)}`;
  if (v.person_id) {
    const who = v.person_name || v.person_id;
    return h("div", { class: "voice-person" },
      h("img", { src: `/v1/people/${enc(v.person_id)}/face.jpg`, alt: `Face of ${who}`, width: 56, height: 56, loading: "lazy" }),
      h("p", {}, "Face: ", h("a", { href: `/people/${enc(v.person_id)}` }, who),
        h("span", { class: "muted" }, v.link === "user" ? " · linked by you" : " · linked automatically (on screen while this voice speaks)")),
      h("button", { type: "button", id: `unlink-${safe(v.voice_id)}`, onclick: () => act(
        () => api(`/v1/voices/${enc(v.voice_id)}/unlink`, { method: "POST" }),
        `${v.shown_as} is no longer ${who}'s voice; it will not be linked to ${who} again by itself`, refresh, fieldId) },
        `Not ${who}'s voice: unlink`));
  }
  if (!everyone.length) return h("p", { class: "muted" }, "No face to link: nobody has been recognised yet.");
  const select = h("select", { id: fieldId, name: "person" },
    everyone.map((p) => h("option", { value: p.cluster_id }, p.name ? `${p.name} (${p.cluster_id})` : p.cluster_id)));
  return h("form", { class: "inline-form", onsubmit: (event) => {
    event.preventDefault();
    const who = personName(everyone.find((p) => p.cluster_id === select.value) || { cluster_id: select.value });
    act(() => api(`/v1/voices/${enc(v.voice_id)}/link`, { method: "POST", body: { person: select.value } }),
      (linked) => `${v.shown_as} is ${who}'s voice: they are called ${linked.shown_as}`, refresh, `unlink-${safe(v.voice_id)}`);
  } }, h("label", { for: fieldId }, "Whose face is it?"), select, h("button", { type: "submit" }, "Link"));
}

function mergeForm(v, voices, refresh, prefix = "voice-merge") {
  const others = voices.filter((o) => o.voice_id !== v.voice_id);
  if (!others.length) return null;
  const fieldId = `${prefix}-${safe(v.voice_id)}`;
  const select = h("select", { id: fieldId, name: "into" }, others.map((o) => h("option", { value: o.voice_id }, labelOf(o))));
  return h("form", { class: "inline-form", onsubmit: (event) => {
    event.preventDefault();
    const into = others.find((o) => o.voice_id === select.value);
    if (!window.confirm(`Merge ${v.shown_as} into ${into.shown_as}? Everything ${v.shown_as} says becomes ${into.shown_as}'s, in every video. You can undo this.`)) return;
    act(() => api(`/v1/voices/${enc(v.voice_id)}/merge`, { method: "POST", body: { into: into.voice_id } }),
      `Merged ${v.shown_as} into ${into.shown_as}`, refresh);
  } }, h("label", { for: fieldId }, "Same voice as"), select, h("button", { type: "submit" }, "Merge"));
}

function mergedPart(v, refresh) {
  if (!v.merged_voices?.length) return null;
  return h("p", { class: "merged" }, "Includes ", v.merged_voices.map((m) => h("span", { class: "merged-id" }, m, " ",
    h("button", { type: "button", class: "link-button", onclick: () => act(
      () => api(`/v1/voices/${enc(m)}/unmerge`, { method: "POST" }), `${m} is a separate voice again`, refresh) },
    `Separate ${m} again`), " ")));
}

function voiceCard(v, voices, everyone, refresh) {
  const headId = `voice-${safe(v.voice_id)}-h`;
  return h("article", { class: "voice-card", "aria-labelledby": headId, dataset: { voice: v.voice_id } },
    h("h2", { id: headId }, h("a", { href: `/voices/${enc(v.voice_id)}` }, v.shown_as)),
    v.shown_as !== v.voice_id ? h("p", { class: "muted" }, v.voice_id) : null,
    h("p", { class: "voice-stats" }, voiceStats(v)),
    linkPart(v, everyone, refresh), renameForm(v, refresh), mergeForm(v, voices, refresh), mergedPart(v, refresh));
}

// ---- one voice ------------------------------------------------------------------------

async function renderVoice(main, id) {
  let voice = await api(`/v1/voices/${enc(id)}`);
  if (voice.voice_id !== id) history.replaceState(null, "", `/voices/${enc(voice.voice_id)}`);
  let loaded = [], total = 0, videos = 0;
  const draw = async (focusId) => {
    voice = await api(`/v1/voices/${enc(voice.voice_id)}`);  // merged away: the voice it joined
    if (!location.pathname.endsWith(`/${enc(voice.voice_id)}`)) history.replaceState(null, "", `/voices/${enc(voice.voice_id)}`);
    document.title = `${voice.shown_as} · Voices · Eioku`;
    const [first, everyone, { voices }] = await Promise.all([
      api(`/v1/voices/${enc(voice.voice_id)}/turns${q({ limit: PAGE })}`), people(), api("/v1/voices?limit=500")]);
    loaded = first.turns; total = first.total; videos = first.videos;
    const groups = h("div", { class: "person-videos" });
    const count = h("p", { class: "person-count" });
    const more = h("button", { type: "button", onclick: async () => {
      const next = await api(`/v1/voices/${enc(voice.voice_id)}/turns${q({ limit: PAGE, offset: loaded.length })}`);
      loaded.push(...next.turns);
      drawTurns();
      groups.querySelectorAll(".turn a")[loaded.length - next.turns.length]?.focus();
    } }, "Show more turns");
    const playAll = async (index) => {
      let items = loaded;
      while (items.length < Math.min(total, QUEUE_MAX)) {
        const next = await api(`/v1/voices/${enc(voice.voice_id)}/turns${q({ limit: 1000, offset: items.length })}`);
        if (!next.turns.length) break;
        items = items.concat(next.turns);
      }
      playQueue(voice.shown_as, items.slice(0, QUEUE_MAX).map((t) => ({
        video_id: t.video_id, title: t.title, start_ms: t.start_ms, end_ms: t.end_ms })), index);
    };
    const drawTurns = () => {
      const byVideo = new Map();
      loaded.forEach((t, index) => {
        if (!byVideo.has(t.video_id)) byVideo.set(t.video_id, []);
        byVideo.get(t.video_id).push({ ...t, index });
      });
      groups.replaceChildren(...[...byVideo.values()].map((items) => {
        const t0 = items[0];
        const headId = `turns-${t0.video_id}-${t0.index}`;
        return h("section", { class: "person-video", "aria-labelledby": headId },
          h("h3", { id: headId }, h("a", { href: `/videos/${t0.video_id}` }, t0.title),
            h("span", { class: "muted" }, ` · ${plural(items.length, "turn")} as ${t0.speaker}`)),
          h("ol", { class: "voice-turns" }, items.map((t) => {
            const span = `${clock(t.start_ms)}–${clock(t.end_ms)}`;
            return h("li", { class: "turn" }, h("a", {
              href: `/videos/${t.video_id}${q({ t: (t.start_ms / 1000).toFixed(3) })}`,
              "aria-label": `Play ${span} in ${t.title}${t.overlap ? ", with someone else talking" : ""}`,
              onclick: (event) => {
                if (event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
                event.preventDefault();
                playAll(t.index);
              } }, span, t.overlap ? h("span", { class: "muted" }, " · overlap") : ""));
          })));
      }));
      if (!loaded.length) groups.append(h("p", {}, "No turn in a video's selected speakers analysis."));
      count.textContent = loaded.length < total ? `Showing ${loaded.length} of ${total}` : plural(total, "turn");
      more.hidden = loaded.length >= total;
    };
    main.replaceChildren(
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: "/people" }, "People"), " › ",
        h("a", { href: "/voices" }, "Voices"), " › ", h("span", { "aria-current": "page" }, voice.shown_as)),
      h("header", { class: "voice-head" },
        h("h1", {}, voice.shown_as),
        voice.shown_as !== voice.voice_id ? h("p", { class: "muted" }, voice.voice_id) : null,
        h("p", { class: "voice-stats" }, `${clock(voice.talk_ms)} talking · ${plural(total, "turn")} in ${plural(videos, "video")}`),
        renameForm(voice, draw, "this-voice-name"),
        h("button", { type: "button", class: "primary", disabled: !total, onclick: () => playAll(0) }, total === 1 ? "Play the turn" : `Play all ${plural(total, "turn")}`)),
      h("section", { class: "voice-section", "aria-labelledby": "voice-face-h" }, h("h2", { id: "voice-face-h" }, "Face"),
        linkPart(voice, everyone, draw, "this-voice-person")),
      h("section", { class: "voice-section", "aria-labelledby": "voice-turns-h" }, h("h2", { id: "voice-turns-h" }, "Turns"), count, groups, more),
      h("section", { class: "voice-section", "aria-labelledby": "voice-merge-h" }, h("h2", { id: "voice-merge-h" }, `Also ${voice.shown_as}?`),
        mergeForm(voice, voices, draw, "this-voice-merge") || h("p", { class: "muted" }, "No other voice yet."),
        mergedPart(voice, draw)));
    drawTurns();
    if (focusId) document.getElementById(focusId)?.focus();
  };
  await draw();
}

/** For a person's page: the voices linked to them (talk time, turns, a link to each),
 * or how to link one. ``person``: as GET /v1/people/{id} answers. */
export async function personVoices(person) {
  useStyles("voices.css");
  const ids = new Set([person.cluster_id, ...(person.merged_people || []).map((m) => m.cluster_id)]);
  let voices = [];
  try { voices = (await api("/v1/voices?limit=1000")).voices.filter((v) => ids.has(v.person_id)); } catch { /* no voices */ }
  const name = person.name || person.cluster_id;
  return h("section", { class: "voice-section", "aria-labelledby": "person-voices-h" },
    h("h2", { id: "person-voices-h" }, "Voice"),
    voices.length
      ? h("ul", { class: "person-voices" }, voices.map((v) => h("li", {},
        h("a", { href: `/voices/${enc(v.voice_id)}` }, v.voice_id), ` · ${voiceStats(v)}`,
        h("span", { class: "muted" }, v.link === "user" ? " · linked by you" : " · linked automatically"))))
      : h("p", { class: "muted" }, `No voice linked to ${name}. `, h("a", { href: "/voices" }, "Link one on the Voices page"), "."));
}
