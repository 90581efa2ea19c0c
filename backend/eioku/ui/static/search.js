// Library search: speech, on-screen text, objects, places and people, across every video.
import { api, q } from "./api.js";
import { clock, h, snippet } from "./dom.js";

const SOURCES = { transcript: "Speech", ocr: "On screen", object: "Object", place: "Place", face: "Person" };

export async function render(main, { params }) {
  const query = (params.get("q") || "").trim();
  document.title = query ? `“${query}” · Eioku` : "Search · Eioku";
  main.append(h("h1", {}, query ? `Search: ${query}` : "Search"));
  if (!query) {
    main.append(h("p", {}, "Type words spoken or shown on screen, an object (dog, car), a place, or a person’s name."));
    return;
  }
  const status = h("p", { role: "status" }, "Searching…");
  main.append(status);
  const { hits } = await api(`/v1/search${q({ q: query, limit: 100 })}`);
  status.textContent = hits.length ? `${hits.length} moment${hits.length === 1 ? "" : "s"} found` : "Nothing found.";
  main.append(h("ol", { class: "hits" }, hits.map((hit) => resultItem(hit, query))));
}

export function resultItem(hit, query) {
  const href = `/videos/${hit.video_id}${q({ t: (hit.start_ms / 1000).toFixed(3), q: ["transcript", "ocr"].includes(hit.source) ? query : undefined })}`;
  return h("li", { class: "hit" },
    h("a", { href, class: "hit-link" },
      h("img", { src: `/v1/videos/${hit.video_id}/thumbnail${q({ t_ms: hit.start_ms, width: 160 })}`,
                 alt: "", width: 160, height: 90, loading: "lazy" }),
      h("span", { class: "hit-text" },
        h("span", { class: "hit-meta" },
          h("span", { class: `badge badge-${hit.source}` }, SOURCES[hit.source] || hit.source),
          ` ${hit.filename} · ${clock(hit.start_ms)}`),
        h("span", { class: "hit-snippet" }, ["transcript", "ocr"].includes(hit.source) ? snippet(hit.snippet)
          : `${hit.snippet}, on screen ${clock(hit.start_ms)}–${clock(hit.end_ms)}`))));
}
