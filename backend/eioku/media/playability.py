"""Can a browser play this file as it is? From a probe of its streams and
container (never its name), one of:

- ``original``: H.264 (8-bit 4:2:0), VP9 or AV1 with AAC, MP3, Opus or FLAC
  in an MP4 whose index (``moov``) comes before the media; VP8/VP9/AV1 with
  Opus/Vorbis in a WebM with a duration and cues; MP3, Ogg, FLAC, WAV or
  M4A audio. Streamed as it is.
- ``remux``: every stream plays but the container does not (H.264 in MKV,
  MOV, TS or AVI; an MP4 with its index at the end; a WebM recorded live,
  without duration or cues): packets are copied into an MP4 with the index
  first, or into a WebM with cues, without re-encoding.
- ``proxy``: anything else (HEVC, ProRes, MPEG-4 Part 2, MPEG-2, MJPEG, AC-3,
  PCM in a video...): H.264 + AAC in an MP4, index first. A stream that
  already plays in MP4 is copied, the others encoded.
- ``unplayable``: nothing in it can be decoded (not media, no stream).

A browser plays one audio track of a file, so each prepared file carries one:
the default track (the one flagged default, else the first) or the one asked
for. Chromium's HTML ``audioTracks`` needs a flag users do not set, so another
track is another prepared file (docs/operations.md).

The rules describe Chromium (and Chrome, Edge, Firefox, which play the same
set); Safari plays HEVC too, but one rule for every browser is simpler to
reason about than user-agent sniffing, and a proxy plays everywhere.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import av

Mode = Literal["original", "remux", "proxy", "unplayable"]
MP4_VIDEO = frozenset({"h264", "vp9", "av1"})
MP4_AUDIO = frozenset({"aac", "mp3", "opus", "flac"})
WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
WEBM_AUDIO = frozenset({"opus", "vorbis"})
H264_PIXELS = frozenset({"yuv420p", "yuvj420p"})  # High 10 and 4:2:2/4:4:4 do not play
# audio-only containers browsers read as they are: demuxer -> codecs
AUDIO_CONTAINERS = {"mp3": {"mp3"}, "ogg": {"opus", "vorbis", "flac"}, "flac": {"flac"},
                    "wav": {"pcm_s16le", "pcm_u8", "pcm_f32le"}}
MP4_DEMUXER = "mov,mp4,m4a,3gp,3g2,mj2"
MKV_DEMUXER = "matroska,webm"
EBML_CUES = b"\x1c\x53\xbb\x6b"  # the Cues element's id, listed in the SeekHead when there are cues
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class AudioTrack:
    index: int  # among the file's audio streams (0 = the first)
    codec: str
    language: str | None
    title: str | None
    default: bool


@dataclass(frozen=True)
class Plan:
    """How the file reaches a browser, for the audio track it carries."""

    mode: Mode
    reason: str
    container: Literal["mp4", "webm"] | None = None  # what a remux or proxy writes
    video: Literal["copy", "encode"] | None = None  # None: no video stream
    audio: Literal["copy", "encode"] | None = None  # None: no audio stream
    tracks: tuple[AudioTrack, ...] = field(default_factory=tuple)
    track: int = 0  # the audio track this plan carries
    default_track: int = 0

    @property
    def prepared(self) -> bool:
        """A file has to be made (remux or proxy) before it plays."""
        return self.mode in ("remux", "proxy")


@dataclass(frozen=True)
class Probe:
    demuxer: str
    brand: str
    video: Any  # a summary of the picture stream, or None
    audio: tuple[AudioTrack, ...]
    duration_known: bool
    index_first: bool
    webm_cues: bool
    video_pixels: str | None
    reason: str | None = None  # why it could not be read


def plan(path: Path, track: int | None = None) -> Plan:
    """The plan for ``path`` carrying audio track ``track`` (None: the default one)."""
    stat = path.stat()
    probe = _probe(str(path), stat.st_mtime_ns, stat.st_size)
    return decide(probe, track)


@lru_cache(maxsize=512)
def _probe(path: str, mtime_ns: int, size: int) -> Probe:
    try:
        with av.open(path) as container:
            video = next((s for s in container.streams.video
                          if not s.disposition & av.stream.Disposition.attached_pic), None)
            audio = tuple(_track(i, s) for i, s in enumerate(container.streams.audio))
            return Probe(
                demuxer=container.format.name,
                brand=str(container.metadata.get("major_brand", "")).strip().lower(),
                video=_codec(video) if video is not None else None,
                audio=audio,
                duration_known=bool(container.duration and container.duration > 0),
                index_first=_moov_first(Path(path)) if container.format.name == MP4_DEMUXER else False,
                webm_cues=_has_cues(Path(path)) if container.format.name == MKV_DEMUXER else False,
                video_pixels=video.codec_context.format.name if video is not None
                and video.codec_context.format is not None else None)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        return Probe("", "", None, (), False, False, False, None,
                     reason=f"FFmpeg cannot read it ({type(exc).__name__})")


def _codec(stream: Any) -> str:
    return str(stream.codec_context.codec.canonical_name)  # "mp3", not the decoder's "mp3float"


def _track(index: int, stream: Any) -> AudioTrack:
    language = stream.metadata.get("language")
    return AudioTrack(index=index, codec=_codec(stream),
                      language=None if language in (None, "", "und") else str(language),
                      title=stream.metadata.get("title") or stream.metadata.get("handler_name"),
                      default=bool(stream.disposition & av.stream.Disposition.default))


def _moov_first(path: Path) -> bool:
    """The MP4's top-level ``moov`` box comes before its ``mdat`` (a browser
    then knows the whole file from its first bytes)."""
    with path.open("rb") as fh, contextlib.suppress(OSError, ValueError):
        position, end = 0, path.stat().st_size
        while position + 8 <= end:
            fh.seek(position)
            header = fh.read(16)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if size == 1:
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                size = end - position
            if kind == b"moov":
                return True
            if kind in (b"mdat", b"moof") or size < 8:
                return False
            position += size
    return False


def _has_cues(path: Path) -> bool:
    """Whether a Matroska/WebM file has cues (an index): its SeekHead, at the
    start, lists them; a file recorded live (MediaRecorder) has none and a
    browser cannot seek in it."""
    with path.open("rb") as fh:
        return EBML_CUES in fh.read(HEAD_BYTES)


def default_track(tracks: tuple[AudioTrack, ...]) -> int:
    return next((t.index for t in tracks if t.default), 0)


def decide(probe: Probe, track: int | None = None) -> Plan:
    """The pure rule (see the module's docstring)."""
    if probe.reason is not None:
        return Plan("unplayable", f"this file cannot be played: {probe.reason}")
    if probe.video is None and not probe.audio:
        return Plan("unplayable", "this file has no picture or sound stream")
    default = default_track(probe.audio)
    chosen = default if track is None else track
    if probe.audio and not 0 <= chosen < len(probe.audio):
        raise ValueError(f"no audio track {chosen}: the file has {len(probe.audio)}")
    audio = probe.audio[chosen].codec if probe.audio else None
    base = {"tracks": probe.audio, "track": chosen if probe.audio else 0, "default_track": default}
    video_ok_mp4 = probe.video is None or (probe.video in MP4_VIDEO and (
        probe.video != "h264" or probe.video_pixels in H264_PIXELS))
    audio_ok_mp4 = audio is None or audio in MP4_AUDIO
    webm_ok = (probe.video is None or probe.video in WEBM_VIDEO) and (audio is None or audio in WEBM_AUDIO)
    # a browser plays the first audio track of a file: another one needs a file of its own
    first_track = chosen == 0
    if first_track and _plays_as_is(probe, video_ok_mp4 and audio_ok_mp4, webm_ok, audio):
        return Plan("original", "the browser plays this file as it is", **base)
    what = _describe(probe, audio)
    if probe.demuxer == MKV_DEMUXER and webm_ok and (probe.video is None or probe.video != "h264"):
        reason = _remux_reason(probe, first_track, what, "a WebM with cues")
        return Plan("remux", reason, container="webm", video="copy" if probe.video else None,
                    audio="copy" if audio else None, **base)
    if video_ok_mp4 and audio_ok_mp4:
        reason = _remux_reason(probe, first_track, what, "an MP4 with its index first")
        return Plan("remux", reason, container="mp4", video="copy" if probe.video else None,
                    audio="copy" if audio else None, **base)
    if webm_ok:
        return Plan("remux", f"{what}: copied into a WebM with cues", container="webm",
                    video="copy" if probe.video else None, audio="copy" if audio else None, **base)
    encoded = [name for name, ok in (("picture", video_ok_mp4), ("sound", audio_ok_mp4)) if not ok]
    return Plan("proxy", f"{what}: the browser cannot decode its {' or '.join(encoded)}; "
                "a playback copy (H.264 + AAC) is made", container="mp4",
                video=None if probe.video is None else ("copy" if video_ok_mp4 else "encode"),
                audio=None if audio is None else ("copy" if audio_ok_mp4 else "encode"), **base)


def _plays_as_is(probe: Probe, mp4_codecs: bool, webm_ok: bool, audio: str | None) -> bool:
    if probe.demuxer == MP4_DEMUXER:
        return mp4_codecs and probe.index_first and not probe.brand.startswith("qt")
    if probe.demuxer == MKV_DEMUXER:
        return webm_ok and probe.duration_known and probe.webm_cues
    if probe.video is None and audio is not None:
        return audio in AUDIO_CONTAINERS.get(probe.demuxer, set())
    return False


CONTAINER_NAMES = {MKV_DEMUXER: "MKV", "mpegts": "MPEG-TS", "avi": "AVI", "mpeg": "MPEG-PS",
                   "aac": "ADTS", "asf": "ASF", "flv": "FLV"}


def _describe(probe: Probe, audio: str | None) -> str:
    parts = " + ".join(p for p in (probe.video, audio) if p)
    if probe.demuxer == MP4_DEMUXER:
        name = "MOV" if probe.brand.startswith("qt") else "MP4"
    elif probe.demuxer == MKV_DEMUXER and {probe.video, audio} - {None} <= WEBM_VIDEO | WEBM_AUDIO:
        name = "WebM"
    else:
        name = CONTAINER_NAMES.get(probe.demuxer, probe.demuxer.upper())
    return f"{parts} in {name}"


def _remux_reason(probe: Probe, first_track: bool, what: str, target: str) -> str:
    if not first_track:
        return f"{what}: this audio track is copied with the picture into {target}"
    if probe.demuxer == MP4_DEMUXER and not probe.index_first:
        return f"{what} with its index at the end: copied into {target}"
    if probe.demuxer == MKV_DEMUXER and not (probe.duration_known and probe.webm_cues):
        return f"{what} without a duration or cues (recorded live): copied into {target}"
    return f"{what}: copied into {target}"
