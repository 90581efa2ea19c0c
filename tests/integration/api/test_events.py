"""Server-Sent Events deliver run updates as they happen."""

from __future__ import annotations

import json
import threading
import uuid

from eioku.store.uow import UnitOfWork

from tests.factories import add_run, add_video


def _events(lines):
    event, data = None, None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
        elif line == "" and event:
            yield event, data
            event, data = None, None


def test_sse_streams_progress_and_completion(client, session_factory):
    with UnitOfWork(session_factory) as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, "scene")
        uow.commit()

    got_first, got_progress = threading.Event(), threading.Event()

    def work():  # each step waits until the stream has shown the previous one
        got_first.wait(30)
        with UnitOfWork(session_factory) as uow:
            uow.runs.set_progress(run.run_id, 0.5)
            uow.commit()
        got_progress.wait(30)
        with UnitOfWork(session_factory) as uow:
            uow.runs.complete(run.run_id)
            uow.commit()

    worker = threading.Thread(target=work)
    worker.start()
    seen = []
    with client.stream("GET", f"/v1/videos/{video.video_id}/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for event, data in _events(response.iter_lines()):
            seen.append((event, data.get("status"), data.get("progress")))
            got_first.set()
            if data.get("progress") == 0.5:
                got_progress.set()
            if event == "done":
                break
    worker.join()
    assert seen[0] == ("run", "running", 0.0)
    assert ("run", "running", 0.5) in seen
    assert seen[-2] == ("run", "completed", 1.0)
    assert seen[-1][0] == "done"


def test_sse_unknown_video_is_404(client):
    assert client.get(f"/v1/videos/{uuid.uuid4()}/events").status_code == 404
