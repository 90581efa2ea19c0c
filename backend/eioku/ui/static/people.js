// People across the library: face crops, rename, merge and undo.
import { api, q } from "./api.js";
import { clock, h, toast } from "./dom.js";

export async function render(main) {
  document.title = "People · Eioku";
  main.append(h("h1", {}, "People"),
    h("p", { class: "lede" }, "Everyone the faces analyzer recognised, across every video. Give people names, and merge two entries that are the same person. Open a person to see and play every appearance."));
  const list = h("div", { class: "people-grid" });
  main.append(list);
  await fill(list);
}

async function fill(list) {
  const { people } = await api("/v1/people?limit=500");
  if (!people.length) {
    list.replaceChildren(h("p", {}, "No people yet: analyse videos with the faces analyzer."));
    return;
  }
  const details = await Promise.all(people.map((p) => api(`/v1/people/${encodeURIComponent(p.cluster_id)}`)));
  list.replaceChildren(...people.map((p, i) => card(p, details[i], people, () => fill(list))));
}

function card(person, detail, everyone, refresh) {
  const id = person.cluster_id;
  const title = person.name || id;
  const nameInput = h("input", { id: `name-${id}`, name: "name", type: "text", value: person.name || "",
                                 maxlength: 100, autocomplete: "off" });
  const rename = h("form", { class: "inline-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const saved = await api(`/v1/people/${encodeURIComponent(id)}`, { method: "PATCH", body: { name: nameInput.value } });
      toast(saved.name ? `${title} is now called ${saved.name}` : `${title}'s name removed`);
      refresh();
    } catch (error) { toast(error.message, "error"); }
  } },
  h("label", { for: `name-${id}` }, `Name for ${id}`), nameInput, h("button", { type: "submit" }, "Save name"));

  const others = everyone.filter((p) => p.cluster_id !== id);
  const nameOf = (ref) => { const p = everyone.find((o) => o.cluster_id === ref); return p ? p.name || p.cluster_id : ref; };
  const target = h("select", { id: `merge-${id}`, name: "into" },
    others.map((p) => h("option", { value: p.cluster_id }, p.name ? `${p.name} (${p.cluster_id})` : p.cluster_id)));
  const merge = others.length ? h("form", { class: "inline-form", onsubmit: async (event) => {
    event.preventDefault();
    const into = target.value;
    const intoName = nameOf(into);
    if (!window.confirm(`Merge ${title} into ${intoName}? Every face of ${title} becomes ${intoName}'s. You can undo this.`)) return;
    try {
      await api(`/v1/people/${encodeURIComponent(id)}/merge`, { method: "POST", body: { into } });
      toast(`Merged ${title} into ${intoName}`);
      refresh();
    } catch (error) { toast(error.message, "error"); }
  } }, h("label", { for: `merge-${id}` }, `Same person as`), target, h("button", { type: "submit" }, "Merge")) : null;

  const merged = detail.merged_people.length ? h("p", { class: "merged" }, "Includes ",
    detail.merged_people.map((m) => h("span", { class: "merged-id" }, m.name ? `${m.name} (${m.cluster_id})` : m.cluster_id, " ",
      h("button", { type: "button", class: "link-button", onclick: async () => {
        try {
          await api(`/v1/people/${encodeURIComponent(m.cluster_id)}/unmerge`, { method: "POST" });
          toast(`${m.name || m.cluster_id} is a separate person again`);
          refresh();
        } catch (error) { toast(error.message, "error"); }
      } }, `Separate ${m.name || m.cluster_id} again`)))) : null;

  return h("article", { class: "person-card", "aria-labelledby": `person-${id}` },
    h("img", { src: `/v1/people/${encodeURIComponent(id)}/face.jpg`, alt: `Face of ${title}`,
               width: 120, height: 120, loading: "lazy" }),
    h("h2", { id: `person-${id}` }, h("a", { href: `/people/${encodeURIComponent(id)}` }, title)),
    person.name ? h("p", { class: "muted" }, id) : null,
    h("p", {}, `${person.videos} video${person.videos === 1 ? "" : "s"} · ${person.appearances} appearance${person.appearances === 1 ? "" : "s"}`),
    h("p", {}, h("a", { href: `/videos/${person.first_video_id}${q({ t: (person.first_seen_ms / 1000).toFixed(3) })}` },
      `First seen at ${clock(person.first_seen_ms)}`)),
    rename, merge, merged);
}
