"""Pipeline: seconds of compute per minute of video, per analyzer, split into
decoding (frames/audio, incl. conversion and scaling), inference (models and
the analyzer's own work) and writing (artifacts, projections, completion),
against a raw PyAV decode of every frame. Model loading is reported apart:
it happens once per worker process, not per video.

Usage: ``python -m bench.pipeline [VIDEO]`` (default: the committed sample).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from eioku.db.engine import make_engine, make_session_factory
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.services.pipeline import resolve
from eioku.store.uow import UnitOfWork
from eioku_ml.media.decode import iter_frames, probe
from eioku_ml.worker.execute import AnalyzerCache, execute_run

from bench.common import bench_database, print_table

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "sample.mp4"


def main(video: Path = SAMPLE) -> None:
    minutes = probe(video).duration_s / 60
    start = time.perf_counter()
    frames = sum(1 for _ in iter_frames(video))
    decode_s = time.perf_counter() - start
    rows = [["raw PyAV decode (baseline)", f"{decode_s / minutes:.1f}", "100%", "", "", "",
             f"{frames} frames"]]
    with bench_database() as url:
        factory = make_session_factory(make_engine(url))
        with UnitOfWork(factory) as uow:
            v, _ = register_path(uow, video)
            runs = {r.analyzer: r for r in analysis.queue_analysis(uow, v, "fast")}
            uow.commit()
        cache = AnalyzerCache()
        for spec in resolve(None):
            outcome = execute_run(factory, runs[spec.name].run_id, cache)
            with UnitOfWork(factory) as uow:
                t = uow.runs.get(runs[spec.name].run_id).timings
            work = sum(t.get(k, 0) for k in ("probe_s", "decode_s", "infer_s", "write_s")) or 1e-9
            rows.append([spec.name, f"{work / minutes:.1f}",
                         f"{(t.get('probe_s', 0) + t.get('decode_s', 0)) / work:.0%}",
                         f"{t.get('infer_s', 0) / work:.0%}", f"{t.get('write_s', 0) / work:.0%}",
                         f"{t.get('load_s', 0):.1f}", f"{outcome.artifacts} artifacts"])
    print_table(f"Pipeline on {video.name} ({minutes * 60:.0f} s), fast profile",
                ["analyzer", "s per video-minute", "decode", "infer", "write", "model load s",
                 "output"], rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE)
