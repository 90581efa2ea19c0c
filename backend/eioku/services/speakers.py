"""Who said what: transcript segments with their speaker, from a speakers run.

The speakers analyzer stores ``speaker.turn`` artifacts only; the transcript
run is never rewritten. A reader that shows speech (the transcript panel,
subtitles, search hits, exports) joins the two selected runs with
:func:`attribute`: each timed word goes to the speaker whose turn holds the
word's middle (a turn not marked ``overlap`` first), and a segment is split
where its words change speaker, each piece carrying ``speaker``. A segment
without word times takes the speaker who talks longest during it. Re-running
either stage, or selecting another run of it, changes the answer with no
derived data to rebuild (docs/architecture.md, "Speakers").
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass
from typing import Any

from eioku.domain.enums import ArtifactType
from eioku.domain.models import NO_OVERRIDE, SelectionOverride
from eioku.store.speakers import selected_speakers_run, speaker_names
from eioku.store.uow import UnitOfWork


@dataclass(frozen=True)
class SpokenTurn:
    start_ms: int
    end_ms: int
    speaker: str
    overlap: bool = False


def turns_of(artifacts: list[Any]) -> list[SpokenTurn]:
    """``speaker.turn`` artifacts (objects with span and payload) as turns, in time order."""
    return sorted((SpokenTurn(a.span_start_ms, a.span_end_ms, a.payload["speaker"],
                              bool(a.payload.get("overlap"))) for a in artifacts),
                  key=lambda t: (t.start_ms, t.end_ms))


def speaker_at(turns: list[SpokenTurn], start_ms: int, end_ms: int) -> str | None:
    """The speaker of [start_ms, end_ms): the one whose turn holds its middle
    (a turn without overlap preferred), else the longest talker in it."""
    middle = (start_ms + end_ms) // 2
    i = bisect.bisect_right([t.start_ms for t in turns], middle)
    holding = [t for t in turns[max(0, i - 8):i] if t.start_ms <= middle < t.end_ms]
    if holding:
        return min(holding, key=lambda t: (t.overlap, t.start_ms)).speaker
    talk: dict[str, int] = {}
    for t in turns:
        shared = min(t.end_ms, end_ms) - max(t.start_ms, start_ms)
        if shared > 0:
            talk[t.speaker] = talk.get(t.speaker, 0) + shared
    return max(talk, key=lambda s: talk[s]) if talk else None


def attribute(segment: dict[str, Any], turns: list[SpokenTurn]) -> list[dict[str, Any]]:
    """One transcript segment (``start_ms``, ``end_ms`` and its payload fields:
    ``text``, ``words``, ...) as one or more segments, split where the speaker
    changes, each with ``speaker`` set."""
    words = segment.get("words") or []
    if not turns:
        return [segment]
    if not words:
        return [{**segment, "speaker": speaker_at(turns, segment["start_ms"], segment["end_ms"])}]
    pieces: list[list[dict[str, Any]]] = []
    owners: list[str | None] = []
    for word in words:
        who = speaker_at(turns, word["start_ms"], word["end_ms"])
        if pieces and who == owners[-1]:
            pieces[-1].append(word)
        else:
            pieces.append([word])
            owners.append(who)
    return [{**segment, "start_ms": group[0]["start_ms"], "end_ms": group[-1]["end_ms"],
             "text": " ".join(w["word"] for w in group), "words": group, "speaker": who}
            for group, who in zip(pieces, owners, strict=True)]


def spoken_segments(uow: UnitOfWork, video_id: uuid.UUID,
                    selection: SelectionOverride = NO_OVERRIDE,
                    run_id: uuid.UUID | None = None) -> list[dict[str, Any]] | None:
    """The selected transcript's segments split at changes of speaker (:func:`attribute`),
    each with ``speaker`` (the name it shows under: its voice's name or id, else the
    run's label), ``speaker_label`` (the run's label) and ``artifact_id`` (the
    segment it comes from); None when no speakers run is selected. ``run_id``:
    the speakers run, when the caller knows it is the selected one."""
    if run_id is None:
        uow.videos.get(video_id)
        run_id = selected_speakers_run(uow.session, video_id, selection)
    if run_id is None:
        return None
    turns = turns_of(uow.artifacts.get_by_asset(video_id, ArtifactType.SPEAKER_TURN, run_id=run_id))
    names = speaker_names(uow.session, run_id)
    out: list[dict[str, Any]] = []
    for a in uow.artifacts.get_by_asset(video_id, ArtifactType.TRANSCRIPT_SEGMENT, selection=selection):
        segment = {**a.payload, "start_ms": a.span_start_ms, "end_ms": a.span_end_ms}
        for piece in attribute(segment, turns):
            label = piece.get("speaker")
            out.append({**piece, "speaker": names.get(label, label) if label else None,
                        "speaker_label": label, "artifact_id": str(a.artifact_id)})
    return out


def speakers_of_spans(uow: UnitOfWork, video_id: uuid.UUID, spans: list[tuple[int, int]]
                      ) -> list[str | None] | None:
    """The speaker (the name it shows under) of each span, whole, under the selected
    speakers run (:func:`speaker_at`): for text without word times, such as a
    segment's translation. None when no speakers run is selected."""
    run_id = selected_speakers_run(uow.session, video_id, NO_OVERRIDE)
    if run_id is None:
        return None
    turns = turns_of(uow.artifacts.get_by_asset(video_id, ArtifactType.SPEAKER_TURN, run_id=run_id))
    names = speaker_names(uow.session, run_id)
    return [names.get(label, label) if (label := speaker_at(turns, start, end)) else None
            for start, end in spans]
