// View settings that outlive the page (localStorage): volume, mute, speed and captions
// for every video; hidden timeline rows and zoom per video; the confidence threshold
// for every video. A browser that refuses storage simply forgets them.

const KEY = "eioku.view";
const PER_VIDEO = new Set(["hidden", "zoom"]);
const MAX_VIDEOS = 200; // per-video settings kept, newest first

function read() {
  try {
    const data = JSON.parse(localStorage.getItem(KEY) || "{}");
    return data && typeof data === "object" ? data : {};
  } catch { return {}; }
}

function write(data) {
  try { localStorage.setItem(KEY, JSON.stringify(data)); } catch { /* storage refused or full */ }
}

/** The settings of a video: the global ones and the video's own. */
export function loadView(videoId) {
  const data = read();
  return { ...(data.all || {}), ...((data.videos || {})[videoId] || {}) };
}

/** Keep some settings ({volume: .5}, {hidden: [...]}): each goes where it belongs. */
export function saveView(videoId, changes) {
  const data = read();
  data.all ||= {};
  const videos = data.videos || {};
  const own = { ...(videos[videoId] || {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (PER_VIDEO.has(key)) own[key] = value; else data.all[key] = value;
  }
  delete videos[videoId];
  data.videos = Object.fromEntries([[videoId, own], ...Object.entries(videos)].slice(0, MAX_VIDEOS));
  write(data);
}
