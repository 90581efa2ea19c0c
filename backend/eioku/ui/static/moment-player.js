// Plays a list of moments in order (a collection, a shared link): one <video>,
// each moment from its start to its end, then the next; Previous/Next moment
// buttons and the list, the moment playing marked (aria-current).
import { clock, h } from "./dom.js";

/** "0:03" for a point, "0:07–0:08" for a range. */
export function spanText(m) {
  return m.end_ms > m.start_ms ? `${clock(m.start_ms)}–${clock(m.end_ms)}` : clock(m.start_ms);
}

/**
 * @param {HTMLElement} root  where the player goes (emptied)
 * @param {Array<{video_id, filename, start_ms, end_ms, note}>} moments
 * @param {(m) => string} srcFor  the stream URL of a moment's video
 * @param {{listed?: boolean, onMoment?: (i: number) => void}} options  listed: false leaves the
 *   list out (a page that lists the moments itself: onMoment tells it which one plays)
 * @returns {{go: (i: number, play?: boolean) => void, index: () => number, video: HTMLVideoElement}}
 */
export function momentPlayer(root, moments, srcFor, { listed = true, onMoment = null } = {}) {
  let current = -1;
  const video = h("video", { controls: true, playsinline: true, preload: "metadata",
                             class: "moment-video", "aria-label": "Moment video" });
  const status = h("p", { class: "moment-status", role: "status", "aria-live": "polite" });
  const prev = h("button", { type: "button", onclick: () => go(current - 1, true) }, "Previous moment");
  const next = h("button", { type: "button", onclick: () => go(current + 1, true) }, "Next moment");
  const list = h("ol", { class: "moment-list", "aria-label": "Moments" });
  const items = moments.map((m, i) => {
    const button = h("button", { type: "button", class: "moment-pick", onclick: () => go(i, true) },
      h("span", { class: "moment-name" }, m.filename),
      h("span", { class: "moment-span" }, ` ${spanText(m)}`),
      m.note ? h("span", { class: "moment-note" }, ` ${m.note}`) : null);
    const li = h("li", {}, button);
    list.append(li);
    return li;
  });
  root.replaceChildren(
    h("div", { class: "moment-stage" }, video),
    h("div", { class: "moment-controls" }, prev, status, next),
    listed ? list : "");

  function endOf(m) { return (m.end_ms > m.start_ms ? m.end_ms : m.start_ms + 1000) / 1000; }

  function go(i, play = false) {
    if (i < 0 || i >= moments.length) return;
    const m = moments[i];
    const sameVideo = current >= 0 && moments[current].video_id === m.video_id;
    current = i;
    const seek = () => { video.currentTime = m.start_ms / 1000; if (play) video.play().catch(() => {}); };
    if (sameVideo && video.readyState >= 1) seek();
    else {
      video.src = srcFor(m);
      video.addEventListener("loadedmetadata", seek, { once: true });
    }
    items.forEach((li, n) => {
      const button = li.querySelector("button");
      if (n === i) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
    prev.disabled = i === 0;
    next.disabled = i === moments.length - 1;
    status.textContent = `Moment ${i + 1} of ${moments.length}: ${m.filename} ${clock(m.start_ms)}`;
    root.dataset.moment = String(i);
    onMoment?.(i);
  }

  video.addEventListener("timeupdate", () => {
    if (current < 0) return;
    if (video.currentTime >= endOf(moments[current]) - 0.05) {
      if (current < moments.length - 1) go(current + 1, true);
      else video.pause();
    }
  });
  if (moments.length) go(0);
  else status.textContent = "No moments yet.";
  return { go, index: () => current, video };
}
