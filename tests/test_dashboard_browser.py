"""The dashboard in a real headless Chromium: a signed link opens the community page with its
charts (SVG, titled, with their tables), readable on a phone, nothing fetched from elsewhere;
expired and forged links and another workspace's community get 403; the page in French.

Screenshots are kept in tests/artifacts/ (git-ignored): dashboard-desktop.png, dashboard-phone.png,
dashboard-fr.png."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright, expect

from bot.app import BOT, build
from bot.runtime.clock import ManualClock
from bot.settings import Settings
from tests.builders import T0
from tests.conftest import Harness, serving
from tests.dashboard_support import KEY, OTHER, OTHER_CHANNEL, grant, links, other_workspace
from tests.pulse_support import REPORT_AT, answered_week, build_history
from tests.test_playground_browser import ARGS, TIMEOUT, chromium  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"


async def _history(url: str) -> None:
    harness = Harness.create(url, ManualClock(T0))
    try:
        await harness.seed()
        await build_history(harness)
        await answered_week(harness)
        await other_workspace(harness.store, REPORT_AT)
        async with harness.store.transaction() as tx:  # Emma (fr-FR) facilitates too
            found = await tx.directory.workspace(grant().workspace)
            assert found is not None and found.id is not None
            community = await tx.directory.community_by_channel(found.id, "C-data")
            assert community is not None
            community.facilitators = ["U-dan", "U-emma"]
    finally:
        await harness.store.close()


@pytest_asyncio.fixture
async def site(database_url: str) -> AsyncIterator[str]:
    """The bot serving the dashboard at REPORT_AT over the pulse's history."""
    await _history(database_url)
    settings = Settings(
        database_url=database_url,
        playground=True,
        demo=True,
        tick_seconds=0.2,
        secret_key=KEY,
        _env_file=None,
    )
    async with serving(build(settings, clock=ManualClock(REPORT_AT))) as (url, app):
        assert app[BOT].dashboard is not None
        yield url


@pytest_asyncio.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:  # noqa: F811
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


def link(site: str, user: str = "U-dan", at_minutes_ago: int = 0, key: str = KEY) -> str:
    clock = ManualClock(REPORT_AT - timedelta(minutes=at_minutes_ago))
    return links(clock, public_url=site, key=key).link(grant(user))


async def test_a_signed_link_opens_the_community_page_with_its_charts(
    site: str, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))

    response = await page.goto(link(site))
    assert response is not None and response.status == 200
    assert page.url == f"{site}/dashboard/c/C-data"
    await expect(page.get_by_test_id("community-name")).to_have_text("Data & IA")
    await expect(page).to_have_title("Data & IA — Dashboard")

    charts = {
        "active": "Active members, % per week, against the target",
        "participation": "Participation: members by posts and replies in the 28 days to each "
        "week's end",
        "answered": "Questions answered, % per week",
        "answer-time": "Median time to first answer, minutes per week",
        "newcomers": "Newcomers, last 28 days: joined and contributed within 14 days",
        "rituals": "Ritual response rates, last 28 days",
    }
    for chart_id, title in charts.items():
        figure = page.get_by_test_id(f"chart-{chart_id}")
        await expect(figure.locator("figcaption")).to_have_text(title)
        svg = figure.locator("svg")
        await expect(svg).to_have_count(1)
        # the SVG's own title (pygal wraps a long one over several lines)
        assert " ".join(await svg.locator("text.title").all_text_contents()) == title
        box = await svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        await expect(figure.get_by_test_id(f"table-{chart_id}")).to_be_visible()
    active = page.get_by_test_id("chart-active")
    # two lines: the weekly active share — a dot for each of the 9 weeks not withheld (W40–W48)
    # — and the target
    await expect(active.locator("svg .legend")).to_have_count(2)
    await expect(active.locator("svg .plot .series.serie-0 .dots")).to_have_count(9)
    await expect(active.locator("svg .plot .series.serie-1 path.line")).to_have_count(1)
    await expect(active.get_by_role("row").filter(has_text="2026-W48")).to_contain_text("81.8")
    await expect(active.get_by_role("row").filter(has_text="2026-W39")).to_contain_text(
        "— (fewer than 5 people)"
    )
    participation = page.get_by_test_id("chart-participation")
    await expect(participation.locator("svg .legend")).to_have_count(3)
    await expect(participation.get_by_role("row").filter(has_text="2026-W48")).to_have_text(
        re.compile(r"2026-W48 \(2026-11-23\)\s*3\s*6\s*2")
    )
    await expect(page.get_by_test_id("warnings")).to_contain_text(
        "1 question(s) unanswered for more than 48 h"
    )
    unanswered = page.get_by_test_id("unanswered")
    await expect(unanswered.get_by_role("link", name="asked 2026-11-20 08:00 UTC")).to_be_visible()
    await page.screenshot(path=ARTIFACTS / "dashboard-desktop.png", full_page=True)

    # nothing but the bot itself was asked for anything
    assert fetched and all(url.startswith(site) for url in fetched), fetched

    # on a phone: the charts fit the screen, nothing overflows sideways
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    box = await page.get_by_test_id("chart-active").locator("svg").bounding_box()
    assert box is not None and box["width"] <= 390
    await page.screenshot(path=ARTIFACTS / "dashboard-phone.png", full_page=True)

    # the CSV link downloads the figures
    async with page.expect_download() as download:
        await page.get_by_test_id("csv").click()
    got = await download.value
    assert got.suggested_filename == "C-data-20261130T1200.csv"
    saved = ARTIFACTS / "dashboard.csv"
    await got.save_as(saved)
    assert saved.read_text(encoding="utf-8").startswith("figure,value,withheld\n")


async def test_expired_and_forged_links_get_403(site: str, browser: Browser) -> None:
    page = await browser.new_page()
    expired = await page.goto(link(site, at_minutes_ago=16))
    assert expired is not None and expired.status == 403
    await expect(page.get_by_test_id("denied")).to_have_text("Access refused")
    await expect(page.locator("main")).to_contain_text("This link has expired")

    forged = await page.goto(link(site, key="not-the-bots-key"))
    assert forged is not None and forged.status == 403
    await expect(page.locator("main")).to_contain_text("This link is not valid.")
    # and no session was opened by either
    nothing = await page.goto(f"{site}/dashboard/c/C-data")
    assert nothing is not None and nothing.status == 403

    valid = await page.goto(link(site, at_minutes_ago=14))
    assert valid is not None and valid.status == 200


async def test_a_facilitator_of_one_workspace_gets_403_on_anothers_community(
    site: str, browser: Browser
) -> None:
    page = await browser.new_page()
    opened = await page.goto(link(site))
    assert opened is not None and opened.status == 200
    other = await page.goto(f"{site}/dashboard/c/{OTHER_CHANNEL}")
    assert other is not None and other.status == 403
    await expect(page.locator("main")).to_contain_text(
        "only open to the facilitators of the community"
    )
    # Zoe, facilitator in workspace B, signed in for B, is refused A's community
    zoe = links(ManualClock(REPORT_AT), public_url=site).link(grant("U-zoe", OTHER))
    assert (await page.goto(zoe)) is not None
    refused = await page.goto(f"{site}/dashboard/c/C-data")
    assert refused is not None and refused.status == 403


async def test_a_french_facilitator_sees_the_page_in_french(site: str, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    response = await page.goto(link(site, user="U-emma"))
    assert response is not None and response.status == 200
    assert await page.locator("html").get_attribute("lang") == "fr"
    await expect(page.get_by_test_id("chart-active").locator("figcaption")).to_have_text(
        "Membres actifs, % par semaine, face à la cible"
    )
    svg_title = page.get_by_test_id("chart-active").locator("svg text.title")
    assert " ".join(await svg_title.all_text_contents()) == (
        "Membres actifs, % par semaine, face à la cible"
    )
    await expect(page.get_by_test_id("csv")).to_have_text("Télécharger les chiffres (CSV)")
    await expect(page.get_by_test_id("warnings")).to_contain_text(
        "1 question(s) sans réponse depuis plus de 48 h"
    )
    await expect(
        page.get_by_test_id("chart-active").get_by_role("row").filter(has_text="2026-W39")
    ).to_contain_text("moins de 5 personnes")
    await page.screenshot(path=ARTIFACTS / "dashboard-fr.png", full_page=True)
