"""The `triage` command: thin calls into the services."""

import dataclasses
import getpass
import importlib
import json
import logging
import os
import secrets
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Annotated

import prometheus_client
import redis
import typer
import uvicorn
from alembic import command
from alembic.config import Config
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import (
    logs,
    metrics,
    models,  # noqa: F401  (registers every table before the first query)
)
from app.auth import service as auth_service
from app.auth.models import PortalClient, User
from app.catalogue.loader import get_catalogue
from app.dashboards import service as dashboards_service
from app.db import make_engine, make_sessionmaker
from app.demo import service as demo_service
from app.dispatch import keys as group_keys
from app.dispatch.dispatcher import Dispatcher, default_name
from app.errors import AppError
from app.observability import MeteredDispatcher
from app.routing import service as routing_service
from app.settings import Settings, get_settings
from app.triage import registry
from app.triage.models import ModelVersion

cli = typer.Typer(
    help="Counter-terrorism technical-assistance triage service.",
    no_args_is_help=True,
    add_completion=False,
)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_STATE = "NGA"


def _training() -> ModuleType:
    """The training module, imported on first use: scikit-learn and skops take seconds to
    import, and most commands (dispatcher, keys, users, migrate) never need them."""
    return importlib.import_module("app.triage.training")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _fail(exc: AppError) -> None:
    typer.secho(f"error: {exc.message}", fg="red", err=True)
    raise typer.Exit(code=2)


def alembic_config(database_url: str) -> Config:
    # A source checkout has migrations/ beside app/; an installed image has them in its workdir.
    root = PROJECT_ROOT if (PROJECT_ROOT / "alembic.ini").exists() else Path.cwd()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def migrate_database(settings: Settings) -> None:
    command.upgrade(alembic_config(settings.database_url), "head")
    with _session(settings) as session:
        routing_service.sync_from_catalogue(session, get_catalogue())


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Serve the API and the desk pages."""
    settings = get_settings()
    logs.configure(settings.log_level, as_json=settings.log_json)
    created: Path | None = None
    if workers > 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics to files there; /metrics adds them all up.
        directory, fresh = metrics.multiprocess_directory(
            os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        )
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
        created = directory if fresh else None
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
            proxy_headers=True,
        )
    finally:
        if created is not None:
            metrics.remove_directory(created)


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest revision and add missing reference data."""
    settings = get_settings()
    migrate_database(settings)
    typer.echo(f"database at head ({settings.database_url.split('@')[-1]})")


@cli.command()
def train(
    if_missing: Annotated[bool, typer.Option(help="only when no model is active")] = False,
    promote: Annotated[bool, typer.Option(help="promote the new model if it is no worse")] = False,
    progress_json: Annotated[
        bool, typer.Option(help="report progress as JSON lines (the desk's model page reads them)")
    ] = False,
) -> None:
    """Train a model on the corpus and desk feedback, register it, and print its metrics."""
    settings = get_settings()
    catalogue = get_catalogue()
    with _session(settings) as session:
        active = registry.active(session)
        # A model saved in an older artefact format cannot be loaded by this version.
        outdated = active is not None and active.card.get("format") != _training().FORMAT
        if if_missing and active is not None and not outdated:
            typer.echo(f"model {active.version} is active; nothing to do")
            return
        columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=False, disable=progress_json) as bar:
            task = bar.add_task("training", total=1.0)

            def progress(step: str, fraction: float) -> None:
                if progress_json:
                    typer.echo(json.dumps({"step": step, "progress": round(fraction, 4)}))
                bar.update(task, description=step, completed=fraction)

            try:
                outcome = _training().train_and_register(
                    session,
                    catalogue=catalogue,
                    model_dir=settings.model_dir,
                    progress=progress,
                    activate="promote" if promote else "if-none",
                )
            except AppError as exc:
                _fail(exc)
                return
        if outdated and not outcome.activated:
            registry.promote(session, outcome.row.version, force=True)
            outcome = dataclasses.replace(outcome, activated=True)
            typer.echo(f"model {active.version} (an older artefact format) replaced")  # type: ignore[union-attr]
    typer.echo(outcome.report)
    state = "active" if outcome.activated else "registered (run `triage promote` to use it)"
    typer.echo(
        f"model {outcome.row.version}: {state}; {outcome.feedback_examples} desk examples included"
    )
    if progress_json:
        typer.echo(
            json.dumps(
                {"done": True, "version": outcome.row.version, "activated": outcome.activated}
            )
        )


@cli.command()
def evaluate(
    data: Annotated[Path | None, typer.Option(help="JSONL file of labelled requests")] = None,
    version: Annotated[str | None, typer.Option(help="model version (default: active)")] = None,
) -> None:
    """Measure a model on the validation split or on a labelled JSONL file."""
    settings = get_settings()
    with _session(settings) as session:
        try:
            name, metrics = _training().evaluate_version(
                session, model_dir=settings.model_dir, version=version, data=data
            )
        except AppError as exc:
            _fail(exc)
            return
    typer.echo(f"model {name} on {data or 'the validation split'}")
    typer.echo(_training().format_report(metrics))


@cli.command()
def promote(
    version: str,
    force: Annotated[bool, typer.Option(help="promote even if it measures worse")] = False,
) -> None:
    """Make VERSION the active model, unless it is worse than the active one on validation."""
    with _session(get_settings()) as session:
        try:
            row = registry.promote(session, version, force=force)
        except AppError as exc:
            _fail(exc)
            return
    typer.echo(f"model {row.version} is active")


@cli.command()
def register(
    directory: Annotated[
        Path, typer.Argument(help="a model folder (card.json), or a folder of model folders")
    ],
    activate: Annotated[bool, typer.Option(help="make it the active model")] = False,
    activate_if_none: Annotated[
        bool, typer.Option(help="make it the active model only if no model is active")
    ] = False,
) -> None:
    """Register a model artefact trained elsewhere (its checksum is verified on load).

    Given a folder of versions, the newest is taken; a version already registered is left
    as it is, so a deployment's migration job can run this on every start. With
    --activate-if-none, an upgrade's new image never replaces a model promoted since.
    """
    settings = get_settings()
    try:
        directory = registry.newest_model_folder(directory)
    except FileNotFoundError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(code=2) from exc
    card = registry.read_card(directory)
    with _session(settings) as session:
        if activate_if_none:
            activate = registry.active(session) is None
        existing = session.get(ModelVersion, card["version"])
        if existing is not None:
            if activate and not existing.is_active and registry.active(session) is None:
                registry.promote(session, existing.version)
            typer.echo(f"model {existing.version} is registered already")
            return
        row = registry.register(
            session,
            directory=directory,
            card=card,
            model_dir=settings.model_dir,
            activate=activate,
        )
    typer.echo(f"model {row.version} registered{' and active' if row.is_active else ''}")


@cli.command("create-api-key")
def create_api_key(
    state: Annotated[str, typer.Option(help="ISO 3166-1 alpha-3 code of the Member State")],
    name: Annotated[str | None, typer.Option(help="label for the portal")] = None,
) -> None:
    """Create a portal API key; the key is printed once, alone on the last line."""
    catalogue = get_catalogue()
    with _session(get_settings()) as session:
        try:
            issued = auth_service.create_api_key(
                session,
                state_iso3=state,
                name=name,
                known_states=frozenset(s.iso3 for s in catalogue.states),
            )
        except AppError as exc:
            _fail(exc)
            return
    typer.echo(
        f"portal key {issued.client.id} for {issued.client.state_iso3} "
        f"({issued.client.name}); store it now, it is not shown again:"
    )
    typer.echo(issued.key)


@cli.command("revoke-api-key")
def revoke_api_key(client_id: uuid.UUID) -> None:
    """Revoke a portal API key by its id."""
    with _session(get_settings()) as session:
        try:
            client = auth_service.revoke_api_key(session, client_id)
        except AppError as exc:
            _fail(exc)
            return
    typer.echo(f"portal key {client.id} revoked")


@cli.command("create-user")
def create_user(
    username: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="officer or admin")],
    password: Annotated[str | None, typer.Option(help="prompted for when omitted")] = None,
) -> None:
    """Create a desk user."""
    if password is None:
        if not sys.stdin.isatty():
            typer.secho("error: --password is required without a terminal", fg="red", err=True)
            raise typer.Exit(code=2)
        password = getpass.getpass("password: ")
    with _session(get_settings()) as session:
        try:
            user = auth_service.create_user(
                session, username=username, role=role, password=password
            )
        except AppError as exc:
            _fail(exc)
            return
    typer.echo(f"user {user.username} ({user.role}) created")


@cli.command("seed-demo")
def seed_demo(
    requests: Annotated[
        int, typer.Option(min=0, help="synthetic requests to add (0: only the demo accounts)")
    ] = 0,
    months: Annotated[
        int, typer.Option(min=1, max=120, help="spread them over this many months up to now")
    ] = 12,
    seed: Annotated[
        int, typer.Option(help="random seed (the same seed draws the same traffic)")
    ] = 2019,
    batch_size: Annotated[int, typer.Option(min=100, help="requests per transaction")] = 10_000,
) -> None:
    """Create a demo portal key and a demo admin the first time (both printed once); with
    --requests, add realistic synthetic traffic and prepare the dashboards for it."""
    settings = get_settings()
    catalogue = get_catalogue()
    with _session(settings) as session:
        if session.scalar(select(User.id).limit(1)) is None:
            password = secrets.token_urlsafe(12)
            auth_service.create_user(session, username="admin", role="admin", password=password)
            typer.echo(f"demo desk admin: username admin, password {password}")
        if session.scalar(select(PortalClient.id).limit(1)) is None:
            issued = auth_service.create_api_key(
                session,
                state_iso3=DEMO_STATE,
                name="Demo portal",
                known_states=frozenset(s.iso3 for s in catalogue.states),
            )
            typer.echo(f"demo portal key for {DEMO_STATE}: {issued.key}")
        if requests == 0:
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task("synthetic requests", total=requests)
            try:
                outcome = demo_service.seed_traffic(
                    session,
                    requests=requests,
                    months=months,
                    catalogue=catalogue,
                    seed=seed,
                    batch_size=batch_size,
                    reference_prefix=settings.reference_prefix,
                    progress=lambda n: bar.advance(task, n),
                )
            except AppError as exc:
                _fail(exc)
                return
            months_task = bar.add_task("preparing dashboards (months)", total=None)
            dashboards_service.prepare(
                session,
                catalogue=catalogue,
                progress=lambda done, total: bar.update(months_task, completed=done, total=total),
            )
    rows = ", ".join(f"{n:,} {table}" for table, n in outcome.rows.items())
    typer.echo(
        f"added {outcome.requests:,} requests received from {outcome.start:%Y-%m-%d} "
        f"to {outcome.end:%Y-%m-%d %H:%M} UTC: {rows}"
    )


@cli.command()
def dispatcher(
    batch_size: Annotated[int, typer.Option(min=1, max=1000, help="outbox rows per batch")] = 200,
    poll_interval: Annotated[float, typer.Option(min=0.01, help="seconds between polls")] = 0.2,
    once: Annotated[bool, typer.Option(help="drain what is due, then exit")] = False,
    name: Annotated[str | None, typer.Option(help="worker name (default host:pid)")] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve Prometheus metrics on this port")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="interface for the metrics")] = "127.0.0.1",
) -> None:
    """Publish routed requests to the working groups' queues and send webhooks, until stopped."""
    settings = get_settings()
    logs.configure(settings.log_level, as_json=settings.log_json)
    worker = MeteredDispatcher(
        settings, batch_size=batch_size, poll_interval=poll_interval, name=name
    )
    if metrics_port is not None:
        prometheus_client.start_http_server(
            metrics_port, addr=metrics_host, registry=metrics.collecting_registry()
        )
    raise typer.Exit(code=worker.run(once=once))


@cli.command()
def republish() -> None:
    """Publish again the dispatched assignments whose stream entry Redis lost (after a Redis
    crash or failover); dispatchers also do this when they see Redis restarted."""
    settings = get_settings()
    if not settings.redis_url:
        typer.echo("embedded queue: nothing to reconcile (TRIAGE_REDIS_URL is not set)")
        return
    worker = Dispatcher(settings, name=f"republish:{default_name()}")
    try:
        republished = worker.reconcile_once()
    except redis.RedisError as exc:
        typer.secho(f"error: Redis unavailable ({type(exc).__name__})", fg="red", err=True)
        raise typer.Exit(code=1) from exc
    finally:
        worker.close()
    typer.echo(f"{republished} lost entries published again")


@cli.command("create-wg-key")
def create_wg_key(
    group: Annotated[str, typer.Option(help="working group id, e.g. cj-cft")],
    name: Annotated[str | None, typer.Option(help="label for the group's system")] = None,
) -> None:
    """Create a working-group API key; the key is printed once, alone on the last line."""
    with _session(get_settings()) as session:
        try:
            issued = group_keys.create_key(session, working_group_id=group, name=name)
        except AppError as exc:
            _fail(exc)
            return
    typer.echo(
        f"working-group key {issued.key_row.id} for {issued.key_row.working_group_id} "
        f"({issued.key_row.name}); store it now, it is not shown again:"
    )
    typer.echo(issued.key)


@cli.command("revoke-wg-key")
def revoke_wg_key(key_id: uuid.UUID) -> None:
    """Revoke a working-group API key by its id."""
    with _session(get_settings()) as session:
        try:
            row = group_keys.revoke_key(session, key_id)
        except AppError as exc:
            _fail(exc)
            return
    typer.echo(f"working-group key {row.id} revoked")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    cli()


if __name__ == "__main__":
    main()
