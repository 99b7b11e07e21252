"""The dashboards' pure parts: periods, percentile interpolation, label bits, charts, exports."""

import csv
import io
import random
from datetime import UTC, date, datetime

import numpy as np
import pytest
from openpyxl import load_workbook

from app.dashboards import charts, exports
from app.dashboards.facts import bits
from app.dashboards.pages import Formats
from app.dashboards.periods import DateRange, InvalidPeriod, Month
from app.dashboards.sql import _interpolated
from app.dashboards.tables import Table, row

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def test_a_month_is_a_half_open_utc_interval() -> None:
    month = Month.parse("2026-12", now=NOW)
    assert (month.start, month.end) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert month.label == "2026-12"
    assert Month.parse(None, now=NOW) == Month(2026, 3)
    assert Month.parse("", now=NOW) == Month(2026, 3)


def test_trailing_months_cross_years_oldest_first() -> None:
    labels = [m.label for m in Month(2026, 2).trailing(12)]
    assert labels[0] == "2025-03"
    assert labels[-2:] == ["2026-01", "2026-02"]


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-01", "march", "2026-03-01"])
def test_a_month_not_written_yyyy_mm_is_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod) as caught:
        Month.parse(text, now=NOW)
    assert caught.value.status_code == 422
    assert caught.value.detail[0]["loc"] == ["query", "month"]


def test_a_date_range_defaults_to_the_year_so_far_and_includes_its_last_day() -> None:
    period = DateRange.parse(None, None, now=NOW)
    assert (period.first, period.last) == (date(2026, 1, 1), date(2026, 3, 15))
    assert period.end == datetime(2026, 3, 16, tzinfo=UTC)
    with pytest.raises(InvalidPeriod):
        DateRange.parse("2026-03-02", "2026-03-01", now=NOW)
    with pytest.raises(InvalidPeriod):
        DateRange.parse("2026-02-30", None, now=NOW)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 10, 11, 37, 101])
def test_percentiles_interpolate_like_percentile_cont(size: int) -> None:
    rng = random.Random(size)
    values = sorted(rng.uniform(0, 10_000) for _ in range(size))
    needed: dict[int, float] = dict(enumerate(values, start=1))
    spread = _interpolated(size, needed)
    assert spread.count == size
    assert spread.p50_seconds == pytest.approx(np.percentile(values, 50), abs=1e-3)
    assert spread.p90_seconds == pytest.approx(np.percentile(values, 90), abs=1e-3)


def test_label_bits_are_read_lowest_first() -> None:
    assert list(bits(0)) == []
    assert list(bits(0b1011)) == [0, 1, 3]
    assert list(bits(1 << 29)) == [29]


def test_charts_escape_labels_and_draw_a_bar_per_row() -> None:
    svg = charts.hbars([("<script>alert(1)</script>", 3), ("Europe", 1)], label="a & b")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count('class="bar"') == 2
    assert 'aria-label="a &amp; b"' in svg
    empty = charts.hbars([], label="nothing")
    assert empty.startswith("<svg")
    assert 'class="bar"' not in empty


def test_trend_chart_draws_twelve_columns() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    svg = charts.sparkbars(months, list(range(12)), label="group")
    assert svg.count("<rect") == 12
    assert "max 11" in svg


def test_exports_keep_spreadsheets_from_running_labels_as_formulas() -> None:
    table = Table("t", "T", "key", "name", ("n",), [row("=HYPERLINK(1)", "+cmd", 1)])
    text = exports.to_csv([table], [("period", "2026-03")]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2] == ["t", "'=HYPERLINK(1)", "'+cmd", "n", "1"]
    book = load_workbook(io.BytesIO(exports.to_xlsx([table], [])), read_only=True)
    assert list(book["T"].iter_rows(values_only=True))[1] == ("'=HYPERLINK(1)", "'+cmd", 1)


def test_durations_read_in_the_best_unit() -> None:
    fmt = Formats("en")
    assert [fmt.duration(s) for s in (None, 2, 90, 7200, 200_000)] == [
        "–",
        "2 s",
        "1.5 min",
        "2.0 h",
        "2.3 d",
    ]
    assert Formats("fr").duration(5400) == "1,5 h"
    assert fmt.percent(0.5) == "50.0%"
