"""The files of work done ahead (worker/prepared.py): a prepare under way that
keeps its work as it goes is never waited for — the run takes what is kept
and the prepare is told to stop, keeps nothing more, and its files go; a
prepare that computes in one go is waited for; nothing is left behind."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from eioku.config import get_settings
from eioku_ml.worker import prepared


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_run_takes_what_a_prepare_under_way_has_kept():
    run = uuid.uuid4()
    with prepared.preparing(run) as mine:
        assert mine
        ahead = prepared.Ahead(run)
        ahead.keep({"windows": [["a", [], "en"]]})
        started = time.monotonic()
        taken = prepared.take(run, partial_ok=True)
        assert time.monotonic() - started < 1.0  # not waited for
        assert taken is not None and taken[0] == {"windows": [["a", [], "en"]]}
        assert ahead.stopped
        ahead.keep({"windows": [["a", [], "en"], ["b", [], "en"]]})  # too late: not kept
        assert not (prepared.folder() / f"{run}.json").exists()
    prepared.discard(run, held=True)  # as the prepare job does when it was stopped
    assert not list(prepared.folder().iterdir())


def test_a_prepare_in_one_go_is_waited_for():
    run = uuid.uuid4()
    holding = threading.Event()

    def prepare():
        with prepared.preparing(run):
            holding.set()
            time.sleep(0.5)
            prepared.save(run, {"windows": []}, 1.5)

    worker = threading.Thread(target=prepare)
    worker.start()
    holding.wait()
    taken = prepared.take(run)
    worker.join()
    assert taken == ({"windows": []}, 1.5)
    assert not list(prepared.folder().glob(f"{run}.json"))


def test_a_second_prepare_of_the_same_run_does_nothing():
    run = uuid.uuid4()
    with prepared.preparing(run) as first, prepared.preparing(run) as second:
        assert first and not second


def test_nothing_prepared_is_none():
    assert prepared.take(uuid.uuid4(), partial_ok=True) is None


def test_speculative_work_runs_at_the_lowest_priority_then_comes_back():
    import os

    me = threading.get_native_id()
    start = os.getpriority(os.PRIO_PROCESS, me)
    with prepared.idle_priority():
        assert os.getpriority(os.PRIO_PROCESS, me) == (prepared.LOWEST if prepared.can_restore() else start)
    assert os.getpriority(os.PRIO_PROCESS, me) == start
