"""`insert_all`: rows of several tables in one go, every column type read back unchanged."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.db import insert_all, new_id
from app.dispatch.models import Assignment, OutboxEntry
from app.intake.models import AssistanceRequest, Attachment, RequestArea
from tests.factories import portal_key

AWKWARD = 'طلب "مساعدة" \\ تقنية — 技术援助 \'quotes\' \\x41 {"json": [1]} 😀'


def test_rows_of_every_type_are_written_and_read_back_unchanged(session: Session) -> None:
    portal_key(session)
    received = datetime(2026, 11, 30, 3, 17, 45, 123456, tzinfo=UTC)
    request = AssistanceRequest(
        id=new_id(),
        reference="TA-2026-990001",
        requesting_state="NGA",
        body=AWKWARD,
        title=None,
        received_at=received,
        status="triaged",
        confidence=0.123456789,
        current_triage_id=uuid.uuid4(),
    )
    content = bytes(range(256)) * 3
    rows = [
        request,
        Attachment(
            id=new_id(),
            request_id=request.id,
            filename="note.pdf",
            media_type="application/pdf",
            size_bytes=len(content),
            sha256="0" * 64,
            has_text_layer=False,
            content=content,
        ),
        RequestArea(request_id=request.id, area_id="ftf", rank=0),
        RequestArea(request_id=request.id, area_id="cbrn", rank=1),
        Assignment(id=new_id(), request_id=request.id, working_group_id="cj-cft"),
        OutboxEntry(request_id=request.id, working_group_id="cj-cft", payload={"text": AWKWARD}),
        audit.event(action="a", actor_type="portal", request_id=request.id, details={"n": [1, 2]}),
        audit.event(action="b", actor_type="model", request_id=request.id),
    ]
    insert_all(session, rows)
    session.commit()

    stored = session.get(AssistanceRequest, request.id)
    assert stored is not None
    assert (stored.body, stored.title, stored.received_at) == (AWKWARD, None, received)
    assert stored.confidence == 0.123456789
    assert stored.version == 1  # defaults filled in
    assert stored.updated_at is not None
    assert stored.current_triage_id == request.current_triage_id
    attachment = session.scalars(select(Attachment)).one()
    assert attachment.content == content
    assert attachment.has_text_layer is False
    assert attachment.extracted_text == ""
    areas = session.scalars(select(RequestArea).order_by(RequestArea.rank)).all()
    assert [a.area_id for a in areas] == ["ftf", "cbrn"]
    assignment = session.scalars(select(Assignment)).one()
    assert (assignment.status, assignment.is_primary) == ("pending", True)
    entry = session.scalars(select(OutboxEntry)).one()
    assert entry.payload == {"text": AWKWARD}
    assert entry.attempts == 0
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.details) for e in events][-2:] == [("a", {"n": [1, 2]}), ("b", {})]


def test_a_failing_row_writes_nothing(session: Session) -> None:
    portal_key(session)
    request = AssistanceRequest(
        id=new_id(), reference="TA-2026-990002", requesting_state="NGA", body="x"
    )
    orphan = RequestArea(request_id=uuid.uuid4(), area_id="ftf", rank=0)  # no such request
    with pytest.raises(IntegrityError):  # on PostgreSQL when the statement ends
        insert_all(session, [request, orphan])
    session.rollback()
    assert session.scalars(select(AssistanceRequest)).all() == []
