"""Webhooks: registration by portals and working groups, owner isolation, signed deliveries
retried until they land, status callbacks to the submitting portal, and replays."""

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.auth.models import PortalClient
from app.db import make_sessionmaker
from app.dispatch import keys, service
from app.dispatch.dispatcher import Dispatcher
from app.dispatch.models import Assignment
from app.settings import Settings
from app.webhooks.egress import EgressPolicy
from app.webhooks.models import WebhookDelivery
from tests.factories import auth, portal_key
from tests.integration.dispatch_support import (
    WebhookReceiver,
    column,
    routed_requests,
    rows,
    wait_for,
)


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The verification recipe of the README, verbatim."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    t = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - t) <= tolerance
    return fresh and hmac.compare_digest(expected, parts["v1"])


def _engine(api: TestClient) -> Engine:
    return api.app.state.engine  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_backoff_base": 0.05,
            "webhook_backoff_max": 0.2,
            "webhook_max_attempts": 3,
            "webhook_timeout": 5,
        }
    )


def _portal(api: TestClient, state: str = "NGA") -> tuple[dict[str, str], uuid.UUID]:
    """A new portal key's headers and its client id."""
    with make_sessionmaker(_engine(api))() as session:
        key = portal_key(session, state=state)
    [client_id] = column(
        _engine(api), select(PortalClient.id).where(PortalClient.key_prefix == key.split("_")[1])
    )
    return auth(key), client_id


def _group_key(api: TestClient, group: str = "cj-cft") -> dict[str, str]:
    with make_sessionmaker(_engine(api))() as session:
        return auth(keys.create_key(session, working_group_id=group).key)


def _subscribe(
    api: TestClient, headers: dict[str, str], url: str, events: list[str] | None = None
) -> dict[str, str]:
    body: dict[str, object] = {"url": url, **({"events": events} if events else {})}
    response = api.post("/api/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _run_until(worker: Dispatcher, condition: Callable[[], bool], timeout: float = 15) -> None:
    def step() -> bool:
        worker.step()
        return bool(condition())

    wait_for(step, timeout=timeout, every=0.02, what="webhook deliveries")


def test_a_portal_registers_a_webhook_and_sees_its_secret_once(api: TestClient) -> None:
    headers, client_id = _portal(api)
    created = _subscribe(api, headers, "https://portal.example.org/hooks")
    assert created["secret"].startswith("whsec_")
    assert len(created["secret"]) > 40
    assert created["events"] == [
        "request.acknowledged",
        "request.completed",
        "request.declined",
        "request.dispatched",
    ]
    assert created["owner"] == {"kind": "portal", "id": str(client_id)}
    listed = api.get("/api/v1/webhooks", headers=headers).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"/api/v1/webhooks/{created['id']}", headers=headers).json()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://portal.example.org/hook",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "not a url",
        "http://",
        "https://user:pass@portal.example.org/hook",
        "http://portal.example.org:99999/hook",
        "//portal.example.org/hook",
    ],
)
def test_webhook_urls_other_than_http_and_https_are_422(api: TestClient, url: str) -> None:
    headers, _ = _portal(api)
    response = api.post("/api/v1/webhooks", json={"url": url}, headers=headers)
    assert response.status_code == 422, url
    assert response.json()["error"] == "validation_error"
    assert api.get("/api/v1/webhooks", headers=headers).json()["items"] == []


def test_unknown_events_and_fields_are_422(api: TestClient) -> None:
    headers, _ = _portal(api)
    wrong = api.post(
        "/api/v1/webhooks",
        headers=headers,
        json={"url": "https://a.example/h", "events": ["assignment.dispatched"]},
    )
    assert wrong.status_code == 422
    extra = api.post(
        "/api/v1/webhooks", headers=headers, json={"url": "https://a.example/h", "secret": "mine"}
    )
    assert extra.status_code == 422


def test_webhooks_and_deliveries_are_invisible_to_other_owners(
    api: TestClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    ours, our_id = _portal(api, "NGA")
    neighbour, _ = _portal(api, "NGA")  # another portal of the same State
    foreign, _ = _portal(api, "GHA")
    group = _group_key(api)
    hook = _subscribe(api, ours, receiver.url)
    routed_requests(_engine(api), 1, portal_client_id=our_id)
    worker = Dispatcher(settings, engine=_engine(api))
    _run_until(worker, lambda: len(receiver.received) == 1)
    worker.close()
    [delivery] = column(_engine(api), select(WebhookDelivery.id))
    for headers in (neighbour, foreign, group):
        assert api.get("/api/v1/webhooks", headers=headers).json()["items"] == []
        for method, path in (
            ("GET", f"/api/v1/webhooks/{hook['id']}"),
            ("DELETE", f"/api/v1/webhooks/{hook['id']}"),
            ("GET", f"/api/v1/webhooks/{hook['id']}/deliveries"),
            ("GET", f"/api/v1/webhooks/deliveries/{delivery}"),
            ("POST", f"/api/v1/webhooks/deliveries/{delivery}/replay"),
        ):
            assert api.request(method, path, headers=headers).status_code == 404, (method, path)
    assert api.get(f"/api/v1/webhooks/{hook['id']}", headers=ours).status_code == 200
    assert api.get("/api/v1/webhooks").status_code == 401


def test_a_failing_receiver_that_recovers_gets_one_signed_delivery(
    api: TestClient, fast: Settings, receiver: WebhookReceiver
) -> None:
    headers, client_id = _portal(api)
    hook = _subscribe(api, headers, receiver.url, ["request.dispatched"])
    receiver.statuses[:] = [500, 500]
    [rid] = routed_requests(_engine(api), 1, portal_client_id=client_id)
    worker = Dispatcher(fast, engine=_engine(api))
    _run_until(worker, lambda: any(r.answered == 200 for r in receiver.received))
    time.sleep(0.3)
    worker.drain()
    worker.close()
    assert [r.answered for r in receiver.received] == [500, 500, 200]
    assert len({r.headers["X-Triage-Delivery"] for r in receiver.received}) == 1
    for r in receiver.received:
        assert verify(hook["secret"], r.headers["X-Triage-Signature"], r.body)
        assert r.headers["X-Triage-Event"] == "request.dispatched"
    assert not verify(
        "whsec_wrong",
        receiver.received[-1].headers["X-Triage-Signature"],
        receiver.received[-1].body,
    )
    body = json.loads(receiver.received[-1].body)
    assert body["id"] == receiver.received[-1].headers["X-Triage-Delivery"]
    assert body["data"]["request_id"] == str(rid)
    assert body["data"]["status"] == "dispatched"
    log = api.get(f"/api/v1/webhooks/deliveries/{body['id']}", headers=headers).json()
    assert log["status"] == "delivered"
    assert log["attempts"] == 3
    assert [a["status_code"] for a in log["log"]] == [500, 500, 200]
    assert all(a["duration_ms"] >= 0 for a in log["log"])
    assert log["log"][0]["next_attempt_at"]
    assert log["log"][-1]["next_attempt_at"] is None


def test_the_portal_is_called_back_as_its_request_moves(
    api: TestClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    headers, client_id = _portal(api)
    _subscribe(api, headers, receiver.url)
    group = _group_key(api)
    routed_requests(_engine(api), 1, portal_client_id=client_id)
    worker = Dispatcher(settings, engine=_engine(api))
    worker.drain()
    [aid] = column(_engine(api), select(Assignment.id))
    for step in ("acknowledge", "start", "complete"):
        assert api.post(f"/api/v1/wg/assignments/{aid}/{step}", headers=group).is_success
    _run_until(worker, lambda: len(receiver.received) == 3)
    worker.close()
    # Deliveries go out in parallel, so receivers order them by `occurred_at`.
    received = sorted(
        ((json.loads(r.body)["data"], r.headers["X-Triage-Event"]) for r in receiver.received),
        key=lambda pair: pair[0]["occurred_at"],
    )
    assert [event for _, event in received] == [
        "request.dispatched",
        "request.acknowledged",
        "request.completed",
    ]
    assert [(d["previous_status"], d["status"]) for d, _ in received] == [
        ("triaged", "dispatched"),
        ("dispatched", "acknowledged"),
        ("in_progress", "completed"),
    ]


def test_a_working_group_webhook_hears_of_each_new_assignment(
    api: TestClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    hook = _subscribe(api, _group_key(api, "cj-cft"), receiver.url)
    assert hook["events"] == ["assignment.dispatched"]
    assert hook["owner"] == {"kind": "working_group", "id": "cj-cft"}
    ids = routed_requests(_engine(api), 2, groups=("cj-cft",))
    routed_requests(_engine(api), 1, groups=("bm-le",))
    worker = Dispatcher(settings, engine=_engine(api))
    _run_until(worker, lambda: len(receiver.received) == 2)
    worker.drain()
    worker.close()
    data = [json.loads(r.body)["data"] for r in receiver.received]
    assert {d["request_id"] for d in data} == {str(i) for i in ids}
    assert all(d["working_group"] == "cj-cft" and d["assignment_id"] for d in data)


def test_a_failed_delivery_can_be_replayed_with_the_same_id(
    api: TestClient, fast: Settings, receiver: WebhookReceiver
) -> None:
    headers, client_id = _portal(api)
    _subscribe(api, headers, receiver.url)
    receiver.statuses[:] = [503, 503, 503]
    routed_requests(_engine(api), 1, portal_client_id=client_id)
    worker = Dispatcher(fast, engine=_engine(api))
    _run_until(worker, lambda: column(_engine(api), select(WebhookDelivery.status)) == ["failed"])
    [delivery] = column(_engine(api), select(WebhookDelivery.id))
    replayed = api.post(f"/api/v1/webhooks/deliveries/{delivery}/replay", headers=headers)
    assert replayed.status_code == 202
    assert replayed.json()["status"] == "pending"
    _run_until(
        worker, lambda: column(_engine(api), select(WebhookDelivery.status)) == ["delivered"]
    )
    worker.close()
    assert [r.answered for r in receiver.received] == [503, 503, 503, 200]
    assert {r.headers["X-Triage-Delivery"] for r in receiver.received} == {str(delivery)}
    log = api.get(f"/api/v1/webhooks/deliveries/{delivery}", headers=headers).json()["log"]
    assert len(log) == 4


def test_deleting_a_webhook_cancels_its_pending_deliveries(
    api: TestClient, settings: Settings
) -> None:
    headers, client_id = _portal(api)
    hook = _subscribe(api, headers, "http://127.0.0.1:9/never")
    routed_requests(_engine(api), 1, portal_client_id=client_id)
    with make_sessionmaker(_engine(api))() as session:
        service.publish_due(
            session, queue=None, batch_size=10, worker="test", retry=service.Backoff(1, 1)
        )
    assert column(_engine(api), select(WebhookDelivery.status)) == ["pending"]
    assert api.delete(f"/api/v1/webhooks/{hook['id']}", headers=headers).status_code == 204
    assert api.get("/api/v1/webhooks", headers=headers).json()["items"] == []
    assert rows(_engine(api), select(WebhookDelivery.status, WebhookDelivery.next_attempt_at)) == [
        ("cancelled", None)
    ]


def test_webhooks_to_private_addresses_are_refused_at_registration(
    settings: Settings, api: TestClient
) -> None:
    from app.main import create_app

    closed = settings.model_copy(update={"webhook_allowed_networks": ""})
    with TestClient(create_app(closed), raise_server_exceptions=False) as strict:
        headers, _ = _portal(api)
        for url in ("http://127.0.0.1:9000/hook", "http://169.254.169.254/", "http://localhost/"):
            response = strict.post("/api/v1/webhooks", json={"url": url}, headers=headers)
            assert response.status_code == 422, url
            assert response.json()["detail"][0]["loc"] == ["body", "url"]
        assert strict.get("/api/v1/webhooks", headers=headers).json()["items"] == []


def _pointing_at(receiver: WebhookReceiver, name: str) -> tuple[str, Callable[..., list[str]]]:
    """The receiver's URL under a made-up host name, and a resolver that maps it there."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    return f"http://{name}:{port}/hook", lambda host, _port: ["127.0.0.1"] if host == name else []


def test_a_name_that_resolves_to_a_refused_address_gets_nothing(
    api: TestClient, fast: Settings, receiver: WebhookReceiver
) -> None:
    headers, client_id = _portal(api)
    url, resolve = _pointing_at(receiver, "hooks.portal.example")
    _subscribe(api, headers, url, ["request.dispatched"])  # a name: accepted
    routed_requests(_engine(api), 1, portal_client_id=client_id)
    closed = fast.model_copy(update={"webhook_allowed_networks": ""})
    worker = Dispatcher(closed, engine=_engine(api))
    worker.egress = EgressPolicy(closed.webhook_egress.allowed_networks, resolve=resolve)
    _run_until(worker, lambda: column(_engine(api), select(WebhookDelivery.status)) == ["failed"])
    worker.close()
    assert receiver.received == []
    [delivery] = column(_engine(api), select(WebhookDelivery.id))
    log = api.get(f"/api/v1/webhooks/deliveries/{delivery}", headers=headers).json()["log"]
    assert len(log) == fast.webhook_max_attempts
    refusal = "refused: hooks.portal.example resolves to 127.0.0.1"
    assert all(a["error"].startswith(refusal) and a["status_code"] is None for a in log)


def test_a_delivery_goes_to_the_address_checked_under_its_own_name(
    api: TestClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    headers, client_id = _portal(api)
    url, resolve = _pointing_at(receiver, "hooks.portal.example")
    _subscribe(api, headers, url, ["request.dispatched"])
    routed_requests(_engine(api), 1, portal_client_id=client_id)
    worker = Dispatcher(settings, engine=_engine(api))  # loopback allowed in the tests
    # The name exists only for this resolver: the POST reaches the receiver because it is
    # sent to the address that was checked, with the name in the Host header.
    worker.egress = EgressPolicy(settings.webhook_egress.allowed_networks, resolve=resolve)
    _run_until(worker, lambda: len(receiver.received) == 1)
    worker.close()
    assert receiver.received[0].headers["Host"] == url.split("/")[2]
