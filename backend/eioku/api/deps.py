"""Request dependencies as Annotated aliases.

They are ``async``: FastAPI runs a sync dependency in its thread pool, and
each hop costs more than the work of these (building objects, no I/O). The
unit of work's session opens no connection until a route queries; its
teardown (the rollback that returns the connection) runs in the pool, as
sync routes do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from eioku.api.gate import admitted
from eioku.api.query import QueryModel
from eioku.api.reads import Reads
from eioku.config import Settings
from eioku.domain.enums import ModelProfile, SelectionMode
from eioku.domain.models import SelectionOverride
from eioku.store.uow import UnitOfWork


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One session per request; rolled back unless a route commits. Admitted
    by the session gate (api/gate.py), and ended when the route function
    returns, before the response is sent (``scope="function"`` below): a
    client slow to read never holds a connection."""
    async with admitted(request):
        uow = UnitOfWork(request.app.state.session_factory)
        uow.__enter__()
        try:
            yield uow
        finally:
            await run_in_threadpool(uow.__exit__, None, None, None)


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def reads_of(request: Request) -> Reads:
    return request.app.state.reads  # type: ignore[no-any-return]


SELECTION = "Override the stored selection policy for this request."
PROFILE = "Show the newest completed run of this profile (implies selection=profile)."


async def get_selection(
    selection: Annotated[SelectionMode | None, Query(description=SELECTION)] = None,
    profile: Annotated[ModelProfile | None, Query(description=PROFILE)] = None,
) -> SelectionOverride:
    return SelectionOverride(selection, profile)


class SelectionParams(QueryModel):
    """The selection override, for routes that read their query with one model."""

    selection: SelectionMode | None = Field(None, description=SELECTION)
    profile: ModelProfile | None = Field(None, description=PROFILE)

    def selection_override(self) -> SelectionOverride:
        return SelectionOverride(self.selection, self.profile)


UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SelectionDep = Annotated[SelectionOverride, Depends(get_selection)]
