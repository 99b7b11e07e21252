"""Migrations run up and down on each backend, and match the models exactly."""

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.cli import alembic_config
from app.db import make_engine
from app.models import Base


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'm.db'}"
        return
    from tests.conftest import PG_URL, _create_postgres_database, _drop_postgres_database

    assert PG_URL
    url, admin = _create_postgres_database(PG_URL)
    try:
        yield url
    finally:
        _drop_postgres_database(admin, url)


def test_upgrade_head_then_downgrade_base(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, "head")
    engine = make_engine(fresh_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_models_and_migrations_do_not_drift(fresh_url: str) -> None:
    command.upgrade(alembic_config(fresh_url), "head")
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []
