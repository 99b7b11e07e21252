"""The submission route's cache of portal keys found valid."""

import uuid

import pytest

from app.auth import service
from app.auth.models import PortalClient


def _client() -> PortalClient:
    return PortalClient(id=uuid.uuid4(), name="NGA portal", state_iso3="NGA")


def test_a_key_is_found_until_its_entry_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: now[0])
    keys = service.PortalKeyCache(ttl=60)
    client = _client()
    keys.put("tak_abc_secret", client)
    assert keys.get("tak_abc_secret") is client
    assert keys.get("tak_abc_other") is None  # the whole key counts, not its prefix
    now[0] += 61
    assert keys.get("tak_abc_secret") is None


def test_a_full_cache_drops_expired_entries_first(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: now[0])
    keys = service.PortalKeyCache(ttl=60, size=3)
    keys.put("tak_a_1", _client())
    now[0] += 30
    keys.put("tak_b_2", _client())
    keys.put("tak_c_3", _client())
    now[0] += 31  # the first entry has expired, the others have not
    keys.put("tak_d_4", _client())
    assert keys.get("tak_b_2") is not None
    assert keys.get("tak_d_4") is not None
    for n in range(5, 9):  # nothing left to expire: the cache starts again
        keys.put(f"tak_e_{n}", _client())
    assert len([k for k in ("tak_b_2", "tak_c_3", "tak_d_4") if keys.get(k)]) < 3
