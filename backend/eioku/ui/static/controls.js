// The player's controls bar: play/pause, volume, time, captions, settings (speed and the
// player's own options), picture-in-picture and full screen, over a seek bar that shows
// what is buffered and where the scenes start. Full screen is the whole stage (picture,
// boxes, captions, this bar); there the bar hides when the mouse rests or a finger leaves.
import { clock, h, spokenClock } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  play: "M8 5v14l11-7z",
  pause: "M6 5h4v14H6zm8 0h4v14h-4z",
  volume: "M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z",
  muted: "M3 9v6h4l5 5V4L7 9H3zm13.6.3 1.4-1.4 2.1 2.1 2.1-2.1 1.4 1.4-2.1 2.1 2.1 2.1-1.4 1.4-2.1-2.1-2.1 2.1-1.4-1.4 2.1-2.1z",
  captions: "M19 4H5a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2zm-8 7H9.5v-.5h-2v3h2V13H11v1a1 1 0 0 1-1 1H7a1 1 0 0 1-1-1v-4a1 1 0 0 1 1-1h3a1 1 0 0 1 1 1zm7 0h-1.5v-.5h-2v3h2V13H18v1a1 1 0 0 1-1 1h-3a1 1 0 0 1-1-1v-4a1 1 0 0 1 1-1h3a1 1 0 0 1 1 1z",
  settings: "M19.1 12.9a7.3 7.3 0 0 0 0-1.9l2.1-1.6a.5.5 0 0 0 .1-.6l-1.9-3.3a.5.5 0 0 0-.6-.2l-2.4 1a7 7 0 0 0-1.6-.9l-.4-2.6a.5.5 0 0 0-.5-.4h-3.8a.5.5 0 0 0-.5.4l-.4 2.6a7 7 0 0 0-1.6.9l-2.4-1a.5.5 0 0 0-.6.2L2.7 8.8a.5.5 0 0 0 .1.6L4.9 11a7.3 7.3 0 0 0 0 1.9l-2.1 1.6a.5.5 0 0 0-.1.6l1.9 3.3c.1.2.4.3.6.2l2.4-1c.5.4 1 .7 1.6.9l.4 2.6c0 .2.3.4.5.4h3.8c.2 0 .5-.2.5-.4l.4-2.6a7 7 0 0 0 1.6-.9l2.4 1c.2.1.5 0 .6-.2l1.9-3.3a.5.5 0 0 0-.1-.6zM12 15.6a3.6 3.6 0 1 1 0-7.2 3.6 3.6 0 0 1 0 7.2z",
  pip: "M19 7h-8v6h8V7zm2-4H3a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h18a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2zm0 16H3V5h18v14z",
  fullscreen: "M7 14H5v5h5v-2H7v-3zm-2-4h2V7h3V5H5v5zm12 7h-3v2h5v-5h-2v3zM14 5v2h3v3h2V5h-5z",
  exitFullscreen: "M5 16h3v3h2v-5H5v2zm3-8H5v2h5V5H8v3zm6 11h2v-3h3v-2h-5v5zm2-11V5h-2v5h5V8h-3z",
};

/** An inline SVG icon (nothing is loaded): decorative, the button carries the name. */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon-svg");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

export const TRANSLATED = "English (translated)"; // the label of the translated captions track
export const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];
const IDLE_MS = 2500; // full screen: the bar hides after this long without a pointer move
const VOLUME_STEP = 0.05;

export class Controls {
  /** player: video, seek(ms), nowMs(), previewAt(ms), saveView(changes), view (the saved
   * settings); menuItems: the player's own options, shown in the settings menu. */
  constructor(player, durationMs, menuItems = []) {
    this.player = player;
    this.video = player.video;
    this.duration = durationMs;
    this.marks = [];
    this.build(menuItems);
    this.restore(player.view || {});
    this.wire();
  }

  button(name, label, onclick, extra = {}) {
    return h("button", { type: "button", class: `ctl ctl-${name}`, "aria-label": label, title: label, onclick, ...extra },
      icon(name));
  }

  build(menuItems) {
    const total = Math.max(1, this.duration);
    this.seekBar = h("input", { type: "range", class: "seek", min: 0, max: total, step: 1, value: 0,
                                "aria-label": "Seek", "aria-valuetext": "0 seconds" });
    this.buffered = h("div", { class: "seek-buffered" });
    this.played = h("div", { class: "seek-played" });
    this.markLayer = h("div", { class: "seek-marks" });
    this.seekPreview = h("div", { class: "seek-preview", hidden: true, "aria-hidden": "true" });
    const seekWrap = h("div", { class: "seek-wrap" },
      h("div", { class: "seek-track", "aria-hidden": "true" }, this.buffered, this.played, this.markLayer),
      this.seekBar, this.seekPreview);

    this.playButton = this.button("play", "Play (k)", () => this.togglePlay());
    this.muteButton = this.button("volume", "Mute (m)", () => this.toggleMute());
    this.volume = h("input", { type: "range", class: "volume", min: 0, max: 1, step: VOLUME_STEP, value: 1,
                               "aria-label": "Volume", "aria-valuetext": "100 %" });
    this.timeText = h("span", { class: "time", "aria-hidden": "true" }, "0:00 / 0:00");
    this.captionsButton = this.button("captions", "Captions (c)", () => this.toggleCaptions(), { "aria-pressed": "false" });
    this.speed = h("select", { id: "speed" }, SPEEDS.map((r) => h("option", { value: r }, r === 1 ? "Normal" : `${r}×`)));
    // which captions: the words as spoken, or English where speech was translated (offered
    // only when the transcript has translations: offerTranslation)
    this.captionsLanguage = h("select", { id: "captions-language", onchange: () => this.chooseCaptions() },
      h("option", { value: "spoken" }, "As spoken"), h("option", { value: "english" }, TRANSLATED));
    this.captionsLanguageItem = h("div", { class: "menu-item", hidden: true },
      h("label", { for: "captions-language" }, "Captions"), this.captionsLanguage);
    this.menu = h("div", { class: "ctl-menu", id: "player-menu", role: "group", "aria-label": "Player settings", hidden: true },
      h("div", { class: "menu-item" }, h("label", { for: "speed" }, "Speed"), this.speed),
      this.captionsLanguageItem,
      menuItems,
      h("div", { class: "menu-item narrow-only" },
        h("button", { type: "button", class: "menu-pip", onclick: () => this.togglePip() }, "Picture in picture")));
    this.menuButton = this.button("settings", "Settings", () => this.toggleMenu(),
      { "aria-expanded": "false", "aria-controls": "player-menu" });
    this.pipButton = this.button("pip", "Picture in picture (i)", () => this.togglePip());
    if (!document.pictureInPictureEnabled) this.pipButton.hidden = true;
    this.fullButton = this.button("fullscreen", "Full screen (f)", () => this.toggleFullscreen());

    this.el = h("div", { class: "ctl-bar" }, seekWrap,
      h("div", { class: "control-row" },
        this.playButton,
        h("span", { class: "ctl-volume" }, this.muteButton, this.volume),
        this.timeText,
        h("span", { class: "spacer" }),
        this.captionsButton, this.menuButton, this.pipButton, this.fullButton),
      this.menu);
  }

  /** The saved view: volume, mute, speed, captions. */
  restore(view) {
    if (typeof view.volume === "number") this.video.volume = Math.max(0, Math.min(1, view.volume));
    if (typeof view.muted === "boolean") this.video.muted = view.muted;
    this.setSpeed(SPEEDS.includes(view.speed) ? view.speed : 1, false);
    if (view.captionsLanguage === "english") this.captionsLanguage.value = "english";
    if (view.captions) this.setCaptions(true, false);
    this.showVolume();
  }

  wire() {
    const v = this.video;
    this.seekBar.addEventListener("input", () => {
      this.player.seek(Number(this.seekBar.value));
      if (this.dragging) this.previewAt(Number(this.seekBar.value) / Math.max(1, this.duration));
    });
    this.seekBar.addEventListener("pointerdown", (event) => { this.dragging = event.pointerType !== "mouse"; });
    this.seekBar.addEventListener("pointermove", (event) => {
      if (event.pointerType === "mouse") this.previewAt(this.fractionAt(event.clientX));
    });
    for (const name of ["pointerleave", "pointerup", "pointercancel", "blur"]) {
      this.seekBar.addEventListener(name, () => { this.dragging = false; this.seekPreview.hidden = true; });
    }
    this.volume.addEventListener("input", () => {
      v.volume = Number(this.volume.value);
      v.muted = v.volume === 0;
    });
    v.addEventListener("volumechange", () => { this.showVolume(); this.player.saveView({ volume: v.volume, muted: v.muted }); });
    v.addEventListener("play", () => this.showPlaying());
    v.addEventListener("pause", () => { this.showPlaying(); this.wake(); });
    v.addEventListener("progress", () => this.showBuffered());
    v.addEventListener("ratechange", () => { this.speed.value = String(v.playbackRate); });
    this.speed.addEventListener("change", () => this.setSpeed(Number(this.speed.value)));
    // the picture: a click plays or pauses, a double click is full screen; a tap on a
    // resting full-screen picture only brings the bar back
    let pointer = "mouse", resting = false;
    v.addEventListener("pointerdown", (event) => { // before the stage hears it (and wakes the bar)
      pointer = event.pointerType;
      resting = Boolean(this.stage?.classList.contains("idle"));
    });
    v.addEventListener("click", () => {
      if (pointer !== "mouse" && resting) { this.wake(); return; }
      this.togglePlay();
    });
    v.addEventListener("dblclick", () => { if (pointer === "mouse") this.toggleFullscreen(); });
    document.addEventListener("fullscreenchange", () => this.fullscreenChanged());
    document.addEventListener("click", (event) => {
      if (!this.menu.hidden && !this.menu.contains(event.target) && !this.menuButton.contains(event.target)) this.toggleMenu(false);
    });
    this.menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); this.toggleMenu(false); this.menuButton.focus(); }
    });
  }

  /** The stage is what goes full screen; its bar hides there while the picture plays. */
  attach(stage) {
    this.stage = stage;
    const wake = (event) => { this.pointer = event.pointerType; this.wake(); };
    stage.addEventListener("pointermove", wake);
    stage.addEventListener("pointerdown", wake);
    document.addEventListener("keydown", () => { if (this.isFullscreen()) this.wake(); });
  }

  isFullscreen() { return Boolean(this.stage) && document.fullscreenElement === this.stage; }

  wake() {
    if (!this.stage) return;
    this.stage.classList.remove("idle");
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.rest(), IDLE_MS);
  }

  rest() {
    // a mouse resting on the bar keeps it; a finger that tapped it leaves :hover behind
    const onBar = this.pointer === "mouse" && this.el.matches(":hover");
    if (!this.isFullscreen() || this.video.paused || !this.menu.hidden || onBar) return;
    this.stage.classList.add("idle");
  }

  // ---- actions (buttons and keys) ----

  togglePlay() { if (this.video.paused) this.video.play().catch(() => {}); else this.video.pause(); }

  toggleMute() {
    const v = this.video;
    if (v.muted || v.volume === 0) { v.muted = false; if (v.volume === 0) v.volume = 0.5; } else v.muted = true;
  }

  changeVolume(delta) {
    const v = this.video;
    v.volume = Math.round(Math.max(0, Math.min(1, v.volume + delta)) * 100) / 100;
    v.muted = v.volume === 0;
    return v.volume;
  }

  setSpeed(rate, save = true) {
    this.video.defaultPlaybackRate = rate; // kept when a file is swapped (load() resets playbackRate)
    this.video.playbackRate = rate;
    this.speed.value = String(rate);
    if (save) this.player.saveView({ speed: rate });
  }

  /** One speed step up (1) or down (-1), as `>` and `<`. */
  stepSpeed(direction) {
    const i = SPEEDS.indexOf(this.video.playbackRate);
    const at = i >= 0 ? i : SPEEDS.indexOf(1);
    const rate = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, at + direction))];
    this.setSpeed(rate);
    return rate;
  }

  /** The captions track chosen: the transcript as spoken, or its English translation
   * (when offered and chosen). */
  captionsTrack() {
    const tracks = [...this.video.textTracks].filter((t) => t.kind === "captions");
    const english = !this.captionsLanguageItem.hidden && this.captionsLanguage.value === "english";
    return (english && tracks.find((t) => t.label === TRANSLATED)) || tracks.find((t) => t.label !== TRANSLATED);
  }

  setCaptions(on, save = true) {
    const track = this.captionsTrack();
    for (const other of this.video.textTracks) {
      if (other.kind === "captions" && other !== track) other.mode = "disabled";
    }
    if (track) track.mode = on ? "showing" : "hidden";
    this.captionsButton.setAttribute("aria-pressed", String(on));
    if (save) this.player.saveView({ captions: on });
  }

  captionsOn() { return this.captionsButton.getAttribute("aria-pressed") === "true"; }

  /** Show the other captions (the language chosen in the menu), on or off as they were. */
  chooseCaptions() {
    this.setCaptions(this.captionsOn(), false);
    this.player.saveView({ captionsLanguage: this.captionsLanguage.value });
  }

  /** Offer English captions when the transcript has translated lines (or stop offering them). */
  offerTranslation(yes) {
    if (this.captionsLanguageItem.hidden === !yes) return;
    this.captionsLanguageItem.hidden = !yes;
    this.setCaptions(this.captionsOn(), false);
  }

  toggleCaptions() {
    const on = this.captionsTrack()?.mode !== "showing";
    this.setCaptions(on);
    return on;
  }

  async togglePip() {
    try {
      if (document.pictureInPictureElement) await document.exitPictureInPicture();
      else await this.video.requestPictureInPicture();
    } catch (error) { this.player.announce(`Picture in picture is not available: ${error.message}`, true); }
  }

  async toggleFullscreen() {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else if (this.stage.requestFullscreen) await this.stage.requestFullscreen({ navigationUI: "hide" });
      else if (this.video.webkitEnterFullscreen) this.video.webkitEnterFullscreen(); // iPhone: the picture only
    } catch (error) { this.player.announce(`Full screen is not available: ${error.message}`, true); }
  }

  fullscreenChanged() {
    const on = this.isFullscreen();
    this.fullButton.replaceChildren(icon(on ? "exitFullscreen" : "fullscreen"));
    const label = on ? "Exit full screen (f)" : "Full screen (f)";
    this.fullButton.setAttribute("aria-label", label);
    this.fullButton.title = label;
    if (on) this.wake(); else { clearTimeout(this.idleTimer); this.stage?.classList.remove("idle"); }
    // messages ("No next scene") show where the user looks: in full screen only the stage is shown
    const toastEl = document.getElementById("toast");
    if (toastEl) (on ? this.stage : document.body).append(toastEl);
    this.player.drawBoxes(); // the picture has a new size; the next frame has its layout
    requestAnimationFrame(() => this.player.drawBoxes());
  }

  toggleMenu(open = this.menu.hidden) {
    this.menu.hidden = !open;
    this.menuButton.setAttribute("aria-expanded", String(open));
    if (open) this.menu.querySelector("select, input, button")?.focus();
  }

  // ---- what the bar shows ----

  showPlaying() {
    const playing = !this.video.paused;
    this.playButton.replaceChildren(icon(playing ? "pause" : "play"));
    const label = playing ? "Pause (k)" : "Play (k)";
    this.playButton.setAttribute("aria-label", label);
    this.playButton.title = label;
  }

  showVolume() {
    const v = this.video;
    const silent = v.muted || v.volume === 0;
    this.muteButton.replaceChildren(icon(silent ? "muted" : "volume"));
    const label = silent ? "Unmute (m)" : "Mute (m)";
    this.muteButton.setAttribute("aria-label", label);
    this.muteButton.title = label;
    this.volume.value = String(v.muted ? 0 : v.volume);
    this.volume.setAttribute("aria-valuetext", v.muted ? "muted" : `${Math.round(v.volume * 100)} %`);
  }

  /** The clock, the seek bar and what is played of it, at `ms`. */
  update(ms) {
    const total = this.total();
    this.timeText.textContent = `${clock(ms)} / ${clock(total)}`;
    this.seekBar.max = String(Math.max(1, total));
    this.seekBar.value = String(ms);
    this.seekBar.setAttribute("aria-valuetext", `${spokenClock(ms)} of ${spokenClock(total)}`);
    this.played.style.width = `${total ? Math.min(100, (ms / total) * 100) : 0}%`;
    this.showBuffered();
  }

  total() { return this.duration || Math.round((this.video.duration || 0) * 1000) || 0; }

  showBuffered() {
    const total = this.total() / 1000;
    const ranges = this.video.buffered;
    const parts = [];
    for (let i = 0; total && i < ranges.length; i++) {
      const start = ranges.start(i) / total, end = Math.min(1, ranges.end(i) / total);
      parts.push(h("span", { style: { left: `${start * 100}%`, width: `${(end - start) * 100}%` } }));
    }
    this.buffered.replaceChildren(...parts);
  }

  /** Chapter marks: [{start_ms, title}], one tick at each start but the first. */
  setMarks(marks) {
    this.marks = marks;
    const total = this.total() || 1;
    this.markLayer.replaceChildren(...marks.filter((m) => m.start_ms > 0).map((m) =>
      h("span", { class: "seek-mark", style: { left: `${(m.start_ms / total) * 100}%` }, dataset: { title: m.title } })));
  }

  fractionAt(clientX) {
    const rect = this.seekBar.getBoundingClientRect();
    return Math.max(0, Math.min(1, (clientX - rect.left) / rect.width));
  }

  /** The preview over the seek bar: the picture, the chapter and the time at a fraction of it. */
  previewAt(fraction) {
    const ms = fraction * this.total();
    const chapter = this.marks.filter((m) => m.start_ms <= ms).pop();
    this.seekPreview.replaceChildren(this.player.previewAt(ms),
      chapter ? h("span", { class: "seek-chapter" }, chapter.title) : "", h("span", {}, clock(ms)));
    this.seekPreview.hidden = false;
    // centred on the pointer, but kept inside the bar: half its own width (a long chapter title) from each end
    const width = this.seekBar.clientWidth;
    const half = Math.min(Math.max(90, this.seekPreview.offsetWidth / 2), width / 2);
    this.seekPreview.style.left = `${Math.max(half, Math.min(width - half, fraction * width))}px`;
  }
}
