"""`eioku library …` and `eioku status` on a real folder and database."""

from __future__ import annotations

import json

import pytest
from eioku.cli import app as cli_app
from eioku.config import get_settings
from typer.testing import CliRunner

from tests.integration.library.conftest import make_media, move


@pytest.fixture
def cli(db_url, media_root, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EIOKU_MEDIA_ROOTS", str(media_root))
    monkeypatch.setenv("EIOKU_LIBRARY_SETTLE_S", "0.3")
    monkeypatch.setenv("EIOKU_ANALYZERS", "metadata")
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(cli_app, list(args))
        assert result.exit_code == code, result.stdout + result.stderr
        return json.loads(result.stdout) if "--json" in args else result.stdout + result.stderr

    yield run
    get_settings.cache_clear()


def test_library_commands_from_add_to_remove(cli, folder, media_root):
    a, b = make_media(folder, ["a.mp4", "sub/b.mkv", "skip/c.mp4"])[:2]
    out = cli("library", "add", str(folder), "--name", "Films", "--exclude", "skip")
    assert "found 2" in out and "hashed 2/2" in out and "queued 2" in out  # the progress line
    assert "analysis queued for 2 video(s)" in out
    listed = cli("library", "list", "--json")
    assert [(x["name"], x["counts"]["files"], x["counts"]["queued"]) for x in listed] == [("Films", 2, 2)]
    (media_root / "films" / "inner").mkdir()
    cli("library", "add", str(folder / "inner"), code=2)           # overlaps Films
    cli("library", "add", "/etc", code=2)                          # outside the media roots

    move(a, folder / "sub" / "a moved.mp4")
    report = cli("library", "rescan", "Films", "--json")["scan"]
    assert (report["moved"], report["hashed"], report["added"]) == (1, 0, 0)
    b.unlink()
    scan = cli("library", "rescan", "Films", "--json")
    assert scan["scan"]["missing"] == 1 and scan["library"]["counts"]["missing"] == 1
    status = cli("status", "--json")
    assert status["libraries"][0]["counts"]["missing"] == 1
    assert "Libraries" in cli("status")

    assert cli("library", "purge", "Films", "--json") == {"deleted": 1}
    assert cli("library", "pause", "Films", "--json")["paused"] is True
    assert cli("library", "resume", "Films", "--json")["paused"] is False
    removed = cli("library", "remove", "Films", "--json")
    assert removed["videos_deleted"] == 0
    assert cli("library", "list", "--json") == []
    assert len(cli("videos", "--json")["videos"]) == 1               # its videos stay
    cli("library", "rescan", "Films", code=2)                       # gone
