// The player page: video, custom controls with scrub previews, boxes, timeline,
// find, transcript, run selectors and exports. The URL holds ?t= and ?q=.
import { api, q } from "./api.js";
import { clock, h, msFromParam, spokenClock, toast } from "./dom.js";
import { installKeys } from "./keys.js";
import { HAS_CONFIDENCE, Timeline, noun, rowKey } from "./timeline.js";
import { Transcript } from "./transcript.js";
import { CORRECTED, labelActions } from "./corrections.js";
import { FindPanel } from "./find.js";
import { runsPanel } from "./runs.js";
import { Playback, trackLabel } from "./playback.js";
import { exportsPanel } from "./exports.js";
import { queueBar } from "./queue.js";

const PREROLL_KEY = "eioku.preroll_ms";

export async function render(main, { id, params }) {
  const video = await api(`/v1/videos/${id}`);
  document.title = `${video.filename} · Eioku`;
  const player = new Player(main, video, params);
  await player.load();
}

class Player {
  constructor(main, video, params) {
    this.main = main;
    this.info = video;
    this.id = video.video_id;
    this.params = params;
    this.preroll = Number(localStorage.getItem(PREROLL_KEY) ?? 1000);
    this.lastHit = null;
    this.scenes = [];
  }

  async load() {
    const data = await api(`/v1/videos/${this.id}/timeline`);
    this.duration = data.duration_ms || 0;
    this.fps = data.fps || 25;
    this.build(data);
    const start = msFromParam(this.params.get("t"));
    if (start !== null) this.seek(start);
    const query = this.params.get("q");
    if (query) await this.find.search(query, { move: false });
    await this.playback.start();
  }

  /** Stream the file of a ready playback state (the original, a remux or a proxy, for
   * its audio track), keeping the time and whether it was playing. */
  useFile(state) {
    const base = `/v1/videos/${this.id}/stream`;
    const url = base + (state.audio_track !== state.default_track ? q({ audio: state.audio_track }) : "");
    this.audioMenu(state);
    if (this.source?.getAttribute("src") === url) return;
    const at = this.nowMs();
    const playing = this.source && !this.video.paused;
    this.source?.remove();
    this.source = h("source", { src: url });
    // a <source> that fails fires its own error event, and video.error stays null
    this.source.addEventListener("error", () => this.playback.browserFailed());
    this.video.prepend(this.source);
    this.video.addEventListener("loadedmetadata", () => {
      this.pendingMs = null;
      if (at > 0) this.video.currentTime = at / 1000;
      if (playing) this.video.play().catch(() => {});
      this.drawBoxes();
    }, { once: true });
    this.video.load();
  }

  /** The audio tracks menu, when the file has more than one (each track is a file of its own:
   * Chromium plays the first audio track of a file and cannot switch without a flag). */
  audioMenu(state) {
    const tracks = state.tracks || [];
    if (tracks.length < 2) return;
    if (!this.audioSelect) {
      this.audioSelect = h("select", { id: "audio-track", onchange: () => this.playback.start(Number(this.audioSelect.value)) },
        tracks.map((t) => h("option", { value: t.index }, trackLabel(t))));
      this.audioSlot.replaceChildren(h("label", { for: "audio-track" }, "Audio"), this.audioSelect);
    }
    this.audioSelect.value = String(state.audio_track);
  }

  build(data) {
    const base = `/v1/videos/${this.id}`;
    this.video = h("video", { id: "video", preload: "metadata", playsinline: true, "aria-describedby": "video-title" },
      h("track", { kind: "captions", src: `${base}/subtitles.vtt`, srclang: "en", label: "Transcript" }),
      h("track", { kind: "chapters", src: `${base}/chapters.vtt`, srclang: "en", label: "Scenes" }),
      h("track", { kind: "metadata", src: `${base}/thumbnails.vtt`, label: "thumbnails", default: true }));
    this.video.addEventListener("error", () => {
      if (this.video.error) this.playback.browserFailed(this.video.error.message);
    });
    this.playback = new Playback(this.id, { onReady: (state) => this.useFile(state) });
    this.boxLayer = h("div", { class: "boxes", "aria-hidden": "true" });
    this.live = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    const stage = h("section", { class: "stage", "aria-label": "Video player" },
      h("div", { class: "video-wrap" }, this.video, this.boxLayer, this.playback.el),
      this.controls(), this.live);

    this.timeline = new Timeline({
      durationMs: this.duration || 1, rows: data.rows,
      onSeek: (ms) => this.seek(ms),
      onJump: (row, direction) => this.jump(row, direction),
      onSelect: (row) => {
        this.selectedLabel.textContent = row.title;
        this.announce(`${row.title} selected: n for next, shift+n for previous`);
      },
      preview: (ms) => this.previewAt(ms),
      rowActions: labelActions(this.id),
    });
    this.scenes = (data.rows.find((r) => r.kind === "scene")?.items || []).map((i) => i.start_ms);
    const transcriptRow = data.rows.find((r) => r.kind === "transcript");
    this.transcript = new Transcript(transcriptRow ? transcriptRow.items : [], (ms) => this.seek(ms));
    this.find = new FindPanel(this.id, {
      land: (hit) => this.land(hit.start_ms, hit.end_ms, { kind: hit.source, key: null, title: "match" }),
      position: (direction) => this.fromPosition(direction),
      onQuery: (query) => this.setUrl({ q: query || null }),
    });

    const side = h("aside", { class: "side", "aria-label": "Find, insights and transcript" },
      this.find.el, this.timeline.insights.el, this.transcript.el);
    const head = h("div", { class: "player-head" },
      h("h1", { id: "video-title" }, this.info.filename),
      h("p", { class: "muted" }, this.duration ? clock(this.duration) : ""));
    this.main.replaceChildren(head, queueBar(this) || "", h("div", { class: "player-layout" }, h("div", { class: "player-main" }, stage, this.timeline.el), side),
      runsPanel(this.id, () => this.reload()), exportsPanel(this));
    this.timeline.setZoom(1);
    this.selectedLabel.textContent = this.timeline.selectedRow()?.title || "";

    this.video.addEventListener("timeupdate", () => this.tick());
    this.video.addEventListener("seeked", () => { this.tick(); this.fetchBoxes(true); this.setUrl({ t: this.nowMs() / 1000 }); });
    this.video.addEventListener("pause", () => this.setUrl({ t: this.nowMs() / 1000 }));
    window.addEventListener("resize", () => this.drawBoxes());
    installKeys(this);
    // a correction (corrections.js) changes what every part shows: read it all again
    document.addEventListener(CORRECTED, (event) => {
      if (event.detail.videoId === this.id && this.main.contains(this.timeline.el)) this.reload();
    });
  }

  controls() {
    this.playButton = h("button", { type: "button", class: "play", onclick: () => this.togglePlay() }, "Play");
    this.timeText = h("span", { class: "time", "aria-hidden": "true" }, "0:00 / 0:00");
    this.seekBar = h("input", { type: "range", class: "seek", min: 0, max: Math.max(1, this.duration), step: 10, value: 0,
                                "aria-label": "Seek", "aria-valuetext": "0 seconds" });
    this.seekBar.addEventListener("input", () => this.seek(Number(this.seekBar.value)));
    this.seekPreview = h("div", { class: "seek-preview", hidden: true, "aria-hidden": "true" });
    this.seekBar.addEventListener("mousemove", (event) => this.hoverSeek(event));
    this.seekBar.addEventListener("mouseleave", () => { this.seekPreview.hidden = true; });
    this.video.addEventListener("play", () => { this.playButton.textContent = "Pause"; });
    this.video.addEventListener("pause", () => { this.playButton.textContent = "Play"; });
    const mute = h("button", { type: "button", "aria-pressed": "false", onclick: () => {
      this.video.muted = !this.video.muted;
      mute.setAttribute("aria-pressed", String(this.video.muted));
    } }, "Mute");
    const captions = h("button", { type: "button", "aria-pressed": "false", onclick: () => {
      const track = [...this.video.textTracks].find((t) => t.kind === "captions");
      if (!track) return;
      track.mode = track.mode === "showing" ? "hidden" : "showing";
      captions.setAttribute("aria-pressed", String(track.mode === "showing"));
    } }, "Captions");
    this.showBoxes = h("input", { id: "show-boxes", type: "checkbox", checked: true,
                                  onchange: () => this.fetchBoxes(true) });
    const speed = h("select", { id: "speed", onchange: () => { this.video.playbackRate = Number(speed.value); } },
      [0.5, 1, 1.5, 2].map((r) => h("option", { value: r, selected: r === 1 }, `${r}×`)));
    const preroll = h("input", { id: "preroll", type: "number", min: 0, max: 10, step: 0.5, value: this.preroll / 1000,
      onchange: () => {
        this.preroll = Math.round(Math.max(0, Math.min(10, Number(preroll.value) || 0)) * 1000);
        localStorage.setItem(PREROLL_KEY, String(this.preroll));
      } });
    const prev = h("button", { type: "button", onclick: () => this.jumpSelected("prev") }, "Previous");
    const next = h("button", { type: "button", onclick: () => this.jumpSelected("next") }, "Next");
    this.selectedLabel = h("span", { class: "selected-row" });
    this.audioSlot = h("span", { class: "audio-slot" });
    return h("div", { class: "controls" },
      h("div", { class: "seek-wrap" }, this.seekBar, this.seekPreview),
      h("div", { class: "control-row" },
        this.playButton, this.timeText, mute, captions, this.audioSlot,
        h("label", { for: "speed" }, "Speed"), speed,
        h("label", { class: "check" }, this.showBoxes, " Boxes"),
        h("span", { class: "spacer" }),
        h("span", { class: "occurrence", role: "group", "aria-label": "Occurrences of the selected row" },
          prev, this.selectedLabel, next),
        h("label", { for: "preroll" }, "Pre-roll (s)"), preroll,
        h("button", { type: "button", onclick: () => this.keys.showHelp() }, "Shortcuts (?)"),
        h("button", { type: "button", onclick: () => this.video.parentElement.requestFullscreen?.() }, "Full screen")));
  }

  /** Where the player is; before a file is loaded (while a proxy is made), where it will start. */
  nowMs() {
    if (this.video.readyState === 0 && this.pendingMs != null) return this.pendingMs;
    return Math.round(this.video.currentTime * 1000);
  }

  togglePlay() { if (this.video.paused) this.video.play().catch(() => {}); else this.video.pause(); }

  seek(ms) {
    if (this.video.readyState === 0) { // nothing to play yet: the timeline, find and jump still move
      this.pendingMs = Math.max(0, Math.round(ms));
      this.tick();
      this.setUrl({ t: this.pendingMs / 1000 });
      return;
    }
    this.video.currentTime = Math.max(0, ms) / 1000;
  }

  step(seconds) { this.seek(this.nowMs() + seconds * 1000); }

  stepFrame(direction) {
    this.video.pause();
    this.video.currentTime = Math.max(0, this.video.currentTime + direction / this.fps);
  }

  tick() {
    const ms = this.nowMs();
    const total = this.duration || Math.round((this.video.duration || 0) * 1000);
    this.timeText.textContent = `${clock(ms)} / ${clock(total)}`;
    this.seekBar.value = String(ms);
    this.seekBar.setAttribute("aria-valuetext", `${spokenClock(ms)} of ${spokenClock(total)}`);
    this.timeline.setTime(ms);
    this.transcript.setTime(ms);
    this.fetchBoxes(false);
  }

  /** Where a next/prev search starts: a hit we just landed on (in its pre-roll) counts as passed. */
  fromPosition(direction, kind) {
    const now = this.nowMs();
    const hit = this.lastHit;
    if (hit && now >= hit.landed - 60 && now <= hit.start + 60) return hit.start;
    // at the very start, something that starts at 0 is "next" (the first scene always does: not it)
    if (now === 0 && direction === "next" && kind !== "scene") return -1;
    return now;
  }

  jumpSelected(direction) {
    const row = this.timeline.selectedRow();
    if (row) this.jump(row, direction);
  }

  async jump(row, direction) {
    const params = { kind: row.kind, direction, from_ms: this.fromPosition(direction, row.kind), label: row.key ?? undefined };
    if (HAS_CONFIDENCE.has(row.kind) && this.timeline.minConfidence > 0) params.min_confidence = this.timeline.minConfidence;
    try {
      const hit = await api(`/v1/videos/${this.id}/jump${q(params)}`);
      this.land(hit.jump_to.start_ms, hit.jump_to.end_ms, row);
    } catch (error) {
      if (error.status === 404) this.announce(`No ${direction === "next" ? "next" : "previous"} ${noun(row)}`, true);
      else toast(error.message, "error");
    }
  }

  /** Go to a hit with the pre-roll before it. For anything but a scene the pre-roll
   * stops at the cut that opens the hit's shot: you land in the shot of the hit. */
  land(start, end, row) {
    let target = start - this.preroll;
    if (row.kind !== "scene") {
      const shotStart = this.scenes.filter((s) => s <= start).pop();
      if (shotStart !== undefined) target = Math.max(target, shotStart);
    }
    target = Math.max(0, target);
    this.lastHit = { start, end, landed: target, row: rowKey(row) };
    this.seek(target);
    this.timeline.highlight(rowKey(row), start);
    this.announce(`${noun(row)} at ${clock(start)}`);
  }

  announce(message, asToast = false) {
    this.live.textContent = message;
    if (asToast) toast(message);
  }

  setUrl(changes) {
    const url = new URL(window.location.href);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === undefined || v === "") url.searchParams.delete(k);
      else url.searchParams.set(k, typeof v === "number" ? v.toFixed(2) : v);
    }
    window.history.replaceState(null, "", url);
  }

  thumbnailCues() {
    const track = [...this.video.textTracks].find((t) => t.kind === "metadata" && t.label === "thumbnails");
    if (track && track.mode === "disabled") track.mode = "hidden";
    return track?.cues ? [...track.cues] : [];
  }

  /** A scrub-preview tile (sprite sheet + #xywh) for a time, as an element. */
  previewAt(ms) {
    const cue = this.thumbnailCues().find((c) => c.startTime * 1000 <= ms && ms < c.endTime * 1000);
    if (!cue) return "";
    const [file, fragment] = cue.text.trim().split("#xywh=");
    const [x, y, w, hgt] = (fragment || "").split(",").map(Number);
    const tile = h("div", { class: "tile" });
    Object.assign(tile.style, { width: `${w}px`, height: `${hgt}px`, backgroundPosition: `-${x}px -${y}px`,
                                backgroundImage: `url("/v1/videos/${this.id}/${file}")` });
    return tile;
  }

  hoverSeek(event) {
    const rect = this.seekBar.getBoundingClientRect();
    const ms = Math.max(0, Math.min(1, (event.clientX - rect.left) / rect.width)) * (this.duration || 0);
    this.seekPreview.replaceChildren(this.previewAt(ms), h("span", {}, clock(ms)));
    this.seekPreview.style.left = `${event.clientX - rect.left}px`;
    this.seekPreview.hidden = false;
  }

  async fetchBoxes(force) {
    if (!this.showBoxes.checked) { this.boxLayer.replaceChildren(); return; }
    const now = Date.now();
    if (!force && (this.boxBusy || now - (this.boxAt || 0) < 250)) return;
    this.boxBusy = true;
    this.boxAt = now;
    try {
      this.boxes = (await api(`/v1/videos/${this.id}/boxes?t_ms=${this.nowMs()}`)).boxes;
      this.drawBoxes();
    } catch { this.boxes = []; } finally { this.boxBusy = false; }
  }

  drawBoxes() {
    const v = this.video;
    if (!this.boxes || !v.videoWidth) { this.boxLayer.replaceChildren(); return; }
    const scale = Math.min(v.clientWidth / v.videoWidth, v.clientHeight / v.videoHeight);
    const w = v.videoWidth * scale, ht = v.videoHeight * scale;
    const left = (v.clientWidth - w) / 2, top = (v.clientHeight - ht) / 2;
    this.boxLayer.replaceChildren(...this.boxes.map((b) => {
      const el = h("div", { class: `box box-${b.kind}` }, h("span", {}, `${b.name || b.label} ${Math.round(b.confidence * 100)} %`));
      Object.assign(el.style, { left: `${left + b.x * w}px`, top: `${top + b.y * ht}px`, width: `${b.w * w}px`, height: `${b.h * ht}px` });
      return el;
    }));
  }

  async reload() {
    const data = await api(`/v1/videos/${this.id}/timeline`);
    const selected = this.timeline.selected;
    this.timeline.rows = data.rows;
    this.timeline.selected = data.rows.some((r) => rowKey(r) === selected) ? selected : (data.rows[0] ? rowKey(data.rows[0]) : null);
    this.timeline.drawRows();
    this.scenes = (data.rows.find((r) => r.kind === "scene")?.items || []).map((i) => i.start_ms);
    this.transcript.setItems(data.rows.find((r) => r.kind === "transcript")?.items || []);
    for (const track of this.video.querySelectorAll("track")) {
      const url = new URL(track.src);
      url.searchParams.set("v", String(Date.now()));
      track.src = url.toString();
    }
    this.fetchBoxes(true);
  }
}
