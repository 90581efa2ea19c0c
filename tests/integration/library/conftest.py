from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from eioku.config import Settings
from eioku.services.libraries import Scanner, add_library, holder_name
from eioku.store.libraries import LibraryRepository
from eioku.store.uow import UnitOfWork
from sqlalchemy import text

from tests.media import tiny_mp4


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "films").mkdir(parents=True)
    return root


@pytest.fixture
def folder(media_root: Path) -> Path:
    return media_root / "films"


@pytest.fixture
def settings(tmp_path: Path, media_root: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", media_roots=[media_root], database_url=None,
                    library_settle_s=0.4, library_lease_s=3, library_rescan_s=0,
                    missing_grace_s=0, analyzers=["metadata"])


class Lib:
    """A library and a scanner holding its lease, for tests that scan by hand."""

    def __init__(self, factory, settings: Settings, folder: Path, **options) -> None:
        self.factory, self.settings, self.folder = factory, settings, folder
        with UnitOfWork(factory) as uow:
            self.library = add_library(uow, str(folder), settings, **options)
            uow.commit()
        self.id = self.library.library_id
        self.holder = holder_name("test")
        self.take_lease()
        self.scanner = Scanner(factory, settings, self.holder)

    def take_lease(self) -> bool:
        with UnitOfWork(self.factory) as uow:
            took = LibraryRepository(uow.session).take_lease(self.id, self.holder, 60)
            uow.commit()
        return took

    def scan(self, **kw):
        return self.scanner.scan(self.id, wait_unsettled_s=kw.pop("wait", 5), **kw)

    def rows(self, sql: str, **params):
        with self.factory() as session:
            return session.execute(text(sql), params).all()

    def videos(self) -> dict[str, tuple]:
        """filename -> (video_id, path, missing) of every video."""
        return {r.filename: (r.video_id, r.path, r.missing_since is not None) for r in self.rows(
            "SELECT video_id, filename, path, missing_since FROM videos")}

    def count(self, sql: str, **params) -> int:
        return self.rows(sql, **params)[0][0]


def settled(*paths: Path) -> None:
    """Give files an mtime older than any settle time (as a finished copy has)."""
    old = time.time() - 60
    for path in paths:
        os.utime(path, (old, old))


def make_media(folder: Path, names: list[str], seed: int = 0) -> list[Path]:
    out = []
    for i, name in enumerate(names):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tiny_mp4(path, seed=seed + i)
        out.append(path)
    settled(*out)
    return out


def move(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(src, dst)
    return dst


SRT = b"1\n00:00:00,000 --> 00:00:00,300\nthe invoice is due\n\n2\n00:00:00,300 --> 00:00:00,400\nbye\n"
