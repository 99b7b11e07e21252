"""What the dashboard pages show beyond the figures: charts, number and duration formats, and
the links between months."""

from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from app.dashboards import charts
from app.dashboards.charts import Stack
from app.dashboards.periods import Month
from app.dashboards.report import OUTCOME_LABELS, OUTCOMES
from app.dashboards.schemas import ImplementationReport, MonthlyStats

LANGUAGE_NAMES = {
    "ar": "Arabic",
    "zh": "Chinese",
    "en": "English",
    "fr": "French",
    "ru": "Russian",
    "es": "Spanish",
    "unknown": "Unknown",
}


@dataclass(frozen=True)
class Formats:
    """Locale-aware formats the templates call."""

    locale: str

    def number(self, value: float | None) -> str:
        return "–" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value: float | None) -> str:
        if value is None:
            return "–"
        return format_percent(value, format="#,##0.0%", locale=self.locale)

    def duration(self, seconds: float | None) -> str:
        """Seconds, minutes, hours or days, whichever reads best."""
        if seconds is None:
            return "–"
        for limit, size, unit in ((60, 1, "s"), (3600, 60, "min"), (172_800, 3600, "h")):
            if seconds < limit:
                value = seconds / size
                digits = "#,##0" if unit == "s" else "#,##0.0"
                return f"{format_decimal(value, format=digits, locale=self.locale)} {unit}"
        days = format_decimal(seconds / 86400, format="#,##0.0", locale=self.locale)
        return f"{days} d"


def monthly_charts(stats: MonthlyStats) -> dict[str, Markup | list[tuple[str, Markup]]]:
    by_area = sorted(stats.by_area, key=lambda a: (-a.count, a.name))
    return {
        "areas": charts.hbars([(a.name, a.count) for a in by_area], label="Requests by area"),
        "paragraphs": charts.hbars(
            [(f"¶{p.number} {p.title}", p.count) for p in stats.by_paragraph],
            label="Requests by operative paragraph",
        ),
        "regions": charts.hbars(
            [(r.region, r.count) for r in stats.by_region], label="Requests by region (UN M49)"
        ),
        "languages": charts.hbars(
            [(LANGUAGE_NAMES.get(x.language, x.language), x.count) for x in stats.by_language],
            label="Requests by language",
        ),
        "groups": charts.hbars(
            [(g.name, g.received) for g in stats.by_working_group],
            label="Requests by working group",
        ),
        "confidence": charts.stacked_columns(
            [
                (
                    f"{b.low:.1f}",
                    [
                        Stack("routed", b.auto_routed, "auto"),
                        Stack("review", b.needs_review, "review"),
                        Stack("out of scope", b.out_of_scope, "oos"),
                    ],
                )
                for b in stats.model.confidence
            ],
            label="Model confidence of the requests received, by decision",
        ),
        "trend": [
            (
                series.name,
                charts.sparkbars(
                    stats.trend.months, series.counts, label=f"{series.name}: assignments per month"
                ),
            )
            for series in stats.trend.working_groups
        ],
    }


def report_charts(found: ImplementationReport) -> dict[str, Markup]:
    return {
        "paragraphs": charts.hbars(
            [(f"¶{r.key} {r.name}", r.received) for r in found.by_paragraph],
            label="Requests by operative paragraph",
        ),
        "regions": charts.hbars(
            [(r.name, r.received) for r in found.by_region], label="Requests by region (UN M49)"
        ),
    }


def month_links(stats: MonthlyStats) -> dict[str, str]:
    month = Month.parse(stats.month, now=stats.generated_at)
    return {"previous": month.shift(-1).label, "next": month.shift(1).label}


OUTCOME_COLUMNS = [(o, OUTCOME_LABELS[o]) for o in OUTCOMES]
