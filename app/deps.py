"""Dependencies that hand out what lifespan built: catalogue, classifier, settings, the
dashboards' replica.

They are coroutines so that FastAPI runs them on the event loop instead of handing each to a
worker thread; none of them blocks (the classifier's periodic registry check goes to a
thread when it is due).
"""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.catalogue.loader import Catalogue
from app.settings import Settings
from app.triage.provider import ClassifierProvider
from ml.classifier import Classifier


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_catalogue(request: Request) -> Catalogue:
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


async def get_classifier(request: Request) -> Classifier:
    provider: ClassifierProvider = request.app.state.classifiers
    if provider.refresh_due():
        return await run_in_threadpool(provider.get)
    return provider.get()


async def get_dashboard_replica(request: Request) -> "sessionmaker[Session] | None":
    """Sessions on the dashboards' read replica, when one is configured."""
    sessions: sessionmaker[Session] | None = request.app.state.dashboard_sessions
    return sessions


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
ClassifierDep = Annotated[Classifier, Depends(get_classifier)]
DashboardReplicaDep = Annotated["sessionmaker[Session] | None", Depends(get_dashboard_replica)]
