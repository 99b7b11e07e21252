"""The queue: order, filters, counts, keyset pages and age badges."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.catalogue.loader import get_catalogue
from app.desk import queue
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest, RequestArea
from tests import factories
from tests.desk_support import sign_in, submit

FRENCH = (
    "Le ministère de la Justice sollicite l'assistance de l'ONUDC pour former des procureurs "
    "aux poursuites contre les combattants terroristes étrangers de retour."
)


def _set(session: Session, request_id: object, **values: object) -> None:
    session.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == uuid.UUID(str(request_id)))
        .values(**values)
    )
    session.commit()


def _references(html: str) -> list[str]:
    return re.findall(r'<tr data-reference="([^"]+)"', html)


def test_needs_review_comes_first_then_the_oldest(
    desk: TestClient, session: Session, officer: User
) -> None:
    key = factories.portal_key(session)
    now = datetime.now(UTC)
    old_routed, newer_review, older_review = (submit(desk, key) for _ in range(3))
    _set(session, old_routed["id"], status="triaged", received_at=now - timedelta(days=3))
    _set(session, newer_review["id"], status="needs_review", received_at=now - timedelta(hours=2))
    _set(session, older_review["id"], status="needs_review", received_at=now - timedelta(hours=5))
    sign_in(desk, "officer")
    order = _references(desk.get("/desk/queue").text)
    assert order == [older_review["reference"], newer_review["reference"], old_routed["reference"]]


def test_filters_narrow_the_queue(desk: TestClient, session: Session, officer: User) -> None:
    nigeria, ghana, france = (factories.portal_key(session, state=s) for s in ("NGA", "GHA", "FRA"))
    from_nigeria = submit(desk, nigeria, state="NGA")
    from_ghana = submit(desk, ghana, state="GHA")
    in_french = submit(desk, france, FRENCH, state="FRA")
    _set(session, from_ghana["id"], received_at=datetime(2026, 1, 15, tzinfo=UTC))
    area = session.scalars(
        select(RequestArea.area_id).where(
            RequestArea.request_id == uuid.UUID(str(from_nigeria["id"])), RequestArea.rank == 0
        )
    ).one()
    group = session.scalars(
        select(AssistanceRequest.working_group_id).where(
            AssistanceRequest.id == uuid.UUID(str(from_nigeria["id"]))
        )
    ).one()
    session.rollback()
    sign_in(desk, "officer")

    def listed(query: str) -> set[str]:
        page = desk.get(f"/desk/queue?status=all&{query}")
        assert page.status_code == 200, page.text[:300]
        return set(_references(page.text))

    assert listed("state=NGA") == {from_nigeria["reference"]}
    assert listed("region=Western+Africa") == {from_nigeria["reference"], from_ghana["reference"]}
    assert listed("region=Europe") == {in_french["reference"]}
    assert listed("language=fr") == {in_french["reference"]}
    assert from_nigeria["reference"] in listed(f"area={area}")
    assert listed("from=2026-01-01&to=2026-01-31") == {from_ghana["reference"]}
    assert from_nigeria["reference"] in listed(f"group={group}")
    assert in_french["reference"] not in listed("state=NGA&language=fr")


def test_an_unknown_filter_value_is_refused(desk: TestClient, officer: User) -> None:
    sign_in(desk, "officer")
    assert desk.get("/desk/queue?area=nonsense").status_code == 422
    assert desk.get("/desk/queue?from=yesterday").status_code == 422
    assert desk.get("/desk/queue?cursor=not-a-cursor").status_code == 422


def test_pages_follow_each_other_across_the_needs_review_boundary(
    desk: TestClient, session: Session
) -> None:
    key = factories.portal_key(session)
    now = datetime.now(UTC)
    created = [submit(desk, key) for _ in range(5)]
    for index, item in enumerate(created):
        _set(
            session,
            item["id"],
            status="needs_review" if index < 2 else "triaged",
            received_at=now - timedelta(hours=10 - index),
        )
    catalogue = get_catalogue()
    filters = queue.parse_filters({}, catalogue)
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        page = queue.load(session, filters, catalogue=catalogue, cursor=cursor, now=now, limit=2)
        seen += [row.reference for row in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    session.rollback()
    assert seen == [str(item["reference"]) for item in created]
    assert page.counts == {"needs_review": 2, "triaged": 3}


def test_a_request_past_its_limit_is_flagged_overdue(
    desk: TestClient, session: Session, officer: User
) -> None:
    created = submit(desk, factories.portal_key(session))
    _set(
        session,
        created["id"],
        status="needs_review",
        received_at=datetime.now(UTC) - timedelta(days=3),
    )
    sign_in(desk, "officer")
    page = desk.get("/desk/queue").text
    assert 'class="badge bad"' in page
    assert "overdue" in page


def test_the_counts_show_every_status(desk: TestClient, session: Session, officer: User) -> None:
    key = factories.portal_key(session)
    first, second = submit(desk, key), submit(desk, key)
    _set(session, first["id"], status="needs_review")
    _set(session, second["id"], status="out_of_scope")
    sign_in(desk, "officer")
    page = desk.get("/desk/queue").text
    assert re.search(r"Needs review <span class=\"count\">1</span>", page)
    assert re.search(r"Out of scope <span class=\"count\">1</span>", page)
    assert _references(page) == [first["reference"]]


def test_failing_deliveries_and_late_assignments_need_attention(
    desk: TestClient, session: Session, officer: User
) -> None:
    key = factories.portal_key(session)
    late, failing = submit(desk, key), submit(desk, key)
    long_ago = datetime.now(UTC) - timedelta(days=5)
    session.execute(
        update(Assignment)
        .where(Assignment.request_id == uuid.UUID(str(late["id"])))
        .values(created_at=long_ago)
    )
    session.execute(
        update(Assignment)
        .where(Assignment.request_id == uuid.UUID(str(failing["id"])))
        .values(
            status="dispatched",
            dispatched_at=datetime.now(UTC),
            delivery_count=6,
            dead_lettered_at=datetime.now(UTC),
        )
    )
    session.commit()
    sign_in(desk, "officer")
    page = desk.get("/desk/attention").text
    dead = page.split('id="dead-letters"')[1].split("</table>")[0]
    overdue = page.split('id="overdue"')[1].split("</table>")[0]
    assert str(failing["reference"]) in dead
    assert str(late["reference"]) in overdue
