"""Search by meaning at 10^5 embeddings (100 videos x 1,000): `GET /v1/search`
over HTTP (`eioku serve`, semantic and hybrid) against the raw SQL of the same
HNSW query, the exact scan that a server without pgvector does, and the query
embedding alone. Also the recall@10 of the HNSW index against the exact scan,
and relevance at that size: how many of 60 queries about nothing (subjects
none of the sentences is about, and strings of random letters) find anything
by meaning (they should not), and how many of the paraphrased QUERIES do (all
should). The paraphrase evaluation on real analysis output, recall@5 and the
nonsense queries, is tests/integration/test_semantic_search.py.

The vectors are real all-MiniLM-L6-v2 embeddings of 2,000 generated sentences,
each row one of them plus a little noise (so neighbours are close, as with real
transcripts, and no two rows are equal). Rows go into the ``text_embeddings``
projection with COPY (one embeddings run per video through the store, so the
selection and the API see them); the HNSW index is built after the load, as
`eioku projections rebuild` would on a large library. Storing artifacts is what
``bench/ingest.py`` measures. Usage: ``python -m bench.semantic [--quick]``.
"""

from __future__ import annotations

import json
import random
import string
import sys
import time
import uuid

import numpy as np
import psycopg
from eioku.db.engine import make_engine, make_session_factory
from eioku.store.uow import UnitOfWork
from eioku.store.vectors import INDEX
from eioku_ml.models import minilm

from bench.common import bench_database, print_table
from bench.navigation import Client, _p, _run, _time_http, _video, server

SUBJECTS = ["the budget", "a dog", "the invoice", "our new office", "the river", "a birthday cake",
            "the football match", "grandmother", "the car repair", "a rainy weekend", "the garden",
            "the train delay", "a wedding speech", "the quarterly report", "a cat", "the beach"]
VERBS = ["we talk about", "she laughs at", "they argue over", "he explains", "someone films",
         "the kids point at", "we celebrate", "they plan", "I forgot", "everyone waits for"]
PLACES = ["in the kitchen", "at the office", "on the street", "by the lake", "in the car",
          "at school", "in the park", "on the phone", "at the station", "in the garden"]
QUERIES = ["paying what we owe", "a pet animal", "a sports game", "bad weather", "a family party",
           "work meeting numbers", "public transport problems", "flowers and plants",
           "fixing a vehicle", "a day at the seaside", "an elderly relative", "a dessert"]


NONSENSE = ["photosynthesis in algae", "volcanic eruption lava", "medieval knights jousting",
            "quantum chromodynamics", "a saxophone solo", "the rules of chess", "a giraffe eating leaves",
            "deep sea jellyfish", "tectonic plates", "knitting a scarf"]


def _random_letters(n: int, rng: random.Random) -> list[str]:
    word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))  # noqa: E731
    return [" ".join(word() for _ in range(rng.randint(1, 2))) for _ in range(n)]


def _answered(client: Client, queries: list[str]) -> list[str]:
    """The queries that find anything by meaning."""
    from urllib.parse import quote

    found = []
    for q in queries:
        status, body = client.get(f"/v1/search?mode=semantic&limit=5&q={quote(q)}")
        assert status == 200, body[:200]
        if json.loads(body)["hits"]:
            found.append(q)
    return found


def _sentences(n: int, rng: random.Random) -> list[str]:
    return [f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)} {rng.choice(PLACES)}".capitalize()
            for _ in range(n)]


WHEN = ["", "last summer", "in the morning", "at night", "with friends", "on holiday", "again",
        "for the first time"]


def _queries(n: int, rng: random.Random) -> list[str]:
    """``n`` different queries (each asked once: the server caches query vectors)."""
    every = [f"{q} {p} {w}".strip() for q in QUERIES for p in PLACES for w in WHEN]
    return rng.sample(every, n)


def _load(url: str, n: int, videos: int, base: np.ndarray, rng: np.random.Generator) -> float:
    """One embeddings run per video (the store), then ``n`` rows by COPY; the
    index built afterwards. Returns the index build time in seconds."""
    factory = make_session_factory(make_engine(url))
    runs = []
    with UnitOfWork(factory) as uow:
        for v in range(videos):
            video = _video(uow, f"s{v}")
            vector = [float(x) for x in base[v % len(base)]]
            runs.append((video.video_id, _run(uow, video.video_id, "text.embedding", [{
                "span_start_ms": 0, "span_end_ms": 1000, "payload": {
                    "source": "transcript", "text": "x", "model": minilm.MODEL_ID, "vector": vector}}])))
        uow.commit()
    per_video = n // videos
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP INDEX IF EXISTS {INDEX}")
        with conn.cursor().copy("COPY text_embeddings (artifact_id, asset_id, run_id, start_ms, "
                                "end_ms, source, text, embedding) FROM STDIN") as copy:
            for video_id, run_id in runs:
                picks = rng.integers(0, len(base), per_video)
                rows = base[picks] + rng.normal(0, 0.02, (per_video, base.shape[1])).astype(np.float32)
                rows /= np.linalg.norm(rows, axis=1, keepdims=True)
                for i, row in enumerate(rows):
                    copy.write_row((uuid.uuid4(), video_id, run_id, i * 3000, i * 3000 + 2500,
                                    "transcript", f"sentence {picks[i]}",
                                    "{" + ",".join(f"{x:.6f}" for x in row) + "}"))
        conn.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        conn.execute(f"CREATE INDEX {INDEX} ON text_embeddings USING hnsw "
                     f"((embedding::vector(384)) vector_cosine_ops)")
        built = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE text_embeddings")
    return built


HNSW_SQL = ("SELECT t.artifact_id FROM text_embeddings t "
            "ORDER BY t.embedding::vector(384) <=> %s::vector(384) LIMIT 20")
EXACT_SQL = ("SELECT t.artifact_id FROM text_embeddings t JOIN selected_runs sr ON sr.run_id = t.run_id "
             "WHERE sr.artifact_type = 'text.embedding' "
             "ORDER BY eioku_dot(t.embedding, %s::real[]) DESC LIMIT 20")


def _sql(url: str, sql: str, vectors: list[list[float]], as_text: bool) -> tuple[list[float], list[list]]:
    times, results = [], []
    with psycopg.connect(url) as conn:
        conn.execute("SET hnsw.ef_search = 180")  # what the API sets for 40 candidates (+ half, x 3)
        for v in vectors:
            param = "[" + ",".join(f"{x:.7g}" for x in v) + "]" if as_text else v
            started = time.perf_counter()
            rows = conn.execute(sql, (param,), prepare=True).fetchall()
            times.append(time.perf_counter() - started)
            results.append([r[0] for r in rows])
    return times, results


def _recall(url: str, vectors: list[list[float]], found: list[list]) -> float:
    """Share of the index's first ten that are among the exact ten nearest; a
    row as near as the exact tenth counts (the data has near-ties)."""
    hits = 0
    exact = "(embedding::vector(384) <#> %s::real[]::vector(384)) + 0"  # + 0: not the index
    with psycopg.connect(url) as conn:
        for v, ids in zip(vectors, found, strict=True):
            tenth = conn.execute(f"SELECT {exact} d FROM text_embeddings ORDER BY d LIMIT 1 OFFSET 9",
                                 (v,)).fetchone()[0]
            scores = conn.execute(f"SELECT {exact} FROM text_embeddings WHERE artifact_id = ANY(%s)",
                                  (v, ids[:10])).fetchall()
            hits += sum(d <= tenth + 1e-6 for (d,) in scores)  # negative inner products
    return hits / (10 * len(vectors))


def main(quick: bool = False) -> dict:
    n, videos = (20_000, 20) if quick else (100_000, 100)
    rng = random.Random(3)
    model = minilm.shared()
    queries = _queries(400, rng)
    embed = []
    for q in queries[200:260]:  # one at a time, as the API embeds a query (before any batch:
        t = time.perf_counter()  # with BLAS threads, single queries slow down after one)
        model.encode([q])
        embed.append(time.perf_counter() - t)
    base = model.encode(_sentences(2_000, rng))
    query_vectors = model.encode(queries[:200])
    vectors = [[float(x) for x in v] for v in query_vectors]
    with bench_database() as url:
        built = _load(url, n, videos, base, np.random.default_rng(4))
        hnsw, near = _sql(url, HNSW_SQL, vectors, as_text=True)
        exact, truth = _sql(url, EXACT_SQL, vectors[:3], as_text=False)
        recall = _recall(url, vectors[:20], near[:20])
        with server(url) as base_url, Client(base_url) as client:
            from urllib.parse import quote

            # every query asked once (the server caches query vectors): 30 to warm up
            # (the model loads on the first), 200 semantic, 110 hybrid
            asked = [quote(q) for q in queries]
            _time_http(client, [f"/v1/search?mode=semantic&limit=20&q={q}" for q in asked[:30]])
            http = _time_http(client, [f"/v1/search?mode=semantic&limit=20&q={q}" for q in asked[30:230]])
            http_hybrid = _time_http(client, [f"/v1/search?mode=hybrid&limit=20&q={q}"
                                              for q in asked[230:340]])
            nonsense = NONSENSE + _random_letters(50, random.Random(5))
            nonsense_found = _answered(client, nonsense)
            paraphrases_found = _answered(client, QUERIES)
    result = {"embeddings": n, "videos": videos, "http_p50_ms": round(_p(http, 50), 3),
              "http_p99_ms": round(_p(http, 99), 3), "hybrid_http_p50_ms": round(_p(http_hybrid, 50), 3),
              "sql_p50_ms": round(_p(hnsw, 50), 3), "exact_sql_p50_ms": round(_p(exact, 50), 3),
              "embed_p50_ms": round(_p(embed, 50), 3), "hnsw_recall_at_10": round(recall, 3),
              "index_build_s": round(built, 1), "nonsense_queries": len(nonsense),
              "nonsense_with_hits": len(nonsense_found), "paraphrases": len(QUERIES),
              "paraphrases_with_hits": len(paraphrases_found)}
    print_table(f"Search by meaning over {n:,} embeddings in {videos} videos (HNSW)",
                ["what", "p50 ms", "p99 ms"],
                [["GET /v1/search mode=semantic", result["http_p50_ms"], result["http_p99_ms"]],
                 ["GET /v1/search mode=hybrid", result["hybrid_http_p50_ms"], ""],
                 ["query embedding alone (in process)", result["embed_p50_ms"], ""],
                 ["raw SQL, HNSW (baseline)", result["sql_p50_ms"], ""],
                 ["raw SQL, exact scan (no pgvector)", result["exact_sql_p50_ms"], ""]])
    print(f"HNSW recall@10 vs the exact scan: {recall:.3f}; index built in {built:.1f} s")
    print(f"by meaning: {len(nonsense_found)} of {len(nonsense)} queries about nothing found something "
          f"{nonsense_found}; {len(paraphrases_found)} of {len(QUERIES)} paraphrases did")
    return result


if __name__ == "__main__":
    from pathlib import Path

    found = main(quick="--quick" in sys.argv)
    if "--quick" not in sys.argv:
        (Path(__file__).parent / "results-semantic.json").write_text(json.dumps(found, indent=1) + "\n")
