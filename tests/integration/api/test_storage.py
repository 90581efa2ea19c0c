"""Disk full and an unusable data dir: a clear error on write (507, nothing
half written, nothing registered) or at start-up (exit 2 naming the folder)."""

from __future__ import annotations

import resource
import signal
from contextlib import contextmanager

from eioku.cli import app as cli_app
from eioku.config import get_settings
from typer.testing import CliRunner

from tests.media import SAMPLE


@contextmanager
def _file_size_limit(limit: int):
    """The kernel refuses writes past ``limit`` bytes in this process (EFBIG),
    as a full disk would refuse them; the database server is another process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_an_upload_on_a_full_disk_is_507_and_leaves_nothing(client, settings):
    data = SAMPLE.read_bytes()[:9000]  # under the upload limit, over the disk's room
    with _file_size_limit(4096):
        r = client.post("/v1/videos/upload", files={"file": ("clip.mp4", data, "video/mp4")})
    assert r.status_code == 507, r.text
    assert "full or read-only" in r.json()["detail"]
    assert list(settings.upload_dir.iterdir()) == []  # the partial file is gone
    assert client.get("/v1/videos").json()["total"] == 0
    r = client.post("/v1/videos/upload", files={"file": ("clip.mp4", data, "video/mp4")})
    assert r.status_code == 202  # room again: it works


def _serve(args, env):
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, ["serve", "--workers", "0", *args], env=env)
    finally:
        get_settings.cache_clear()


def test_a_data_dir_that_cannot_be_written_is_refused_at_start_up(tmp_path, db_url):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _serve([], {"EIOKU_DATA_DIR": str(blocker / "data"), "DATABASE_URL": db_url})
    assert result.exit_code == 2, result.output
    assert "is not writable" in result.output and str(blocker / "data") in result.output


def test_listening_beyond_loopback_without_a_token_is_refused(tmp_path, db_url):
    result = _serve(["--host", "0.0.0.0"], {"EIOKU_DATA_DIR": str(tmp_path), "DATABASE_URL": db_url})
    assert result.exit_code == 2, result.output
    assert "EIOKU_API_TOKEN" in result.output and "--allow-no-token" in result.output
