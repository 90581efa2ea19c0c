// Naming a speaker where it shows: the ✎ of a speaker's timeline row opens a dialog
// with its talk time and turns in this video (GET /v1/videos/{id}/speakers) and a
// name for its voice (PATCH /v1/voices/{voice}) — the name then shows in every video
// the voice speaks in, and on its person when the voice is linked to a face. The
// player reads everything again afterwards (the "eioku:corrected" event).
import { api } from "./api.js";
import { clock, h, toast } from "./dom.js";
import { CORRECTED } from "./corrections.js";
import { useStyles } from "./styles.js";

const enc = encodeURIComponent;

/** Row controls for the timeline (rowActions): a ✎ on speaker rows, nothing elsewhere. */
export function speakerActions(videoId) {
  return (row) => (row.kind === "speaker" ? h("button", {
    type: "button", class: "icon name-speaker", "aria-haspopup": "dialog",
    "aria-label": `Name the speaker ${row.title}`, title: "Name this voice (in every video)",
    onclick: (event) => speakerDialog(videoId, row, event.currentTarget),
  }, "✎") : null);
}

/** The dialog for the speaker of a timeline row (row.key: the run's label). */
export async function speakerDialog(videoId, row, opener = null) {
  useStyles("voices.css");
  let speaker;
  try {
    const { speakers } = await api(`/v1/videos/${videoId}/speakers`);
    speaker = speakers.find((s) => s.speaker === row.key);
  } catch (error) { toast(error.message, "error"); return null; }
  if (!speaker) { toast(`${row.title} is not in this video's speakers any more`, "error"); return null; }
  const voice = speaker.voice_id ? await api(`/v1/voices/${enc(speaker.voice_id)}`) : null;
  const named = voice && voice.shown_as !== voice.voice_id;
  const input = h("input", { id: "speaker-name", type: "text", maxlength: 100, autocomplete: "off",
                             value: named ? voice.shown_as : "", placeholder: "e.g. Alice" });
  const error = h("p", { class: "form-error", role: "alert" });
  const close = () => { dialog.close(); dialog.remove(); if (opener?.isConnected) opener.focus(); };
  const facts = h("p", { class: "speaker-facts" },
    `${clock(speaker.talk_ms)} talking (${Math.round(speaker.share * 100)} % of the talk) · `,
    `${speaker.turns} ${speaker.turns === 1 ? "turn" : "turns"} · first at ${clock(speaker.first_ms)}`);
  const body = voice ? [
    h("p", { class: "muted" }, voice.person_id
      ? `The voice ${voice.voice_id}, linked to the face of ${voice.person_name || voice.person_id}: the name is theirs too.`
      : `The voice ${voice.voice_id}, heard in ${voice.videos} ${voice.videos === 1 ? "video" : "videos"}: the name shows wherever it speaks.`),
    h("form", { class: "rename-form", onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        const saved = await api(`/v1/voices/${enc(voice.voice_id)}`, { method: "PATCH", body: { name: input.value } });
        close();
        toast(saved.shown_as !== saved.voice_id ? `${row.title} is now called ${saved.shown_as}` : `${row.title}'s name removed`);
        document.dispatchEvent(new CustomEvent(CORRECTED, { detail: { videoId } }));
      } catch (e) { error.textContent = e.message; }
    } }, h("label", { for: "speaker-name" }, "Name"), input, h("button", { type: "submit" }, "Save name")),
    error,
    h("p", {}, h("a", { href: `/voices/${enc(voice.voice_id)}` }, `Every turn of ${voice.shown_as}, merge or link it to a face`)),
  ] : [h("p", {}, "This speaker was found before voices were matched across videos: analyse its speakers again to name it.")];
  const dialog = h("dialog", { class: "correct-dialog speaker-dialog", "aria-labelledby": "speaker-h" },
    h("h2", { id: "speaker-h" }, `Who is “${row.title}”?`), facts, ...body,
    h("p", { class: "dialog-actions" }, h("button", { type: "button", onclick: close }, "Cancel")));
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
  if (voice) input.select();
  return dialog;
}
