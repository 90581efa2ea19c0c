"""Small fixes of issue 25 (item 16): the global jump's position, SRT markup,
the event stream of a video with no runs and the cap on open streams, and
registration's shortcut for an unchanged file."""

from __future__ import annotations

from tests.factories import payload_for
from tests.integration.api.test_api import _external_run, _video


def test_global_jump_refuses_from_ms_without_from_video(client, media_root):
    video = _video(client, media_root)
    _external_run(client, video, "object.detection", [
        (1000, 1500, payload_for("object.detection", label="dog"))])
    r = client.get("/v1/jump/global", params={"kind": "object", "from_ms": 5000})
    assert r.status_code == 422, r.text  # before: the position was silently dropped
    assert r.json()["field"] == "from_ms" and "from_video" in r.json()["detail"]
    both = client.get("/v1/jump/global", params={"kind": "object", "from_ms": 0, "from_video": video})
    assert both.status_code == 200 and both.json()["jump_to"]["start_ms"] == 1000
    neither = client.get("/v1/jump/global", params={"kind": "object"})
    assert neither.status_code == 200
