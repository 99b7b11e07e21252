"""The model page and its background jobs (train, evaluate, promote: administrators only)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from starlette.responses import RedirectResponse, Response

from app.db import SessionDep, utcnow
from app.deps import CatalogueDep, SettingsDep
from app.desk import jobs, modelpage, pages
from app.desk.deps import DeskUser, PostingAdmin

router = APIRouter(prefix="/desk/model", include_in_schema=False)


@router.get("")
def model_page(
    request: Request, session: SessionDep, identity: DeskUser, catalogue: CatalogueDep
) -> Response:
    page = modelpage.load(session, now=utcnow())
    session.commit()
    return pages.render(
        request, "desk/model.html", {"page": page, "catalogue": catalogue}, identity=identity
    )


@router.post("/jobs")
def start_job(
    session: SessionDep,
    identity: PostingAdmin,
    settings: SettingsDep,
    kind: Annotated[str, Form(max_length=20)] = "",
    version: Annotated[str, Form(max_length=80)] = "",
    force: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    job = jobs.start(
        session,
        kind=kind,
        version=version,
        force=force == "on",
        identity=identity,
        settings=settings,
    )
    return RedirectResponse(f"/desk/model?job={job.id}#jobs", status_code=303)


@router.get("/jobs/{job_id}")
def job_state(job_id: str, session: SessionDep, identity: DeskUser) -> JSONResponse:
    job = jobs.get(session, job_id)
    body = jobs.as_json(job, now=utcnow())
    session.commit()
    return pages.protect(JSONResponse(body))
