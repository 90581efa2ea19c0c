"""Navigation: jump to the next/previous hit, find text, walk the library.

Each call is an indexed query over a projection table, restricted to the
run the selection policy picks (``selected_runs``, or ``eioku_selected_run``
for a request that overrides the policy). "next" is the
smallest start strictly after ``from_ms``, "prev" the largest strictly
before; all hits sharing that start are returned together, ids sorted.
For objects, faces and places a hit is an *appearance* (detections of one
label or face cluster merged in time, ``object_appearances`` etc.);
its ids are the detections that open it, its confidence the best in it
(``granularity=detection`` steps through single detections instead).

Per-video queries also name the video (``asset_id = :asset_id``), redundant
with the run but a bound parameter: on a layout partitioned by video
(docs/operations.md, bench/partitioned.py) the planner then reads one
partition instead of opening all of them to find the run's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.db.steps import Fetch, Statement, Steps, run
from eioku.domain.enums import Direction, FindSource, Granularity, JumpKind
from eioku.domain.errors import NoMatchError, ValidationFailedError
from eioku.domain.models import NO_OVERRIDE, SelectionOverride
from eioku.store.people import PERSON_SQL
from eioku.store.projections import BY_KIND, FTS_CONFIG, Projection, fts_query, spaced_sql, unspaced
from eioku.store.speakers import SPEAKER_MATCH
from eioku.store.videos import get_video

MAX_QUERY_CHARS = 500
SNIPPET_OPTIONS = "StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15, ShortWord=0"
_TSQUERY = f"websearch_to_tsquery('{FTS_CONFIG}', :q)"

# Find (``find_steps``) asks for more than the words as typed: each word's
# English stem, as a prefix ("Invoices" finds "invoice", "paying" "pay",
# "contract" "contractor"), over the same language-neutral tsvector. The stem is
# a prefix of the word but where Snowball turns a final y into i ("city" ->
# "citi"): a final i is dropped. A query of English stop words alone ("to be or
# not to be") keeps its words, as prefixes. Web-search syntax keeps its meaning:
# "a quoted phrase" (in that order), or, -exclude (no word starting so).
_LEXEME = "'(?:[^']|'')*'"  # a lexeme in a tsquery's text: quoted, quotes doubled
_LEXEME_SQL = _LEXEME.replace("'", "''")  # the same in a SQL string


def _prefixed(config: str) -> str:
    words = f"CAST(websearch_to_tsquery('{config}', :q) AS text)"
    if config == "english":  # "citi" -> "cit"
        words = rf"regexp_replace({words}, '(\w\w)i''(?= |\)|$)', '\1''', 'g')"
    return rf"CAST(regexp_replace({words}, '{_LEXEME_SQL}', '\&:*', 'g') AS tsquery)"


FIND_TSQUERY = (f"(CASE WHEN numnode(websearch_to_tsquery('english', :q)) > 0 "
                f"THEN {_prefixed('english')} ELSE {_prefixed(FTS_CONFIG)} END)")
# any one of the query's words (a phrase split over two lines has some in each)
_ANY_WORD = (f"(SELECT CAST(string_agg(m[1], ' | ') AS tsquery) FROM regexp_matches("
             f"CAST({FIND_TSQUERY} AS text), '({_LEXEME_SQL}:\\*)', 'g') AS m)")
# a line's box on screen (OCR polygons), for the line that follows it
_BOX = ("(SELECT min((pt->>'x')::float8) AS x0, max((pt->>'x')::float8) AS x1, "
        "min((pt->>'y')::float8) AS y0, max((pt->>'y')::float8) AS y1 "
        "FROM artifacts art, jsonb_array_elements(art.payload->'polygon') pt "
        "WHERE art.artifact_id = {alias}.artifact_id)")
SPEECH_PAUSE_MS = 2_000  # segments this close run on: a phrase may continue in the next


@dataclass(frozen=True)
class JumpQuery:
    kind: JumpKind
    direction: Direction = Direction.NEXT
    from_ms: int | None = None
    label: str | None = None
    text: str | None = None
    min_confidence: float | None = None
    selection: SelectionOverride = NO_OVERRIDE
    granularity: Granularity = Granularity.APPEARANCE


@dataclass(frozen=True)
class JumpResult:
    start_ms: int
    end_ms: int
    artifact_ids: list[uuid.UUID]
    kind: JumpKind
    label: str | None = None
    video_id: uuid.UUID | None = None
    labels: list[str] = field(default_factory=list)  # labels/face clusters of the hits


@dataclass(frozen=True)
class FindMatch:
    start_ms: int
    end_ms: int
    artifact_id: uuid.UUID
    source: str
    snippet: str


@dataclass
class _Filter:
    clauses: list[str] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)

    def sql(self, alias: str) -> str:
        return " AND ".join(c.replace("p.", f"{alias}.") for c in self.clauses) or "TRUE"


def _from_ms(direction: Direction, from_ms: int | None) -> int:
    if from_ms is None:  # no position: start from the beginning (next) or the end (prev)
        return -1 if direction is Direction.NEXT else MAX_SPAN_MS + 1
    return from_ms


def check_query_text(q: str) -> str:
    """Reject text that cannot be searched; everything else is passed as a bound
    parameter to websearch_to_tsquery, which accepts any input."""
    if "\x00" in q:
        raise ValidationFailedError("query text must not contain NUL characters", field="q")
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationFailedError(f"query text is longer than {MAX_QUERY_CHARS} characters",
                                    field="q")
    if not q.strip():
        raise ValidationFailedError("query text is empty", field="q")
    return q


# true when the query asks for a word (see :func:`_asks_a_word`); a constant in a
# query's WHERE clause, so a query with nothing to search for matches no row
_ASKS_A_WORD = f"(numnode({_TSQUERY}) > 0 AND querytree({_TSQUERY}) <> 'T')"


def searchable(session: Session, q: str) -> bool:
    return run(session, _asks_a_word(q))


def _asks_a_word(q: str) -> Steps[bool]:
    """Whether the query asks for at least one word: punctuation and operators
    alone have none, and negations alone (``-invoice``) would match everything
    *without* the word, which is nothing to search for (querytree gives 'T')."""
    return bool((yield Statement(f"SELECT {_ASKS_A_WORD}", {"q": fts_query(q)}, Fetch.SCALAR)))


def _require_lexemes(q: str) -> Steps[None]:
    if not (yield from _asks_a_word(q)):
        raise ValidationFailedError(
            f"query {q!r} has nothing to search for (punctuation, operators and negations "
            "alone match nothing)", field="q")


def _jump_filter(projection: Projection, query: JumpQuery) -> _Filter:
    """The WHERE clauses of a jump's filters. Text that asks for no word matches
    no row (checked, for the error message, only when nothing matched)."""
    f = _Filter()
    if query.label is not None:
        if projection.label_column is None:
            raise ValidationFailedError(f"kind={query.kind} has no labels to filter by",
                                        field="label")
        if projection.label_column == "cluster_id":  # a person: id, merged-away id or name
            f.clauses.append(f"p.cluster_id = {PERSON_SQL.format(p='label')}")
            f.params["label"] = query.label
        elif projection.label_column == "speaker":  # a run's label, or a voice: id or name
            f.clauses.append(SPEAKER_MATCH)
            f.params["label"] = query.label
        else:
            f.clauses.append(f"p.{projection.label_column} = :label")
            f.params["label"] = query.label.lower()
    if query.min_confidence is not None:
        if not projection.has_confidence:
            raise ValidationFailedError(f"kind={query.kind} has no confidence to filter by",
                                        field="min_confidence")
        f.clauses.append("p.confidence >= :min_confidence")
        f.params["min_confidence"] = query.min_confidence
    if query.text is not None:
        if not projection.is_text:
            raise ValidationFailedError(f"kind={query.kind} has no text to search", field="text")
        check_query_text(query.text)
        f.clauses.append(f"p.tsv @@ {_TSQUERY} AND {_ASKS_A_WORD}")
        f.params["q"] = fts_query(query.text)
    return f


def jump(session: Session, video_id: uuid.UUID, query: JumpQuery) -> JumpResult:
    return run(session, jump_steps(video_id, query))


def jump_steps(video_id: uuid.UUID, query: JumpQuery) -> Steps[JumpResult]:
    """One round trip on a hit; on a miss, an unknown video is a 404 and text
    with no word to search for a 422."""
    projection = BY_KIND[query.kind]
    f = _jump_filter(projection, query)
    nxt = query.direction is Direction.NEXT
    cmp, order = (">", "ASC") if nxt else ("<", "DESC")
    # one statement: the selected run, the hits at the next start, their ids and labels.
    # Hits are appearances for detections (ids: the detections opening them), rows otherwise.
    merged = projection.appearances if query.granularity is Granularity.APPEARANCE else None
    table, lc = merged or projection.table, projection.label_column
    ids = (f"(SELECT array_agg(o.artifact_id ORDER BY o.artifact_id) FROM {projection.table} o "
           f"WHERE o.asset_id = :asset_id AND o.run_id = (SELECT id FROM run) AND o.start_ms = h.start_ms "
           f"AND o.{lc} = ANY(array_agg(h.{lc})))" if merged
           else "array_agg(h.artifact_id ORDER BY h.artifact_id)")
    labels = f"array_agg(DISTINCT h.{lc} ORDER BY h.{lc})" if lc else "ARRAY[]::text[]"
    sql = (
        f"WITH run AS (SELECT {selected_run(query.selection, 'artifact_type')} AS id) "
        f"SELECT h.start_ms, max(h.end_ms) AS end_ms, {ids} AS ids, {labels} AS labels "
        f"FROM {table} h WHERE h.asset_id = :asset_id AND h.run_id = (SELECT id FROM run) "
        f"AND {f.sql('h')} AND h.start_ms = ("
        f"  SELECT q.start_ms FROM {table} q WHERE q.asset_id = :asset_id "
        f"  AND q.run_id = (SELECT id FROM run) "
        f"  AND {f.sql('q')} AND q.start_ms {cmp} :from_ms ORDER BY q.start_ms {order} LIMIT 1) "
        f"GROUP BY h.start_ms"
    )
    params = {
        "asset_id": video_id, "artifact_type": projection.artifact_type,
        "from_ms": _from_ms(query.direction, query.from_ms), **query.selection.sql_args, **f.params,
    }
    row = yield Statement(sql, params, Fetch.ONE_OR_NONE)
    if row is None:
        yield from get_video(video_id)
        if query.text is not None:
            yield from _require_lexemes(query.text)
        raise NoMatchError(_no_match_message(query))
    return JumpResult(row.start_ms, row.end_ms, list(row.ids or []), query.kind, query.label,
                      video_id, list(row.labels))


def _detections_at(projection: Projection, run_id: uuid.UUID, keys: list[str],
                   start_ms: int) -> Steps[list[uuid.UUID]]:
    """The detections that open appearances of ``keys`` at ``start_ms``."""
    rows = yield Statement(
        f"SELECT p.artifact_id FROM {projection.table} p WHERE p.run_id = :run_id "
        f"AND p.{projection.label_column} = ANY(:keys) AND p.start_ms = :start "
        f"ORDER BY p.artifact_id", {"run_id": run_id, "keys": keys, "start": start_ms})
    return [r.artifact_id for r in rows]


def _no_match_message(query: JumpQuery) -> str:
    what = query.kind.value
    if query.label:
        what += f" {query.label!r}"
    if query.text:
        what += f" matching {query.text!r}"
    where = "after" if query.direction is Direction.NEXT else "before"
    pos = f"{where} {query.from_ms} ms" if query.from_ms is not None else "in this video"
    return f"no {what} {pos} (with the current selection policy)"


def selected_run(selection: SelectionOverride, type_param: str) -> str:
    """SQL for the run of ``:asset_id`` and the artifact type in ``:{type_param}``
    that the selection picks. The stored policy's answer is kept in
    ``selected_runs`` (one primary-key probe, no function call: 0.07 ms less
    per source in a find); an override asks ``eioku_selected_run`` itself."""
    if selection.mode is None:
        return (f"(SELECT sr.run_id FROM selected_runs sr WHERE sr.asset_id = :asset_id "
                f"AND sr.artifact_type = :{type_param})")
    return f"(SELECT eioku_selected_run(:asset_id, :{type_param}, :sel_mode, :sel_profile))"


def find(session: Session, video_id: uuid.UUID, q: str, **options: Any) -> list[FindMatch]:
    return run(session, find_steps(video_id, q, **options))


def find_steps(
    video_id: uuid.UUID, q: str, *, source: FindSource = FindSource.ALL,
    direction: Direction = Direction.NEXT, from_ms: int | None = None, limit: int = 20,
    selection: SelectionOverride = NO_OVERRIDE,
) -> Steps[list[FindMatch]]:
    """Text matches in speech and/or on-screen text, ordered by time: the words
    as prefixes and by their stems (``FIND_TSQUERY``), also when a phrase runs
    on from one line to the next (``_run_on``). One round trip when something
    matches; the video and the query are checked further only when nothing
    does (an unknown video is a 404, an empty query a 422)."""
    checked = check_query_text(q)
    kinds = {FindSource.TRANSCRIPT: [JumpKind.TRANSCRIPT], FindSource.OCR: [JumpKind.OCR],
             FindSource.BOOKMARK: [JumpKind.BOOKMARK],
             FindSource.ALL: [JumpKind.TRANSCRIPT, JumpKind.OCR, JumpKind.BOOKMARK]}[source]
    nxt = direction is Direction.NEXT
    cmp, order = (">", "ASC") if nxt else ("<", "DESC")
    parts = []
    params: dict[str, object] = {
        "asset_id": video_id, "q": fts_query(q), "from_ms": _from_ms(direction, from_ms), "limit": limit,
        "opts": SNIPPET_OPTIONS, "pause_ms": SPEECH_PAUSE_MS, **selection.sql_args,
    }
    several_words = len(checked.split()) > 1 or fts_query(q) != q
    for kind in kinds:
        proj = BY_KIND[kind]
        params[f"type_{kind}"] = proj.artifact_type
        run_id = selected_run(selection, f"type_{kind}")
        parts.append(
            f"(SELECT p.start_ms, p.end_ms, p.artifact_id, '{kind.value}' AS source, p.text "
            f"FROM {proj.table} p WHERE p.asset_id = :asset_id AND p.run_id = {run_id} "
            f"AND p.tsv @@ {FIND_TSQUERY} AND {_ASKS_A_WORD} "
            f"AND p.start_ms {cmp} :from_ms "
            f"ORDER BY p.start_ms {order}, p.artifact_id {order} LIMIT :limit)"
        )
        if several_words and kind is not JumpKind.BOOKMARK:  # a note is whole: nothing runs on
            parts.append(_run_on(kind, proj.table, run_id, cmp, order))
    ordering = f"ORDER BY start_ms {order}, source {order}, artifact_id {order}"
    # snippets only for the hits returned, not for every candidate of each source
    sql = (f"SELECT start_ms, end_ms, artifact_id, source, "
           f"ts_headline('{FTS_CONFIG}', {spaced_sql('text')}, {FIND_TSQUERY}, :opts) AS snippet FROM ("
           "SELECT * FROM (" + " UNION ALL ".join(parts) + f") AS hits {ordering} LIMIT :limit"
           f") AS top {ordering}")
    rows = yield Statement(sql, params)
    if not rows:
        yield from get_video(video_id)
        yield from _require_lexemes(checked)
    return [FindMatch(r.start_ms, r.end_ms, r.artifact_id, r.source, unspaced(r.snippet))
            for r in rows]


def _run_on(kind: JumpKind, table: str, run_id: str, cmp: str, order: str) -> str:
    """SQL: lines that match only together with the line that follows them, as
    one hit at the first (its text both lines): the next speech segment when
    it starts within ``SPEECH_PAUSE_MS``; on screen, the text shown at the same
    time just right of it on its line, or else the line just below it."""
    if kind is JumpKind.TRANSCRIPT:
        follows = (f"SELECT b.text, b.end_ms, b.tsv FROM {table} b WHERE b.asset_id = :asset_id "
                   f"AND b.run_id = a.run_id AND b.start_ms >= a.start_ms "
                   f"AND b.start_ms <= a.end_ms + :pause_ms AND b.artifact_id <> a.artifact_id "
                   f"AND (b.start_ms, b.artifact_id) > (a.start_ms, a.artifact_id) "
                   f"ORDER BY b.start_ms, b.artifact_id LIMIT 1")
    else:
        follows = (f"SELECT b.text, b.end_ms, b.tsv FROM {table} b, LATERAL {_BOX.format(alias='b')} bb, "
                   f"LATERAL {_BOX.format(alias='a')} ab WHERE b.asset_id = :asset_id "
                   f"AND b.run_id = a.run_id AND b.start_ms < a.end_ms AND b.end_ms > a.start_ms "
                   f"AND b.start_ms >= a.start_ms - 600000 AND b.artifact_id <> a.artifact_id "
                   f"AND bb.y0 < ab.y1 + 1.5 * (ab.y1 - ab.y0) AND bb.y1 > ab.y0 "
                   f"AND ((bb.x0 >= ab.x1 - 0.2 * (ab.y1 - ab.y0) AND bb.x0 <= ab.x1 + 2 * (ab.y1 - ab.y0) "
                   f"      AND bb.y0 < ab.y1 AND bb.y1 > ab.y0 + 0.5 * (ab.y1 - ab.y0)) "  # same line
                   f"  OR (bb.y0 >= ab.y0 + 0.5 * (ab.y1 - ab.y0) AND bb.x0 < ab.x1 AND bb.x1 > ab.x0)) "
                   f"ORDER BY (bb.y0 < ab.y0 + 0.5 * (ab.y1 - ab.y0)) DESC, bb.y0, bb.x0 LIMIT 1")
    joined = "a.text || ' ' || b.text"
    return (f"(SELECT a.start_ms, GREATEST(a.end_ms, b.end_ms) AS end_ms, a.artifact_id, "
            f"'{kind.value}' AS source, {joined} AS text "
            f"FROM {table} a CROSS JOIN LATERAL ({follows}) b "
            f"WHERE a.asset_id = :asset_id AND a.run_id = {run_id} AND a.tsv @@ {_ANY_WORD} "
            f"AND NOT a.tsv @@ {FIND_TSQUERY} AND NOT b.tsv @@ {FIND_TSQUERY} "
            f"AND to_tsvector('{FTS_CONFIG}', {spaced_sql(joined)}) @@ {FIND_TSQUERY} "
            f"AND a.start_ms {cmp} :from_ms ORDER BY a.start_ms {order}, a.artifact_id {order} LIMIT :limit)")


def jump_global(session: Session, **options: Any) -> JumpResult:
    return run(session, jump_global_steps(**options))


def jump_global_steps(
    *, kind: JumpKind, direction: Direction = Direction.NEXT,
    from_video: uuid.UUID | None = None, from_ms: int | None = None, label: str | None = None,
    q: str | None = None, min_confidence: float | None = None,
) -> Steps[JumpResult]:
    """The next/previous hit across the library, in recording order
    (recorded time, else registration time; then video id; then start).
    ``from_ms`` is a time in ``from_video``: without it, a 422."""
    if from_ms is not None and from_video is None:
        raise ValidationFailedError(
            "from_ms is a time in from_video: give from_video too, or neither to start "
            "at the first (next) or last (prev) video", field="from_ms")
    projection = BY_KIND[kind]
    f = _jump_filter(projection, JumpQuery(kind, label=label, text=q,
                                           min_confidence=min_confidence))
    nxt = direction is Direction.NEXT
    cmp, order = (">", "ASC") if nxt else ("<", "DESC")
    params: dict[str, object] = {"artifact_type": projection.artifact_type, **f.params}
    if from_video is not None:  # an unknown one is a 404, checked only on a miss
        # this video from from_ms on, then the videos after it in recording order: one
        # row comparison, which the index on (artifact_type, video_t, asset_id) ranges over
        video_from = (f"(s.video_t, s.asset_id) {cmp}= ((SELECT COALESCE(recorded_at, created_at) "
                      "FROM videos WHERE video_id = :fv), CAST(:fv AS uuid))")
        position = (f"(s.asset_id <> CAST(:fv AS uuid) OR p.start_ms {cmp} :from_ms)")
        params.update(fv=from_video, from_ms=_from_ms(direction, from_ms))
    else:
        position = video_from = "TRUE"
    table = projection.appearances or projection.table
    hit = f"p.{projection.label_column}" if projection.appearances else "p.artifact_id"
    hit_label = f"p.{projection.label_column}" if projection.label_column else "NULL"
    # selected_runs is walked in recording order (its index) and each video's
    # selected run probed through the projection's index: the first video with
    # a hit ends the walk, whatever the size of the library
    sql = (
        f"SELECT s.asset_id AS video_id, p.run_id, p.start_ms FROM selected_runs s "
        f"CROSS JOIN LATERAL (SELECT p.run_id, p.start_ms FROM {table} p "
        f"WHERE p.run_id = s.run_id AND {f.sql('p')} AND {position} "
        f"ORDER BY p.start_ms {order} LIMIT 1) p "
        f"WHERE s.artifact_type = :artifact_type AND {video_from} "
        f"ORDER BY s.video_t {order}, s.asset_id {order} LIMIT 1"
    )
    first = yield Statement(sql, params, Fetch.ONE_OR_NONE)
    if first is None:
        if from_video is not None:
            yield from get_video(from_video)
        if q is not None:
            yield from _require_lexemes(q)
        raise NoMatchError(f"no {kind.value}{' ' + repr(label) if label else ''} further in the library")
    # every hit at that (video, start), like the per-video jump
    rows = yield Statement(
        f"SELECT p.end_ms, {hit} AS hit, {hit_label} AS label FROM {table} p "
        f"WHERE p.run_id = :run AND p.start_ms = :start AND {f.sql('p')} ORDER BY {hit}",
        {**params, "run": first.run_id, "start": first.start_ms})
    hits = [r.hit for r in rows]
    ids = (hits if not projection.appearances
           else (yield from _detections_at(projection, first.run_id, hits, first.start_ms)))
    labels = sorted({r.label for r in rows if r.label is not None})
    return JumpResult(first.start_ms, max(r.end_ms for r in rows), ids, kind, label, first.video_id,
                      labels)


@dataclass(frozen=True)
class AppearanceRow:
    label: str
    start_ms: int
    end_ms: int
    confidence: float
    detections: int


def appearances(session: Session, video_id: uuid.UUID, kind: JumpKind,
                **options: Any) -> list[AppearanceRow]:
    return run(session, appearances_steps(video_id, kind, **options))


def appearances_steps(
    video_id: uuid.UUID, kind: JumpKind, *, label: str | None = None,
    min_confidence: float | None = None, from_ms: int = 0, to_ms: int = MAX_SPAN_MS + 1,
    limit: int = 500, selection: SelectionOverride = NO_OVERRIDE,
) -> Steps[list[AppearanceRow]]:
    """A video's timeline of objects, people or places: appearances starting in
    [from_ms, to_ms), in time order, from the run the selection policy picks.
    At most ``limit`` starts' worth: appearances sharing a start stay together."""
    yield from get_video(video_id)
    projection = BY_KIND[kind]
    if projection.appearances is None:
        kinds = ", ".join(k.value for k, p in BY_KIND.items() if p.appearances)
        raise ValidationFailedError(f"kind={kind.value} has no appearances (only {kinds})",
                                    field="kind")
    f = _jump_filter(projection, JumpQuery(kind, label=label, min_confidence=min_confidence))
    lc, table = projection.label_column, projection.appearances
    run = selected_run(selection, "artifact_type")
    # up to `limit` rows, extended to every appearance sharing the last start, so
    # paging with from_ms = last start + 1 never skips one
    rows = yield Statement(
        f"SELECT p.{lc} AS label, p.start_ms, p.end_ms, p.confidence, p.detections "
        f"FROM {table} p WHERE p.asset_id = :asset_id AND p.run_id = {run} AND {f.sql('p')} "
        f"AND p.start_ms >= :from_ms "
        f"AND p.start_ms <= (SELECT max(start_ms) FROM (SELECT q.start_ms FROM {table} q "
        f"WHERE q.asset_id = :asset_id AND q.run_id = {run} AND {f.sql('q')} "
        f"AND q.start_ms >= :from_ms "
        f"AND q.start_ms < :to_ms ORDER BY q.start_ms LIMIT :limit) page) "
        f"ORDER BY p.start_ms, p.{lc}",
        {"asset_id": video_id, "artifact_type": projection.artifact_type, "from_ms": from_ms,
         "to_ms": to_ms, "limit": limit, **selection.sql_args, **f.params})
    return [AppearanceRow(r.label, r.start_ms, r.end_ms, r.confidence, r.detections) for r in rows]
