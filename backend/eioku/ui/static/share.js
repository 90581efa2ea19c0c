// The page a share link opens (/s/<link>): what the link shows, played in
// order, from the link's own routes only (it has no API token).
import { h } from "./dom.js";
import { momentPlayer } from "./moment-player.js";

const base = location.pathname.replace(/\/+$/, "");

async function main() {
  const root = document.getElementById("share-player");
  const response = await fetch(`${base}/moments`);
  if (!response.ok) {
    let detail = `${response.status}`;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    root.replaceChildren(h("p", { class: "share-error", role: "alert" }, detail));
    return;
  }
  const shared = await response.json();
  document.getElementById("share-title").textContent = shared.title;
  document.title = `${shared.title} — Eioku`;
  const until = new Date(shared.expires_at);
  document.getElementById("share-expiry").textContent =
    `${shared.kind === "collection" ? "A collection" : "A moment"} shared until ${until.toLocaleString()}.`;
  momentPlayer(root, shared.moments, (m) => m.stream_url);
}

main();
