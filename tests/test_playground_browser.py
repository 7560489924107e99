"""The playground page, driven like a person would in a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Page, async_playwright, expect

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 10_000  # ms, for every auto-waiting assertion


@pytest.fixture
def chromium() -> str:
    """The system Chromium; browser tests are skipped without it, unless CI requires them."""
    if shutil.which(CHROMIUM) is None:
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ANIMATEUR_REQUIRE_BROWSER"):
            pytest.fail(f"{message}; ANIMATEUR_REQUIRE_BROWSER is set, so browser tests must run")
        pytest.skip(message)
    return CHROMIUM


@pytest_asyncio.fixture
async def page(chromium: str, live_server: LiveServer) -> AsyncIterator[Page]:
    """A fresh browser page on the playground of a live server."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(TIMEOUT)
            await page.goto(f"{live_server.url}/playground")
            await expect(page).to_have_title("Animateur — playground")
            yield page
        finally:
            await browser.close()


async def act_as_and_join(page: Page, member: str) -> None:
    await page.get_by_test_id("member-select").select_option(member)
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    await page.get_by_test_id("join").click()


async def test_an_english_member_joins_and_goes_through_the_welcome(
    page: Page, tmp_path: Path
) -> None:
    await act_as_and_join(page, "U-bob")

    dms = page.get_by_test_id("dms")
    await expect(dms.get_by_test_id("dm").first).to_contain_text(
        "Welcome to *Data & IA*", timeout=TIMEOUT
    )
    accept = dms.get_by_role("button", name="I accept", exact=True)
    await expect(accept).to_be_visible(timeout=TIMEOUT)
    await expect(dms.get_by_role("button", name="I don't accept", exact=True)).to_be_visible()
    await expect(page.get_by_test_id("error")).to_be_hidden()
    await page.screenshot(path=tmp_path / "welcome.png", full_page=True)

    await accept.click()
    question = dms.get_by_test_id("dm").filter(has_text="What do you expect from this community?")
    answer = question.get_by_test_id("answer-input")
    await expect(answer).to_be_visible(timeout=TIMEOUT)
    # The charter question is now answered: its buttons are gone.
    await expect(dms.get_by_test_id("choice")).to_have_count(0)

    await answer.fill("Learn how other teams ship ML models")
    await question.get_by_test_id("answer-submit").click()
    await expect(dms.get_by_test_id("dm").last).to_contain_text(
        "introduce yourself", timeout=TIMEOUT
    )
    await expect(dms.get_by_test_id("answer-input")).to_have_count(0)
    await page.screenshot(path=tmp_path / "done.png", full_page=True)


async def test_a_french_member_is_welcomed_in_french(page: Page) -> None:
    await act_as_and_join(page, "U-alice")

    dms = page.get_by_test_id("dms")
    await expect(dms.get_by_test_id("dm").first).to_contain_text(
        "Bienvenue dans *Data & IA*", timeout=TIMEOUT
    )
    await expect(dms.get_by_role("button", name="J'accepte", exact=True)).to_be_visible(
        timeout=TIMEOUT
    )


async def test_a_member_stops_a_ritual_from_its_message(page: Page) -> None:
    await act_as_and_join(page, "U-bob")
    dms = page.get_by_test_id("dms")
    welcome = dms.get_by_test_id("dm").first
    await expect(welcome).to_contain_text("Welcome to *Data & IA*", timeout=TIMEOUT)
    await welcome.get_by_test_id("stop").click()
    await expect(dms.get_by_test_id("dm").last).to_have_text(
        re.compile("you will no longer receive Welcome"), timeout=TIMEOUT
    )
    await expect(page.get_by_test_id("error")).to_be_hidden()


async def test_a_facilitator_changes_the_community_with_the_setup_form(
    page: Page, tmp_path: Path
) -> None:
    await page.get_by_test_id("member-select").select_option("U-dan")
    await expect(page.get_by_test_id("community").filter(has_text="Data & IA")).to_be_visible()
    await page.get_by_test_id("command-input").fill("community setup")
    await page.get_by_test_id("command-submit").click()

    form = page.get_by_test_id("dms").get_by_test_id("form")
    await expect(form.get_by_label("Name", exact=True)).to_have_value("Data & IA", timeout=TIMEOUT)
    await expect(form.get_by_test_id("field-target")).to_have_value("60")
    await form.get_by_label("Why it exists (for members, for the organisation)").fill(
        "Ship ML faster, together"
    )
    await form.get_by_test_id("field-target").fill("75")
    await page.screenshot(path=tmp_path / "setup-form.png", full_page=True)
    await form.get_by_test_id("form-submit").click()
    await expect(page.get_by_test_id("dms").get_by_test_id("dm").last).to_have_text(
        re.compile("Data & IA updated: objective, target."), timeout=TIMEOUT
    )
    await expect(page.get_by_test_id("error")).to_be_hidden()
