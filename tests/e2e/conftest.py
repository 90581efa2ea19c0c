"""The sample analysed once per test session with every real analyzer
(`eioku analyze`), shared by the accuracy tests and the browser tests; tests
that change data work on a copy (``CREATE DATABASE ... TEMPLATE``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from eioku.cli import app as cli_app
from eioku.config import get_settings
from typer.testing import CliRunner

from tests.media import SAMPLE


@dataclass(frozen=True)
class AnalysedSample:
    database: str
    data_dir: Path
    summary: dict

    @property
    def video_id(self) -> str:
        return self.summary["video_id"]


@pytest.fixture(scope="session")
def analysed_sample(pg_cluster, template_db, tmp_path_factory) -> AnalysedSample:
    name = pg_cluster.create(template=template_db)
    data_dir = tmp_path_factory.mktemp("sample-data")
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", pg_cluster.url(name))
    mp.setenv("EIOKU_DATA_DIR", str(data_dir))
    mp.delenv("EIOKU_MEDIA_ROOTS", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["analyze", str(SAMPLE), "--json"])
    finally:
        mp.undo()
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)
    return AnalysedSample(name, data_dir, summary)


def pytest_collection_modifyitems(items):
    """A browser test that failed runs once more, in a fresh page (and, if its chromium hung
    and was killed by tests/e2e/browser.py's watchdog, a new browser); a second failure is
    final, and a rerun shows as R in the report. Seen on a loaded 2-core machine: a page that
    had not drawn within an expect's 5 s, a chromium that spun; each passed when run again."""
    for item in items:
        if {"browser", "browser_page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.flaky(reruns=1))
