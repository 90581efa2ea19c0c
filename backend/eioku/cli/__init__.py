"""The ``eioku`` command line."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from eioku.config import get_settings
from eioku.domain.errors import EiokuError, MediaFileNotFoundError

app = typer.Typer(help="Eioku: navigate your videos like documents.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
projections_app = typer.Typer(help="Projection tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(projections_app, name="projections")

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def friendly_errors(func: F) -> F:
    """One clear line and a non-zero exit instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EiokuError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _url() -> str:
    from eioku.db.server import database_url

    return database_url(get_settings())


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(revision: str = "head") -> None:
    """Create or upgrade the schema (Alembic) on the configured server."""
    from eioku.db import migrate

    migrate.upgrade(_url(), revision)
    console.print(f"database at revision {revision}")


@db_app.command("vector-index")
@friendly_errors
def db_vector_index() -> None:
    """Create pgvector's extension and the HNSW index of semantic search, e.g.
    after installing pgvector on a server that was migrated without it."""
    from eioku.db.engine import make_engine
    from eioku.store.vectors import create_vector_index

    engine = make_engine(_url())
    with engine.begin() as conn:
        made = create_vector_index(conn)
    engine.dispose()
    console.print("semantic search: HNSW index (pgvector)" if made else
                  "semantic search: exact scan (no pgvector on this server, no permission to "
                  "create it, or EIOKU_PGVECTOR=off)")
    if not made:
        raise typer.Exit(code=1)


@projections_app.command("rebuild")
@friendly_errors
def projections_rebuild(
    video_id: Annotated[str | None, typer.Option(help="Only this video.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute projection tables from the artifacts."""
    import uuid

    from eioku.db.engine import make_engine, make_session_factory
    from eioku.store.uow import UnitOfWork

    engine = make_engine(_url())
    with UnitOfWork(make_session_factory(engine)) as uow:
        counts = uow.projections.rebuild(uuid.UUID(video_id) if video_id else None)
        uow.commit()
    engine.dispose()
    if as_json:
        print_json(counts)
    else:
        for table, n in counts.items():
            console.print(f"{table:16} {n:>8} rows")


class _Store:
    """The CLI's database handle: one engine per command, one unit of work per use."""

    def __init__(self) -> None:
        from eioku.db.engine import make_engine, make_session_factory

        self.engine = make_engine(_url())
        self.factory = make_session_factory(self.engine)

    def uow(self):  # type: ignore[no-untyped-def]
        from eioku.store.uow import UnitOfWork

        return UnitOfWork(self.factory)


def _selection(selection: str | None, profile: str | None):  # type: ignore[no-untyped-def]
    from eioku.domain.enums import ModelProfile, SelectionMode
    from eioku.domain.models import SelectionOverride

    try:
        return SelectionOverride(SelectionMode(selection) if selection else None,
                                 ModelProfile(profile) if profile else None)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


@app.command()
@friendly_errors
def add(
    paths: Annotated[list[str], typer.Argument(help="Video files to register.")],
    as_json: JsonOpt = False,
) -> None:
    """Register videos by path (inside EIOKU_MEDIA_ROOTS when that is set)."""

    from eioku.api.schemas import VideoRegistered

    store = _Store()
    results = []
    for raw in paths:
        with store.uow() as uow:
            video, created = _register(uow, raw)
            uow.commit()
        results.append(VideoRegistered(video_id=video.video_id, status=video.status,
                                       created=created, run_ids=[]))
    if as_json:
        print_json([r.model_dump(mode="json") for r in results])
    else:
        _table("Registered", ["video_id", "status", "new"],
               [[r.video_id, r.status, "yes" if r.created else "already known"] for r in results])


@app.command()
@friendly_errors
def videos(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List registered videos in recording order."""
    from eioku.api.schemas import VideoOut, VideoPage

    with _Store().uow() as uow:
        items, total = uow.videos.list(limit=limit, offset=offset)
    page = VideoPage(videos=[VideoOut.model_validate(v) for v in items], total=total,
                     limit=limit, offset=offset)
    if as_json:
        print_json(page.model_dump(mode="json"))
    else:
        _table(f"Videos ({total})", ["video_id", "filename", "size", "status", "registered"],
               [[v.video_id, v.filename, v.size_bytes, v.status, v.created_at] for v in page.videos])


@app.command()
@friendly_errors
def faces(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """People across the library (face identities), most widely seen first."""
    from eioku.api.schemas_library import PeopleOut, PersonOut

    with _Store().uow() as uow:
        out = PeopleOut(people=[PersonOut.of(p) for p in uow.people.seen(limit, offset)])
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        _table("People", ["cluster_id", "name", "videos", "appearances", "detections", "first seen"],
               [[p.cluster_id, p.name, p.videos, p.appearances, p.detections,
                 f"{p.first_video_id} @ {_clock(p.first_seen_ms)}"] for p in out.people])


@app.command()
@friendly_errors
def appearances(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    kind: Annotated[str, typer.Option(help="object|face|place")] = "object",
    label: Annotated[str | None, typer.Option(help="Object label or face cluster.")] = None,
    min_confidence: Annotated[float | None, typer.Option(min=0, max=1)] = None,
    limit: Annotated[int, typer.Option(min=1, max=5000)] = 500,
    as_json: JsonOpt = False,
) -> None:
    """The video's timeline of objects or people (detections merged into appearances)."""
    from eioku.api.schemas import AppearanceOut, AppearancesOut
    from eioku.domain.enums import JumpKind
    from eioku.services import navigation

    with _Store().uow() as uow:
        rows = navigation.appearances(uow.session, _uuid(video_id), _enum(JumpKind, kind, "kind"),
                                      label=label, min_confidence=min_confidence, limit=limit)
    out = AppearancesOut(kind=kind, appearances=[AppearanceOut(**vars(r)) for r in rows])
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        _table(f"{kind} appearances", ["from", "to", "label", "confidence", "detections"],
               [[_clock(a.start_ms), _clock(a.end_ms), a.label, f"{a.confidence:.2f}", a.detections]
                for a in out.appearances])


@app.command()
@friendly_errors
def jump(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    kind: Annotated[str, typer.Option(help="scene|transcript|object|face|place|ocr|speaker|sound|segment|…")],
    direction: Annotated[str, typer.Option(help="next|prev")] = "next",
    from_ms: Annotated[int | None, typer.Option(min=-1)] = None,
    label: Annotated[str | None, typer.Option(
        help="Object/place label, face cluster or person, speaker label or voice.")] = None,
    text: Annotated[str | None, typer.Option(help="Words (transcript/ocr).")] = None,
    min_confidence: Annotated[float | None, typer.Option(min=0, max=1)] = None,
    selection: Annotated[str | None, typer.Option(help="Override the selection mode.")] = None,
    profile: Annotated[str | None, typer.Option(help="Use this profile's newest run.")] = None,
    granularity: Annotated[str, typer.Option(
        help="object/face/place: appearance (merged in time) or detection")] = "appearance",
    as_json: JsonOpt = False,
) -> None:
    """Jump to the next/previous hit in a video."""
    from eioku.api.routers.navigation import _jump_out
    from eioku.domain.enums import Direction, Granularity, JumpKind
    from eioku.services import navigation

    query = navigation.JumpQuery(_enum(JumpKind, kind, "kind"),
                                 _enum(Direction, direction, "direction"), from_ms, label, text,
                                 min_confidence, _selection(selection, profile),
                                 _enum(Granularity, granularity, "granularity"))
    with _Store().uow() as uow:
        out = _jump_out(navigation.jump(uow.session, _uuid(video_id), query))
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        labels = f" {escape(', '.join(out.labels))}" if out.labels else ""
        console.print(f"{out.kind}{labels} at [bold]{_clock(out.jump_to.start_ms)}[/bold]"
                      f"–{_clock(out.jump_to.end_ms)}  ({len(out.artifact_ids)} artifact(s))",
                      highlight=False)


@app.command()
@friendly_errors
def find(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    query: Annotated[str, typer.Argument(help="Words to find.")],
    source: Annotated[str, typer.Option(help="transcript|ocr|all")] = "all",
    direction: Annotated[str, typer.Option(help="next|prev")] = "next",
    from_ms: Annotated[int | None, typer.Option(min=-1)] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Find words spoken or shown on screen."""
    from eioku.api.schemas import FindMatchOut, FindOut, Span
    from eioku.domain.enums import Direction, FindSource
    from eioku.services import navigation

    with _Store().uow() as uow:
        matches = navigation.find(uow.session, _uuid(video_id), query,
                                  source=_enum(FindSource, source, "source"),
                                  direction=_enum(Direction, direction, "direction"),
                                  from_ms=from_ms, limit=limit)
    out = FindOut(matches=[FindMatchOut(jump_to=Span(start_ms=m.start_ms, end_ms=m.end_ms),
                                        artifact_id=m.artifact_id, source=m.source,
                                        snippet=m.snippet) for m in matches])
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        _table(f"{len(matches)} match(es) for {query!r}", ["at", "source", "snippet"],
               [[_clock(m.jump_to.start_ms), m.source,
                 m.snippet.replace("<mark>", "[bold]").replace("</mark>", "[/bold]")]
                for m in out.matches])


@app.command()
@friendly_errors
def artifacts(
    video_id: Annotated[str, typer.Argument(help="Video id.")],
    type: Annotated[str | None, typer.Option("--type", help="Artifact type.")] = None,
    from_ms: Annotated[int | None, typer.Option(min=0)] = None,
    to_ms: Annotated[int | None, typer.Option(min=0)] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    selection: Annotated[str | None, typer.Option()] = None,
    profile: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """List a video's artifacts (of the selected runs)."""
    from eioku.api.schemas import ArtifactOut, ArtifactPage
    from eioku.services.artifacts import artifact_page

    with _Store().uow() as uow:
        page, next_cursor = artifact_page(uow, _uuid(video_id), type, from_ms=from_ms, to_ms=to_ms,
                                          selection=_selection(selection, profile), limit=limit)
    out = ArtifactPage(artifacts=[ArtifactOut.model_validate(a) for a in page],
                       next_cursor=next_cursor)
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        _table(f"{len(page)} artifact(s)", ["start", "end", "type", "profile", "payload"],
               [[_clock(a.span_start_ms), _clock(a.span_end_ms), a.artifact_type,
                 a.model_profile, json.dumps(a.payload)[:80]] for a in out.artifacts])


def _uuid(value: str):  # type: ignore[no-untyped-def]
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a video id (see `eioku videos`)") from None


def _enum(cls, value: str, name: str):  # type: ignore[no-untyped-def]
    try:
        return cls(value)
    except ValueError:
        choices = "|".join(m.value for m in cls)
        raise typer.BadParameter(f"--{name} must be one of {choices}") from None


def _clock(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}.{millis:03}"


@app.command()
@friendly_errors
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Worker processes.")] = 0,
    analyzers: Annotated[str | None, typer.Option(help="Only these analyzers (comma list).")] = None,
    queues: Annotated[str | None, typer.Option(help="Only these queues (comma list).")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
) -> None:
    """Run the worker-pool daemon: processes analysis jobs until stopped (SIGTERM)."""
    from eioku_ml.worker.daemon import queues_for, run_pool

    from eioku.services.pipeline import resolve

    names = _split(analyzers)
    if names:
        resolve(_with_dependencies(names))  # unknown names fail here, clearly
    url = _url()
    size = concurrency or max(1, (os.cpu_count() or 2))
    console.print(f"eioku worker: {size} process(es), queues: "
                  f"{', '.join(queues_for(names, _split(queues)) or ['all'])}")
    raise typer.Exit(code=run_pool(url, concurrency=size, queues=queues_for(names, _split(queues)),
                                   device=device))


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _with_dependencies(names: list[str]) -> list[str]:
    """A worker serving an analyzer does not have to serve its dependencies."""
    from eioku.services.pipeline import ANALYZERS

    out = list(names)
    for name in names:
        spec = ANALYZERS.get(name)
        deps = (*spec.depends_on, *spec.uses) if spec else ()
        out += [d for d in deps if d not in out]
    return out


@app.command()
@friendly_errors
def analyze(
    paths: Annotated[list[str], typer.Argument(
        help="Video files to analyze, or ids of registered (e.g. uploaded) videos.")],
    profile: Annotated[str, typer.Option(help="fast|balanced|high_quality")] = "fast",
    analyzers: Annotated[str | None, typer.Option(help="Comma list (default: all).")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Worker processes (default: one per core, at most one per job).")] = None,
    speakers: Annotated[int | None, typer.Option(
        min=1, max=100, help="How many people speak, when you know (the speakers stage).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The main job: register videos, run the pipeline here, print what was found.
    A video id analyzes a video already in the library (one uploaded through the
    web page or the API, say)."""
    if speakers:  # recorded in the speakers run's config (EIOKU_SPEAKERS)
        os.environ["EIOKU_SPEAKERS"] = str(speakers)
        get_settings.cache_clear()
    from eioku_ml.worker.inprocess import run_until_done

    from eioku.db import migrate
    from eioku.domain.enums import ModelProfile
    from eioku.services import analysis

    profile = _enum(ModelProfile, profile, "profile").value
    names = _split(analyzers) or None
    from eioku.services.pipeline import resolve

    resolve(names, get_settings().analyzers)  # dependency errors before any work
    os.environ.setdefault("EIOKU_LOG_LEVEL", "WARNING")  # the progress bars tell the story
    url = _url()
    migrate.upgrade(url)
    store = _Store()
    video_ids = []
    for raw in paths:
        with store.uow() as uow:
            video = _registered(uow, raw) or _register(uow, raw)[0]
            analysis.queue_analysis(uow, video, profile, names)
            uow.commit()
            video_ids.append(video.video_id)
    import time

    started = time.perf_counter()
    run_until_done(url, store.factory, video_ids, quiet=as_json, workers=workers)
    wall_s = time.perf_counter() - started
    summaries = []
    for vid in video_ids:
        from eioku.services.summary import video_summary

        with store.uow() as uow:
            summaries.append(video_summary(uow, vid))
    if as_json:
        print_json(summaries)
    else:
        for s in summaries:
            _print_summary(s)
        video_s = sum(s["duration_s"] for s in summaries)
        console.print(f"analysis took {wall_s:.1f} s (wall clock, models loading included) for "
                      f"{video_s:.1f} s of video"
                      + (f": {wall_s / video_s:.2f} s per second of video" if video_s else ""))
    if any(s["failed"] for s in summaries):
        raise typer.Exit(code=1)


def _registered(uow, raw: str):  # type: ignore[no-untyped-def]
    """The library's video when ``raw`` is a video id (and not also a file name)."""
    import uuid
    from pathlib import Path

    try:
        video_id = uuid.UUID(raw)
    except ValueError:
        return None
    return None if Path(raw).exists() else uow.videos.get(video_id)


def _register(uow, raw: str):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from eioku.services import ingest

    settings = get_settings()
    if settings.media_roots:
        path = ingest.resolve_media_path(str(Path(raw).absolute()), settings)
    else:  # a local user may register any file they can read
        path = Path(raw).resolve()
        if not path.is_file():
            raise MediaFileNotFoundError(f"no such file: {path}")
    return ingest.register_path(uow, path)


def _print_summary(s: dict[str, Any]) -> None:
    console.rule(f"{s['path']}")
    # compute_s adds up each run's time, and runs overlap (one frame pass serves
    # several analyzers, each counting all of it): not how long the analysis took
    console.print(f"video_id {s['video_id']}  duration {s['duration_s']:.1f} s  "
                  f"run time summed over analyzers {s['compute_s']} s (runs overlap)")
    _table("Artifacts", ["type", "count"], [[t, n] for t, n in sorted(s["artifact_counts"].items())])
    if s["first_scenes"]:
        console.print("scenes: " + ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in s["first_scenes"]))
    if s["top_labels"]:
        console.print("objects: " + ", ".join(f"{x['label']} ×{x['appearances']}" for x in s["top_labels"]))
    for line in s["first_transcript_lines"]:
        console.print(f"  “{line}”")
    if s["quality"]:
        console.print(f"quality: {s['quality']}")
    for failure in s["failed"]:
        err_console.print(f"[red]failed[/red] {failure}", highlight=False)


@app.command()
@friendly_errors
def models(as_json: JsonOpt = False) -> None:
    """Every model file: source package, analyzers, profiles, license, and whether it is here."""
    from eioku_ml.models.catalog import CATALOG

    settings = get_settings()
    rows = [{"name": m.name, "file": m.relative.split("/")[-1], "package": m.package,
             "extra": m.extra, "analyzers": list(m.analyzers), "profiles": list(m.profiles),
             "license": m.license, "present": m.present(), "note": m.note} for m in CATALOG.values()]
    every = ["fast", "balanced", "high_quality"]
    for name, path, check, analyzer, profiles, setting, extra in (
        ("yolo (your weights)", settings.yolo_weights, lambda p: p.is_file(), "objects", every,
         "EIOKU_YOLO_WEIGHTS", "torch"),
        ("places365 (your weights)", settings.places365_weights,
         lambda p: p.is_file() and (p.parent / "categories_places365.txt").is_file(), "places",
         every, "EIOKU_PLACES365_WEIGHTS", "torch"),
        ("whisper (your model)", settings.whisper_model_dir, lambda p: (p / "model.bin").is_file(),
         "transcript", ["high_quality"], "EIOKU_WHISPER_MODEL_DIR", "ml"),
        ("clip (your model)", settings.clip_model,
         lambda p: all((p / n).is_file() or (p / "onnx" / n).is_file()
                       for n in ("text_model.onnx", "vision_model.onnx", "tokenizer.json")),
         "visual", every, "EIOKU_CLIP_MODEL", "ml"),
    ):  # optional user files: listed with the setting that names them
        present = check(path) if path is not None else None
        rows.append({"name": name, "file": str(path) if path else f"set {setting}",
                     "package": None, "extra": extra,
                     "analyzers": [analyzer], "profiles": profiles, "license": "yours",
                     "present": present, "note": f"optional: {setting}"})
    if as_json:
        print_json(rows)
    else:
        status = {True: "yes", False: "[red]missing[/red]", None: "not set"}
        _table("Models (no downloads: packages, EIOKU_MODELS_DIR or files you name)",
               ["model", "package / file", "extra", "analyzers", "profiles", "license", "present"],
               [[r["name"], escape(r["package"] or r["file"]), r["extra"], ",".join(r["analyzers"]),
                 ",".join(r["profiles"]), r["license"], status[r["present"]]] for r in rows])


@app.command()
@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=0, max=64, help=(
        "Analysis worker processes to run beside the server (0: run `eioku worker` "
        "elsewhere)."))] = 1,
    access_log: Annotated[bool, typer.Option(
        "--access-log", help="Log every request (off: it costs a tenth of a fast request).")] = False,
    allow_no_token: Annotated[bool, typer.Option(
        "--allow-no-token", help=(
            "Listen beyond this machine without EIOKU_API_TOKEN: anyone who reaches the port "
            "can watch, change and delete the library."))] = False,
) -> None:
    """Run the web player at / and the HTTP API (OpenAPI docs at /docs), with a
    worker pool so videos added from the page get analysed."""
    import uvicorn

    from eioku.api.app import create_app
    from eioku.db import migrate
    from eioku.services.ingest import check_data_dir

    settings = get_settings()
    beyond_loopback = host not in ("127.0.0.1", "localhost", "::1")
    if settings.api_token is None and beyond_loopback and not allow_no_token:
        err_console.print(f"[red]error:[/red] refusing to listen on {host} without EIOKU_API_TOKEN: "
                          "anyone who reaches the port could use the library. Set EIOKU_API_TOKEN, "
                          "or pass --allow-no-token if a proxy in front checks who comes in.",
                          highlight=False)
        raise typer.Exit(code=2)
    check_data_dir(settings)
    pool: list[Any] = []
    previous = _exit_on_stop_signals()
    try:
        url = _url()
        migrate.upgrade(url)
        pool = _start_workers(url, workers)
        if settings.api_token is None and beyond_loopback:
            err_console.print("[yellow]warning:[/yellow] listening beyond this machine without "
                              "EIOKU_API_TOKEN (--allow-no-token): anyone who reaches the port can "
                              "use the library")
            if not settings.allowed_hosts:
                err_console.print("[yellow]note:[/yellow] without a token only loopback host names "
                                  "are answered (a rebinding guard): list the names this server is "
                                  "reached by in EIOKU_ALLOWED_HOSTS", highlight=False)
        console.print(f"Eioku at http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/ "
                      f"(API docs at /docs; {len(pool)} worker process(es))", highlight=False)
        config = uvicorn.Config(create_app(settings), host=host, port=port, access_log=access_log,
                                timeout_graceful_shutdown=SERVE_STOP_GRACE_S)
        _server(config, on_stop=lambda: _ask_workers_to_stop(pool)).run()
    finally:
        _stop_workers(pool)
        from eioku.db.server import stop_embedded_server

        stop_embedded_server(settings)  # if this process is its last user
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# `eioku serve` stops within 10 s of SIGTERM: open requests get this long, and so
# does a job in progress before its worker ends (the job then runs again later)
SERVE_STOP_GRACE_S = 4.0


def _exit_on_stop_signals() -> dict[int, Any]:
    """SIGTERM (systemd, docker) and SIGINT end `eioku serve` by SystemExit, so
    that its cleanup runs: workers stopped, the embedded server left (stopped
    when this was its last user). While uvicorn serves, it handles them (it
    stops serving) and raises the signal again when done, which lands here.
    Signals arriving while the cleanup runs are ignored: it ends within a few
    seconds anyway. Returns the handlers it replaced."""
    stopping = []

    def stop(signum: int, _frame: object) -> None:
        if not stopping:
            stopping.append(signum)
            raise SystemExit(0)

    return {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}


def _server(config: Any, on_stop: Callable[[], None]) -> Any:
    """uvicorn's server, telling ``on_stop`` as soon as a stop signal comes, so
    the workers end their jobs while uvicorn finishes its requests."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            on_stop()
            super().handle_exit(sig, frame)

    return Server(config)


def _ask_workers_to_stop(pool: list[Any]) -> None:
    for process in pool:
        if process.is_alive() and process.pid:
            os.kill(process.pid, signal.SIGTERM)


def _start_workers(url: str, count: int) -> list[Any]:
    if count == 0:
        return []
    try:
        from eioku_ml.worker.daemon import start_pool
    except ImportError:  # an API-only install: no analysis stack here
        err_console.print("[yellow]warning:[/yellow] the analysis stack (extra 'ml') is not "
                          "installed: run `eioku worker` on a machine that has it")
        return []
    return start_pool(url, concurrency=count, grace_s=SERVE_STOP_GRACE_S)


def _stop_workers(pool: list[Any]) -> None:
    if pool:
        from eioku_ml.worker.daemon import stop_pool

        stop_pool(pool, timeout_s=SERVE_STOP_GRACE_S + 1)


from eioku.cli import bookmarks as _bookmarks  # noqa: E402,F401  (registers `eioku bookmarks`)
from eioku.cli import chapters as _chapters  # noqa: E402,F401  (registers `eioku chapters`)
from eioku.cli import collections as _collections  # noqa: E402,F401  (registers `eioku collections`)
from eioku.cli import doctor as _doctor  # noqa: E402,F401  (registers `eioku doctor`)
from eioku.cli import library as _library  # noqa: E402,F401  (registers its commands on `app`)
from eioku.cli import query as _query  # noqa: E402,F401  (registers `eioku query`)
from eioku.cli import sounds as _sounds  # noqa: E402,F401  (`eioku sounds`, `eioku segments`)
from eioku.cli import terms as _terms  # noqa: E402,F401  (registers `eioku terms`)
from eioku.cli import voices as _voices  # noqa: E402,F401  (registers `eioku voices`)
