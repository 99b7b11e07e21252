"""Reporting periods in UTC: a calendar month (`YYYY-MM`) or an inclusive range of days."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.errors import AppError

_MONTH = re.compile(r"(\d{4})-(\d{2})")
MIN_YEAR, MAX_YEAR = 1900, 9998


class InvalidPeriod(AppError):
    status_code = 422
    code = "validation_error"

    def __init__(self, message: str, *, field: str):
        super().__init__(
            message, detail=[{"loc": ["query", field], "msg": message, "type": "value_error"}]
        )


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def containing(cls, moment: datetime) -> "Month":
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, value: str | None, *, now: datetime) -> "Month":
        """`YYYY-MM`, or the month of `now` when absent; raises InvalidPeriod otherwise."""
        if value is None or value == "":
            return cls.containing(now)
        match = _MONTH.fullmatch(value.strip())
        if not match:
            raise InvalidPeriod("month must be written YYYY-MM, e.g. 2026-03", field="month")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"there is no month {month:02d}", field="month")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InvalidPeriod(f"year {year} is out of range", field="month")
        return cls(year, month)

    def shift(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def trailing(self, count: int) -> list["Month"]:
        """The `count` months ending with this one, oldest first."""
        return [self.shift(-k) for k in range(count - 1, -1, -1)]

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (the period is [start, end))."""
        return self.shift(1).start

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from `first` to `last`, both included."""

    first: date
    last: date

    @classmethod
    def parse(cls, first: str | None, last: str | None, *, now: datetime) -> "DateRange":
        """Defaults: from 1 January of the current year to today; raises InvalidPeriod."""
        today = now.astimezone(UTC).date()
        start = _day(first, "from") if first else date(today.year, 1, 1)
        stop = _day(last, "to") if last else today
        if stop < start:
            raise InvalidPeriod("'to' must not be before 'from'", field="to")
        return cls(start, stop)

    @property
    def start(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime(self.last.year, self.last.month, self.last.day, tzinfo=UTC) + timedelta(
            days=1
        )


def _day(value: str, field: str) -> date:
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidPeriod(f"{field} must be a date written YYYY-MM-DD", field=field) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidPeriod(f"year {parsed.year} is out of range", field=field)
    return parsed
