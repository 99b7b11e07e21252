"""The FastAPI application factory and its lifespan."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import (
    docs,
    handlers,
    health,
    metrics,
    models,  # noqa: F401  (registers every table before the first query)
    observability,
    redis_client,
    web,
)
from app.auth.service import PortalKeyCache
from app.catalogue.loader import get_catalogue
from app.dashboards import router as dashboards_router
from app.db import make_engine, make_sessionmaker
from app.desk import admin_router as desk_admin_router
from app.desk import model_router as desk_model_router
from app.desk import pages as desk_pages
from app.desk import router as desk_router
from app.dispatch import router as dispatch_router
from app.dispatch.streams import Nudge
from app.intake import router as intake_router
from app.intake.batching import IntakeBatcher, batch_sessions, storing
from app.middleware import (
    BodySizeLimitMiddleware,
    ConcurrencyLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from app.ratelimit import RateLimiter
from app.settings import Settings, get_settings
from app.triage.provider import ClassifierProvider
from app.webhooks import router as webhooks_router

DESCRIPTION = """
Member State portals submit requests for counter-terrorism technical assistance under
ECOSOC resolution 2019/21. Each request gets a reference, a detected language and a triage:
the thematic areas and operative paragraphs it rests on, the coordination working group it
goes to, and whether it was routed automatically, waits for a desk officer, or is out of scope.

Authenticate with `Authorization: Bearer <portal key>`; a key is bound to one Member State and
sees only that State's requests.
"""


YOUNG_COLLECTION_THRESHOLD = 20_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        replica = (
            make_engine(settings.dashboard_database_url, pool_size=2, read_only=True)
            if settings.dashboard_database_url
            else None
        )
        app.state.dashboard_sessions = make_sessionmaker(replica) if replica else None
        app.state.catalogue = get_catalogue()
        app.state.redis = (
            redis_client.connect(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
            if settings.redis_url
            else None
        )
        app.state.nudge = Nudge(app.state.redis, interval=settings.dispatch_linger)
        app.state.rate_limiter = (
            RateLimiter(settings.rate_limit, settings.redis_url)
            if settings.rate_limit_enabled
            else None
        )
        app.state.classifiers = ClassifierProvider(app.state.sessionmaker, settings.model_dir)
        app.state.classifiers.refresh()
        app.state.portal_keys = PortalKeyCache()
        app.state.intake_batcher = IntakeBatcher(
            storing(
                batch_sessions(engine, app.state.sessionmaker),
                app.state.classifiers,
                app.state.catalogue,
                reference_prefix=settings.reference_prefix,
            )
        )
        # The catalogue, the model and the app live as long as the process: out of the
        # collector's generations, full collections stop re-scanning them on every request.
        gc.freeze()
        # A request allocates thousands of short-lived objects and almost no cycles: at the
        # default threshold (700) the collector ran every few requests, for nothing.
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            await app.state.intake_batcher.close()
            if app.state.redis is not None:
                app.state.redis.close()
            engine.dispose()
            if replica is not None:
                replica.dispose()

    app = FastAPI(
        title="Counter-terrorism technical assistance triage",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.templates = web.make_templates()
    app.state.metric_sources = observability.default_sources()
    # The vendored Swagger UI is mounted first: the /static mount would otherwise claim it.
    app.mount("/static/swagger", StaticFiles(directory=str(docs.SWAGGER_ASSETS)), name="swagger")
    app.mount("/static", StaticFiles(directory=web.STATIC), name="static")
    handlers.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(docs.router)
    app.include_router(intake_router.router)
    desk_pages.install(app)
    app.include_router(desk_router.router)
    app.include_router(desk_model_router.router)
    app.include_router(desk_admin_router.router)
    app.include_router(dispatch_router.router)
    app.include_router(webhooks_router.router)
    app.include_router(dashboards_router.router)
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.db_pool_size)
    multipart_limit = settings.max_attachments * settings.max_attachment_bytes + 1024 * 1024
    app.add_middleware(
        BodySizeLimitMiddleware, json_limit=settings.max_json_bytes, multipart_limit=multipart_limit
    )
    app.add_middleware(SecurityHeadersMiddleware, https=settings.https)
    app.add_middleware(metrics.MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app
