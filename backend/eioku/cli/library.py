"""``eioku people``, ``eioku search`` and ``eioku export``: the library commands
the web page also offers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eioku.cli import JsonOpt, _clock, _Store, _table, _uuid, app, console, friendly_errors, print_json

people_app = typer.Typer(help="People across the library: list, rename, merge.", no_args_is_help=True)
export_app = typer.Typer(help="Subtitles, JSON and clips of a video.", no_args_is_help=True)
app.add_typer(people_app, name="people")
app.add_typer(export_app, name="export")
Out = Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")]


@people_app.command("list")
@friendly_errors
def people_list(limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
                as_json: JsonOpt = False) -> None:
    """People, most widely seen first (same as `eioku faces`)."""
    from eioku.api.schemas_library import PeopleOut, PersonOut

    with _Store().uow() as uow:
        out = PeopleOut(people=[PersonOut.of(p) for p in uow.people.seen(limit, 0)])
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        _table("People", ["id", "name", "videos", "appearances"],
               [[p.cluster_id, p.name, p.videos, p.appearances] for p in out.people])


@people_app.command("rename")
@friendly_errors
def people_rename(person: Annotated[str, typer.Argument(help="Person id or current name.")],
                  name: Annotated[str, typer.Argument(help="New name ('' removes it).")],
                  as_json: JsonOpt = False) -> None:
    """Name a person: `eioku people rename person-3 Alice`."""
    with _Store().uow() as uow:
        renamed = uow.people.rename(uow.people.resolve(person).identity_id, name)
        uow.commit()
    if as_json:
        print_json(vars(renamed))
    else:
        console.print(f"{renamed.identity_id} is now {renamed.name or '(unnamed)'}", highlight=False)


@people_app.command("merge")
@friendly_errors
def people_merge(person: Annotated[str, typer.Argument(help="Person to merge away (id or name).")],
                 into: Annotated[str, typer.Argument(help="Person who stays (id or name).")],
                 as_json: JsonOpt = False) -> None:
    """Merge two people who are the same; undo with `eioku people unmerge`."""
    with _Store().uow() as uow:
        merge = uow.people.merge(person, into)
        uow.commit()
    if as_json:
        print_json(vars(merge))
    else:
        console.print(f"merged {merge.source_id} into {merge.target_id} (merge {merge.merge_id})",
                      highlight=False)


@people_app.command("unmerge")
@friendly_errors
def people_unmerge(person: Annotated[str, typer.Argument(help="The merged-away person id.")],
                   as_json: JsonOpt = False) -> None:
    """Undo the merge that made this person part of another."""
    with _Store().uow() as uow:
        merge = uow.people.unmerge(person)
        uow.commit()
    if as_json:
        print_json(vars(merge))
    else:
        console.print(f"{merge.source_id} is separate from {merge.target_id} again", highlight=False)


@app.command()
@friendly_errors
def search(query: Annotated[str, typer.Argument(help="Words, a label, a person's name, or a "
                                                     "description in your own words.")],
           mode: Annotated[str, typer.Option(help="keyword | semantic | hybrid")] = "hybrid",
           video: Annotated[str | None, typer.Option(help="Only this video id.")] = None,
           limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
           speaker: Annotated[str | None, typer.Option(
               help="Said by: only speech of this speaker (voice name or id, or a run's "
                    "label such as 'Speaker 1').")] = None,
           sound: Annotated[str | None, typer.Option(
               help="Only while this is heard: speech, music, singing or silence.")] = None,
           segment: Annotated[str | None, typer.Option(
               help="Only inside this segment: intro, credits, black, silence, colour_bars.")] = None,
           entity: Annotated[str | None, typer.Option(
               help="Only moments mentioning this name or term (see `eioku terms`).")] = None,
           as_json: JsonOpt = False) -> None:
    """Search the whole library: speech, on-screen text, objects, places, people,
    and (semantic, hybrid) shots and sentences by meaning."""
    from eioku.api.schemas_library import SearchFacetOut, SearchHitOut, SearchOut
    from eioku.services import search as service
    from eioku.services import search_terms
    from eioku.store import sounds as heard

    if entity is not None and (len(entity) > 200 or "\x00" in entity or not entity.strip()):
        raise typer.BadParameter("--entity must be 1 to 200 characters, without NUL")
    with _Store().uow() as uow:
        wanted = (heard.sound_label(sound) if sound else None,
                  heard.segment_type(segment) if segment else None)
        found = service.search(uow.session, query, mode=mode,
                               limit=max(limit, 200) if any(wanted) or entity else limit,
                               video_id=_uuid(video) if video else None, speaker=speaker)
        hits = found.hits
        if entity:  # as GET /v1/search?entity= (services/search_terms.py)
            hits = search_terms.only_mentioning(uow.session, hits, entity)
        if any(wanted):  # as GET /v1/search?sound=&segment= (store/sounds.py)
            keep = heard.during(uow.session, [(h.video_id, h.start_ms, h.end_ms) for h in hits],
                                sound=wanted[0], segment=wanted[1])
            hits = [h for i, h in enumerate(hits) if i in keep]
        hits = hits[:limit]
        more = search_terms.refine(uow.session, query, found.mode, hits)
    out = SearchOut(query=query, mode=found.mode, vector_index=found.vector_index,
                    hits=[SearchHitOut.of(h, lang) for h, lang in zip(hits, more.languages, strict=True)],
                    notes=more.notes, query_language=more.query_language,
                    facets=[SearchFacetOut(**vars(f)) for f in more.facets])
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        from rich.markup import escape

        how = found.mode + (f", vectors: {found.vector_index}" if found.vector_index else "")
        _table(f"{len(out.hits)} hit(s) for {query!r} ({how})",
               ["video", "at", "source", "snippet", "score"],
               [[h.filename, _clock(h.start_ms),
                 h.source + (f" ({escape(h.label)})" if speaker and h.label else ""),
                 escape(h.snippet).replace("<mark>", "[bold]").replace("</mark>", "[/bold]"),
                 f"{h.score:.3f}"] for h in out.hits])
        for note in out.notes:
            console.print(note, highlight=False)
        if out.facets:
            console.print("Names in these moments (--entity LABEL): " + ", ".join(
                f"{escape(f.name)} ({f.hits})" for f in out.facets), highlight=False)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}", highlight=False)


@export_app.command("subtitles")
@friendly_errors
def export_subtitles(video_id: Annotated[str, typer.Argument(help="Video id.")],
                     format: Annotated[str, typer.Option(help="vtt|srt")] = "vtt",
                     speakers: Annotated[bool | None, typer.Option(
                         "--speakers/--no-speakers",
                         help="Say who speaks (default: when the video has a speakers run).")] = None,
                     translation: Annotated[bool, typer.Option(
                         "--translation", help="In English where speech was translated "
                         "(analysed with EIOKU_TRANSLATE=1).")] = False,
                     out: Out = None) -> None:
    """The selected transcript as WebVTT or SRT subtitles."""
    from eioku.services import exports

    if format not in ("vtt", "srt"):
        raise typer.BadParameter("--format must be vtt or srt")
    with _Store().uow() as uow:
        _write(exports.subtitles(uow, _uuid(video_id), format, speakers, translation), out)


@export_app.command("json")
@friendly_errors
def export_json(video_id: Annotated[str, typer.Argument(help="Video id.")], out: Out = None) -> None:
    """Every selected artifact with its provenance."""
    from eioku.services import exports

    with _Store().uow() as uow:
        _write("".join(exports.export_json(uow, _uuid(video_id))), out)


@export_app.command("clip")
@friendly_errors
def export_clip(video_id: Annotated[str, typer.Argument(help="Video id.")],
                from_ms: Annotated[int, typer.Option(min=0)],
                to_ms: Annotated[int, typer.Option(min=1)],
                out: Annotated[Path, typer.Option("--out", "-o", help="MP4 file to write.")]) -> None:
    """An MP4 of [from_ms, to_ms) (stream copy from a keyframe, else re-encoded)."""
    from eioku.config import get_settings
    from eioku.domain.errors import ClipTooLongError, ValidationFailedError
    from eioku.media.clips import make_clip
    from eioku.services.ingest import readable_path

    settings = get_settings()
    if to_ms <= from_ms:
        raise ValidationFailedError("--to-ms must be after --from-ms", field="to_ms")
    if to_ms - from_ms > settings.clip_max_s * 1000:
        raise ClipTooLongError(f"a clip is at most {settings.clip_max_s} s (EIOKU_CLIP_MAX_S)")
    with _Store().uow() as uow:
        video = uow.videos.get(_uuid(video_id))
    method = make_clip(readable_path(video, settings), out, from_ms, to_ms)
    console.print(f"wrote {out} ({method})", highlight=False)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


@app.command()
@friendly_errors
def status(as_json: JsonOpt = False) -> None:
    """Queues, workers and runs: what is waiting, what runs, who serves it."""
    from eioku.services.status import status as read

    with _Store().uow() as uow:
        out = read(uow.session)
    if as_json:
        print_json(out)
        return
    w = out["workers"]
    console.print(f"workers alive: {w['alive']} (known {w['known']}, last heartbeat "
                  f"{w['last_heartbeat'] or 'never'})", highlight=False)
    _table("Queues", ["queue", "waiting", "running", "oldest waiting s"],
           [[q["queue"], q["waiting"], q["running"], q["oldest_waiting_s"]] for q in out["queues"]])
    _table("Runs", ["state", "count"], [[k, v] for k, v in out["runs"].items()])
    p = out["playback"]
    console.print(f"playback copies (remux, proxy): {p['files']} ready, {_size(p['bytes'])}; "
                  f"{p['preparing']} being made, {p['failed']} failed", highlight=False)
    if out.get("libraries"):
        _table("Libraries", ["library", "files", "analysed", "queued", "failed", "missing", "scan"],
               [[lib["name"], *(lib["counts"].get(k, 0) for k in ("files", "analysed", "queued", "failed",
                                                                  "missing")),
                 "paused" if lib["paused"] else lib["scan"]["state"]] for lib in out["libraries"]])
    if out["hint"]:
        console.print(f"[yellow]{out['hint']}[/yellow]", highlight=False)


from eioku.cli import libraries as _libraries  # noqa: E402,F401  (registers `eioku library`)
