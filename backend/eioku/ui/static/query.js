// Combined queries in the search box: "person:Alice AND said:budget WITHIN 10s".
// Text with a condition (kind:value, a kind the server knows) asks POST /v1/query; its
// top-level conditions show as chips, each removable (the others stay, joined by AND).
// The answers are moments, each opening the player at its start. Anything else is
// plain search (search.js).
import { api, ApiError, q } from "./api.js";
import { clock, h } from "./dom.js";
import { bookmarkButton, saveQueryButton } from "./bookmarks.js";

if (!document.querySelector('link[href="/ui/query.css"]')) {
  document.head.append(h("link", { rel: "stylesheet", href: "/ui/query.css" }));
}

const ORDERS = [["rank", "Longest first"], ["time", "Library order"]];
let kinds = null;

/** Whether the text holds a condition on a kind the server knows (kind:value). */
export async function isCombined(text) {
  kinds ??= api("/v1/query/kinds").then((list) => new Set(list.flatMap((k) => [k.name, ...k.aliases])))
    .catch(() => new Set());
  const names = await kinds;
  return [...text.matchAll(/(?:^|[\s(])([A-Za-z_]\w*)\s*:/g)].some((m) => names.has(m[1].toLowerCase()));
}

function searchHref(text, params) {
  const order = params.get("order");
  return `/search${q({ q: text, video: params.get("video") || undefined, order: order === "time" ? order : undefined })}`;
}

export async function render(main, text, params) {
  const order = ORDERS.some(([o]) => o === params.get("order")) ? params.get("order") : "rank";
  const video = params.get("video") || undefined;
  document.title = `“${text}” · Eioku`;
  main.append(h("h1", {}, "Moments"));
  const status = h("p", { role: "status" }, "Searching…");
  const select = h("select", { id: "query-order", name: "order", onchange: () => {
    params.set("order", select.value);
    window.location.assign(searchHref(text, params));
  } }, ORDERS.map(([value, label]) => h("option", { value, selected: value === order }, label)));
  const chips = h("ul", { class: "query-chips", "aria-label": "Conditions" });
  main.append(chips, h("p", { class: "search-mode" }, h("label", { for: "query-order" }, "Order "), select), status);
  let answer;
  try {
    answer = await api("/v1/query", { method: "POST", body: { q: text, order, video_id: video, limit: 100 } });
  } catch (error) {
    status.removeAttribute("role");
    status.replaceChildren(h("span", { role: "alert", class: "error" }, error.message));
    if (error instanceof ApiError && error.position != null) status.after(where(text, error.position));
    return;
  }
  for (const [i, part] of answer.parts.entries()) chips.append(chip(part, answer.parts.filter((_, j) => j !== i), params));
  const shown = answer.moments.length;
  status.textContent = !answer.total ? "No moment matches all of these."
    : `${answer.total} moment${answer.total === 1 ? "" : "s"}${shown < answer.total ? `, the first ${shown} shown` : ""}`;
  if (answer.total) status.after(h("p", {}, saveQueryButton(text))); // a collection that refreshes (bookmarks.js)
  main.append(h("ol", { class: "hits moments" }, answer.moments.map(momentItem)));
}

function chip(part, others, params) {
  const rest = others.map((p) => p.text).join(" AND ");
  return h("li", { class: "chip" },
    h("span", { class: "chip-words", title: part.text }, part.words),
    h("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${part.words}`,
                  onclick: () => window.location.assign(rest ? searchHref(rest, params) : "/search") },
      h("span", { "aria-hidden": "true" }, "×")));
}

/** The query with the place it could not be read marked (the word there, or the end). */
function where(text, position) {
  const end = position + Math.max(1, (text.slice(position).match(/^\S*/) || [""])[0].length);
  return h("p", { class: "query-where" }, "In ",
    h("code", {}, text.slice(0, position), h("mark", {}, text.slice(position, end) || " "), text.slice(end)));
}

function momentItem(m) {
  const href = `/videos/${m.video_id}${q({ t: (m.start_ms / 1000).toFixed(3) })}`;
  const seconds = (m.end_ms - m.start_ms) / 1000;
  return h("li", { class: "hit" },
    h("a", { href, class: "hit-link" },
      h("img", { src: `/v1/videos/${m.video_id}/thumbnail${q({ t_ms: m.start_ms, width: 160 })}`,
                 alt: "", width: 160, height: 90, loading: "lazy" }),
      h("span", { class: "hit-text" },
        h("span", { class: "hit-meta" }, `${m.filename}`),
        h("span", {}, `${clock(m.start_ms, true)}–${clock(m.end_ms, true)} `,
          h("span", { class: "muted" }, `(${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s)`)))),
    bookmarkButton(m));
}
