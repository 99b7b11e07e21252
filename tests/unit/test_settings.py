"""Settings: defaults that run on a bare machine, and production refusing dev defaults."""

import pytest
from pydantic import ValidationError

from app.settings import DEV_SECRET_KEY, Settings


def test_defaults_run_embedded() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.rate_limit_enabled


def test_environment_variables_are_prefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_RATE_LIMIT", "off")
    monkeypatch.setenv("TRIAGE_REDIS_URL", "redis://127.0.0.1:6379/2")
    settings = Settings()
    assert not settings.rate_limit_enabled
    assert settings.redis_url == "redis://127.0.0.1:6379/2"


def test_production_refuses_dev_defaults() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(environment="production")
    message = str(info.value)
    assert "PostgreSQL" in message
    assert "TRIAGE_REDIS_URL" in message
    assert "TRIAGE_SECRET_KEY" in message


def test_production_accepts_real_services() -> None:
    settings = Settings(
        environment="production",
        database_url="postgresql+psycopg://triage@db/triage",
        redis_url="redis://redis:6379/0",
        secret_key="s" * 40,
    )
    assert settings.secret_key != DEV_SECRET_KEY


def test_the_dashboards_replica_must_be_postgresql() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        Settings(dashboard_database_url="sqlite:///var/replica.db")
    assert Settings(dashboard_database_url="").dashboard_database_url is None


def test_the_metrics_token_is_long_or_unset() -> None:
    assert Settings(metrics_token="").metrics_token is None
    with pytest.raises(ValueError, match="16"):
        Settings(metrics_token="short")
