// Library search: speech, on-screen text, objects, places, people and shots, across every
// video; by meaning and words together (hybrid, the default), by meaning, or exact words.
// Each hit says how sure it is: "exact words" or, by meaning, a strong/good/fair match
// (the API's strength and relevance); a query nothing relevant answers says so.
import { api, q } from "./api.js";
import { clock, h, snippet } from "./dom.js";
import { isCombined, render as renderQuery } from "./query.js";
import { useStyles } from "./styles.js";
import { bookmarkButton } from "./bookmarks.js";

// this module's styles, once (index.html is shared; the find panel uses them too)
if (!document.querySelector('link[href="/ui/search.css"]')) {
  document.head.append(h("link", { rel: "stylesheet", href: "/ui/search.css" }));
}

const SOURCES = { transcript: "Speech", ocr: "On screen", object: "Object", place: "Place", face: "Person", shot: "Shot", picture: "Picture" };
const MODES = [["hybrid", "Meaning and words"], ["semantic", "Meaning only"], ["keyword", "Exact words"]];

export async function render(main, { params }) {
  const query = (params.get("q") || "").trim();
  if (query && await isCombined(query)) return renderQuery(main, query, params); // kind:value conditions
  const mode = MODES.some(([m]) => m === params.get("mode")) ? params.get("mode") : "hybrid";
  const weak = params.get("weak") === "1" && mode !== "keyword";
  const entity = (params.get("entity") || "").slice(0, 200); // only moments mentioning this name
  useStyles("terms.css"); // name facets, language notes
  document.title = query ? `“${query}” · Eioku` : "Search · Eioku";
  main.append(h("h1", {}, query ? `Search: ${query}` : "Search"));
  if (!query) {
    main.append(h("p", {}, "Describe a moment in your own words (“where they talk about money”), or type words spoken or shown on screen, an object (dog, car), a place, or a person’s name."),
      h("p", {}, "Or combine conditions in time: ", h("code", {}, "person:Alice AND said:\"budget\" WITHIN 10s"), ", ",
        h("code", {}, "object:dog AND place:beach"), ", ", h("code", {}, "said:* AND NOT person:*"), "."));
    return;
  }
  const select = h("select", { id: "search-mode", name: "mode", onchange: () => {
    window.location.assign(`/search${q({ q: query, mode: select.value === "hybrid" ? undefined : select.value, entity: entity || undefined })}`);
  } }, MODES.map(([value, label]) => h("option", { value, selected: value === mode }, label)));
  main.append(h("p", { class: "search-mode" }, h("label", { for: "search-mode" }, "Match by "), select));
  const status = h("p", { role: "status" }, "Searching…");
  main.append(status);
  let hits, weaker, facets, notes;
  try {
    ({ hits, weaker, facets = [], notes = [] } = await api(`/v1/search${q({ q: query, mode, limit: 100, weak: weak ? "true" : undefined, entity: entity || undefined })}`));
  } catch (error) {
    status.textContent = error.message;
    return;
  }
  const found = `${hits.length} moment${hits.length === 1 ? "" : "s"} found${weak ? ", weak matches included" : ""}`;
  status.textContent = hits.length ? found
    : mode === "keyword" ? "Nothing found." : `Nothing relevant for “${query}”: nothing said, shown or seen is closer to it than unrelated text would be.`;
  if (weaker) { // weak matches by meaning were left out: offer them, saying what they are
    const more = `/search${q({ q: query, mode: mode === "hybrid" ? undefined : mode, weak: 1 })}`;
    status.after(h("p", { class: "search-weak" }, h("a", { href: more }, `Show ${weaker} weak match${weaker === 1 ? "" : "es"} by meaning`),
      " (the model relates them to your words only loosely)"));
  }
  for (const note of notes) status.after(h("p", { class: "search-note" }, note));
  const here = (label) => `/search${q({ q: query, mode: mode === "hybrid" ? undefined : mode, entity: label })}`;
  if (entity) {
    status.after(h("p", { class: "search-entity" }, `Only moments that mention “${entity}”. `,
      h("a", { href: here(undefined) }, "Show every moment")));
  }
  if (facets.length) { // the names and terms said or shown in these moments: narrow by one
    main.append(h("h2", { id: "facets-title", class: "visually-hidden" }, "Names and terms in these moments"),
      h("ul", { class: "search-facets", "aria-labelledby": "facets-title" }, facets.map((f) => h("li", {},
        h("a", { href: here(f.label), "aria-current": f.label === entity.toLowerCase() ? "true" : undefined,
                 title: `${f.type}: mentioned in ${f.hits} of these moments` }, `${f.name} (${f.hits})`)))));
  }
  main.append(h("ol", { class: "hits" }, hits.map((hit) => resultItem(hit, query))));
}

export function resultItem(hit, query) {
  const words = ["transcript", "ocr"].includes(hit.source) && hit.snippet.includes("<mark>");
  const href = `/videos/${hit.video_id}${q({ t: (hit.start_ms / 1000).toFixed(3), q: words ? query : undefined })}`;
  return h("li", { class: "hit" },
    h("a", { href, class: "hit-link" },
      h("img", { src: `/v1/videos/${hit.video_id}/thumbnail${q({ t_ms: hit.start_ms, width: 160 })}`,
                 alt: "", width: 160, height: 90, loading: "lazy" }),
      h("span", { class: "hit-text" },
        h("span", { class: "hit-meta" },
          h("span", { class: `badge badge-${hit.source}` }, SOURCES[hit.source] || hit.source), " ",
          strengthMark(hit.strength, hit.relevance),
          ` ${hit.filename} · ${clock(hit.start_ms)}`,
          hit.language && !["en", "und"].includes(hit.language)
            ? [" ", h("span", { class: "hit-language", lang: "en", title: "language of this text" }, hit.language)] : null),
        h("span", { class: "hit-snippet" }, ["transcript", "ocr", "shot"].includes(hit.source) ? snippet(hit.snippet)
          : `${hit.snippet}, on screen ${clock(hit.start_ms)}–${clock(hit.end_ms)}`))),
    bookmarkButton(hit));
}

const STRENGTHS = { exact: ["exact words", 4], strong: ["strong match", 3], good: ["good match", 2], fair: ["fair match", 1], weak: ["weak match", 0] };

/** How sure a hit is, in words and as a small meter of four bars (the words are what is read out). */
export function strengthMark(strength, relevance) {
  const [words, bars] = STRENGTHS[strength] || [strength, 0];
  const title = relevance == null ? words : `${words}: ${relevance.toFixed(1)} standard deviations above unrelated text`;
  return h("span", { class: `strength strength-${strength}`, title },
    h("span", { class: "meter", "aria-hidden": "true" }, [1, 2, 3, 4].map((i) => h("span", { class: i <= bars ? "on" : "" }))),
    words);
}
