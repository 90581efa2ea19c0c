"""``eioku chapters VIDEO``: a video's chapters (the selected chapters run), each
with its start, end and title — what the player's chapter list shows."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from eioku.cli import JsonOpt, _Store, _table, app, friendly_errors, print_json


def clock(ms: int) -> str:
    """0:40, 1:15, 1:02:03."""
    s = ms // 1000
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


@app.command("chapters")
@friendly_errors
def chapters(video_id: Annotated[uuid.UUID, typer.Argument(help="The video's id.")],
             as_json: JsonOpt = False) -> None:
    """A video's chapters with their titles and key phrases (run the `chapters`
    stage on an analysed video with `eioku analyze VIDEO --analyzers chapters`)."""
    from eioku.services import overview

    with _Store().uow() as uow:
        uow.videos.get(video_id)
        found = overview.chapters(uow.session, video_id)
    if as_json:
        print_json({"video_id": str(video_id), "chapters": found})
        return
    _table("Chapters", ["start", "end", "title", "key phrases"],
           [[clock(c["start_ms"]), clock(c["end_ms"]), c["title"], ", ".join(c["key_phrases"])]
            for c in found])
