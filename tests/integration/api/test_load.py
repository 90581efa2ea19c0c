"""A bounded load test: concurrent clients call jump, find, artifact pages and
global jump over HTTP (``eioku serve``'s app on a real socket) against a
library of 100k artifacts for a fixed time, while a writer stores new runs
the way a worker does. No request may fail or hang; the latencies are written
to ``test-artifacts/load.json`` (docs/reliability.md quotes a run of it)."""

from __future__ import annotations

import json
import random
import statistics
import threading
import time

import httpx
from eioku.config import Settings
from eioku.domain.enums import RunStatus
from eioku.store.uow import UnitOfWork

from tests.conftest import REPO_ROOT
from tests.e2e.browser import live_server

VIDEOS, PER_VIDEO = 10, 5_000  # x 2 types = 100k artifacts
CLIENTS, SECONDS = 8, 12
WORDS = ["invoice", "budget", "meeting", "river", "coffee", "report", "total", "dog"]


def _populate(session_factory) -> list[str]:
    rng = random.Random(7)
    ids = []
    with UnitOfWork(session_factory) as uow:
        for v in range(VIDEOS):
            video, _ = uow.videos.add(path=f"/load/{v}.mp4", filename=f"{v}.mp4",
                                      content_hash=f"sha256:load{v}", size_bytes=1)
            for artifact_type, make in (
                ("object.detection", lambda i: {"label": rng.choice(["dog", "cat", "person"]),
                                                "confidence": 0.9, "frame_number": i,
                                                "bbox": {"x": 1, "y": 1, "w": 1, "h": 1}}),
                ("transcript.segment", lambda i: {"text": " ".join(rng.choices(WORDS, k=6)),
                                                  "confidence": 0.9, "language": "en"}),
            ):
                run = uow.runs.create(asset_id=video.video_id, artifact_type=artifact_type,
                                      producer="load", producer_version="1", model_profile="fast",
                                      input_hash="x", status=RunStatus.RUNNING)
                uow.artifacts.batch_create(run, [
                    {"span_start_ms": i * 500, "span_end_ms": i * 500 + 400, "payload": make(i)}
                    for i in range(PER_VIDEO)])
                uow.runs.complete(run.run_id)
            ids.append(str(video.video_id))
        uow.commit()
    return ids


def _writer(session_factory, video_id: str, stop: threading.Event, written: list[int],
            errors: list[str]) -> None:
    """New object runs, each 500 detections in one transaction, as a worker writes them."""
    while not stop.is_set():
        try:
            with UnitOfWork(session_factory) as uow:
                run = uow.runs.create(asset_id=video_id, artifact_type="object.detection",
                                      producer="load-writer", producer_version="1",
                                      model_profile="balanced", input_hash="x",
                                      status=RunStatus.RUNNING)
                uow.artifacts.batch_create(run, [
                    {"span_start_ms": i * 500, "span_end_ms": i * 500 + 400,
                     "payload": {"label": "dog", "confidence": 0.5, "frame_number": i,
                                 "bbox": {"x": 1, "y": 1, "w": 1, "h": 1}}} for i in range(500)])
                uow.runs.complete(run.run_id)
                uow.commit()
            written.append(500)
        except Exception as exc:  # noqa: BLE001 - counted, and the test fails on any
            errors.append(f"writer: {exc!r}")


def _client(base: str, ids: list[str], seed: int, stop: threading.Event,
            samples: dict[str, list[float]], errors: list[str]) -> None:
    rng = random.Random(seed)
    calls = {
        "jump": lambda: f"/v1/videos/{rng.choice(ids)}/jump?kind=object&label=dog"
                        f"&from_ms={rng.randrange(0, PER_VIDEO * 400)}",
        "find": lambda: f"/v1/videos/{rng.choice(ids)}/find?q={rng.choice(WORDS)}",
        "artifacts": lambda: f"/v1/videos/{rng.choice(ids)}/artifacts?type=transcript.segment"
                             f"&from_ms={rng.randrange(0, PER_VIDEO * 400)}&limit=50",
        "global_jump": lambda: f"/v1/jump/global?kind=transcript&q={rng.choice(WORDS)}",
    }
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            name = rng.choice(list(calls))
            url = calls[name]()
            started = time.perf_counter()
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                errors.append(f"{url}: {exc!r}")
                continue
            samples[name].append((time.perf_counter() - started) * 1000)
            no_hit = response.status_code == 404 and response.json().get("error") == "NoMatchError"
            if response.status_code != 200 and not no_hit:  # "nothing after" is an answer
                errors.append(f"{url}: {response.status_code} {response.text[:200]}")


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def test_concurrent_clients_and_a_writer_cause_no_error(db_url, session_factory, tmp_path):
    ids = _populate(session_factory)
    stop = threading.Event()
    samples: dict[str, list[float]] = {k: [] for k in ("jump", "find", "artifacts", "global_jump")}
    errors: list[str] = []
    written: list[int] = []
    settings = Settings(database_url=db_url, data_dir=tmp_path)
    with live_server(settings) as base:
        threads = [threading.Thread(target=_writer, args=(session_factory, ids[0], stop, written, errors))]
        threads += [threading.Thread(target=_client, args=(base, ids, seed, stop, samples, errors))
                    for seed in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads), "a client or the writer hung"
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200  # still serving
    assert errors == []
    total = sum(len(v) for v in samples.values())
    assert all(len(v) >= 20 for v in samples.values()), {k: len(v) for k, v in samples.items()}
    assert sum(written) >= 500  # the writer committed runs while the clients read
    report = {"artifacts": VIDEOS * PER_VIDEO * 2, "clients": CLIENTS, "seconds": SECONDS,
              "requests": total, "errors": len(errors), "written_while_loaded": sum(written),
              "calls": {k: {"n": len(v), "p50_ms": round(_percentile(v, 50), 2),
                            "p99_ms": round(_percentile(v, 99), 2)} for k, v in samples.items()}}
    out = REPO_ROOT / "test-artifacts" / "load.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
