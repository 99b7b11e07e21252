"""Administration from the desk: portal keys, working-group keys and webhooks, and the routing
table. Keys and webhooks are made by their owners' services (auth, dispatch, webhooks); this
module adds who did it to the audit trail."""

import uuid
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.models import PortalClient
from app.auth.sessions import DeskIdentity
from app.catalogue.loader import Catalogue
from app.desk import trail
from app.dispatch import keys as group_keys
from app.dispatch.models import WorkingGroupKey
from app.errors import InvalidInput, NotFound
from app.routing import service as routing_service
from app.routing.models import RoutingRule, WorkingGroup
from app.webhooks import service as webhooks
from app.webhooks.egress import EgressPolicy
from app.webhooks.schemas import GROUP_EVENTS, WebhookCreate, WebhookCreated, WebhookRead


def _uuid(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"no such {what}") from None


@dataclass(frozen=True)
class Secret:
    """A key or signing secret to show once, with what it belongs to."""

    kind: str  # "portal_key", "group_key" or "webhook_secret"
    owner: str
    label: str
    value: str


def portal_keys(session: Session) -> list[PortalClient]:
    return auth_service.list_api_keys(session)


def create_portal_key(
    session: Session, *, state: str, name: str, identity: DeskIdentity, catalogue: Catalogue
) -> Secret:
    issued = auth_service.create_api_key(
        session,
        state_iso3=state,
        name=name.strip()[:200] or None,
        known_states=frozenset(s.iso3 for s in catalogue.states),
    )
    trail.record(
        session,
        identity,
        "admin.portal_key_created",
        details={"client_id": str(issued.client.id), "state": issued.client.state_iso3},
    )
    session.commit()
    return Secret("portal_key", issued.client.state_iso3, issued.client.name, issued.key)


def revoke_portal_key(session: Session, key_id: str, *, identity: DeskIdentity) -> PortalClient:
    return auth_service.revoke_api_key(
        session, _uuid(key_id, "portal key"), actor=str(identity.user.id)
    )


def group_key_list(session: Session) -> list[WorkingGroupKey]:
    return list(
        session.scalars(
            select(WorkingGroupKey).order_by(
                WorkingGroupKey.working_group_id, WorkingGroupKey.created_at.desc()
            )
        )
    )


def create_group_key(session: Session, *, group: str, name: str, identity: DeskIdentity) -> Secret:
    issued = group_keys.create_key(session, working_group_id=group, name=name.strip()[:200] or None)
    trail.record(
        session,
        identity,
        "admin.group_key_created",
        details={"key_id": str(issued.key_row.id), "working_group": group},
    )
    session.commit()
    return Secret("group_key", group, issued.key_row.name, issued.key)


def revoke_group_key(session: Session, key_id: str, *, identity: DeskIdentity) -> None:
    row = group_keys.revoke_key(session, _uuid(key_id, "working-group key"))
    trail.record(
        session,
        identity,
        "admin.group_key_revoked",
        details={"key_id": str(row.id), "working_group": row.working_group_id},
    )
    session.commit()


def _owner(session: Session, group: str) -> webhooks.WebhookOwner:
    found = session.get(WorkingGroup, group)
    if found is None:
        raise NotFound(f"no working group {group!r}")
    return webhooks.WebhookOwner(kind="working_group", id=found.id, label=found.name)


def group_webhooks(session: Session, groups: list[WorkingGroup]) -> dict[str, list[WebhookRead]]:
    return {
        g.id: webhooks.list_for(
            session, owner=webhooks.WebhookOwner(kind="working_group", id=g.id, label=g.name)
        ).items
        for g in groups
    }


def create_webhook(
    session: Session,
    *,
    group: str,
    url: str,
    events: list[str],
    description: str,
    identity: DeskIdentity,
    egress: EgressPolicy,
) -> Secret:
    owner = _owner(session, group)
    try:
        body = WebhookCreate(
            url=url, events=events or None, description=description.strip() or None
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "url"
        raise InvalidInput(str(first.get("msg", "invalid webhook")), field=field) from None
    created: WebhookCreated = webhooks.create(session, body, owner=owner, egress=egress)
    trail.record(
        session,
        identity,
        "admin.webhook_created",
        details={"subscription_id": created.id, "working_group": group, "url": created.url},
    )
    session.commit()
    return Secret("webhook_secret", group, created.url, created.secret)


def delete_webhook(
    session: Session, *, group: str, subscription_id: str, identity: DeskIdentity
) -> None:
    webhooks.delete(session, subscription_id, owner=_owner(session, group))
    trail.record(
        session,
        identity,
        "admin.webhook_deleted",
        details={"subscription_id": subscription_id, "working_group": group},
    )
    session.commit()


@dataclass(frozen=True)
class RoutingTable:
    current: dict[str, str]  # area id → working group id
    groups: list[WorkingGroup]
    history: list[RoutingRule]


def routing_table(session: Session) -> RoutingTable:
    return RoutingTable(
        current={a: r.working_group_id for a, r in routing_service.current_routes(session).items()},
        groups=routing_service.working_groups(session),
        history=routing_service.history(session),
    )


def set_route(
    session: Session,
    *,
    area: str,
    group: str,
    reason: str,
    identity: DeskIdentity,
    catalogue: Catalogue,
) -> RoutingRule:
    """A new dated rule from now on; the routing service commits and keeps the history."""
    return routing_service.set_route(
        session,
        area_id=area,
        working_group_id=group,
        actor=identity.user.username,
        reason=reason.strip()[:1000] or None,
        known_areas=frozenset(catalogue.area_ids),
    )


WEBHOOK_EVENTS = GROUP_EVENTS
