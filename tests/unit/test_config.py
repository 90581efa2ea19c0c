from pathlib import Path

import pytest
from eioku.config import Settings, default_data_dir
from pydantic import ValidationError


def test_media_roots_split_and_resolve(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("EIOKU_MEDIA_ROOTS", f"{a}:{b}")
    assert Settings().media_roots == [a.resolve(), b.resolve()]


def test_relative_media_root_is_refused(monkeypatch):
    monkeypatch.setenv("EIOKU_MEDIA_ROOTS", "relative/dir")
    with pytest.raises(ValidationError, match="absolute"):
        Settings()


def test_database_url_must_be_postgres(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings()


def test_default_data_dir_never_under_root_home():
    assert not str(default_data_dir()).startswith("/root")
    assert isinstance(default_data_dir(), Path)


def test_a_blank_api_token_means_no_token(monkeypatch):
    monkeypatch.setenv("EIOKU_API_TOKEN", "")
    assert Settings().api_token is None
    monkeypatch.setenv("EIOKU_API_TOKEN", "t0ken")
    assert Settings().api_token == "t0ken"
