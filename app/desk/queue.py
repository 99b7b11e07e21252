"""The officers' queue: filters, counts per status, needs-review first then oldest first, keyset
pages, and an age badge against the working group's time limit."""

import base64
import binascii
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app.catalogue.loader import Catalogue
from app.errors import InvalidInput
from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph, RequestStatus
from app.routing import service as routing_service

PAGE_SIZE = 50
EXCERPT_CHARS = 160
OPEN_STATUSES = (
    RequestStatus.NEEDS_REVIEW,
    RequestStatus.RECEIVED,
    RequestStatus.TRIAGED,
    RequestStatus.DISPATCHED,
    RequestStatus.ACKNOWLEDGED,
    RequestStatus.IN_PROGRESS,
)
# Before dispatch the clock is the group's dispatch limit; once dispatched, dispatch + ack.
BEFORE_DISPATCH = frozenset(
    {RequestStatus.RECEIVED, RequestStatus.NEEDS_REVIEW, RequestStatus.TRIAGED}
)
DEFAULT_DISPATCH_HOURS = 24
DEFAULT_ACK_HOURS = 72
AR = AssistanceRequest


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"
    area: str | None = None
    paragraph: int | None = None
    group: str | None = None
    state: str | None = None
    region: str | None = None
    language: str | None = None
    received_from: date | None = None
    received_to: date | None = None

    def statuses(self) -> tuple[str, ...]:
        if self.status == "open":
            return tuple(s.value for s in OPEN_STATUSES)
        if self.status == "all":
            return tuple(s.value for s in RequestStatus)
        return (self.status,)

    def query(self, **overrides: object) -> dict[str, str]:
        """The filters as query parameters (for links), without empty ones."""
        values = replace(self, **overrides)  # type: ignore[arg-type]
        out = {
            "status": values.status,
            "area": values.area,
            "paragraph": str(values.paragraph) if values.paragraph else None,
            "group": values.group,
            "state": values.state,
            "region": values.region,
            "language": values.language,
            "from": values.received_from.isoformat() if values.received_from else None,
            "to": values.received_to.isoformat() if values.received_to else None,
        }
        return {k: v for k, v in out.items() if v}


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date (YYYY-MM-DD)", field=name) from exc


def parse_filters(params: Mapping[str, str], catalogue: Catalogue) -> QueueFilters:
    """Filters from the query string; an unknown value is refused (422) rather than ignored."""
    status = params.get("status") or "open"
    if status not in ("open", "all") and status not in {s.value for s in RequestStatus}:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    area = params.get("area") or None
    if area is not None and area not in catalogue.area_ids:
        raise InvalidInput(f"unknown area {area!r}", field="area")
    paragraph_text = params.get("paragraph") or None
    paragraph = None
    if paragraph_text is not None:
        if not paragraph_text.isdigit() or not 1 <= int(paragraph_text) <= 30:
            raise InvalidInput("paragraph must be a number from 1 to 30", field="paragraph")
        paragraph = int(paragraph_text)
    group = params.get("group") or None
    if group is not None and group not in {g.id for g in catalogue.working_groups}:
        raise InvalidInput(f"unknown working group {group!r}", field="group")
    state = (params.get("state") or "").strip().upper() or None
    if state is not None and catalogue.state(state) is None:
        raise InvalidInput(f"unknown State {state!r}", field="state")
    region = params.get("region") or None
    if region is not None and region not in regions(catalogue):
        raise InvalidInput(f"unknown region {region!r}", field="region")
    language = params.get("language") or None
    if language is not None and (len(language) > 8 or not language.isalpha()):
        raise InvalidInput("language must be a language code", field="language")
    return QueueFilters(
        status=status,
        area=area,
        paragraph=paragraph,
        group=group,
        state=state,
        region=region,
        language=language,
        received_from=_date(params.get("from"), "from"),
        received_to=_date(params.get("to"), "to"),
    )


def regions(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Each M49 region and sub-region with its States' codes."""
    out: dict[str, list[str]] = {}
    for state in catalogue.states:
        out.setdefault(state.region, []).append(state.iso3)
        out.setdefault(state.subregion, []).append(state.iso3)
    return {name: tuple(codes) for name, codes in sorted(out.items())}


def _conditions(filters: QueueFilters, catalogue: Catalogue) -> list[ColumnElement[bool]]:
    """Every filter except the status (counts per status use these alone)."""
    where: list[ColumnElement[bool]] = []
    if filters.area:
        where.append(
            exists().where(RequestArea.request_id == AR.id, RequestArea.area_id == filters.area)
        )
    if filters.paragraph:
        where.append(
            exists().where(
                RequestParagraph.request_id == AR.id, RequestParagraph.number == filters.paragraph
            )
        )
    if filters.group:
        where.append(AR.working_group_id == filters.group)
    if filters.state:
        where.append(AR.requesting_state == filters.state)
    if filters.region:
        where.append(AR.requesting_state.in_(regions(catalogue)[filters.region]))
    if filters.language:
        where.append(AR.language == filters.language)
    if filters.received_from:
        where.append(AR.received_at >= datetime.combine(filters.received_from, time(), UTC))
    if filters.received_to:
        end = datetime.combine(filters.received_to + timedelta(days=1), time(), UTC)
        where.append(AR.received_at < end)
    return where


@dataclass(frozen=True)
class Cursor:
    segment: int
    received_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = f"{self.segment}|{self.received_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            padded = text + "=" * (-len(text) % 4)
            segment, stamp, ident = base64.urlsafe_b64decode(padded).decode().split("|")
            moment = datetime.fromisoformat(stamp)
            if moment.tzinfo is None or segment not in ("0", "1"):
                raise ValueError("bad cursor")
            return cls(int(segment), moment, uuid.UUID(ident))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInput("the page link is not valid", field="cursor") from exc


@dataclass(frozen=True)
class QueueRow:
    id: uuid.UUID
    reference: str
    state: str
    state_name: str
    language: str | None
    excerpt: str
    status: str
    areas: list[str]
    working_group: str | None
    confidence: float | None
    received_at: datetime
    age: timedelta
    sla: str  # "ok", "warn" (three quarters of the limit gone) or "bad" (overdue); "" if none
    due_hours: int | None


@dataclass(frozen=True)
class QueuePage:
    filters: QueueFilters
    rows: list[QueueRow]
    counts: dict[str, int]
    total: int
    next_cursor: str | None
    first_page: bool
    regions: list[str] = field(default_factory=list)


def _segments(filters: QueueFilters) -> list[tuple[str, ...]]:
    """Needs-review first, then the other selected statuses; each segment oldest first."""
    statuses = filters.statuses()
    review = RequestStatus.NEEDS_REVIEW.value
    others = tuple(s for s in statuses if s != review)
    if review in statuses and others:
        return [(review,), others]
    return [statuses]


def _rows_query(where: list[ColumnElement[bool]], statuses: tuple[str, ...]) -> Select[Any]:
    status = AR.status == statuses[0] if len(statuses) == 1 else AR.status.in_(statuses)
    return (
        select(
            AR.id,
            AR.reference,
            AR.requesting_state,
            AR.language,
            AR.title,
            func.substr(AR.body, 1, EXCERPT_CHARS),
            AR.status,
            AR.working_group_id,
            AR.confidence,
            AR.received_at,
        )
        .where(status, *where)
        .order_by(AR.received_at, AR.id)
    )


def _after(cursor: Cursor) -> ColumnElement[bool]:
    return or_(
        AR.received_at > cursor.received_at,
        and_(AR.received_at == cursor.received_at, AR.id > cursor.id),
    )


def load(
    session: Session,
    filters: QueueFilters,
    *,
    catalogue: Catalogue,
    cursor: str | None,
    now: datetime,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue; reads only (the caller's transaction)."""
    position = Cursor.decode(cursor) if cursor else None
    where = _conditions(filters, catalogue)
    segments = _segments(filters)
    found: list[tuple[int, tuple[Any, ...]]] = []
    for number, statuses in enumerate(segments):
        if position is not None and number < position.segment:
            continue
        stmt = _rows_query(where, statuses)
        if position is not None and number == position.segment:
            stmt = stmt.where(_after(position))
        found.extend(
            (number, tuple(row)) for row in session.execute(stmt.limit(limit + 1 - len(found)))
        )
        if len(found) > limit:
            break
    more = len(found) > limit
    page = found[:limit]
    next_cursor = None
    if more and page:
        number, last = page[-1]
        next_cursor = Cursor(number, last[9], last[0]).encode()
    counts = {
        status: count
        for status, count in session.execute(
            select(AR.status, func.count()).where(*where).group_by(AR.status)
        )
    }
    selected = set(filters.statuses())
    return QueuePage(
        filters=filters,
        rows=_to_rows(session, [row for _, row in page], catalogue=catalogue, now=now),
        counts=counts,
        total=sum(c for s, c in counts.items() if s in selected),
        next_cursor=next_cursor,
        first_page=position is None,
        regions=list(regions(catalogue)),
    )


def _to_rows(
    session: Session,
    rows: list[tuple[Any, ...]],
    *,
    catalogue: Catalogue,
    now: datetime,
) -> list[QueueRow]:
    ids = [row[0] for row in rows]
    areas: dict[uuid.UUID, list[str]] = {}
    if ids:
        for request_id, area_id in session.execute(
            select(RequestArea.request_id, RequestArea.area_id)
            .where(RequestArea.request_id.in_(ids))
            .order_by(RequestArea.request_id, RequestArea.rank)
        ):
            areas.setdefault(request_id, []).append(area_id)
    limits = {
        g.id: (g.sla_dispatch_hours, g.sla_ack_hours)
        for g in routing_service.working_groups(session)
    }
    out = []
    for ident, reference, state, language, title, excerpt, status, group, conf, received in rows:
        member = catalogue.state(state)
        age = now - received
        sla, due = _sla(status, limits.get(group or ""), age)
        out.append(
            QueueRow(
                id=ident,
                reference=reference,
                state=state,
                state_name=member.name if member else state,
                language=language,
                excerpt=(title or excerpt or "").strip(),
                status=status,
                areas=areas.get(ident, []),
                working_group=group,
                confidence=conf,
                received_at=received,
                age=age,
                sla=sla,
                due_hours=due,
            )
        )
    return out


def _sla(status: str, limits: tuple[int, int] | None, age: timedelta) -> tuple[str, int | None]:
    dispatch_hours, ack_hours = limits or (DEFAULT_DISPATCH_HOURS, DEFAULT_ACK_HOURS)
    if status in BEFORE_DISPATCH:
        due = dispatch_hours
    elif status == RequestStatus.DISPATCHED:
        due = dispatch_hours + ack_hours
    else:
        return "", None
    used = age / timedelta(hours=due)
    return ("bad" if used >= 1 else "warn" if used >= 0.75 else "ok"), due


def status_tabs(page: QueuePage) -> list[tuple[str, int]]:
    """("open", n), each status with its count, ("all", n)."""
    counts = page.counts
    tabs = [("open", sum(counts.get(s.value, 0) for s in OPEN_STATUSES))]
    tabs += [(s.value, counts.get(s.value, 0)) for s in RequestStatus]
    tabs.append(("all", sum(counts.values())))
    return tabs
