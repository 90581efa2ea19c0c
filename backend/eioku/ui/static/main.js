// The page's router: the URL is the state. One module per page.
import { toast } from "./dom.js";

const routes = [
  [/^\/$/, () => import("./library.js"), "library"],
  [/^\/people\/?$/, () => import("./people.js"), "people"],
  [/^\/people\/([^/]+)\/?$/, () => import("./person.js"), "people"],
  [/^\/voices(?:\/([^/]+))?\/?$/, () => import("./voices.js"), "voices"],
  [/^\/search\/?$/, () => import("./search.js"), "library"],
  [/^\/terms\/?$/, () => import("./terms.js"), "terms"],
  [/^\/collections(?:\/([0-9a-f-]{36}))?\/?$/i, () => import("./collections.js"), "collections"],
  [/^\/videos\/([0-9a-f-]{36})\/?$/i, () => import("./player.js"), null],
];

async function start() {
  const main = document.getElementById("main");
  const path = window.location.pathname;
  const params = new URLSearchParams(window.location.search);
  const searchBox = document.getElementById("library-q");
  if (path.startsWith("/search")) searchBox.value = params.get("q") || "";
  // a phone's search box is too narrow for the long hint: a short one there
  const longHint = searchBox.placeholder, phone = window.matchMedia("(max-width: 600px)");
  const hint = () => { searchBox.placeholder = phone.matches ? "Search your videos" : longHint; };
  hint();
  phone.addEventListener("change", hint);
  for (const [pattern, load, nav] of routes) {
    const match = path.match(pattern);
    if (!match) continue;
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
    }
    const module = await load();
    main.replaceChildren();
    try {
      await module.render(main, { params, id: match[1] && decodeURIComponent(match[1]) });
    } catch (error) {
      main.replaceChildren();
      const box = document.createElement("p");
      box.className = "error";
      box.setAttribute("role", "alert");
      box.textContent = error.message;
      main.append(box);
    }
    return;
  }
  main.innerHTML = "<h1>Not found</h1><p><a href=\"/\">Back to the library</a></p>";
}

window.addEventListener("unhandledrejection", (event) => toast(event.reason?.message || "Something went wrong", "error"));
start();
