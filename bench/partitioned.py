"""Jump and find on a partitioned layout as the library grows to 10^7 rows (``--large``).

The real schema is migrated, then the three tables these queries read —
``object_appearances``, ``object_labels`` (the ids of a jump's hits) and
``transcript_fts`` — are replaced by tables of the same columns and indexes
``PARTITION BY HASH (asset_id)`` in 64 partitions (a primary key must hold the
partition key, so theirs gains ``asset_id``), as docs/operations.md describes
for a library past one server's comfort. For each size a fresh database gets
videos of 10^4 appearances and 10^4 transcript segments each, written in SQL
until each table holds 10^5, 10^6 or 10^7 rows, and the indexes are built
after the load (as a bulk restore would; inserting 10^7 rows into live
indexes took over 15 minutes here). The embedded server is given a buffer
cache that holds the data (``SHARED_BUFFERS``; a server named by
DATABASE_URL keeps its own), and the tables and indexes are read into it
(``pg_prewarm``). Then `eioku serve`, unchanged, answers jumps and finds on
random videos, timed over HTTP beside the raw statement it sends.
Usage: ``python -m bench.partitioned [ROWS ...]``.
"""

from __future__ import annotations

import os
import random
import sys
import time
import uuid

import psycopg
from eioku.db.engine import make_engine, make_session_factory
from eioku.store.projections import FTS_CONFIG
from eioku.store.uow import UnitOfWork

from bench.common import bench_database, print_table
from bench.navigation import (
    Client,
    _analyze,
    _find_steps,
    _jump_steps,
    _p,
    _run,
    _time_http,
    _time_sql,
    _video,
    server,
)

TABLES = ("object_appearances", "object_labels", "transcript_fts")
PARTITIONS = 64
PER_VIDEO = 10_000  # appearances, and transcript segments, of each video
CALLS = 300
# the 10^7 database is 6.7 GB: 10 GB of buffer cache, or 45 % of a smaller machine's memory
_MEMORY_MB = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
SHARED_BUFFERS = f"{max(128, min(10 * 1024, _MEMORY_MB * 9 // 20))}MB"
APPEARANCE_MS, SEGMENT_MS = 2_500, 500


def partition(url: str) -> list[str]:
    """Swap each table for a hash-partitioned one with the same columns; return
    the statements that recreate its indexes (run them after loading)."""
    later = []
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            indexes = conn.execute(
                "SELECT indexdef, indisunique FROM pg_indexes i JOIN pg_class c ON c.relname = "
                "i.indexname JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = %s",
                (table,)).fetchall()
            conn.execute(f"ALTER TABLE {table} RENAME TO {table}_flat")
            conn.execute(f"CREATE TABLE {table} (LIKE {table}_flat INCLUDING DEFAULTS) "
                         "PARTITION BY HASH (asset_id)")
            for r in range(PARTITIONS):
                conn.execute(f"CREATE TABLE {table}_p{r} PARTITION OF {table} "
                             f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {r})")
            conn.execute(f"DROP TABLE {table}_flat")
            for indexdef, unique in indexes:
                columns = indexdef[indexdef.index("(") + 1:indexdef.rindex(")")]
                if unique and "asset_id" not in columns:  # a unique key must hold the partition key
                    indexdef = indexdef.replace(f"({columns})", f"({columns}, asset_id)")
                later.append(indexdef)
    return later


def build_indexes(url: str, statements: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in statements:
            conn.execute(statement)


def add_videos(url: str, count: int, rng: random.Random) -> list[uuid.UUID]:
    """``count`` videos, each with a completed object run and transcript run whose
    rows are written straight into the projections (SQL, as COPY would)."""
    factory = make_session_factory(make_engine(url))
    runs = []
    with UnitOfWork(factory) as uow:
        for _ in range(count):
            video = _video(uow, uuid.uuid4().hex)
            runs.append((video.video_id, _run(uow, video.video_id, "object.detection", []),
                         _run(uow, video.video_id, "transcript.segment", [])))
        uow.commit()
    factory.kw["bind"].dispose()
    for start in range(0, count, 100):  # 100 videos (2·10^6 rows) per statement
        _fill(url, runs[start:start + 100], rng)
    return [video_id for video_id, _, _ in runs]


def _fill(url: str, runs: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]], rng: random.Random) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE new_runs (asset_id uuid, objects uuid, words uuid, k int)")
        with conn.cursor().copy("COPY new_runs FROM STDIN") as copy:
            for video_id, objects, words in runs:
                copy.write_row((video_id, objects, words, rng.randrange(1 << 20)))
        g = f"generate_series(0, {PER_VIDEO - 1}) g"
        label = "(ARRAY['dog','cat','person','car'])[1 + (g * 7919 + r.k) % 4]"
        conn.execute(
            "INSERT INTO object_appearances (run_id, asset_id, start_ms, end_ms, confidence, "
            f"detections, label) SELECT r.objects, r.asset_id, g * {APPEARANCE_MS}, "
            f"g * {APPEARANCE_MS} + 2000, 0.9, 5, {label} FROM new_runs r, {g}")
        conn.execute(
            "INSERT INTO object_labels (artifact_id, asset_id, run_id, start_ms, end_ms, label, "
            f"confidence) SELECT gen_random_uuid(), r.asset_id, r.objects, g * {APPEARANCE_MS}, "
            f"g * {APPEARANCE_MS} + 400, {label}, 0.9 FROM new_runs r, {g}")
        words = "(ARRAY['budget','meeting','river','coffee','report','total','garden','window'])"
        word = [f"{words}[1 + (g * {m} + r.k) % 8]" for m in (31, 17, 13)]
        text = (f"{word[0]} || ' ' || {word[1]} || ' ' || {word[2]} "
                "|| CASE WHEN (g + r.k) % 50 = 0 THEN ' invoice' ELSE '' END")  # 1 in 50 says it
        conn.execute(
            "INSERT INTO transcript_fts (artifact_id, asset_id, run_id, start_ms, end_ms, text, tsv) "
            f"SELECT gen_random_uuid(), r.asset_id, r.words, g * {SEGMENT_MS}, "
            f"g * {SEGMENT_MS} + 450, t, to_tsvector('{FTS_CONFIG}', t) "
            f"FROM new_runs r, {g}, LATERAL (SELECT {text} AS t) s")


def measure(url: str, videos: list[uuid.UUID], rng: random.Random) -> dict:
    picks = [(rng.choice(videos), rng.randrange(PER_VIDEO * APPEARANCE_MS)) for _ in range(CALLS)]
    jump_sql = _time_sql(url, [next(_jump_steps(v, p)) for v, p in picks])
    find_picks = [(v, p // (APPEARANCE_MS // SEGMENT_MS)) for v, p in picks]
    find_sql = _time_sql(url, [next(_find_steps(v, p)) for v, p in find_picks])
    with server(url) as base, Client(base) as client:
        jump_urls = [f"/v1/videos/{v}/jump?kind=object&label=dog&from_ms={p}" for v, p in picks]
        find_urls = [f"/v1/videos/{v}/find?q=invoice&from_ms={p}" for v, p in find_picks]
        _time_http(client, jump_urls + find_urls)  # warm up: each pooled connection plans and prepares
        jump_http, find_http = _time_http(client, jump_urls), _time_http(client, find_urls)
    return {"jump_http_p50_ms": round(_p(jump_http, 50), 3), "jump_sql_p50_ms": round(_p(jump_sql, 50), 3),
            "find_http_p50_ms": round(_p(find_http, 50), 3), "find_sql_p50_ms": round(_p(find_sql, 50), 3)}


def prewarm(url: str) -> dict:
    """Read every table and index of the database into PostgreSQL's buffer
    cache (``pg_prewarm``, shipped with PostgreSQL): the database's size and
    the cache's, as the server reports them."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        conn.execute("SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.relkind IN ('r', 'i') "
                     "AND c.relnamespace = 'public'::regnamespace")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        return {"database_mb": round(size / 2**20),
                "shared_buffers": conn.execute("SHOW shared_buffers").fetchone()[0]}


def main(sizes: tuple[int, ...] = (100_000, 1_000_000, 10_000_000)) -> list[dict]:
    rng = random.Random(7)
    rows = []
    for size in sizes:
        # a server that holds a library this size is given a buffer cache to hold its data
        # (docs/operations.md); the embedded default of 128 MB is 1/50 of the 10^7 rows
        with bench_database({"shared_buffers": SHARED_BUFFERS}) as url:
            indexes = partition(url)
            started = time.perf_counter()
            videos = add_videos(url, size // PER_VIDEO, rng)
            build_indexes(url, indexes)
            _analyze(url)
            loaded = time.perf_counter() - started
            cache = prewarm(url)
            rows.append({"rows_per_table": size, "videos": len(videos), **measure(url, videos, rng),
                         "load_s": round(loaded, 1), **cache})
            print(f"  {size:,} rows per table: {rows[-1]}", flush=True)
    print_table(f"Partitioned layout (HASH (asset_id), {PARTITIONS} partitions): jump object label / "
                "find transcript words on random videos",
                ["rows per table", "videos", "jump http p50", "jump sql p50", "find http p50",
                 "find sql p50"],
                [[f"{r['rows_per_table']:,}", r["videos"], r["jump_http_p50_ms"], r["jump_sql_p50_ms"],
                  r["find_http_p50_ms"], r["find_sql_p50_ms"]] for r in rows])
    return rows


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (100_000, 1_000_000, 10_000_000))
