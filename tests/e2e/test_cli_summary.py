"""`eioku analyze` says how long the analysis took by the wall clock, and
calls the sum of the runs' times what it is (runs overlap: one frame pass
serves several analyzers, and each counted all of it)."""

from __future__ import annotations

import re
import shutil

import pytest
from eioku.cli import app
from eioku.config import get_settings
from typer.testing import CliRunner

from tests.media import SAMPLE


@pytest.mark.models
def test_analyze_prints_wall_time_not_a_summed_realtime_factor(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EIOKU_MEDIA_ROOTS", raising=False)
    get_settings.cache_clear()
    clip = tmp_path / "sample.mp4"
    shutil.copyfile(SAMPLE, clip)
    result = CliRunner().invoke(app, ["analyze", str(clip), "--analyzers", "metadata,scenes"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "realtime factor" not in out
    assert "run time summed over analyzers" in out and "(runs overlap)" in out
    took = re.search(r"analysis took ([\d.]+) s \(wall clock, models loading included\) "
                     r"for ([\d.]+) s of video: ([\d.]+) s per second of video", out)
    assert took, out
    wall, video, per_second = (float(g) for g in took.groups())
    assert video == pytest.approx(12.0, abs=0.1) and wall > 0
    assert per_second == pytest.approx(wall / video, abs=0.01)
