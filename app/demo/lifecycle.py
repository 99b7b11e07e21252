"""What happens to a synthetic request after intake: an officer's review and the clocks of its
working groups' assignments, each step kept only if it happened before `now`."""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.demo.profiles import lognormal_hours
from app.dispatch.models import AssignmentStatus

REVIEWERS = ("a.haddad", "m.dupont", "l.chen", "o.petrova", "c.ramirez", "j.smith")
DECLINE_REASONS = (
    "outside the group's current workplan",
    "covered by a bilateral programme already under way",
    "the requesting authority withdrew the request",
)
DISPATCH_SLIP = 0.03  # share of assignments a dispatcher outage holds for hours
DECLINE_SHARE = 0.1
HELD_SHARE = 0.05  # decided requests an officer holds back from dispatch


@dataclass(frozen=True)
class Labels:
    """A request's labels in the shape the desk records in reviews."""

    areas: tuple[str, ...] = ()
    paragraphs: tuple[int, ...] = ()
    working_group: str | None = None
    out_of_scope: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "areas": list(self.areas),
            "paragraphs": list(self.paragraphs),
            "working_group": self.working_group,
            "co_groups": [],
            "out_of_scope": self.out_of_scope,
        }

    def overrides(self, model: "Labels") -> bool:
        """As the desk decides it: another set of areas, or the other side of the scope line."""
        return self.out_of_scope != model.out_of_scope or set(self.areas) != set(model.areas)


def review_delay(rng: random.Random) -> timedelta:
    return timedelta(hours=lognormal_hours(rng, 18, 1.1))


def dispatch_delay(rng: random.Random) -> timedelta | None:
    """How long after a decision an officer orders the dispatch; None when the request waits
    for something else first (a clarification from the requesting State, a joint activity)."""
    if rng.random() < HELD_SHARE:
        return None
    return timedelta(hours=lognormal_hours(rng, 1.5, 1.0))


def assignment(
    rng: random.Random,
    *,
    request_id: uuid.UUID,
    group: str,
    primary: bool,
    created: datetime,
    now: datetime,
) -> tuple[tuple[Any, ...], str]:
    """An assignment row (in ASSIGNMENT_COLUMNS order) and its status at `now`."""
    slipped = rng.random() < DISPATCH_SLIP
    hours = rng.uniform(20, 60) if slipped else lognormal_hours(rng, 0.03, 1.2)
    dispatched = created + timedelta(hours=hours)
    acknowledged = dispatched + timedelta(hours=lognormal_hours(rng, 20, 0.9))
    started: datetime | None = acknowledged + timedelta(hours=lognormal_hours(rng, 60, 0.8))
    closed = (started or acknowledged) + timedelta(hours=lognormal_hours(rng, 24 * 35, 0.7))
    declined = rng.random() < DECLINE_SHARE
    if declined and rng.random() < 0.5:
        # Declined after acknowledging, without starting.
        started, closed = None, acknowledged + timedelta(hours=lognormal_hours(rng, 30, 0.8))
    end = AssignmentStatus.DECLINED if declined else AssignmentStatus.COMPLETED
    status = AssignmentStatus.PENDING
    reached: dict[str, datetime | None] = dict.fromkeys(("d", "a", "s", "c"))
    for key, moment, step in (
        ("d", dispatched, AssignmentStatus.DISPATCHED),
        ("a", acknowledged, AssignmentStatus.ACKNOWLEDGED),
        ("s", started, AssignmentStatus.IN_PROGRESS),
        ("c", closed, end),
    ):
        if moment is None:
            continue
        if moment > now:
            break
        reached[key], status = moment, step
    row = (
        uuid.uuid4(),
        request_id,
        group,
        primary,
        status.value,
        created,
        reached["d"],
        reached["a"],
        reached["s"],
        reached["c"],
        rng.choice(DECLINE_REASONS) if status == AssignmentStatus.DECLINED else None,
        1 if reached["d"] else 0,
    )
    return row, status.value
