"""``eioku bookmarks``: mark a point or a range of a video with a note and tags,
list, edit and delete (services/bookmarks.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from eioku.cli import JsonOpt, _clock, _Store, _table, app, console, friendly_errors, print_json

bookmarks_app = typer.Typer(help="Bookmarks: points and ranges of videos with a note and tags.",
                            no_args_is_help=True)
app.add_typer(bookmarks_app, name="bookmarks")
Seconds = Annotated[float, typer.Argument(min=0, help="Where, in seconds from the video's start.")]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeat for more).")]


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a {what} id") from None


def _out(b: Any) -> dict[str, Any]:
    from eioku.api.routers.bookmarks import BookmarkOut

    return BookmarkOut.of(b).model_dump(mode="json")


@bookmarks_app.command("add")
@friendly_errors
def bookmarks_add(video_id: str, at_s: Seconds,
                  to_s: Annotated[float | None, typer.Option("--to", min=0,
                                                             help="The range's end (s).")] = None,
                  note: Annotated[str, typer.Option("--note", "-n")] = "", tag: TagOpt = None,
                  as_json: JsonOpt = False) -> None:
    """Mark a point (or a range with --to) of a video."""
    from eioku.services import bookmarks as svc

    with _Store().uow() as uow:
        b = svc.add(uow, parse_id(video_id, "video"), start_ms=round(at_s * 1000),
                    end_ms=None if to_s is None else round(to_s * 1000), note=note, tags=tag or [],
                    by="command line")
        uow.commit()
        out = _out(b)
    if as_json:
        print_json(out)
    else:
        console.print(f"{out['bookmark_id']} marked at {_clock(out['start_ms'])}", highlight=False)


@bookmarks_app.command("list")
@friendly_errors
def bookmarks_list(video_id: Annotated[str | None, typer.Argument(help="Only this video's.")] = None,
                   tag: Annotated[str | None, typer.Option("--tag", "-t")] = None,
                   limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
                   as_json: JsonOpt = False) -> None:
    """Bookmarks of the library (or of one video, or with a tag)."""
    from eioku.services import bookmarks as svc

    with _Store().uow() as uow:
        found = [_out(b) for b in svc.listed(uow, video_id=parse_id(video_id, "video") if video_id else None,
                                            tag=tag, limit=limit)]
    if as_json:
        print_json({"bookmarks": found})
    else:
        _table(f"{len(found)} bookmark(s)", ["id", "video", "from", "to", "note", "tags"],
               [[b["bookmark_id"], b["video_id"], _clock(b["start_ms"]), _clock(b["end_ms"]), b["note"],
                 ", ".join(b["tags"])] for b in found])


@bookmarks_app.command("edit")
@friendly_errors
def bookmarks_edit(bookmark_id: str, note: Annotated[str | None, typer.Option("--note", "-n")] = None,
                   tag: TagOpt = None, as_json: JsonOpt = False) -> None:
    """Change a bookmark's note and/or tags (--tag replaces them all)."""
    from eioku.services import bookmarks as svc

    changes: dict[str, Any] = {}
    if note is not None:
        changes["note"] = note
    if tag is not None:
        changes["tags"] = tag
    with _Store().uow() as uow:
        out = _out(svc.update(uow, parse_id(bookmark_id, "bookmark"), changes))
        uow.commit()
    if as_json:
        print_json(out)
    else:
        console.print(f"{bookmark_id} changed", highlight=False)


@bookmarks_app.command("delete")
@friendly_errors
def bookmarks_delete(bookmark_id: str) -> None:
    """Delete a bookmark (collections keep their moments)."""
    from eioku.services import bookmarks as svc

    with _Store().uow() as uow:
        svc.delete(uow, parse_id(bookmark_id, "bookmark"))
        uow.commit()
    console.print(f"{bookmark_id} deleted", highlight=False)
