"""HTTP routes of the labels plugin, mounted at ``/api/v1/labels``: parse, check the tab, call
the service, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from rm365_core import Page, PageParams, Principal, db_session, get_kernel, page_params, paginate, require_tab

from .schemas import CandidatePage, ConfigOut, JobCreate, JobDetail, JobOut, TemplateOut
from .service import LabelsService

router = APIRouter(tags=["labels"])

Generator = Annotated[Principal, Depends(require_tab("labels.generator"))]
Historian = Annotated[Principal, Depends(require_tab("labels.history"))]
#: Either page reads jobs, their PDF and CSV.
Reader = Annotated[Principal, Depends(require_tab("labels.generator", "labels.history"))]
JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _service(kernel: Any = Depends(get_kernel)) -> LabelsService:
    return LabelsService(kernel)


Service = Annotated[LabelsService, Depends(_service)]


@router.get("/templates", response_model=list[TemplateOut])
def templates(_: Reader, service: Service) -> list[dict[str, Any]]:
    return service.templates()


@router.get("/config", response_model=ConfigOut)
def config(_: Reader, service: Service) -> dict[str, Any]:
    return service.config()


@router.get("/candidates", response_model=CandidatePage)
def candidates(
    _: Generator,
    service: Service,
    statuses: Annotated[str | None, Query(max_length=1000, description="Comma list of item statuses")] = None,
    region: Annotated[str, Query(max_length=8)] = "uk",
    search: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    return service.candidates(statuses=statuses, region=region, search=search, page=page, size=size)


@router.post("/jobs", status_code=201, response_model=JobDetail)
def create_job(body: JobCreate, user: Generator, service: Service) -> dict[str, Any]:
    filters = {k: v for k, v in body.filters.items() if v not in (None, "", [])}
    return service.create_job(
        items=[item.model_dump() for item in body.items],
        template=body.template,
        region=body.region,
        line_date=body.line_date,
        filters=filters,
        user=user.username,
    )


@router.post(
    "/preview",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/png": {}}, "description": "The first page (PDF or PNG)"}
    },
)
async def preview(
    body: JobCreate,
    _: Generator,
    service: Service,
    kind: Annotated[
        Literal["pdf", "png"], Query(alias="format", description="pdf, or png for an image of the page")
    ] = "pdf",
) -> Response:
    data = await run_in_threadpool(
        service.preview_png if kind == "png" else service.preview,
        items=[item.model_dump() for item in body.items],
        template=body.template,
        region=body.region,
        line_date=body.line_date,
    )
    return Response(data, media_type="image/png" if kind == "png" else "application/pdf")


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    _: Reader,
    service: Service,
    params: Annotated[PageParams, Depends(page_params)],
    session: Any = Depends(db_session("labels")),
) -> Page[Any]:
    return paginate(session, service.list_statement(), params, service.job_out)


@router.get("/jobs/{job_id}", response_model=JobDetail)
def get_job(job_id: JobId, _: Reader, service: Service) -> dict[str, Any]:
    return service.get_job(job_id)


@router.get(
    "/jobs/{job_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The labels as a PDF"}},
)
async def job_pdf(job_id: JobId, _: Reader, service: Service) -> Response:
    data = await run_in_threadpool(service.pdf, job_id)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="labels-{job_id}.pdf"'},
    )


@router.get(
    "/jobs/{job_id}/csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The job's rows as CSV"}},
)
def job_csv(job_id: JobId, _: Reader, service: Service) -> StreamingResponse:
    lines = service.csv_lines(job_id)
    first = next(lines)  # raises NotFound before the answer starts
    return StreamingResponse(
        _chain(first, lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="labels-{job_id}.csv"'},
    )


def _chain(first: str, rest: Any) -> Any:
    yield first
    yield from rest


@router.delete("/jobs/{job_id}", status_code=204, response_class=Response)
def delete_job(job_id: JobId, user: Historian, service: Service) -> Response:
    service.delete_job(job_id, user.username)
    return Response(status_code=204)
