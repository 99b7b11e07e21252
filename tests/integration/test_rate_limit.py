"""Per-key rate limits: 429 with Retry-After, counted per key, shared through Redis."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.main import create_app
from app.settings import Settings
from tests.conftest import REDIS_URL
from tests.factories import auth, portal_key


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limited(
    request: pytest.FixtureRequest, settings: Settings, api: TestClient
) -> Iterator[TestClient]:
    redis_url = REDIS_URL if request.param == "redis" else None
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    limited_settings = settings.model_copy(
        update={"rate_limit": "3/minute", "redis_url": redis_url}
    )
    with TestClient(create_app(limited_settings)) as client:
        yield client


def test_fourth_call_within_a_minute_is_429_with_retry_after(
    limited: TestClient, session: Session
) -> None:
    key = portal_key(session)
    codes = [limited.get("/api/v1/requests", headers=auth(key)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = limited.get("/api/v1/requests", headers=auth(key))
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_limits_are_counted_per_key(limited: TestClient, session: Session) -> None:
    first, second = portal_key(session), portal_key(session)
    for _ in range(3):
        limited.get("/api/v1/requests", headers=auth(first))
    assert limited.get("/api/v1/requests", headers=auth(first)).status_code == 429
    assert limited.get("/api/v1/requests", headers=auth(second)).status_code == 200


def test_unauthenticated_calls_are_refused_before_counting(
    limited: TestClient, session: Session
) -> None:
    key = portal_key(session)
    for _ in range(5):
        assert limited.get("/api/v1/requests").status_code == 401
    assert limited.get("/api/v1/requests", headers=auth(key)).status_code == 200
