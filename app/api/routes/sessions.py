"""Charging sessions: filter by station, token and period; CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from app.api.auth import Staff
from app.api.deps import SessionDep
from app.api.params import async_params
from app.schemas.ocpp import (
    MeterSamplePublic,
    SessionDetailPublic,
    SessionPublic,
    SessionsPublic,
)
from app.services import sessions as svc
from app.services.scope import visible_operator_ids

router = APIRouter(prefix="/sessions", tags=["sessions"])


@dataclass
class SessionQuery:
    charge_point_id: Annotated[str | None, Query(description="Charge point id")] = None
    site_id: Annotated[int | None, Query(description="Station (site) id")] = None
    id_tag: Annotated[str | None, Query(description="Id token that started it")] = None
    status: Annotated[Literal["active", "completed"] | None, Query()] = None
    since: Annotated[
        datetime | None, Query(description="Started at or after (ISO 8601)")
    ] = None
    until: Annotated[
        datetime | None, Query(description="Started before (ISO 8601)")
    ] = None

    def filter(self) -> svc.SessionFilter:
        return svc.SessionFilter(
            self.charge_point_id,
            self.site_id,
            self.id_tag,
            self.status,
            self.since,
            self.until,
        )


QueryDep = Annotated[SessionQuery, Depends(async_params(SessionQuery))]


@router.get(
    "", summary="Sessions, newest first", responses={422: {"description": "Bad filter"}}
)
async def list_sessions(
    q: QueryDep,
    db: SessionDep,
    who: Staff,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SessionsPublic:
    rows = await svc.list_sessions(
        db, q.filter(), limit=limit, offset=offset,
        operator_ids=visible_operator_ids(who),
    )  # fmt: skip
    data = [SessionPublic.model_validate(r) for r in rows]
    return SessionsPublic(data=data, count=len(data))


@router.get(
    "/export.csv",
    summary="Sessions as CSV (same filters)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, 422: {"description": "Bad filter"}},
)
async def export_csv(
    q: QueryDep,
    db: SessionDep,
    who: Staff,
    limit: Annotated[int, Query(ge=1, le=1_000_000)] = 100_000,
) -> StreamingResponse:
    lines = await svc.export_csv(
        db, q.filter(), limit=limit, operator_ids=visible_operator_ids(who)
    )
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sessions.csv"'},
    )


@router.get(
    "/{session_id}", summary="One session with its meter values",
    responses={404: {"description": "Unknown session"}},
)  # fmt: skip
async def get_session(
    session_id: int, db: SessionDep, who: Staff
) -> SessionDetailPublic:
    view, samples = await svc.get_session(db, session_id, visible_operator_ids(who))
    return SessionDetailPublic(
        session=SessionPublic.model_validate(view),
        meter_values=[MeterSamplePublic.model_validate(s) for s in samples],
    )
