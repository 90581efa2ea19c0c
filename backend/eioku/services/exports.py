"""Exports of what analysis found: subtitles (WebVTT, SRT), chapters (or scenes),
and every selected artifact with its provenance as JSON."""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from eioku.artifacts.registry import default_registry
from eioku.domain.enums import ArtifactType
from eioku.services.speakers import speakers_of_spans, spoken_segments
from eioku.store.uow import UnitOfWork

LINE_CHARS = 42  # the common subtitle guideline: two lines of at most 42 characters
LINES_PER_CUE = 2
_PAGE = 5000


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: list[str]
    speaker: str | None = None  # who says it (WebVTT writes <v Name>)


def _wrap(text: str) -> list[str]:
    """Lines of at most LINE_CHARS characters, as ``textwrap.wrap`` makes them
    from the words of ``text`` (breaking words longer than a line, never at a
    hyphen); its output for a text whose words all fit a line, made 5 times faster."""
    words = text.split()
    if not words:
        return []
    if max(map(len, words)) > LINE_CHARS:  # a word broken across lines: textwrap's rules
        return textwrap.wrap(" ".join(words), LINE_CHARS, break_long_words=True,
                             break_on_hyphens=False)
    lines, line = [], words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) <= LINE_CHARS:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def cues(segments: Iterable[tuple[int, int, str] | tuple[int, int, str, str | None]]) -> list[Cue]:
    """Subtitle cues from timed text (and its speaker, when given): lines wrapped
    at LINE_CHARS, at most LINES_PER_CUE lines a cue; a longer text becomes
    several cues that share its time span in proportion to their length."""
    out: list[Cue] = []
    for start, end, raw, *who in segments:
        lines = _wrap(raw)
        if not lines:
            continue
        speaker = who[0] if who else None
        end = max(end, start + 1)
        if len(lines) <= LINES_PER_CUE:  # one cue, the segment's span (most of them)
            out.append(Cue(start, end, lines, speaker))
            continue
        groups = [lines[i:i + LINES_PER_CUE] for i in range(0, len(lines), LINES_PER_CUE)]
        total = sum(len(" ".join(g)) for g in groups)
        t = float(start)
        for group in groups:
            share = (end - start) * len(" ".join(group)) / total
            cue_end = end if group is groups[-1] else int(round(t + share))
            out.append(Cue(int(round(t)), max(cue_end, int(round(t)) + 1), group, speaker))
            t += share
    return out


def _stamp(ms: int, separator: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return "%02d:%02d:%02d%s%03d" % (h, m, s, separator, ms)  # noqa: UP031 - 2x an f-string


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(cue_list: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for cue in cue_list:
        voice = f"<v {_vtt_escape(cue.speaker)}>" if cue.speaker else ""
        blocks.append(f"{_stamp(cue.start_ms, '.')} --> {_stamp(cue.end_ms, '.')}\n"
                      + voice + _vtt_escape("\n".join(cue.lines)))
    return "\n\n".join(blocks) + "\n"


# SRT has no escapes, yet players read HTML-like tags (<i>, <font color=…>) and
# ASS override blocks ({\an8}) in it (FFmpeg's SubRip decoder, which mpv uses,
# does both): a zero-width space after "<" and "{" leaves the words as they read
# and no tag for a player to find. Entities (&lt;) are no help: FFmpeg shows them.
_ZWSP = "\u200b"


def _srt_safe(line: str) -> str:
    return line.replace("<", "<" + _ZWSP).replace("{", "{" + _ZWSP)


def srt(cue_list: list[Cue]) -> str:
    blocks = []
    for number, cue in enumerate(cue_list, start=1):
        blocks.append(f"{number}\n{_stamp(cue.start_ms, ',')} --> {_stamp(cue.end_ms, ',')}\n"
                      + _srt_safe("\n".join(cue.lines)))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def labelled(segments: Iterable[tuple[int, int, str, str | None]]) -> list[tuple[int, int, str]]:
    """Timed text for SRT, which has no voice tag: "ALICE: " before the words
    where the speaker changes (and at the first words of a speaker)."""
    out, last = [], None
    for start, end, said, speaker in segments:
        if speaker and speaker != last and said.strip():
            said = f"{speaker.upper()}: {said}"
        if said.strip():
            last = speaker
        out.append((start, end, said))
    return out


def subtitle_segments(uow: UnitOfWork, video_id: uuid.UUID, speakers: bool | None = None,
                      translation: bool = False
                      ) -> list[tuple[int, int, str]] | list[tuple[int, int, str, str | None]]:
    """The timed text of subtitles: with each piece's speaker when a speakers run is
    selected (``speakers`` None or True), else the transcript's segments.
    ``translation``: each segment's English translation where it has one (speech
    in another language, ``EIOKU_TRANSLATE``), its words where it has none; a
    translation has no word times, so a segment stays whole, said by the speaker
    of most of it."""
    if translation:
        return translated_segments(uow, video_id, speakers)
    if speakers is not False:
        spoken = spoken_segments(uow, video_id)
        if spoken is not None:
            return [(s["start_ms"], s["end_ms"], s["text"], s["speaker"]) for s in spoken]
    return transcript_segments(uow, video_id)


def translated_segments(uow: UnitOfWork, video_id: uuid.UUID, speakers: bool | None = None
                        ) -> list[tuple[int, int, str]] | list[tuple[int, int, str, str | None]]:
    """The selected transcript's segments in English (see :func:`subtitle_segments`)."""
    uow.videos.get(video_id)
    rows = uow.artifacts.timed_texts(video_id, ArtifactType.TRANSCRIPT_SEGMENT, key="translation",
                                     fallback="text")  # one read: both from the same run
    who = speakers_of_spans(uow, video_id, [(start, end) for start, end, _ in rows]) \
        if speakers is not False else None
    if who is None:
        return rows
    return [(*row, name) for row, name in zip(rows, who, strict=True)]


def subtitles(uow: UnitOfWork, video_id: uuid.UUID, fmt: str, speakers: bool | None = None,
              translation: bool = False) -> str:
    """The selected transcript as WebVTT (``fmt`` "vtt") or SRT subtitles, saying who
    speaks unless ``speakers`` is False (when a speakers run is selected); in
    English where a segment has a translation when ``translation``."""
    segments = subtitle_segments(uow, video_id, speakers, translation)
    if fmt == "srt":
        if segments and len(segments[0]) == 4:
            segments = labelled(segments)  # type: ignore[arg-type]
        return srt(cues(segments))
    return webvtt(cues(segments))


def transcript_segments(uow: UnitOfWork, video_id: uuid.UUID) -> list[tuple[int, int, str]]:
    """The selected transcript run's segments, in time order."""
    uow.videos.get(video_id)
    return uow.artifacts.timed_texts(video_id, ArtifactType.TRANSCRIPT_SEGMENT)


def chapters(uow: UnitOfWork, video_id: uuid.UUID) -> str:
    """The selected chapters run as a WebVTT chapters track, each cue its title;
    a video without one gets its scenes ("Scene 1 (00:00:00)", ...)."""
    uow.videos.get(video_id)
    titled = uow.artifacts.get_by_asset(video_id, ArtifactType.CHAPTER)
    if titled:
        return webvtt([Cue(a.span_start_ms, max(a.span_end_ms, a.span_start_ms + 1),
                           [" ".join(str(a.payload["title"]).split())]) for a in titled])
    scenes = uow.artifacts.get_by_asset(video_id, ArtifactType.SCENE)
    return webvtt([Cue(a.span_start_ms, max(a.span_end_ms, a.span_start_ms + 1),
                       [f"Scene {n} ({_stamp(a.span_start_ms, '.')[:8]})"])
                   for n, a in enumerate(scenes, start=1)])


def export_json(uow: UnitOfWork, video_id: uuid.UUID) -> Iterator[str]:
    """Every artifact of the runs the selection policies pick, per type, with
    the run that produced it (provenance), streamed as one JSON document."""
    video = uow.videos.get(video_id)
    head = {"eioku_export": 1, "exported_at": datetime.now(UTC).isoformat(),
            "video": _plain(asdict(video))}
    yield json.dumps(head)[:-1] + ', "types": {'
    registered = set(default_registry().types())
    first, speakers_run = True, None
    for chosen in uow.selections.selected(video_id):  # one query for every type's run and policy
        if chosen.artifact_type not in registered:
            continue
        if chosen.artifact_type == ArtifactType.SPEAKER_TURN:
            speakers_run = chosen.run.run_id
        policy = chosen.policy
        selection = {"mode": policy.mode.value, "preferred_profile": policy.preferred_profile,
                     "pinned_run_id": str(policy.pinned_run_id) if policy.pinned_run_id else None}
        yield ("" if first else ", ") + json.dumps(chosen.artifact_type) + ": " + json.dumps(
            {"selection": selection, "run": _plain(asdict(chosen.run))})[:-1] + ', "artifacts": ['
        first = False
        sep = ""
        for page in uow.artifacts.run_as_json(video_id, chosen.artifact_type, chosen.run.run_id,
                                              page=_PAGE):
            yield sep + ", ".join(page)
            sep = ", "
        yield "]}"
    if speakers_run is None:
        yield "}}\n"
        return
    spoken = spoken_segments(uow, video_id, run_id=speakers_run) or []  # with its speakers
    yield '}, "transcript": ' + json.dumps(
        [{"start_ms": s["start_ms"], "end_ms": s["end_ms"], "text": s["text"], "speaker": s["speaker"],
          "speaker_label": s["speaker_label"], "artifact_id": s["artifact_id"]} for s in spoken]) + "}\n"


def _plain(record: dict[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(record, default=str))
