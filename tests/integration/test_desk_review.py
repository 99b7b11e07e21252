"""Officers' decisions: confirm, correct, out of scope, duplicate, note, dispatch; conflicts
between two officers; the audit trail and the training examples they leave."""

import threading
import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth.models import User
from app.catalogue.loader import get_catalogue
from app.desk.models import Review
from app.dispatch.models import Assignment, OutboxEntry
from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph
from app.triage.models import TrainingExample
from app.triage.training import feedback_examples
from tests import factories
from tests.desk_support import Client, open_request, sign_in, submit

PRISONS_TEXT = (
    "The prison administration requests UNODC support to train prison officers on the "
    "management of violent extremist prisoners and on preventing radicalization to violence "
    "in prisons, in line with the Nelson Mandela Rules."
)


def _waiting(session: Session, key: str, desk: TestClient, text: str | None = None) -> str:
    """A stored request put in the needs-review state; returns its id."""
    created = submit(desk, key, text)
    rid = uuid.UUID(str(created["id"]))
    # As intake leaves a request the model was unsure of: waiting, and planned for no group.
    session.execute(delete(OutboxEntry).where(OutboxEntry.request_id == rid))
    session.execute(delete(Assignment).where(Assignment.request_id == rid))
    session.execute(
        update(AssistanceRequest).where(AssistanceRequest.id == rid).values(status="needs_review")
    )
    session.commit()
    return str(created["id"])


def _request(session: Session, request_id: str) -> AssistanceRequest:
    session.expire_all()
    row = session.get(AssistanceRequest, uuid.UUID(request_id))
    assert row is not None
    return row


def _actions(session: Session, request_id: str) -> list[str]:
    actions = list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.request_id == uuid.UUID(request_id))
            .order_by(AuditEvent.id)
        )
    )
    session.rollback()
    return actions


def _correct(
    client: Client, request_id: str, token: str, version: str, **fields: object
) -> Any:  # an httpx or a TestClient response
    data: dict[str, object] = {
        "csrf_token": token,
        "version": version,
        "primary_area": "prisons",
        "areas": ["criminal-justice"],
        "paragraphs": ["26", "10"],
        "working_group": "",
        "comment": "about prisons, not FTF",
        **fields,
    }
    return client.post(f"/desk/requests/{request_id}/correct", data=data, follow_redirects=False)


def test_confirming_records_a_review_an_example_and_an_audit_event(
    desk: TestClient, session: Session, officer: User
) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    response = desk.post(
        f"/desk/requests/{request_id}/confirm",
        data={"csrf_token": token, "version": version},
        follow_redirects=False,
    )
    assert response.status_code == 303
    request = _request(session, request_id)
    assert request.status == "triaged"
    review = session.scalar(select(Review).where(Review.request_id == request.id))
    assert review is not None
    assert review.action == "confirm"
    assert not review.overridden
    assert review.reviewer == "officer"
    example = session.scalar(
        select(TrainingExample).where(TrainingExample.request_id == request.id)
    )
    assert example is not None
    assert example.source == "confirmation"
    assert example.created_by == "officer"
    assert example.areas == review.after["areas"]
    assert "foreign terrorist fighters" in example.text
    assert "request.confirmed" in _actions(session, request_id)


def test_correcting_replaces_the_labels_and_supersedes_the_earlier_example(
    desk: TestClient, session: Session, officer: User
) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    token = sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    desk.post(
        f"/desk/requests/{request_id}/confirm", data={"csrf_token": token, "version": version}
    )
    _, token, version = open_request(desk, request_id)
    assert _correct(desk, request_id, token, version).status_code == 303

    request = _request(session, request_id)
    areas = session.scalars(
        select(RequestArea.area_id)
        .where(RequestArea.request_id == request.id)
        .order_by(RequestArea.rank)
    ).all()
    paragraphs = session.scalars(
        select(RequestParagraph.number)
        .where(RequestParagraph.request_id == request.id)
        .order_by(RequestParagraph.rank)
    ).all()
    assert list(areas) == ["prisons", "criminal-justice"]
    assert list(paragraphs) == [26, 10]
    assert request.primary_area == "prisons"
    assert request.working_group_id == "pcve"  # the catalogue's route for prisons
    examples = session.scalars(
        select(TrainingExample)
        .where(TrainingExample.request_id == request.id)
        .order_by(TrainingExample.created_at)
    ).all()
    assert [e.source for e in examples] == ["confirmation", "correction"]
    assert examples[0].superseded_at is not None
    assert examples[1].superseded_at is None
    review = session.scalars(
        select(Review).where(Review.request_id == request.id).order_by(Review.created_at)
    ).all()[-1]
    assert review.action == "correct"
    assert review.overridden
    assert review.before["areas"] != review.after["areas"]
    session.rollback()
    page, _, _ = open_request(desk, request_id)
    assert "Triage corrected" in page
    assert "prisons, criminal-justice" in page


def test_training_reads_only_the_newest_decision_of_each_request(
    desk: TestClient, session: Session, officer: User
) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    desk.post(
        f"/desk/requests/{request_id}/confirm", data={"csrf_token": token, "version": version}
    )
    _, token, version = open_request(desk, request_id)
    _correct(desk, request_id, token, version)
    examples = [e for e in feedback_examples(session) if "forty" in e.text]
    session.rollback()
    assert len(examples) == 1
    assert examples[0].areas == ("prisons", "criminal-justice")
    assert examples[0].paragraphs == (26, 10)


def test_a_stale_form_gets_a_conflict_page_and_overwrites_nothing(
    desk: TestClient, session: Session, officer: User
) -> None:
    factories.user(session, username="second", role="officer")
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, stale_version = open_request(desk, request_id)
    assert _correct(desk, request_id, token, stale_version).status_code == 303

    desk.cookies.clear()
    sign_in(desk, "second")
    _, token, _ = open_request(desk, request_id)
    response = _correct(
        desk, request_id, token, stale_version, primary_area="cbrn", areas=[], paragraphs=["20"]
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.text or "Someone else changed" in response.text
    assert f"/desk/requests/{request_id}" in response.text
    assert _request(session, request_id).primary_area == "prisons"
    assert session.scalar(select(func.count()).select_from(Review)) == 1
    session.rollback()


def test_two_officers_deciding_at_once_one_wins_the_other_gets_a_conflict(
    live: str, session: Session, officer: User
) -> None:
    factories.user(session, username="second", role="officer")
    key = factories.portal_key(session)
    clients = [httpx.Client(base_url=live) for _ in range(2)]
    try:
        created = (
            clients[0]
            .post("/api/v1/requests", json=factories.request_body(), headers=factories.auth(key))
            .json()
        )
        request_id = str(created["id"])
        session.execute(
            update(AssistanceRequest)
            .where(AssistanceRequest.id == uuid.UUID(request_id))
            .values(status="needs_review")
        )
        session.commit()
        forms = []
        for client, name in zip(clients, ("officer", "second"), strict=True):
            sign_in(client, name)
            forms.append(open_request(client, request_id))
        assert forms[0][2] == forms[1][2]
        results: list[int] = []
        barrier = threading.Barrier(2)

        def decide(index: int) -> None:
            client, (_, token, version) = clients[index], forms[index]
            barrier.wait()
            area = ("prisons", "cbrn")[index]
            results.append(
                _correct(
                    client, request_id, token, version, primary_area=area, areas=[]
                ).status_code
            )

        threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for client in clients:
            client.close()
    assert sorted(results) == [303, 409]
    assert session.scalar(select(func.count()).select_from(Review)) == 1
    session.rollback()


def test_dispatch_waits_for_a_decision(desk: TestClient, session: Session, officer: User) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    response = desk.post(
        f"/desk/requests/{request_id}/dispatch", data={"csrf_token": token, "version": version}
    )
    assert response.status_code == 409
    assert session.scalar(select(func.count()).select_from(Assignment)) == 0
    session.rollback()


def test_dispatch_plans_an_assignment_and_outbox_row_per_decided_group(
    desk: TestClient, session: Session, officer: User
) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    _correct(desk, request_id, token, version, working_group="pcve", co_groups=["gender"])
    _, token, version = open_request(desk, request_id)
    response = desk.post(
        f"/desk/requests/{request_id}/dispatch",
        data={"csrf_token": token, "version": version},
        follow_redirects=False,
    )
    assert response.status_code == 303
    rid = uuid.UUID(request_id)
    assignments = {
        a.working_group_id: a.is_primary
        for a in session.scalars(select(Assignment).where(Assignment.request_id == rid))
    }
    assert assignments == {"pcve": True, "gender": False}
    payloads = [
        o.payload for o in session.scalars(select(OutboxEntry).where(OutboxEntry.request_id == rid))
    ]
    assert sorted(p["working_group"] for p in payloads) == ["gender", "pcve"]
    assert all(p["areas"] == ["prisons", "criminal-justice"] for p in payloads)
    assert all(p["paragraphs"] == [26, 10] for p in payloads)
    session.rollback()
    page, token, version = open_request(desk, request_id)
    assert "Dispatch ordered" in page
    again = desk.post(
        f"/desk/requests/{request_id}/dispatch", data={"csrf_token": token, "version": version}
    )
    assert again.status_code == 409


def test_marking_out_of_scope_clears_the_labels_and_teaches_out_of_scope(
    desk: TestClient, session: Session, officer: User
) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    response = desk.post(
        f"/desk/requests/{request_id}/out-of-scope",
        data={"csrf_token": token, "version": version, "comment": "a tourism project"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    request = _request(session, request_id)
    assert request.status == "out_of_scope"
    assert request.primary_area is None
    assert (
        session.scalar(
            select(func.count())
            .select_from(RequestArea)
            .where(RequestArea.request_id == request.id)
        )
        == 0
    )
    example = session.scalar(
        select(TrainingExample).where(TrainingExample.request_id == request.id)
    )
    assert example is not None
    assert example.areas == []
    assert example.source == "correction"
    session.rollback()
    assert feedback_examples(session)[0].areas == ("out-of-scope",)
    session.rollback()


def test_merging_a_duplicate_links_both_timelines(
    desk: TestClient, session: Session, officer: User
) -> None:
    key = factories.portal_key(session)
    original = submit(desk, key)
    copy_id = _waiting(session, key, desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, copy_id)
    response = desk.post(
        f"/desk/requests/{copy_id}/duplicate",
        data={
            "csrf_token": token,
            "version": version,
            "original": str(original["reference"]).lower(),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    copy = _request(session, copy_id)
    assert copy.status == "duplicate"
    assert str(copy.duplicate_of_id) == original["id"]
    assert "request.duplicate_merged_in" in _actions(session, str(original["id"]))
    page = desk.get(f"/desk/requests/{copy_id}").text
    assert f'Duplicate of <a href="/desk/requests/{original["id"]}">' in page


def test_merging_into_itself_is_refused(desk: TestClient, session: Session, officer: User) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    reference = _request(session, request_id).reference
    session.rollback()
    response = desk.post(
        f"/desk/requests/{request_id}/duplicate",
        data={"csrf_token": token, "version": version, "original": reference},
    )
    assert response.status_code == 422


def test_a_note_appears_in_the_timeline(desk: TestClient, session: Session, officer: User) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, _ = open_request(desk, request_id)
    desk.post(
        f"/desk/requests/{request_id}/note",
        data={"csrf_token": token, "note": "Called the mission: <b>urgent</b>"},
    )
    page, _, _ = open_request(desk, request_id)
    assert "Called the mission: &lt;b&gt;urgent&lt;/b&gt;" in page


def test_every_read_of_a_request_is_audited(
    desk: TestClient, session: Session, officer: User
) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    for _ in range(3):
        open_request(desk, request_id)
    views = session.scalars(
        select(AuditEvent).where(
            AuditEvent.request_id == uuid.UUID(request_id), AuditEvent.action == "request.viewed"
        )
    ).all()
    assert len(views) == 3
    assert {v.actor_label for v in views} == {"officer"}
    session.rollback()


def test_a_correction_with_an_unknown_area_is_refused(
    desk: TestClient, session: Session, officer: User
) -> None:
    request_id = _waiting(session, factories.portal_key(session), desk)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, request_id)
    response = _correct(desk, request_id, token, version, areas=["no-such-area"])
    assert response.status_code == 422
    assert _request(session, request_id).status == "needs_review"
    session.rollback()


def test_the_catalogue_routes_prisons_to_pcve() -> None:
    # The correction tests above rely on this default route.
    assert get_catalogue().area("prisons").working_group == "pcve"
