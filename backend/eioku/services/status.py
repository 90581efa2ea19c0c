"""The analysis system at a glance: queues, workers, runs — so a run waiting
for an analyzer that no worker serves is visible as such."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.services.libraries import library_status


def stalled_after_s() -> float:
    return float(os.environ.get("EIOKU_STALLED_AFTER_S", "30"))


def status(session: Session) -> dict[str, Any]:
    alive_within = stalled_after_s()
    workers = session.execute(text(
        "SELECT count(*) FILTER (WHERE last_heartbeat > now() - make_interval(secs => :s)) AS alive, "
        "count(*) AS known, max(last_heartbeat) AS last_heartbeat FROM procrastinate_workers"),
        {"s": alive_within}).mappings().one()
    queues = [dict(r) for r in session.execute(text(
        "SELECT queue_name AS queue, count(*) FILTER (WHERE status = 'todo') AS waiting, "
        "count(*) FILTER (WHERE status = 'doing') AS running, "
        "round(extract(epoch FROM now() - min(r.created_at) FILTER (WHERE j.status = 'todo'))::numeric, 1)"
        " AS oldest_waiting_s "
        "FROM procrastinate_jobs j LEFT JOIN LATERAL (SELECT min(created_at) AS created_at FROM "
        "(SELECT created_at FROM runs WHERE job_id = j.id UNION ALL "  # a playback job has no run
        "SELECT updated_at FROM playback_files WHERE job_id = j.id) t) r ON TRUE "
        "WHERE j.status IN ('todo', 'doing') "
        "AND j.task_name <> 'eioku.retry_stalled' GROUP BY queue_name ORDER BY queue_name")).mappings()]
    runs = dict(session.execute(text(
        "SELECT CASE WHEN status = 'queued' AND job_id IS NULL THEN 'waiting_for_dependencies' "
        "ELSE status END AS state, count(*) FROM runs "
        "WHERE status IN ('queued', 'running') OR finished_at > now() - interval '1 hour' "
        "GROUP BY 1")).tuples().all())
    for q in queues:
        q["oldest_waiting_s"] = float(q["oldest_waiting_s"]) if q["oldest_waiting_s"] is not None else None
    waiting = sum(q["waiting"] for q in queues)
    hint = None
    if waiting and not workers["alive"]:
        hint = ("jobs are waiting and no worker is alive: start `eioku worker` "
                "(or `eioku serve --workers 1`)")
    from eioku.store.playback import PlaybackRepository

    return {"workers": {"alive": workers["alive"], "known": workers["known"],
                        "last_heartbeat": workers["last_heartbeat"]},
            "queues": queues,
            "runs": {"queued": runs.get("queued", 0), "running": runs.get("running", 0),
                     "waiting_for_dependencies": runs.get("waiting_for_dependencies", 0),
                     "completed_last_hour": runs.get("completed", 0),
                     "failed_last_hour": runs.get("failed", 0)},
            # remuxes and proxies in <data dir>/playback: ready files and their bytes
            "playback": PlaybackRepository(session).usage(),
            # library folders: files, analysed, queued, failed, missing (services/libraries.py)
            "libraries": library_status(session),
            "hint": hint}
