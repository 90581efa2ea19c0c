"""Projections: small read tables derived from artifacts (SPEC §6).

Each projection is one SELECT over ``artifacts``. The same statement writes
rows incrementally (for a run, inside the transaction that stores its
artifacts) and rebuilds a table from scratch, so a rebuild reproduces the
incremental result by construction; a property test checks it anyway.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.config import get_settings
from eioku.domain.enums import ArtifactType, JumpKind

# Full-text search uses the language-neutral 'simple' configuration: no
# stemming, so a hit always contains the word that was asked for, in any
# language the ASR/OCR produced (docs/architecture.md, "Search").
FTS_CONFIG = "simple"

# Chinese and Japanese put no spaces between words (nor does Korean between a
# word and its particles), and the parser takes a whole run of such characters
# for one word: "東京タワーに行きました" would be found only whole. So each of
# these characters is a word of its own, in the stored tsvector (spaced_sql,
# migration 0015) and in the query, where a run becomes the phrase of its
# characters (fts_query): "東京" finds 東 followed by 京 anywhere in a line.
# Kana, CJK ideographs (with extensions and compatibility forms), Hangul
# syllables, halfwidth katakana, and 々〆〇. A raw string: both Python's and
# PostgreSQL's regular expressions read the \u escapes.
CJK = (r"\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
       r"\uff66-\uff9f\U00020000-\U0002fa1f")
_CJK_CHAR = re.compile(f"([{CJK}])")
_CJK_RUN = re.compile(f"(-?)([{CJK}]+)")
_SPACED = re.compile(f" ?(<mark>)?([{CJK}])(</mark>)? ?")


def spaced_sql(expr: str) -> str:
    """SQL: the text of ``expr`` with a space either side of each CJK character."""
    return f"regexp_replace({expr}, '([{CJK}])', ' \\1 ', 'g')"


# A hyphenated word is indexed whole and as its parts ("ill-disposed": ill-disposed,
# ill, disposed), so the phrase of its parts finds it written either way, as
# "ill-disposed", "ill disposed" or "ill -disposed". In the query it becomes that
# phrase; inside a quoted phrase it is its own phrase and the words either side
# of it are phrases of their own (the whole word takes a position of its own in
# the text, so no single phrase fits both spellings).
_HYPHENATED = re.compile(r"(?<!\w)(\w+(?:-\w+)+)(?![\w-])")


def _hyphens(q: str) -> str:
    if "-" not in q:
        return q

    def phrase(m: re.Match[str], inside: bool) -> str:
        if _CJK_CHAR.search(m.group(1)):  # CJK runs have their own rule (below)
            return m.group(1)
        words = m.group(1).replace("-", " ")
        return f'" "{words}" "' if inside else f'"{words}"'

    parts = q.split('"')
    for i, part in enumerate(parts):  # odd parts are inside quotes
        parts[i] = _HYPHENATED.sub(lambda m, inside=bool(i % 2): phrase(m, inside), part)
    return '"'.join(parts)


def fts_query(q: str) -> str:
    """The query as websearch_to_tsquery should read it: a hyphenated word
    the phrase of its parts (``_HYPHENATED``); a CJK run outside quotes becomes
    the quoted phrase of its characters (``-東京``: not that phrase), inside
    quotes each character a word of the phrase."""
    q = _hyphens(q)
    if not _CJK_CHAR.search(q):
        return q
    parts = q.split('"')
    for i, part in enumerate(parts):
        if i % 2:  # inside quotes
            parts[i] = _CJK_CHAR.sub(r" \1 ", part)
        else:
            parts[i] = _CJK_RUN.sub(lambda m, part=part: _phrase(part, m), part)
    return '"'.join(parts)


def _phrase(part: str, m: re.Match[str]) -> str:
    negated = m.group(1) == "-" and (m.start() == 0 or part[m.start() - 1].isspace())
    phrase = f"\"{' '.join(m.group(2))}\" "
    # "-東京" excludes the phrase; a dash inside a word ("a-東京") stays with the word before
    return f" -{phrase}" if negated else f"{m.group(1)} {phrase}"


def unspaced(snippet: str) -> str:
    """A headline of spaced text (spaced_sql) as the text reads: the added
    spaces gone, a marked run of characters one mark."""
    if not _CJK_CHAR.search(snippet):
        return snippet
    return _SPACED.sub(r"\1\2\3", snippet).replace("</mark><mark>", "")


@dataclass(frozen=True)
class Projection:
    table: str
    artifact_type: str
    kind: JumpKind | None  # None: searched (text_embeddings), not jumped through
    columns: dict[str, str]  # column -> SQL expression over artifacts "a"
    label_column: str | None = None
    has_confidence: bool = False
    is_text: bool = False
    # Payload versions whose fields the expressions above understand. A new
    # schema version is projected once it is listed here (or gets its own
    # Projection); until then its artifacts are stored but not navigable.
    schema_versions: tuple[int, ...] = (1,)
    # Sampled detections (objects, faces, places) are also merged into
    # appearance intervals, which is what navigation jumps between: "next dog"
    # is the next time a dog appears, not the next sampled frame showing one.
    appearances: str | None = None

    def insert_sql(self, scope: str, only_missing: bool) -> str:
        cols = ", ".join(self.columns)
        exprs = ", ".join(self.columns.values())
        missing = (
            f" AND NOT EXISTS (SELECT 1 FROM {self.table} p WHERE p.artifact_id = a.artifact_id)"
            if only_missing
            else ""
        )
        return (
            f"INSERT INTO {self.table} (artifact_id, asset_id, run_id, start_ms, end_ms, {cols}) "
            f"SELECT a.artifact_id, a.asset_id, a.run_id, a.span_start_ms, a.span_end_ms, {exprs} "
            f"FROM artifacts a WHERE a.artifact_type = :artifact_type "
            f"AND a.schema_version IN ({', '.join(map(str, self.schema_versions))}) AND {scope}{missing}"
        )

    def appearances_sql(self, scope: str) -> str:
        """Merge this projection's rows (per run and label) into intervals: a
        detection starting more than ``:gap_ms`` after the end of every one
        before it opens a new appearance (gaps-and-islands with two windows),
        and so does the first detection after a scene cut: appearances never
        cross a shot boundary, and end at the cut at the latest. Cuts are the
        scene starts of the video's selected scene run when this runs."""
        key = self.label_column
        return f"""
            WITH scene_run AS (
                SELECT v.asset_id, eioku_selected_run(v.asset_id, 'scene') AS run_id
                FROM (SELECT DISTINCT p.asset_id FROM {self.table} p WHERE {scope}) v
            )
            INSERT INTO {self.appearances}
                (run_id, asset_id, {key}, start_ms, end_ms, confidence, detections)
            SELECT run_id, asset_id, key, min(start_ms), LEAST(max(end_ms), min(next_cut)),
                   max(confidence), count(*)
            FROM (
                SELECT *, count(*) FILTER (WHERE prev_end IS NULL OR start_ms - prev_end > :gap_ms
                                           OR shot <> prev_shot)
                          OVER (PARTITION BY run_id, key ORDER BY start_ms, end_ms
                                ROWS UNBOUNDED PRECEDING) AS island
                FROM (
                    SELECT p.run_id, p.asset_id, p.{key} AS key, p.start_ms, p.end_ms, p.confidence,
                           -- ends cut at the shot's end: a detection running past a cut
                           -- is no evidence for the next shot
                           max(LEAST(p.end_ms, cut.next_cut)) OVER (
                               PARTITION BY p.run_id, p.{key} ORDER BY p.start_ms, p.end_ms
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
                           cut.shot, cut.next_cut,
                           lag(cut.shot) OVER (PARTITION BY p.run_id, p.{key}
                                               ORDER BY p.start_ms, p.end_ms) AS prev_shot
                    FROM {self.table} p
                    LEFT JOIN scene_run sr ON sr.asset_id = p.asset_id
                    CROSS JOIN LATERAL (
                        SELECT (SELECT count(*) FROM scene_ranges s WHERE s.run_id = sr.run_id
                                AND s.start_ms > 0 AND s.start_ms <= p.start_ms) AS shot,
                               (SELECT min(s.start_ms) FROM scene_ranges s WHERE s.run_id = sr.run_id
                                AND s.start_ms > p.start_ms) AS next_cut
                    ) cut
                    WHERE {scope}
                ) detections
            ) numbered
            GROUP BY run_id, asset_id, key, island"""


_PAYLOAD_TEXT = "a.payload->>'text'"
_TEXT = {
    "text": _PAYLOAD_TEXT,
    "tsv": f"to_tsvector('{FTS_CONFIG}', {spaced_sql(_PAYLOAD_TEXT)})",
}
_CONFIDENCE = "(a.payload->>'confidence')::float8"
# A face's person: the identity it was written with, or the one that identity
# was merged into (migration 0006). Artifacts keep the original, so a merge can
# be undone by projecting again.
_PERSON = ("COALESCE((SELECT fi.merged_into FROM face_identities fi "
           "WHERE fi.identity_id = a.payload->>'cluster_id'), a.payload->>'cluster_id')")

_TAGS = "ARRAY(SELECT jsonb_array_elements_text(a.payload->'tags'))"
_NOTE_TAGS = "concat_ws(' ', a.payload->>'note', NULLIF(array_to_string(" + _TAGS + ", ' '), ''))"
_BOOKMARK = {"bookmark_id": "(a.payload->>'bookmark_id')::uuid", "text": "a.payload->>'note'",
             "tags": _TAGS, "tsv": f"to_tsvector('{FTS_CONFIG}', {spaced_sql(_NOTE_TAGS)})"}

PROJECTIONS: tuple[Projection, ...] = (
    Projection("scene_ranges", ArtifactType.SCENE, JumpKind.SCENE,
               {"scene_index": "(a.payload->>'scene_index')::int"}),
    Projection("transcript_fts", ArtifactType.TRANSCRIPT_SEGMENT, JumpKind.TRANSCRIPT, _TEXT,
               is_text=True),
    Projection("ocr_fts", ArtifactType.OCR_TEXT, JumpKind.OCR, _TEXT, is_text=True),
    Projection("object_labels", ArtifactType.OBJECT_DETECTION, JumpKind.OBJECT,
               {"label": "lower(a.payload->>'label')", "confidence": _CONFIDENCE},
               label_column="label", has_confidence=True, appearances="object_appearances",
               schema_versions=(1, 2)),
    Projection("face_clusters", ArtifactType.FACE_DETECTION, JumpKind.FACE,
               {"cluster_id": _PERSON, "confidence": _CONFIDENCE},
               label_column="cluster_id", has_confidence=True, appearances="face_appearances"),
    Projection("place_labels", ArtifactType.PLACE_CLASSIFICATION, JumpKind.PLACE,
               {"label": "lower(a.payload->>'label')", "confidence": _CONFIDENCE},
               label_column="label", has_confidence=True, appearances="place_appearances",
               schema_versions=(1, 2)),
    # who speaks when: a run's speaker label ("Speaker 1"); a voice (store/voices.py) names it
    Projection("speaker_turns", ArtifactType.SPEAKER_TURN, JumpKind.SPEAKER,
               {"speaker": "a.payload->>'speaker'", "confidence": _CONFIDENCE,
                "overlap": "COALESCE((a.payload->>'overlap')::boolean, false)"},
               label_column="speaker", has_confidence=True),
    # chapters at topic changes (eioku_ml/analyzers/chapters.py): number and title
    Projection("chapter_ranges", ArtifactType.CHAPTER, JumpKind.CHAPTER,
               {"chapter_index": "(a.payload->>'chapter_index')::int",
                "title": "a.payload->>'title'"}),
    # names and terms said or shown (eioku_ml/analyzers/entities.py): label = lower(name)
    Projection("entity_mentions", ArtifactType.ENTITY_MENTION, JumpKind.ENTITY,
               {"label": "lower(a.payload->>'name')", "name": "a.payload->>'name'",
                "entity_type": "a.payload->>'type'", "text": "a.payload->>'text'",
                "source": "a.payload->>'source'", "confidence": _CONFIDENCE},
               label_column="label", has_confidence=True),
    # the language of an OCR line or transcript segment (eioku_ml/analyzers/languages.py)
    Projection("text_languages", ArtifactType.TEXT_LANGUAGE, JumpKind.LANGUAGE,
               {"language": "a.payload->>'language'", "source": "a.payload->>'source'",
                "of_artifact_id": "(a.payload->>'of_artifact_id')::uuid",
                "confidence": _CONFIDENCE},
               label_column="language", has_confidence=True),
    # what is heard (eioku_ml/analyzers/sounds.py): speech, music, singing, silence, programme
    Projection("audio_events", ArtifactType.AUDIO_EVENT, JumpKind.SOUND,
               {"label": "lower(a.payload->>'label')", "confidence": _CONFIDENCE,
                "loudness_lufs": "(a.payload->>'loudness_lufs')::float8"},
               label_column="label", has_confidence=True),
    # typed segments (eioku_ml/analyzers/segments.py): intro, credits, black, silence, colour_bars
    Projection("segments", ArtifactType.SEGMENT, JumpKind.SEGMENT,
               {"segment_type": "a.payload->>'type'", "confidence": _CONFIDENCE},
               label_column="segment_type", has_confidence=True),
    # what people marked (runs of producer user, store/bookmarks.py): note and tags searchable
    Projection("bookmark_notes", ArtifactType.BOOKMARK, JumpKind.BOOKMARK, _BOOKMARK, is_text=True),
    # the vector as real[] on any server ('[0.1, …]' -> '{0.1, …}'); see store/vectors.py
    Projection("text_embeddings", ArtifactType.TEXT_EMBEDDING, None,
               {"source": "a.payload->>'source'", "text": "a.payload->>'text'",
                "embedding": "translate(a.payload->>'vector', '[]', '{}')::real[]"}),
    Projection("image_embeddings", ArtifactType.IMAGE_EMBEDDING, None,
               {"model": "a.payload->>'model'",
                "embedding": "translate(a.payload->>'vector', '[]', '{}')::real[]"}),
)  # fmt: skip

BY_TYPE: dict[str, Projection] = {p.artifact_type: p for p in PROJECTIONS}
BY_KIND: dict[JumpKind, Projection] = {p.kind: p for p in PROJECTIONS if p.kind is not None}


class ProjectionWriter:
    def __init__(self, session: Session, appearance_gap_ms: int | None = None) -> None:
        self.session = session
        self.gap_ms = (get_settings().appearance_gap_ms if appearance_gap_ms is None
                       else appearance_gap_ms)

    def project_run(self, run_id: uuid.UUID, artifact_types: set[str]) -> int:
        """Add projection rows for this run's artifacts that have none yet."""
        written = 0
        for artifact_type in artifact_types:
            projection = BY_TYPE.get(artifact_type)
            if projection is None:
                continue
            # The anti-join is only needed when the run was projected before
            # (several batches into one run); skipping it speeds up bulk ingest.
            projected_before = self.session.execute(
                text(f"SELECT EXISTS (SELECT 1 FROM {projection.table} WHERE run_id = :run_id)"),
                {"run_id": run_id},
            ).scalar_one()
            sql = projection.insert_sql("a.run_id = :run_id", only_missing=projected_before)
            result = self.session.execute(
                text(sql), {"artifact_type": artifact_type, "run_id": run_id}
            )
            written += result.rowcount or 0  # type: ignore[attr-defined]
        return written

    def refresh_appearances(self, run_id: uuid.UUID, artifact_type: str) -> None:
        """Recompute one completed run's appearance intervals. Called when the
        run completes (only completed runs are ever shown, so a run written in
        many batches is merged once) and when one of its detections is deleted.
        A completed scene run re-merges the video's completed detection runs,
        whose appearances end at its cuts."""
        if artifact_type == ArtifactType.SCENE:
            asset_id = self.session.execute(text("SELECT asset_id FROM runs WHERE run_id = :r"),
                                            {"r": run_id}).scalar_one()
            self.cuts_changed(asset_id)
            return
        projection = BY_TYPE.get(artifact_type)
        if projection is not None and projection.appearances is not None:
            self._merge(projection, run_id)

    def cuts_changed(self, asset_id: uuid.UUID) -> None:
        """Re-merge the appearances of every completed detection run of a video
        at the cuts of its selected scene run: called when that run may have
        changed (a scene run completed or lost a scene, the scene selection
        was set), in the transaction that changed it."""
        for projection in PROJECTIONS:
            if projection.appearances is None:
                continue
            for other in self.session.execute(text(
                    "SELECT run_id FROM runs WHERE status = 'completed' AND artifact_type = :t "
                    "AND asset_id = :a"), {"t": projection.artifact_type, "a": asset_id}).scalars():
                self._merge(projection, other)

    def _merge(self, projection: Projection, run_id: uuid.UUID) -> None:
        self.session.execute(text(f"DELETE FROM {projection.appearances} WHERE run_id = :run_id"),
                             {"run_id": run_id})
        self.session.execute(text(projection.appearances_sql("p.run_id = :run_id")),
                             {"run_id": run_id, "gap_ms": self.gap_ms})

    def rebuild(self, asset_id: uuid.UUID | None = None) -> dict[str, int]:
        """Recompute every projection table (or one asset's rows) from artifacts."""
        counts: dict[str, int] = {}
        for projection in PROJECTIONS:
            params: dict[str, object] = {"artifact_type": projection.artifact_type}
            if asset_id is None:
                self.session.execute(text(f"DELETE FROM {projection.table}"))
                scope = "TRUE"
            else:
                self.session.execute(
                    text(f"DELETE FROM {projection.table} WHERE run_id IN "
                         "(SELECT run_id FROM runs WHERE asset_id = :asset_id)"),
                    {"asset_id": asset_id},
                )
                scope = "a.asset_id = :asset_id"
                params["asset_id"] = asset_id
            result = self.session.execute(text(projection.insert_sql(scope, False)), params)
            counts[projection.table] = result.rowcount or 0  # type: ignore[attr-defined]
            if projection.appearances is not None:
                counts[projection.appearances] = self._rebuild_appearances(projection, asset_id)
        return counts

    def _rebuild_appearances(self, projection: Projection, asset_id: uuid.UUID | None) -> int:
        scope, params = "TRUE", {"gap_ms": self.gap_ms}
        if asset_id is not None:
            scope, params["asset_id"] = "p.asset_id = :asset_id", asset_id
        self.session.execute(text(f"DELETE FROM {projection.appearances} WHERE "
                                  f"{scope.replace('p.', '')}"), params)
        completed = "p.run_id IN (SELECT run_id FROM runs WHERE status = 'completed')"
        result = self.session.execute(text(projection.appearances_sql(f"{scope} AND {completed}")),
                                      params)
        return result.rowcount or 0  # type: ignore[attr-defined]
