"""Dashboard pages and their data: JSON, CSV and XLSX for any signed-in desk user."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app import web
from app.auth.deps import CurrentUser
from app.auth.sessions import DeskIdentity
from app.dashboards import pages, service
from app.dashboards.schemas import ImplementationReport, MonthlyStats
from app.db import SessionDep
from app.deps import CatalogueDep, DashboardReplicaDep

router = APIRouter()

Output = Literal["json", "csv", "xlsx"]
MonthQuery = Annotated[
    str | None, Query(description="calendar month in UTC, YYYY-MM (default: the current one)")
]
FromQuery = Annotated[
    str | None, Query(alias="from", description="first UTC day, YYYY-MM-DD (default: 1 January)")
]
ToQuery = Annotated[
    str | None, Query(alias="to", description="last UTC day, included (default: today)")
]
FormatQuery = Annotated[Output, Query(alias="format", description="json, csv or xlsx")]
EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
        }
    },
    401: {"description": "not signed in to the desk"},
    422: {"description": "the month or dates are not valid"},
}


def _download(export: service.Export) -> Response:
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "Cache-Control": "no-store",
        },
    )


def _page(
    request: Request, name: str, identity: DeskIdentity, context: dict[str, Any]
) -> HTMLResponse:
    locale = identity.user.locale if identity.user.locale in web.LOCALES else web.DEFAULT_LOCALE
    full = {
        "identity": identity,
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "fmt": pages.Formats(locale),
        **context,
    }
    response = web.render(request, name, full, locale=locale)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/api/v1/stats/monthly",
    tags=["dashboards"],
    response_model=MonthlyStats,
    responses=EXPORTS,
    summary="Monthly workload figures",
)
def monthly_data(
    session: SessionDep,
    identity: CurrentUser,
    catalogue: CatalogueDep,
    replica: DashboardReplicaDep,
    month: MonthQuery = None,
    output: FormatQuery = "json",
) -> MonthlyStats | Response:
    """Requests received, triage, reviews, backlog, times, SLA breaches, breakdowns and the
    twelve-month trend of one UTC month. Signed-in desk users only (session cookie)."""
    stats = service.monthly_stats(session, month=month, catalogue=catalogue, replica=replica)
    if output == "json":
        return stats
    return _download(service.export_monthly(stats, output))


@router.get(
    "/api/v1/stats/implementation",
    tags=["dashboards"],
    response_model=ImplementationReport,
    responses=EXPORTS,
    summary="Implementation report (resolution 2019/21, paragraph 30)",
)
def implementation_data(
    session: SessionDep,
    identity: CurrentUser,
    catalogue: CatalogueDep,
    replica: DashboardReplicaDep,
    first: FromQuery = None,
    last: ToQuery = None,
    output: FormatQuery = "json",
) -> ImplementationReport | Response:
    """Requests received between two UTC days and where they stand now, per operative
    paragraph and per region."""
    found = service.implementation_report(
        session, first=first, last=last, catalogue=catalogue, replica=replica
    )
    if output == "json":
        return found
    return _download(service.export_report(found, output))


@router.get("/dashboards", include_in_schema=False)
def dashboards_home(identity: CurrentUser) -> Response:
    return Response(status_code=303, headers={"Location": "/dashboards/monthly"})


@router.get("/dashboards/monthly", response_class=HTMLResponse, include_in_schema=False)
def monthly_page(
    request: Request,
    session: SessionDep,
    identity: CurrentUser,
    catalogue: CatalogueDep,
    replica: DashboardReplicaDep,
    month: str | None = None,
) -> HTMLResponse:
    stats = service.monthly_stats(session, month=month, catalogue=catalogue, replica=replica)
    return _page(
        request,
        "dashboards/monthly.html",
        identity,
        {
            "stats": stats,
            "charts": pages.monthly_charts(stats),
            "links": pages.month_links(stats),
            "languages": pages.LANGUAGE_NAMES,
        },
    )


@router.get("/dashboards/implementation", response_class=HTMLResponse, include_in_schema=False)
def implementation_page(
    request: Request,
    session: SessionDep,
    identity: CurrentUser,
    catalogue: CatalogueDep,
    replica: DashboardReplicaDep,
    first: FromQuery = None,
    last: ToQuery = None,
) -> HTMLResponse:
    found = service.implementation_report(
        session, first=first, last=last, catalogue=catalogue, replica=replica
    )
    return _page(
        request,
        "dashboards/implementation.html",
        identity,
        {
            "report": found,
            "charts": pages.report_charts(found),
            "outcomes": pages.OUTCOME_COLUMNS,
        },
    )
