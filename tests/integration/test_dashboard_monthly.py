"""The monthly dashboard on known data: every figure of March 2026, checked against values
computed by hand, in the JSON, the CSV, the XLSX and the page, on each backend.

The data straddle the month's UTC boundaries (a request at 23:59:59 on 28 February and at
00:00:00 on 1 March, at 23:59:59 on 31 March and at 00:00:00 on 1 April), and events of
February requests fall in March (and of March requests in April).
"""

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from itertools import zip_longest

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.catalogue.loader import get_catalogue
from app.desk.models import Review
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph
from tests.desk_support import sign_in
from tests.factories import user

CATALOGUE = get_catalogue()
GROUPS = [g.id for g in CATALOGUE.working_groups]


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _request(
    session: Session,
    name: str,
    received: str,
    state: str,
    language: str,
    decision: str,
    confidence: float,
    status: str,
    areas: tuple[str, ...] = (),
    paragraphs: tuple[int, ...] = (),
    group: str | None = None,
    triage_seconds: float = 0,
) -> AssistanceRequest:
    at = t(received)
    request = AssistanceRequest(
        id=uuid.uuid4(),
        reference=f"TA-2026-9{name[1:]:>05}",
        requesting_state=state,
        body=f"known request {name}",
        language=language,
        status=status,
        received_at=at,
        triaged_at=at + timedelta(seconds=triage_seconds),
        decision=decision,
        confidence=confidence,
        primary_area=areas[0] if areas else None,
        working_group_id=group,
    )
    session.add(request)
    session.flush()
    for rank, area in enumerate(areas):
        session.add(RequestArea(request_id=request.id, area_id=area, rank=rank))
    for rank, number in enumerate(paragraphs):
        session.add(RequestParagraph(request_id=request.id, number=number, rank=rank))
    return request


def _review(
    session: Session,
    request: AssistanceRequest,
    at: str,
    action: str,
    model_decision: str,
    model_area: str,
    overridden: bool,
) -> None:
    labels = {
        "areas": [model_area],
        "paragraphs": [],
        "working_group": None,
        "co_groups": [],
        "out_of_scope": False,
    }
    session.add(
        Review(
            request_id=request.id,
            reviewer="officer",
            action=action,
            language=request.language,
            model_version="known",
            model_decision=model_decision,
            model_area=model_area,
            model_labels=labels,
            before=labels,
            after=labels,
            overridden=overridden,
            created_at=t(at),
        )
    )


def _assignment(
    session: Session,
    request: AssistanceRequest,
    group: str,
    status: str,
    created: str,
    dispatched: str | None = None,
    acknowledged: str | None = None,
    closed: str | None = None,
) -> None:
    session.add(
        Assignment(
            request_id=request.id,
            working_group_id=group,
            status=status,
            created_at=t(created),
            dispatched_at=t(dispatched) if dispatched else None,
            acknowledged_at=t(acknowledged) if acknowledged else None,
            closed_at=t(closed) if closed else None,
        )
    )


# fmt: off
REQUESTS = [
    # name, received (UTC), State, language, model decision, confidence, status now,
    # current areas, paragraphs and working group, seconds from receipt to triage
    ("R0", "2026-02-28 23:59:59", "FRA", "fr", "auto_routed", 0.95, "completed",
     ("ftf",), (13,), "cj-cft", 0),
    ("R1", "2026-03-01 00:00:00", "NGA", "en", "auto_routed", 0.91, "acknowledged",
     ("ftf", "financing"), (13, 14), "cj-cft", 0),
    ("R2", "2026-03-05 10:00:00", "MEX", "es", "needs_review", 0.42, "dispatched",
     ("biometrics",), (9,), "bm-le", 0),
    ("R3", "2026-03-10 08:00:00", "CHN", "zh", "needs_review", 0.55, "needs_review",
     ("prisons",), (26,), "pcve", 0),
    ("R4", "2026-03-15 12:00:00", "FRA", "fr", "out_of_scope", 0.81, "out_of_scope",
     (), (), None, 0),
    ("R5", "2026-03-20 09:00:00", "EGY", "ar", "needs_review", 0.35, "triaged",
     ("victims",), (23,), "hr-rol-victims", 0),
    ("R6", "2026-03-31 23:59:59", "RUS", "ru", "auto_routed", 0.88, "completed",
     ("cbrn",), (20,), "wmd-cbrn", 2),
    ("R7", "2026-04-01 00:00:00", "NGA", "en", "auto_routed", 0.97, "triaged",
     ("ict",), (22,), "et-cip", 0),
    ("R8", "2026-02-20 10:00:00", "KEN", "en", "needs_review", 0.5, "out_of_scope",
     (), (), None, 0),
]
REVIEWS = [
    # request, when, action, the model's decision and area, overridden
    ("R8", "2026-03-02 10:00:00", "out_of_scope", "needs_review", "travel-data", True),
    ("R1", "2026-03-03 12:00:00", "confirm", "auto_routed", "ftf", False),
    ("R2", "2026-03-06 10:00:00", "correct", "needs_review", "cbrn", True),
    ("R5", "2026-04-02 09:00:00", "confirm", "needs_review", "victims", False),
]
ASSIGNMENTS = [
    # request, working group, status now, created, dispatched, acknowledged, closed
    ("R0", "cj-cft", "completed", "2026-02-28 23:59:59", "2026-03-01 00:00:10",
     "2026-03-04 00:00:00", "2026-03-20 00:00:00"),
    ("R0", "et-cip", "declined", "2026-02-28 23:59:59", "2026-03-01 00:00:10",
     None, "2026-03-03 00:00:00"),
    ("R1", "cj-cft", "acknowledged", "2026-03-01 00:00:00", "2026-03-01 00:05:00",
     "2026-03-02 00:05:00", None),
    ("R1", "bm-le", "dispatched", "2026-03-01 00:00:00", "2026-03-02 06:00:00", None, None),
    ("R2", "bm-le", "dispatched", "2026-03-06 10:00:00", "2026-03-06 10:10:00", None, None),
    ("R6", "wmd-cbrn", "completed", "2026-03-31 23:59:59", "2026-04-01 00:00:30",
     "2026-04-01 01:00:30", "2026-04-10 00:00:00"),
]
# fmt: on


def seed_known(session: Session) -> None:
    """Nine requests around March 2026, their reviews and their working groups' clocks."""
    made = {}
    for name, *fields, triage_seconds in REQUESTS:
        made[name] = _request(session, name, *fields, triage_seconds=triage_seconds)
    for name, *review in REVIEWS:
        _review(session, made[name], *review)
    for name, *assignment in ASSIGNMENTS:
        _assignment(session, made[name], *assignment)
    session.commit()


# March 2026, computed by hand from the rows above.
AREAS = {"ftf": 1, "financing": 1, "biometrics": 1, "prisons": 1, "victims": 1, "cbrn": 1}
PARAGRAPHS = {13: 1, 14: 1, 9: 1, 26: 1, 23: 1, 20: 1}
REGIONS = {"Africa": 2, "Americas": 1, "Asia": 1, "Europe": 2, "Oceania": 0}
SUBREGIONS = {
    ("Africa", "Western Africa"): 1,
    ("Africa", "Northern Africa"): 1,
    ("Americas", "Central America"): 1,
    ("Asia", "Eastern Asia"): 1,
    ("Europe", "Western Europe"): 1,
    ("Europe", "Eastern Europe"): 1,
}
LANGUAGES = {"ar": 1, "zh": 1, "en": 1, "fr": 1, "ru": 1, "es": 1}
STATUSES = {
    "received": 0,
    "triaged": 1,
    "needs_review": 1,
    "dispatched": 1,
    "acknowledged": 1,
    "in_progress": 0,
    "completed": 1,
    "declined": 0,
    "out_of_scope": 1,
    "duplicate": 0,
}
SPREADS = {
    "to_triage": (5, 2.0, 708480.0),
    "to_dispatch": (5, 300.0, 65040.0),
    "to_acknowledgement": (2, 172795.0, 241911.0),
}
GROUP_ROWS = {
    # received, assigned, dispatched, acknowledged, completed, declined, dispatch breaches,
    # acknowledgement breaches, (dispatch n, p50, p90), (acknowledgement n, p50, p90)
    "cj-cft": (1, 1, 2, 2, 1, 0, 0, 0, (2, 155.5, 271.1), (2, 172795.0, 241911.0)),
    "bm-le": (1, 2, 2, 0, 0, 0, 1, 2, (2, 54300.0, 97260.0), (0, None, None)),
    "et-cip": (0, 0, 1, 0, 0, 1, 0, 1, (1, 11.0, 11.0), (0, None, None)),
    "wmd-cbrn": (1, 1, 0, 0, 0, 0, 0, 0, (0, None, None), (0, None, None)),
    "pcve": (1, 0, 0, 0, 0, 0, 0, 0, (0, None, None), (0, None, None)),
    "hr-rol-victims": (1, 0, 0, 0, 0, 0, 0, 0, (0, None, None), (0, None, None)),
}
GROUP_FIELDS = (
    "received",
    "assigned",
    "dispatched",
    "acknowledged",
    "completed",
    "declined",
    "dispatch_sla_breaches",
    "ack_sla_breaches",
)
OVERRIDE_AREAS = {"ftf": (1, 0), "cbrn": (1, 1), "travel-data": (1, 1)}
OVERRIDE_LANGUAGES = {"en": (2, 1), "es": (1, 1)}
CONFIDENCE = {3: (0, 1, 0), 4: (0, 1, 0), 5: (0, 1, 0), 8: (1, 0, 1), 9: (1, 0, 0)}
TREND = {"2026-02": {"cj-cft": 1, "et-cip": 1}, "2026-03": {"cj-cft": 1, "bm-le": 2, "wmd-cbrn": 1}}
SUMMARY = {
    "received": 6,
    "received_without_working_group": 1,
    "auto_routed": 2,
    "needs_review": 3,
    "out_of_scope": 1,
    "share_auto_routed": 0.3333,
    "reviews": 3,
    "overridden": 2,
    "override_rate": 0.6667,
    "reviews_confirm": 1,
    "reviews_correct": 1,
    "reviews_out_of_scope": 1,
    "reviews_duplicate": 0,
    "backlog_needing_review": 2,
    "dispatch_sla_breaches": 1,
    "ack_sla_breaches": 3,
}


def approx(value: float | None) -> object:
    return None if value is None else pytest.approx(value)


def group_row(group: str) -> tuple[object, ...]:
    return GROUP_ROWS.get(group, (0,) * 8 + ((0, None, None), (0, None, None)))


def months_to(last: str) -> list[str]:
    year, month = map(int, last.split("-"))
    out = []
    for k in range(11, -1, -1):
        index = year * 12 + month - 1 - k
        out.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return out


@pytest.fixture
def desk(api: TestClient, session: Session) -> TestClient:
    seed_known(session)
    user(session, username="manager", role="officer")
    sign_in(api, "manager")
    return api


def test_monthly_json_matches_the_hand_computed_figures(desk: TestClient) -> None:
    response = desk.get("/api/v1/stats/monthly?month=2026-03")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["month"] == "2026-03"
    assert data["start"].startswith("2026-03-01T00:00:00")
    assert data["end"].startswith("2026-04-01T00:00:00")
    assert data["closed"] is True
    assert data["received"] == 6
    assert data["received_without_working_group"] == 1
    assert data["triage"] == {
        "auto_routed": 2,
        "needs_review": 3,
        "out_of_scope": 1,
        "share_auto_routed": 0.3333,
    }
    assert data["reviews"] == {
        "total": 3,
        "overridden": 2,
        "override_rate": 0.6667,
        "by_action": {"confirm": 1, "correct": 1, "out_of_scope": 1, "duplicate": 0},
    }
    assert data["backlog_needing_review"] == 2
    assert data["statuses"] == STATUSES
    for name, (n, p50, p90) in SPREADS.items():
        assert data["times"][name] == {
            "count": n,
            "p50_seconds": pytest.approx(p50),
            "p90_seconds": pytest.approx(p90),
        }, name
    assert data["sla_breaches"] == {"dispatch": 1, "acknowledgement": 3}
    assert [g["id"] for g in data["by_working_group"]] == GROUPS
    for row in data["by_working_group"]:
        *counts, to_dispatch, to_ack = group_row(row["id"])
        assert [row[f] for f in GROUP_FIELDS] == counts, row["id"]
        for key, (n, p50, p90) in (("to_dispatch", to_dispatch), ("to_acknowledgement", to_ack)):
            assert row[key] == {
                "count": n,
                "p50_seconds": approx(p50),
                "p90_seconds": approx(p90),
            }, (row["id"], key)
    assert data["by_area"] == [
        {"id": a.id, "name": a.name, "count": AREAS.get(a.id, 0)} for a in CATALOGUE.areas
    ]
    assert data["by_paragraph"] == [
        {"number": p.number, "title": p.title, "count": PARAGRAPHS.get(p.number, 0)}
        for p in CATALOGUE.paragraphs
    ]
    assert data["by_region"] == [{"region": r, "count": n} for r, n in REGIONS.items()]
    assert data["by_subregion"] == [
        {"region": r, "subregion": s, "count": SUBREGIONS.get((r, s), 0)}
        for r, s in sorted({(x.region, x.subregion) for x in CATALOGUE.states})
    ]
    assert data["by_language"] == [{"language": lang, "count": n} for lang, n in LANGUAGES.items()]
    model = data["model"]
    assert model["share_auto_routed"] == 0.3333
    assert model["override_rate"] == 0.6667
    by_area = {
        o["key"]: (o["reviews"], o["overridden"], o["rate"]) for o in model["override_by_area"]
    }
    assert set(by_area) == {*(a.id for a in CATALOGUE.areas), "out-of-scope"}
    for key, value in by_area.items():
        reviews, overridden = OVERRIDE_AREAS.get(key, (0, 0))
        rate = round(overridden / reviews, 4) if reviews else None
        assert value == (reviews, overridden, rate), key
    by_language = {o["key"]: (o["reviews"], o["overridden"]) for o in model["override_by_language"]}
    assert by_language == {lang: OVERRIDE_LANGUAGES.get(lang, (0, 0)) for lang in LANGUAGES}
    bins = [
        (b["auto_routed"], b["needs_review"], b["out_of_scope"], b["total"])
        for b in model["confidence"]
    ]
    assert bins == [
        (*CONFIDENCE.get(i, (0, 0, 0)), sum(CONFIDENCE.get(i, (0, 0, 0)))) for i in range(10)
    ]
    assert [(b["low"], b["high"]) for b in model["confidence"]][3] == (0.3, 0.4)
    assert data["trend"]["months"] == months_to("2026-03")
    assert {s["id"]: s["counts"] for s in data["trend"]["working_groups"]} == {
        g: [TREND.get(m, {}).get(g, 0) for m in months_to("2026-03")] for g in GROUPS
    }


def test_requests_at_the_utc_month_boundaries_fall_in_the_right_month(desk: TestClient) -> None:
    february = desk.get("/api/v1/stats/monthly?month=2026-02").json()
    april = desk.get("/api/v1/stats/monthly?month=2026-04").json()
    assert february["received"] == 2  # R8 and R0 at 23:59:59 on the 28th
    assert {x["language"]: x["count"] for x in february["by_language"]}["fr"] == 1
    assert april["received"] == 1  # R7 at 00:00:00 on the 1st
    assert {a["id"]: a["count"] for a in april["by_area"]}["ict"] == 1
    # Events follow their own clocks: R6's assignment is dispatched and done in April.
    groups = {g["id"]: g for g in april["by_working_group"]}
    assert (groups["wmd-cbrn"]["assigned"], groups["wmd-cbrn"]["dispatched"]) == (0, 1)
    assert groups["wmd-cbrn"]["completed"] == 1
    assert april["reviews"]["by_action"]["confirm"] == 1  # R5, reviewed on 2 April
    assert april["backlog_needing_review"] == 1  # R3 still waits
    assert february["backlog_needing_review"] == 1  # R8, decided on 2 March


def test_an_empty_month_has_zero_everywhere(desk: TestClient) -> None:
    data = desk.get("/api/v1/stats/monthly?month=2025-06").json()
    assert data["received"] == 0
    assert data["backlog_needing_review"] == 0
    assert data["triage"]["share_auto_routed"] is None
    assert data["reviews"] == {
        "total": 0,
        "overridden": 0,
        "override_rate": None,
        "by_action": dict.fromkeys(("confirm", "correct", "out_of_scope", "duplicate"), 0),
    }
    assert all(n == 0 for n in data["statuses"].values())
    assert all(
        x["count"] == 0
        for key in ("by_area", "by_paragraph", "by_region", "by_subregion", "by_language")
        for x in data[key]
    )
    for name in ("to_triage", "to_dispatch", "to_acknowledgement"):
        assert data["times"][name] == {"count": 0, "p50_seconds": None, "p90_seconds": None}
    assert all(g[f] == 0 for g in data["by_working_group"] for f in GROUP_FIELDS)
    assert all(set(s["counts"]) == {0} for s in data["trend"]["working_groups"])
    assert all(b["total"] == 0 for b in data["model"]["confidence"])


def _csv(desk: TestClient, month: str) -> dict[tuple[str, str, str], str]:
    response = desk.get(f"/api/v1/stats/monthly?month={month}&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f"ct-triage-{month}.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "key", "label", "metric", "value"]
    return {(s, k, m): v for s, k, _, m, v in rows[1:] if s != "about"}


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_csv_export_matches_the_hand_computed_figures(desk: TestClient) -> None:
    found = _csv(desk, "2026-03")
    for key, value in SUMMARY.items():
        assert _number(found[("summary", key, "value")]) == pytest.approx(value), key
    for status, n in STATUSES.items():
        assert found[("status", status, "requests")] == str(n)
    for name, (n, p50, p90) in SPREADS.items():
        assert found[("time", name, "count")] == str(n)
        assert _number(found[("time", name, "p50_seconds")]) == pytest.approx(p50)
        assert _number(found[("time", name, "p90_seconds")]) == pytest.approx(p90)
    for group in GROUPS:
        *counts, (dn, d50, _d90), (an, _a50, a90) = group_row(group)
        for field, n in zip(GROUP_FIELDS, counts, strict=True):
            assert found[("working_group", group, field)] == str(n), (group, field)
        assert found[("working_group", group, "to_dispatch_count")] == str(dn)
        assert _number(found[("working_group", group, "to_dispatch_p50_seconds")]) == approx(d50)
        assert found[("working_group", group, "to_acknowledgement_count")] == str(an)
        assert _number(found[("working_group", group, "to_acknowledgement_p90_seconds")]) == (
            approx(a90)
        )
    for area in CATALOGUE.areas:
        assert found[("area", area.id, "requests")] == str(AREAS.get(area.id, 0))
    for p in CATALOGUE.paragraphs:
        assert found[("paragraph", str(p.number), "requests")] == str(PARAGRAPHS.get(p.number, 0))
    for region, n in REGIONS.items():
        assert found[("region", region, "requests")] == str(n)
    for region, subregion in {(x.region, x.subregion) for x in CATALOGUE.states}:
        n = SUBREGIONS.get((region, subregion), 0)
        assert found[("subregion", subregion, "requests")] == str(n), subregion
    for lang, n in LANGUAGES.items():
        assert found[("language", lang, "requests")] == str(n)
    for area, (reviews, overridden) in OVERRIDE_AREAS.items():
        assert found[("override_by_area", area, "reviews")] == str(reviews)
        assert found[("override_by_area", area, "overridden")] == str(overridden)
    assert found[("confidence", "0.8-0.9", "total")] == "2"
    assert found[("trend", "bm-le", "2026-03")] == "2"
    assert found[("trend", "et-cip", "2026-02")] == "1"
    assert found[("trend", "cj-cft", "2025-04")] == "0"


def test_xlsx_export_has_one_sheet_per_breakdown_with_the_same_figures(desk: TestClient) -> None:
    response = desk.get("/api/v1/stats/monthly?month=2026-03&format=xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [
        "About",
        "Summary",
        "Statuses",
        "Times",
        "Working groups",
        "Areas",
        "Paragraphs",
        "Regions",
        "Subregions",
        "Languages",
        "Overrides by area",
        "Overrides by language",
        "Confidence",
        "Trend",
    ]

    def sheet(title: str) -> dict[str, dict[str, object]]:
        rows = list(book[title].iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        # Empty trailing cells are not stored: pad each row to the header.
        return {str(r[0]): dict(zip_longest(header, r)) for r in rows[1:]}

    summary = sheet("Summary")
    for key, value in SUMMARY.items():
        assert summary[key]["value"] == pytest.approx(value), key
    assert {k: v["requests"] for k, v in sheet("Statuses").items()} == STATUSES
    times = sheet("Times")
    for name, (n, p50, p90) in SPREADS.items():
        assert (times[name]["count"], times[name]["p50_seconds"], times[name]["p90_seconds"]) == (
            n,
            pytest.approx(p50),
            pytest.approx(p90),
        )
    groups = sheet("Working groups")
    assert list(groups) == GROUPS
    for group, row in groups.items():
        *counts, (dn, _, _), (an, _, _) = group_row(group)
        assert [row[f] for f in GROUP_FIELDS] == counts, group
        assert (row["to_dispatch_count"], row["to_acknowledgement_count"]) == (dn, an)
    assert {k: v["requests"] for k, v in sheet("Areas").items()} == {
        a.id: AREAS.get(a.id, 0) for a in CATALOGUE.areas
    }
    assert {k: v["requests"] for k, v in sheet("Paragraphs").items()} == {
        str(p.number): PARAGRAPHS.get(p.number, 0) for p in CATALOGUE.paragraphs
    }
    assert {k: v["requests"] for k, v in sheet("Regions").items()} == REGIONS
    subregions = {k: v["requests"] for k, v in sheet("Subregions").items()}
    assert subregions == {
        s: SUBREGIONS.get((r, s), 0) for r, s in {(x.region, x.subregion) for x in CATALOGUE.states}
    }
    assert {k: v["requests"] for k, v in sheet("Languages").items()} == LANGUAGES
    overrides = sheet("Overrides by area")
    assert {k: (v["reviews"], v["overridden"]) for k, v in overrides.items() if v["reviews"]} == (
        OVERRIDE_AREAS
    )
    assert {
        k: (v["reviews"], v["overridden"]) for k, v in sheet("Overrides by language").items()
    } == {lang: OVERRIDE_LANGUAGES.get(lang, (0, 0)) for lang in LANGUAGES}
    confidence = list(sheet("Confidence").values())
    assert [(r["auto_routed"], r["needs_review"], r["out_of_scope"]) for r in confidence] == [
        CONFIDENCE.get(i, (0, 0, 0)) for i in range(10)
    ]
    trend = sheet("Trend")
    assert {g: [row[m] for m in months_to("2026-03")] for g, row in trend.items()} == {
        g: [TREND.get(m, {}).get(g, 0) for m in months_to("2026-03")] for g in GROUPS
    }


FIGURE = re.compile(r'data-figure="([^"]+)">([^<]*)<')


def test_page_shows_the_hand_computed_figures(desk: TestClient) -> None:
    response = desk.get("/dashboards/monthly?month=2026-03")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    shown = dict(FIGURE.findall(response.text))
    expected = {
        "month": "2026-03",
        "received": "6",
        "triage.auto_routed": "2",
        "triage.share_auto_routed": "33.3%",
        "triage.needs_review": "3",
        "triage.out_of_scope": "1",
        "reviews.total": "3",
        "reviews.overridden": "2",
        "reviews.override_rate": "66.7%",
        "backlog_needing_review": "2",
        "sla_breaches.dispatch": "1",
        "sla_breaches.acknowledgement": "3",
        "times.to_triage.count": "5",
        "times.to_triage.p50": "2 s",
        "times.to_triage.p90": "8.2 d",
        "times.to_dispatch.count": "5",
        "times.to_dispatch.p50": "5.0 min",
        "times.to_dispatch.p90": "18.1 h",
        "times.to_acknowledgement.count": "2",
        "times.to_acknowledgement.p50": "48.0 h",
        "times.to_acknowledgement.p90": "2.8 d",
        "model.share_auto_routed": "33.3%",
        "model.override_rate": "66.7%",
        **{f"statuses.{s}": str(n) for s, n in STATUSES.items()},
        **{f"area.{a.id}": str(AREAS.get(a.id, 0)) for a in CATALOGUE.areas},
        **{f"paragraph.{p.number}": str(PARAGRAPHS.get(p.number, 0)) for p in CATALOGUE.paragraphs},
        **{f"region.{r}": str(n) for r, n in REGIONS.items()},
        **{f"language.{lang}": str(n) for lang, n in LANGUAGES.items()},
        **{f"override.area.{a}.reviews": str(n) for a, (n, _) in OVERRIDE_AREAS.items()},
        **{f"override.area.{a}.overridden": str(o) for a, (_, o) in OVERRIDE_AREAS.items()},
        **{
            f"override.language.{lang}.reviews": str(OVERRIDE_LANGUAGES.get(lang, (0, 0))[0])
            for lang in LANGUAGES
        },
        **{
            f"group.{g}.{f}": str(n)
            for g in GROUPS
            for f, n in zip(GROUP_FIELDS, group_row(g)[:8], strict=True)
        },
    }
    assert {k: shown.get(k) for k in expected} == expected
    assert response.text.count("<svg") >= 7


def test_the_pages_speak_the_officers_language(desk: TestClient, session: Session) -> None:
    manager = session.scalars(select(User).where(User.username == "manager")).one()
    manager.locale = "fr"
    session.commit()
    monthly = desk.get("/dashboards/monthly?month=2026-03").text
    for text in ("Charge de travail mensuelle", "Par domaine thématique", "Délais dépassés"):
        assert text in monthly
    assert "Monthly workload" not in monthly
    report = desk.get("/dashboards/implementation?from=2026-01-01&to=2026-03-31").text
    assert "Rapport sur la mise en œuvre" in report
    assert "Par paragraphe du dispositif" in report


def test_a_correction_after_the_month_shows_up(desk: TestClient, session: Session) -> None:
    before = desk.get("/api/v1/stats/monthly?month=2026-03").json()
    assert {a["id"]: a["count"] for a in before["by_area"]}["gender"] == 0
    request = session.query(AssistanceRequest).filter_by(body="known request R3").one()
    session.query(RequestArea).filter_by(request_id=request.id).delete()
    session.add(RequestArea(request_id=request.id, area_id="gender", rank=0))
    request.status, request.working_group_id = "triaged", "gender"
    session.commit()  # the version bump is what tells the dashboards to look again
    after = desk.get("/api/v1/stats/monthly?month=2026-03").json()
    areas = {a["id"]: a["count"] for a in after["by_area"]}
    assert (areas["gender"], areas["prisons"]) == (1, 0)
    assert after["statuses"]["needs_review"] == 0
    assert {g["id"]: g["received"] for g in after["by_working_group"]}["gender"] == 1
    # The closed month's event figures stay as they were.
    assert after["backlog_needing_review"] == before["backlog_needing_review"]


def test_the_current_month_is_live(desk: TestClient, session: Session) -> None:
    now = datetime.now(UTC)
    request = _request(
        session,
        "R9",
        now.isoformat(" ")[:19],
        "CHN",
        "zh",
        "needs_review",
        0.4,
        "needs_review",
        ("cbrn",),
        (20,),
        "wmd-cbrn",
    )
    _assignment(session, request, "wmd-cbrn", "pending", now.isoformat(" ")[:19])
    session.commit()
    data = desk.get("/api/v1/stats/monthly").json()
    assert data["month"] == f"{now.year:04d}-{now.month:02d}"
    assert data["closed"] is False
    assert data["received"] == 1
    assert data["triage"]["needs_review"] == 1
    # Now, the backlog is every request waiting for a decision: R3 and R9.
    assert data["backlog_needing_review"] == 2
    assert {g["id"]: g["assigned"] for g in data["by_working_group"]}["wmd-cbrn"] == 1
    assert data["trend"]["working_groups"][GROUPS.index("wmd-cbrn")]["counts"][-1] == 1


def test_a_bad_month_is_a_422_in_json(desk: TestClient) -> None:
    for month in ("2026-13", "March", "2026-3", "26-03"):
        response = desk.get(f"/api/v1/stats/monthly?month={month}")
        assert response.status_code == 422, month
        assert response.json()["error"] == "validation_error"
        assert response.json()["detail"][0]["loc"] == ["query", "month"]
    assert desk.get("/api/v1/stats/monthly?month=2026-03&format=pdf").status_code == 422


def test_stats_need_a_signed_in_desk_user(api: TestClient, session: Session) -> None:
    from tests.factories import auth, portal_key

    assert api.get("/api/v1/stats/monthly").status_code == 401
    key = portal_key(session)
    assert api.get("/api/v1/stats/monthly", headers=auth(key)).status_code == 401
    page = api.get("/dashboards/monthly?month=2026-03", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/desk/login?next=/dashboards/monthly")
