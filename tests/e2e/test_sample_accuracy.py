"""The main job on the committed sample: `eioku analyze` with every analyzer on
real models, then accuracy checked through the HTTP API (SPEC §9, issue 5)."""

from __future__ import annotations

import json
import re

import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.db.engine import make_engine, make_session_factory
from fastapi.testclient import TestClient

from tests.media import LOOPBACK, SAMPLE

TRUTH = json.loads((SAMPLE.parent / "sample.json").read_text())
pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def analyzed(pg_cluster, analysed_sample):
    url = pg_cluster.url(pg_cluster.clone(analysed_sample.database))
    engine = make_engine(url)
    settings = Settings(data_dir=analysed_sample.data_dir, media_roots=[SAMPLE.parent.resolve()],
                        database_url=url)
    with TestClient(create_app(settings, make_session_factory(engine)), base_url=LOOPBACK) as client:
        yield analysed_sample.summary, client
    engine.dispose()


def _in(ms: int, start_s: float, end_s: float) -> bool:
    return start_s * 1000 <= ms < end_s * 1000


def test_summary_reports_every_analyzer(analyzed):
    summary, _ = analyzed
    assert summary["failed"] == []
    assert {r["analyzer"] for r in summary["runs"]} == {
        "metadata", "scenes", "quality", "objects", "transcript", "ocr", "faces", "places",
        "embeddings", "speakers", "chapters", "entities", "languages", "sounds", "segments"}
    assert all(r["status"] == "completed" for r in summary["runs"])
    assert summary["quality"] == "pass"
    assert summary["run_s_per_video_s"] is not None


def test_cuts_within_300ms_and_no_extra(analyzed):
    summary, client = analyzed
    v = summary["video_id"]
    starts, pos = [], None
    while True:
        params = {"kind": "scene", **({"from_ms": pos} if pos is not None else {})}
        r = client.get(f"/v1/videos/{v}/jump", params=params)
        if r.status_code == 404:
            break
        pos = r.json()["jump_to"]["start_ms"]
        starts.append(pos)
    cuts = [s / 1000 for s in starts[1:]]
    assert len(cuts) == len(TRUTH["cuts_s"]), cuts
    for found, true in zip(cuts, TRUTH["cuts_s"], strict=True):
        assert abs(found - true) <= 0.3


@pytest.mark.parametrize("shot", range(4))
def test_object_of_each_shot_via_jump(analyzed, shot):
    summary, client = analyzed
    truth = TRUTH["shots"][shot]
    r = client.get(f"/v1/videos/{summary['video_id']}/jump",
                   params={"kind": "object", "label": truth["object"]})
    assert r.status_code == 200, r.text
    assert _in(r.json()["jump_to"]["start_ms"], truth["start_s"], truth["end_s"])


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _wer(reference: list[str], hypothesis: list[str]) -> float:
    d = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        prev, d[0] = d[0], i
        for j, hyp in enumerate(hypothesis, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ref != hyp))
    return d[-1] / max(1, len(reference))


def test_speech_find_and_word_error_rate(analyzed):
    summary, client = analyzed
    v = summary["video_id"]
    for sentence in TRUTH["speech"]:
        word = max(_words(sentence["text"]), key=len)  # its most distinctive word
        matches = client.get(f"/v1/videos/{v}/find",
                             params={"q": word, "source": "transcript"}).json()["matches"]
        assert matches, word
        assert abs(matches[0]["jump_to"]["start_ms"] / 1000 - sentence["start_s"]) <= 1.0, word
    segments = client.get(f"/v1/videos/{v}/artifacts",
                          params={"type": "transcript.segment"}).json()["artifacts"]
    hypothesis = [w for a in segments for w in _words(a["payload"]["text"])]
    reference = [w for s in TRUTH["speech"] for w in _words(s["text"])]
    wer = _wer(reference, hypothesis)
    print(f"\ntranscript word error rate on the sample: {wer:.3f}")
    assert wer <= 0.25


def test_ocr_finds_the_invoice_in_the_text_shot(analyzed):
    summary, client = analyzed
    matches = client.get(f"/v1/videos/{summary['video_id']}/find",
                         params={"q": "invoice", "source": "ocr"}).json()["matches"]
    assert matches
    assert _in(matches[0]["jump_to"]["start_ms"], TRUTH["text"]["start_s"], TRUTH["text"]["end_s"])
    assert "<mark>INVOICE</mark>" in matches[0]["snippet"]


def test_face_in_the_astronaut_shot_with_a_stable_cluster(analyzed):
    summary, client = analyzed
    shot = TRUTH["shots"][0]
    faces = client.get(f"/v1/videos/{summary['video_id']}/artifacts",
                       params={"type": "face.detection", "from_ms": 0,
                               "to_ms": int(shot["end_s"] * 1000)}).json()["artifacts"]
    in_shot = [f for f in faces if _in(f["span_start_ms"], shot["start_s"], shot["end_s"])]
    assert in_shot
    assert len({f["payload"]["cluster_id"] for f in in_shot}) == 1
    cluster = in_shot[0]["payload"]["cluster_id"]
    r = client.get(f"/v1/videos/{summary['video_id']}/jump",
                   params={"kind": "face", "face_cluster_id": cluster}).json()
    # one appearance spanning the astronaut shot: the face is seen on every sample of it
    assert r["labels"] == [cluster] and r["jump_to"]["start_ms"] < 1000
    assert _in(r["jump_to"]["end_ms"] - 1, shot["start_s"], shot["end_s"] + 1)
    people = client.get("/v1/faces").json()["people"]
    assert [p["cluster_id"] for p in people] == [cluster] and cluster.startswith("person-")


def test_next_object_appearance_spans_its_shot(analyzed):
    """Jumping to the next cat lands on the cat shot once, not once per sampled second."""
    summary, client = analyzed
    shot = TRUTH["shots"][1]
    r = client.get(f"/v1/videos/{summary['video_id']}/jump",
                   params={"kind": "object", "label": "cat"}).json()
    assert _in(r["jump_to"]["start_ms"], shot["start_s"], shot["end_s"])
    assert r["jump_to"]["end_ms"] >= shot["end_s"] * 1000 - 1000  # covers the shot
    after = client.get(f"/v1/videos/{summary['video_id']}/jump",
                       params={"kind": "object", "label": "cat", "from_ms": r["jump_to"]["start_ms"]})
    assert after.status_code == 404  # one cat appearance, not three


def test_metadata_reads_creation_time_and_gps(analyzed):
    summary, client = analyzed
    (meta,) = client.get(f"/v1/videos/{summary['video_id']}/artifacts",
                         params={"type": "video.metadata"}).json()["artifacts"]
    assert meta["payload"]["gps"]["latitude"] == pytest.approx(48.8577)
    assert meta["payload"]["creation_time"].startswith("2024-05-01")
    assert client.get(f"/v1/videos/{summary['video_id']}").json()["recorded_at"].startswith(
        "2024-05-01")


def test_every_sentence_text_and_shot_is_searchable_by_meaning(analyzed):
    """The embeddings analyzer ran last, on what the others found: one vector per
    transcript segment and on-screen text, and each shot described; a paraphrase
    of each spoken sentence lands in its shot."""
    summary, client = analyzed
    v = summary["video_id"]
    r = client.get(f"/v1/videos/{v}/artifacts", params={"type": "text.embedding", "limit": 500})
    assert r.status_code == 200, r.text
    found = r.json()["artifacts"]
    sources = [a["payload"]["source"] for a in found]
    assert sources.count("transcript") == len(TRUTH["speech"])
    assert sources.count("ocr") >= 1
    shot_starts = {a["span_start_ms"] for a in found if a["payload"]["source"] == "shot"}
    assert shot_starts == {round(s["start_s"] * 1000) for s in TRUTH["shots"]}
    for i, paraphrase in enumerate(["a greeting on a trip to an orbiting laboratory",
                                    "a pet napping on the couch",
                                    "a bill that has to be settled soon",
                                    "where the motorbike is left"]):
        hits = client.get("/v1/search", params={"q": paraphrase, "video_id": v}).json()["hits"]
        shot = TRUTH["shots"][i]
        assert hits and _in(hits[0]["start_ms"], shot["start_s"] - 0.5, shot["end_s"]), (paraphrase, hits)
