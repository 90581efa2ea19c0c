"""Loading ahead (worker/warm.py): a worker with no job loads the models of
the runs waiting in the queue, once, and never while a job runs; a model that
fails to load is left to its job. The analyzers are fakes that count loads
(the orchestration is under test); the runs and the queue are real."""

from __future__ import annotations

import os
import threading
import time

import pytest
from eioku.config import get_settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers.base import Analyzer
from eioku_ml.worker.execute import AnalyzerCache
from eioku_ml.worker.prepared import LOWEST, can_restore
from eioku_ml.worker.warm import Warmer

from tests.media import SAMPLE

LOADS: dict[str, int] = {}
NICE: dict[str, int] = {}


class Counting(Analyzer):
    name = "counting"

    def load(self) -> None:
        if self.config.get("broken"):
            raise FileNotFoundError("weights.bin is missing: install the package that ships it")
        time.sleep(0.2)  # a load that takes a while: a second caller must wait for it
        LOADS[self.config["who"]] = LOADS.get(self.config["who"], 0) + 1
        NICE[self.config["who"]] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def _analyze(self, media, progress, context):
        return []


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    monkeypatch.setenv("EIOKU_FRAME_PASS", "1")
    monkeypatch.setenv("EIOKU_CHUNK_S", "0")
    get_settings.cache_clear()
    LOADS.clear()
    yield
    get_settings.cache_clear()


def _cache() -> AnalyzerCache:
    return AnalyzerCache(factory=lambda name, config: Counting(
        {"who": name, "broken": name == "entities"}))


def _queued(session_factory, analyzers):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, SAMPLE)
        runs = analysis.queue_analysis(uow, video, "fast", analyzers)
        uow.commit()
    return {r.analyzer: r for r in runs}


def test_idle_worker_loads_waiting_runs_models_once(session_factory):
    runs = _queued(session_factory, ["ocr", "scenes", "transcript", "speakers", "entities"])
    cache = _cache()
    warmer = Warmer(session_factory, cache)
    loaded = warmer.warm_once()
    assert {"transcript", "speakers"} <= set(loaded)
    assert "entities" not in loaded  # its load failed: left for the job, which says why
    assert LOADS.get("transcript") == 1 and LOADS.get("speakers") == 1
    # the job gets the same analyzer, loaded: nothing loads again
    analyzer = cache.get(runs["transcript"])
    analyzer.ensure_loaded()
    assert LOADS["transcript"] == 1
    # the failed one is not tried again and again; its job still meets the error
    assert "entities" not in warmer.warm_once()
    with pytest.raises(FileNotFoundError, match="weights.bin"):
        cache.get(runs["entities"]).ensure_loaded()


def test_nothing_loads_while_a_job_runs(session_factory):
    _queued(session_factory, ["ocr", "transcript"])
    warmer = Warmer(session_factory, _cache())
    with warmer.job():
        assert warmer.warm_once() == []
    assert LOADS == {}
    assert "transcript" in warmer.warm_once()


def test_while_a_job_runs_loads_go_at_the_lowest_priority(session_factory):
    _queued(session_factory, ["ocr", "transcript"])
    warmer = Warmer(session_factory, _cache())
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with warmer.job():
        loaded = warmer.warm_once(low=True)
    if can_restore():
        assert "transcript" in loaded and NICE["transcript"] == LOWEST
    else:  # the priority could not be raised back: nothing is loaded during a job
        assert loaded == []
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base
    assert warmer.warm_once(low=True) == []  # no job now: loads go at the normal priority


def test_a_job_waits_for_the_load_under_way(session_factory):
    runs = _queued(session_factory, ["ocr", "transcript"])
    cache = _cache()
    warmer = Warmer(session_factory, cache)
    ahead = threading.Thread(target=warmer.warm_once)
    ahead.start()
    time.sleep(0.05)  # the warm load (0.2 s) is under way
    cache.get(runs["transcript"]).ensure_loaded()
    ahead.join()
    assert LOADS["transcript"] == 1


def test_the_thread_loads_when_idle_and_stops(session_factory):
    _queued(session_factory, ["ocr", "transcript"])
    warmer = Warmer(session_factory, _cache(), interval_s=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while LOADS.get("transcript") != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert LOADS.get("transcript") == 1
    finally:
        warmer.stop()


def test_stop_lets_a_load_under_way_end_and_starts_none(session_factory):
    """As a worker process ends (daemon._end): the load in progress finishes, no
    other starts, and the thread is gone before the process exits (torn down
    under a native load, a process aborts)."""
    _queued(session_factory, ["transcript", "speakers", "embeddings"])
    warmer = Warmer(session_factory, _cache(), interval_s=0.01).start()
    deadline = time.monotonic() + 10
    while not LOADS and time.monotonic() < deadline:  # a load has ended: the next is under way
        time.sleep(0.01)
    warmer.stop(wait_s=5.0)
    assert not warmer._thread.is_alive()
    loaded = sum(LOADS.values())
    assert 1 <= loaded < 3  # at most the one under way finished after the stop
    time.sleep(0.3)
    assert sum(LOADS.values()) == loaded
