// Names and terms across the library: the people, organisations, places, dates, amounts
// and key terms said or shown in the videos (the entities analyzer), most mentioned first,
// so there is no need to guess what to search for. A name opens the search for it, kept to
// the moments that mention it (search's entity filter). The URL is the state: /terms?type=&q=
import { api, q } from "./api.js";
import { h } from "./dom.js";
import { useStyles } from "./styles.js";

export const TYPES = [["", "All kinds"], ["person", "People"], ["org", "Organisations"], ["place", "Places"],
  ["date", "Dates"], ["amount", "Amounts"], ["term", "Key terms"]];
export const TYPE_NAMES = { person: "person", org: "organisation", place: "place", date: "date", amount: "amount", term: "key term" };
const PAGE = 100;

export async function render(main, { params }) {
  const type = TYPES.some(([t]) => t && t === params.get("type")) ? params.get("type") : "";
  const contains = (params.get("q") || "").slice(0, 200);
  const offset = Math.max(0, Number.parseInt(params.get("offset") || "0", 10) || 0);
  document.title = "Names and terms · Eioku";
  useStyles("pages.css"); // the list controls
  useStyles("terms.css");
  main.append(h("h1", {}, "Names and terms"),
    h("p", { class: "lede" }, "The people, organisations, places, dates, amounts and key terms said or shown in your videos, most mentioned first. Open one to see every moment that mentions it."));

  const kind = h("select", { id: "terms-type", name: "type" },
    TYPES.map(([value, label]) => h("option", { value, selected: value === type }, label)));
  const text = h("input", { id: "terms-q", name: "q", type: "search", value: contains, maxlength: 200, autocomplete: "off" });
  main.append(h("form", { class: "list-controls terms-controls", action: "/terms", method: "get", role: "search",
                          "aria-label": "Filter names and terms" },
    h("div", { class: "field" }, h("label", { for: "terms-type" }, "Kind"), kind),
    h("div", { class: "field" }, h("label", { for: "terms-q" }, "Name contains"), text),
    h("button", { type: "submit" }, "Show")));

  const status = h("p", { role: "status" }, "Loading…");
  main.append(status);
  let body;
  try {
    body = await api(`/v1/terms${q({ type: type || undefined, q: contains || undefined, limit: PAGE, offset: offset || undefined })}`);
  } catch (error) {
    status.textContent = error.message;
    return;
  }
  const { terms, total } = body;
  if (!terms.length) {
    status.textContent = type || contains ? "No names or terms match." : "No names or terms yet: they come from the entities analyzer, which reads what is said (the transcript) and shown (on-screen text).";
    return;
  }
  status.textContent = `${total} name${total === 1 ? "" : "s"} and term${total === 1 ? "" : "s"}${total > terms.length ? `, ${offset + 1}–${offset + terms.length} shown` : ""}`;
  main.append(h("table", { class: "terms-table" },
    h("caption", { class: "visually-hidden" }, "Names and terms, most mentioned first"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name or term"), h("th", { scope: "col" }, "Kind"),
      h("th", { scope: "col", class: "num" }, "Mentions"), h("th", { scope: "col", class: "num" }, "Videos"))),
    h("tbody", {}, terms.map((t) => h("tr", {},
      h("th", { scope: "row" }, h("a", { href: `/search${q({ q: t.name, mode: "keyword", entity: t.label })}` }, t.name)),
      h("td", {}, h("span", { class: `term-kind term-${t.type}` }, TYPE_NAMES[t.type] || t.type)),
      h("td", { class: "num" }, t.mentions), h("td", { class: "num" }, t.videos))))));
  if (total > PAGE) {
    const link = (to, label) => h("a", { href: `/terms${q({ type: type || undefined, q: contains || undefined, offset: to || undefined })}` }, label);
    main.append(h("nav", { class: "pager", "aria-label": "Pages of names and terms" },
      offset > 0 ? link(Math.max(0, offset - PAGE), "Previous") : null,
      offset + PAGE < total ? link(offset + PAGE, "Next") : null));
  }
}
