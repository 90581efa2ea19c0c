// A play queue: a person's appearances across the library, played in order.
// The person page writes it to sessionStorage and opens the player at the first
// (or chosen) appearance; the player shows a bar ("Alice: 3 of 12", previous,
// next, stop) and moves on by itself when an appearance ends: in the same video
// by seeking, in another by opening it at ?t=.
import { clock, h } from "./dom.js";

const KEY = "eioku.queue";
const GRACE_MS = 400;  // an appearance's end, plus this, moves to the next

export function readQueue() {
  try {
    const queue = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return queue && Array.isArray(queue.items) && queue.items.length ? queue : null;
  } catch { return null; }
}

function save(queue) {
  if (queue) sessionStorage.setItem(KEY, JSON.stringify(queue));
  else sessionStorage.removeItem(KEY);
}

/** Where the player opens an item: a little before it starts. */
export function itemUrl(item, prerollMs = 1000) {
  return `/videos/${item.video_id}?t=${(Math.max(0, item.start_ms - prerollMs) / 1000).toFixed(3)}`;
}

/** Start playing ``items`` (``{video_id, title, start_ms, end_ms}``) from ``index``. */
export function playQueue(label, items, index = 0) {
  save({ label, items, index, autoplay: true });
  window.location.assign(itemUrl(items[index]));
}

/** The queue bar on a player, or null when no queue points at this video. */
export function queueBar(player) {
  const queue = readQueue();
  if (!queue || queue.items[queue.index]?.video_id !== player.id) return null;
  const where = h("span", { class: "queue-where" });
  const prev = h("button", { type: "button", onclick: () => go(queue.index - 1) }, "Previous appearance");
  const next = h("button", { type: "button", onclick: () => go(queue.index + 1) }, "Next appearance");
  const stop = h("button", { type: "button", class: "link-button", onclick: () => { save(null); bar.remove(); } }, "Stop the queue");
  const bar = h("nav", { class: "queue-bar", "aria-label": "Play queue" }, where, prev, next, stop);
  let moving = false;

  function show() {
    const item = queue.items[queue.index];
    where.textContent = `${queue.label}: appearance ${queue.index + 1} of ${queue.items.length} · ` +
      `${clock(item.start_ms)}–${clock(item.end_ms)}`;
    prev.disabled = queue.index === 0;
    next.disabled = queue.index >= queue.items.length - 1;
  }

  function go(index) {
    if (index < 0 || index >= queue.items.length) return;
    queue.index = index;
    save(queue);
    const item = queue.items[index];
    if (item.video_id === player.id) {
      player.seek(Math.max(0, item.start_ms - (player.preroll ?? 1000)));
      player.video.play().catch(() => {});
      show();
      moving = false;
    } else {
      window.location.assign(itemUrl(item, player.preroll ?? 1000));
    }
  }

  player.video.addEventListener("timeupdate", () => {
    const item = queue.items[queue.index];
    if (moving || !readQueue() || player.video.paused) return;
    if (player.video.currentTime * 1000 >= item.end_ms + GRACE_MS) {
      moving = true;
      if (queue.index < queue.items.length - 1) go(queue.index + 1);
      else { where.textContent = `${queue.label}: all ${queue.items.length} appearances played`; next.disabled = true; }
    }
  });
  if (queue.autoplay) {
    player.video.addEventListener("loadedmetadata", () => player.video.play().catch(() => {}), { once: true });
  }
  show();
  return bar;
}
