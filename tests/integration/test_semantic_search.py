"""Search by meaning, evaluated and checked on both vector modes.

The evaluation (tests/data/search-eval.json) holds queries that paraphrase
what the sample and the benchmark video say, show and contain, each with the
moments it should find. The videos' analysis is real analyzer output captured
once (tests/data/*-analysis.json); the embeddings analyzer runs here, with the
real model, and the searches go through the service the API and the CLI use.

Both databases run the evaluation: one with pgvector's HNSW index (the
embedded server has pgvector) and one created without the ``vector``
extension at all, which must fall back to the exact scan with the same
results.
"""

from __future__ import annotations

import json
import random
import string
import types
import uuid
from pathlib import Path

import pytest
from eioku.config import get_settings
from eioku.db import migrate
from eioku.db.engine import make_engine, make_session_factory
from eioku.domain.errors import ValidationFailedError
from eioku.services import search
from eioku.services.pipeline import ANALYZERS
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers.embeddings import EmbeddingsAnalyzer
from sqlalchemy import text

from tests.factories import add_video, store_run

DATA = Path(__file__).parents[1] / "data"
EVAL = json.loads((DATA / "search-eval.json").read_text())
K = 5
LEAD_MS = 2_000  # a hit up to 2 s before a moment lands the viewer on it


def load_analysis(uow: UnitOfWork, name: str) -> uuid.UUID:
    """One video with the captured analysis, then the embeddings analyzer over it."""
    data = json.loads((DATA / f"{name}-analysis.json").read_text())
    video = add_video(uow, filename=data["filename"], duration_ms=data["duration_ms"])
    for artifact_type, run in data["artifacts"].items():
        if run["items"]:
            store_run(uow, video.video_id, artifact_type, [(s, e) for s, e, _ in run["items"]],
                      payloads=[p for _, _, p in run["items"]], producer=run["producer"])
    spec = ANALYZERS["embeddings"]
    context = {dep: uow.artifacts.get_by_asset(video.video_id, ANALYZERS[dep].artifact_type)
               for dep in spec.uses}
    analyzer = EmbeddingsAnalyzer(spec.config("fast"))
    items = analyzer.analyze(types.SimpleNamespace(duration_ms=data["duration_ms"]),  # type: ignore[arg-type]
                             lambda fraction: None, context)
    store_run(uow, video.video_id, spec.artifact_type, [(i.span_start_ms, i.span_end_ms) for i in items],
              payloads=[i.payload for i in items], producer=spec.producer)
    return video.video_id


@pytest.fixture(scope="module", params=["hnsw", "exact"])
def library(request, pg_cluster, template_db):
    """(session factory, {"sample": id, "bench": id}, vector mode)."""
    if request.param == "hnsw":
        name = pg_cluster.create(template=template_db)
    else:  # a database that never had the extension, migrated with EIOKU_PGVECTOR=off
        name = pg_cluster.create()
        mp = pytest.MonkeyPatch()
        mp.setenv("EIOKU_PGVECTOR", "off")
        get_settings.cache_clear()
        try:
            migrate.upgrade(pg_cluster.url(name))
        finally:
            mp.undo()
            get_settings.cache_clear()
    engine = make_engine(pg_cluster.url(name))
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        ids = {video: load_analysis(uow, video) for video in ("sample", "bench")}
        uow.commit()
    yield factory, ids, request.param
    engine.dispose()


def found(hits, moments) -> int:
    return sum(any(m[0] - LEAD_MS <= h.start_ms < m[1] for h in hits) for m in moments)


def recall_at_k(factory, ids, mode: str) -> tuple[float, dict[str, float]]:
    """Mean recall@5 over the queries, and per kind of moment (speech, screen, shot)."""
    per_query: list[tuple[str, float]] = []
    with UnitOfWork(factory) as uow:
        for case in EVAL["queries"]:
            try:
                hits = search.search(uow.session, case["q"], mode=mode, limit=K,
                                     video_id=ids[case["video"]]).hits
            except ValidationFailedError:  # keyword: nothing in it to match word for word
                hits = []
            per_query.append((case["kind"], found(hits, case["moments"])
                              / min(K, len(case["moments"]))))
    kinds = {k: sum(r for kk, r in per_query if kk == k) / sum(1 for kk, _ in per_query if kk == k)
             for k in dict.fromkeys(k for k, _ in per_query)}
    return sum(r for _, r in per_query) / len(per_query), kinds


def test_the_database_is_in_the_mode_it_should_be(library):
    factory, _, mode = library
    with UnitOfWork(factory) as uow:
        installed = uow.session.execute(text(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')")).scalar_one()
        assert search.vectors.vector_mode(uow.session) == mode
    assert installed == (mode == "hnsw")


def test_recall_at_5_hybrid_beats_keyword(library, capsys):
    factory, ids, mode = library
    results = {m: recall_at_k(factory, ids, m) for m in ("keyword", "semantic", "hybrid")}
    with capsys.disabled():
        print(f"\nrecall@{K} over {len(EVAL['queries'])} paraphrased queries ({mode}):")
        for m, (total, kinds) in results.items():
            print(f"  {m:9} {total:.3f}  " + "  ".join(f"{k} {v:.2f}" for k, v in kinds.items()))
    assert results["hybrid"][0] >= 0.8
    assert results["hybrid"][0] >= results["keyword"][0] + 0.3


def random_letters(n: int, seed: int = 27) -> list[str]:
    """``n`` queries of one or two made-up words of random letters (say "qwertyzz")."""
    rng = random.Random(seed)
    word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))  # noqa: E731
    return [" ".join(word() for _ in range(rng.randint(1, 2))) for _ in range(n)]


def test_nonsense_finds_nothing_and_paraphrases_still_do(library, capsys):
    """Queries about nothing the videos hold (EVAL["nonsense"]) and strings of
    random letters find nothing, by meaning or in hybrid, in the library or in
    one video, while recall@5 of the paraphrases stays at 0.8 or more: the
    relevance bar (services.search.RELEVANT_Z) is what lets both hold."""
    factory, ids, mode = library
    nonsense = EVAL["nonsense"] + ["qwertyzz"] + random_letters(20)
    found_any: list[tuple[str, str, str, float | None]] = []
    with UnitOfWork(factory) as uow:
        for q in nonsense:
            for scope in (None, ids["sample"], ids["bench"]):
                for m in ("semantic", "hybrid"):
                    hits = search.search(uow.session, q, mode=m, limit=K, video_id=scope).hits
                    found_any += [(q, m, h.snippet[:40], h.relevance) for h in hits]
        # the paraphrases' best hits, and how far above chance they are
        best = [search.search(uow.session, c["q"], mode="semantic", limit=1, video_id=ids[c["video"]]).hits
                for c in EVAL["queries"]]
    recall, kinds = recall_at_k(factory, ids, "hybrid")
    relevances = sorted(h[0].relevance for h in best if h)
    with capsys.disabled():
        print(f"\n{len(nonsense)} nonsense queries x 3 scopes x 2 modes ({mode}): "
              f"{len(found_any)} hits")
        for hit in sorted(set(found_any)):
            print("  ", hit)
        print(f"paraphrases: hybrid recall@{K} {recall:.3f}; {len(relevances)}/{len(best)} find something "
              f"by meaning, best relevance min {relevances[0]:.2f} median "
              f"{relevances[len(relevances) // 2]:.2f} (bar {search.RELEVANT_Z})")
    assert found_any == []
    assert recall >= 0.8, kinds


def test_the_readme_example_is_offered_as_a_weak_match(library):
    """"where do they talk about money": all-MiniLM-L6-v2 relates it to the
    sample's "Please pay the invoice before Friday" moment only loosely (cosine
    0.29-0.30 here, relevance about 3; 0.24 and about 2.2 on a fresh analysis,
    whose shot description says more), no more than "knitting a scarf" to a
    sleeping cat. So it is at the edge of the bar: the answer either has that
    moment, or says a weak match was left out, and asked with weak=True has it,
    marked with its strength."""
    factory, ids, _ = library
    q = "where do they talk about money"
    with UnitOfWork(factory) as uow:
        for m in ("semantic", "hybrid"):
            found = search.search(uow.session, q, mode=m, limit=3, video_id=ids["sample"])
            hits = found.hits
            assert (hits and 6000 - LEAD_MS <= hits[0].start_ms < 9000) or (not hits and found.weaker >= 1)
            weak = search.search(uow.session, q, mode=m, limit=3, video_id=ids["sample"], weak=True)
            assert weak.hits and 6000 - LEAD_MS <= weak.hits[0].start_ms < 9000, (m, weak)
            assert weak.hits[0].strength in ("weak", "fair", "good", "strong")
            assert weak.hits[0].relevance >= search.WEAK_Z and weak.weaker == 0
        words = search.search(uow.session, "invoice", mode="hybrid", limit=3, video_id=ids["sample"]).hits
        assert words[0].strength == "exact"  # the word itself is there
        keyword = search.search(uow.session, "invoice", mode="keyword", limit=3).hits
        assert keyword and {h.strength for h in keyword} == {"exact"} and keyword[0].relevance is None


def test_the_readme_search_example_finds_its_moment_at_the_bar(library):
    """The README's own `eioku search "..."` example (read from the README, so
    the promise and the test cannot drift apart) finds the sample's invoice
    moment first, at least a fair match, in both modes that search by meaning."""
    import re

    from tests.conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    q = re.search(r'eioku search "([^"]+)"', readme).group(1)
    factory, ids, _ = library
    with UnitOfWork(factory) as uow:
        for m in ("semantic", "hybrid"):
            hits = search.search(uow.session, q, mode=m, limit=3, video_id=ids["sample"]).hits
            assert hits, (m, q)
            assert 6000 - LEAD_MS <= hits[0].start_ms < 9000, (m, q, hits[0])
            assert hits[0].strength in ("fair", "good", "strong"), hits[0]


def test_exact_scan_and_hnsw_rank_alike(library):
    """On this small library the index is exact: both modes give the same
    neighbours (the HNSW database checks against a forced exact scan)."""
    factory, ids, mode = library
    with UnitOfWork(factory) as uow:
        vector = search.embed_query("paying the supplier")
        index = search.vectors.nearest(uow.session, vector, limit=10)
        exact_sql = uow.session.execute(text(
            "SELECT eioku_dot(t.embedding, CAST(:q AS real[])) AS s FROM text_embeddings t "
            "JOIN selected_runs sr ON sr.run_id = t.run_id ORDER BY s DESC LIMIT 10"),
            {"q": vector}).scalars().all()
        # the same similarities in the same order (the script repeats: equal texts tie)
        assert [round(n.score, 4) for n in index] == [round(s, 4) for s in exact_sql]
        assert all(a.score >= b.score for a, b in zip(index, index[1:], strict=False))
        # the oracle: cosine similarity computed here from the stored payloads
        best = uow.session.execute(text(
            "SELECT a.payload->'vector' FROM artifacts a WHERE a.artifact_id = :i"),
            {"i": index[0].artifact_id}).scalar_one()
        assert abs(sum(x * y for x, y in zip(best, vector, strict=True)) - index[0].score) < 1e-4
        # the stored vectors as relevance reads them (array_send's binary form) are the payloads'
        sent = search.vectors.nearest(uow.session, vector, limit=10, with_vectors=True)
        assert [n.artifact_id for n in sent] == [n.artifact_id for n in index]
        read = search.vectors.floats(sent[0].vector)
        assert max(abs(a - b) for a, b in zip(read, best, strict=True)) < 1e-6
        assert all(abs(float(search.vectors.floats(n.vector) @ vector) - n.score) < 1e-4 for n in sent)
    assert mode in ("hnsw", "exact")


def test_scope_and_modes(library):
    factory, ids, _ = library
    with UnitOfWork(factory) as uow:
        everywhere = search.search(uow.session, "a cat", mode="semantic", limit=50)
        assert {h.video_id for h in everywhere.hits} == set(ids.values())
        one = search.search(uow.session, "a cat", mode="semantic", limit=50, video_id=ids["sample"])
        assert one.hits and {h.video_id for h in one.hits} == {ids["sample"]}
        assert {h.source for h in everywhere.hits} <= {"transcript", "ocr", "shot"}
        assert search.search(uow.session, "invoice", mode="keyword").vector_index is None
        with pytest.raises(ValidationFailedError):
            search.search(uow.session, "x", mode="fuzzy")
        # hostile text is data, never SQL or a crash
        for q in ("'; DROP TABLE text_embeddings; --", "\\x00"[:2] + "¿?", "a" * 500, "<mark>"):
            search.search(uow.session, q, mode="hybrid", limit=5)
        assert uow.session.execute(text("SELECT count(*) FROM text_embeddings")).scalar_one() > 0


def test_a_named_person_with_a_thing_ranks_the_shots_where_both_are(library):
    """"Alice holding a bottle": Alice by name (her faces, keyword side), the
    bottle (objects) and what the shot shows (its description, semantic side)
    meet in the same shots, which come first."""
    factory, ids, _ = library
    with UnitOfWork(factory) as uow:
        for identity, name in (("person-1", "Bob"), ("person-2", "Alice")):
            uow.session.execute(text(
                "INSERT INTO face_identities (identity_id, embedding_model, centroid, faces, name) "
                "VALUES (:i, 'dlib', ARRAY[0.0]::float8[], 1, :n) "
                "ON CONFLICT (identity_id) DO UPDATE SET name = :n"), {"i": identity, "n": name})
        uow.commit()
        appearances = {identity: {s // 15_000 * 15_000 for s, in uow.session.execute(text(
            "SELECT start_ms FROM face_appearances WHERE asset_id = :v AND cluster_id = :c"),
            {"v": ids["bench"], "c": identity})} for identity in ("person-1", "person-2")}
        assert appearances == {"person-1": {0, 90_000}, "person-2": {60_000, 150_000}}
        for q, identity in (("Alice holding a bottle", "person-2"), ("bob in a tie", "person-1")):
            hits = search.search(uow.session, q, mode="hybrid", limit=10, video_id=ids["bench"]).hits
            top = {h.start_ms // 15_000 * 15_000 for h in hits[:len(appearances[identity])]}
            assert top == appearances[identity], (q, [(h.source, h.start_ms) for h in hits])
        names = search.search(uow.session, "Alice", mode="hybrid", video_id=ids["bench"]).hits
        assert names and {h.source for h in names} == {"face"}
        assert {h.label for h in names} == {"person-2"}


def test_doctor_reports_the_mode_and_vector_index_adds_the_index_later(pg_cluster, monkeypatch):
    """A database migrated without pgvector scans exactly; `eioku db vector-index`
    (say, once pgvector is installed) adds the index; `eioku doctor` tells."""
    from eioku.cli import app as cli_app
    from typer.testing import CliRunner

    name = pg_cluster.create()
    monkeypatch.setenv("DATABASE_URL", pg_cluster.url(name))
    monkeypatch.setenv("EIOKU_PGVECTOR", "off")
    get_settings.cache_clear()
    try:
        migrate.upgrade(pg_cluster.url(name))
        runner = CliRunner()

        def mode() -> str:
            result = runner.invoke(cli_app, ["doctor", "--json"])
            checks = {c["check"]: c for c in json.loads(result.stdout)}
            assert checks["database"]["ok"] and checks["schema"]["ok"], result.stdout
            return checks["semantic search"]["mode"]

        assert mode() == "exact"
        refused = runner.invoke(cli_app, ["db", "vector-index"])
        assert refused.exit_code == 1 and "exact scan" in refused.stdout
        monkeypatch.setenv("EIOKU_PGVECTOR", "auto")
        get_settings.cache_clear()
        made = runner.invoke(cli_app, ["db", "vector-index"])
        assert made.exit_code == 0, made.stdout
        assert mode() == "hnsw"
    finally:
        get_settings.cache_clear()
