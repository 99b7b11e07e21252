"""The dashboards' figures as JSON: the monthly workload and the implementation report."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class Spread(BaseModel):
    """How many durations, and their median and 90th percentile in seconds (None if none)."""

    count: int = 0
    p50_seconds: float | None = None
    p90_seconds: float | None = None


class GroupEvents(BaseModel):
    """What happened to one working group's assignments during the month."""

    assigned: int = 0
    dispatched: int = 0
    acknowledged: int = 0
    completed: int = 0
    declined: int = 0
    dispatch_sla_breaches: int = 0
    ack_sla_breaches: int = 0
    to_dispatch: Spread = Field(default_factory=Spread)
    to_acknowledgement: Spread = Field(default_factory=Spread)


class ReviewTally(BaseModel):
    reviews: int = 0
    overridden: int = 0


class EventFigures(BaseModel):
    """The figures timed by events inside the month; final once the month is over."""

    groups: dict[str, GroupEvents] = Field(default_factory=dict)
    to_dispatch: Spread = Field(default_factory=Spread)
    to_acknowledgement: Spread = Field(default_factory=Spread)
    reviews_by_action: dict[str, int] = Field(default_factory=dict)
    # Keyed by the model's primary area ("" when the model said out of scope) and language.
    reviews_by_area: dict[str, ReviewTally] = Field(default_factory=dict)
    reviews_by_language: dict[str, ReviewTally] = Field(default_factory=dict)
    backlog_at_end: int = 0


class TriageSplit(BaseModel):
    auto_routed: int
    needs_review: int
    out_of_scope: int
    share_auto_routed: float | None = Field(description="auto_routed / received")


class ReviewSummary(BaseModel):
    total: int = Field(description="officer decisions (reviews) made during the month")
    overridden: int = Field(description="reviews whose labels overrule the model's")
    override_rate: float | None
    by_action: dict[str, int]


class Times(BaseModel):
    to_triage: Spread = Field(
        description="requests received in the month: receipt to the model's routing, or to "
        "the first officer decision when the model asked for review"
    )
    to_dispatch: Spread = Field(description="assignments dispatched in the month: created → sent")
    to_acknowledgement: Spread = Field(
        description="assignments acknowledged in the month: sent → acknowledged"
    )


class SlaBreaches(BaseModel):
    dispatch: int
    acknowledgement: int


class WorkingGroupRow(GroupEvents):
    id: str
    name: str
    received: int = Field(description="requests received in the month, by current working group")


class AreaCount(BaseModel):
    id: str
    name: str
    count: int


class ParagraphCount(BaseModel):
    number: int
    title: str
    count: int


class RegionCount(BaseModel):
    region: str
    count: int


class SubregionCount(BaseModel):
    region: str
    subregion: str
    count: int


class LanguageCount(BaseModel):
    language: str
    count: int


class OverrideRow(BaseModel):
    key: str
    name: str
    reviews: int
    overridden: int
    rate: float | None


class ConfidenceBin(BaseModel):
    low: float
    high: float
    auto_routed: int
    needs_review: int
    out_of_scope: int
    total: int


class ModelQuality(BaseModel):
    share_auto_routed: float | None
    override_rate: float | None
    override_by_area: list[OverrideRow]
    override_by_language: list[OverrideRow]
    confidence: list[ConfidenceBin]


class TrendSeries(BaseModel):
    id: str
    name: str
    counts: list[int]


class Trend(BaseModel):
    measure: str = "assignments created per month"
    months: list[str]
    working_groups: list[TrendSeries]


class MonthlyStats(BaseModel):
    month: str
    start: datetime
    end: datetime
    generated_at: datetime
    closed: bool = Field(description="the month is over and its event figures are final")
    received: int
    received_without_working_group: int
    triage: TriageSplit
    reviews: ReviewSummary
    backlog_needing_review: int = Field(
        description="requests waiting for an officer's decision at the end of the month "
        "(now, for the current month)"
    )
    statuses: dict[str, int] = Field(description="current status of the requests received")
    times: Times
    sla_breaches: SlaBreaches
    by_working_group: list[WorkingGroupRow]
    by_area: list[AreaCount]
    by_paragraph: list[ParagraphCount]
    by_region: list[RegionCount]
    by_subregion: list[SubregionCount]
    by_language: list[LanguageCount]
    model: ModelQuality
    trend: Trend


class OutcomeRow(BaseModel):
    """Requests received in the period and where they stand now."""

    key: str
    name: str
    received: int
    outcomes: dict[str, int]


class ImplementationReport(BaseModel):
    first_day: date
    last_day: date
    generated_at: datetime
    received: int
    outcomes: dict[str, int]
    by_paragraph: list[OutcomeRow]
    by_region: list[OutcomeRow]
    by_subregion: list[OutcomeRow]
