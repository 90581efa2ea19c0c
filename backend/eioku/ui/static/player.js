// The player page: video, the controls bar (controls.js), boxes, timeline, find,
// transcript, where the analysis is, run selectors and exports. The URL holds ?t= and
// ?q=; the view settings (volume, speed, captions, rows, zoom, confidence) are kept in
// localStorage (viewstate.js).
import { api, q } from "./api.js";
import { clock, h, msFromParam, toast } from "./dom.js";
import { installKeys } from "./keys.js";
import { HAS_CONFIDENCE, Timeline, noun, rowKey } from "./timeline.js";
import { Transcript } from "./transcript.js";
import { CORRECTED, labelActions } from "./corrections.js";
import { speakerActions } from "./speaker-names.js";
import { FindPanel } from "./find.js";
import { AnalysisStatus, runsPanel } from "./runs.js";
import { Playback, trackLabel } from "./playback.js";
import { Controls, TRANSLATED } from "./controls.js";
import { loadView, saveView } from "./viewstate.js";
import { exportsPanel } from "./exports.js";
import { queueBar } from "./queue.js";
import { installBookmarks } from "./bookmarks.js";
import { ChapterList } from "./chapters.js";
import { SummaryCard } from "./summary.js";
import { SkipButton } from "./skip.js";

const PREROLL_KEY = "eioku.preroll_ms";
const BOX_TYPES = new Set(["object.detection", "face.detection"]);
// the kinds of rows, as the analysis summary names them: kind, noun, title
const FOUND_KINDS = [["scene", "scenes", "Scenes"], ["face", "people", "People"], ["object", "objects", "Objects"],
                     ["place", "places", "Places"], ["transcript", "speech", "Speech"], ["ocr", "on-screen text", "On-screen text"]];
const COUNT_ITEMS = new Set(["scene", "transcript", "ocr"]); // counted by items; the others by rows (labels)

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
    this.view = loadView(this.id);
    this.status = new AnalysisStatus(this.id, () => this.reload());
  }

  saveView(changes) { saveView(this.id, changes); }

  async load() {
    const [data] = await Promise.all([api(`/v1/videos/${this.id}/timeline`), this.status.refresh()]);
    this.duration = data.duration_ms || this.info.duration_ms || 0;
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
      this.tick();
      this.fetchBoxes(true); // boxes from the first frame on, not only after a seek
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
      h("track", { kind: "captions", src: `${base}/subtitles.vtt?translation=true`, srclang: "en", label: TRANSLATED }),
      h("track", { kind: "chapters", src: `${base}/chapters.vtt`, srclang: "en", label: "Chapters" }),
      h("track", { kind: "metadata", src: `${base}/thumbnails.vtt`, label: "thumbnails", default: true }));
    this.video.addEventListener("error", () => {
      if (this.video.error) this.playback.browserFailed(this.video.error.message);
    });
    this.playback = new Playback(this.id, { onReady: (state) => this.useFile(state) });
    this.boxLayer = h("div", { class: "boxes", "aria-hidden": "true" });
    this.live = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    this.controls = new Controls(this, this.duration, this.menuItems());
    this.skipper = new SkipButton((ms) => this.seek(ms)); // skip.js: Skip intro / Skip credits
    const stage = h("section", { class: "stage", "aria-label": "Video player" },
      h("div", { class: "video-wrap" }, this.video, this.boxLayer, this.skipper.el, this.playback.el),
      this.controls.el, this.tools(), this.live);
    this.controls.attach(stage);
    this.stage = stage;

    this.timeline = new Timeline({
      durationMs: this.duration || 1, rows: data.rows,
      onSeek: (ms) => this.seek(ms),
      onJump: (row, direction) => this.jump(row, direction),
      onSelect: (row) => {
        this.selectedLabel.textContent = row.title;
        this.announce(`${row.title} selected: n for next, shift+n for previous`);
      },
      preview: (ms) => this.previewAt(ms),
      rowActions: (row) => labelActions(this.id)(row) || speakerActions(this.id)(row),
    });
    // an empty insights panel says why: not analysed, analysing, or nothing found
    this.timeline.insights.emptyText = () => this.status.overallText();
    this.timeline.insights.refreshEmpty();
    this.status.listeners.add(() => this.timeline.insights.refreshEmpty());
    const transcriptRow = data.rows.find((r) => r.kind === "transcript");
    this.transcript = new Transcript(transcriptRow ? transcriptRow.items : [], (ms) => this.seek(ms), {
      onLines: (lines) => this.controls.offerTranslation(lines.some((l) => l.translation)) });
    this.chapters = new ChapterList((ms) => this.seek(ms)); // chapters.js
    this.summary = new SummaryCard(this.id, { onGo: (ms) => this.seek(ms) }); // summary.js
    this.summary.refresh();
    this.found = h("ul", { class: "found", "aria-label": "What the analysis found" });
    this.status.el.append(this.found);
    this.status.listeners.add(() => this.showFound());
    this.useRows(data.rows);
    this.find = new FindPanel(this.id, {
      land: (hit) => this.land(hit.start_ms, hit.end_ms, { kind: hit.source, key: null, title: "match" }),
      position: (direction) => this.fromPosition(direction),
      onQuery: (query) => this.setUrl({ q: query || null }),
    });

    const side = h("aside", { class: "side", "aria-label": "Find, insights and transcript" },
      this.find.el, this.chapters.el, this.timeline.insights.el, this.summary.el, this.transcript.el);
    const head = h("div", { class: "player-head" },
      h("h1", { id: "video-title" }, this.info.filename),
      h("p", { class: "muted" }, this.duration ? clock(this.duration) : ""));
    this.main.replaceChildren(head, queueBar(this) || "", h("div", { class: "player-layout" }, h("div", { class: "player-main" }, stage, this.timeline.el), side),
      runsPanel(this.id, () => this.reload(), this.status), exportsPanel(this));
    this.timeline.el.before(this.status.el);
    this.restoreTimeline();
    this.selectedLabel.textContent = this.timeline.selectedRow()?.title || "";

    this.video.addEventListener("timeupdate", () => this.tick());
    this.video.addEventListener("durationchange", () => this.learnDuration());
    this.video.addEventListener("seeked", () => { this.tick(); this.fetchBoxes(true); this.setUrl({ t: this.nowMs() / 1000 }); });
    this.video.addEventListener("pause", () => this.setUrl({ t: this.nowMs() / 1000 }));
    // the picture changes size with the window, the layout and full screen: boxes follow
    new ResizeObserver(() => this.drawBoxes()).observe(this.video);
    installKeys(this);
    installBookmarks(this); // b: bookmark this moment (bookmarks.js)
    // a correction (corrections.js) changes what every part shows: read it all again
    document.addEventListener(CORRECTED, (event) => {
      if (event.detail.videoId === this.id && this.main.contains(this.timeline.el)) this.reload();
    });
    this.tick(); // the clock reads the video's length before anything plays
  }

  /** A video not measured yet (no metadata run) takes its length from the file. */
  learnDuration() {
    const ms = Math.round((this.video.duration || 0) * 1000);
    if (!this.duration && Number.isFinite(ms) && ms > 0) {
      this.duration = ms;
      this.timeline.duration = ms;
      this.controls.duration = ms;
      this.timeline.drawRows();
      this.useRows(this.timeline.rows);
    }
    this.tick();
  }

  /** Rows from the timeline API: what depends on them besides the timeline itself. */
  useRows(rows) {
    const sceneRow = rows.find((r) => r.kind === "scene");
    this.scenes = (sceneRow?.items || []).map((i) => i.start_ms);
    const places = rows.filter((r) => r.kind === "place");
    const chapters = rows.find((r) => r.kind === "chapter")?.items || [];
    this.chapters.setItems(chapters);
    this.skipper.setItems(rows.find((r) => r.kind === "segment")?.items || []);
    // chapter marks on the seek bar, titled; with one chapter or none, the scenes
    if (chapters.length > 1) this.controls.setMarks(chapters.map((c) => ({ start_ms: c.start_ms, title: c.text })));
    else this.controls.setMarks((sceneRow?.items || []).map((item, n) => {
      const place = places.find((r) => r.items.some((i) => i.start_ms <= item.start_ms + 1 && i.end_ms > item.start_ms));
      return { start_ms: item.start_ms, title: `Scene ${n + 1}${place ? ` · ${place.title}` : ""}` };
    }));
    this.hasBoxes = rows.some((r) => r.kind === "object" || r.kind === "face");
    this.transcript.setSpeakers(rows.filter((r) => r.kind === "speaker"));
    this.transcript.setItems(rows.find((r) => r.kind === "transcript")?.items || [], this.status.emptyText("transcript", "speech"));
    this.showFound(rows);
  }

  /** Per kind of row, what there is ("People: 2"), or why there is none: not analysed,
   * analysing 40 %, failed (why), nothing found. */
  showFound(rows = this.timeline?.rows || []) {
    if (!this.found) return;
    this.found.replaceChildren(...FOUND_KINDS.map(([kind, word, title]) => {
      const of = rows.filter((r) => r.kind === kind);
      const items = of.reduce((n, r) => n + r.items.length, 0);
      const s = this.status.stateOf(kind);
      const state = items ? "found" : s.state === "done" ? "nothing" : s.state;
      const count = COUNT_ITEMS.has(kind) ? items : of.length;
      const text = items ? `${title}: ${count}` : `${title}: ${s.state === "done" ? "nothing found" : this.status.stateText(kind)}`;
      return h("li", { class: `found-${state}`, dataset: { kind, state } }, text, s.state === "done" && s.again ? " (analysing again…)" : "");
    }));
    if (this.transcript && !this.transcript.items.length) {
      this.transcript.setItems([], this.status.emptyText("transcript", "speech"));
    }
  }

  /** The saved rows, zoom and confidence; and keep them when they change. */
  restoreTimeline() {
    const t = this.timeline, v = this.view;
    if (Array.isArray(v.hidden) && t.hidden instanceof Set) t.hidden = new Set(v.hidden);
    if (typeof v.minConfidence === "number" && v.minConfidence > 0) t.setConfidence(v.minConfidence);
    t.drawRows();
    t.setZoom(typeof v.zoom === "number" && v.zoom > 1 ? v.zoom : 1);
    const state = () => JSON.stringify([[...t.hidden], t.zoom, t.minConfidence]);
    let saved = state();
    const keep = () => setTimeout(() => {
      if (state() === saved) return;
      saved = state();
      this.saveView({ hidden: [...t.hidden], zoom: t.zoom, minConfidence: t.minConfidence });
    });
    for (const name of ["click", "input", "change", "wheel"]) t.el.addEventListener(name, keep);
  }

  /** The player's own options, in the controls bar's settings menu. */
  menuItems() {
    this.showBoxes = h("input", { id: "show-boxes", type: "checkbox", checked: this.view.boxes !== false,
                                  onchange: () => { this.saveView({ boxes: this.showBoxes.checked }); this.fetchBoxes(true); } });
    const preroll = h("input", { id: "preroll", type: "number", min: 0, max: 10, step: 0.5, value: this.preroll / 1000,
      onchange: () => {
        this.preroll = Math.round(Math.max(0, Math.min(10, Number(preroll.value) || 0)) * 1000);
        localStorage.setItem(PREROLL_KEY, String(this.preroll));
      } });
    this.audioSlot = h("div", { class: "menu-item audio-slot" });
    return [
      h("div", { class: "menu-item" }, h("label", { class: "check" }, this.showBoxes, " Boxes (why was this found)")),
      h("div", { class: "menu-item" }, h("label", { for: "preroll" }, "Pre-roll (s)"), preroll),
      this.audioSlot,
      h("div", { class: "menu-item" }, h("button", { type: "button", onclick: () => this.keys.showHelp() }, "Keyboard shortcuts (?)")),
    ];
  }

  /** Under the bar: the selected row's previous / next occurrence. */
  tools() {
    const prev = h("button", { type: "button", onclick: () => this.jumpSelected("prev") }, "Previous");
    const next = h("button", { type: "button", onclick: () => this.jumpSelected("next") }, "Next");
    this.selectedLabel = h("span", { class: "selected-row" });
    return h("div", { class: "player-tools" },
      h("span", { class: "occurrence", role: "group", "aria-label": "Occurrences of the selected row" },
        prev, this.selectedLabel, next),
      h("span", { class: "tools-hint" }, "n / N: next / previous · ? all keys"));
  }

  /** Where the player is; before a file is loaded (while a proxy is made), where it will start. */
  nowMs() {
    if (this.video.readyState === 0 && this.pendingMs != null) return this.pendingMs;
    return Math.round(this.video.currentTime * 1000);
  }

  togglePlay() { this.controls.togglePlay(); }

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
    this.controls.update(ms);
    this.timeline.setTime(ms);
    this.transcript.setTime(ms);
    this.chapters.setTime(ms);
    this.skipper.setTime(ms);
    this.fetchBoxes(false);
  }

  /** Where a next/prev search starts: a hit we just landed on (in its pre-roll) counts as passed. */
  fromPosition(direction, kind) {
    const now = this.nowMs();
    const hit = this.lastHit;
    if (hit && now >= hit.landed - 60 && now <= hit.start + 60) return hit.start;
    // at the very start, something that starts at 0 is "next" (the first scene always does: not it)
    if (now === 0 && direction === "next" && kind !== "scene" && kind !== "chapter") return -1;
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
    if (row.kind !== "scene" && row.kind !== "chapter") { // chapters, like scenes, start where they start
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

  /** How often the boxes can change: the finest sampling interval of the detection
   * runs (objects, faces); 1 s when it is not known. */
  boxStepMs() {
    const steps = this.status.runs
      .filter((r) => r.status === "completed" && BOX_TYPES.has(r.artifact_type))
      .map((r) => Number(r.config?.interval_ms)).filter((n) => n > 0);
    return steps.length ? Math.min(...steps) : 1000;
  }

  /** Ask /boxes once per sampling interval of the detections while playing, and at
   * once after a seek or a new file. */
  async fetchBoxes(force) {
    if (!this.showBoxes.checked || !this.hasBoxes) { this.boxes = []; this.boxLayer.replaceChildren(); return; }
    const ms = this.nowMs();
    const bucket = Math.floor(ms / this.boxStepMs());
    if (!force && (this.boxBusy || bucket === this.boxBucket)) return;
    this.boxBusy = true;
    this.boxBucket = bucket;
    try {
      this.boxes = (await api(`/v1/videos/${this.id}/boxes?t_ms=${ms}`)).boxes;
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
    // a box at the picture's top edge has its label inside it: above, it covered the title on a phone
    for (const el of this.boxLayer.children) el.classList.toggle("label-inside", el.offsetTop < el.firstChild.offsetHeight);
  }

  /** Read the timeline again (a run completed, the selection changed): rows, scenes,
   * transcript, tracks and boxes. */
  async reload() {
    const data = await api(`/v1/videos/${this.id}/timeline`);
    if (data.duration_ms && data.duration_ms !== this.duration) { // the metadata run has measured it
      this.duration = data.duration_ms;
      this.timeline.duration = data.duration_ms;
      this.controls.duration = data.duration_ms;
    }
    const selected = this.timeline.selected;
    this.timeline.rows = data.rows;
    this.timeline.selected = data.rows.some((r) => rowKey(r) === selected) ? selected : (data.rows[0] ? rowKey(data.rows[0]) : null);
    this.timeline.drawRows();
    this.useRows(data.rows);
    this.summary.refresh();
    this.selectedLabel.textContent = this.timeline.selectedRow()?.title || "";
    this.tick();
    for (const track of this.video.querySelectorAll("track")) {
      const url = new URL(track.src);
      url.searchParams.set("v", String(Date.now()));
      track.src = url.toString();
    }
    this.fetchBoxes(true);
  }
}
