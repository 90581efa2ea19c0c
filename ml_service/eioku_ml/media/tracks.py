"""A file's several tracks: which audio track is the main one (the one the
transcript hears), and the text of its subtitle tracks.

Which audio track: the one flagged ``default`` (when exactly one is), else
the first whose language is one of the configured preferences
(EIOKU_AUDIO_LANGUAGES, in order), else the first. Commentary and audio
description tracks come last when there is another.

Subtitle tracks: text ones (SubRip, ASS/SSA, WebVTT, MP4's mov_text) are
decoded into cues, markup removed. Picture subtitles (DVD, Blu-ray PGS)
have no text and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from eioku.domain.languages import same_language

from eioku_ml.errors import MediaError
from eioku_ml.media.decode import _open

# text subtitle decoders, and the format each reads as people name it
TEXT_SUBTITLES = {"subrip": "SubRip", "srt": "SubRip", "ass": "ASS", "ssa": "ASS",
                  "webvtt": "WebVTT", "mov_text": "MP4 text", "text": "text"}
_DEFAULT = av.stream.Disposition.default
_SECONDARY = av.stream.Disposition.comment | av.stream.Disposition.visual_impaired
# ASS override blocks ({\i1}, {\an8}), HTML-like tags of SubRip and WebVTT (<i>, <c.yellow>)
_MARKUP = re.compile(r"\{[^}]*\}|</?[a-zA-Z][^>]*>")


@dataclass(frozen=True)
class AudioChoice:
    """The audio track a run hears: its stream index, its language tag as the
    file says it, and why it was chosen (``default``, ``language``, ``first``)."""

    index: int
    language: str | None
    chosen_by: str
    tracks: int  # audio tracks in the file

    def as_config(self) -> dict[str, Any]:
        return {"index": self.index, "language": self.language, "chosen_by": self.chosen_by,
                "of": self.tracks}


def _language(stream: Any) -> str | None:
    tag = stream.metadata.get("language")
    return None if tag in (None, "", "und") else str(tag)


def choose_audio(streams: list[Any], preferences: list[str]) -> AudioChoice | None:
    """The main audio track of ``streams`` (a file's audio streams); None without audio."""
    if not streams:
        return None
    defaults = [s for s in streams if s.disposition & _DEFAULT]
    if len(defaults) == 1:  # every track flagged default says nothing
        return AudioChoice(defaults[0].index, _language(defaults[0]), "default", len(streams))
    ordered = sorted(streams, key=lambda s: bool(s.disposition & _SECONDARY))  # (stable)
    for wanted in preferences:
        for stream in ordered:
            if same_language(_language(stream), wanted):
                return AudioChoice(stream.index, _language(stream), "language", len(streams))
    return AudioChoice(ordered[0].index, _language(ordered[0]), "first", len(streams))


def main_audio(path: Path, preferences: list[str]) -> AudioChoice | None:
    """The main audio track of the file at ``path`` (see the module's doc)."""
    with _open(path, need_video=False) as container:
        return choose_audio(list(container.streams.audio), preferences)


@dataclass(frozen=True)
class SubtitleTrack:
    index: int  # stream index in the file
    codec: str
    language: str | None
    title: str | None
    cues: list[tuple[int, int, str]]  # (start_ms, end_ms, text), times from the file's clock start

    @property
    def source(self) -> str:
        """Where the cues came from, as a sidecar run's config records it."""
        kind = TEXT_SUBTITLES.get(self.codec, self.codec)
        return f"track {self.index} ({kind}{', ' + self.title if self.title else ''})"


def subtitle_tracks(path: Path) -> list[SubtitleTrack]:
    """The text subtitle tracks of a file with their cues (reading only their
    packets: nothing is decoded but the subtitles). A track whose packets
    cannot be read ends where they stop."""
    try:
        container = _open(path, need_video=False)
    except MediaError:
        return []
    with container:
        streams = [s for s in container.streams.subtitles
                   if s.codec_context.name in TEXT_SUBTITLES]
        if not streams:
            return []
        origin = float(container.start_time / av.time_base) if container.start_time else 0.0
        cues: dict[int, list[tuple[int, int, str]]] = {s.index: [] for s in streams}
        try:
            for packet in container.demux(*streams):
                cue = _cue(packet, origin)
                if cue is not None:
                    cues[packet.stream.index].append(cue)
        except av.error.FFmpegError:
            pass  # a damaged or cut file: the cues before the damage
        return [SubtitleTrack(s.index, s.codec_context.name, _language(s),
                              s.metadata.get("title") or None, cues[s.index]) for s in streams]


def _cue(packet: Any, origin: float) -> tuple[int, int, str] | None:
    if packet.pts is None or packet.time_base is None or not packet.size:
        return None
    try:
        texts = [_plain(sub) for sub in packet.decode()]
    except av.error.FFmpegError:
        return None
    words = "\n".join(t for t in texts if t)
    if not words:
        return None
    start = float(packet.pts * packet.time_base) - origin
    end = start + float((packet.duration or 0) * packet.time_base)
    return int(round(start * 1000)), int(round(max(start, end) * 1000)), words


def _plain(sub: Any) -> str:
    """A subtitle's text without markup, its line breaks kept."""
    raw = getattr(sub, "dialogue", None) or getattr(sub, "text", None) or b""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
    return _MARKUP.sub("", text).strip()
