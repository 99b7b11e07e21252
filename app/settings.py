"""Service settings, read from TRIAGE_* environment variables."""

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.webhooks.egress import EgressPolicy, parse_networks

DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/triage.db"
    redis_url: str | None = None
    # A PostgreSQL replica of the database for the dashboards' reads (app/dashboards/replica.py).
    dashboard_database_url: str | None = None
    secret_key: str = DEV_SECRET_KEY
    model_dir: Path = Path("var/models")
    rate_limit: str = "600/minute"
    https: bool = False
    log_level: str = "INFO"
    log_json: bool = True
    # When set, GET /metrics asks for `Authorization: Bearer <token>` (Prometheus:
    # `authorization: {credentials_file: ...}`); unset, it answers anyone who reaches it.
    metrics_token: str | None = Field(default=None, min_length=16)
    max_json_bytes: int = Field(default=256 * 1024, ge=1024)
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_attachments: int = Field(default=5, ge=0)
    reference_prefix: str = "TA"
    # Requests an api process works on at once, each holding at most one pooled connection;
    # the others wait their turn on the event loop, holding nothing.
    db_pool_size: int = Field(default=8, ge=1, le=32)
    # Dispatch: outbox retries, working-group queue semantics, database outages (seconds).
    dispatch_retry_base: float = Field(default=1.0, gt=0)
    dispatch_retry_max: float = Field(default=60.0, gt=0)
    dispatch_db_backoff_max: float = Field(default=30.0, gt=0)
    dispatch_visibility_timeout: int = Field(default=300, ge=1)
    dispatch_max_deliveries: int = Field(default=5, ge=1)
    # After a wake-up the dispatcher waits this long, so a burst of requests goes out as one
    # batch; api processes send at most one wake-up per this interval. Under sustained load
    # the batches it gathers cost the dispatcher and the database per batch, not per row:
    # at 380 requests/s, 0.25 s cut the dispatcher's CPU per request from 0.4 to 0.24 ms.
    dispatch_linger: float = Field(default=0.25, ge=0, le=5)
    # How often a dispatcher asks whether Redis is another server process than last time (a
    # restart, a failover); if so it publishes again the dispatched entries Redis lost.
    dispatch_reconcile_interval: float = Field(default=30.0, gt=0)
    # Acknowledged stream entries older than this are removed from Redis (the database keeps
    # the assignment and its history); entries still pending or not yet handed out stay.
    dispatch_stream_retention: float = Field(default=7 * 86400.0, ge=0)
    # Webhooks: per-attempt timeout, retries with full jitter, parallel POSTs per dispatcher.
    webhook_timeout: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_base: float = Field(default=10.0, gt=0)
    webhook_backoff_max: float = Field(default=3600.0, gt=0)
    webhook_concurrency: int = Field(default=8, ge=1)
    # Webhooks reach public addresses only, and private ones inside these networks
    # (comma-separated CIDRs, e.g. "10.20.0.0/16"): see app/webhooks/egress.py.
    webhook_allowed_networks: str = ""

    @field_validator("dashboard_database_url", mode="before")
    @classmethod
    def _replica_on_postgresql(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str) and not value.startswith("postgresql"):
            raise ValueError("the dashboards' replica must be a PostgreSQL URL")
        return value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as exc:
            raise ValueError(f"not a comma-separated list of networks: {exc}") from exc
        return value

    @property
    def webhook_egress(self) -> EgressPolicy:
        return EgressPolicy(parse_networks(self.webhook_allowed_networks))

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append("TRIAGE_DATABASE_URL must point at PostgreSQL")
        if not self.redis_url:
            problems.append("TRIAGE_REDIS_URL must be set")
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("TRIAGE_SECRET_KEY must be a random string of 32+ characters")
        if problems:
            raise ValueError("production settings refused: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def rate_limit_enabled(self) -> bool:
        return self.rate_limit.strip().lower() not in {"off", "", "none", "0"}


@cache
def get_settings() -> Settings:
    return Settings()
