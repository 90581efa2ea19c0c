"""Chunks of a long video: each a job any worker can take.

A run over a video longer than ``EIOKU_CHUNK_S`` is split when its job first
probes the file (``execute._split``): one job per time range executes every
run of the split job over that range — the frame analyzers in one frame pass
over the range, the transcript over the range's audio — and keeps what each
found in ``run_chunks.partial``. The job that stores the last missing chunk
of a run merges the chunks in order (the analyzer's ``merge``: tracks,
spans and face clusters built over the whole video) and writes the run's
artifacts in the same transaction that completes it, under a row lock on
the run, so exactly one job does it. A chunk that fails transiently is
retried alone; one that fails for good fails its run, and the other chunks
of that run are then skipped. If storing the merged run fails, the run
fails with the reason; if the queue retries the job (the database went
away), the retried job merges again even though its own chunk is in.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from eioku.config import get_settings
from eioku.domain.models import Run
from eioku.services.analysis import lock_video
from eioku.services.pipeline import ANALYZERS
from eioku.store.uow import UnitOfWork
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.analyzers.base import Analyzer, FrameAnalyzer, MediaInput
from eioku_ml.errors import MediaError, TransientAnalysisError
from eioku_ml.media.decode import DecodeClock, probe
from eioku_ml.media.framepass import run_pass
from eioku_ml.worker.execute import (
    ONCE,
    TRANSIENT,
    AnalyzerCache,
    Attempt,
    Outcome,
    _dependency_artifacts,
    _fail,
    _reason,
    _transient,
    checked_path,
    guarded_job,
    retried,
    store_reason,
    write_run,
)


def execute_chunk(factory: sessionmaker[Session], run_ids: list[uuid.UUID], chunk: int,
                  cache: AnalyzerCache, attempt: Attempt = ONCE) -> list[Outcome]:
    """Analyse one chunk for each of ``run_ids`` that is still running and has
    not stored this chunk yet; complete the runs whose chunks are now all in.
    A failure of the job itself fails the runs it had not finished."""
    return guarded_job(factory, run_ids, attempt,
                       lambda done: _execute_chunk(factory, run_ids, chunk, cache, attempt, done))


def _execute_chunk(factory: sessionmaker[Session], run_ids: list[uuid.UUID], chunk: int,
                   cache: AnalyzerCache, attempt: Attempt, outcomes: list[Outcome]) -> list[Outcome]:
    started = time.perf_counter()
    todo: list[tuple[Run, tuple[int, int], dict[str, Any]]] = []
    merge: list[Run] = []  # this chunk is in, but the run was not completed (a retried job)
    in_pass = {ANALYZERS[r].name for r in _analyzers(factory, run_ids)}
    with UnitOfWork(factory) as uow:
        for run_id in run_ids:
            run = uow.runs.get(run_id)
            row = uow.session.execute(text(
                "SELECT start_ms, end_ms, done_at, (SELECT bool_and(o.done_at IS NOT NULL) "
                "FROM run_chunks o WHERE o.run_id = c.run_id) AS whole "
                "FROM run_chunks c WHERE run_id = :r AND chunk = :c"),
                {"r": run_id, "c": chunk}).one_or_none()
            if not run.status.is_final and row is not None and row.whole:
                merge.append(run)
                continue
            if run.status.is_final or row is None or row.done_at is not None:
                outcomes.append(Outcome(run_id, "skipped"))
                continue
            todo.append((run, (row.start_ms, row.end_ms), _dependency_artifacts(uow, run, skip=in_pass)))
        runs = [r for r, _, _ in todo] + merge
        video = uow.videos.get(runs[0].asset_id) if runs else None
    if video is None:
        return outcomes
    try:
        path = checked_path(video)
        media = MediaInput(path, probe(path))
    except MediaError as exc:
        return outcomes + [_fail(factory, run, exc.message) for run in runs]
    for run in merge:  # what a job that stopped before merging left undone
        analyzer = cache.get(run)
        analyzer.ensure_loaded()
        outcomes.append(complete_if_whole(factory, run, analyzer, media, started, in_pass, attempt))
    if not todo:
        return outcomes
    window = todo[0][1]
    analyzers: dict[str, tuple[Run, Analyzer]] = {}
    for run, _, context in todo:
        try:
            analyzer = cache.get(run)
            analyzer.ensure_loaded()
            if isinstance(analyzer, FrameAnalyzer):
                analyzer.start(media, context)
            elif hasattr(analyzer, "use_context"):  # the transcript: what biases its recognition
                analyzer.use_context(context)
        except Exception as exc:  # noqa: BLE001 - this run fails, the others go on
            outcomes.append(_fail(factory, run, _reason(run, exc)))
            continue
        analyzers[str(run.run_id)] = (run, analyzer)
    found = _analyse(media, window, analyzers)
    retry = []
    for key, (run, analyzer) in analyzers.items():
        partial, error, seconds = found[key]
        if isinstance(error, TRANSIENT) and not attempt.last:
            retry.append(f"{run.analyzer}: {_transient(error)}")
            continue
        if error is not None:
            outcomes.append(_fail(factory, run, _reason(run, error, attempt)))
            continue
        _keep(factory, run, chunk, partial, {"analyze_s": round(seconds, 3),
                                            "total_s": round(time.perf_counter() - started, 3)})
        outcomes.append(complete_if_whole(factory, run, analyzer, media, started, in_pass, attempt))
    if retry:  # what succeeded is kept; the retried job redoes only these
        raise TransientAnalysisError(f"chunk {chunk}: {'; '.join(retry)}; retrying")
    return outcomes


def _analyzers(factory: sessionmaker[Session], run_ids: list[uuid.UUID]) -> list[str]:
    with UnitOfWork(factory) as uow:
        return [uow.runs.get(r).analyzer for r in run_ids]


Found = tuple[Any, BaseException | None, float]  # (partial, error, seconds)


def _analyse(media: MediaInput, window: tuple[int, int],
             analyzers: dict[str, tuple[Run, Analyzer]]) -> dict[str, Found]:
    """Frame analyzers share one pass over the window; others (the transcript)
    analyse the window's audio. Each gets (partial, error, seconds)."""
    found: dict[str, Found] = {}
    frames = {k: a for k, (_, a) in analyzers.items() if isinstance(a, FrameAnalyzer)}
    if frames:
        with DecodeClock.measure():
            results = run_pass(media.path, frames, duration_s=media.probe.duration_s, window=window)
        found.update({k: (r.partial, r.error, r.seconds) for k, r in results.items()})
    overlap = get_settings().chunk_overlap_s
    for key, (_, analyzer) in analyzers.items():
        if key in frames:
            continue
        before = time.perf_counter()
        try:
            partial = analyzer.analyze_chunk(media, window, overlap, lambda _: None)
            found[key] = (partial, None, time.perf_counter() - before)
        except Exception as exc:  # noqa: BLE001
            found[key] = (None, exc, time.perf_counter() - before)
    return found


def _keep(factory: sessionmaker[Session], run: Run, chunk: int, partial: Any,
          timings: dict[str, float]) -> None:
    """Store one chunk's findings; the run's progress is the share of chunks in."""
    with UnitOfWork(factory) as uow:
        uow.session.execute(text(
            "UPDATE run_chunks SET partial = CAST(:p AS jsonb), timings = CAST(:t AS jsonb), "
            "done_at = now() WHERE run_id = :r AND chunk = :c AND done_at IS NULL"),
            {"p": _json(partial), "t": _json(timings), "r": run.run_id, "c": chunk})
        done, total = uow.session.execute(text(
            "SELECT count(done_at), count(*) FROM run_chunks WHERE run_id = :r"),
            {"r": run.run_id}).one()
        uow.runs.set_progress(run.run_id, min(0.99, done / total))
        uow.commit()


def complete_if_whole(factory: sessionmaker[Session], run: Run, analyzer: Analyzer,
                      media: MediaInput, started: float, in_pass: set[str],
                      attempt: Attempt = ONCE) -> Outcome:
    """If every chunk of ``run`` is stored, merge them and write the run (once:
    the run's row is locked, and a run already completed is left alone). What
    the analyzers of the same chunk jobs shared (scene cuts) comes from the
    chunks, not from their runs, which may complete after this one. If the
    write fails, the run fails with the reason (unless the queue retries)."""
    with UnitOfWork(factory) as uow:
        lock_video(uow, run.asset_id)  # first, as everything that changes a video's runs
        status = uow.session.execute(text("SELECT status FROM runs WHERE run_id = :r FOR UPDATE"),
                                     {"r": run.run_id}).scalar_one()
        if status not in ("queued", "running"):
            return Outcome(run.run_id, "skipped")
        rows = uow.session.execute(text(
            "SELECT partial, timings, done_at FROM run_chunks WHERE run_id = :r ORDER BY chunk"),
            {"r": run.run_id}).all()
        if any(r.done_at is None for r in rows):
            return Outcome(run.run_id, "chunk")
        merging = time.perf_counter()
        try:
            if isinstance(analyzer, FrameAnalyzer):
                analyzer.start(media, _dependency_artifacts(uow, run, skip=in_pass))
            elif hasattr(analyzer, "use_context"):  # speakers: the transcript's word times
                analyzer.use_context(_dependency_artifacts(uow, run, skip=in_pass))
            items = analyzer.merge([r.partial for r in rows])
        except Exception as exc:  # noqa: BLE001 - a merge bug fails this run only
            uow.rollback()
            return _fail(factory, run, _reason(run, exc))
        timings = {"chunks": float(len(rows)), "merge_s": time.perf_counter() - merging,
                   "analyze_s": sum(float((r.timings or {}).get("analyze_s", 0)) for r in rows)}
        try:
            outcome = write_run(uow, run, analyzer, media, items, timings, started)
            uow.session.execute(text("UPDATE run_chunks SET partial = NULL WHERE run_id = :r"),
                                {"r": run.run_id})
            uow.commit()
        except Exception as exc:
            if retried(exc, attempt):
                raise
            uow.rollback()
            return _fail(factory, run, store_reason(run, exc))
    return outcome


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
