"""Officers' decisions on a request: confirm, correct, mark out of scope, merge as duplicate and
add a note. Each use case checks the version its form was rendered with (a stale form is a 409,
never a silent overwrite), commits once, and records who did what in the audit trail. A
confirmation or correction also becomes the request's labelled training example."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth.sessions import DeskIdentity
from app.catalogue.loader import Catalogue
from app.desk import dispatching, feedback, trail, versioned
from app.desk.labels import Labels, current_labels, latest_review
from app.desk.models import ReviewAction
from app.desk.versioned import ActionRefused
from app.errors import InvalidInput, NotFound
from app.intake.models import (
    AssistanceRequest,
    RequestArea,
    RequestParagraph,
    RequestStatus,
)
from app.routing import service as routing_service

MAX_NOTE_CHARS = 2000
# After an officer's decision a request waiting for one is triaged; later statuses stay.
UNDECIDED = frozenset(
    {RequestStatus.RECEIVED, RequestStatus.NEEDS_REVIEW, RequestStatus.OUT_OF_SCOPE}
)


def _set_labels(session: Session, request_id: uuid.UUID, labels: Labels) -> None:
    session.execute(delete(RequestArea).where(RequestArea.request_id == request_id))
    session.execute(delete(RequestParagraph).where(RequestParagraph.request_id == request_id))
    for rank, area in enumerate(labels.areas):
        session.add(RequestArea(request_id=request_id, area_id=area, rank=rank))
    for rank, number in enumerate(labels.paragraphs):
        session.add(RequestParagraph(request_id=request_id, number=number, rank=rank))


def _record_review(
    session: Session,
    request: AssistanceRequest,
    *,
    identity: DeskIdentity,
    action: ReviewAction,
    before: Labels,
    after: Labels,
    event: str,
    details: dict[str, Any],
) -> None:
    """A review, kept as feedback for the next model and as an event in the request's trail."""
    feedback.record(session, request, action=action, before=before, after=after, identity=identity)
    trail.record(session, identity, event, request_id=request.id, details=details)


def confirm(
    session: Session, request_id: str, *, version: str | None, identity: DeskIdentity
) -> AssistanceRequest:
    """The current labels are right (or, for an out-of-scope request, that it is out of scope)."""
    request = versioned.load(session, request_id, version)
    before = current_labels(session, request, latest_review(session, request.id))
    if request.status == RequestStatus.DUPLICATE:
        raise ActionRefused(f"{request.reference} is merged as a duplicate")
    if not before.areas and not before.out_of_scope:
        raise ActionRefused("there are no labels to confirm: correct the request instead")
    sent = request.version
    if request.status in (RequestStatus.RECEIVED, RequestStatus.NEEDS_REVIEW):
        request.status = RequestStatus.TRIAGED.value
    request.review_reason = None
    versioned.touch(session, request, sent)
    _record_review(
        session,
        request,
        identity=identity,
        action=ReviewAction.CONFIRM,
        before=before,
        after=before,
        event="request.confirmed",
        details={"labels": before.as_dict()},
    )
    session.commit()
    return request


def correct(
    session: Session,
    request_id: str,
    *,
    version: str | None,
    identity: DeskIdentity,
    catalogue: Catalogue,
    primary_area: str,
    areas: Sequence[str],
    paragraphs: Sequence[str],
    working_group: str,
    co_groups: Sequence[str],
    comment: str,
) -> AssistanceRequest:
    """Replace the labels and the working group(s); raises InvalidInput for unknown values."""
    request = versioned.load(session, request_id, version)
    if request.status == RequestStatus.DUPLICATE:
        raise ActionRefused(f"{request.reference} is merged as a duplicate")
    after = _validated(
        session,
        catalogue=catalogue,
        primary_area=primary_area,
        areas=areas,
        paragraphs=paragraphs,
        working_group=working_group,
        co_groups=co_groups,
    )
    before = current_labels(session, request, latest_review(session, request.id))
    sent = request.version
    if request.status in UNDECIDED:
        request.status = RequestStatus.TRIAGED.value
    request.review_reason = None
    request.primary_area = after.areas[0]
    request.working_group_id = after.working_group
    versioned.touch(session, request, sent)
    _set_labels(session, request.id, after)
    _record_review(
        session,
        request,
        identity=identity,
        action=ReviewAction.CORRECT,
        before=before,
        after=after,
        event="request.corrected",
        details={
            "before": before.as_dict(),
            "after": after.as_dict(),
            "comment": comment.strip()[:MAX_NOTE_CHARS] or None,
        },
    )
    session.commit()
    return request


def _validated(
    session: Session,
    *,
    catalogue: Catalogue,
    primary_area: str,
    areas: Sequence[str],
    paragraphs: Sequence[str],
    working_group: str,
    co_groups: Sequence[str],
) -> Labels:
    known = set(catalogue.area_ids)
    if primary_area not in known:
        raise InvalidInput("choose the primary thematic area", field="primary_area")
    chosen = [primary_area, *(a for a in dict.fromkeys(areas) if a != primary_area)]
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise InvalidInput(f"unknown area {unknown[0]!r}", field="areas")
    if len(chosen) > 5:
        raise InvalidInput("at most five thematic areas", field="areas")
    numbers = []
    for text in dict.fromkeys(paragraphs):
        if not text.isdigit() or not 1 <= int(text) <= 30:
            raise InvalidInput(f"{text!r} is not an operative paragraph (1-30)", field="paragraphs")
        numbers.append(int(text))
    if not numbers:
        raise InvalidInput("choose at least one operative paragraph", field="paragraphs")
    core = catalogue.area(primary_area).paragraphs
    numbers.sort(key=lambda n: (n not in core, core.index(n) if n in core else n))
    groups = {g.id for g in routing_service.working_groups(session) if g.active}
    if not working_group:
        route = routing_service.current_routes(session).get(primary_area)
        if route is None:
            raise InvalidInput("no working group is routed for this area", field="working_group")
        working_group = route.working_group_id
    if working_group not in groups:
        raise InvalidInput(f"unknown working group {working_group!r}", field="working_group")
    extra = [g for g in dict.fromkeys(co_groups) if g and g != working_group]
    if any(g not in groups for g in extra):
        raise InvalidInput("unknown working group among the co-assigned", field="co_groups")
    return Labels(
        areas=tuple(chosen),
        paragraphs=tuple(numbers),
        working_group=working_group,
        co_groups=tuple(extra),
    )


def mark_out_of_scope(
    session: Session, request_id: str, *, version: str | None, identity: DeskIdentity, comment: str
) -> AssistanceRequest:
    request = versioned.load(session, request_id, version)
    if request.status == RequestStatus.DUPLICATE:
        raise ActionRefused(f"{request.reference} is merged as a duplicate")
    if dispatching.assigned_groups(session, request.id):
        raise ActionRefused(
            f"{request.reference} is already assigned to a working group; ask it to decline"
        )
    before = current_labels(session, request, latest_review(session, request.id))
    after = Labels(out_of_scope=True)
    sent = request.version
    request.status = RequestStatus.OUT_OF_SCOPE.value
    request.review_reason = None
    request.primary_area = None
    request.working_group_id = None
    versioned.touch(session, request, sent)
    _set_labels(session, request.id, after)
    _record_review(
        session,
        request,
        identity=identity,
        action=ReviewAction.OUT_OF_SCOPE,
        before=before,
        after=after,
        event="request.marked_out_of_scope",
        details={"before": before.as_dict(), "comment": comment.strip()[:MAX_NOTE_CHARS] or None},
    )
    session.commit()
    return request


def _find(session: Session, text: str) -> AssistanceRequest | None:
    text = text.strip()
    try:
        return session.get(AssistanceRequest, uuid.UUID(text))
    except ValueError:
        return session.scalar(
            select(AssistanceRequest).where(AssistanceRequest.reference == text.upper()[:20])
        )


def merge_duplicate(
    session: Session,
    request_id: str,
    *,
    version: str | None,
    identity: DeskIdentity,
    original: str,
) -> AssistanceRequest:
    """Mark the request a duplicate of `original` (a reference or an id); both are audited."""
    request = versioned.load(session, request_id, version)
    target = _find(session, original)
    if target is None:
        raise InvalidInput(f"no request {original.strip()[:40]!r}", field="original")
    if target.id == request.id:
        raise InvalidInput("a request cannot duplicate itself", field="original")
    if target.status == RequestStatus.DUPLICATE:
        raise InvalidInput(
            f"{target.reference} is itself a duplicate; merge into its original", field="original"
        )
    if request.status == RequestStatus.DUPLICATE:
        raise ActionRefused(f"{request.reference} is merged as a duplicate already")
    before = current_labels(session, request, latest_review(session, request.id))
    sent = request.version
    request.status = RequestStatus.DUPLICATE.value
    request.duplicate_of_id = target.id
    request.review_reason = None
    versioned.touch(session, request, sent)
    _record_review(
        session,
        request,
        identity=identity,
        action=ReviewAction.DUPLICATE,
        before=before,
        after=before,
        event="request.merged_as_duplicate",
        details={"original": target.reference, "original_id": str(target.id)},
    )
    trail.record(
        session,
        identity,
        "request.duplicate_merged_in",
        request_id=target.id,
        details={"duplicate": request.reference, "duplicate_id": str(request.id)},
    )
    session.commit()
    return request


def add_note(session: Session, request_id: str, *, identity: DeskIdentity, note: str) -> None:
    """Notes never conflict with anything, so they carry no version check."""
    request = session.get(AssistanceRequest, versioned.parse_id(request_id))
    if request is None:
        raise NotFound("no such request")
    text = note.strip()
    if not text:
        raise InvalidInput("the note is empty", field="note")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInput(f"a note has at most {MAX_NOTE_CHARS} characters", field="note")
    trail.record(
        session,
        identity,
        "request.note_added",
        request_id=request.id,
        details={"note": text},
    )
    session.commit()
