"""What analysis found in a video, for `eioku analyze` and the demo."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from eioku.store.uow import UnitOfWork


def video_summary(uow: UnitOfWork, video_id: uuid.UUID) -> dict[str, Any]:
    video = uow.videos.get(video_id)
    runs = uow.runs.list_for_asset(video_id)
    counts = dict(uow.session.execute(text(  # counted in SQL: no need to load the artifacts
        "SELECT t.artifact_type, (SELECT count(*) FROM artifacts a WHERE a.run_id = "
        "eioku_selected_run(:v, t.artifact_type)) FROM (SELECT DISTINCT artifact_type FROM runs "
        "WHERE asset_id = :v AND status = 'completed') t"), {"v": video_id}).tuples().all())
    scenes = uow.artifacts.get_by_asset(video_id, "scene", limit=5)
    lines = uow.artifacts.get_by_asset(video_id, "transcript.segment", limit=3)
    labels = uow.session.execute(text(
        "SELECT label, count(*) AS n, sum(detections) AS d FROM object_appearances WHERE run_id = "
        "(SELECT eioku_selected_run(:v, 'object.detection')) GROUP BY label "
        "ORDER BY n DESC, d DESC, label LIMIT 5"), {"v": video_id}).all()
    quality = uow.artifacts.get_by_asset(video_id, "video.quality", limit=1)
    compute_s = sum(float(r.timings.get("total_s", 0)) for r in runs)
    duration_s = (video.duration_ms or 0) / 1000
    return {
        "video_id": str(video_id), "path": video.path, "duration_s": duration_s,
        "runs": [{"analyzer": r.analyzer, "status": r.status.value, "error": r.error,
                  "reused": r.reused_from is not None, "seconds": r.timings.get("total_s")}
                 for r in runs],
        "artifact_counts": counts,
        "first_scenes": [[a.span_start_ms, a.span_end_ms] for a in scenes],
        "top_labels": [{"label": label, "appearances": n, "detections": d} for label, n, d in labels],
        "first_transcript_lines": [a.payload.get("text") for a in lines],
        "quality": quality[0].payload.get("status") if quality else None,
        "compute_s": round(compute_s, 2),
        # run time summed over analyzers (they overlap), per second of video: not wall time
        "run_s_per_video_s": round(compute_s / duration_s, 3) if duration_s else None,
        "failed": [f"{r.analyzer}: {r.error}" for r in runs if r.status == "failed"],
    }
