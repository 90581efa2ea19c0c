import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout

from eioku.api.deps import reads_of
from eioku.api.schemas import Health
from eioku.db.steps import Fetch, Statement, Steps
from eioku.store import vectors

router = APIRouter(tags=["health"])
RETRY_AFTER_S = "2"  # what api/errors.py answers while the database is away
WAIT_S = 2.0  # a probe answers 503 this soon when no connection comes


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(request: Request) -> Health | JSONResponse:
    """200 when the database answers, 503 with ``Retry-After`` otherwise (as every
    route answers while the database is away). ``semantic_search`` says how
    search by meaning finds neighbours: ``hnsw`` (pgvector's index) or ``exact``
    (a scan: any PostgreSQL, slower on large libraries). Answered on the async
    read pool, outside the session routes' queue: a probe waits for nobody."""
    try:
        hnsw = await reads_of(request).run(_index_exists(), wait_s=WAIT_S)
    except (psycopg.Error, PoolTimeout):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503,
                            headers={"Retry-After": RETRY_AFTER_S})
    return Health(status="ok", database="ok", semantic_search="hnsw" if hnsw else "exact")


def _index_exists() -> Steps[bool]:
    found: bool = yield Statement("SELECT to_regclass(:i) IS NOT NULL", {"i": vectors.INDEX}, Fetch.SCALAR)
    return found
