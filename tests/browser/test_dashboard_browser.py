"""The dashboards in headless Chromium: signed in through the desk form, the monthly page and
the implementation report draw their charts (on screen and for print), with no script error or
Content-Security-Policy violation; screenshots go to test-artifacts/."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy.orm import Session

from app.catalogue.loader import get_catalogue
from app.demo.service import seed_traffic
from tests import factories

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Drawn bars (width or height above zero) per chart, read in the page.
DRAWN = """svg => [...svg.querySelectorAll('rect.bar')].filter(r => {
    const box = r.getBBox(); return box.width > 0 && box.height > 0; }).length"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live: str, api: TestClient, session: Session) -> Iterator[Page]:
    """A signed-in manager on the live server, with a year of synthetic traffic behind it."""
    seed_traffic(session, requests=1500, months=13, catalogue=get_catalogue())
    factories.user(session, username="manager", role="officer")
    context = browser.new_context(base_url=live, viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.goto("/desk/login?next=/dashboards/monthly")
    tab.fill("input[name=username]", "manager")
    tab.fill("input[name=password]", factories.DEFAULT_PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_load_state()
    yield tab
    context.close()
    assert problems == []


def test_the_monthly_dashboard_draws_its_charts(page: Page) -> None:
    page.goto("/dashboards/monthly")
    expect(page.locator("h1")).to_contain_text("Monthly workload")
    received = int(page.locator('[data-figure="received"]').inner_text().replace(",", ""))
    assert received > 0
    charts = page.locator("svg.chart")
    assert charts.count() == 6 + 9  # five breakdowns, the histogram, a trend per group
    for index in range(charts.count()):
        chart = charts.nth(index)
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 40
    areas = page.locator("section", has_text="By thematic area").locator("svg.chart")
    assert areas.evaluate(DRAWN) > 5
    trend = page.locator(".multiples svg.chart")
    assert trend.count() == len(get_catalogue().working_groups)
    assert sum(trend.nth(i).evaluate(DRAWN) for i in range(trend.count())) > 9 * 6
    assert page.locator(".stacked, svg.chart rect.bar.review").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-monthly.png"), full_page=True)

    page.emulate_media(media="print")
    expect(page.locator(".month-nav")).to_be_hidden()
    assert areas.evaluate(DRAWN) > 5
    page.screenshot(path=str(ARTIFACTS / "dashboard-monthly-print.png"), full_page=True)


def test_a_month_is_chosen_and_the_report_opens(page: Page) -> None:
    page.goto("/dashboards/monthly")
    page.click("a[rel=prev]")
    page.wait_for_url("**/dashboards/monthly?month=*")
    shown = page.locator('[data-figure="month"]').inner_text()
    assert page.url.endswith(f"month={shown}")
    page.click("text=Implementation report")
    page.wait_for_url("**/dashboards/implementation")
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    assert charts.nth(0).evaluate(DRAWN) > 5
    page.screenshot(path=str(ARTIFACTS / "dashboard-implementation.png"), full_page=True)
