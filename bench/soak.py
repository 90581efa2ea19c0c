"""Soak: a long chunked analysis while everything dies at once, again and again,
and both disks fill, under a 64-client read load. Run by hand, as root (loop
mounts); not in CI, not in ``make bench``: it takes 15-25 minutes and both cores.

1. Two ext4 filesystems in files, loop-mounted: one is the data dir (uploads,
   media cache, models), the other holds the embedded PostgreSQL's pgdata
   (``$EIOKU_DATA_DIR/pgdata`` is a symlink to it). ``fsync`` is checked on
   (``ALTER SYSTEM`` + reload if not).
2. ``eioku serve --workers 2`` analyses copies of the benchmark video
   (``bench/make_video.py``, 3 minutes) in ``--chunk-s`` chunks with
   ``--analyzers``, fault-free: the reference. Two copies (different bytes: no
   reuse), so an analyzer that is not deterministic shows up as such.
3. The read load starts (``bench/soak_load.py``) and a copy is analysed again
   while, at random moments, the serve process, its workers, the postmaster and
   every backend are SIGKILLed in one sweep and ``eioku serve`` is started
   again (``--kills`` times; a further copy is queued if one finishes first).
   Once each, the data disk and the database's disk are filled until ENOSPC,
   held ``--hold`` seconds under the load, then freed.
4. When every soaked copy is done: runs and artifacts against the reference,
   5xx and latency outside the down windows (from each kill to the first 200
   after the restart), seconds to recover; then SIGTERM must stop everything.

    python -m bench.soak [--kills 20] [--video PATH] [--wait-quiet] ...

The working tree may hold other people's half-made edits: run it from an
export of what is committed, e.g.

    git archive HEAD | tar -x -C /var/tmp/soak-tree && cd /var/tmp/soak-tree
    PYTHONPATH=$PWD/backend:$PWD/ml_service:$PWD /path/to/.venv/bin/python -m bench.soak \\
        --video /path/to/bench/.cache/bench-720p.mp4 --out /path/to/bench/results-soak.json

Prints a table and writes ``bench/results-soak.json``; logs are kept in
``bench/.cache/soak-last/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import psycopg

from bench import make_video
from bench import soak_report as report
from bench.common import print_table
from bench.soak_disks import fill, free_bytes, loop_disk, preflight
from bench.soak_procs import Reaper, Serve, postmaster_pid, soak_processes, sweep

EIOKU = Path(sys.executable).parent / "eioku"
HERE = Path(__file__).resolve().parent
KEEP = HERE / ".cache" / "soak-last"
ANALYZERS = "metadata,scenes,quality,objects,transcript"


def wait_until_quiet(limit: float = 1.5, for_s: float = 60.0) -> None:
    """Start only when the machine has been idle (load average) for ``for_s``."""
    quiet_since = None
    while True:
        load = os.getloadavg()[0]
        now = time.monotonic()
        quiet_since = (quiet_since or now) if load < limit else None
        if quiet_since is not None and now - quiet_since >= for_s:
            return
        print(f"waiting for a quiet machine: load {load:.2f}", flush=True)
        time.sleep(10)


class Soak:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.videos, self.data, self.dbdisk = work / "videos", work / "data", work / "dbdisk"
        self.pgdata = self.data / "pgdata"
        self.tag = uuid.uuid4().hex
        self.rng = random.Random(args.seed)
        self.analyzers = args.analyzers.split(",")
        self.windows: list[tuple[float, float]] = []
        self.events: list[dict] = []
        self.copies = 0
        self.serve: Serve
        self.read_path = "/v1/videos?limit=1"

    # -- set-up -------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = {**os.environ, "EIOKU_DATA_DIR": str(self.data), "EIOKU_MEDIA_ROOTS": str(self.videos),
               "EIOKU_CHUNK_S": str(self.args.chunk_s), "EIOKU_SOAK_TAG": self.tag}
        for name in ("DATABASE_URL", "EIOKU_DATABASE_URL", "EIOKU_API_TOKEN", "EIOKU_ANALYZERS"):
            env.pop(name, None)
        return env

    def copy(self, name: str) -> Path:
        """The video with a suffix of the same length each time: other bytes (no
        reuse between copies), same size (the metadata analyzer reports it)."""
        self.copies += 1
        path = self.videos / f"{name}.mp4"
        path.write_bytes(self.args.video.read_bytes() + f"#soak-{self.copies:04d}".encode())
        return path

    def register(self, http: httpx.Client, path: Path) -> str:
        r = http.post("/v1/videos", json={"path": str(path), "analyze": True, "profile": "fast",
                                          "analyzers": self.analyzers}, timeout=60)
        r.raise_for_status()
        return r.json()["video_id"]

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(report.db_url(self.pgdata), autocommit=True, connect_timeout=5)

    def check_fsync(self) -> dict[str, str]:
        names = ("fsync", "full_page_writes", "synchronous_commit", "wal_sync_method")
        with self.connect() as conn:
            if conn.execute("SHOW fsync").fetchone()[0] != "on":
                conn.execute("ALTER SYSTEM SET fsync = on")
                conn.execute("SELECT pg_reload_conf()")
                time.sleep(1)
            return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}

    # -- analysis -----------------------------------------------------------------
    def unfinished(self, http: httpx.Client, video_id: str) -> int:
        r = http.get(f"/v1/videos/{video_id}/runs", timeout=10)
        r.raise_for_status()
        runs = r.json()["runs"]
        return sum(run["status"] in ("queued", "running") for run in runs) or (0 if runs else 1)

    def wait_done(self, http: httpx.Client, ids: list[str], timeout_s: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            with contextlib.suppress(httpx.HTTPError):
                if all(self.unfinished(http, v) == 0 for v in ids):
                    return time.monotonic() - start
            time.sleep(2)
        raise TimeoutError(f"analysis of {ids} not finished after {timeout_s:.0f} s")

    def jobs_doing(self) -> int:
        with contextlib.suppress(psycopg.Error, OSError, IndexError), self.connect() as conn:
            return conn.execute("SELECT count(*) FROM procrastinate_jobs "
                                "WHERE status = 'doing'").fetchone()[0]
        return -1

    # -- faults -------------------------------------------------------------------
    def kill_all(self, label: str) -> dict:
        """SIGKILL everything in one sweep, start ``eioku serve`` again, time the recovery."""
        doing = self.jobs_doing()
        t_kill = time.monotonic()
        killed, left = sweep(self.tag, self.pgdata, self.serve.roots())
        t_swept = time.monotonic()
        self.serve.forget()
        t_start = self.serve.start()
        health, read = self.serve.wait_ready(self.read_path)
        ready = max(health, read)
        self.windows.append((t_kill, ready))
        event = {"event": label, "at_s": round(t_kill - self.t0, 1), "jobs_running": doing,
                 "loadavg_1m": round(os.getloadavg()[0], 2),
                 "processes_killed": killed, "left_alive": left,
                 "sweep_s": round(t_swept - t_kill, 3),
                 "restart_to_healthz_s": round(health - t_start, 2),
                 "restart_to_read_s": round(read - t_start, 2),
                 "restart_to_ready_s": round(ready - t_start, 2),
                 "kill_to_ready_s": round(ready - t_kill, 2)}
        self.events.append(event)
        print(f"{label}: {killed} processes killed ({doing} jobs running), ready "
              f"{event['restart_to_ready_s']} s after the restart", flush=True)
        return event

    def fill_disk(self, label: str, folder: Path, http: httpx.Client) -> dict:
        """Fill ``folder``'s filesystem, hold, free it; probe /healthz (and an upload
        for the data disk) meanwhile. A down window if the service stopped answering."""
        postmaster = postmaster_pid(self.pgdata)
        t_fill = time.monotonic()
        filler, written = fill(folder)
        t_full = time.monotonic()
        probes: list[tuple[float, int]] = []
        upload = None
        if folder == self.data:
            with contextlib.suppress(httpx.HTTPError):
                files = {"file": ("probe.mp4", (HERE.parent / "tests/data/sample.mp4").read_bytes(),
                                  "video/mp4")}
                upload = http.post("/v1/videos/upload", files=files, timeout=30).status_code
        while time.monotonic() - t_full < self.args.hold:
            probes.append((time.monotonic(), self._probe(http)))
            time.sleep(0.25)
        filler.unlink()
        os.sync()
        t_freed = time.monotonic()
        recovered_alone = True
        try:
            health, read = self.serve.wait_ready(self.read_path, timeout_s=60)
        except TimeoutError:  # did not come back by itself: what an operator would do
            recovered_alone = False
            self.kill_all(f"{label}: restart after no recovery")
            health, read = self.windows[-1][1], self.windows[-1][1]
        ready = max(health, read)
        failed = [t for t, s in probes if s != 200]
        if failed:
            before = [t for t, s in probes if s == 200 and t < failed[0]]
            self.windows.append((before[-1] if before else t_fill, ready))
        pm_after = postmaster_pid(self.pgdata)
        event = {"event": label, "at_s": round(t_fill - self.t0, 1), "bytes_written": written,
                 "loadavg_1m": round(os.getloadavg()[0], 2),
                 "fill_s": round(t_full - t_fill, 2), "hold_s": self.args.hold,
                 "healthz_during_hold": {str(s): sum(1 for _, x in probes if x == s)
                                         for s in sorted({x for _, x in probes})},
                 "upload_during_hold": upload,
                 "postmaster_restarted_or_died": pm_after != postmaster,
                 "recovered_without_restart": recovered_alone,
                 "freed_to_ready_s": round(ready - t_freed, 2),
                 "down_s": round(ready - (self.windows[-1][0] if failed else ready), 2)}
        self.events.append(event)
        print(f"{label}: {written / 2**20:.0f} MiB written, healthz {event['healthz_during_hold']}, "
              f"upload {upload}, ready {event['freed_to_ready_s']} s after freeing", flush=True)
        return event

    def _probe(self, http: httpx.Client) -> int:
        try:
            return http.get("/healthz", timeout=5).status_code
        except httpx.HTTPError:
            return 0

    # -- the run ------------------------------------------------------------------
    def run(self) -> dict:
        args = self.args
        self.videos.mkdir(parents=True)
        (self.dbdisk / "pgdata").mkdir()
        self.pgdata.symlink_to(self.dbdisk / "pgdata")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        reaper = Reaper().start()
        self.serve = Serve(EIOKU, self.environment(), port, args.workers, self.work / "serve.log", reaper)
        self.t0 = time.monotonic()
        self.serve.start()
        self.serve.wait_ready(self.read_path, timeout_s=300)
        settings = self.check_fsync()
        print(f"PostgreSQL: {settings}", flush=True)
        http = httpx.Client(base_url=self.serve.base)
        try:
            return self._phases(http, settings, port, reaper)
        finally:
            http.close()
            sweep(self.tag, self.pgdata, self.serve.roots())
            self.serve.forget()
            reaper.stop()

    def _phases(self, http: httpx.Client, settings: dict, port: int, reaper: Reaper) -> dict:
        args = self.args
        refs = [self.register(http, self.copy(f"reference-{i}")) for i in range(args.references)]
        reference_s = self.wait_done(http, refs, timeout_s=3600)
        print(f"reference: {len(refs)} copies analysed in {reference_s:.0f} s", flush=True)
        self.read_path = f"/v1/videos/{refs[0]}/timeline"
        with self.connect() as conn:
            jobs_before = conn.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs").fetchone()[0]
        soaked = [self.register(http, self.copy("soaked-1"))]
        load_file = self.work / "load.json"
        load = subprocess.Popen([sys.executable, "-m", "bench.soak_load", self.serve.base, refs[0],
                                 soaked[0], str(load_file), str(args.clients)],
                                cwd=HERE.parent, env={k: v for k, v in os.environ.items()
                                                      if k != "EIOKU_SOAK_TAG"})
        reaper.managed.add(load.pid)
        t_load = time.monotonic()
        fills = {max(1, args.kills // 3): ("data disk full", self.data),
                 max(1, 2 * args.kills // 3): ("database disk full", self.dbdisk)}
        time.sleep(args.baseline)  # the same load before anything is killed: a baseline
        t_first = time.monotonic()
        for k in range(1, args.kills + 1):
            if k > 1:
                time.sleep(self.rng.uniform(*args.gap))
            with contextlib.suppress(httpx.HTTPError):
                if all(self.unfinished(http, v) == 0 for v in soaked):  # keep analysing while killing
                    soaked.append(self.register(http, self.copy(f"soaked-{len(soaked) + 1}")))
                    print(f"soaked copy {len(soaked)} queued", flush=True)
                    time.sleep(self.rng.uniform(*args.gap))
            self.kill_all(f"kill {k}")
            if k in fills:
                time.sleep(self.rng.uniform(*args.gap))
                self.fill_disk(*fills[k], http)
        soak_tail_s = self.wait_done(http, soaked, timeout_s=3600)
        print(f"soaked copies done {soak_tail_s:.0f} s after the last fault", flush=True)
        time.sleep(5)
        t_end = time.monotonic()
        load.terminate()
        load.wait(60)
        reaper.managed.discard(load.pid)
        result = self._compare(refs, soaked, jobs_before)
        result["load"] = report.load_figures(load_file, self.windows, t_load, t_end, t_first)
        result["stop"] = self._stop()
        result.update({"postgresql": settings, "reference_s": round(reference_s, 1),
                       "soak_s": round(t_end - t_load, 1), "tail_after_last_fault_s": round(soak_tail_s, 1),
                       "events": self.events, "orphans_reaped": reaper.reaped,
                       "down_windows_s": [(round(a - t_load, 2), round(b - t_load, 2))
                                          for a, b in self.windows]})
        return result

    def _compare(self, refs: list[str], soaked: list[str], jobs_before: int) -> dict:
        with self.connect() as conn:
            reference = report.artifacts(conn, refs[0])
            deterministic = {a: report.compare(reference.get(a, Counter()), other.get(a, Counter()))
                             for other in [report.artifacts(conn, r) for r in refs[1:]]
                             for a in self.analyzers}
            videos = []
            for video_id in refs + soaked:
                per = report.run_verdict(report.runs(conn, video_id), self.analyzers)
                got = report.artifacts(conn, video_id)
                per["artifacts"] = {a: report.compare(reference.get(a, Counter()), got.get(a, Counter()))
                                    for a in self.analyzers}
                per["orphan_artifacts"] = report.orphan_artifacts(conn, video_id)
                per["video_id"] = video_id
                per["role"] = "reference" if video_id in refs else "soaked"
                videos.append(per)
            jobs = {f"{task} {status}": n for task, status, n in conn.execute(
                "SELECT task_name, status, count(*) FROM procrastinate_jobs WHERE id > %s "
                "GROUP BY 1, 2 ORDER BY 1, 2", (jobs_before,))}
            attempts = dict(conn.execute(
                "SELECT attempts, count(*) FROM procrastinate_jobs WHERE id > %s "
                "AND task_name <> 'eioku.retry_stalled' GROUP BY 1 ORDER BY 1", (jobs_before,)).fetchall())
        return {"videos": videos, "reference_vs_second_copy": deterministic, "jobs": jobs,
                "job_attempts": {str(k): v for k, v in attempts.items()}}

    def _stop(self) -> dict:
        """SIGTERM, as a service manager stops it: then nothing may be left."""
        started = time.monotonic()
        code = self.serve.terminate(timeout_s=120)
        stopped_s = time.monotonic() - started
        time.sleep(2)
        left = soak_processes(self.tag, self.pgdata)
        names = sorted(" ".join(p.cmdline()[:3]) for p in left if p.is_running())
        return {"exit_code": code, "seconds": round(stopped_s, 1), "left_behind": names}


def summarize(result: dict, args: argparse.Namespace) -> None:
    kills = [e for e in result["events"] if e["event"].startswith("kill")]
    fills = [e for e in result["events"] if "disk full" in e["event"] and "restart" not in e["event"]]
    soaked = [v for v in result["videos"] if v["role"] == "soaked"]
    load, base = result["load"]["outside"], result["load"]["before_first_fault"]
    restart = [e["restart_to_ready_s"] for e in kills]
    from_kill = [e["kill_to_ready_s"] for e in kills]
    lost = sum(c["lost"] for v in soaked for c in v["artifacts"].values())
    dup = sum(c["duplicated"] for v in soaked for c in v["artifacts"].values())
    changed = sum(c["changed"] for v in soaked for c in v["artifacts"].values())
    rows = [
        ["SIGKILL of everything at once", len(kills), f">= {args.kills}"],
        ["processes killed per sweep (min-max)",
         f"{min(e['processes_killed'] for e in kills)}-{max(e['processes_killed'] for e in kills)}", ""],
        ["soaked analyses with every run completed exactly once",
         f"{sum(v['exactly_once'] for v in soaked)}/{len(soaked)}", "all"],
        ["artifacts lost / duplicated / changed", f"{lost} / {dup} / {changed}", "0 / 0 / 0"],
        ["orphan artifacts (of runs not completed)", sum(v["orphan_artifacts"] for v in soaked), "0"],
        ["requests outside down windows", load["requests"], ""],
        ["  5xx / no answer", f"{load['5xx']} / {load['no_answer']}", "0 / 0"],
        ["  p50 / p99 latency (ms)", f"{load['p50_ms']} / {load['p99_ms']}", "p99 <= 1000"],
        ["  the same load before the first kill: p50 / p99 (ms)",
         f"{base['p50_ms']} / {base['p99_ms']} ({base['per_s']}/s)", ""],
        ["recovery from the restart command, median / max (s)",
         f"{report.percentile(restart, 0.5):.2f} / {max(restart):.2f}", "<= 5"],
        ["recovery from the kill, median / max (s)",
         f"{report.percentile(from_kill, 0.5):.2f} / {max(from_kill):.2f}", ""],
    ]
    for e in fills:
        rows.append([f"{e['event']}: healthz during hold", json.dumps(e["healthz_during_hold"]), "200"])
        rows.append([f"{e['event']}: ready after freeing (s)", e["freed_to_ready_s"],
                     "" if e["recovered_without_restart"] else "needed a restart"])
    rows.append(["SIGTERM at the end: exit code, processes left", f"{result['stop']['exit_code']}, "
                 f"{len(result['stop']['left_behind'])}", "0, 0"])
    print_table(f"Soak: {args.video.name}, {args.chunk_s} s chunks, {args.analyzers}, "
                f"{args.workers} workers, {args.clients} readers, fsync={result['postgresql']['fsync']}",
                ["what", "measured", "bound"], rows)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--video", type=Path, help="default: the benchmark video (bench/make_video.py)")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-s", type=float, default=30.0)
    parser.add_argument("--analyzers", default=ANALYZERS)
    parser.add_argument("--references", type=int, default=2, help="fault-free copies (2: checks determinism)")
    parser.add_argument("--gap", type=float, nargs=2, default=(10.0, 40.0), metavar=("MIN", "MAX"),
                        help="seconds from a recovery to the next fault (uniform)")
    parser.add_argument("--baseline", type=float, default=30.0,
                        help="seconds of read load before the first kill")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds a disk stays full")
    parser.add_argument("--data-mib", type=int, default=768)
    parser.add_argument("--db-mib", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--wait-quiet", action="store_true",
                        help="start when the load average is < 1.5 for 60 s")
    parser.add_argument("--out", type=Path, default=HERE / "results-soak.json")
    args = parser.parse_args(argv)
    preflight()
    args.video = (args.video or make_video.build()).resolve()
    if args.wait_quiet:
        wait_until_quiet()
    work = Path(tempfile.mkdtemp(prefix="eioku-soak-", dir="/var/tmp"))
    try:
        with loop_disk(work / "data.img", work / "data", args.data_mib), \
                loop_disk(work / "db.img", work / "dbdisk", args.db_mib):
            soak = Soak(args, work)
            try:
                result = soak.run()
            finally:
                _keep_logs(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["settings"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    summarize(result, args)
    return result


def _keep_logs(work: Path) -> None:
    shutil.rmtree(KEEP, ignore_errors=True)
    KEEP.mkdir(parents=True)
    for src in (work / "serve.log", work / "dbdisk" / "pgdata" / "log", work / "load.json"):
        with contextlib.suppress(OSError):
            shutil.copy(src, KEEP / src.name)
    print(f"logs kept in {KEEP} (free space then: data {free_bytes(work / 'data')} B, "
          f"db {free_bytes(work / 'dbdisk')} B)", flush=True)


if __name__ == "__main__":
    main()
