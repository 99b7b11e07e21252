"""The desk in headless Chromium: sign in, filter, open, correct, dispatch, audit; right-to-left
texts; the French interface; every page free of script errors and CSP violations."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.dispatch.models import Assignment, OutboxEntry
from app.intake.models import AssistanceRequest
from tests import factories
from tests.desk_support import submit

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
ARABIC = (
    "تطلب وزارة العدل من مكتب الأمم المتحدة المعني بالمخدرات والجريمة المساعدة التقنية لتدريب "
    "القضاة وأعضاء النيابة العامة على التعامل مع الأطفال الذين جندتهم "
    "الجماعات الإرهابية واستغلتهم، "
    "وفقاً لمعايير قضاء الأحداث."
)
PRISONS = (
    "The prison administration requests UNODC support to train prison officers on the "
    "management of violent extremist prisoners."
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live: str) -> Iterator[Page]:
    """A fresh browser context on the live server; fails the test on any script error or
    Content-Security-Policy violation the page reports."""
    context = browser.new_context(base_url=live, viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A 409 page is an answer the conflict test expects, not a fault of the page.
        if message.type == "error" and "status of 409" not in message.text:
            problems.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()
    assert problems == []


def _sign_in(page: Page, username: str) -> None:
    page.goto("/desk/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk/queue")


def _waiting(
    api: TestClient, session: Session, key: str, text: str | None, state: str
) -> dict[str, object]:
    created = submit(api, key, text, state=state)
    rid = uuid.UUID(str(created["id"]))
    session.execute(delete(OutboxEntry).where(OutboxEntry.request_id == rid))
    session.execute(delete(Assignment).where(Assignment.request_id == rid))
    session.execute(
        update(AssistanceRequest).where(AssistanceRequest.id == rid).values(status="needs_review")
    )
    session.commit()
    return created


def test_an_officer_filters_opens_corrects_and_dispatches_a_request(
    page: Page, api: TestClient, session: Session, officer: User
) -> None:
    target = _waiting(api, session, factories.portal_key(session, state="NGA"), None, "NGA")
    submit(api, factories.portal_key(session, state="KEN"), PRISONS, state="KEN")
    _sign_in(page, "officer")
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)

    page.select_option("select[name=state]", "NGA")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**state=NGA**")
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desk-queue.png"), full_page=True)

    page.click(f"text={target['reference']}")
    page.wait_for_url(f"**/desk/requests/{target['id']}")
    expect(page.locator("h1")).to_contain_text(str(target["reference"]))

    page.select_option("#primary-area", "prisons")
    page.check("#paragraph-choices input[value='26']")
    page.fill("#correct-form textarea[name=comment]", "about prisons")
    page.click("#correct-form button[type=submit]")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#current-labels [data-area='prisons']")).to_have_count(1)
    expect(page.locator("#timeline li[data-action='request.corrected']")).to_have_count(1)

    page.click("#dispatch-form button[type=submit]")
    expect(page.locator("#done")).to_contain_text("Dispatch")
    expect(page.locator("#assignments")).to_contain_text("pcve")
    event = page.locator("#timeline li[data-action='request.dispatch_ordered']")
    expect(event).to_contain_text("pcve")
    expect(event).to_contain_text("officer")
    page.screenshot(path=str(ARTIFACTS / "desk-request.png"), full_page=True)


def test_an_arabic_request_reads_right_to_left(
    page: Page, api: TestClient, session: Session, officer: User
) -> None:
    created = _waiting(api, session, factories.portal_key(session, state="EGY"), ARABIC, "EGY")
    _sign_in(page, "officer")
    excerpt = page.locator("#queue-table td.excerpt span[dir=auto]").first
    assert excerpt.evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.goto(f"/desk/requests/{created['id']}")
    text = page.locator("#request-text")
    assert text.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert text.get_attribute("lang") == "ar"
    assert page.locator("html").evaluate("e => getComputedStyle(e).direction") == "ltr"
    expect(page.locator("#request-text mark").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "desk-request-arabic.png"), full_page=True)


def test_an_officer_switches_the_interface_to_french(
    page: Page, api: TestClient, session: Session, officer: User
) -> None:
    _sign_in(page, "officer")
    with page.expect_navigation():
        page.select_option("form.locale-switch select", "fr")
    expect(page.locator("h1")).to_have_text("File d'attente du tri")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.reload()
    expect(page.locator("nav[aria-label='Navigation principale']")).to_contain_text("Modèle")


def test_a_second_officer_with_a_stale_page_gets_a_conflict(
    page: Page, browser: Browser, live: str, api: TestClient, session: Session, officer: User
) -> None:
    factories.user(session, username="second", role="officer")
    created = _waiting(api, session, factories.portal_key(session), None, "NGA")
    _sign_in(page, "officer")
    page.goto(f"/desk/requests/{created['id']}")
    other_context = browser.new_context(base_url=live)
    other = other_context.new_page()
    try:
        _sign_in(other, "second")
        other.goto(f"/desk/requests/{created['id']}")
        other.click("#confirm-form button[type=submit]")
        expect(other.locator("#done")).to_be_visible()
    finally:
        other_context.close()
    page.click("#confirm-form button[type=submit]")
    expect(page.locator("h2")).to_contain_text("Someone else changed this request")
    page.click("text=Open the current version")
    expect(page.locator("#timeline li[data-action='request.confirmed']")).to_contain_text("second")


def test_administration_and_model_pages_work_in_the_browser(
    page: Page, api: TestClient, session: Session, desk_admin: User
) -> None:
    _sign_in(page, "chief")
    for path, heading in [
        ("/desk/admin", "Administration"),
        ("/desk/admin/users", "Users"),
        ("/desk/admin/portal-keys", "Portal keys"),
        ("/desk/admin/working-groups", "Working groups: keys and webhooks"),
        ("/desk/admin/routing", "Routing table"),
    ]:
        page.goto(path)
        expect(page.locator("h1")).to_have_text(heading)

    page.goto("/desk/admin/portal-keys")
    page.select_option("#new-portal-key select[name=state]", "KEN")
    page.fill("#new-portal-key input[name=name]", "Nairobi portal")
    page.click("#new-portal-key button[type=submit]")
    expect(page.locator("#secret-value")).to_contain_text("tak_")

    page.goto("/desk/model")
    version = page.locator("#active-version").inner_text()
    page.locator("#versions tr", has_text=version).locator("button", has_text="Evaluate").click()
    page.wait_for_url("**/desk/model?job=**")
    job = page.locator("#job-list tr[data-job-url]").first
    expect(job.locator("[data-job-status]")).not_to_have_text("queued", timeout=60_000)
    expect(job.locator("[data-job-status]")).not_to_have_text("running", timeout=180_000)
    status = job.locator("[data-job-status]").inner_text()
    assert status == "succeeded", page.locator("#job-list").inner_text()
    expect(job.locator("progress")).to_have_attribute("value", "1.0")
    page.screenshot(path=str(ARTIFACTS / "desk-model.png"), full_page=True)
