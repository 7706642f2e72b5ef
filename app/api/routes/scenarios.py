"""Planning scenarios: create, run (progress events, cancel), list, get, results,
exports and reports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.auth import Principal, Staff, require_role
from app.api.deps import SessionDep, SyncEngineDep
from app.schemas.scenarios import (
    ProgressPublic,
    ScenarioCreate,
    ScenarioDefaults,
    ScenarioPublic,
    ScenariosPublic,
)
from app.services import planning as svc
from app.services import reports

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"])

#: Planners read scenarios; partners (e.g. the grid company) may read them too.
Reader = Annotated[Principal, Depends(require_role("admin", "technician", "partner"))]
GEOJSON = "application/geo+json"
ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "Unknown scenario id"},
    409: {"description": "Duplicate name, or the scenario is (not) running"},
    422: {"description": "Invalid parameter; `detail` names it"},
}


def _jobs(request: Request) -> svc.PlanningJobs:
    jobs: svc.PlanningJobs = request.app.state.planning_jobs
    return jobs


@router.post(
    "", summary="Create a scenario (and start it)", status_code=201, responses=ERRORS
)
async def create_scenario(
    body: ScenarioCreate,
    session: SessionDep,
    engine: SyncEngineDep,
    request: Request,
    _: Staff,
    run: Annotated[bool, Query(description="Start the run at once")] = True,
) -> ScenarioPublic:
    """Store the parameters (committed before the answer); with `run=true` the run
    starts in a worker thread and `status` becomes `running`."""
    row = await svc.create_scenario(session, body)
    if run:
        await svc.start_run(session, engine, _jobs(request), row.id)
    return ScenarioPublic.model_validate(await svc.get_scenario(session, row.id))


@router.get("", summary="List scenarios", responses=ERRORS)
async def list_scenarios(session: SessionDep, _: Reader) -> ScenariosPublic:
    rows = await svc.list_scenarios(session)
    return ScenariosPublic(
        data=[ScenarioPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.get(
    "/defaults", summary="Parameters of a new scenario: defaults, units, bounds"
)
async def defaults(_: Staff) -> ScenarioDefaults:
    """What each omitted parameter of `POST /api/scenarios` becomes, with its unit
    and bounds, and the corridor rule sets (for the planner's form)."""
    return svc.scenario_defaults()


@router.get("/{scenario_id}", summary="One scenario with its summary", responses=ERRORS)
async def get_scenario(
    scenario_id: int, session: SessionDep, _: Reader
) -> ScenarioPublic:
    return ScenarioPublic.model_validate(await svc.get_scenario(session, scenario_id))


@router.delete(
    "/{scenario_id}",
    summary="Delete a scenario and its results",
    status_code=204,
    responses=ERRORS,
)
async def delete_scenario(
    scenario_id: int, session: SessionDep, request: Request, _: Staff
) -> Response:
    await svc.delete_scenario(session, _jobs(request), scenario_id)
    return Response(status_code=204)


@router.post(
    "/{scenario_id}/run",
    summary="Run (or re-run) a scenario",
    status_code=202,
    responses=ERRORS,
)
async def run_scenario(
    scenario_id: int,
    session: SessionDep,
    engine: SyncEngineDep,
    request: Request,
    _: Staff,
) -> ProgressPublic:
    job = await svc.start_run(session, engine, _jobs(request), scenario_id)
    return ProgressPublic(
        scenario_id=scenario_id,
        status="running",
        stage=job.stage,
        done=job.done,
        total=job.total,
    )


@router.post(
    "/{scenario_id}/cancel",
    summary="Cancel a running scenario",
    status_code=202,
    responses=ERRORS,
)
async def cancel_scenario(
    scenario_id: int, request: Request, _: Staff
) -> ProgressPublic:
    job = svc.cancel_run(_jobs(request), scenario_id)
    return ProgressPublic(
        scenario_id=scenario_id,
        status="running",
        stage=job.stage,
        done=job.done,
        total=job.total,
    )


@router.get("/{scenario_id}/progress", summary="Progress of a run", responses=ERRORS)
async def progress(
    scenario_id: int, session: SessionDep, request: Request, _: Reader
) -> ProgressPublic:
    row = await svc.get_scenario(session, scenario_id)
    status, stage, done, total = svc.progress_of(row, _jobs(request).get(scenario_id))
    return ProgressPublic(
        scenario_id=scenario_id, status=status, stage=stage, done=done, total=total
    )


@router.get(
    "/{scenario_id}/events",
    summary="Progress events (Server-Sent Events) until the run ends",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **ERRORS},
)
async def events(
    scenario_id: int, session: SessionDep, request: Request, _: Reader
) -> StreamingResponse:
    """One `progress` event per step of the run, from its first (a run that
    went faster than this stream polls still shows every step; JSON of
    ProgressPublic); the stream ends with the final status (`done`, `failed`,
    `cancelled`)."""
    row = await svc.get_scenario(session, scenario_id)
    jobs = _jobs(request)

    async def stream() -> AsyncIterator[str]:
        last: tuple[str, str, int, int] | None = None
        sent = 0
        while True:
            job = jobs.get(scenario_id)
            if job is None or job.status != "running":
                await session.refresh(row)
            # The status first: a final one comes after every step it ends.
            cur = svc.progress_of(row, job)
            steps = job.steps[sent:] if job is not None else []
            sent += len(steps)
            updates = [("running", *step) for step in steps]
            if job is None or cur[0] != "running":
                updates.append(cur)
            for update in updates:
                if update == last:
                    continue
                status, stage, done, total = update
                body = {
                    "scenario_id": scenario_id,
                    "status": status,
                    "stage": stage,
                    "done": done,
                    "total": total,
                }
                yield f"event: progress\ndata: {json.dumps(body)}\n\n"
                last = update
            status = cur[0]
            if status in svc.FINAL_STATUSES or (job is None and status != "running"):
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.25)

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.get(
    "/{scenario_id}/results/{layer}",
    summary="A result layer as GeoJSON: cells, candidates or corridors",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **ERRORS},
)
async def results(
    scenario_id: int,
    layer: Literal["cells", "candidates", "corridors"],
    session: SessionDep,
    engine: SyncEngineDep,
    _: Reader,
    underserved_only: Annotated[
        bool, Query(description="cells: only underserved hexagons")
    ] = False,
) -> Response:
    await svc.get_scenario(session, scenario_id)
    g = await anyio.to_thread.run_sync(
        svc.read_layer, engine, scenario_id, layer, underserved_only
    )
    return Response(g.to_json(drop_id=True), media_type=GEOJSON)


@router.get(
    "/{scenario_id}/export",
    summary="Export a result layer as GeoJSON, GeoPackage or CSV",
    response_class=Response,
    responses={
        200: {
            "content": {
                GEOJSON: {},
                "application/geopackage+sqlite3": {},
                "text/csv": {},
            }
        },
        **ERRORS,
    },
)
async def export(
    scenario_id: int,
    session: SessionDep,
    engine: SyncEngineDep,
    _: Reader,
    layer: Annotated[
        Literal["cells", "candidates", "corridors"], Query()
    ] = "candidates",
    format: Annotated[Literal["geojson", "gpkg", "csv"], Query()] = "geojson",
) -> Response:
    await svc.get_scenario(session, scenario_id)
    data, media = await anyio.to_thread.run_sync(
        svc.export_layer, engine, scenario_id, layer, format
    )
    ext = {"geojson": "geojson", "gpkg": "gpkg", "csv": "csv"}[format]
    headers = {
        "Content-Disposition": f'attachment; filename="scenario_{scenario_id}_{layer}.{ext}"'
    }
    return Response(data, media_type=media, headers=headers)


@router.get(
    "/{scenario_id}/report",
    summary="Report for ministries (HTML or PDF) in uz, ru, en or de",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}, **ERRORS},
)
async def report(
    scenario_id: int,
    session: SessionDep,
    engine: SyncEngineDep,
    _: Reader,
    lang: Annotated[Literal["uz", "ru", "en", "de"], Query()] = "en",
    format: Annotated[Literal["html", "pdf"], Query()] = "html",
) -> Response:
    row = await svc.get_scenario(session, scenario_id)
    data, media = await anyio.to_thread.run_sync(
        reports.render, engine, row, lang, format
    )
    return Response(data, media_type=media)
