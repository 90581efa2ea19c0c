// Which file the player plays (POST/GET /v1/videos/{id}/playback): the original
// when the browser plays it as it is, else its remux or proxy once a worker has
// made it. Meanwhile a notice over the picture says so, with progress, and the
// timeline, find and jump already work; a file that cannot be played says why.
import { api, q } from "./api.js";
import { h } from "./dom.js";

const POLL_MS = 1000;

export class Playback {
  /** onReady(state): the file for state.audio_track can be streamed now. */
  constructor(id, { onReady }) {
    this.id = id;
    this.onReady = onReady;
    this.state = null;
    this.title = h("p", { class: "playback-title" });
    this.detail = h("p", { class: "playback-detail" });
    this.bar = h("progress", { max: 100, value: 0, "aria-hidden": "true" });
    this.actions = h("div", { class: "playback-actions" });
    this.el = h("div", { class: "playback-notice", role: "status", "aria-live": "polite", hidden: true },
      this.title, this.bar, this.detail, this.actions);
  }

  /** Ask for the file of an audio track (null: the default one), then follow it until ready. */
  async start(track = null) {
    clearTimeout(this.timer);
    try {
      return this.follow(await api(`/v1/videos/${this.id}/playback${q({ audio: track ?? undefined })}`,
                                   { method: "POST" }));
    } catch (error) {
      this.show("Playback is not available", error.message, "error");
      return null;
    }
  }

  follow(state) {
    this.state = state;
    if (state.state === "ready") {
      this.hide();
      this.onReady(state);
    } else if (state.state === "preparing" || state.state === "not_started") {
      const what = state.audio_track !== state.default_track ? "Preparing this audio track" : "Preparing playback";
      const percent = Math.round((state.progress || 0) * 100);
      this.show(`${what} — ${percent} %`,
        `${state.reason}. The timeline, find and jump already work.`, "progress", percent);
      this.timer = setTimeout(() => this.poll(), POLL_MS);
    } else if (state.state === "failed") {
      this.show("Playback could not be prepared", `${state.error || state.reason}. The timeline, find and jump still work.`,
        "error", null, h("button", { type: "button", onclick: () => this.start(state.audio_track) }, "Try again"));
    } else {
      this.show("This file cannot be played", `${state.reason}. What was found in it is still here.`, "error");
    }
    return state;
  }

  async poll() {
    if (!this.el.isConnected) return; // the page moved on
    const track = this.state?.audio_track;
    try {
      this.follow(await api(`/v1/videos/${this.id}/playback${q({ audio: track ?? undefined })}`));
    } catch {
      this.timer = setTimeout(() => this.poll(), POLL_MS * 3);
    }
  }

  /** The browser refused the file it was given (a <source> error leaves video.error null). */
  browserFailed(message) {
    const mode = this.state?.mode;
    const what = mode && mode !== "original" ? `its ${mode}` : "this file";
    this.show("This browser cannot play the video",
      `It could not play ${what}${message ? ` (${message})` : ""}. What was found in it is still here; ` +
      "a clip export is re-encoded to H.264.", "error");
  }

  show(title, detail, kind, percent = null, action = null) {
    this.title.textContent = title;
    this.detail.textContent = detail;
    this.bar.hidden = percent === null;
    if (percent !== null) this.bar.value = percent;
    this.actions.replaceChildren(...(action ? [action] : []));
    this.el.dataset.kind = kind;
    this.el.hidden = false;
  }

  hide() {
    this.el.hidden = true;
  }
}

/** A track's name in the audio menu: "eng · aac", "Track 2 · ac3". */
export function trackLabel(track) {
  const name = track.title && !/handler/i.test(track.title) ? track.title : null;
  return [track.language || name || `Track ${track.index + 1}`, track.codec].join(" · ");
}
