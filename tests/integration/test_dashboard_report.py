"""The implementation report (resolution 2019/21, paragraph 30) on the known data of the
monthly tests: requests and outcomes per operative paragraph and per region, for any range
of UTC days, as JSON, XLSX, CSV and a page."""

import csv
import io
import re
from itertools import zip_longest

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.catalogue.loader import get_catalogue
from tests.integration.test_dashboard_monthly import desk  # noqa: F401  (fixture)

CATALOGUE = get_catalogue()
OUTCOMES = ("pending", "with_working_group", "completed", "declined", "out_of_scope", "duplicate")
# March 2026 by hand: R1 acknowledged and R2 dispatched are with a working group, R3 (waiting
# for review) and R5 (confirmed, not dispatched) are pending, R4 is out of scope, R6 completed.
MARCH = {
    "pending": 2,
    "with_working_group": 2,
    "completed": 1,
    "declined": 0,
    "out_of_scope": 1,
    "duplicate": 0,
}
PARAGRAPHS = {
    13: {"with_working_group": 1},
    14: {"with_working_group": 1},
    9: {"with_working_group": 1},
    26: {"pending": 1},
    23: {"pending": 1},
    20: {"completed": 1},
}
REGIONS = {
    "Africa": {"pending": 1, "with_working_group": 1},
    "Americas": {"with_working_group": 1},
    "Asia": {"pending": 1},
    "Europe": {"out_of_scope": 1, "completed": 1},
    "Oceania": {},
}


def _outcomes(counts: dict[str, int]) -> dict[str, int]:
    return {o: counts.get(o, 0) for o in OUTCOMES}


def test_report_counts_outcomes_per_paragraph_and_region(desk: TestClient) -> None:  # noqa: F811
    response = desk.get("/api/v1/stats/implementation?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["first_day"], data["last_day"]) == ("2026-03-01", "2026-03-31")
    assert data["received"] == 6
    assert data["outcomes"] == MARCH
    assert [(r["key"], r["received"], r["outcomes"]) for r in data["by_paragraph"]] == [
        (
            str(p.number),
            sum(PARAGRAPHS.get(p.number, {}).values()),
            _outcomes(PARAGRAPHS.get(p.number, {})),
        )
        for p in CATALOGUE.paragraphs
    ]
    assert [(r["key"], r["received"], r["outcomes"]) for r in data["by_region"]] == [
        (region, sum(counts.values()), _outcomes(counts)) for region, counts in REGIONS.items()
    ]
    subregions = {r["name"]: r["received"] for r in data["by_subregion"] if r["received"]}
    assert subregions == {
        "Western Africa": 1,
        "Northern Africa": 1,
        "Central America": 1,
        "Eastern Asia": 1,
        "Western Europe": 1,
        "Eastern Europe": 1,
    }


def test_report_days_are_whole_utc_days_both_included(desk: TestClient) -> None:  # noqa: F811
    # 20 February (R8) to 1 March: R8, R0 at 23:59:59 on the 28th, R1 at 00:00:00 on 1 March.
    data = desk.get("/api/v1/stats/implementation?from=2026-02-20&to=2026-03-01").json()
    assert data["received"] == 3
    assert data["outcomes"] == _outcomes(
        {"out_of_scope": 1, "completed": 1, "with_working_group": 1}
    )
    only_april_first = desk.get("/api/v1/stats/implementation?from=2026-04-01&to=2026-04-01")
    assert only_april_first.json()["received"] == 1
    nothing = desk.get("/api/v1/stats/implementation?from=2025-01-01&to=2025-12-31").json()
    assert nothing["received"] == 0
    assert all(r["received"] == 0 for r in nothing["by_paragraph"] + nothing["by_region"])


def test_report_xlsx_and_csv_carry_the_same_figures(desk: TestClient) -> None:  # noqa: F811
    base = "/api/v1/stats/implementation?from=2026-03-01&to=2026-03-31"
    book = load_workbook(io.BytesIO(desk.get(f"{base}&format=xlsx").content), read_only=True)
    assert book.sheetnames == ["About", "Summary", "Paragraphs", "Regions", "Subregions"]
    rows = list(book["Paragraphs"].iter_rows(values_only=True))
    assert list(rows[0]) == ["number", "title", "received", *OUTCOMES]
    table = {r[0]: dict(zip_longest(rows[0], r)) for r in rows[1:]}
    for p in CATALOGUE.paragraphs:
        expected = PARAGRAPHS.get(p.number, {})
        assert table[str(p.number)]["received"] == sum(expected.values())
        assert {o: table[str(p.number)][o] for o in OUTCOMES} == _outcomes(expected)
    regions = list(book["Regions"].iter_rows(values_only=True))
    assert {r[0]: r[2] for r in regions[1:]} == {k: sum(v.values()) for k, v in REGIONS.items()}
    summary = {r[0]: r[2] for r in book["Summary"].iter_rows(values_only=True)}
    assert summary["received"] == 6
    assert {o: summary[o] for o in OUTCOMES} == MARCH
    response = desk.get(f"{base}&format=csv")
    assert (
        "ct-triage-implementation-2026-03-01-2026-03-31.csv"
        in (response.headers["content-disposition"])
    )
    found = {
        (s, k, m): v
        for s, k, _, m, v in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    }
    assert found[("paragraph", "26", "pending")] == "1"
    assert found[("region", "Europe", "completed")] == "1"
    assert found[("summary", "with_working_group", "value")] == "2"


def test_report_page_shows_the_figures(desk: TestClient) -> None:  # noqa: F811
    response = desk.get("/dashboards/implementation?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    shown = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', response.text))
    assert shown["received"] == "6"
    assert {o: shown[f"outcome.{o}"] for o in OUTCOMES} == {o: str(n) for o, n in MARCH.items()}
    for p in CATALOGUE.paragraphs:
        expected = PARAGRAPHS.get(p.number, {})
        assert shown[f"paragraph.{p.number}.received"] == str(sum(expected.values()))
        for outcome in OUTCOMES:
            assert shown[f"paragraph.{p.number}.{outcome}"] == str(expected.get(outcome, 0))
    for region, counts in REGIONS.items():
        assert shown[f"region.{region}.received"] == str(sum(counts.values()))
    assert response.text.count("<svg") == 2


def test_report_refuses_bad_dates(desk: TestClient) -> None:  # noqa: F811
    for query in ("from=2026-03-31&to=2026-03-01", "from=31/03/2026", "to=2026-02-30"):
        response = desk.get(f"/api/v1/stats/implementation?{query}")
        assert response.status_code == 422, query
        assert response.json()["error"] == "validation_error"
