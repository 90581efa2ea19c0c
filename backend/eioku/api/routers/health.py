from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from eioku.api.deps import UowDep
from eioku.api.schemas import Health
from eioku.store import vectors

router = APIRouter(tags=["health"])
RETRY_AFTER_S = "2"  # what api/errors.py answers while the database is away


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(uow: UowDep) -> Health | JSONResponse:
    """200 when the database answers, 503 with ``Retry-After`` otherwise (as every
    route answers while the database is away). ``semantic_search`` says how
    search by meaning finds neighbours: ``hnsw`` (pgvector's index) or ``exact``
    (a scan: any PostgreSQL, slower on large libraries)."""
    try:
        hnsw = uow.session.execute(text("SELECT to_regclass(:i) IS NOT NULL"),
                                   {"i": vectors.INDEX}).scalar_one()
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503,
                            headers={"Retry-After": RETRY_AFTER_S})
    return Health(status="ok", database="ok", semantic_search="hnsw" if hnsw else "exact")
