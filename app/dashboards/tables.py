"""The dashboards' figures as named tables: one sheet each in XLSX, one section each in CSV."""

from dataclasses import dataclass

from app.dashboards.report import OUTCOME_LABELS, OUTCOMES
from app.dashboards.schemas import ImplementationReport, MonthlyStats, OutcomeRow, Spread

Value = int | float | str | None
Row = tuple[str, str | None, list[Value]]
GROUP_METRICS = (
    "received", "assigned", "dispatched", "acknowledged", "completed", "declined",
    "dispatch_sla_breaches", "ack_sla_breaches", "to_dispatch_count", "to_dispatch_p50_seconds",
    "to_dispatch_p90_seconds", "to_acknowledgement_count", "to_acknowledgement_p50_seconds",
    "to_acknowledgement_p90_seconds",
)  # fmt: skip
OVERRIDE_METRICS = ("reviews", "overridden", "rate")
SPREAD_METRICS = ("count", "p50_seconds", "p90_seconds")


@dataclass(frozen=True)
class Table:
    name: str  # the CSV section
    title: str  # the XLSX sheet (at most 31 characters)
    key: str
    label: str | None
    metrics: tuple[str, ...]
    rows: list[Row]


def row(key: str, label: str | None, *values: Value) -> Row:
    return (key, label, list(values))


def _spread(spread: Spread) -> tuple[Value, ...]:
    return (spread.count, spread.p50_seconds, spread.p90_seconds)


def _summary(stats: MonthlyStats) -> list[Row]:
    triage, reviews, sla = stats.triage, stats.reviews, stats.sla_breaches
    return [
        row("received", "Requests received", stats.received),
        row("received_without_working_group", "Received without a working group",
            stats.received_without_working_group),
        row("auto_routed", "Routed automatically by the model", triage.auto_routed),
        row("needs_review", "Sent to review by the model", triage.needs_review),
        row("out_of_scope", "Out of scope (model)", triage.out_of_scope),
        row("share_auto_routed", "Share routed automatically", triage.share_auto_routed),
        row("reviews", "Officer reviews", reviews.total),
        row("overridden", "Reviews overriding the model", reviews.overridden),
        row("override_rate", "Override rate", reviews.override_rate),
        *(row(f"reviews_{a}", f"Reviews: {a.replace('_', ' ')}", n)
          for a, n in reviews.by_action.items()),
        row("backlog_needing_review", "Backlog needing review at month end",
            stats.backlog_needing_review),
        row("dispatch_sla_breaches", "Dispatch SLA breaches", sla.dispatch),
        row("ack_sla_breaches", "Acknowledgement SLA breaches", sla.acknowledgement),
    ]  # fmt: skip


def monthly_tables(stats: MonthlyStats) -> list[Table]:
    times = stats.times
    model = stats.model
    return [
        Table("summary", "Summary", "figure", "description", ("value",), _summary(stats)),
        Table("status", "Statuses", "status", None, ("requests",),
              [row(s, None, n) for s, n in stats.statuses.items()]),
        Table("time", "Times", "measure", None, SPREAD_METRICS,
              [row(name, None, *_spread(getattr(times, name)))
               for name in ("to_triage", "to_dispatch", "to_acknowledgement")]),
        Table("working_group", "Working groups", "id", "name", GROUP_METRICS,
              [row(g.id, g.name, g.received, g.assigned, g.dispatched, g.acknowledged,
                   g.completed, g.declined, g.dispatch_sla_breaches, g.ack_sla_breaches,
                   *_spread(g.to_dispatch), *_spread(g.to_acknowledgement))
               for g in stats.by_working_group]),
        Table("area", "Areas", "id", "name", ("requests",),
              [row(a.id, a.name, a.count) for a in stats.by_area]),
        Table("paragraph", "Paragraphs", "number", "title", ("requests",),
              [row(str(p.number), p.title, p.count) for p in stats.by_paragraph]),
        Table("region", "Regions", "region", None, ("requests",),
              [row(r.region, None, r.count) for r in stats.by_region]),
        Table("subregion", "Subregions", "subregion", "region", ("requests",),
              [row(r.subregion, r.region, r.count) for r in stats.by_subregion]),
        Table("language", "Languages", "language", None, ("requests",),
              [row(x.language, None, x.count) for x in stats.by_language]),
        Table("override_by_area", "Overrides by area", "area", "name", OVERRIDE_METRICS,
              [row(o.key, o.name, o.reviews, o.overridden, o.rate)
               for o in model.override_by_area]),
        Table("override_by_language", "Overrides by language", "language", None,
              OVERRIDE_METRICS,
              [row(o.key, None, o.reviews, o.overridden, o.rate)
               for o in model.override_by_language]),
        Table("confidence", "Confidence", "bin", None,
              ("auto_routed", "needs_review", "out_of_scope", "total"),
              [row(f"{b.low:.1f}-{b.high:.1f}", None, b.auto_routed, b.needs_review,
                   b.out_of_scope, b.total)
               for b in model.confidence]),
        Table("trend", "Trend", "id", "name", tuple(stats.trend.months),
              [row(s.id, s.name, *s.counts) for s in stats.trend.working_groups]),
    ]  # fmt: skip


def _outcomes(rows: list[OutcomeRow]) -> list[Row]:
    return [row(r.key, r.name, r.received, *(r.outcomes[o] for o in OUTCOMES)) for r in rows]


def report_tables(report: ImplementationReport) -> list[Table]:
    metrics = ("received", *OUTCOMES)
    summary = [
        row("received", "Requests received", report.received),
        *(row(o, OUTCOME_LABELS[o], report.outcomes[o]) for o in OUTCOMES),
    ]
    return [
        Table("summary", "Summary", "figure", "description", ("value",), summary),
        Table("paragraph", "Paragraphs", "number", "title", metrics,
              _outcomes(report.by_paragraph)),
        Table("region", "Regions", "region", "name", metrics, _outcomes(report.by_region)),
        Table("subregion", "Subregions", "subregion", "name", metrics,
              _outcomes(report.by_subregion)),
    ]  # fmt: skip
