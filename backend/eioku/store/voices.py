"""Voices: a run's speakers matched across videos into library-wide voices.

Each speaker of a completed speakers run (version 2 on: its turns carry their
voice embedding) becomes a *member* (``voice_members``): its centroid is the
unit mean of its turns' embeddings, weighted by their length (overlapping
speech left out). A new member joins the voice whose members' mean centroid is
nearest by cosine, from ``MATCH_THRESHOLD`` (calibrated on the evaluation
voices, tests/unit/ml/test_voice_matching.py), at most one speaker of a run to
a voice (the diarizer said they differ): the most alike pair first. Otherwise
it starts a voice ("voice-N").

Runs are matched when voices are read or written (:func:`sync`): cheap when
nothing is new (one indexed query). Voices are renamed, merged and unmerged
like people (``merged_into``; artifacts keep the run's labels, so a merge is
undone by clearing it). A voice may be linked to a person (services/voices.py).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType
from eioku.domain.errors import ConflictError, NotFoundError, ValidationFailedError
from eioku.store.people import clean_name

MATCH_THRESHOLD = 0.74  # cosine; calibrated on seeds 100-105: the middle of the gap between
# different voices (at most 0.621) and the same voice (at least 0.854)

# a reference to a voice inside SQL: its id, a merged-away id, its name, or the id or
# name of the person it is linked to -> the canonical voice
VOICE_SQL = ("(SELECT COALESCE(v.merged_into, v.voice_id) FROM voices v "
             "LEFT JOIN face_identities fi ON fi.identity_id = v.person_id "
             "LEFT JOIN face_identities canon "
             "ON canon.identity_id = COALESCE(fi.merged_into, fi.identity_id) "
             "WHERE v.voice_id = :{p} OR lower(v.name) = lower(:{p}) OR canon.identity_id = :{p} "
             "OR lower(canon.name) = lower(:{p}) "
             "ORDER BY v.voice_id = :{p} DESC, v.merged_into IS NULL DESC, v.voice_id LIMIT 1)")
# every canonical voice a reference asks for: by its id, a merged-away id, its name, or
# the id or name of its person (a person may have several voices)
VOICES_SQL = ("(SELECT COALESCE(v.merged_into, v.voice_id) FROM voices v "
              "LEFT JOIN face_identities fi ON fi.identity_id = v.person_id "
              "LEFT JOIN face_identities canon "
              "ON canon.identity_id = COALESCE(fi.merged_into, fi.identity_id) "
              "WHERE v.voice_id = :{p} OR lower(v.name) = lower(:{p}) OR canon.identity_id = :{p} "
              "OR lower(canon.name) = lower(:{p}))")
# the name a voice (row "v", canonical) shows under: its own, else its person's
VOICE_NAME = ("COALESCE(v.name, (SELECT canon.name FROM face_identities fi JOIN face_identities canon "
              "ON canon.identity_id = COALESCE(fi.merged_into, fi.identity_id) "
              "WHERE fi.identity_id = v.person_id))")


@dataclass(frozen=True)
class Voice:
    voice_id: str
    name: str | None
    merged_into: str | None
    person_id: str | None  # the person whose face it is linked to
    person_name: str | None
    link: str | None  # 'auto' | 'user'
    videos: int  # videos whose selected speakers run has it
    talk_ms: int  # its talk time in those runs
    speakers: int  # run speakers in it (members), merged voices' included
    shown_as: str  # its name, else its person's name, else its id
    refused_person: str | None  # a link undone by hand (never made again by the rule)
    turns: int = 0  # its turns in those runs


@dataclass(frozen=True)
class VoiceTurn:
    video_id: uuid.UUID
    title: str  # the video's file name
    duration_ms: int | None
    speaker: str  # the run's label
    start_ms: int
    end_ms: int
    overlap: bool


Vector = list[float]  # plain floats: the API process needs no numpy


def _unit(v: Sequence[float]) -> Vector:
    norm = max(math.sqrt(sum(x * x for x in v)), 1e-9)
    return [x / norm for x in v]


def _add(a: Vector | None, b: Sequence[float], weight: float = 1.0) -> Vector:
    return [x * weight for x in b] if a is None else [x + y * weight for x, y in zip(a, b, strict=True)]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Of two unit vectors."""
    return float(sum(x * y for x, y in zip(a, b, strict=True)))


def speaker_centroids(turns: Iterable[tuple[str, int, int, Sequence[float] | None, bool]]
                      ) -> dict[str, tuple[Vector, int]]:
    """Turns (speaker, start ms, end ms, embedding, overlap) -> each speaker's
    (centroid, talk ms): the unit mean of its turns' embeddings weighted by their
    length, overlapping speech and turns without an embedding left out."""
    sums: dict[str, Vector] = {}
    talk: dict[str, int] = {}
    for speaker, start, end, embedding, overlap in turns:
        if embedding is None or overlap or (speaker in sums and len(embedding) != len(sums[speaker])):
            continue  # (an embedding of another size than the speaker's first: another model's)
        sums[speaker] = _add(sums.get(speaker), [float(x) for x in embedding], max(end - start, 1))
        talk[speaker] = talk.get(speaker, 0) + (end - start)
    return {s: (_unit(v), talk[s]) for s, v in sums.items()}


def run_centroids(session: Session, run_id: uuid.UUID) -> dict[str, tuple[Vector, int]]:
    """A speakers run's speakers -> (centroid, talk ms) (:func:`speaker_centroids`)."""
    return speaker_centroids(session.execute(text(
        "SELECT payload->>'speaker', span_start_ms, span_end_ms, payload->'embedding', "
        "COALESCE((payload->>'overlap')::boolean, false) "
        "FROM artifacts WHERE run_id = :r AND artifact_type = :t"),
        {"r": run_id, "t": ArtifactType.SPEAKER_TURN}).tuples())


def match(speakers: dict[str, Sequence[float]], voices: dict[str, Sequence[float]],
          threshold: float = MATCH_THRESHOLD) -> dict[str, str | None]:
    """Each speaker of one run -> the voice it joins (None: a new voice): most
    alike pairs first, one speaker per voice, from ``threshold``."""
    pairs = sorted(((cosine(c, v), s, vid) for s, c in speakers.items() for vid, v in voices.items()
                    if len(c) == len(v)), reverse=True)  # embeddings of another model never match
    out: dict[str, str | None] = dict.fromkeys(speakers)
    taken: set[str] = set()
    for sim, s, vid in pairs:
        if sim < threshold:
            break
        if out[s] is None and vid not in taken:
            out[s] = vid
            taken.add(vid)
    return out


class VoiceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def voice_centroids(self) -> dict[str, Vector]:
        """Each canonical voice's mean member centroid (merged voices' members included)."""
        sums: dict[str, Vector] = {}
        for voice_id, centroid in self.session.execute(text(
                "SELECT COALESCE(v.merged_into, v.voice_id), m.centroid FROM voice_members m "
                "JOIN voices v ON v.voice_id = m.voice_id ORDER BY m.run_id, m.speaker")):
            if voice_id in sums and len(centroid) != len(sums[voice_id]):
                continue  # merged by hand with a voice of another model's embeddings
            sums[voice_id] = _add(sums.get(voice_id), centroid)
        return {v: _unit(c) for v, c in sums.items()}

    def sync(self, threshold: float = MATCH_THRESHOLD) -> list[uuid.UUID]:
        """Match the speakers of completed speakers runs not matched yet; the runs matched."""
        pending = self.session.execute(text(
            "SELECT r.run_id, r.asset_id FROM runs r WHERE r.artifact_type = :t "
            "AND r.status = 'completed' AND NOT EXISTS (SELECT 1 FROM voice_members m "
            "WHERE m.run_id = r.run_id) AND EXISTS (SELECT 1 FROM artifacts a WHERE a.run_id = r.run_id "
            "AND a.artifact_type = :t AND a.payload ? 'embedding') ORDER BY r.finished_at, r.run_id"),
            {"t": ArtifactType.SPEAKER_TURN}).all()
        if not pending:
            return []
        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('eioku.voices'))"))
        voices = self.voice_centroids()
        done = []
        for run_id, asset_id in pending:
            if self.session.execute(text("SELECT 1 FROM voice_members WHERE run_id = :r LIMIT 1"),
                                    {"r": run_id}).first():
                continue  # matched meanwhile by another process
            found = run_centroids(self.session, run_id)
            joined = match({s: c for s, (c, _) in found.items()}, voices, threshold)
            for speaker in sorted(found, key=lambda s: -found[s][1]):
                centroid, talk_ms = found[speaker]
                voice_id = joined[speaker] or self._new_voice()
                self.session.execute(text(
                    "INSERT INTO voice_members (run_id, speaker, voice_id, asset_id, centroid, talk_ms) "
                    "VALUES (:r, :s, :v, :a, :c, :t)"),
                    {"r": run_id, "s": speaker, "v": voice_id, "a": asset_id,
                     "c": [float(x) for x in centroid], "t": talk_ms})
                if joined[speaker] is None:
                    voices[voice_id] = centroid
            done.append(run_id)
            voices = self.voice_centroids()
        return done

    def _new_voice(self) -> str:
        n = self.session.execute(text(
            "SELECT COALESCE(max(substring(voice_id FROM 7)::int), 0) + 1 FROM voices "
            "WHERE voice_id ~ '^voice-[0-9]+$'")).scalar_one()
        voice_id = f"voice-{n}"
        self.session.execute(text("INSERT INTO voices (voice_id) VALUES (:v)"), {"v": voice_id})
        return voice_id

    _LIST = """
        SELECT v.voice_id, v.name, v.merged_into, v.person_id, v.link, v.refused_person,
               COALESCE({name}, v.voice_id) AS shown_as,
               (SELECT fi.name FROM face_identities fi WHERE fi.identity_id = v.person_id) AS person_name,
               count(DISTINCT m.asset_id) FILTER (WHERE sr.run_id IS NOT NULL) AS videos,
               COALESCE(sum(m.talk_ms) FILTER (WHERE sr.run_id IS NOT NULL), 0) AS talk_ms,
               count(m.run_id) AS speakers,
               (SELECT count(*) FROM speaker_turns t JOIN voice_members tm
                    ON tm.run_id = t.run_id AND tm.speaker = t.speaker
                JOIN voices tv ON tv.voice_id = tm.voice_id
                JOIN selected_runs ts ON ts.run_id = t.run_id AND ts.asset_id = t.asset_id
                    AND ts.artifact_type = 'speaker.turn'
                WHERE tv.voice_id = v.voice_id OR tv.merged_into = v.voice_id) AS turns
        FROM voices v
        LEFT JOIN voices child ON child.voice_id = v.voice_id OR child.merged_into = v.voice_id
        LEFT JOIN voice_members m ON m.voice_id = child.voice_id
        LEFT JOIN selected_runs sr ON sr.run_id = m.run_id AND sr.asset_id = m.asset_id
            AND sr.artifact_type = 'speaker.turn'
        WHERE {where}
        GROUP BY v.voice_id
    """  # {name}: VOICE_NAME

    def _voice(self, r: object) -> Voice:
        return Voice(r.voice_id, r.name, r.merged_into, r.person_id, r.person_name,  # type: ignore[attr-defined]
                     r.link, int(r.videos), int(r.talk_ms), int(r.speakers),  # type: ignore[attr-defined]
                     r.shown_as, r.refused_person, int(r.turns))  # type: ignore[attr-defined]

    def list(self, limit: int = 100, offset: int = 0) -> list[Voice]:
        """Voices not merged away, the most heard first."""
        rows = self.session.execute(text(
            self._LIST.format(where="v.merged_into IS NULL", name=VOICE_NAME)
            + " ORDER BY talk_ms DESC, v.voice_id LIMIT :l OFFSET :o"), {"l": limit, "o": offset}).all()
        return [self._voice(r) for r in rows]

    def get(self, voice_id: str) -> Voice:
        row = self.session.execute(text(self._LIST.format(where="v.voice_id = :v", name=VOICE_NAME)),
                                   {"v": voice_id}).first()
        if row is None:
            raise NotFoundError(f"no voice {voice_id!r}")
        return self._voice(row)

    def resolve(self, reference: str) -> Voice:
        """A voice by id or name (case-insensitive); a merged-away id gives the voice it joined."""
        voice_id = self.session.execute(text("SELECT " + VOICE_SQL.format(p="ref")),
                                        {"ref": reference}).scalar_one()
        if voice_id is None:
            raise NotFoundError(f"no voice {reference!r}")
        return self.get(voice_id)

    def turns(self, voice_id: str, limit: int = 100,
              offset: int = 0) -> tuple[list[VoiceTurn], int, int]:
        """A voice's turns across the library (its merged voices' included), in
        each video's selected speakers run, in recording order then time; with how
        many there are and in how many videos."""
        selected = ("FROM speaker_turns t JOIN voice_members m ON m.run_id = t.run_id "
                    "AND m.speaker = t.speaker JOIN voices c ON c.voice_id = m.voice_id "
                    "JOIN selected_runs s ON s.run_id = t.run_id AND s.asset_id = t.asset_id "
                    "AND s.artifact_type = :t WHERE (c.voice_id = :v OR c.merged_into = :v)")
        params = {"v": voice_id, "t": ArtifactType.SPEAKER_TURN}
        total, videos = self.session.execute(text(
            f"SELECT count(*), count(DISTINCT t.asset_id) {selected}"), params).one()
        rows = self.session.execute(text(
            "SELECT t.asset_id, vid.filename, vid.duration_ms, t.speaker, t.start_ms, t.end_ms, t.overlap "
            f"{selected.replace('WHERE', 'JOIN videos vid ON vid.video_id = t.asset_id WHERE')} "
            "ORDER BY s.video_t, t.asset_id, t.start_ms LIMIT :l OFFSET :o"),
            {**params, "l": limit, "o": offset}).all()
        return [VoiceTurn(r.asset_id, r.filename, r.duration_ms, r.speaker, int(r.start_ms), int(r.end_ms),
                          bool(r.overlap)) for r in rows], int(total), int(videos)

    def merged_map(self) -> dict[str, list[str]]:
        """Every voice that others were merged into -> those voices."""
        out: dict[str, list[str]] = {}
        for voice_id, into in self.session.execute(text(
                "SELECT voice_id, merged_into FROM voices WHERE merged_into IS NOT NULL ORDER BY voice_id")):
            out.setdefault(into, []).append(voice_id)
        return out

    def merged_from(self, voice_id: str) -> list[str]:
        return list(self.session.execute(text(
            "SELECT voice_id FROM voices WHERE merged_into = :v ORDER BY voice_id"),
            {"v": voice_id}).scalars())

    def rename(self, voice_id: str, name: str | None) -> Voice:
        voice = self.get(voice_id)
        if voice.merged_into is not None:
            raise ConflictError(f"{voice_id} was merged into {voice.merged_into}: "
                                f"rename {voice.merged_into} instead")
        name = clean_name(name)
        if name is not None:
            clash = self.session.execute(text(
                "SELECT voice_id FROM voices WHERE voice_id <> :v "
                "AND (lower(name) = lower(:n) OR lower(voice_id) = lower(:n))"),
                {"v": voice_id, "n": name}).scalar_one_or_none()
            if clash is not None:
                raise ConflictError(f"the name {name!r} is taken by {clash}")
        self.session.execute(text("UPDATE voices SET name = :n WHERE voice_id = :v"),
                             {"n": name, "v": voice_id})
        return self.get(voice_id)

    def merge(self, source: str, target: str) -> Voice:
        """``source`` (and whatever was merged into it) becomes part of ``target``."""
        src, dst = self.resolve(source), self.resolve(target)
        if src.voice_id == dst.voice_id:
            raise ValidationFailedError("a voice cannot be merged into itself", field="into")
        self.session.execute(text("UPDATE voices SET merged_into = :d WHERE voice_id = :s "
                                  "OR merged_into = :s"), {"d": dst.voice_id, "s": src.voice_id})
        if dst.person_id is None and src.person_id is not None:  # the link comes along
            self.session.execute(text("UPDATE voices SET person_id = :p, link = :l WHERE voice_id = :d"),
                                 {"p": src.person_id, "l": src.link, "d": dst.voice_id})
        return self.get(dst.voice_id)

    def unmerge(self, voice_id: str) -> Voice:
        voice = self.get(voice_id)
        if voice.merged_into is None:
            raise ConflictError(f"{voice_id} is not merged into another voice")
        self.session.execute(text("UPDATE voices SET merged_into = NULL WHERE voice_id = :v"),
                             {"v": voice_id})
        return self.get(voice_id)
