"""Artifact repository: validated bulk writes, selection-aware reads (SPEC §5).

Reads never return artifacts of a run that is not completed: every query
goes through ``eioku_selected_run`` (the selection policy) or, for an
explicit run or id, checks the run's status.
"""

from __future__ import annotations

import gc
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg.copy import QueuedLibpqWriter
from pydantic import BaseModel
from pydantic_core import from_json, to_json
from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.artifacts.envelope import ENVELOPE_FIELDS, MAX_SPAN_MS, ArtifactEnvelope
from eioku.artifacts.registry import SchemaRegistry
from eioku.domain.enums import RunStatus
from eioku.domain.errors import (
    ArtifactNotFoundError,
    InvalidTransitionError,
    ValidationFailedError,
)
from eioku.domain.models import NO_OVERRIDE, Run, SelectionOverride
from eioku.store.projections import BY_TYPE, ProjectionWriter

ENVELOPE_COLUMNS = ", ".join(f"a.{c}" for c in ENVELOPE_FIELDS)
_COPY_COLUMNS = (
    "artifact_id", "asset_id", "artifact_type", "schema_version", "span_start_ms", "span_end_ms",
    "payload", "producer", "producer_version", "model_profile", "config_hash", "input_hash",
    "run_id",
)  # fmt: skip
_CHUNK = 5_000  # items validated per step while the previous step streams
COPY_SQL = f"COPY artifacts ({', '.join(_COPY_COLUMNS)}) FROM STDIN"

SELECTED_RUN = "(SELECT eioku_selected_run(:asset_id, :artifact_type, :sel_mode, :sel_profile))"
SELECTED_RUNS_ALL_TYPES = (
    "(SELECT eioku_selected_run(:asset_id, t.artifact_type, :sel_mode, :sel_profile) "
    "FROM (SELECT DISTINCT artifact_type FROM runs WHERE asset_id = :asset_id) t)"
)
COMPLETED_RUN = "EXISTS (SELECT 1 FROM runs r WHERE r.run_id = a.run_id AND r.status = 'completed')"

# a NUL escaped in JSON: "\u0000" not itself escaped (the text "\\u0000", a backslash
# then "u0000", is an ordinary string and stays storable)
_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


# An envelope as ArtifactEnvelope.model_dump_json writes it: each artifact's own
# fields, then its run's (the same for every artifact of a run: written once
# per run), with the payload between them.
_OWN = ("span_start_ms", "span_end_ms", "artifact_id")
_RUN_BEFORE_PAYLOAD = ("asset_id", "artifact_type", "schema_version")
_RUN_AFTER_PAYLOAD = ("producer", "producer_version", "model_profile", "config_hash",
                      "input_hash", "run_id", "created_at")
assert tuple(ArtifactEnvelope.model_fields) == (*_OWN, *_RUN_BEFORE_PAYLOAD, "payload",
                                                *_RUN_AFTER_PAYLOAD), "envelope fields changed"
_RUN_FIELDS = ", ".join((*_RUN_BEFORE_PAYLOAD, *_RUN_AFTER_PAYLOAD))
# a page of a run's artifacts in time order; the run's fields only where they
# differ from the artifact before (the first of a page; created_at where a run's
# artifacts were written in two transactions), NULLs elsewhere
_RUN_AS_JSON = (
    "SELECT span_start_ms, span_end_ms, artifact_id::text, payload::text, "
    + ", ".join(f"CASE WHEN changed THEN {c} END" for c in (*_RUN_BEFORE_PAYLOAD, *_RUN_AFTER_PAYLOAD))
    + f" FROM (SELECT p.*, ROW({_RUN_FIELDS}) IS DISTINCT FROM lag(ROW({_RUN_FIELDS})) "
    "OVER (ORDER BY p.span_start_ms, p.artifact_id) AS changed "
    "FROM (SELECT a.* FROM artifacts a WHERE a.asset_id = %(asset)s "
    "AND a.artifact_type = %(type)s AND a.run_id = %(run)s "
    "AND EXISTS (SELECT 1 FROM runs r WHERE r.run_id = %(run)s AND r.status = 'completed') "
    "AND (a.span_start_ms, a.artifact_id) > (%(start)s, %(id)s) "
    "ORDER BY a.span_start_ms, a.artifact_id LIMIT %(page)s) p) w "
    "ORDER BY w.span_start_ms, w.artifact_id"
)


def _envelope(row: Any) -> ArtifactEnvelope:
    return ArtifactEnvelope.model_validate(dict(zip(ENVELOPE_FIELDS, row, strict=True)))


class ArtifactRepository:
    def __init__(
        self, session: Session, registry: SchemaRegistry, projections: ProjectionWriter
    ) -> None:
        self.session = session
        self.registry = registry
        self.projections = projections

    # ---- writes -----------------------------------------------------------
    def create(self, run: Run, item: Mapping[str, Any] | BaseModel) -> uuid.UUID:
        return self.batch_create(run, [item])[0]

    def batch_create(
        self, run: Run, items: Sequence[Mapping[str, Any] | BaseModel]
    ) -> list[uuid.UUID]:
        """Validate and write all items (and their projections) in the caller's
        transaction: all or nothing.

        Items are validated in chunks and each valid chunk is streamed with
        COPY while the next is validated, so Python validation overlaps the
        server's ingest. The whole write sits in a savepoint: an invalid item
        anywhere rolls back every row of the batch (and only the batch) and
        raises :class:`ValidationFailedError` naming it.
        """
        if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise InvalidTransitionError(
                f"run {run.run_id} is {run.status}; artifacts can only be added to a running run"
            )
        dicts = [i.model_dump() if isinstance(i, BaseModel) else i for i in items]
        if not dicts:
            return []
        ids: list[uuid.UUID] = []
        types: set[str] = set()
        savepoint = self.session.begin_nested()
        try:
            # the rows go to the server from a thread of psycopg's, so the server
            # ingests one chunk while this thread validates the next
            with _gc_paused(), self._raw_cursor() as cur, \
                    cur.copy(COPY_SQL, writer=QueuedLibpqWriter(cur)) as copy:
                for offset in range(0, len(dicts), _CHUNK):
                    for row in self._validated_rows(run, dicts, offset, offset + _CHUNK):
                        copy.write_row(row)
                        ids.append(row[0])
                        types.add(row[2])
            self.projections.project_run(run.run_id, types)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return ids

    def copy_run(self, source: Run, target: Run) -> int:
        """Reuse a completed run's artifacts for ``target`` (identical inputs)."""
        # the copies belong to the target run: its video and profile (a high_quality run
        # whose config equals the fast one still shows as high_quality), never the source's
        own = {"run_id": ":target", "asset_id": ":asset", "model_profile": ":profile"}
        cols = [c for c in _COPY_COLUMNS if c != "artifact_id"]
        values = ", ".join(own.get(c, c) for c in cols)
        result = self.session.execute(
            text(f"INSERT INTO artifacts (artifact_id, {', '.join(cols)}) "
                 f"SELECT gen_random_uuid(), {values} FROM artifacts WHERE run_id = :source"),
            {"source": source.run_id, "target": target.run_id, "asset": target.asset_id,
             "profile": target.model_profile},
        )
        self.projections.project_run(target.run_id, {target.artifact_type})
        return result.rowcount or 0  # type: ignore[attr-defined]

    def _validated_rows(
        self, run: Run, dicts: Sequence[Mapping[str, Any]], lo: int, hi: int
    ) -> list[tuple[Any, ...]]:
        groups: dict[tuple[str, int], list[int]] = defaultdict(list)
        for index in range(lo, min(hi, len(dicts))):
            item = dicts[index]
            _check_span(index, item)
            artifact_type = item.get("artifact_type") or run.artifact_type
            if artifact_type != run.artifact_type:
                raise ValidationFailedError(
                    f"artifact {index}: artifact_type {artifact_type!r} does not match the run's "
                    f"type {run.artifact_type!r}", item=index, field="artifact_type",
                )
            version = item.get("schema_version", 1)
            if not isinstance(version, int) or isinstance(version, bool):
                raise ValidationFailedError(
                    f"artifact {index}: schema_version must be an integer",
                    item=index, field="schema_version",
                )
            groups[(artifact_type, version)].append(index)
        rows: dict[int, tuple[Any, ...]] = {}
        for (artifact_type, version), indexes in groups.items():
            payloads = [dicts[i].get("payload") for i in indexes]
            dumped = self.registry.validate_many(artifact_type, version, payloads, offsets=indexes)  # type: ignore[arg-type]
            for i, payload_json in zip(indexes, dumped, strict=True):
                if "\\u0000" in payload_json and _NUL.search(payload_json):  # JSONB holds no NUL
                    raise ValidationFailedError(
                        f"artifact {i}: payload contains a NUL character", item=i, field="payload")
                item = dicts[i]
                rows[i] = (
                    uuid.uuid4(), run.asset_id, artifact_type, version, item["span_start_ms"],
                    item["span_end_ms"], payload_json, run.producer, run.producer_version,
                    run.model_profile, run.config_hash, run.input_hash, run.run_id,
                )
        return [rows[i] for i in sorted(rows)]

    def _raw_cursor(self) -> Any:
        """A psycopg cursor on this session's connection (same transaction)."""
        return self.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]

    def delete(self, artifact_id: uuid.UUID) -> bool:
        """Delete one artifact and its projection row."""
        row = self.session.execute(
            text("DELETE FROM artifacts WHERE artifact_id = :id RETURNING artifact_type, run_id"),
            {"id": artifact_id},
        ).one_or_none()
        if row is None:
            return False
        projection = BY_TYPE.get(row.artifact_type)
        if projection is not None:
            self.session.execute(
                text(f"DELETE FROM {projection.table} WHERE artifact_id = :id"), {"id": artifact_id}
            )
            self.projections.refresh_appearances(row.run_id, row.artifact_type)
        return True

    # ---- reads ------------------------------------------------------------
    def get_by_id(self, artifact_id: uuid.UUID) -> ArtifactEnvelope:
        row = self.session.execute(
            text(f"SELECT {ENVELOPE_COLUMNS} FROM artifacts a WHERE a.artifact_id = :id "
                 f"AND {COMPLETED_RUN}"),
            {"id": artifact_id},
        ).one_or_none()
        if row is None:
            raise ArtifactNotFoundError(f"no visible artifact with id {artifact_id}")
        return _envelope(row)

    def get_by_asset(
        self,
        asset_id: uuid.UUID,
        artifact_type: str | None = None,
        *,
        from_ms: int | None = None,
        to_ms: int | None = None,
        selection: SelectionOverride = NO_OVERRIDE,
        run_id: uuid.UUID | None = None,
        after: tuple[int, uuid.UUID] | None = None,
        limit: int | None = None,
    ) -> list[ArtifactEnvelope]:
        """Artifacts of the selected run(s) whose start lies in [from_ms, to_ms)."""
        where = ["a.span_start_ms >= :from_ms", "a.span_start_ms < :to_ms"]
        return self._select(asset_id, artifact_type, where, from_ms, to_ms, selection, run_id,
                            after, limit)

    def get_by_span(
        self,
        asset_id: uuid.UUID,
        artifact_type: str | None,
        from_ms: int,
        to_ms: int,
        *,
        selection: SelectionOverride = NO_OVERRIDE,
        run_id: uuid.UUID | None = None,
        after: tuple[int, uuid.UUID] | None = None,
        limit: int | None = None,
    ) -> list[ArtifactEnvelope]:
        """Artifacts overlapping [from_ms, to_ms): ``start < to and end > from``."""
        where = ["a.span_start_ms < :to_ms", "a.span_end_ms > :from_ms"]
        return self._select(asset_id, artifact_type, where, from_ms, to_ms, selection, run_id,
                            after, limit)

    def run_as_json(self, asset_id: uuid.UUID, artifact_type: str, run_id: uuid.UUID,
                    page: int = 5000) -> Iterator[list[str]]:
        """The artifacts of a completed run, in time order, ``page`` at a time,
        each as the JSON text of its envelope: what ``ArtifactEnvelope.model_dump_json``
        writes for it, without building the model (an export writes thousands;
        stored payloads were validated on their way in)."""
        params: dict[str, Any] = {"asset": asset_id, "type": artifact_type, "run": run_id,
                                  "start": -1, "id": uuid.UUID(int=0), "page": page}
        frame = ("", "")  # the run's fields before and after the payload, as JSON
        with self._raw_cursor() as cur:
            while True:
                rows = cur.execute(_RUN_AS_JSON, params, binary=True).fetchall()
                out = []
                for row in rows:
                    if row[4] is not None:
                        before = dict(zip(_RUN_BEFORE_PAYLOAD, row[4:7], strict=True))
                        after = dict(zip(_RUN_AFTER_PAYLOAD, row[7:], strict=True))
                        frame = (to_json(before).decode()[1:-1], to_json(after).decode()[1:])
                    # a payload is stored as jsonb: read back, then written as pydantic writes it
                    out.append(f'{{"span_start_ms":{row[0]},"span_end_ms":{row[1]},'
                               f'"artifact_id":"{row[2]}",{frame[0]},'
                               f'"payload":{to_json(from_json(row[3])).decode()},{frame[1]}')
                if out:
                    yield out
                if len(rows) < page:
                    return
                params.update(start=rows[-1][0], id=uuid.UUID(rows[-1][2]))

    def timed_texts(self, asset_id: uuid.UUID, artifact_type: str, key: str = "text",
                    fallback: str | None = None) -> list[tuple[int, int, str]]:
        """``(span_start_ms, span_end_ms, payload[key])`` of the selected run's
        artifacts of a type, in time order (``payload[fallback]`` where the payload
        has no ``key``, else ""): the timed text of subtitles without reading whole
        envelopes."""
        sql = ("SELECT a.span_start_ms, a.span_end_ms, "
               "COALESCE(a.payload ->> %(key)s, a.payload ->> %(fallback)s, '') "
               "FROM artifacts a WHERE a.asset_id = %(asset)s AND a.artifact_type = %(type)s "
               "AND a.run_id = (SELECT eioku_selected_run(%(asset)s, %(type)s)) "
               "ORDER BY a.span_start_ms, a.artifact_id")
        with self._raw_cursor() as cur:
            return cur.execute(sql, {"asset": asset_id, "type": artifact_type, "key": key,
                                     "fallback": fallback or key}, binary=True).fetchall()

    def _select(
        self,
        asset_id: uuid.UUID,
        artifact_type: str | None,
        where: list[str],
        from_ms: int | None,
        to_ms: int | None,
        selection: SelectionOverride,
        run_id: uuid.UUID | None,
        after: tuple[int, uuid.UUID] | None,
        limit: int | None,
    ) -> list[ArtifactEnvelope]:
        params: dict[str, Any] = {
            "asset_id": asset_id, "artifact_type": artifact_type,
            "from_ms": -1 if from_ms is None else from_ms,
            "to_ms": MAX_SPAN_MS + 1 if to_ms is None else to_ms,
            **selection.sql_args,
        }
        where = ["a.asset_id = :asset_id", *where]
        if artifact_type is not None:
            where.append("a.artifact_type = :artifact_type")
        if run_id is not None:
            where += ["a.run_id = :run_id", COMPLETED_RUN]
            params["run_id"] = run_id
        elif artifact_type is not None:
            where.append(f"a.run_id = {SELECTED_RUN}")
        else:
            where.append(f"a.run_id IN {SELECTED_RUNS_ALL_TYPES}")
        if after is not None:
            where.append("(a.span_start_ms, a.artifact_id) > (:after_start, :after_id)")
            params.update(after_start=after[0], after_id=after[1])
        sql = (f"SELECT {ENVELOPE_COLUMNS} FROM artifacts a WHERE {' AND '.join(where)} "
               "ORDER BY a.span_start_ms, a.artifact_id")
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = limit
        return [_envelope(r) for r in self.session.execute(text(sql), params)]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is validated.

    Validation creates two objects per payload (model and nested model) that
    stay alive until the batch is written, so the collector would run every
    few hundred items and rescan all of them: at 200,000 detections that was
    three quarters of the validation time. Nothing here creates cycles; the
    collector runs as usual once the batch is written.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_span(index: int, item: Mapping[str, Any]) -> None:
    start, end = item.get("span_start_ms"), item.get("span_end_ms")
    for name, value in (("span_start_ms", start), ("span_end_ms", end)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SPAN_MS:
            raise ValidationFailedError(
                f"artifact {index}: {name} must be an integer between 0 and {MAX_SPAN_MS}",
                item=index, field=name,
            )
    if start > end:  # type: ignore[operator]
        raise ValidationFailedError(
            f"artifact {index}: span_start_ms ({start}) must be <= span_end_ms ({end})",
            item=index, field="span_start_ms",
        )
