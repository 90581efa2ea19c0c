"""With DATABASE_URL unset, `eioku db upgrade` creates the schema on an
embedded server in a fresh data dir, and a second process attaches to it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.conftest import REPO_ROOT

HOLD = textwrap.dedent("""
    import sys
    from eioku.config import Settings
    from eioku.db.server import database_url
    url = database_url(Settings())
    print(open(Settings().pgdata_dir / "postmaster.pid").readline().strip(), flush=True)
    sys.stdin.readline()
""")

ATTACH = textwrap.dedent("""
    import psycopg
    from eioku.config import Settings
    from eioku.db.server import database_url
    url = database_url(Settings())
    with psycopg.connect(url) as conn:
        n = conn.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name IN ('artifacts', 'runs', 'scene_ranges')").fetchone()[0]
    print(open(Settings().pgdata_dir / "postmaster.pid").readline().strip(), n)
""")


def _env(data_dir):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["EIOKU_DATA_DIR"] = str(data_dir)
    return env


def test_second_process_attaches_to_the_same_embedded_server(tmp_path):
    env = _env(tmp_path / "data")
    eioku = [sys.executable, "-m", "eioku.cli"]
    subprocess.run([*eioku, "db", "upgrade"], env=env, check=True, cwd=REPO_ROOT, timeout=120)
    holder = subprocess.Popen([sys.executable, "-c", HOLD], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        pid = holder.stdout.readline().strip()
        assert pid.isdigit()
        out = subprocess.run([sys.executable, "-c", ATTACH], env=env, check=True, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=120).stdout.split()
        assert out == [pid, "3"]  # same postmaster, schema visible
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    # the last process has gone: the server was stopped (cleanup_mode="stop")
    assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()


STOP = textwrap.dedent("""
    import sys
    from eioku.config import Settings
    from eioku.db.server import embedded_server_url, stop_embedded_server
    settings = Settings(data_dir=sys.argv[1], database_url=None)
    embedded_server_url(settings, "postgres")
    pid_file = settings.pgdata_dir / "postmaster.pid"
    print("running" if pid_file.exists() else "not started")
    stop_embedded_server(settings)
    stop_embedded_server(settings)  # a second call is harmless
    print("running" if pid_file.exists() else "stopped")  # the postmaster removes it on exit
""")


def test_stop_embedded_server_stops_it_before_the_process_ends(tmp_path):
    """The benchmarks delete each throwaway server's folder: it must be stopped first."""
    out = subprocess.run([sys.executable, "-c", STOP, str(tmp_path / "data")], env=_env(tmp_path),
                         check=True, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["running", "stopped"]
