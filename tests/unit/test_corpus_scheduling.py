"""Writing the AV1 file of the test corpus leaves this process's scheduling as it was.
SVT-AV1, run as root, moves the thread that opens it to SCHED_FIFO priority 99; the
browser and worker processes started after inherited it and a busy page then held both
cores (the browser tests' hangs in clean-clone CI runs)."""

from __future__ import annotations

import os

from tests.fixtures.corpus import Source, _frames, _speech, _tone, _write


def test_an_av1_encode_leaves_normal_scheduling(tmp_path):
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    out = _write(tmp_path / "av1.webm", Source(_frames(), _speech(), _tone()), video=("libsvtav1", "yuv420p"),
                 audio=[("libopus", None)], video_options={"preset": "12"})
    assert out.stat().st_size > 0
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
