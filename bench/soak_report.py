"""What the soak (``bench/soak.py``) measured: runs and artifacts of each soaked
video against the fault-free reference, and the read load split into requests
inside and outside the down windows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import psycopg

Key = tuple[str, int, int, str]  # (type, span start, span end, payload as canonical JSON)


def db_url(pgdata: Path, database: str = "eioku") -> str:
    """The embedded server's socket, read from its postmaster.pid."""
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@/{database}?host={lines[4].strip()}&port={lines[3].strip()}"


def runs(conn: psycopg.Connection, video_id: str) -> dict[str, Counter[str]]:
    """Per analyzer and profile: how many runs are in each status."""
    out: dict[str, Counter[str]] = {}
    for analyzer, profile, status in conn.execute(
            "SELECT analyzer, model_profile, status FROM runs WHERE asset_id = %s", (video_id,)):
        out.setdefault(f"{analyzer}/{profile}", Counter())[status] += 1
    return out


def artifacts(conn: psycopg.Connection, video_id: str) -> dict[str, Counter[Key]]:
    """Per analyzer: the multiset of artifacts of its completed runs (jsonb's text
    is canonical: keys sorted, numbers as stored)."""
    out: dict[str, Counter[Key]] = {}
    for analyzer, *key in conn.execute(
            "SELECT r.analyzer, a.artifact_type, a.span_start_ms, a.span_end_ms, a.payload::text "
            "FROM artifacts a JOIN runs r ON r.run_id = a.run_id "
            "WHERE a.asset_id = %s AND r.status = 'completed'", (video_id,)):
        out.setdefault(analyzer, Counter())[tuple(key)] += 1  # type: ignore[arg-type]
    return out


def orphan_artifacts(conn: psycopg.Connection, video_id: str) -> int:
    """Artifacts stored for runs that did not complete (a run is written all at once)."""
    return conn.execute("SELECT count(*) FROM artifacts a JOIN runs r ON r.run_id = a.run_id "
                        "WHERE a.asset_id = %s AND r.status <> 'completed'", (video_id,)).fetchone()[0]


def compare(reference: Counter[Key], soaked: Counter[Key]) -> dict[str, int]:
    """lost: reference artifacts missing; duplicated: an identical artifact more
    often than in the reference; changed: artifacts the reference does not have."""
    lost = sum((reference - soaked).values())
    extra = soaked - reference
    duplicated = sum(n for key, n in extra.items() if key in reference)
    return {"reference": sum(reference.values()), "soaked": sum(soaked.values()), "lost": lost,
            "duplicated": duplicated, "changed": sum(extra.values()) - duplicated}


def run_verdict(per_profile: dict[str, Counter[str]], expected: list[str]) -> dict[str, object]:
    """Exactly one completed run per analyzer, none failed, queued or running."""
    rows = {}
    for analyzer in expected:
        statuses = next((c for k, c in per_profile.items() if k.split("/")[0] == analyzer), Counter())
        rows[analyzer] = dict(statuses)
    once = all(s == {"completed": 1} for s in rows.values())
    return {"exactly_once": once, "statuses": rows}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stats(records: list[list], names: list[str], errors: list[str]) -> dict:
    codes: Counter[int] = Counter(r[3] for r in records)
    latency = [r[1] - r[0] for r in records]
    by_route: dict[str, list[float]] = {}
    route_codes: dict[str, Counter[int]] = {}
    for t0, t1, route, status, _ in records:
        by_route.setdefault(names[route], []).append(t1 - t0)
        route_codes.setdefault(names[route], Counter())[status] += 1
    seconds = (max(r[1] for r in records) - min(r[0] for r in records)) if records else 0.0
    return {"requests": len(records),
            "per_s": round(len(records) / seconds, 1) if seconds else 0.0,
            "5xx": sum(n for s, n in codes.items() if s >= 500),
            "no_answer": codes.get(0, 0),
            "4xx": sum(n for s, n in codes.items() if 400 <= s < 500),
            "p50_ms": round(percentile(latency, 0.50) * 1000, 1),
            "p99_ms": round(percentile(latency, 0.99) * 1000, 1),
            "max_ms": round(max(latency, default=float("nan")) * 1000, 1),
            "codes": {str(k): v for k, v in sorted(codes.items())},
            "no_answer_kinds": dict(Counter(errors[r[4]] for r in records if r[3] == 0)),
            "by_route": {k: {"p99_ms": round(percentile(v, 0.99) * 1000, 1),
                             "codes": {str(c): n for c, n in sorted(route_codes[k].items())}}
                         for k, v in sorted(by_route.items())}}


def load_figures(load_file: Path, windows: list[tuple[float, float]], start: float, end: float,
                 first_fault: float) -> dict:
    """Requests that started and ended outside every down window, those inside
    one, and those before the first fault (the same load, nothing killed yet)."""
    data = json.loads(load_file.read_text())
    names, errors = data["routes"], data["errors"]
    outside, inside, failures = [], [], []
    for record in data["records"]:
        t0, t1, route, status, error = record
        if t0 < start or t0 > end:
            continue
        if any(t0 <= w1 and t1 >= w0 for w0, w1 in windows):
            inside.append(record)
            continue
        outside.append(record)
        if status >= 500 or status == 0:
            failures.append({"t_s": round(t0 - start, 2), "route": names[route], "status": status,
                             "error": errors[error] if status == 0 else None})
    out = _stats(outside, names, errors)
    out["failures"] = failures[:100]
    return {"outside": out, "inside": _stats(inside, names, errors),
            "before_first_fault": _stats([r for r in outside if r[1] < first_fault], names, errors),
            "seconds": round(end - start, 1)}
