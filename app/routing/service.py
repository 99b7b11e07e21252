"""Routing: which working group receives each thematic area, from the dated routing table."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ScalarSelect, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.catalogue.loader import Catalogue
from app.db import table_of, utcnow
from app.errors import InvalidInput, NotFound
from app.routing.models import RoutingRule, WorkingGroup


@dataclass(frozen=True)
class Route:
    area_id: str
    working_group_id: str
    working_group_name: str


def sync_from_catalogue(session: Session, catalogue: Catalogue) -> int:
    """Add the catalogue's working groups and first routing rules where none exist.

    Never overwrites an administrator's edits; returns how many rows were added.
    """
    added = 0
    existing_groups = set(session.scalars(select(WorkingGroup.id)))
    for group in catalogue.working_groups:
        if group.id not in existing_groups:
            session.add(
                WorkingGroup(id=group.id, name=group.name, note=group.note, as_of=group.as_of)
            )
            added += 1
    session.flush()
    routed = set(session.scalars(select(RoutingRule.area_id).distinct()))
    for area in catalogue.areas:
        if area.id not in routed:
            session.add(
                RoutingRule(
                    area_id=area.id,
                    working_group_id=area.working_group,
                    created_by="catalogue",
                    reason="default of the catalogue",
                )
            )
            added += 1
    session.commit()
    return added


_RULES, _GROUPS = table_of(RoutingRule), table_of(WorkingGroup)
# Every rule in force, oldest first within an area: the last one read for an area wins.
_RULE_ORDER = (_RULES.c.area_id, _RULES.c.valid_from, _RULES.c.created_at)


def current_routes(session: Session) -> dict[str, Route]:
    rows = session.execute(
        select(RoutingRule.area_id, RoutingRule.working_group_id, WorkingGroup.name)
        .join(WorkingGroup, WorkingGroup.id == RoutingRule.working_group_id)
        .where(RoutingRule.valid_from <= utcnow())
        .order_by(*_RULE_ORDER)
    )
    return routes_from(rows)


def current_routes_column(now: datetime | BindParameter[datetime]) -> ScalarSelect[Any]:
    """PostgreSQL: the rules of `current_routes` as one JSON array of [area, group id, group
    name] triples, for a statement that reads more than the routes in the same round trip.
    Of table columns, not mapped attributes: such a statement runs as Core, with no ORM
    compilation on each call."""
    rule, group = _RULES.c, _GROUPS.c
    triple = func.json_build_array(rule.area_id, rule.working_group_id, group.name)
    return (
        select(func.json_agg(aggregate_order_by(triple, *_RULE_ORDER)))
        .select_from(_RULES.join(_GROUPS, group.id == rule.working_group_id))
        .where(rule.valid_from <= now)
        .scalar_subquery()
    )


def routes_from(rules: Iterable[Iterable[Any]]) -> dict[str, Route]:
    """The route of each area from its rules in force, in `_RULE_ORDER`."""
    routes: dict[str, Route] = {}
    for area_id, group_id, group_name in rules:
        routes[area_id] = Route(area_id, group_id, group_name)
    return routes


def working_groups(session: Session) -> list[WorkingGroup]:
    return list(session.scalars(select(WorkingGroup).order_by(WorkingGroup.id)))


def set_route(
    session: Session,
    *,
    area_id: str,
    working_group_id: str,
    actor: str,
    reason: str | None,
    known_areas: frozenset[str],
) -> RoutingRule:
    """Route an area to another group from now on; earlier rules stay as history."""
    if area_id not in known_areas:
        raise InvalidInput(f"unknown area {area_id!r}", field="area_id")
    if session.get(WorkingGroup, working_group_id) is None:
        raise NotFound(f"no working group {working_group_id!r}")
    rule = RoutingRule(
        area_id=area_id, working_group_id=working_group_id, created_by=actor, reason=reason
    )
    session.add(rule)
    audit.record(
        session,
        action="routing.changed",
        actor_type="user",
        actor_id=actor,
        details={"area": area_id, "working_group": working_group_id, "reason": reason},
    )
    session.commit()
    return rule


def history(session: Session) -> list[RoutingRule]:
    return list(
        session.scalars(
            select(RoutingRule).order_by(RoutingRule.area_id, RoutingRule.valid_from.desc())
        )
    )
