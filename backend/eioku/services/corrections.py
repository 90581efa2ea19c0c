"""Corrections: a person fixes a transcript line (text, timing) or removes or
renames a label of a video, and can undo it (docs/architecture.md,
"Corrections"). The API and tests call these; the store keeps the
corrections and the user run made of them (store/corrections.py).

Each change is checked here, before anything is written: a line must be one of
this video's transcript lines, text must be something and not a book, a
timing must lie inside the video. Each one ends with the user run made again,
in the same transaction, so the next read of any kind shows it.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from eioku.config import Settings
from eioku.domain.errors import (
    ArtifactNotFoundError,
    ConflictError,
    NotFoundError,
    SemanticSearchUnavailableError,
    ValidationFailedError,
)
from eioku.store.corrections import (
    LABEL_TYPES,
    REMOVE_LABEL,
    RENAME_LABEL,
    SEGMENT,
    SEGMENT_TYPES,
    USER,
    Correction,
    CorrectionStore,
    derived_id,
)
from eioku.store.uow import UnitOfWork

MAX_TEXT = 5_000  # characters of one corrected line
MAX_LINE_MS = 10 * 60_000  # a line longer than this is no line
MAX_LABEL = 200  # as the object and place payloads allow
_END_SLACK_MS = 1_000  # a line may end a moment after the last frame (audio runs longer)


@dataclass(frozen=True)
class Outcome:
    correction: Correction
    run_id: uuid.UUID | None  # the user run that shows the corrections in force (None: none)


def author(settings: Settings) -> str:
    """Who corrected: the one token is one holder; without a token, whoever is at this machine."""
    return "token holder" if settings.api_token else "local user"


def _store(uow: UnitOfWork) -> CorrectionStore:
    return CorrectionStore(uow.session, uow.projections)


def _clean_text(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationFailedError("the text is empty: a line needs words (undo a correction "
                                    "to bring back the machine's)", field="text")
    if len(cleaned) > MAX_TEXT:
        raise ValidationFailedError(f"the text has {len(cleaned)} characters; a line holds at most "
                                    f"{MAX_TEXT}", field="text")
    if "\x00" in cleaned:
        raise ValidationFailedError("the text holds a NUL character", field="text")
    return cleaned


def _check_timing(start_ms: int, end_ms: int, duration_ms: int | None) -> None:
    if start_ms < 0:
        raise ValidationFailedError(f"start_ms {start_ms} is before the video starts", field="start_ms")
    if end_ms <= start_ms:
        raise ValidationFailedError(f"end_ms {end_ms} is not after start_ms {start_ms}",
                                    field="end_ms")
    if end_ms - start_ms > MAX_LINE_MS:
        raise ValidationFailedError(f"a line of {(end_ms - start_ms) / 1000:.0f} s is too long "
                                    f"(at most {MAX_LINE_MS // 1000} s)", field="end_ms")
    if duration_ms is not None and end_ms > duration_ms + _END_SLACK_MS:
        raise ValidationFailedError(f"end_ms {end_ms} is after the video's end ({duration_ms} ms)",
                                    field="end_ms")


def _line(uow: UnitOfWork, video_id: uuid.UUID, artifact_id: uuid.UUID) -> dict[str, Any]:
    """The transcript line ``artifact_id`` names, in a completed run of this video,
    with the run's producer and config."""
    row = uow.session.execute(text(
        "SELECT a.artifact_id, a.asset_id, a.artifact_type, a.schema_version, a.span_start_ms, "
        "a.span_end_ms, a.payload, a.run_id, r.producer, r.config FROM artifacts a "
        "JOIN runs r ON r.run_id = a.run_id AND r.status = 'completed' "
        "WHERE a.artifact_id = :id"), {"id": artifact_id}).one_or_none()
    if row is None:
        raise ArtifactNotFoundError(f"no transcript line with id {artifact_id} in a completed run")
    if row.asset_id != video_id:
        raise ValidationFailedError(f"artifact {artifact_id} belongs to another video, not to "
                                    f"{video_id}", field="artifact_id")
    if row.artifact_type not in SEGMENT_TYPES:
        raise ValidationFailedError(f"artifact {artifact_id} is a {row.artifact_type}, not a "
                                    "transcript line; labels are corrected with "
                                    "POST /v1/videos/{id}/corrections/labels", field="artifact_id")
    return dict(row._mapping)


def _machine_line(uow: UnitOfWork, line: dict[str, Any]) -> dict[str, Any]:
    """The machine's line a line of a user run was copied from."""
    base = line["config"].get("base_run_id")
    row = uow.session.execute(text(
        "SELECT a.artifact_id, a.schema_version, a.span_start_ms, a.span_end_ms, a.payload, a.run_id "
        "FROM artifacts a WHERE a.run_id = CAST(:base AS uuid) "
        "AND md5(CAST(:user_run AS text) || a.artifact_id::text)::uuid = :id"),
        {"base": base, "user_run": str(line["run_id"]), "id": line["artifact_id"]}).one_or_none()
    if row is None:  # a user run is derived from its base: this cannot be
        raise NotFoundError(f"the machine's line of {line['artifact_id']} is gone")
    return dict(row._mapping)


def _target(uow: UnitOfWork, video_id: uuid.UUID, line: dict[str, Any]
            ) -> tuple[str, dict[str, Any]]:
    """What a correction of this line corrects: its target key and the machine's
    line (origin); a corrected line keeps those of the correction it shows."""
    if line["producer"] == USER:
        for c in _store(uow).in_force(video_id, line["artifact_type"]):
            if c.kind == SEGMENT and derived_id(line["run_id"], c.correction_id) == line["artifact_id"]:
                return c.target_key, c.origin
        line = _machine_line(uow, line)
    payload = {k: v for k, v in line["payload"].items() if k != "words"}
    origin = {"artifact_id": str(line["artifact_id"]), "run_id": str(line["run_id"]),
              "start_ms": line["span_start_ms"], "end_ms": line["span_end_ms"],
              "text": line["payload"].get("text", ""), "schema_version": line["schema_version"],
              "payload": payload}
    return str(line["artifact_id"]), origin


def correct_line(uow: UnitOfWork, video_id: uuid.UUID, artifact_id: uuid.UUID, *,
                 new_text: str | None, start_ms: int | None, end_ms: int | None,
                 by: str) -> Outcome:
    """Give a transcript line new text and/or timing (what is not given stays as shown)."""
    video = uow.videos.get(video_id)
    line = _line(uow, video_id, artifact_id)
    key, origin = _target(uow, video_id, line)
    shown = {"text": line["payload"].get("text", ""), "start_ms": line["span_start_ms"],
             "end_ms": line["span_end_ms"]}
    value = {"text": shown["text"] if new_text is None else _clean_text(new_text),
             "start_ms": shown["start_ms"] if start_ms is None else start_ms,
             "end_ms": shown["end_ms"] if end_ms is None else end_ms}
    _check_timing(value["start_ms"], value["end_ms"], video.duration_ms)
    if value == shown:
        raise ValidationFailedError("nothing to change: the line already reads so", field="text")
    value.update(_meaning(value["text"]))
    store = _store(uow)
    correction = store.add(asset_id=video_id, artifact_type=line["artifact_type"], kind=SEGMENT,
                           target_key=key, origin=origin, value=value, author=by)
    return Outcome(correction, store.rebuild_all(video_id, line["artifact_type"]))


TEXT_MODEL = "all-MiniLM-L6-v2"  # what services.search embeds queries with (eioku_ml.models.minilm)


def _meaning(words: str) -> dict[str, Any]:
    """The line's vector for search by meaning, by the model search embeds queries
    with; nothing where that model is not installed (the line is then found by its
    words only, and no longer by the machine's meaning)."""
    from eioku.services import search  # loads the text model on first use, as search does

    try:
        vector = search.embed_query(words)
    except SemanticSearchUnavailableError:
        return {}
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return {"vector": [round(x / norm, 7) for x in vector], "model": TEXT_MODEL}


def correct_label(uow: UnitOfWork, video_id: uuid.UUID, artifact_type: str, label: str, *,
                  rename_to: str | None, by: str) -> Outcome:
    """Remove a label from a video (``rename_to`` None) or rename it."""
    uow.videos.get(video_id)
    if artifact_type not in LABEL_TYPES:
        raise ValidationFailedError(f"labels of {artifact_type!r} cannot be corrected; those of "
                                    f"{', '.join(LABEL_TYPES)} can", field="artifact_type")
    key = " ".join(label.split()).lower()
    if not key or len(key) > MAX_LABEL:
        raise ValidationFailedError(f"a label has 1 to {MAX_LABEL} characters", field="label")
    store = _store(uow)
    if not _label_seen(uow, video_id, artifact_type, key):
        raise NotFoundError(f"no {key!r} among the {artifact_type} labels of video {video_id}")
    value: dict[str, Any] = {}
    if rename_to is not None:
        new = " ".join(rename_to.split())
        if not new or len(new) > MAX_LABEL:
            raise ValidationFailedError(f"a new label has 1 to {MAX_LABEL} characters", field="to")
        if new.lower() == key:
            raise ValidationFailedError(f"{key!r} is named so already", field="to")
        value = {"to": new}
    correction = store.add(asset_id=video_id, artifact_type=artifact_type,
                           kind=REMOVE_LABEL if rename_to is None else RENAME_LABEL,
                           target_key=key, origin={"label": key}, value=value, author=by)
    return Outcome(correction, store.rebuild_all(video_id, artifact_type))


def _label_seen(uow: UnitOfWork, video_id: uuid.UUID, artifact_type: str, key: str) -> bool:
    """Whether any completed run of this video (the machine's, or the corrected
    view's renamed labels) has a detection labelled ``key``."""
    return bool(uow.session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM artifacts a JOIN runs r ON r.run_id = a.run_id "
        "WHERE a.asset_id = :v AND a.artifact_type = :t AND r.status = 'completed' "
        "AND lower(a.payload->>'label') = :key)"),
        {"v": video_id, "t": artifact_type, "key": key}).scalar_one())


def undo(uow: UnitOfWork, video_id: uuid.UUID, correction_id: uuid.UUID, *, by: str) -> Outcome:
    """Undo one correction: what it replaced (the correction before it, or the
    machine's) is shown again."""
    uow.videos.get(video_id)
    store = _store(uow)
    found = store.get(correction_id)
    if found is None or found.asset_id != video_id:
        raise NotFoundError(f"no correction {correction_id} of video {video_id}")
    undone = store.undo(correction_id, by)
    if undone is None:
        raise ConflictError(f"correction {correction_id} was undone already")
    return Outcome(undone, store.rebuild_all(video_id, found.artifact_type))


def corrections(uow: UnitOfWork, video_id: uuid.UUID) -> list[tuple[Correction, bool]]:
    """Every correction of a video, oldest first, each with whether it is in force."""
    uow.videos.get(video_id)
    store = _store(uow)
    everything = store.for_video(video_id)
    in_force = {c.correction_id for t in {c.artifact_type for c in everything}
                for c in store.in_force(video_id, t)}
    return [(c, c.correction_id in in_force) for c in everything]


@dataclass(frozen=True)
class Line:
    artifact_id: uuid.UUID
    start_ms: int
    end_ms: int
    text: str
    correction_id: uuid.UUID | None  # the correction this line shows (None: the machine's)
    machine_text: str | None  # what the machine heard, for a corrected line
    translation: str | None = None  # its English (speech in another language, EIOKU_TRANSLATE)


def lines(uow: UnitOfWork, video_id: uuid.UUID) -> list[Line]:
    """The transcript lines every read shows (the selected run), with their ids
    and which are corrections."""
    uow.videos.get(video_id)
    rows = uow.session.execute(text(
        "SELECT p.artifact_id, p.start_ms, p.end_ms, p.text, p.run_id, "
        "a.payload ->> 'translation' AS translation FROM transcript_fts p "
        "LEFT JOIN artifacts a ON a.artifact_id = p.artifact_id AND a.asset_id = :v "
        "WHERE p.run_id = (SELECT run_id FROM selected_runs WHERE asset_id = :v "
        "AND artifact_type = :t) ORDER BY p.start_ms, p.artifact_id"),
        {"v": video_id, "t": SEGMENT_TYPES[0]}).all()
    by_id = {}
    if rows:
        by_id = {derived_id(rows[0].run_id, c.correction_id): c
                 for c in _store(uow).in_force(video_id, SEGMENT_TYPES[0]) if c.kind == SEGMENT}
    out = []
    for r in rows:
        c = by_id.get(r.artifact_id)
        out.append(Line(r.artifact_id, r.start_ms, r.end_ms, r.text,
                        c.correction_id if c else None, c.origin.get("text") if c else None,
                        r.translation))
    return out
