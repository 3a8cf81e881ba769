"""HTTP routes of the salesdata plugin, mounted at ``/api/v1/salesdata`` (HTTP only: the rules
live in importer, demand, filters and views). Region routes need the region's tab."""

import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from rm365_core import (
    DomainError,
    Page,
    PageParams,
    Principal,
    body_limit,
    get_kernel,
    page_params,
    paginate,
    require_tab,
)

from . import demand, filters, views
from .context import Context, username_of
from .importer import import_file, mark_failed, set_job, start_run
from .schemas import (
    AliasIn,
    AliasOut,
    ChartsOut,
    CondensedPage,
    ExclusionIn,
    ExclusionOut,
    FilterChangeOut,
    ImportOut,
    ImportQueued,
    LineOut,
    RateIn,
    RateOut,
    RegionOut,
    RunOut,
    ThresholdsIn,
    ThresholdsOut,
)
from .settings import SalesdataSettings

RegionId = Annotated[str, PathParam(pattern=r"^[a-z][a-z0-9]{1,15}$", description="a configured region, e.g. uk")]


def _ctx(kernel: Any = Depends(get_kernel)) -> Context:
    return Context(kernel)


Ctx = Annotated[Context, Depends(_ctx)]


def build_router(settings: SalesdataSettings) -> APIRouter:
    """The routes; region pages accept any region tab, then check the one named in the path."""
    region_tabs = [f"salesdata.{r}" for r in settings.regions]
    router = APIRouter(tags=["salesdata"])
    Reader = Annotated[Principal, Depends(require_tab(*region_tabs))]
    Uploader = Annotated[Principal, Depends(require_tab("salesdata.upload"))]
    Historian = Annotated[Principal, Depends(require_tab("salesdata.history", "salesdata.upload"))]
    Filters = Annotated[Principal, Depends(require_tab("salesdata.filters"))]
    Anyone = Annotated[
        Principal,
        Depends(require_tab("salesdata", *region_tabs, "salesdata.upload", "salesdata.history", "salesdata.filters")),
    ]

    def region_reader(ctx: Context, user: Principal, region: str) -> str:
        ctx.region(region)
        if not user.has_tab(f"salesdata.{region}"):
            raise DomainError(403, f"you do not hold the tab salesdata.{region}", field="region")
        return region

    @router.get("/regions", response_model=list[RegionOut])
    def list_regions(ctx: Ctx, user: Anyone) -> list[dict[str, Any]]:
        """The configured storefronts with their currency, date format and time zone."""
        return [
            {
                "id": rid,
                **r.model_dump(
                    include={"title", "currency", "date_format", "timezone", "excluded_statuses", "demand_as"}
                ),
            }
            for rid, r in ctx.settings.regions.items()
        ]

    # -- imports -----------------------------------------------------------------------------
    @router.post(
        "/{region}/upload",
        response_model=ImportOut | ImportQueued,
        dependencies=[Depends(body_limit(settings.max_upload_bytes))],
        responses={202: {"model": ImportQueued}},
    )
    async def upload(
        request: Request,
        region: RegionId,
        ctx: Ctx,
        user: Uploader,
        response: Response,
        dry_run: Annotated[bool, Query(description="Validate and count, keep nothing")] = False,
        background: Annotated[bool | None, Query(description="Run as a job (default: for large files)")] = None,
    ) -> dict[str, Any]:
        """Import a Magento order export (multipart field ``file``). Rows with errors are
        reported ``{row, column, value, message}`` and skipped; the others go in at once or
        not at all. Large files run as a job with progress (answer 202)."""
        ctx.region(region)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise DomainError(400, "send the CSV as multipart/form-data in the field 'file'", field="file")
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise DomainError(400, "send the CSV file in the form field 'file'", field="file")
        filename = upload.filename or "upload.csv"
        size = upload.size or 0
        username = username_of(user)
        if background or (background is None and size > ctx.settings.background_bytes):
            folder = Path(ctx.kernel.settings.data_dir) / "salesdata" / "uploads"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{uuid.uuid4().hex}.csv"
            with path.open("wb") as target:
                await run_in_threadpool(shutil.copyfileobj, upload.file, target, 1024 * 1024)
            import_id = await run_in_threadpool(start_run, ctx, region, filename, username, dry_run)
            try:
                run = ctx.kernel.jobs.start(
                    "salesdata.import",
                    import_id=import_id,
                    region=region,
                    path=str(path),
                    filename=filename,
                    username=username,
                    dry_run=dry_run,
                )
            except DomainError as exc:
                path.unlink(missing_ok=True)
                await run_in_threadpool(mark_failed, ctx, import_id, exc.message)
                # The queue being down is a state of the site, not a server fault: say what to do.
                raise DomainError(
                    409,
                    f"background imports are unavailable ({exc.message}); upload with background=false "
                    "or use 'rm365 salesdata import'",
                    field="background",
                ) from None
            await run_in_threadpool(set_job, ctx, import_id, run.id)
            response.status_code = 202
            return {"import_id": import_id, "region": region, "dry_run": dry_run, "job": run.as_dict()}
        return await run_in_threadpool(
            import_file, ctx, region, upload.file, filename=filename, username=username, dry_run=dry_run
        )

    @router.get("/history", response_model=Page[RunOut])
    def import_history(
        ctx: Ctx,
        user: Historian,
        params: Annotated[PageParams, Depends(page_params)],
        region: Annotated[str | None, Query(max_length=16)] = None,
    ) -> Page[dict[str, Any]]:
        """Imports, newest first: who, file, region, counts, status, duration."""
        return views.history(ctx, params, region)

    @router.get("/history/{import_id}", response_model=RunOut)
    def import_run(ctx: Ctx, user: Historian, import_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]) -> Any:
        """One import (poll it while its job runs)."""
        return views.get_run(ctx, import_id)

    @router.get(
        "/history/{import_id}/errors.csv",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def import_errors(
        ctx: Ctx, user: Historian, import_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]
    ) -> StreamingResponse:
        """Every row error of an import as CSV: row, column, value, message."""
        views.get_run(ctx, import_id)
        return StreamingResponse(
            views.errors_csv(ctx, import_id),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
        )

    # -- filters -------------------------------------------------------------------------------
    @router.get("/aliases", response_model=list[AliasOut])
    def get_aliases(ctx: Ctx, user: Filters) -> list[dict[str, Any]]:
        """Manual aliases: sales of ``alias`` count as ``sku``."""
        return filters.list_aliases(ctx)

    @router.post("/aliases", response_model=AliasOut, status_code=201)
    def post_alias(ctx: Ctx, user: Filters, body: AliasIn) -> dict[str, Any]:
        return filters.add_alias(ctx, body.alias, body.sku, username_of(user))

    @router.delete("/aliases/{alias_id}", status_code=204, response_class=Response)
    def remove_alias(ctx: Ctx, user: Filters, alias_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]) -> Response:
        filters.delete_alias(ctx, alias_id, username_of(user))
        return Response(status_code=204)

    @router.get("/rates", response_model=list[RateOut])
    def get_rates(ctx: Ctx, user: Anyone) -> list[dict[str, Any]]:
        """Stored currency rates, newest first per pair (an import converts with the rate of each order's day)."""
        return filters.list_rates(ctx)

    @router.put("/rates", response_model=list[RateOut])
    def put_rates(ctx: Ctx, user: Filters, body: list[RateIn]) -> list[dict[str, Any]]:
        """Store rates: ``[{base, quote, rate, as_of}]`` (1 base = rate quote)."""
        return filters.put_rates(ctx, [r.model_dump() for r in body], username_of(user))

    @router.get("/filters/log", response_model=Page[FilterChangeOut])
    def filter_log(ctx: Ctx, user: Filters, params: Annotated[PageParams, Depends(page_params)]) -> Page[Any]:
        """Every change to a filter or rate: who, when, what."""
        with ctx.session(readonly=True) as session:
            return paginate(
                session,
                filters.change_log(ctx),
                params,
                lambda r: FilterChangeOut.model_validate(r, from_attributes=True),
            )

    @router.get("/{region}/exclusions", response_model=list[ExclusionOut])
    def get_exclusions(ctx: Ctx, user: Filters, region: RegionId) -> list[dict[str, Any]]:
        """Customers (by email) and customer groups left out of the region's demand."""
        return filters.list_exclusions(ctx, region)

    @router.post("/{region}/exclusions", response_model=ExclusionOut, status_code=201)
    def post_exclusion(ctx: Ctx, user: Filters, region: RegionId, body: ExclusionIn) -> dict[str, Any]:
        return filters.add_exclusion(ctx, region, body.kind, body.value, username_of(user))

    @router.delete("/{region}/exclusions/{exclusion_id}", status_code=204, response_class=Response)
    def remove_exclusion(
        ctx: Ctx, user: Filters, region: RegionId, exclusion_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]
    ) -> Response:
        filters.delete_exclusion(ctx, region, exclusion_id, username_of(user))
        return Response(status_code=204)

    @router.get("/{region}/thresholds", response_model=ThresholdsOut)
    def get_thresholds(ctx: Ctx, user: Filters, region: RegionId) -> dict[str, Any]:
        """Lines above ``max_line_qty`` and orders above ``max_order_total`` (region currency)
        are left out of the demand."""
        return filters.get_thresholds(ctx, region)

    @router.put("/{region}/thresholds", response_model=ThresholdsOut)
    def put_thresholds(ctx: Ctx, user: Filters, region: RegionId, body: ThresholdsIn) -> dict[str, Any]:
        return filters.set_thresholds(ctx, region, body.max_line_qty, body.max_order_total, username_of(user))

    # -- region pages --------------------------------------------------------------------------
    @router.get("/{region}/condensed", response_model=CondensedPage)
    def condensed(
        ctx: Ctx,
        user: Reader,
        region: RegionId,
        params: Annotated[PageParams, Depends(page_params)],
        months: Annotated[int | None, Query(ge=1, le=120)] = None,
        days: Annotated[int | None, Query(ge=1, le=3660)] = None,
        since: Annotated[date | None, Query()] = None,
        search: Annotated[str | None, Query(max_length=100)] = None,
    ) -> dict[str, Any]:
        """Units per base SKU over the window (``months=6`` by default, or ``days``, or
        ``since``) with every filter applied, most sold first."""
        region_reader(ctx, user, region)
        start = demand.window_start(ctx, region, months=months, days=days, since=since)
        items = demand.condensed(ctx, region, start)
        if search and search.strip():
            term = search.strip().lower()
            items = [i for i in items if term in i["sku"].lower() or term in i["name"].lower()]
        return {
            "items": items[params.offset : params.offset + params.size],
            "total": len(items),
            "page": params.page,
            "size": params.size,
            "region": region,
            "since": start,
            "total_qty": sum(i["total_qty"] for i in items),
        }

    @router.get("/{region}/charts", response_model=ChartsOut)
    def charts(
        ctx: Ctx,
        user: Reader,
        region: RegionId,
        months: Annotated[int | None, Query(ge=1, le=120)] = None,
        days: Annotated[int | None, Query(ge=1, le=3660)] = None,
        since: Annotated[date | None, Query()] = None,
        top: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        """Quantity and revenue by week and the top SKUs, in the region's currency."""
        region_reader(ctx, user, region)
        start = demand.window_start(ctx, region, months=months, days=days, since=since)
        return {**views.charts(ctx, region, start, None, top), "since": start}

    @router.get("/{region}", response_model=Page[LineOut])
    def browse(
        ctx: Ctx,
        user: Reader,
        region: RegionId,
        params: Annotated[PageParams, Depends(page_params)],
        search: Annotated[str | None, Query(max_length=100)] = None,
        from_: Annotated[date | None, Query(alias="from")] = None,
        to: Annotated[date | None, Query()] = None,
        status: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Page[dict[str, Any]]:
        """Order lines, newest first, with search (SKU, name, order, email) and a date range."""
        region_reader(ctx, user, region)
        return views.browse(ctx, region, params, search, from_, to, status)

    return router
