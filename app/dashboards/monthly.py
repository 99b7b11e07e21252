"""The monthly workload: one read of the synced facts, the month's event figures and a
twelve-month trend, assembled into MonthlyStats."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.catalogue.loader import LANGUAGES, Catalogue
from app.dashboards import facts, snapshots
from app.dashboards import figures as request_figures
from app.dashboards.periods import Month
from app.dashboards.schemas import (
    AreaCount,
    ConfidenceBin,
    EventFigures,
    GroupEvents,
    LanguageCount,
    ModelQuality,
    MonthlyStats,
    OverrideRow,
    ParagraphCount,
    RegionCount,
    ReviewSummary,
    ReviewTally,
    SlaBreaches,
    SubregionCount,
    Times,
    Trend,
    TrendSeries,
    TriageSplit,
    WorkingGroupRow,
)
from app.intake.models import RequestStatus
from app.routing import service as routing_service

TREND_MONTHS = 12
UNKNOWN = "unknown"
UNKNOWN_REGION = "Unknown"
OUT_OF_SCOPE_KEY = "out-of-scope"


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def regions(
    catalogue: Catalogue, by_state: dict[str, int]
) -> tuple[list[RegionCount], list[SubregionCount]]:
    """Fold per-State counts into M49 regions and sub-regions (every one listed, zeros too)."""
    region_totals: dict[str, int] = {r: 0 for r in sorted({s.region for s in catalogue.states})}
    sub_totals: dict[tuple[str, str], int] = {
        key: 0 for key in sorted({(s.region, s.subregion) for s in catalogue.states})
    }
    for iso3, n in by_state.items():
        state = catalogue.state(iso3)
        if state is None:
            region_totals[UNKNOWN_REGION] = region_totals.get(UNKNOWN_REGION, 0) + n
            key = (UNKNOWN_REGION, UNKNOWN_REGION)
            sub_totals[key] = sub_totals.get(key, 0) + n
            continue
        region_totals[state.region] += n
        sub_totals[(state.region, state.subregion)] += n
    return (
        [RegionCount(region=r, count=n) for r, n in region_totals.items()],
        [SubregionCount(region=r, subregion=s, count=n) for (r, s), n in sub_totals.items()],
    )


def _overrides(
    tallies: dict[str, ReviewTally], keys: list[tuple[str, str, str]]
) -> list[OverrideRow]:
    """One row per (stored key, shown key, name), then any key the list did not name."""
    rows = []
    named = set()
    for stored, shown, name in keys:
        tally = tallies.get(stored, ReviewTally())
        named.add(stored)
        rows.append(
            OverrideRow(
                key=shown,
                name=name,
                reviews=tally.reviews,
                overridden=tally.overridden,
                rate=rate(tally.overridden, tally.reviews),
            )
        )
    for stored, tally in sorted(tallies.items()):
        if stored not in named:
            rows.append(
                OverrideRow(
                    key=stored or UNKNOWN,
                    name=stored or UNKNOWN,
                    reviews=tally.reviews,
                    overridden=tally.overridden,
                    rate=rate(tally.overridden, tally.reviews),
                )
            )
    return rows


def _confidence(found: request_figures.RequestFigures) -> list[ConfidenceBin]:
    bins = []
    for b in range(request_figures.BINS):
        counts = {"auto_routed": 0, "needs_review": 0, "out_of_scope": 0}
        for (decision, _, key), n in found.by_decision_language_bin.items():
            if key == b and decision in counts:
                counts[decision] += n
        bins.append(
            ConfidenceBin(
                low=b / request_figures.BINS,
                high=(b + 1) / request_figures.BINS,
                total=sum(counts.values()),
                **counts,
            )
        )
    return bins


def _groups(
    session: Session,
    catalogue: Catalogue,
    found: request_figures.RequestFigures,
    events: EventFigures,
) -> list[WorkingGroupRow]:
    names = {g.id: g.name for g in catalogue.working_groups}
    names.update({g.id: g.name for g in routing_service.working_groups(session)})
    received: dict[str, int] = {}
    for (_, group), n in found.by_status_group.items():
        if group is not None:
            received[group] = received.get(group, 0) + n
    ids = list(names) + sorted((set(received) | set(events.groups)) - set(names))
    return [
        WorkingGroupRow(
            id=g,
            name=names.get(g, g),
            received=received.get(g, 0),
            **events.groups.get(g, GroupEvents()).model_dump(),
        )
        for g in ids
    ]


def _trend(
    session: Session,
    month: Month,
    events: EventFigures,
    rows: list[WorkingGroupRow],
    now: datetime,
    *,
    store: bool,
) -> Trend:
    months = month.trailing(TREND_MONTHS)
    per_month = snapshots.assigned_per_month(
        session, months, now=now, known={month.label: events}, store=store
    )
    return Trend(
        months=[m.label for m in months],
        working_groups=[
            TrendSeries(
                id=row.id,
                name=row.name,
                counts=[per_month.get(m.label, {}).get(row.id, 0) for m in months],
            )
            for row in rows
        ],
    )


def prepare(session: Session, *, month: Month, catalogue: Catalogue, now: datetime) -> None:
    """What `monthly_stats` writes, alone: the month's facts, and the snapshots of the month
    and of the closed months of its trend (flushes, never commits)."""
    facts.sync(session, start=month.start, end=month.end, catalogue=catalogue)
    closed = [m for m in month.trailing(TREND_MONTHS) if snapshots.is_closed(m, now)]
    snapshots.event_figures(session, sorted({month, *closed}), now=now)


def monthly_stats(
    session: Session, *, month: Month, catalogue: Catalogue, now: datetime, writable: bool = True
) -> MonthlyStats:
    """Every figure of one month, as known at `now`. Brings the month's facts and snapshots
    up to date and commits that once; the figures themselves are only read. Not `writable`
    (a replica), it reads what `prepare` left on the primary and writes nothing."""
    found = request_figures.collect(
        session, start=month.start, end=month.end, catalogue=catalogue, sync=writable
    )
    (events,) = snapshots.event_figures(session, [month], now=now, store=writable)
    by_decision = found.by_decision()
    received = found.received
    rows = _groups(session, catalogue, found, events)
    statuses = {s.value: 0 for s in RequestStatus}
    for (status, _), n in found.by_status_group.items():
        statuses[status] = statuses.get(status, 0) + n
    reviews_total = sum(events.reviews_by_action.values())
    overridden = sum(t.overridden for t in events.reviews_by_area.values())
    by_region, by_subregion = regions(catalogue, dict(found.by_state))
    languages = found.by_language()
    language_rows = [
        LanguageCount(language=lang, count=languages.get(lang, 0)) for lang in LANGUAGES
    ]
    extra = sum(n for lang, n in languages.items() if lang not in LANGUAGES)
    if extra:
        language_rows.append(LanguageCount(language=UNKNOWN, count=extra))
    area_totals = found.area_totals(len(catalogue.areas))
    paragraph_totals = found.paragraph_totals()
    share = rate(by_decision.get("auto_routed", 0), received)
    trend = _trend(session, month, events, rows, now, store=writable)
    if writable:
        session.commit()
    return MonthlyStats(
        month=month.label,
        start=month.start,
        end=month.end,
        generated_at=now,
        closed=snapshots.is_closed(month, now),
        received=received,
        received_without_working_group=sum(
            n for (_, group), n in found.by_status_group.items() if group is None
        ),
        triage=TriageSplit(
            auto_routed=by_decision.get("auto_routed", 0),
            needs_review=by_decision.get("needs_review", 0),
            out_of_scope=by_decision.get("out_of_scope", 0),
            share_auto_routed=share,
        ),
        reviews=ReviewSummary(
            total=reviews_total,
            overridden=overridden,
            override_rate=rate(overridden, reviews_total),
            by_action={
                a: events.reviews_by_action.get(a, 0)
                for a in ("confirm", "correct", "out_of_scope", "duplicate")
            },
        ),
        backlog_needing_review=events.backlog_at_end,
        statuses=statuses,
        times=Times(
            to_triage=found.to_triage,
            to_dispatch=events.to_dispatch,
            to_acknowledgement=events.to_acknowledgement,
        ),
        sla_breaches=SlaBreaches(
            dispatch=sum(r.dispatch_sla_breaches for r in rows),
            acknowledgement=sum(r.ack_sla_breaches for r in rows),
        ),
        by_working_group=rows,
        by_area=[
            AreaCount(id=a.id, name=a.name, count=area_totals[i])
            for i, a in enumerate(catalogue.areas)
        ],
        by_paragraph=[
            ParagraphCount(number=p.number, title=p.title, count=paragraph_totals[p.number - 1])
            for p in catalogue.paragraphs
        ],
        by_region=by_region,
        by_subregion=by_subregion,
        by_language=language_rows,
        model=ModelQuality(
            share_auto_routed=share,
            override_rate=rate(overridden, reviews_total),
            override_by_area=_overrides(
                events.reviews_by_area,
                [(a.id, a.id, a.name) for a in catalogue.areas]
                + [("", OUT_OF_SCOPE_KEY, "Out of scope (model)")],
            ),
            override_by_language=_overrides(
                events.reviews_by_language, [(lang, lang, lang) for lang in LANGUAGES]
            ),
            confidence=_confidence(found),
        ),
        trend=trend,
    )
