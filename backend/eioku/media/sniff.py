"""What a file is, from its content: the container FFmpeg finds when it
probes the bytes (never the name), and the media type and extension that
follow. Uploads that are not audio or video are refused with it, and the
stream route answers with the type it gives (docs/security.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import av

from eioku.domain.errors import NotMediaError

WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})
# FFmpeg's demuxer name -> (media type with video, with audio only, extension).
# Only containers of audio and video: FFmpeg also reads pictures, subtitles and
# text (image2, *_pipe, tty, srt...), which are not uploads of a video.
CONTAINERS: dict[str, tuple[str, str, str]] = {
    "mpegts": ("video/mp2t", "audio/mp2t", ".ts"),
    "avi": ("video/x-msvideo", "video/x-msvideo", ".avi"),
    "mp3": ("audio/mpeg", "audio/mpeg", ".mp3"),
    "ogg": ("video/ogg", "audio/ogg", ".ogg"),
    "wav": ("audio/wav", "audio/wav", ".wav"),
    "flac": ("audio/flac", "audio/flac", ".flac"),
    "aac": ("audio/aac", "audio/aac", ".aac"),
    "flv": ("video/x-flv", "video/x-flv", ".flv"),
    "asf": ("video/x-ms-asf", "audio/x-ms-wma", ".asf"),
    "mpeg": ("video/mpeg", "audio/mpeg", ".mpg"),
    "mpegvideo": ("video/mpeg", "video/mpeg", ".m2v"),
    "mxf": ("application/mxf", "application/mxf", ".mxf"),
    "aiff": ("audio/aiff", "audio/aiff", ".aiff"),
    "amr": ("audio/amr", "audio/amr", ".amr"),
    "h264": ("video/h264", "video/h264", ".h264"),
    "hevc": ("video/h265", "video/h265", ".h265"),
}


@dataclass(frozen=True)
class MediaType:
    mime: str
    extension: str
    container: str


def sniff(path: Path, name: str | None = None) -> MediaType:
    """The file's media type from its content; NotMediaError (naming the file
    as ``name``) when it is not audio or video (a picture, a page, text,
    anything FFmpeg cannot read)."""
    stat = path.stat()
    return _sniff(str(path), stat.st_mtime_ns, stat.st_size, name or path.name)


@lru_cache(maxsize=1024)
def _sniff(path: str, mtime_ns: int, size: int, name: str) -> MediaType:
    try:
        with av.open(path) as container:
            demuxer = container.format.name
            brand = str(container.metadata.get("major_brand", "")).strip().lower()
            video = [s.codec_context.name for s in container.streams.video]
            audio = [s.codec_context.name for s in container.streams.audio]
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise NotMediaError(f"{name} is not a video or audio file FFmpeg can read") from exc
    if not video and not audio:
        raise NotMediaError(f"{name} has no video or audio stream")
    return MediaType(*_type(demuxer, brand, video, audio), container=demuxer)


def _type(demuxer: str, brand: str, video: list[str], audio: list[str]) -> tuple[str, str]:
    if demuxer == "mov,mp4,m4a,3gp,3g2,mj2":
        if brand.startswith("qt"):
            return "video/quicktime", ".mov"
        if brand.startswith("3g"):
            return ("video/3gpp" if video else "audio/3gpp"), ".3gp"
        return ("video/mp4", ".mp4") if video else ("audio/mp4", ".m4a")
    if demuxer == "matroska,webm":
        if all(c in WEBM_CODECS for c in video + audio):
            return ("video/webm" if video else "audio/webm"), ".webm"
        return ("video/x-matroska" if video else "audio/x-matroska"), ".mkv"
    known = CONTAINERS.get(demuxer)
    if known is None:
        raise NotMediaError(f"the {demuxer} format is not a video or audio container Eioku takes")
    with_video, audio_only, extension = known
    return (with_video if video else audio_only), extension
