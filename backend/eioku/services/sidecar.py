"""Subtitles people already have, as transcript runs of their own.

A subtitle file beside a video (``talk.srt``, ``talk.en.vtt``) — or a
subtitle track inside it, decoded by the caller — becomes a completed
``transcript.segment`` run with producer ``sidecar``: selectable like any
run, searchable in full text and navigable the moment it is stored, before
any analysis ran. Nothing is overwritten: the same cues imported again
return the run already there; changed cues make a new run (the latest,
so shown by default until a newer transcript completes).

A sidecar run's model profile is ``high_quality`` (subtitles are written by
people): the ``best_quality`` selection mode keeps showing them after the
speech transcript finishes, while the default (latest) shows the newest run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from eioku.domain.enums import RunStatus
from eioku.domain.hashing import config_hash
from eioku.domain.models import Run, Video
from eioku.store.uow import UnitOfWork

PRODUCER = "sidecar"
PRODUCER_VERSION = "1"
PROFILE = "high_quality"
SUFFIXES = (".srt", ".vtt")
UNKNOWN_LANGUAGE = "und"  # BCP 47 "undetermined"
MAX_TEXT = 20_000  # TranscriptSegmentV1.text
MAX_FILE_BYTES = 16 * 1024 * 1024  # a subtitle file is text: past this it is something else

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}$")
_SRT_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^}]*\}")  # <i>, <font ...>, {\an8}


@dataclass(frozen=True)
class Cue:
    """One subtitle: when it shows and what it says (markup removed)."""

    start_ms: int
    end_ms: int
    text: str


def import_subtitles(uow: UnitOfWork, video: Video, cues: Iterable[Cue], language: str | None,
                     source: str) -> Run | None:
    """Store ``cues`` as a completed ``sidecar`` transcript run of ``video``
    (in the caller's transaction; the caller commits). ``language`` is a
    language tag (``en``, ``pt-BR``) or None for unknown; ``source`` says where
    the cues came from (a file name, ``track 2``) and is kept in the run's
    config. The same cues, language and source imported again return the run
    already stored. Returns None when no cue has any text."""
    clean = _clean(cues)
    if not clean:
        return None
    language = normalise_language(language)
    config = {"source": source, "language": language}
    digest = hashlib.sha256(json.dumps([[c.start_ms, c.end_ms, c.text] for c in clean],
                                       ensure_ascii=False).encode()).hexdigest()
    input_hash = f"sha256:{digest}"
    existing = uow.session.execute(text(
        "SELECT run_id FROM runs WHERE asset_id = :v AND producer = :p AND status = 'completed' "
        "AND artifact_type = 'transcript.segment' AND config_hash = :c AND input_hash = :i LIMIT 1"),
        {"v": video.video_id, "p": PRODUCER, "c": config_hash(config), "i": input_hash}).scalar()
    if existing is not None:
        return uow.runs.get(existing)
    run = uow.runs.create(
        asset_id=video.video_id, artifact_type="transcript.segment", producer=PRODUCER,
        producer_version=PRODUCER_VERSION, model_profile=PROFILE, input_hash=input_hash,
        config=config, analyzer=PRODUCER, status=RunStatus.RUNNING)
    uow.artifacts.batch_create(run, [
        {"span_start_ms": c.start_ms, "span_end_ms": c.end_ms,
         "payload": {"text": c.text, "confidence": 1.0, "language": language}}
        for c in clean])
    return uow.runs.complete(run.run_id)


def _clean(cues: Iterable[Cue]) -> list[Cue]:
    out = []
    for cue in cues:
        words = " ".join(cue.text.replace("\x00", "").split())[:MAX_TEXT]
        if not words:
            continue
        start = max(0, int(cue.start_ms))
        out.append(Cue(start, max(start, int(cue.end_ms)), words))
    out.sort(key=lambda c: (c.start_ms, c.end_ms))
    return out


def normalise_language(language: str | None) -> str:
    """A language tag as stored (``en``, ``pt-BR``), or ``und`` when unknown."""
    if not language or not _LANGUAGE.match(language):
        return UNKNOWN_LANGUAGE
    head, *rest = language.replace("_", "-").split("-")
    return "-".join([head.lower(), *(p.upper() if len(p) == 2 else p for p in rest)])


# ---- files beside a video ---------------------------------------------------

def language_of(video_path: Path, subtitle_path: Path) -> str:
    """``talk.en.vtt`` beside ``talk.mp4`` is English; ``talk.srt`` is ``und``."""
    middle = subtitle_path.name[len(video_path.stem):-len(subtitle_path.suffix)].strip(".")
    return normalise_language(middle or None)


def subtitle_belongs_to(video_path: Path, subtitle_path: Path) -> bool:
    """``name.srt``, ``name.vtt`` and ``name.LANG.srt|vtt`` beside ``name.EXT``."""
    if subtitle_path.parent != video_path.parent or subtitle_path.suffix.lower() not in SUFFIXES:
        return False
    stem = subtitle_path.name[:-len(subtitle_path.suffix)]
    if stem == video_path.stem:
        return True
    return (stem.startswith(video_path.stem + ".")
            and language_of(video_path, subtitle_path) != UNKNOWN_LANGUAGE)


def sidecars_of(video_path: Path) -> list[Path]:
    """The subtitle files beside a video, by name."""
    try:
        names = [p for p in video_path.parent.iterdir() if p.name.startswith(video_path.stem)]
    except OSError:
        return []
    return sorted(p for p in names if p.is_file() and subtitle_belongs_to(video_path, p))


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("cp1252", errors="replace")  # old SRT files: Windows-1252 more often than not


def parse_subtitles(data: bytes, suffix: str) -> list[Cue]:
    """The cues of an SRT or WebVTT file (``suffix`` ``.srt`` or ``.vtt``);
    ValueError when it is neither."""
    import srt
    import webvtt

    body = _decode(data)
    if suffix.lower() == ".vtt" or body.lstrip().startswith("WEBVTT"):
        try:
            captions = webvtt.from_string(body).captions
        except Exception as exc:  # webvtt-py raises its own error types per problem
            raise ValueError(f"not a WebVTT file: {exc}") from exc
        return [Cue(c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), c.text)
                for c in captions]
    try:
        subs = list(srt.parse(body))
    except (srt.SRTParseError, ValueError) as exc:
        raise ValueError(f"not an SRT file: {exc}") from exc
    return [Cue(int(s.start.total_seconds() * 1000), int(s.end.total_seconds() * 1000),
                _SRT_MARKUP.sub("", s.content)) for s in subs]


def import_file(uow: UnitOfWork, video: Video, video_path: Path, subtitle_path: Path) -> Run | None:
    """Import one subtitle file beside ``video_path`` (ValueError when it cannot
    be read as SRT or WebVTT)."""
    if subtitle_path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{subtitle_path.name} is larger than {MAX_FILE_BYTES} bytes")
    cues = parse_subtitles(subtitle_path.read_bytes(), subtitle_path.suffix)
    return import_subtitles(uow, video, cues, language_of(video_path, subtitle_path),
                            subtitle_path.name)


def import_sidecars(uow: UnitOfWork, video: Video, video_path: Path) -> list[Run]:
    """Import every subtitle file beside a video; one that cannot be read is skipped."""
    runs = []
    for path in sidecars_of(video_path):
        try:
            run = import_file(uow, video, video_path, path)
        except (OSError, ValueError):
            continue
        if run is not None:
            runs.append(run)
    return runs

