"""Execute one run: decode, analyze, store — each job in its own units of work.

The analysis happens outside any transaction; the artifacts, their
projections, the run's completion and the deferral of dependent runs are
written in one transaction at the end. A worker killed mid-job therefore
leaves no artifacts behind, and the retried job starts clean.

A job ends every run it owns: a failure anywhere in it — storing results
that fail validation, a fault in the database, a bug — fails the runs it
had not finished, with the reason, so a run is never left "running" by a
job that is over. Only what the queue retries (the database went away,
transient analyzer trouble) leaves them to the retried job, until its last
attempt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
from eioku.config import get_settings
from eioku.domain.enums import RunStatus
from eioku.domain.errors import (
    DatabaseUnavailableError,
    EiokuError,
    MediaFileNotFoundError,
    PathOutsideMediaRootsError,
)
from eioku.domain.languages import short_tag
from eioku.domain.models import Run, Video
from eioku.services import voices
from eioku.services.analysis import defer_ready, lock_video
from eioku.services.ingest import readable_path
from eioku.services.pipeline import ANALYZERS
from eioku.services.sidecar import Cue, import_subtitles
from eioku.store.jobs import FRAME_PASS_QUEUE, JobQueue, plan_chunks, queue_for
from eioku.store.uow import UnitOfWork
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.analyzers import analyzer_class
from eioku_ml.analyzers.base import Analyzer, FrameAnalyzer, Item, MediaInput
from eioku_ml.errors import MediaError, ModelMissingError, TransientAnalysisError
from eioku_ml.media.decode import DecodeClock, probe
from eioku_ml.media.framepass import run_pass
from eioku_ml.media.tracks import subtitle_tracks
from eioku_ml.worker import prepared

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    run_id: uuid.UUID
    status: str  # completed | reused | failed | skipped | chunked (split into chunk jobs)
    artifacts: int = 0
    error: str | None = None


class AnalyzerCache:
    """Analyzers (and their loaded models) kept per process, keyed by name and
    config, so models load once per worker, never once per job."""

    def __init__(self, factory: Callable[[str, dict[str, Any]], Analyzer] | None = None) -> None:
        self._factory = factory or (lambda name, cfg: analyzer_class(name)(cfg))
        self._cache: dict[tuple[str, str], Analyzer] = {}
        self._lock = threading.Lock()  # the jobs' thread and the one loading ahead (warm.py)

    def get(self, run: Run) -> Analyzer:
        return self.get_for(run.analyzer, run.config_hash, run.config)

    def get_for(self, analyzer: str, config_hash: str, config: dict[str, Any]) -> Analyzer:
        key = (analyzer, config_hash)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._factory(analyzer, config)
            return self._cache[key]


@dataclass(frozen=True)
class Attempt:
    """Which try of its job this is: transient faults (out of memory) are retried
    until the last one, which fails the run with the reason."""

    number: int = 0  # previous attempts
    most: int = 1

    @property
    def last(self) -> bool:
        return self.number + 1 >= self.most


ONCE = Attempt()
TRANSIENT = (MemoryError, TransientAnalysisError)
# what the queue retries (``queue.RETRY``; psycopg's own, from the COPY of artifacts, once
# raised as TransientAnalysisError): the retried job redoes the runs left running
RETRIED = (OperationalError, psycopg.OperationalError, DatabaseUnavailableError,
           TransientAnalysisError)


def retried(exc: BaseException, attempt: Attempt) -> bool:
    """Will the queue try this job again (so its runs stay running for it)?"""
    return isinstance(exc, RETRIED) and not attempt.last


def raise_if_retried(exc: BaseException, attempt: Attempt) -> None:
    """Re-raise ``exc`` for the queue to retry the job, if it will; else return."""
    if not retried(exc, attempt):
        return
    if isinstance(exc, psycopg.OperationalError):  # not SQLAlchemy's, which the queue knows
        raise TransientAnalysisError(f"the database: {_brief(exc)}; retrying") from exc
    raise exc


def execute_run(factory: sessionmaker[Session], run_id: uuid.UUID, cache: AnalyzerCache,
                attempt: Attempt = ONCE) -> Outcome:
    """Analyse and store one run; whatever goes wrong, the run ends (or is left
    to the queue's retry)."""
    try:
        return _execute_run(factory, run_id, cache, attempt)
    except Exception as exc:
        raise_if_retried(exc, attempt)
        (outcome,) = fail_unfinished(factory, [run_id], job_reason(exc)) or [Outcome(run_id, "skipped")]
        return outcome


def _execute_run(factory: sessionmaker[Session], run_id: uuid.UUID, cache: AnalyzerCache,
                 attempt: Attempt) -> Outcome:
    started = time.perf_counter()
    with UnitOfWork(factory) as uow:
        run = uow.runs.get(run_id)
        if run.status.is_final:
            return Outcome(run_id, "skipped")
        video = uow.videos.get(run.asset_id)
        reused = _reuse(uow, run)
        if reused is None:
            if run.status is RunStatus.QUEUED:
                uow.runs.start(run_id)
            uow.commit()
            context = _dependency_artifacts(uow, run)
    if reused is not None:
        prepared.discard(run_id)
        if run.analyzer == "metadata":  # the same content as another video: its own subtitles too
            with contextlib.suppress(MediaError):
                import_subtitle_tracks(factory, video, checked_path(video))
        return reused

    progress = _ProgressWriter(factory, run_id)
    try:
        path = checked_path(video)
        media = MediaInput(path, probe(path))
        probed = time.perf_counter()
        analyzer = cache.get(run)
        if analyzer.chunkable and (chunked := _split(factory, [run], media, queue_for(run.analyzer))):
            return chunked[0]
        analyzer.ensure_loaded()  # once per process: timed apart from the per-video work
        ahead = prepared.take(run_id, partial_ok=ANALYZERS[run.analyzer].prepares == "as it goes") \
            if ANALYZERS[run.analyzer].prepares else None
        loaded, cpu = time.perf_counter(), time.process_time()
        with DecodeClock.measure() as decoding:
            if ahead is not None:  # work done while it waited (prepared.py)
                items = analyzer.analyze_prepared(media, progress, context, ahead[0])
            else:
                items = analyzer.analyze(media, progress, context)
        # this process's CPU (all its threads) while analysing: a worker runs one job at a time;
        # with the prepare job's, which did the rest of the work ahead
        cpu = time.process_time() - cpu + (ahead[1] if ahead is not None else 0.0)
    except TRANSIENT as exc:
        if not attempt.last:
            raise TransientAnalysisError(f"{run.analyzer}: {_transient(exc)}; retrying") from exc
        return _fail(factory, run, _reason(run, exc, attempt))
    except Exception as exc:  # noqa: BLE001 - every failure ends this run only, with its reason
        return _fail(factory, run, _reason(run, exc))
    analyzed = time.perf_counter()
    outcome = _store(factory, run, analyzer, media, items, {
        "probe_s": probed - started, "load_s": loaded - probed, "analyze_s": analyzed - loaded,
        "decode_s": decoding.seconds, "infer_s": analyzed - loaded - decoding.seconds, "cpu_s": cpu,
        **({"prepared_cpu_s": ahead[1]} if ahead is not None else {})},
        started,
        attempt)
    if run.analyzer == "metadata" and outcome.status == "completed":
        import_subtitle_tracks(factory, video, path)
    return outcome


def execute_prepare(factory: sessionmaker[Session], run_id: uuid.UUID, cache: AnalyzerCache) -> str:
    """Compute ahead the whole-file partial of a run waiting for the runs it
    uses (prepared.py). Never ends the run: whatever goes wrong here, the run's
    own job does the work itself (and fails with the reason if it must)."""
    with prepared.preparing(run_id) as mine:
        if not mine:
            return "skipped: prepared by another job"
        with UnitOfWork(factory) as uow:
            run = uow.runs.get(run_id)
            if run.status is not RunStatus.QUEUED or not ANALYZERS[run.analyzer].prepares:
                return f"skipped: the run is {run.status.value}"
            video = uow.videos.get(run.asset_id)
            # what needs no other run: the library's names (hotwords), not the words on screen
            context = {"names": _library_names(uow)} if ANALYZERS[run.analyzer].names else {}
        try:
            path = checked_path(video)
            media = MediaInput(path, probe(path))
            if plan_chunks(media.duration_ms, get_settings().chunk_s):
                return "skipped: analysed in chunks"
            analyzer = cache.get(run)
            analyzer.ensure_loaded()
            ahead = prepared.Ahead(run_id, due=lambda: _deferred(factory, run_id))
            # what is kept as it goes may be thrown away (the transcript's windows near text on
            # screen): only with CPU nothing else wants; what is done whole is never wasted
            speculative = ANALYZERS[run.analyzer].prepares == "as it goes"
            with prepared.idle_priority() if speculative else contextlib.nullcontext():
                partial = analyzer.prepare(media, context, ahead)
            if ahead.taken:  # the run began and took what was kept
                return "taken by the run"
            prepared.save(run_id, partial, time.process_time() - ahead.started)
        except Exception as exc:  # noqa: BLE001 - the run's own job meets it again and says why
            log.info("run %s: nothing prepared ahead (%s)", run_id, _brief(exc))
            return "skipped: failed"
        finally:
            if prepared.Ahead(run_id).taken:
                prepared.discard(run_id, held=True)
    return "prepared"


def _deferred(factory: sessionmaker[Session], run_id: uuid.UUID) -> bool:
    """Has the run's own job been queued (what it waited for has ended)?"""
    with factory() as session:
        return bool(session.execute(text("SELECT job_id IS NOT NULL OR status <> 'queued' FROM runs "
                                         "WHERE run_id = :r"), {"r": run_id}).scalar())


def import_subtitle_tracks(factory: sessionmaker[Session], video: Video, path: Path) -> int:
    """The text subtitle tracks inside the file, each imported as a ``sidecar``
    transcript run like a subtitle file beside it (one per track). Done at the
    metadata stage, the first of every analysis: it reads the file's subtitle
    packets only. Never fails the metadata run: a track that cannot be stored
    is logged and skipped. Returns the runs stored (or found already stored)."""
    imported = 0
    for track in subtitle_tracks(path):
        cues = [Cue(start, end, words) for start, end, words in track.cues]
        try:
            with UnitOfWork(factory) as uow:
                lock_video(uow, video.video_id)
                run = import_subtitles(uow, video, cues, short_tag(track.language) or track.language,
                                       track.source)
                uow.commit()
        except Exception:  # noqa: BLE001 - subtitles are a bonus: the analysis goes on
            log.warning("%s: subtitle %s not imported", path.name, track.source, exc_info=True)
            continue
        imported += run is not None
    return imported


def checked_path(video: Video) -> Path:
    """The video's file, checked again when the job opens it: it must exist and,
    with media roots configured, still resolve inside them (a symlink swapped
    after registration must not make the worker read elsewhere)."""
    try:
        return readable_path(video, get_settings())
    except (PathOutsideMediaRootsError, MediaFileNotFoundError) as exc:
        raise MediaError(exc.message) from exc


def _transient(exc: BaseException) -> str:
    return "out of memory" if isinstance(exc, MemoryError) else str(exc)


def _reason(run: Run, exc: BaseException, attempt: Attempt = ONCE) -> str:
    """Why a run failed, for its ``error``: bad input and missing models say so plainly;
    anything else is an analyzer bug, logged with its traceback."""
    if isinstance(exc, TRANSIENT):
        return f"{run.analyzer}: {_transient(exc)} (gave up after {attempt.number + 1} attempts)"
    if isinstance(exc, MediaError):  # bad input: fail once, no retry
        return exc.message
    if isinstance(exc, ModelMissingError):  # the setup, not the video: which file, no traceback
        return f"{run.analyzer}: {exc.message}"
    log.warning("analyzer %s failed on run %s", run.analyzer, run.run_id, exc_info=exc)
    return f"{run.analyzer} failed: {type(exc).__name__}: {exc}"


def job_reason(exc: BaseException) -> str:
    """Why a job's unfinished runs failed: bad input says so plainly; anything
    else is a bug, logged with its traceback."""
    if isinstance(exc, EiokuError):
        return exc.message
    log.warning("analysis job failed", exc_info=exc)
    return f"the analysis job failed: {_brief(exc)}"


def store_reason(run: Run, exc: BaseException) -> str:
    """Why storing a run's results failed: invalid results name the item and
    field; a database fault or a bug is logged with its traceback."""
    if isinstance(exc, EiokuError):  # e.g. ValidationFailedError
        return f"{run.analyzer}: its results could not be stored: {exc.message}"
    log.warning("storing run %s (%s) failed", run.run_id, run.analyzer, exc_info=exc)
    return f"{run.analyzer}: storing its results failed: {_brief(exc)}"


def _brief(exc: BaseException) -> str:
    """The exception in a line: the database's own message rather than the
    statement and its (possibly huge) parameters."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first[:500]}"


def _store(factory: sessionmaker[Session], run: Run, analyzer: Analyzer, media: MediaInput,
           items: list[Item], timings: dict[str, float], started: float,
           attempt: Attempt) -> Outcome:
    """Artifacts, projections, completion and dependents in one transaction.
    If that fails the run fails with the reason (nothing of it is written),
    unless the queue retries the job."""
    try:
        with UnitOfWork(factory) as uow:
            outcome = write_run(uow, run, analyzer, media, items, timings, started)
            uow.commit()
    except Exception as exc:
        if retried(exc, attempt):
            raise
        return _fail(factory, run, store_reason(run, exc))
    if run.analyzer == "segments":  # an intro found: the folder's older episodes again (services/segments.py)
        from eioku.services.segments import reanalyse_siblings

        try:
            reanalyse_siblings(factory, run)
        except Exception:  # noqa: BLE001 - the run is stored; its siblings can be re-run by hand
            log.warning("segments: the folder's other videos not queued again", exc_info=True)
    return outcome


def write_run(uow: UnitOfWork, run: Run, analyzer: Analyzer, media: MediaInput, items: list[Item],
              timings: dict[str, float], started: float) -> Outcome:
    """Store a run's artifacts and projections, complete it and defer what
    waited for it (in the caller's transaction)."""
    analyzed = time.perf_counter()
    lock_video(uow, run.asset_id)  # before any row of the video's runs (see services.analysis)
    run = uow.runs.get(run.run_id)
    items = _join_identities(uow, run, analyzer, items)
    uow.artifacts.batch_create(run, [i.as_dict() for i in items])
    written = time.perf_counter()
    recorded = {k: round(v, 3) for k, v in timings.items()}
    recorded.update(write_s=round(written - analyzed, 3), total_s=round(written - started, 3))
    uow.runs.complete(run.run_id, recorded)
    # a speakers run's speakers into voices; after speakers or faces, the face-voice rule
    voices.after_run(uow.session, run.artifact_type)
    decided = analyzer.recorded_config(media)
    if decided:
        uow.session.execute(text("UPDATE runs SET config = config || CAST(:c AS jsonb) "
                                 "WHERE run_id = :r"), {"c": json.dumps(decided), "r": run.run_id})
    _update_video(uow, run, media, items)
    defer_ready(uow, run.asset_id)
    return Outcome(run.run_id, "completed", len(items))


def _split(factory: sessionmaker[Session], runs: list[Run], media: MediaInput,
           queue: str) -> list[Outcome]:
    """A video longer than EIOKU_CHUNK_S: queue one job per chunk (see
    ``chunks.py``) instead of analysing it here. Empty: analyse it whole."""
    ranges = plan_chunks(media.duration_ms, get_settings().chunk_s)
    if not ranges:
        return []
    ids = [r.run_id for r in runs]
    with UnitOfWork(factory) as uow:
        already = uow.session.execute(text("SELECT EXISTS (SELECT 1 FROM run_chunks "
                                           "WHERE run_id = ANY(:r))"), {"r": ids}).scalar_one()
        if not already:  # (a retried job whose chunks were queued already queues none)
            JobQueue(uow.session).defer_chunks(ids, ranges, queue)
        uow.commit()
    log.info("%s: %d chunks of %s for %s", media.path.name, len(ranges),
             ", ".join(r.analyzer for r in runs), ids)
    return [Outcome(r.run_id, "chunked") for r in runs]


def execute_pass(factory: sessionmaker[Session], run_ids: list[uuid.UUID],
                 cache: AnalyzerCache, attempt: Attempt = ONCE) -> list[Outcome]:
    """Execute several frame-analyzer runs of one video with one decode (the
    frame pass). Each run keeps its own status, artifacts, timings and failure;
    a failure of the pass itself fails the runs it had not finished."""
    return guarded_job(factory, run_ids, attempt,
                       lambda done: _execute_pass(factory, run_ids, cache, attempt, done))


def guarded_job(factory: sessionmaker[Session], run_ids: list[uuid.UUID], attempt: Attempt,
                body: Callable[[list[Outcome]], list[Outcome]]) -> list[Outcome]:
    """Run a job's ``body`` (it appends each run it ends to the list it is
    given); if the job itself fails and will not be retried, every run it had
    not finished fails with the reason, and the outcomes say so."""
    done: list[Outcome] = []
    try:
        return body(done)
    except Exception as exc:
        raise_if_retried(exc, attempt)
        failed = fail_unfinished(factory, run_ids, job_reason(exc))
        ended = {o.run_id for o in failed}
        return [o for o in done if o.run_id not in ended] + failed


def _execute_pass(factory: sessionmaker[Session], run_ids: list[uuid.UUID], cache: AnalyzerCache,
                  attempt: Attempt, outcomes: list[Outcome]) -> list[Outcome]:
    started = time.perf_counter()
    todo: list[tuple[Run, dict[str, Any]]] = []
    later: list[uuid.UUID] = []  # a second run of an identical analyzer: reuses the first after
    in_pass = {ANALYZERS[r.analyzer].name for r in _runs(factory, run_ids)}
    video = None
    for run_id in run_ids:
        with UnitOfWork(factory) as uow:
            run = uow.runs.get(run_id)
            if run.status.is_final:
                outcomes.append(Outcome(run_id, "skipped"))
                continue
            if any((r.analyzer, r.config_hash) == (run.analyzer, run.config_hash) for r, _ in todo):
                later.append(run_id)
                continue
            reused = _reuse(uow, run)
            if reused is not None:
                outcomes.append(reused)
                continue
            if run.status is RunStatus.QUEUED:
                run = uow.runs.start(run_id)
            uow.commit()
            video = uow.videos.get(run.asset_id)
            todo.append((run, _dependency_artifacts(uow, run, skip=in_pass)))
    if todo and video is not None:
        _run_pass(factory, video, todo, cache, started, attempt, outcomes)
    outcomes += [execute_run(factory, run_id, cache, attempt) for run_id in later]
    return outcomes


def _runs(factory: sessionmaker[Session], run_ids: list[uuid.UUID]) -> list[Run]:
    with UnitOfWork(factory) as uow:
        return [uow.runs.get(r) for r in run_ids]


def _run_pass(factory: sessionmaker[Session], video: Video, todo: list[tuple[Run, dict[str, Any]]],
              cache: AnalyzerCache, started: float, attempt: Attempt, outcomes: list[Outcome]) -> None:
    """The pass over ``todo``; each run's outcome is appended to ``outcomes`` as it ends."""
    try:
        path = checked_path(video)
        media = MediaInput(path, probe(path))
    except MediaError as exc:
        outcomes += [_fail(factory, run, exc.message) for run, _ in todo]
        return
    if chunked := _split(factory, [run for run, _ in todo], media, FRAME_PASS_QUEUE):
        outcomes += chunked
        return
    probed = time.perf_counter()
    analyzers: dict[str, tuple[Run, FrameAnalyzer, float]] = {}
    for run, context in todo:
        before = time.perf_counter()
        try:
            analyzer = cache.get(run)
            assert isinstance(analyzer, FrameAnalyzer), f"{run.analyzer} is not a frame analyzer"
            analyzer.ensure_loaded()
            analyzer.start(media, context)
        except Exception as exc:  # noqa: BLE001
            outcomes.append(_fail(factory, run, _reason(run, exc)))
            continue
        analyzers[str(run.run_id)] = (run, analyzer, time.perf_counter() - before)
    writers = [_ProgressWriter(factory, run.run_id) for run, _, _ in analyzers.values()]
    cpu = time.process_time()
    with DecodeClock.measure() as decoding:
        results = run_pass(path, {k: a for k, (_, a, _) in analyzers.items()},
                           duration_s=media.probe.duration_s,
                           progress=lambda f: [w(f) for w in writers])
    cpu = time.process_time() - cpu  # the whole pass: its decode and every analyzer in it
    retry = []
    for key, (run, analyzer, load_s) in sorted(analyzers.items(),
                                               key=lambda kv: kv[1][1].pass_order):
        result = results[key]
        if isinstance(result.error, TRANSIENT) and not attempt.last:
            retry.append(f"{run.analyzer}: {_transient(result.error)}")  # stays running
            continue
        if result.error is not None:
            outcomes.append(_fail(factory, run, _reason(run, result.error, attempt)))
            continue
        assert result.items is not None
        try:
            outcomes.append(_store(factory, run, analyzer, media, result.items, {
                "probe_s": probed - started, "load_s": load_s, "decode_s": decoding.seconds,
                "infer_s": result.seconds, "frame_pass_runs": float(len(analyzers)),
                "pass_cpu_s": cpu}, started,
                attempt))
        except RETRIED as exc:  # (only while the queue retries) the others are stored first
            retry.append(f"{run.analyzer}: storing failed: {_brief(exc)}")
    if retry:  # the others are stored; the retried job skips them and redoes these
        raise TransientAnalysisError(f"{'; '.join(retry)}; retrying")


def _join_identities(uow: UnitOfWork, run: Run, analyzer: Analyzer, items: list[Item]) -> list[Item]:
    """Replace per-video face clusters by library-wide identities (same
    transaction as the artifacts: a failed write joins nothing)."""
    clusters: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for item in items:
        if item.embedding is not None and "cluster_id" in item.payload:
            clusters[item.payload["cluster_id"]].append(item.embedding)
    if not clusters:
        return items
    mapping = uow.faces.assign(getattr(analyzer, "embedding_model", analyzer.name), clusters,
                               float(run.config.get("identity_threshold", 0.5)), run.run_id)
    return [replace(i, payload={**i.payload, "cluster_id": mapping[i.payload["cluster_id"]]})
            if i.payload.get("cluster_id") in mapping else i for i in items]


def _update_video(uow: UnitOfWork, run: Run, media: MediaInput, items: list[Any]) -> None:
    """Keep the video row's duration and recording time in step with analysis."""
    fields: dict[str, Any] = {"duration_ms": media.duration_ms}
    if run.analyzer == "metadata" and items and items[0].payload.get("creation_time"):
        fields["recorded_at"] = items[0].payload["creation_time"]
    uow.videos.update(run.asset_id, **fields)


def _reuse(uow: UnitOfWork, run: Run) -> Outcome | None:
    if not ANALYZERS[run.analyzer].reusable:  # it depends on more than the file (pipeline.py)
        return None
    source = uow.runs.find_reusable(
        input_hash=run.input_hash, producer=run.producer, producer_version=run.producer_version,
        config_hash=run.config_hash, artifact_type=run.artifact_type)
    if source is None or source.run_id == run.run_id:
        return None
    lock_video(uow, run.asset_id)
    if run.status is RunStatus.QUEUED:
        run = uow.runs.start(run.run_id)
    count = uow.artifacts.copy_run(source, run)
    # (the source's config: the same as asked, with what it decided about the file)
    uow.session.execute(text("UPDATE runs SET reused_from = :s, config = (SELECT config FROM runs "
                             "WHERE run_id = :s) WHERE run_id = :r"),
                        {"s": source.run_id, "r": run.run_id})
    uow.runs.complete(run.run_id, {"reused": True})
    voices.after_run(uow.session, run.artifact_type)
    defer_ready(uow, run.asset_id)
    uow.commit()
    return Outcome(run.run_id, "reused", count)


def _dependency_artifacts(uow: UnitOfWork, run: Run, skip: set[str] = frozenset()) -> dict[str, list[Any]]:
    """The completed artifacts of what this run depends on or uses; analyzers in
    ``skip`` run in the same frame pass and share what they find as it goes."""
    context: dict[str, list[Any]] = {}
    spec = ANALYZERS[run.analyzer]
    for dep in (*spec.depends_on, *spec.uses):
        if dep in skip:
            continue
        context[dep] = uow.artifacts.get_by_asset(run.asset_id, ANALYZERS[dep].artifact_type)
    if spec.names:  # the library's people and voice names (the transcript's hotwords)
        context["names"] = _library_names(uow)
    return context


def _library_names(uow: UnitOfWork) -> list[str]:
    return list(uow.session.execute(text(
        "SELECT name FROM face_identities WHERE name IS NOT NULL AND merged_into IS NULL "
        "UNION SELECT name FROM voices WHERE name IS NOT NULL AND merged_into IS NULL "
        "ORDER BY 1 LIMIT 100")).scalars())


def fail_unfinished(factory: sessionmaker[Session], run_ids: list[uuid.UUID],
                    error: str) -> list[Outcome]:
    """Fail those of ``run_ids`` still queued or running (a job that ends them)."""
    with UnitOfWork(factory) as uow:
        runs = [uow.runs.get(r) for r in uow.session.execute(text(
            "SELECT run_id FROM runs WHERE run_id = ANY(:r) AND status IN ('queued', 'running') "
            "ORDER BY created_at"), {"r": list(run_ids)}).scalars()]
    return [_fail(factory, run, error) for run in runs]


def fail_runs_of_job(factory: sessionmaker[Session], job_id: int, error: str) -> list[Outcome]:
    """Fail every unfinished run that a given-up job was executing."""
    with UnitOfWork(factory) as uow:
        runs = [uow.runs.get(r) for r in uow.session.execute(text(
            "SELECT run_id FROM runs WHERE status IN ('queued', 'running') AND (job_id = :j "
            "OR run_id IN (SELECT run_id FROM run_chunks WHERE job_id = :j))"),
            {"j": job_id}).scalars()]
    return [_fail(factory, run, error) for run in runs]


def _fail(factory: sessionmaker[Session], run: Run, error: str) -> Outcome:
    with UnitOfWork(factory) as uow:
        lock_video(uow, run.asset_id)
        uow.runs.fail(run.run_id, error)
        _fail_dependents(uow, run)
        defer_ready(uow, run.asset_id)  # runs that only *use* this one go ahead without it
        uow.commit()
    return Outcome(run.run_id, "failed", error=error)


def _fail_dependents(uow: UnitOfWork, run: Run) -> None:
    """Queued runs that need this analyzer can never start: fail them too."""
    dependents = [s.name for s in ANALYZERS.values() if run.analyzer in s.depends_on]
    for (run_id,) in uow.session.execute(
        text("SELECT run_id FROM runs WHERE asset_id = :a AND status = 'queued' "
             "AND analyzer = ANY(:names)"), {"a": run.asset_id, "names": dependents}):
        dependent = uow.runs.fail(run_id, f"dependency {run.analyzer} failed")
        _fail_dependents(uow, dependent)


class _ProgressWriter:
    """Writes runs.progress in its own short transactions, at most twice a second."""

    def __init__(self, factory: sessionmaker[Session], run_id: uuid.UUID) -> None:
        self.factory, self.run_id, self._last = factory, run_id, 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        with UnitOfWork(self.factory) as uow:
            uow.runs.set_progress(self.run_id, fraction)
            uow.commit()
