"""Face and voice as one person (docs/architecture.md, "Voices").

A voice is linked to a person when, over the library (each video's selected
speakers and faces runs), the voice speaks mostly while that person's face is
on screen, and that face is on screen mostly while this voice speaks:

- a turn of the voice *shows* a person when the person's face appearances
  cover at least half of the turn (overlapping speech is left out);
- a voice's *candidate* is the person on screen longest during its turns;
  it is linked to them when (1) at least ``LINK_MIN_TURNS`` of its turns
  show them, (2) they are on screen for at least ``LINK_SHARE`` of the
  voice's talk time, and (3) at least ``LINK_SHARE`` of the time that face is
  on screen while anyone speaks, a voice whose candidate it is speaks (a face
  on screen through everyone's talk, a listener's, is nobody's voice);
- one person per voice; a person may have several voices (one voice heard
  as two, until merged). A link made by hand (``link='user'``) is kept and takes its voice and person
  out of the rule; a link undone by hand is never made again by the rule
  (``refused_person``).

A voice never heard while a face is on screen stays voice-only. Linked, the
person's name is the voice's name: renaming the voice renames the person, a
person's new name shows on the voice, and the name (or the person id) finds
the voice wherever a voice is asked for (jump, search ``speaker=``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType
from eioku.domain.errors import ConflictError, NotFoundError
from eioku.store.people import PeopleRepository
from eioku.store.projections import ProjectionWriter
from eioku.store.voices import Voice, VoiceRepository

LINK_MIN_TURNS = 3
LINK_SHARE = 0.5

_COOCCURRENCE = """
WITH turns AS (
    SELECT COALESCE(v.merged_into, v.voice_id) AS voice, t.asset_id, t.artifact_id, t.start_ms, t.end_ms
    FROM speaker_turns t
    JOIN selected_runs sr ON sr.run_id = t.run_id AND sr.asset_id = t.asset_id
         AND sr.artifact_type = 'speaker.turn'
    JOIN voice_members m ON m.run_id = t.run_id AND m.speaker = t.speaker
    JOIN voices v ON v.voice_id = m.voice_id
    WHERE NOT t.overlap
), faces AS (
    SELECT f.cluster_id AS person, f.asset_id, f.start_ms, f.end_ms FROM face_appearances f
    JOIN selected_runs sr ON sr.run_id = f.run_id AND sr.asset_id = f.asset_id
         AND sr.artifact_type = 'face.detection'
), shared AS (
    SELECT t.voice, f.person, t.artifact_id, t.asset_id, t.end_ms - t.start_ms AS turn_ms,
           sum(LEAST(t.end_ms, f.end_ms) - GREATEST(t.start_ms, f.start_ms)) AS ms
    FROM turns t JOIN faces f ON f.asset_id = t.asset_id AND f.start_ms < t.end_ms AND f.end_ms > t.start_ms
    GROUP BY t.voice, f.person, t.artifact_id, t.asset_id, t.end_ms, t.start_ms
)
SELECT voice, person, count(*) FILTER (WHERE 2 * ms >= turn_ms) AS turns, sum(ms) AS ms,
       count(DISTINCT asset_id) AS videos,
       (SELECT sum(end_ms - start_ms) FROM turns x WHERE x.voice = shared.voice) AS talk_ms
FROM shared GROUP BY voice, person
"""


@dataclass(frozen=True)
class Evidence:
    voice_id: str
    person_id: str
    turns: int  # the voice's turns that show the person
    on_screen_ms: int  # the person on screen while the voice speaks
    talk_ms: int  # the voice's talk time (overlap left out)
    person_speaking_ms: int  # the person on screen while any voice speaks
    videos: int

    @property
    def voice_share(self) -> float:
        return self.on_screen_ms / self.talk_ms if self.talk_ms else 0.0



def evidence(session: Session) -> list[Evidence]:
    rows = session.execute(text(_COOCCURRENCE)).all()
    speaking: dict[str, int] = {}
    for r in rows:
        speaking[r.person] = speaking.get(r.person, 0) + int(r.ms)
    return [Evidence(r.voice, r.person, int(r.turns), int(r.ms), int(r.talk_ms or 0),
                     speaking[r.person], int(r.videos)) for r in rows]


def link_voices(session: Session) -> dict[str, str | None]:
    """Apply the rule (module doc) to every voice: automatic links made, changed
    or removed; links made by hand kept. Returns voice -> person for the voices
    whose automatic link changed (None: removed). Idempotent: run again on the
    same analyses it changes nothing. One process at a time (a lock held to the
    end of the transaction); a link made or undone by hand meanwhile is never
    overwritten (each change is made only if the voice is still the rule's)."""
    VoiceRepository(session).sync()
    if session.execute(text("SELECT NOT EXISTS (SELECT 1 FROM voices)")).scalar_one():
        return {}
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('eioku.voices'))"))
    current = {r.voice_id: (r.person_id, r.link, r.refused_person) for r in session.execute(text(
        "SELECT voice_id, person_id, link, refused_person FROM voices WHERE merged_into IS NULL"))}
    found = evidence(session)
    best: dict[str, Evidence] = {}  # the person on screen longest while each voice speaks
    for e in found:
        if e.voice_id not in best or e.on_screen_ms > best[e.voice_id].on_screen_ms:
            best[e.voice_id] = e
    # of each face's time on screen while someone speaks, how much is while a voice
    # whose candidate it is speaks (a listener's face is nobody's candidate)
    with_own: dict[str, int] = {}
    for e in best.values():
        with_own[e.person_id] = with_own.get(e.person_id, 0) + e.on_screen_ms
    chosen: dict[str, str] = {}
    for e in best.values():
        _, link, refused = current.get(e.voice_id, (None, None, None))
        face_share = with_own[e.person_id] / e.person_speaking_ms if e.person_speaking_ms else 0.0
        if link == "user" or e.person_id == refused:
            continue
        if e.turns >= LINK_MIN_TURNS and e.voice_share >= LINK_SHARE and face_share >= LINK_SHARE:
            chosen[e.voice_id] = e.person_id
    changed: dict[str, str | None] = {}
    for voice_id, (person, link, _) in current.items():
        if link == "user":
            continue
        want = chosen.get(voice_id)
        if want != person:
            done = session.execute(text(
                "UPDATE voices SET person_id = :p, link = :l WHERE voice_id = :v "
                "AND link IS DISTINCT FROM 'user' AND merged_into IS NULL "
                "AND (CAST(:p AS text) IS NULL OR refused_person IS DISTINCT FROM :p)"),
                {"p": want, "l": "auto" if want else None, "v": voice_id}).rowcount
            if done:
                if want is not None:
                    _one_name(session, voice_id, want, by_hand=False)
                changed[voice_id] = want
    return changed


# runs of these kinds change what the rule sees
RULE_INPUTS = frozenset({ArtifactType.SPEAKER_TURN, ArtifactType.FACE_DETECTION})


def after_run(session: Session, artifact_type: str) -> dict[str, str | None]:
    """Called where a run completes (the worker, a reused run, an external
    producer's run), in its transaction: a speakers run's speakers matched into
    voices and, after a speakers or faces run, the face-voice rule applied again,
    so links follow new analyses without anyone listing voices. Links made or
    undone by hand stay. Other runs: nothing."""
    if artifact_type not in RULE_INPUTS:
        return {}
    return link_voices(session)


def _one_name(session: Session, voice_id: str, person_id: str, *, by_hand: bool) -> None:
    """A voice just linked to a person: one name for both. A named voice names
    a nameless person (unless another person has that name); by hand, the voice's
    own name then gives way to the person's. Automatic, a voice keeps a name that
    differs from its person's (a user's word is not undone by the rule)."""
    voice_name = session.execute(text("SELECT name FROM voices WHERE voice_id = :v"),
                                 {"v": voice_id}).scalar_one()
    if voice_name is None:
        return
    person_name = session.execute(text(
        "SELECT canon.name FROM face_identities fi JOIN face_identities canon "
        "ON canon.identity_id = COALESCE(fi.merged_into, fi.identity_id) WHERE fi.identity_id = :p"),
        {"p": person_id}).scalar_one_or_none()
    if person_name is None:
        people = PeopleRepository(session, ProjectionWriter(session))
        try:
            canon = people.resolve(person_id).identity_id
            people.rename(canon, voice_name)
        except (ConflictError, NotFoundError):
            return  # the name is another person's: the voice keeps it
    elif not by_hand and person_name.lower() != voice_name.lower():
        return
    session.execute(text("UPDATE voices SET name = NULL WHERE voice_id = :v"), {"v": voice_id})


def link(session: Session, voice: str, person: str) -> Voice:
    """Link a voice to a person by hand (replacing the voice's link; the rule keeps it)."""
    voices = VoiceRepository(session)
    found = voices.resolve(voice)
    who = PeopleRepository(session, ProjectionWriter(session)).resolve(person)
    session.execute(text("UPDATE voices SET person_id = :p, link = 'user', refused_person = NULL "
                         "WHERE voice_id = :v"), {"p": who.identity_id, "v": found.voice_id})
    _one_name(session, found.voice_id, who.identity_id, by_hand=True)
    return voices.get(found.voice_id)


def unlink(session: Session, voice: str) -> Voice:
    """Undo a voice's link (by hand or automatic); the rule never makes it again."""
    voices = VoiceRepository(session)
    found = voices.resolve(voice)
    if found.person_id is None:
        raise ConflictError(f"{found.voice_id} is not linked to a person")
    session.execute(text("UPDATE voices SET refused_person = person_id, person_id = NULL, link = NULL "
                         "WHERE voice_id = :v"), {"v": found.voice_id})
    return voices.get(found.voice_id)


def rename(session: Session, voice: str, name: str | None) -> Voice:
    """Name a voice; a voice linked to a person names the person (one name for both)."""
    voices = VoiceRepository(session)
    found = voices.resolve(voice)
    if found.person_id is None:
        return voices.rename(found.voice_id, name)
    people = PeopleRepository(session, ProjectionWriter(session))
    people.rename(people.resolve(found.person_id).identity_id, name)
    voices.rename(found.voice_id, None)
    return voices.get(found.voice_id)
